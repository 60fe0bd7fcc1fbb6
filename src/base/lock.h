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
 * A bin holds its lock while it takes a slab from the extent manager or
 * gives one back. When the pool is full, the caller drops every lock
 * before it asks the other bins for their reserves (pool_reclaim).
 * Owns: nothing but the word of each lock; vm_lock_wait (lock.c) is
 * the slow path.
 * Thread safety: a lock may be taken from any thread; it is not
 * recursive.
 */
#ifndef VM_LOCK_H
#define VM_LOCK_H

#include <sched.h>
#include <stdatomic.h>

typedef struct vm_lock_s {
	atomic_int held;
} vm_lock_t;

#define VM_LOCK_INITIALIZER { 0 }

static inline void
vm_lock_init(vm_lock_t *l)
{
	atomic_init(&l->held, 0);
}

void vm_lock_wait(vm_lock_t *l);

static inline void
vm_lock(vm_lock_t *l)
{
	if (__builtin_expect(atomic_exchange_explicit(&l->held, 1,
			memory_order_acquire) != 0, 0))
		vm_lock_wait(l);
}

static inline void
vm_unlock(vm_lock_t *l)
{
	atomic_store_explicit(&l->held, 0, memory_order_release);
}

#endif /* VM_LOCK_H */
