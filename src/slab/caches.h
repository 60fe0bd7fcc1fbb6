/*
 * caches.h -- the threads' caches of a pool: which thread has which cache,
 * making one on first use, and taking them from their owners.
 *
 * A thread gets an index (1..TC_MAX_THREADS) the first time it needs a
 * cache, in any pool, and keeps it until it exits; its cache of a pool is
 * that pool's tcaches[index]. The caches live in the pool, and a thread
 * keeps no pointer into any pool, so deleting a pool leaves nothing stale.
 * The first caches of a pool (caches_area_slots: one per 8 MiB of pool, 2
 * to 16) live in its metadata, in slots of the region's spare area, each
 * reserved when first used; the others are RUN_LARGE runs of cls
 * RUN_CLS_TCACHE, cut from the top of the data area. Either way a cache
 * never splits the space objects are cut from: an emptied pool holds one
 * object of almost its whole size, whichever threads used it when.
 *
 * Taking the caches (the stealer's side of the handshake in tcache.h):
 * caches_freeze sets every cache's steal_req, puts a barrier in every
 * thread (membarrier) and waits until no owner is inside its cache; until
 * caches_thaw the caller may read and change every cache. An owner that
 * meets steal_req waits on tc_lock (caches_wait).
 *
 * Owns: the thread index allocator (process-wide, under its own lock),
 * each thread's index (vm_tindex, and vm_tfast for the fast paths), the
 * pthread key whose destructor runs at thread exit, whether caches can be
 * used at all (they need membarrier(2), Linux 4.14), and tc_lock, tc_top,
 * ncaches, tcaches[] of each slabs_t.
 * Lock order: the registry lock (pool layer), then a pool's tc_lock, then
 * its bins, then its extent lock.
 * Thread safety: caches_mine is the owner's, lock-free; every
 * other function may be called from any thread, and takes tc_lock
 * where it must.
 */
#ifndef VM_CACHES_H
#define VM_CACHES_H

#include "slab/slabs.h"

/* the slots of the spare area of a pool of npages pages, and its bytes
 * (sc_init done) */
uint32_t caches_area_slots(uint32_t npages);
size_t caches_area_bytes(uint32_t npages);

/* the slot of the spare area cache tc is in; -1 if it is not in one */
int caches_slot_of(const slabs_t *s, const tcache_t *tc);

/* fn(arg, offset, length) for each slot of the spare area that holds a
 * cache (the copy a fork child gets must have them); -1 if fn fails */
int caches_slot_ranges(const slabs_t *s,
		int (*fn)(void *arg, size_t off, size_t len), void *arg);

/* this thread's index (0: none yet); tcaches[0] is always tc_none */
extern VM_TLS uint32_t vm_tindex;
/* the index the fast paths use: vm_tindex, or 0 under Valgrind, where
 * every malloc and free takes its slow path (which finds the thread's
 * cache by vm_tindex and tells the tool what it does: base/vg.h) */
extern VM_TLS uint32_t vm_tfast;

/* this thread's cache in s, or tc_none (none yet, or it cannot have
 * one): the fast paths' way in */
static inline tcache_t *
caches_mine(slabs_t *s)
{
	_Atomic(tcache_t *) *tcs = s->tcaches;	/* one address mode */
	return atomic_load_explicit(tcs + vm_tfast, memory_order_relaxed);
}

/* caches_enter when this thread has no cache in s yet, or a stealer holds
 * it */
tcache_t *caches_enter_slow(slabs_t *s);

/*
 * This thread's cache in s, made on first use, entered (tc_enter) once no
 * stealer holds it; NULL if the thread cannot have one (no membarrier, no
 * index left, no room in the pool). The caller leaves it with tc_exit.
 * Inline where the thread has its cache and nobody steals it: the slow
 * paths of malloc and free enter the cache on every call.
 */
VM_INLINE tcache_t *
caches_enter(slabs_t *s)
{	/* under Valgrind caches_mine gives tc_none: always the slow way */
	tcache_t *tc = caches_mine(s);
	if (vm_likely(tc != &tc_none)) {
		tc_enter(tc);
		if (vm_likely(!tc_stolen(tc)))
			return tc;
		tc_exit(tc);
	}
	return caches_enter_slow(s);
}

/* caches_leave under helgrind or drd: tells the tool, then tc_exit */
void caches_leave_told(tcache_t *tc);

/* leaves this thread's cache, entered with caches_enter: tc_exit, which
 * helgrind and drd are told of (a stealer may take the cache next); the
 * tool's way is out of line and does the exit itself, so that nothing is
 * kept across its call */
static inline void
caches_leave(tcache_t *tc)
{
	if (VM_VALGRIND && vm_unlikely(vm_vg_sync))
		caches_leave_told(tc);
	else
		tc_exit(tc);
}

/* takes every cache of s from its owner (holds tc_lock until thaw) */
void caches_freeze(slabs_t *s);
/* with the caches frozen: the cache of thread index i (1..tc_top), or
 * NULL if that thread has none */
static inline tcache_t *
caches_frozen_at(slabs_t *s, uint32_t i)
{
	return tc_real(atomic_load_explicit(&s->tcaches[i],
			memory_order_relaxed));
}
void caches_thaw(slabs_t *s);
/* an owner that saw steal_req: waits until the stealer is done */
void caches_wait(slabs_t *s);

/* with the caches frozen: true if some cache holds the small object addr
 * of class cls */
bool caches_hold_small(slabs_t *s, unsigned cls, const void *addr);
/* caches_hold_large's look through every cache, taken from its owner for
 * the moment */
bool caches_search_large(slabs_t *s, const run_t *run, const void *addr);
/*
 * True if a thread's cache holds the large run at addr: it carries the
 * mark (large/lcache.h), and a look through every cache finds it there
 * (a program may have stored the mark's value in a live object).
 */
static inline bool
caches_hold_large(slabs_t *s, const run_t *run, const void *addr)
{
	return lcache_takes(run->npages) &&
			lcache_marked(s->large_key, addr) &&
			caches_search_large(s, run, addr);
}

/* a cached large run for a request of size bytes (above SC_SMALL_MAX)
 * from this thread's cache, or NULL (malloc's slow path, inline there) */
VM_INLINE void *
caches_large_pop(slabs_t *s, size_t size)
{
	if (size > (size_t)LCACHE_MAX_PAGES << VM_PAGE_SHIFT)
		return NULL;
	tcache_t *tc = caches_enter(s);
	if (tc == NULL)
		return NULL;
	void *p = lcache_pop(&tc->large,
			lcache_round((uint32_t)VM_PAGES(size)));
	caches_leave(tc);
	return p;
}

/* gives every cached object and run of s back to the bins and the extent
 * manager; returns how many */
size_t caches_drain(slabs_t *s);

/*
 * Called at a thread's exit, before its index is given back, when the
 * thread had one: the caller (the pool layer, which knows the live pools)
 * drops the thread's cache in each of them with caches_drop_mine.
 */
void caches_set_exit_hook(void (*hook)(void));
/* empties and frees this thread's cache of s, if it has one */
void caches_drop_mine(slabs_t *s);

/* in a fork child, for each pool it keeps: drops the caches of the
 * threads that are gone (only the forking thread's stays) */
void caches_fork_child(slabs_t *s);
/* in a fork child, once: only the forking thread holds an index */
void caches_fork_child_indices(void);

#endif /* VM_CACHES_H */
