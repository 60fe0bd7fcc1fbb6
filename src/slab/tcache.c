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

/* an empty stack of cap slots from slot on; returns the slot after them */
static void **
stack_init(tc_bin_t *b, void **slot, uint32_t cap)
{
	b->objs = b->top = slot;
	b->end = slot + cap;
	b->cap = cap;
	b->pad = 0;
	return b->end;
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
		slot = stack_init(&tc->bins[c], slot, tcache_cap(c));
	}
	for (unsigned k = 0; k < TC_LBUCKETS; k++) {
		slot = stack_init(&tc->lbins[k], slot, tcache_lcap(k));
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
		for (uint64_t j = 0; j < tc_count(b); j++)
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
	if (b->top == b->objs) {
		unsigned want = b->cap / 2 > 0 ? b->cap / 2 : 1;
		tc_set_count(b, bin_malloc_batch(bin, rg, ex, b->objs,
				want));
		if (b->top == b->objs)
			return NULL;
	}
	return *--b->top;
}

/* flush, onto the bin's transfer stack (park) or into the slabs */
static unsigned
flush(tcache_t *tc, unsigned cls, unsigned keep, bin_t *bin, region_t *rg,
		extents_t *ex, bool park)
{
	tc_bin_t *b = &tc->bins[cls];
	uint32_t count = (uint32_t)tc_count(b);
	if (count <= keep)
		return 0;
	unsigned n = count - keep;
	unsigned refused = park ? bin_flush_batch(bin, rg, ex, b->objs, n) :
			bin_free_batch(bin, rg, ex, b->objs, n);
	memmove(b->objs, b->objs + n, keep * sizeof(void *));
	tc_set_count(b, keep);
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
		n += tc_count(&tc->bins[c]);
		flush(tc, c, 0, &bins[c], rg, ex, false);
	}
	for (unsigned k = 0; k < TC_LBUCKETS; k++) {
		tc_bin_t *b = &tc->lbins[k];
		for (uint64_t i = 0; i < tc_count(b); i++) {
			void *addr = tc_lslot_addr(b->objs[i]);
			*(uint64_t *)addr = 0;
			extents_free(ex, rg, region_run(rg, region_page(rg, addr)));
		}
		n += tc_count(b);
		tc_set_count(b, 0);
	}
	tc->large_bytes = 0;
	return n;
}
