/*
 * thread.c -- threads and their caches: thread indices, a thread's cache
 * of a pool, taking every cache of a pool from its owner (freeze, drain),
 * giving a thread's caches back when it exits, and dropping the caches of
 * the threads a fork child does not have.
 *
 * Owns: the thread index allocator (index_used, under index_lock), each
 * thread's index (vm_tindex, 0 until the thread first needs a cache), the
 * pthread key whose destructor runs at thread exit, and whether caches can
 * be used at all (they need membarrier(2), Linux 4.14).
 * A pool's caches live in the pool (vmp->tcaches[index]); a thread keeps
 * no pointer into any pool, so deleting a pool leaves nothing stale.
 * Lock order: registry_lock, then a pool's tc_lock, then bins, extents.
 */
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pool/vmem.h"

VM_TLS uint32_t vm_tindex;

static vm_lock_t index_lock = VM_LOCK_INITIALIZER;
static uint64_t index_used[TC_MAX_THREADS / 64 + 1];
static pthread_key_t exit_key;
static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
static bool caches_enabled;

static void thread_exit(void *arg);

static void
setup(void)
{
	caches_enabled = TC_SEQ_CST || syscall(__NR_membarrier,
			MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
	if (caches_enabled && pthread_key_create(&exit_key, thread_exit) != 0)
		caches_enabled = false;
}

/* a full barrier in every running thread of the process */
static void
barrier_all_threads(void)
{
	if (!TC_SEQ_CST)
		syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
}

/* this thread's index, assigned on first use; 0 if all are taken */
static uint32_t
thread_index(void)
{
	if (vm_likely(vm_tindex != 0))
		return vm_tindex;
	uint32_t idx = 0;
	vm_lock(&index_lock);
	for (uint32_t i = 1; i <= TC_MAX_THREADS && idx == 0; i++) {
		if (!((index_used[i / 64] >> (i % 64)) & 1)) {
			index_used[i / 64] |= (uint64_t)1 << (i % 64);
			idx = i;
		}
	}
	vm_unlock(&index_lock);
	if (idx != 0) {
		vm_tindex = idx;
		pthread_setspecific(exit_key, (void *)(uintptr_t)idx);
	}
	return idx;
}

static void
release_index(uint32_t idx)
{
	vm_lock(&index_lock);
	index_used[idx / 64] &= ~((uint64_t)1 << (idx % 64));
	vm_unlock(&index_lock);
}

static tcache_t *
cache_at(VMEM *vmp, uint32_t idx)
{
	return tc_real(atomic_load_explicit(&vmp->tcaches[idx],
			memory_order_acquire));
}

static run_t *
cache_run(VMEM *vmp, tcache_t *tc)
{
	return region_run(&vmp->region, region_page(&vmp->region, tc));
}

tcache_t *
pool_tcache(VMEM *vmp)
{
	pthread_once(&setup_once, setup);
	if (!caches_enabled)
		return NULL;
	uint32_t idx = thread_index();
	if (idx == 0)
		return NULL;
	tcache_t *tc = cache_at(vmp, idx);
	if (tc != NULL)
		return tc;
	run_t *run = extents_alloc(&vmp->extents, &vmp->region,
			VM_PAGES(tcache_bytes()), VM_PAGE, RUN_LARGE);
	if (run == NULL)
		return NULL;	/* no room: this thread goes uncached */
	tc = region_addr(&vmp->region, region_run_page(&vmp->region, run));
	/* large runs cached by one thread: at most 1/32 of the pool, 32 MiB */
	uint64_t budget = vmp->region.size / 32;
	if (budget > ((uint64_t)32 << 20))
		budget = (uint64_t)32 << 20;
	tcache_init(tc, idx, budget, vmp->cache_key);
	extents_set_cls(&vmp->extents, &vmp->region, run, RUN_CLS_TCACHE);
	vm_lock(&vmp->tc_lock);
	if (idx > vmp->tc_top)
		vmp->tc_top = idx;
	vmp->ncaches++;
	atomic_store_explicit(&vmp->tcaches[idx], tc, memory_order_release);
	vm_unlock(&vmp->tc_lock);
	return tc;
}

void
pool_caches_freeze(VMEM *vmp)
{
	vm_lock(&vmp->tc_lock);
	if (vmp->ncaches == 0)
		return;
	for (uint32_t i = 1; i <= vmp->tc_top; i++) {
		tcache_t *tc = cache_at(vmp, i);
		if (tc != NULL)
			atomic_store(&tc->steal_req, 1);
	}
	barrier_all_threads();
	for (uint32_t i = 1; i <= vmp->tc_top; i++) {
		tcache_t *tc = cache_at(vmp, i);
		if (tc == NULL)
			continue;
		for (unsigned spins = 0; atomic_load_explicit(&tc->in_op,
				memory_order_acquire) != 0; spins++)
			if (spins > 64)
				sched_yield();
	}
}

void
pool_caches_thaw(VMEM *vmp)
{
	for (uint32_t i = 1; i <= vmp->tc_top; i++) {
		tcache_t *tc = cache_at(vmp, i);
		if (tc != NULL)
			atomic_store_explicit(&tc->steal_req, 0,
					memory_order_release);
	}
	vm_unlock(&vmp->tc_lock);
}

void
pool_caches_wait(VMEM *vmp)
{
	vm_lock(&vmp->tc_lock);
	vm_unlock(&vmp->tc_lock);
}

size_t
pool_caches_drain(VMEM *vmp)
{
	size_t n = 0;
	pool_caches_freeze(vmp);
	for (uint32_t i = 1; i <= vmp->tc_top; i++) {
		tcache_t *tc = cache_at(vmp, i);
		if (tc != NULL)
			n += tcache_flush_all(tc, vmp->bins, &vmp->region,
					&vmp->extents);
	}
	pool_caches_thaw(vmp);
	return n;
}

/* empties and frees the cache of thread idx; caller holds tc_lock */
static void
drop_cache_locked(VMEM *vmp, uint32_t idx)
{
	tcache_t *tc = cache_at(vmp, idx);
	if (tc == NULL)
		return;
	tcache_flush_all(tc, vmp->bins, &vmp->region, &vmp->extents);
	atomic_store_explicit(&vmp->tcaches[idx], &tc_none,
			memory_order_relaxed);
	vmp->ncaches--;
	extents_free(&vmp->extents, &vmp->region, cache_run(vmp, tc));
}

static void
drop_my_cache(VMEM *vmp)
{
	vm_lock(&vmp->tc_lock);
	drop_cache_locked(vmp, vm_tindex);
	vm_unlock(&vmp->tc_lock);
}

/* the pthread key destructor: the exiting thread's caches go back */
static void
thread_exit(void *arg)
{
	uint32_t idx = (uint32_t)(uintptr_t)arg;
	vm_tindex = idx;
	vm_lock(&registry_lock);
	registry_foreach(drop_my_cache);
	vm_unlock(&registry_lock);
	vm_tindex = 0;
	release_index(idx);
}

/* in a fork child: only the forking thread exists; its cache stays */
static void
drop_other_caches(VMEM *vmp)
{
	for (uint32_t i = 1; i <= vmp->tc_top; i++)
		if (i != vm_tindex)
			drop_cache_locked(vmp, i);
	tcache_t *mine = vm_tindex != 0 ? cache_at(vmp, vm_tindex) : NULL;
	if (mine != NULL) {
		atomic_store(&mine->steal_req, 0);
		atomic_store(&mine->in_op, 0);
	}
}

void
thread_fork_child(void)
{
	registry_foreach(drop_other_caches);
	vm_lock_init(&index_lock);
	for (size_t i = 0; i < VM_ARRAY_LEN(index_used); i++)
		index_used[i] = 0;
	if (vm_tindex != 0)
		index_used[vm_tindex / 64] |= (uint64_t)1 << (vm_tindex % 64);
}
