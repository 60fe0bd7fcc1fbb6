/*
 * fastpath.h -- malloc's and free's fast paths, inline, for the two callers
 * that have a pool in hand: the pool API (api.c: vmem_malloc, vmem_free)
 * and libvmmalloc's malloc family (interpose/malloc.c), which then pays no
 * call on its way to the thread cache.
 *
 * Owns no state. Each decides small or large once, from the size or from
 * the page map, and hands the rest to the layer that owns the object: the
 * slab layer's cache for small objects (slab/small.h: the object-start and
 * tag checks, the push and pop), the thread cache's buckets of large runs
 * for large ones (slab/tcache.h, with the large layer's checks). Whatever
 * they do not take goes to the slow paths in api.c (pool_malloc_slow,
 * pool_free_slow).
 * Invariants kept: a pointer reaches a cache only if the page map names a
 * slab (or a short large run) and the owning layer's checks pass; no lock
 * and no atomic read-modify-write is taken.
 * Thread safety: any thread, no lock (the caches' owner protocol).
 */
#ifndef VM_FASTPATH_H
#define VM_FASTPATH_H

#include "pool/vmem.h"

/* malloc when the cache had no object, or size is large */
void *pool_malloc_slow(VMEM *vmp, size_t size);
/* debug level 3: counts an operation, and every VMEM_CHECK_EVERY-th runs
 * vmem_check, stopping the program if the pool is damaged (check_every.c) */
void pool_check_tick(VMEM *vmp);
/* free of anything the fast path did not take (a pointer outside the pool
 * too: an error then) */
void pool_free_slow(VMEM *vmp, void *ptr);

/* pops from this thread's cache; the rest goes to pool_malloc_slow */
VM_INLINE void *
pool_malloc(VMEM *vmp, size_t size)
{
	unsigned cls;
	if (VM_DEBUG >= 3)
		pool_check_tick(vmp);
	if (vm_likely(size <= 1024))	/* one test for the commonest sizes */
		cls = sc_lookup[(size + 15) >> 4];
	else if (size <= SC_SMALL_MAX)
		cls = sc_class_compute(size);
	else
		return pool_malloc_slow(vmp, size);
	void *p;
	if (vm_log_level() < 4 && vm_likely(small_malloc_fast(
			caches_mine(&vmp->slabs), cls, &p)))
		return p;
	return pool_malloc_slow(vmp, size);
}

/*
 * Pushes ptr to this thread's cache after the owning layer's checks;
 * false, with nothing done, when the fast path cannot take it (then the
 * caller calls pool_free_slow, or, for a pointer outside the pool,
 * whatever owns it).
 */
VM_INLINE bool
pool_free_fast(VMEM *vmp, void *ptr)
{
	if (VM_DEBUG >= 3)
		pool_check_tick(vmp);
	region_t *rg = &vmp->region;
	tcache_t *tc = caches_mine(&vmp->slabs);	/* or tc_none */
	/* pages of the metadata carry no page map entry: the kind test
	 * below turns them away, so the range test is the whole region
	 * (fast_size: none of it under Valgrind, vmem.h) */
	uintptr_t off = (uintptr_t)ptr - rg->base;
	/* the object's first line is read and written below (a small
	 * object's tag, a large one's mark), after the page map's loads:
	 * start its miss now, alongside theirs (a prefetch never faults) */
	vm_prefetch_write(ptr);
	if (vm_unlikely(off >= vmp->fast_size) || vm_log_level() >= 4)
		return false;
	uint64_t e = pagemap_get_at(&rg->pagemap, off);
	if (vm_unlikely(!pagemap_entry_is_slab(e)))
		return pagemap_entry_kind(e) == RUN_LARGE &&
				tcache_free_large(tc, rg, vmp->slabs.large_key,
				e, off, ptr);
	return small_free_fast(&vmp->slabs, tc, e, off, ptr);
}

#endif /* VM_FASTPATH_H */
