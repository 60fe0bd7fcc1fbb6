/*
 * fastpath.h -- malloc's and free's fast paths, inline, for the two callers
 * that have a pool in hand: the pool API (api.c: vmem_malloc, vmem_free)
 * and libvmmalloc's malloc family (interpose/malloc.c), which then pays no
 * call on its way to the thread cache.
 *
 * Owns no state. Everything the fast paths do not serve goes to the slow
 * paths in api.c (pool_malloc_slow, pool_free_slow, pool_free_full).
 * Invariants kept: a pointer reaches a cache only if the page map names a
 * slab (or a short large run), it starts an object there and carries no
 * tag of a free object (which every free small object has, slab.h; a
 * large run's mark likewise); no lock and no atomic
 * read-modify-write is taken (the stealer handshake is a store and a load,
 * tcache.h).
 */
#ifndef VM_FASTPATH_H
#define VM_FASTPATH_H

#include "pool/vmem.h"

/* malloc when the cache had no object, or size is large */
void *pool_malloc_slow(VMEM *vmp, size_t size);
/* free of anything the fast path did not take (a pointer outside the pool
 * too: an error then) */
void pool_free_slow(VMEM *vmp, void *ptr);
/* the end of free when the stack of cls is full: half of it goes back to
 * the bin, then ptr (checked) is pushed; called inside the cache
 * (tc_enter), leaves it. With tc_none (whose stacks are all full), it
 * leaves and frees through pool_free_slow, which makes a cache */
void pool_free_full(VMEM *vmp, tcache_t *tc, unsigned cls, void *ptr);

/*
 * Starts fetching the cache line at p for writing (PREFETCHW: the line
 * comes exclusive, so the store that follows the load needs no second
 * transfer when another core wrote it last; a no-op where the CPU lacks
 * it). GCC emits PREFETCHW for __builtin_prefetch(p, 1) only when built
 * for such a CPU, hence the asm on x86-64.
 */
VM_INLINE void
vm_prefetch_write(const void *p)
{
#if defined(__x86_64__)
	__asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
#else
	__builtin_prefetch(p, 1);
#endif
}

/* makes the compiler hold p's value in a register from here on, where it
 * would otherwise recompute it for each use in another address mode */
#define vm_materialize(p)	__asm__("" : "+r"(p))

/* pops from this thread's cache; the rest goes to pool_malloc_slow */
VM_INLINE void *
pool_malloc(VMEM *vmp, size_t size)
{
	unsigned cls;
	if (vm_likely(size <= 1024))	/* one test for the commonest sizes */
		cls = sc_lookup[(size + 15) >> 4];
	else if (size <= SC_SMALL_MAX)
		cls = sc_class_compute(size);
	else
		return pool_malloc_slow(vmp, size);
	if (vm_log_level() < 4) {
		tcache_t *tc = thread_cache(vmp);	/* or tc_none */
		tc_bin_t *b = &tc->bins[cls];
		vm_materialize(b);
		tc_enter(tc);
		void **top;
		if (vm_likely(!tc_stolen(tc)) &&
				vm_likely((top = b->top) != b->objs)) {
			void *p = top[-1];
			b->top = top - 1;
			tc_exit(tc);
			slab_tag_clear(p);
			return p;
		}
		tc_exit(tc);
	}
	return pool_malloc_slow(vmp, size);
}

/*
 * The large object ptr, whose page's entry is e (a RUN_LARGE one), into
 * the cache tc; false if it did not go there: ptr does not start a large
 * object, the run is too short or too long or holds a cache (the entry
 * says so: its len is 0 or out of range), it carries the mark of a cached
 * run (the slow path finds out whether it is one), or the cache is full.
 * The run record is not read.
 */
VM_INLINE bool
pool_large_cached_free(VMEM *vmp, tcache_t *tc, uint64_t e, uintptr_t off,
		void *ptr)
{
	region_t *rg = &vmp->region;
	uint32_t npages = pagemap_entry_len(e);
	if (npages - TC_LARGE_MIN_PAGES >
			TC_LARGE_MAX_PAGES - TC_LARGE_MIN_PAGES ||
			(uintptr_t)region_run_page(rg, pagemap_entry_run(e)) <<
			VM_PAGE_SHIFT != off ||
			tc_lmarked(vmp->cache_key, ptr))
		return false;
	tc_enter(tc);
	bool cached = !tc_stolen(tc) && tcache_large_push(tc, ptr, npages);
	tc_exit(tc);
	return cached;
}

/*
 * True if ptr, at byte off of the region, whose page's entry less RUN_SLAB
 * is slab (a slab's entry: its low bits then clear), starts an object of
 * that slab and carries no tag (with key, the pool's stag_key) of a free
 * object (every free small object has one, slab.h): free's test that ptr
 * is live, realloc's too.
 */
VM_INLINE bool
slab_ptr_live(uint64_t key, uint64_t slab, uintptr_t off, const void *ptr)
{
	return sc_starts_object16(pagemap_slab_cls16(slab),
			off - pagemap_slab_start(slab)) &&
			!slab_tagged(key, ptr);
}

/*
 * Pushes ptr to this thread's cache after the checks above; false, with
 * nothing done, when the fast path cannot take it (then the caller calls
 * pool_free_slow, or, for a pointer outside the pool, whatever owns it).
 */
VM_INLINE bool
pool_free_fast(VMEM *vmp, void *ptr)
{
	region_t *rg = &vmp->region;
	tcache_t *tc = thread_cache(vmp);
	/* pages of the metadata carry no page map entry: the kind test
	 * below turns them away, so the range test is the whole region */
	uintptr_t off = (uintptr_t)ptr - rg->base;
	/* the object's first line is read and written below (a small
	 * object's tag, a large one's mark), after the page map's loads:
	 * start its miss now, alongside theirs (a prefetch never faults) */
	vm_prefetch_write(ptr);
	if (vm_unlikely(off >= rg->size) || vm_log_level() >= 4)
		return false;
	uint64_t e = pagemap_get_at(&rg->pagemap, off);
	/* a slab's entry less RUN_SLAB has its low bits clear, and holds
	 * the slab's first byte and its class (pagemap.h) */
	uint64_t slab = e - RUN_SLAB;
	if (vm_unlikely((slab & RUN_KIND_MASK) != 0))
		return pagemap_entry_kind(e) == RUN_LARGE &&
				pool_large_cached_free(vmp, tc, e, off, ptr);
	/* a tagged one may have been freed twice: the slow path looks */
	uint64_t key = vmp->stag_key;
	if (vm_unlikely(!slab_ptr_live(key, slab, off, ptr)))
		return false;
	size_t cls16 = pagemap_slab_cls16(slab);
	/* &tc->bins[class], a tc_bin_t being 32 bytes */
	tc_bin_t *b = (tc_bin_t *)((char *)tc->bins + cls16 * 2);
	tc_enter(tc);
	if (vm_likely(!tc_stolen(tc))) {
		void **top = b->top;
		if (vm_unlikely(top == b->end)) {
			pool_free_full(vmp, tc, (unsigned)(cls16 / 16),
					ptr);
			return true;
		}
		/* tagged while no stealer can hand it out */
		slab_tag_set(key, ptr);
		*top = ptr;
		b->top = top + 1;
		tc_exit(tc);
		return true;
	}
	tc_exit(tc);
	return false;
}

#endif /* VM_FASTPATH_H */
