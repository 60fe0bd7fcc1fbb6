/*
 * object.c -- large objects: made and recognised (see object.h).
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

bool
large_starts_object(const region_t *rg, const run_t *run, const void *ptr)
{
	return run->kind == RUN_LARGE &&
			region_run_page(rg, run) == region_page(rg, ptr) &&
			((uintptr_t)ptr & VM_PAGE_MASK) == 0 &&
			run->cls != RUN_CLS_TCACHE;
}
