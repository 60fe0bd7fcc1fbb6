/*
 * fork.c -- keeps pools usable across fork() in a threaded program.
 *
 * Before fork the calling thread takes every lock of every live pool, in
 * rank order (registry, then per pool its thread caches, its bins in class
 * order and its extent lock), so no other thread is inside the allocator
 * when the address space is copied. Afterwards the parent releases them;
 * the child, whose other threads are gone, re-initialises them and gives
 * the caches of the missing threads back to the bins -- in the pools that
 * are its own. A pool whose memory the child shares with the parent (a
 * vmem_create pool: its file is mapped shared) is still the parent's,
 * used by the parent's threads: the child forgets it (it is no longer a
 * live pool there) and writes nothing into it.
 * A user of the core that must act on the pools while every lock is held
 * (libvmmalloc: remapping or copying its pool) installs fork hooks: the
 * prepare hook runs after the locks are taken, the parent and child hooks
 * before they are released.
 * Owns the once-flag of the registration and the hooks.
 */
#include <pthread.h>

#include "pool/vmem.h"

static pthread_once_t registered = PTHREAD_ONCE_INIT;
static const struct fork_hooks *hooks;

void
fork_set_hooks(const struct fork_hooks *h)
{
	hooks = h;
}

void
pool_lock_all(VMEM *vmp)
{
	slabs_lock_all(&vmp->slabs);
	vm_lock(&vmp->extents.lock);
}

void
pool_unlock_all(VMEM *vmp)
{
	vm_unlock(&vmp->extents.lock);
	slabs_unlock_all(&vmp->slabs);
}

static void
reinit_pool(VMEM *vmp)
{
	vm_lock_reset(&vmp->extents.lock);
	slabs_fork_reinit(&vmp->slabs);
}

/* the handlers read and write every pool's header: quiet under memcheck */
static void
prefork(void)
{
	mc_quiet();
	vm_lock(&registry_lock);
	registry_foreach(pool_lock_all);
	if (hooks != NULL)
		hooks->prepare();
	mc_loud();
}

static void
postfork_parent(void)
{
	mc_quiet();
	if (hooks != NULL)
		hooks->parent();
	registry_foreach(pool_unlock_all);
	vm_unlock(&registry_lock);
	mc_loud();
}

static bool
is_own(VMEM *vmp)
{
	return backing_is_own(&vmp->backing);
}

static void
postfork_child(void)
{
	vm_lock_witness_reset();	/* every lock prefork took is re-made */
	mc_quiet();
	if (hooks != NULL)
		hooks->child();
	registry_keep(is_own);
	registry_foreach(reinit_pool);
	thread_fork_child();
	vm_lock_reset(&registry_lock);
	mc_loud();
}

static void
register_handlers(void)
{
	pthread_atfork(prefork, postfork_parent, postfork_child);
}

void
fork_handlers_init(void)
{
	pthread_once(&registered, register_handlers);
}
