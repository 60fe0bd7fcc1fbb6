/*
 * thread.c -- what the pool layer does for threads: at a thread's exit its
 * cache in every live pool goes back, and a fork child drops the caches
 * of the threads it does not have. The caches themselves and the thread
 * indices are the slab layer's (slab/caches.h); only this layer knows
 * which pools are alive (the registry).
 *
 * Owns nothing. Lock order: registry_lock, then a pool's tc_lock, then
 * bins, extents.
 */
#include "pool/vmem.h"

static void
drop_mine(VMEM *vmp)
{
	caches_drop_mine(&vmp->slabs);
}

/* run by the slab layer at a thread's exit, its index still set */
static void
thread_exit(void)
{
	mc_quiet();	/* the caches are metadata */
	vm_lock(&registry_lock);
	registry_foreach(drop_mine);
	vm_unlock(&registry_lock);
	mc_loud();
}

void
thread_hooks_init(void)
{
	caches_set_exit_hook(thread_exit);
}

static void
drop_others(VMEM *vmp)
{
	caches_fork_child(&vmp->slabs);
}

void
thread_fork_child(void)
{
	registry_foreach(drop_others);
	caches_fork_child_indices();
}
