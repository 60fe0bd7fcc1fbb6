/*
 * lock.h -- the one mutex type of the core, and the lock order.
 *
 * Lock order (a thread may only take a lock of a higher rank than any it
 * holds; the same rank twice only where noted):
 *   1. the registry lock (the list of live pools, pool.c)
 *   2. bin locks of one pool, in class order (only vmem_check and the
 *      stats walk hold several; the allocation paths hold at most one)
 *   3. the extent lock of one pool
 * The allocation paths never hold a bin lock while they take the extent
 * lock: a bin drops its lock before it asks for a new slab or gives an
 * empty one back.
 */
#ifndef VM_LOCK_H
#define VM_LOCK_H

#include <pthread.h>

typedef struct vm_lock_s {
	pthread_mutex_t mutex;
} vm_lock_t;

static inline void
vm_lock_init(vm_lock_t *l)
{
	pthread_mutex_init(&l->mutex, NULL);
}

static inline void
vm_lock_destroy(vm_lock_t *l)
{
	pthread_mutex_destroy(&l->mutex);
}

static inline void
vm_lock(vm_lock_t *l)
{
	pthread_mutex_lock(&l->mutex);
}

static inline void
vm_unlock(vm_lock_t *l)
{
	pthread_mutex_unlock(&l->mutex);
}

#endif /* VM_LOCK_H */
