/*
 * tcache.c -- the batch operations of a thread cache (see tcache.h).
 *
 * Owns the stacks of one tcache_t. Refill takes half a stack's capacity
 * from the bin under one lock; flush gives back the oldest objects (the
 * bottom of the stack), to the bin's transfer stack while it has room,
 * and keeps the most recently freed, which are the likeliest to be in the
 * CPU cache. Giving everything back (a thread's exit, a full pool) skips
 * the transfer stack: those objects go back to their slabs, which can
 * then be given back in turn.
 */
#include <string.h>

#include "slab/tcache.h"

tcache_t tc_none;
tcache_t *const tc_none_slots[TC_MAX_THREADS + 1] = {
	[0 ... TC_MAX_THREADS] = &tc_none
};

/* about 32 KiB of objects per class, between 4 and 64 of them */
unsigned
tcache_cap(unsigned cls)
{
	unsigned n = 32768 / sc_table[cls].size;
	return n < 4 ? 4 : n > 64 ? 64 : n;
}

/* about 2 MiB of runs per bucket (by its longest run), 1 to 32 of them */
unsigned
tcache_lcap(unsigned k)
{
	uint32_t longest = TC_LARGE_MAX_PAGES;
	while (longest > TC_LARGE_MIN_PAGES && tc_lbucket(longest) != k)
		longest--;
	unsigned n = 512 / longest;	/* 512 pages = 2 MiB */
	return n < 1 ? 1 : n > 32 ? 32 : n;
}

size_t
tcache_bytes(void)
{
	size_t slots = 0;
	for (unsigned c = 0; c < SC_NCLASSES; c++)
		slots += tcache_cap(c);
	for (unsigned k = 0; k < TC_LBUCKETS; k++)
		slots += tcache_lcap(k);
	return sizeof(tcache_t) + slots * sizeof(void *);
}

void
tcache_init(tcache_t *tc, uint32_t index, uint64_t large_budget,
		uint64_t large_key)
{
	atomic_init(&tc->in_op, 0);
	atomic_init(&tc->steal_req, 0);
	tc->index = index;
	tc->pad = 0;
	void **slot = tc->slots;
	for (unsigned c = 0; c < SC_NCLASSES; c++) {
		tc->bins[c].objs = slot;
		tc->bins[c].count = 0;
		tc->bins[c].cap = tcache_cap(c);
		slot += tc->bins[c].cap;
	}
	for (unsigned k = 0; k < TC_LBUCKETS; k++) {
		tc->lbins[k].objs = slot;
		tc->lbins[k].count = 0;
		tc->lbins[k].cap = tcache_lcap(k);
		slot += tc->lbins[k].cap;
	}
	tc->large_bytes = 0;
	tc->large_budget = large_budget;
	tc->large_key = large_key;
}

/*
 * True if stack k of some cache of tcs[1..top] (a large bucket if large,
 * else a small class's stack) holds addr.
 */
static bool
caches_hold(_Atomic(tcache_t *) *tcs, uint32_t top, bool large, unsigned k,
		const void *addr)
{
	for (uint32_t i = 1; i <= top; i++) {
		const tcache_t *tc = tc_real(atomic_load_explicit(&tcs[i],
				memory_order_relaxed));
		if (tc == NULL)
			continue;
		const tc_bin_t *b = large ? &tc->lbins[k] : &tc->bins[k];
		for (uint32_t j = 0; j < b->count; j++)
			if ((large ? tc_lslot_addr(b->objs[j]) : b->objs[j]) ==
					addr)
				return true;
	}
	return false;
}

bool
tcache_holds_large(_Atomic(tcache_t *) *tcs, uint32_t top, const run_t *run,
		const void *addr)
{
	return caches_hold(tcs, top, true, tc_lbucket(run->npages), addr);
}

bool
tcache_holds_small(_Atomic(tcache_t *) *tcs, uint32_t top, unsigned cls,
		const void *addr)
{
	return caches_hold(tcs, top, false, cls, addr);
}

void *
tcache_refill(tcache_t *tc, unsigned cls, bin_t *bin, region_t *rg,
		extents_t *ex)
{
	tc_bin_t *b = &tc->bins[cls];
	if (b->count == 0) {
		unsigned want = b->cap / 2 > 0 ? b->cap / 2 : 1;
		b->count = bin_malloc_batch(bin, cls, rg, ex, b->objs, want);
		if (b->count == 0)
			return NULL;
	}
	return b->objs[--b->count];
}

/* flush, onto the bin's transfer stack (park) or into the slabs */
static unsigned
flush(tcache_t *tc, unsigned cls, unsigned keep, bin_t *bin, region_t *rg,
		extents_t *ex, bool park)
{
	tc_bin_t *b = &tc->bins[cls];
	if (b->count <= keep)
		return 0;
	unsigned n = b->count - keep;
	unsigned refused = park ? bin_flush_batch(bin, cls, rg, ex, b->objs, n) :
			bin_free_batch(bin, cls, rg, ex, b->objs, n);
	memmove(b->objs, b->objs + n, keep * sizeof(void *));
	b->count = keep;
	return refused;
}

unsigned
tcache_flush(tcache_t *tc, unsigned cls, unsigned keep, bin_t *bin,
		region_t *rg, extents_t *ex)
{
	return flush(tc, cls, keep, bin, rg, ex, true);
}

size_t
tcache_flush_all(tcache_t *tc, bin_t *bins, region_t *rg, extents_t *ex)
{
	size_t n = 0;
	for (unsigned c = 0; c < SC_NCLASSES; c++) {
		n += tc->bins[c].count;
		flush(tc, c, 0, &bins[c], rg, ex, false);
	}
	for (unsigned k = 0; k < TC_LBUCKETS; k++) {
		tc_bin_t *b = &tc->lbins[k];
		for (uint32_t i = 0; i < b->count; i++) {
			void *addr = tc_lslot_addr(b->objs[i]);
			*(uint64_t *)addr = 0;
			extents_free(ex, rg, region_run(rg, region_page(rg, addr)));
		}
		n += b->count;
		b->count = 0;
	}
	tc->large_bytes = 0;
	return n;
}
