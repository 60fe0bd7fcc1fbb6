/*
 * tcache.h -- one thread's cache of one pool: free small objects by class,
 * and short large runs by length (large/lcache.h).
 *
 * Each thread that uses a pool gets a tcache_t inside that pool: per size
 * class a stack of free objects (at most cap, more for small classes).
 * malloc pops, free pushes, with no lock and no atomic read-modify-write;
 * an empty stack is refilled and a full one half flushed, in batches under
 * one bin lock (bin_malloc_batch / bin_free_batch). A free from any thread
 * goes to that thread's own cache, so frees of another thread's objects
 * never touch the allocating thread's cache or locks. Refills take from
 * the cache's own slabs first (lists[], the slabs whose home the cache
 * is; bin.h), so two threads' objects share no slab.
 *
 *   tcache_t: in_op | steal_req | index | bins[SC_NCLASSES] | large
 *             | lists[SC_NCLASSES] | nrefills[SC_NCLASSES] | slots ...
 *   bins[c]: a stack (base/stack.h) in the slots; large: the buckets of
 *   large runs (lcache_t), in the slots after the bins'
 *
 * Other threads (a thread that found the pool full, vmem_check, stats,
 * fork) take a cache's objects with the asymmetric handshake below, never
 * by locking it (caches.h has the stealer's side):
 *   owner:    in_op = 1; [compiler barrier]; if (steal_req) back off;
 *             ... use the cache ...; in_op = 0
 *   stealer:  steal_req = 1; membarrier(); wait until in_op == 0;
 *             ... use the cache ...; steal_req = 0
 * Why the owner and a stealer are never inside the cache together (the
 * claim; test/stress/steal.c tries to break it):
 *  - membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) returns only after every
 *    thread of the process has executed a full memory barrier B at some
 *    point between the call's start and its return (a running thread by
 *    an interrupt, one that is not running at its next switch back in,
 *    switches being barriers too). The stealer stored steal_req = 1
 *    before the call (its own syscall entry is a full barrier), so the
 *    store is visible to every CPU before any B.
 *  - The owner's tc_enter stores in_op = 1 and then loads steal_req; the
 *    signal fence keeps the compiler from swapping them, the CPU may
 *    (a store buffer), which is what B undoes. Take the owner's B: either
 *    the store comes before B in the owner's program order, or after it.
 *    Before: B makes the store visible to all before membarrier returns,
 *    so the stealer's load of in_op after the call sees 1, or a later 0
 *    written by tc_exit; it waits for that 0, whose release store orders
 *    every access the owner made to the cache before it, and the
 *    stealer's acquire load sees them all. After: the owner's load of
 *    steal_req comes after B too, and B came after steal_req = 1 was
 *    visible, so the owner reads 1, backs off (tc_exit) and waits on
 *    tc_lock. The two cases cover every interleaving.
 *  - The stealer releases with steal_req = 0 (release) under tc_lock; an
 *    owner that waited takes and drops tc_lock and loads steal_req again
 *    with acquire, so it sees every change the stealer made to its cache.
 *  - Only the owner writes in_op, only a stealer holding tc_lock writes
 *    steal_req: one stealer at a time.
 * Without membarrier (Linux before 4.14, or a seccomp filter) caches are
 * not used at all (caches.c). Helgrind and drd (base/vg.h) see neither
 * membarrier nor the atomics' order, so both edges are told to them as
 * happens-before relations: the owner's exit (caches_leave) before the
 * stealer's wait for in_op == 0, the stealer's steal_req = 0 before the
 * owner's next entry; in_op and steal_req themselves are not checked. Under ThreadSanitizer, which cannot see
 * membarrier, both sides use sequentially consistent atomics instead,
 * for which the same two cases hold by the single total order.
 * Invariant: a cached object is an object of its class whose slab bit says
 * "in use", and is in no other cache and no other slot; it carries the
 * tag of free objects (slab_tag, tag.h), so a second free of it is caught
 * wherever it is cached.
 * Owns: the stacks of one tcache_t (tcache.c); its large buckets
 * are an lcache_t (large/lcache.h).
 * Thread safety: the owner uses its cache between tc_enter and
 * tc_exit; anyone else only with the cache frozen (caches.h).
 */
#ifndef VM_TCACHE_H
#define VM_TCACHE_H

#include <stdatomic.h>
#include "slab/bin.h"

#if defined(__SANITIZE_THREAD__)
#define TC_SEQ_CST 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TC_SEQ_CST 1
#endif
#endif
#ifndef TC_SEQ_CST
#define TC_SEQ_CST 0
#endif

/* a cache's first refills of a class take less: an eighth, a quarter,
 * a half of a full refill (half the stack) */
#define TC_REFILL_RAMP	3

/* thread indices are 1..TC_MAX_THREADS; 0 means "no cache" */
#define TC_MAX_THREADS	1024

