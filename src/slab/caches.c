/*
 * caches.c -- the threads' caches of a pool (see caches.h): thread
 * indices, a thread's cache made on first use, taking every cache from its
 * owner (freeze, drain, the searches of the double-free checks), giving a
 * thread's caches back when it exits, and dropping the caches of the
 * threads a fork child does not have.
 *
 * Owns: the thread index allocator (index_used, under index_lock), each
 * thread's index (vm_tindex, 0 until the thread first needs a cache), the
 * pthread key whose destructor runs at thread exit and the hook it calls,
 * and whether caches can be used at all.
 * Lock order: the registry lock, then a pool's tc_lock, then bins, extents.
 */
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "slab/caches.h"

VM_TLS uint32_t vm_tindex;
VM_TLS uint32_t vm_tfast;

static vm_lock_t index_lock = VM_LOCK_INITIALIZER_RANKED(
		VM_RANK_THREAD_INDEX, "the thread index lock");
static uint64_t index_used[TC_MAX_THREADS / 64 + 1];
static pthread_key_t exit_key;
static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
static bool caches_enabled;
static void (*exit_hook)(void);

static void thread_exit(void *arg);

/* this thread's index is idx (0: none) */
static void
set_index(uint32_t idx)
{
	vm_tindex = idx;
	vm_tfast = vm_vg_any ? 0 : idx;
}

