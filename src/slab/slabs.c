/*
 * slabs.c -- the slab layer's part of one pool as a whole (see slabs.h):
 * set up, its reserves given back when the pool is full, and all its
 * locks taken for fork and vmem_check.
 *
 * Owns nothing beyond the slabs_t it is given.
 */
#include <string.h>

#include "slab/caches.h"

/* bin_homes_t's list: the slab list of class cls of the cache of index
 * home, NULL if there is none or it is closed. Called under that class's
 * bin lock, which a cache going away takes after it stopped being in
 * tcaches[] and before its memory is freed (caches.c), so the cache read
 * here stays until the lock is let go */
static slab_list_t *
home_list(void *ctx, uint32_t home, unsigned cls)
{
	slabs_t *s = ctx;
	tcache_t *tc = tc_real(atomic_load_explicit(&s->tcaches[home],
			memory_order_acquire));
	if (tc == NULL || tc->lists[cls].closed)
		return NULL;
	return &tc->lists[cls];
}

size_t
slabs_spare_bytes(uint32_t npages)
{
	sc_init();
	return caches_area_bytes(npages);
}

void
slabs_init(slabs_t *s, region_t *rg, extents_t *ex, uint64_t key,
		void *(*xfer)[BIN_XFER_MAX])
{
	s->rg = rg;
	s->ex = ex;
	s->nslots = caches_area_slots(rg->npages);
	s->slots_used = 0;
	s->slots_reserved = 0;
	s->slot_bytes = VM_ALIGN_UP(tcache_bytes(), VM_PAGE);
	s->ncache_runs = 0;
	s->large_key = key;
	s->tag_key = ~key;
	/* large runs cached by one thread: at most 1/32 of the pool, 32 MiB */
	s->large_budget = rg->size / 32;
	if (s->large_budget > ((uint64_t)32 << 20))
		s->large_budget = (uint64_t)32 << 20;
	vm_lock_init(&s->tc_lock);
	s->tc_top = 0;
	s->ncaches = 0;
	s->homes.list = home_list;
	s->homes.ctx = s;
	for (unsigned c = 0; c < SC_NCLASSES; c++)
		bin_init(&s->bins[c], c, xfer[c], s->tag_key, &s->homes);
	/* no thread has a cache yet (one copy: cheaper than a loop of
	 * stores under the sanitizers, which see it as one write) */
	memcpy(s->tcaches, tc_none_slots, sizeof(s->tcaches));
}

size_t
slabs_reclaim(slabs_t *s)
{
	size_t given = caches_drain(s);
	for (unsigned c = 0; c < SC_NCLASSES; c++) {
		given += bin_xfer_drain(&s->bins[c], s->rg, s->ex);
		given += bin_release_empty(&s->bins[c], s->rg, s->ex);
	}
	return given;
}

void
slabs_lock_all(slabs_t *s)
{
	caches_freeze(s);
	for (unsigned c = 0; c < SC_NCLASSES; c++)
		vm_lock(&s->bins[c].lock);
}

void
slabs_unlock_all(slabs_t *s)
{
	for (unsigned c = SC_NCLASSES; c-- > 0;)
		vm_unlock(&s->bins[c].lock);
	caches_thaw(s);
}

void
slabs_fork_reinit(slabs_t *s)
{
	for (unsigned c = 0; c < SC_NCLASSES; c++)
		vm_lock_reset(&s->bins[c].lock);
	vm_lock_reset(&s->tc_lock);
}