typedef struct tcache_s {
	atomic_uint in_op;	/* the owner is using the cache */
	atomic_uint steal_req;	/* another thread wants it */
	uint32_t index;		/* the owner's thread index */
	uint32_t pad;
	vm_stack_t bins[SC_NCLASSES];	/* small objects, by class */
	lcache_t large;		/* large runs, by length */
	slab_list_t lists[SC_NCLASSES];	/* its slabs with free objects, by
				 * class (bin.c's, under the bin lock) */
	uint8_t nrefills[SC_NCLASSES];	/* refills so far, up to
				 * TC_REFILL_RAMP (tcache_refill) */
	void *slots[];
} tcache_t;

/*
 * The cache of a thread that has none in a pool (a pool's tcaches[] holds
 * it where a thread has no cache, so that the fast paths need no NULL
 * test): every stack is empty and has no room, so malloc and free find
 * nothing to take and no room to give and go to their slow paths, which
 * make the thread a cache. Never registered, so never stolen; in_op is
 * written by every thread that enters it (atomically), nothing else is.
 */
extern tcache_t tc_none;
/* TC_MAX_THREADS + 1 pointers to tc_none: a pool's tcaches[] at creation */
extern tcache_t *const tc_none_slots[TC_MAX_THREADS + 1];

/* tc, or NULL if it is tc_none */
static inline tcache_t *
tc_real(tcache_t *tc)
{
	return tc != &tc_none ? tc : NULL;
}

/* the capacity of class cls's stack */
unsigned tcache_cap(unsigned cls);
/* (debug level 3, slab_valid.c) the stacks of tc are within their
 * capacities, its large runs add up to what it counts */
bool tcache_valid(const tcache_t *tc);
/* bytes a tcache needs */
size_t tcache_bytes(void);
/* sets up an empty cache in memory of tcache_bytes(); large runs cached
 * stay under large_budget bytes */
void tcache_init(tcache_t *tc, uint32_t index, uint64_t large_budget,
		uint64_t large_key);

/* ---- the owner's side of the handshake -------------------------------- */
static inline void
tc_enter(tcache_t *tc)
{
	if (TC_SEQ_CST) {
		atomic_store(&tc->in_op, 1);
	} else {
		atomic_store_explicit(&tc->in_op, 1, memory_order_relaxed);
		atomic_signal_fence(memory_order_seq_cst);
	}
}

/* after tc_enter: true if a stealer wants the cache (then tc_exit, wait) */
static inline bool
tc_stolen(tcache_t *tc)
{
	if (TC_SEQ_CST)
		return atomic_load(&tc->steal_req) != 0;
	return atomic_load_explicit(&tc->steal_req, memory_order_acquire) != 0;
}

static inline void
tc_exit(tcache_t *tc)
{
	if (TC_SEQ_CST) {
		atomic_store(&tc->in_op, 0);
	} else {
		atomic_signal_fence(memory_order_seq_cst);
		atomic_store_explicit(&tc->in_op, 0, memory_order_release);
	}
}

/* ---- operations inside tc_enter/tc_exit (or with the cache stolen) ---- */
/* refills the empty stack of cls and pops one; NULL if no room */
void *tcache_refill(tcache_t *tc, unsigned cls, bin_t *bin, region_t *rg,
		extents_t *ex);
/* gives back all but keep objects of cls's stack (to the bin's transfer
 * stack while it has room); returns how many were refused as double
 * frees */
unsigned tcache_flush(tcache_t *tc, unsigned cls, unsigned keep, bin_t *bin,
		region_t *rg, extents_t *ex);
/* gives back everything, into the slabs and the extent manager, and its
 * slabs to the bins' lists (for good when closing: the cache is going
 * away); returns the objects and runs given back */
size_t tcache_flush_all(tcache_t *tc, bin_t *bins, region_t *rg,
		extents_t *ex, bool closing);
/* true if the stack of class cls holds the small object addr */
bool tcache_holds(const tcache_t *tc, unsigned cls, const void *addr);

/*
 * Free's fast path for a large object: the object at ptr, at byte off of
 * the region rg, whose page's entry is e (a RUN_LARGE one), into the
 * cache tc; false if it did not go there: the large layer's test
 * (lcache_pages_of) refuses it, it carries the mark of a cached run with
 * key (the slow path finds out whether it is one), a stealer holds the
 * cache, or the cache is full. The run record is not read.
 */
VM_INLINE bool
tcache_free_large(tcache_t *tc, const region_t *rg, uint64_t key,
		uint64_t e, uintptr_t off, void *ptr)
{
	uint32_t npages = lcache_pages_of(rg, e, off);
	if (npages == 0 || lcache_marked(key, ptr))
		return false;
	tc_enter(tc);
	bool cached = !tc_stolen(tc) && lcache_push(&tc->large, ptr, npages);
	tc_exit(tc);
	return cached;
}

#endif /* VM_TCACHE_H */
