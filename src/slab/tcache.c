/*
 * tcache.c -- the batch operations of a thread cache (see tcache.h).
 *
 * Owns the stacks of one tcache_t. Refill takes half a stack's capacity
 * from the bin under one lock; flush gives back the oldest objects (the
 * bottom of the stack), to the bin's transfer stack while it has room,
 * and keeps the most recently freed, which are the likeliest to be in the
 * CPU cache. Giving everything back (a thread's exit, a full pool) skips
 * the transfer stack: those objects go back to their slabs, which can
 * then be given back in turn, and the large runs to the extent manager.
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
	return n < 4 ? 4 : n > BIN_FLUSH_MAX ? BIN_FLUSH_MAX : n;
}

size_t
tcache_bytes(void)
{
	size_t slots = lcache_nslots();
	for (unsigned c = 0; c < SC_NCLASSES; c++)
		slots += tcache_cap(c);
	return sizeof(tcache_t) + slots * sizeof(void *);
}

void
tcache_init(tcache_t *tc, uint32_t index, uint64_t large_budget,
		uint64_t large_key)
{
	atomic_init(&tc->in_op, 0);
	atomic_init(&tc->steal_req, 0);
	/* the handshake's words: their order is argued in tcache.h, and
	 * the hand-overs they make are told to the tools (caches.c) */
	if (VM_VALGRIND && vm_vg_sync)
		vm_vg_benign(tc, 2 * sizeof(atomic_uint));
	tc->index = index;
	tc->pad = 0;
	void **slot = tc->slots;
	for (unsigned c = 0; c < SC_NCLASSES; c++) {
		slot = vm_stack_init(&tc->bins[c], slot, tcache_cap(c));
		tc->lists[c] = (slab_list_t){ 0, 0, 0 };
		tc->nrefills[c] = 0;
	}
	lcache_init(&tc->large, slot, large_budget, large_key);
}

bool
tcache_holds(const tcache_t *tc, unsigned cls, const void *addr)
{
	const vm_stack_t *b = &tc->bins[cls];
	for (uint64_t j = 0; j < vm_stack_count(b); j++)
		if (b->objs[j] == addr)
			return true;
	return false;
}

void *
tcache_refill(tcache_t *tc, unsigned cls, bin_t *bin, region_t *rg,
		extents_t *ex)
{
	vm_stack_t *b = &tc->bins[cls];
	if (b->top == b->objs) {
		/* a program that makes a few objects of a class gets a few */
		unsigned want = b->cap / 2;
		if (tc->nrefills[cls] < TC_REFILL_RAMP)
			want >>= TC_REFILL_RAMP - tc->nrefills[cls]++;
		want = want > 0 ? want : 1;
		vm_stack_set_count(b, bin_malloc_batch(bin, rg, ex, b->objs,
				want, tc->index));
		vm_assert_expensive(tcache_valid(tc));
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
	vm_stack_t *b = &tc->bins[cls];
	uint32_t count = (uint32_t)vm_stack_count(b);
	if (count <= keep)
		return 0;
	unsigned n = count - keep;
	unsigned refused = park ? bin_flush_batch(bin, rg, ex, b->objs, n,
			tc->index) : bin_free_batch(bin, rg, ex, b->objs, n);
	memmove(b->objs, b->objs + n, keep * sizeof(void *));
	vm_stack_set_count(b, keep);
	vm_assert_expensive(tcache_valid(tc));
	return refused;
}

unsigned
tcache_flush(tcache_t *tc, unsigned cls, unsigned keep, bin_t *bin,
		region_t *rg, extents_t *ex)
{
	return flush(tc, cls, keep, bin, rg, ex, true);
}

size_t
tcache_flush_all(tcache_t *tc, bin_t *bins, region_t *rg, extents_t *ex,
		bool closing)
{
	size_t n = 0;
	for (unsigned c = 0; c < SC_NCLASSES; c++) {
		n += vm_stack_count(&tc->bins[c]);
		flush(tc, c, 0, &bins[c], rg, ex, false);
		/* always: whether the list is empty is the bin lock's to say
		 * (another thread's bin may be pushing a slab onto it) */
		bin_abandon(&bins[c], rg, &tc->lists[c], closing);
	}
	n += lcache_flush(&tc->large, ex, rg);
	vm_assert_expensive(tcache_valid(tc));
	return n;
}
