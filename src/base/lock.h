/*
 * lock.h -- the one lock type of the core, and the lock order.
 *
 * vm_lock_t is a test-and-test-and-set lock: taking a free lock is one
 * atomic exchange, releasing it one store. A waiter spins briefly, then
 * yields the CPU. Critical sections in the core are a few dozen
 * instructions, never block and never call out, so a waiter rarely waits
 * long. Being a plain word, a lock is valid in shared or copied memory and
 * is re-initialised in a fork child by storing 0.
 *
 * Lock order (a thread may only take a lock of a higher rank than any it
 * holds; the same rank twice only where noted):
 *   1. the registry lock (the set of live pools, registry.c)
 *   2. the cache lock of one pool (tc_lock: taking the threads' caches)
 *   3. bin locks of one pool, in class order (only vmem_check and the
 *      stats walk hold several; the allocation paths hold at most one)
 *   4. the extent lock of one pool
 *   5. the thread index lock (caches.c): nothing is taken under it
 * The ranks of one pool order only that pool's locks: fork's handlers take
 * every lock of every pool, pool after pool, under the registry lock.
 * A bin holds its lock while it takes a slab from the extent manager or
 * gives one back. When the pool is full, the caller drops every lock
 * before it asks the other bins for their reserves (pool_reclaim).
 *
 * The witness (builds with assertions, VM_DEBUG >= 1) checks that order
 * as it is used: each lock carries its rank, its order among the locks
 * of its rank (a bin's: its class + 1; 0 where a rank has one lock) and
 * its domain (its pool; NULL for the process-wide locks), and each thread
 * the locks it holds. Taking a lock whose rank is not above that of every
 * lock held of the same domain (or of any held lock, for a process-wide
 * one), unless both are of one rank with orders rising, stops the program
 * with both locks named: a deadlock that has not happened yet. An unranked
 * lock (rank 0: not yet given one by vm_lock_rank) is not checked.
 * Under helgrind or drd (base/vg.h) each take and release is announced to
 * the tool, which then orders what the lock protects as it would for a
 * mutex, and looks past the lock's own word.
 * Owns: nothing but the words of each lock and, in debug builds, each
 * thread's list of held locks (lock.c); vm_lock_wait is the slow path.
 * Thread safety: a lock may be taken from any thread; it is not
 * recursive; a thread releases only locks it took.
 */
#ifndef VM_LOCK_H
#define VM_LOCK_H

#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

#include "internal.h"
#include "base/vg.h"

/* the ranks (see above) */
enum vm_lock_rank_e {
	VM_RANK_NONE = 0,	/* not checked */
	VM_RANK_REGISTRY = 1,
	VM_RANK_CACHES = 2,
	VM_RANK_BIN = 3,
	VM_RANK_EXTENTS = 4,
	VM_RANK_THREAD_INDEX = 5,
};

typedef struct vm_lock_s {
	atomic_int held;
#if VM_DEBUG
	uint16_t rank;		/* enum vm_lock_rank_e */
	uint16_t order;		/* among the locks of one rank and domain */
	const void *domain;	/* the pool; NULL: process-wide */
	const char *name;
#endif
} vm_lock_t;

#if VM_DEBUG
#define VM_LOCK_INITIALIZER_RANKED(rank, name) { 0, rank, 0, NULL, name }
#else
#define VM_LOCK_INITIALIZER_RANKED(rank, name) { 0 }
#endif

/* makes l a free lock with no rank (vm_lock_rank gives it one) */
static inline void
vm_lock_init(vm_lock_t *l)
{
	atomic_init(&l->held, 0);
#if VM_DEBUG
	l->rank = VM_RANK_NONE;
	l->order = 0;
	l->domain = NULL;
	l->name = NULL;
#endif
}

/* makes l free again, keeping its rank: a fork child's way to let go of
 * what the parent's prepare handler took */
static inline void
vm_lock_reset(vm_lock_t *l)
{
	atomic_store_explicit(&l->held, 0, memory_order_relaxed);
}

/* gives l its place in the lock order (a no-op without assertions) */
static inline void
vm_lock_rank(vm_lock_t *l, enum vm_lock_rank_e rank, unsigned order,
		const void *domain, const char *name)
{
#if VM_DEBUG
	l->rank = (uint16_t)rank;
	l->order = (uint16_t)order;
	l->domain = domain;
	l->name = name;
#else
	(void)l, (void)rank, (void)order, (void)domain, (void)name;
#endif
}

void vm_lock_wait(vm_lock_t *l);

#if VM_DEBUG
/* the witness (lock.c): before taking l, after taking it, at release */
void vm_lock_witness_check(const vm_lock_t *l);
void vm_lock_witness_push(const vm_lock_t *l);
void vm_lock_witness_pop(const vm_lock_t *l);
#endif
/* in a fork child: the calling thread holds no lock any more (the
 * handlers re-initialise what the parent's prepare handler took) */
void vm_lock_witness_reset(void);

static inline void
vm_lock(vm_lock_t *l)
{
#if VM_DEBUG
	vm_lock_witness_check(l);
#endif
	if (__builtin_expect(atomic_exchange_explicit(&l->held, 1,
			memory_order_acquire) != 0, 0))
		vm_lock_wait(l);
	if (VM_VALGRIND && vm_unlikely(vm_vg_sync))
		vm_vg_acquired(l);
#if VM_DEBUG
	vm_lock_witness_push(l);
#endif
}

static inline void
vm_unlock(vm_lock_t *l)
{
#if VM_DEBUG
	vm_lock_witness_pop(l);
#endif
	if (VM_VALGRIND && vm_unlikely(vm_vg_sync))
		vm_vg_releasing(l);
	atomic_store_explicit(&l->held, 0, memory_order_release);
}

#endif /* VM_LOCK_H */
