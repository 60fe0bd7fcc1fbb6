/*
 * lcache.c -- a thread's cache of large runs: its geometry, the search a
 * double-free check makes, and giving every run back (see lcache.h).
 *
 * Owns the buckets of one lcache_t. Runs given back are unmarked first,
 * so no stale mark survives in a run the extent manager hands out again.
 */
#include "large/lcache.h"

unsigned
lcache_cap(unsigned k)
{
	uint32_t longest = LCACHE_MAX_PAGES;
	while (longest > LCACHE_MIN_PAGES && lcache_bucket(longest) != k)
		longest--;
	unsigned n = 512 / longest;	/* 512 pages = 2 MiB */
	return n < 1 ? 1 : n > 32 ? 32 : n;
}

size_t
lcache_nslots(void)
{
	size_t slots = 0;
	for (unsigned k = 0; k < LCACHE_BUCKETS; k++)
		slots += lcache_cap(k);
	return slots;
}

void **
lcache_init(lcache_t *lc, void **slot, uint64_t budget, uint64_t key)
{
	for (unsigned k = 0; k < LCACHE_BUCKETS; k++)
		slot = vm_stack_init(&lc->buckets[k], slot, lcache_cap(k));
	lc->bytes = 0;
	lc->budget = budget;
	lc->key = key;
	return slot;
}

bool
lcache_holds(const lcache_t *lc, uint32_t npages, const void *addr)
{
	const vm_stack_t *b = &lc->buckets[lcache_bucket(npages)];
	for (uint64_t j = 0; j < vm_stack_count(b); j++)
		if (lcache_slot_addr(b->objs[j]) == addr)
			return true;
	return false;
}

size_t
lcache_flush(lcache_t *lc, extents_t *ex, region_t *rg)
{
	size_t n = 0;
	for (unsigned k = 0; k < LCACHE_BUCKETS; k++) {
		vm_stack_t *b = &lc->buckets[k];
		for (uint64_t i = 0; i < vm_stack_count(b); i++) {
			void *addr = lcache_slot_addr(b->objs[i]);
			*(uint64_t *)addr = 0;
			extents_free(ex, rg, region_run(rg,
					region_page(rg, addr)));
		}
		n += vm_stack_count(b);
		vm_stack_set_count(b, 0);
	}
	lc->bytes = 0;
	return n;
}