static void
setup(void)
{
	/* every thread enters tc_none's in_op under Valgrind (vm_tfast) */
	if (VM_VALGRIND && vm_vg_sync)
		vm_vg_benign(&tc_none, 2 * sizeof(atomic_uint));
	caches_enabled = TC_SEQ_CST || VM_SYS("membarrier", EPERM, -1,
			syscall(__NR_membarrier,
			MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0)) == 0;
	if (caches_enabled && VM_SYS("pthread_key_create", EAGAIN, EAGAIN,
			pthread_key_create(&exit_key, thread_exit)) != 0)
		caches_enabled = false;
	/* helgrind and drd do not see pthread_once's order: told here
	 * and after each pthread_once */
	if (VM_VALGRIND && vm_vg_sync)
		vm_vg_before(&setup_once);
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
		set_index(idx);
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
cache_at(slabs_t *s, uint32_t idx)
{
	return tc_real(atomic_load_explicit(&s->tcaches[idx],
			memory_order_acquire));
}

/* pages of pool per slot of the spare area (8 MiB), and the bounds */
#define AREA_PAGES_PER_SLOT	2048
#define AREA_MIN_SLOTS		2
#define AREA_MAX_SLOTS		16

uint32_t
caches_area_slots(uint32_t npages)
{
	uint32_t n = npages / AREA_PAGES_PER_SLOT;
	return n < AREA_MIN_SLOTS ? AREA_MIN_SLOTS :
			n > AREA_MAX_SLOTS ? AREA_MAX_SLOTS : n;
}

size_t
caches_area_bytes(uint32_t npages)
{
	return caches_area_slots(npages) * VM_ALIGN_UP(tcache_bytes(), VM_PAGE);
}

/* the byte offset in the region of slot i of the spare area */
static size_t
slot_offset(const slabs_t *s, uint32_t i)
{
	return s->rg->plan.spare_off + (size_t)i * s->slot_bytes;
}

/* the slot tc is in, or nslots if it is a run of the data area */
static uint32_t
slot_of(const slabs_t *s, const tcache_t *tc)
{
	size_t off = (uintptr_t)tc - s->rg->base;
	if (off < s->rg->plan.spare_off)
		return s->nslots;
	size_t i = (off - s->rg->plan.spare_off) / s->slot_bytes;
	return i < s->nslots ? (uint32_t)i : s->nslots;
}

int
caches_slot_of(const slabs_t *s, const tcache_t *tc)
{
	uint32_t i = slot_of(s, tc);
	return i < s->nslots ? (int)i : -1;
}

int
caches_slot_ranges(const slabs_t *s,
		int (*fn)(void *arg, size_t off, size_t len), void *arg)
{
	for (uint32_t i = 0; i < s->nslots; i++)
		if (((s->slots_used >> i) & 1) &&
				fn(arg, slot_offset(s, i), s->slot_bytes) != 0)
			return -1;
	return 0;
}

/* room for a new cache: a free slot (reserved on its first use), else a
 * run at the top of the data area; NULL if there is none. Under tc_lock */
static tcache_t *
cache_memory(slabs_t *s)
{
	for (uint32_t i = 0; i < s->nslots; i++) {
		uint32_t bit = (uint32_t)1 << i;
		if (s->slots_used & bit)
			continue;
		if (!(s->slots_reserved & bit)) {
			if (!extents_reserve_spare(s->ex, slot_offset(s, i),
					s->slot_bytes))
				break;	/* a full file system: try a run */
			s->slots_reserved |= bit;
		}
		s->slots_used |= bit;
		return (tcache_t *)(s->rg->base + slot_offset(s, i));
	}
	run_t *run = extents_alloc_cache(s->ex, s->rg,
			VM_PAGES(tcache_bytes()));
	if (run == NULL)
		return NULL;
	s->ncache_runs++;
	return region_addr(s->rg, region_run_page(s->rg, run));
}

/* gives back the room of cache tc; under tc_lock */
static void
cache_memory_free(slabs_t *s, tcache_t *tc)
{
	uint32_t i = slot_of(s, tc);
	if (i < s->nslots) {
		s->slots_used &= ~((uint32_t)1 << i);
		return;
	}
	s->ncache_runs--;
	extents_free(s->ex, s->rg, region_run(s->rg, region_page(s->rg, tc)));
}

/* this thread's cache of s, made on first use; NULL if it cannot have one */
static tcache_t *
cache_mine_or_new(slabs_t *s)
{
	pthread_once(&setup_once, setup);
	if (VM_VALGRIND && vm_unlikely(vm_vg_sync))
		vm_vg_after(&setup_once);
	if (!caches_enabled)
		return NULL;
	uint32_t idx = thread_index();
	if (idx == 0)
		return NULL;
	tcache_t *tc = cache_at(s, idx);
	if (tc != NULL)
		return tc;
	vm_lock(&s->tc_lock);
	tc = cache_memory(s);
	if (tc != NULL) {	/* else no room: this thread goes uncached */
		tcache_init(tc, idx, s->large_budget, s->large_key);
		if (idx > s->tc_top)
			s->tc_top = idx;
		s->ncaches++;
		atomic_store_explicit(&s->tcaches[idx], tc,
				memory_order_release);
	}
	vm_unlock(&s->tc_lock);
	return tc;
}

VM_NOINLINE tcache_t *
caches_enter_slow(slabs_t *s)
{
	tcache_t *tc = tc_real(caches_mine(s));
	if (vm_unlikely(tc == NULL) && (tc = cache_mine_or_new(s)) == NULL)
		return NULL;
	for (;;) {
		tc_enter(tc);
		if (vm_likely(!tc_stolen(tc))) {
			/* what the last stealer did to it comes first */
			if (VM_VALGRIND && vm_unlikely(vm_vg_sync))
				vm_vg_after(&tc->steal_req);
			return tc;
		}
		tc_exit(tc);
		caches_wait(s);
	}
}

void
caches_leave_told(tcache_t *tc)
{
	vm_vg_before(tc);	/* before the exit a stealer waits for */
	tc_exit(tc);
}

void
caches_freeze(slabs_t *s)
{
	vm_lock(&s->tc_lock);
	if (s->ncaches == 0)
		return;
	for (uint32_t i = 1; i <= s->tc_top; i++) {
		tcache_t *tc = cache_at(s, i);
		if (tc != NULL)
			atomic_store(&tc->steal_req, 1);
	}
	barrier_all_threads();
	for (uint32_t i = 1; i <= s->tc_top; i++) {
		tcache_t *tc = cache_at(s, i);
		if (tc == NULL)
			continue;
		for (unsigned spins = 0; atomic_load_explicit(&tc->in_op,
				memory_order_acquire) != 0; spins++)
			if (spins > 64)
				sched_yield();
		/* what its owner did inside it comes first (caches_leave) */
		if (VM_VALGRIND && vm_unlikely(vm_vg_sync))
			vm_vg_after(tc);
	}
}

void
caches_thaw(slabs_t *s)
{
	for (uint32_t i = 1; i <= s->tc_top; i++) {
		tcache_t *tc = cache_at(s, i);
		if (tc == NULL)
			continue;
		if (VM_VALGRIND && vm_unlikely(vm_vg_sync))
			vm_vg_before(&tc->steal_req);
		atomic_store_explicit(&tc->steal_req, 0, memory_order_release);
	}
	vm_unlock(&s->tc_lock);
}

void
caches_wait(slabs_t *s)
{
	vm_lock(&s->tc_lock);
	vm_unlock(&s->tc_lock);
}

bool
caches_hold_small(slabs_t *s, unsigned cls, const void *addr)
{
	for (uint32_t i = 1; i <= s->tc_top; i++) {
		const tcache_t *tc = caches_frozen_at(s, i);
		if (tc != NULL && tcache_holds(tc, cls, addr))
			return true;
	}
	return false;
}

bool
caches_search_large(slabs_t *s, const run_t *run, const void *addr)
{
	bool held = false;
	caches_freeze(s);
	for (uint32_t i = 1; i <= s->tc_top && !held; i++) {
		const tcache_t *tc = caches_frozen_at(s, i);
		held = tc != NULL && lcache_holds(&tc->large, run->npages,
				addr);
	}
	caches_thaw(s);
	return held;
}

size_t
caches_drain(slabs_t *s)
{
	size_t n = 0;
	caches_freeze(s);
	for (uint32_t i = 1; i <= s->tc_top; i++) {
		tcache_t *tc = cache_at(s, i);
		if (tc != NULL)
			n += tcache_flush_all(tc, s->bins, s->rg, s->ex,
					false);
	}
	caches_thaw(s);
	return n;
}

/*
 * Empties and frees the cache of thread idx; caller holds tc_lock. Its
 * slab lists are closed first; a bin that looked the cache up before it
 * left tcaches[] did so under its lock, so taking every bin lock once
 * more before the memory goes waits for any such reader (slabs.c).
 */
static void
drop_cache_locked(slabs_t *s, uint32_t idx)
{
	tcache_t *tc = cache_at(s, idx);
	if (tc == NULL)
		return;
	tcache_flush_all(tc, s->bins, s->rg, s->ex, true);
	atomic_store_explicit(&s->tcaches[idx], &tc_none,
			memory_order_release);
	s->ncaches--;
	for (unsigned c = 0; c < SC_NCLASSES; c++) {
		vm_lock(&s->bins[c].lock);
		vm_unlock(&s->bins[c].lock);
	}
	cache_memory_free(s, tc);
}

void
caches_drop_mine(slabs_t *s)
{
	vm_lock(&s->tc_lock);
	drop_cache_locked(s, vm_tindex);
	vm_unlock(&s->tc_lock);
}

void
caches_set_exit_hook(void (*hook)(void))
{
	if (exit_hook != hook)	/* set once (by the first pool) */
		exit_hook = hook;
}

/* the pthread key destructor: the exiting thread's caches go back */
static void
thread_exit(void *arg)
{
	uint32_t idx = (uint32_t)(uintptr_t)arg;
	set_index(idx);
	if (exit_hook != NULL)
		exit_hook();
	set_index(0);
	release_index(idx);
}

void
caches_fork_child(slabs_t *s)
{
	for (uint32_t i = 1; i <= s->tc_top; i++)
		if (i != vm_tindex)
			drop_cache_locked(s, i);
	tcache_t *mine = vm_tindex != 0 ? cache_at(s, vm_tindex) : NULL;
	if (mine != NULL) {
		atomic_store(&mine->steal_req, 0);
		atomic_store(&mine->in_op, 0);
	}
}

void
caches_fork_child_indices(void)
{
	vm_lock_reset(&index_lock);
	for (size_t i = 0; i < VM_ARRAY_LEN(index_used); i++)
		index_used[i] = 0;
	if (vm_tindex != 0)
		index_used[vm_tindex / 64] |= (uint64_t)1 << (vm_tindex % 64);
}
