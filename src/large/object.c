/*
 * object.c -- large objects: made (see object.h).
 *
 * Owns nothing; the extent manager keeps the runs and their page-map
 * entries, which name the first and the last page of every large run.
 */
#include "large/object.h"

run_t *
large_alloc(extents_t *ex, region_t *rg, size_t size, size_t align)
{
	if (size > SIZE_MAX - VM_PAGE)
		return NULL;
	size_t npages = size == 0 ? 1 : VM_PAGES(size);
	if (npages >= LCACHE_MIN_PAGES && npages <= LCACHE_MAX_PAGES &&
			align <= VM_PAGE)
		npages = lcache_round((uint32_t)npages);
	return extents_alloc(ex, rg, npages, align, RUN_LARGE);
}
