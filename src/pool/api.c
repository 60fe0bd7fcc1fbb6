/*
 * api.c -- the object functions of libvmem: malloc, free and friends.
 *
 * Owns no state. Small requests (up to SC_SMALL_MAX) go to the bin of their
 * size class, larger ones to the extent manager as whole pages. When the
 * pool has no room, the slabs the bins keep in reserve are given back and
 * the request is tried once more before it fails with ENOMEM.
 */
#include <errno.h>
#include <string.h>
#include <wchar.h>

#include "pool/fastpath.h"

VM_COLD static void *
out_of_memory(size_t size)
{
	vm_err("out of memory: no room for %zu bytes in the pool", size);
	errno = ENOMEM;
	return NULL;
}

/* enters this thread's cache of vmp, waiting out a stealer; NULL if none */
static tcache_t *
cache_enter(VMEM *vmp)
{
	tcache_t *tc = tc_real(thread_cache(vmp));
	if (vm_unlikely(tc == NULL) && (tc = pool_tcache(vmp)) == NULL)
		return NULL;
	for (;;) {
		tc_enter(tc);
		if (vm_likely(!tc_stolen(tc)))
			return tc;
		tc_exit(tc);
		pool_caches_wait(vmp);
	}
}

/* a small object of class cls, giving reserves back if the pool is full */
static void *
small_alloc(VMEM *vmp, unsigned cls)
{
	bin_t *bin = &vmp->bins[cls];
	tcache_t *tc = cache_enter(vmp);
	if (tc != NULL) {
		void *p = tcache_refill(tc, cls, bin, &vmp->region,
				&vmp->extents);
		tc_exit(tc);
		if (vm_likely(p != NULL)) {
			slab_tag_clear(p);
			return p;
		}
	}
	/* no cache, or no room for a batch: one object, after a reclaim */
	void *p = bin_malloc(bin, &vmp->region, &vmp->extents);
	if (vm_unlikely(p == NULL) && pool_reclaim(vmp) > 0)
		p = bin_malloc(bin, &vmp->region, &vmp->extents);
	if (p != NULL)
		slab_tag_clear(p);
	return p;
}

static void *
large_alloc(VMEM *vmp, size_t size, size_t align)
{
	if (size > SIZE_MAX - VM_PAGE)
		return NULL;
	size_t npages = size == 0 ? 1 : VM_PAGES(size);
	if (npages >= TC_LARGE_MIN_PAGES && npages <= TC_LARGE_MAX_PAGES &&
			align <= VM_PAGE)
		npages = tc_lround((uint32_t)npages);
	run_t *run = extents_alloc(&vmp->extents, &vmp->region, npages, align,
			RUN_LARGE);
	if (vm_unlikely(run == NULL) && pool_reclaim(vmp) > 0)
		run = extents_alloc(&vmp->extents, &vmp->region, npages, align,
				RUN_LARGE);
	if (run == NULL)
		return NULL;
	return region_addr(&vmp->region, region_run_page(&vmp->region, run));
}

/* an object of at least size bytes, or NULL (errno not set) */
static void *
pool_alloc(VMEM *vmp, size_t size)
{
	if (vm_likely(size <= SC_SMALL_MAX))
		return small_alloc(vmp, sc_class(size));
	return large_alloc(vmp, size, VM_PAGE);
}

/*
 * True if the large run at ptr sits in a thread's cache: it carries the
 * mark (tcache.h), and a look through every cache, taken from its owner
 * for the moment, finds it there (a program may have stored the mark's
 * value in a live object).
 */
static bool
large_in_cache(VMEM *vmp, const run_t *run, const void *ptr)
{
	if (run->npages < TC_LARGE_MIN_PAGES ||
			run->npages > TC_LARGE_MAX_PAGES ||
			!tc_lmarked(vmp->cache_key, ptr))
		return false;
	pool_caches_freeze(vmp);
	bool held = tcache_holds_large(vmp->tcaches, vmp->tc_top, run, ptr);
	pool_caches_thaw(vmp);
	return held;
}

/*
 * True if the small object ptr of class cls, which carries the tag of a
 * cached object, sits in a thread's cache or on its bin's transfer stack:
 * a look through every cache, taken from its owner for the moment, and
 * the stack. Not to be called from inside this thread's cache (tc_enter).
 */
static bool
small_in_cache(VMEM *vmp, unsigned cls, const void *ptr)
{
	pool_caches_freeze(vmp);
	bool held = tcache_holds_small(vmp->tcaches, vmp->tc_top, cls, ptr) ||
			bin_xfer_holds(&vmp->bins[cls], ptr);
	pool_caches_thaw(vmp);
	return held;
}

/* the run owning the object that starts at ptr, or NULL (message set) */
static run_t *
pool_object_run(VMEM *vmp, const void *ptr)
{
	region_t *rg = &vmp->region;
	if (vm_unlikely(!region_has_data(rg, ptr))) {
		vm_err("%p is not an object of pool %p", ptr, (void *)vmp);
		return NULL;
	}
	uint32_t page = region_page(rg, ptr);
	run_t *run = region_lookup(rg, page);
	if (vm_likely(run != NULL)) {
		if (run->kind == RUN_SLAB)
			return run;
		if (run->kind == RUN_LARGE && region_run_page(rg, run) == page &&
				((uintptr_t)ptr & VM_PAGE_MASK) == 0 &&
				run->cls != RUN_CLS_TCACHE &&
				!large_in_cache(vmp, run, ptr))
			return run;
	}
	vm_err("%p is not the start of a live object of pool %p", ptr,
			(void *)vmp);
	return NULL;
}

/*
 * True unless the object ptr of the slab run is free in its slab or in a
 * thread's cache (message set then): free's test. The bitmap is read
 * without the bin lock, but, as in free, inside this thread's cache, where
 * vmem_check's marks (made with every cache taken) cannot be under way.
 */
static bool
slab_object_unfreed(VMEM *vmp, run_t *run, const void *ptr)
{
	unsigned idx;
	bool freed = !slab_index(&vmp->region, run, ptr, &idx);
	if (!freed) {
		tcache_t *tc = cache_enter(vmp);
		if (tc != NULL) {
			freed = slab_obj_is_free_nolock(run, idx);
			tc_exit(tc);
		} else {
			freed = !bin_owns(&vmp->bins[run->cls], run, ptr,
					&vmp->region);
		}
	}
	if (!freed && slab_tagged(vmp->stag_key, ptr))
		freed = small_in_cache(vmp, run->cls, ptr);
	if (!freed)
		return true;
	vm_err("%p is not a live object of pool %p", ptr, (void *)vmp);
	return false;
}

/* true if ptr is a live object of the slab run (message set if not) */
static bool
slab_object_live(VMEM *vmp, run_t *run, const void *ptr)
{
	if (bin_owns(&vmp->bins[run->cls], run, ptr, &vmp->region))
		return true;
	vm_err("%p is not a live object of pool %p", ptr, (void *)vmp);
	return false;
}

/* usable bytes of the live object ptr of run */
static size_t
object_size(const run_t *run)
{
	if (run->kind == RUN_SLAB)
		return sc_table[run->cls].size;
	return (size_t)run->npages << VM_PAGE_SHIFT;
}

/* frees ptr of run; false (message set) if it is not a live object */
static bool
object_free(VMEM *vmp, run_t *run, void *ptr)
{
	if (run->kind == RUN_SLAB) {
		if (vm_likely(bin_free(&vmp->bins[run->cls], run, ptr,
				&vmp->region, &vmp->extents)))
			return true;
		vm_err("%p is not a live object of pool %p (double free?)",
				ptr, (void *)vmp);
		return false;
	}
	if (vm_likely(extents_free(&vmp->extents, &vmp->region, run)))
		return true;
	vm_err("%p is not a live object of pool %p (double free?)", ptr,
			(void *)vmp);
	return false;
}

/* a large object from this thread's cache of runs, or NULL */
static void *
large_cached_alloc(VMEM *vmp, size_t size)
{
	if (size > (size_t)TC_LARGE_MAX_PAGES << VM_PAGE_SHIFT)
		return NULL;
	tcache_t *tc = cache_enter(vmp);
	if (tc == NULL)
		return NULL;
	void *p = tcache_large_pop(tc, tc_lround((uint32_t)VM_PAGES(size)));
	tc_exit(tc);
	return p;
}

VM_NOINLINE void *
pool_malloc_slow(VMEM *vmp, size_t size)
{
	void *p = NULL;
	if (size > SC_SMALL_MAX && vm_log_level() < 4)
		p = large_cached_alloc(vmp, size);
	if (p == NULL)
		p = pool_alloc(vmp, size);
	vm_log(4, "vmp %p size %zu -> %p", (void *)vmp, size, p);
	return vm_likely(p != NULL) ? p : out_of_memory(size);
}

VM_EXPORT void *
vmem_malloc(VMEM *vmp, size_t size)
{
	vm_assert(vmp != NULL && vmp->magic == VMEM_MAGIC);
	return pool_malloc(vmp, size);
}

VM_NOINLINE void
pool_free_full(VMEM *vmp, tcache_t *tc, unsigned cls, void *ptr)
{
	if (vm_unlikely(tc == &tc_none)) {	/* no cache yet */
		tc_exit(tc);
		pool_free_slow(vmp, ptr);
		return;
	}
	tc_bin_t *b = &tc->bins[cls];
	unsigned refused = tcache_flush(tc, cls, b->cap / 2, &vmp->bins[cls],
			&vmp->region, &vmp->extents);
	slab_tag_set(vmp->stag_key, ptr);
	*b->top++ = ptr;
	tc_exit(tc);
	if (refused != 0)
		vm_err("%u objects of %u bytes were freed twice", refused,
				sc_table[cls].size);
}

/* a small object to this thread's cache; false if it has none */
static bool
cache_free(VMEM *vmp, run_t *run, unsigned idx, void *ptr)
{
	tcache_t *tc = cache_enter(vmp);
	if (tc == NULL)
		return false;
	unsigned cls = run->cls;
	tc_bin_t *b = &tc->bins[cls];
	if (slab_obj_is_free_nolock(run, idx)) {
		tc_exit(tc);
		vm_err("%p is not a live object of pool %p (double free?)",
				ptr, (void *)vmp);
		return true;
	}
	if (b->top == b->end) {
		pool_free_full(vmp, tc, cls, ptr);
		return true;
	}
	*b->top++ = ptr;
	slab_tag_set(vmp->stag_key, ptr);
	tc_exit(tc);
	return true;
}

VM_NOINLINE void
pool_free_slow(VMEM *vmp, void *ptr)
{
	vm_log(4, "vmp %p ptr %p", (void *)vmp, ptr);
	if (ptr == NULL)
		return;
	run_t *run = pool_object_run(vmp, ptr);
	if (run == NULL)
		return;
	unsigned idx;
	if (run->kind != RUN_SLAB) {
		object_free(vmp, run, ptr);
		return;
	}
	if (!slab_index(&vmp->region, run, ptr, &idx)) {
		vm_err("%p is not a live object of pool %p (not the start of "
				"an object)", ptr, (void *)vmp);
		return;
	}
	/* only now is ptr known to start an object with a second word */
	if (slab_tagged(vmp->stag_key, ptr) &&
			small_in_cache(vmp, run->cls, ptr)) {
		vm_err("%p is not a live object of pool %p (freed twice: it "
				"is in a thread's cache)", ptr, (void *)vmp);
		return;
	}
	if (!cache_free(vmp, run, idx, ptr))
		object_free(vmp, run, ptr);
}

VM_EXPORT void
vmem_free(VMEM *vmp, void *ptr)
{
	vm_assert(vmp != NULL && vmp->magic == VMEM_MAGIC);
	if (vm_unlikely(!pool_free_fast(vmp, ptr)))
		pool_free_slow(vmp, ptr);
}

VM_EXPORT void *
vmem_calloc(VMEM *vmp, size_t nmemb, size_t size)
{
	vm_assert(vmp != NULL && vmp->magic == VMEM_MAGIC);
	size_t total;
	if (__builtin_mul_overflow(nmemb, size, &total)) {
		vm_err("calloc: %zu * %zu overflows", nmemb, size);
		errno = ENOMEM;
		return NULL;
	}
	void *p = pool_malloc(vmp, total);	/* the fast path, as malloc */
	if (p != NULL)
		memset(p, 0, total);
	return p;
}

/* moves the object ptr of run to a new one of size bytes */
static void *
realloc_move(VMEM *vmp, run_t *run, void *ptr, size_t size)
{
	void *q = pool_alloc(vmp, size);
	if (q == NULL)
		return NULL;
	size_t old = object_size(run);
	memcpy(q, ptr, old < size ? old : size);
	object_free(vmp, run, ptr);
	return q;
}

/*
 * The slab of ptr if ptr starts a small object that free's fast path would
 * take as live: the page map names a slab, ptr starts an object of it that
 * carries no tag of a free object. NULL otherwise, and then the caller's
 * general path decides.
 */
static run_t *
live_small_object(VMEM *vmp, const void *ptr)
{
	region_t *rg = &vmp->region;
	uintptr_t off = (uintptr_t)ptr - rg->base;
	if (off >= rg->size)
		return NULL;
	uint64_t slab = pagemap_get_at(&rg->pagemap, off) - RUN_SLAB;
	if ((slab & RUN_KIND_MASK) != 0 ||
			!slab_ptr_live(vmp->stag_key, slab, off, ptr))
		return NULL;
	return region_run(rg, pagemap_slab_page(slab));
}

/* realloc of the live object ptr of the slab run; size > 0 */
static void *
realloc_slab_object(VMEM *vmp, const run_t *run, void *ptr, size_t size)
{
	size_t old = sc_table[run->cls].size;
	if (size <= SC_SMALL_MAX && sc_class(size) == run->cls)
		return ptr;
	/* through the thread cache both ways, as malloc and free */
	int saved_errno = errno;
	void *q = pool_malloc(vmp, size);
	if (q == NULL && size <= old) {
		errno = saved_errno;
		return ptr;	/* a shrink that found no room */
	}
	if (q == NULL)
		return NULL;
	memcpy(q, ptr, old < size ? old : size);
	if (!pool_free_fast(vmp, ptr))
		pool_free_slow(vmp, ptr);
	return q;
}

VM_EXPORT void *
vmem_realloc(VMEM *vmp, void *ptr, size_t size)
{
	vm_assert(vmp != NULL && vmp->magic == VMEM_MAGIC);
	vm_log(4, "vmp %p ptr %p size %zu", (void *)vmp, ptr, size);
	if (vm_likely(ptr != NULL && size != 0) && vm_log_level() < 4) {
		run_t *run = live_small_object(vmp, ptr);
		if (vm_likely(run != NULL))
			return realloc_slab_object(vmp, run, ptr, size);
	}
	if (ptr == NULL) {
		void *p = pool_alloc(vmp, size);
		/* a zero-byte request needs no room: on a full pool, NULL
		 * without an error */
		if (p == NULL && size != 0)
			return out_of_memory(size);
		return p;
	}
	run_t *run = pool_object_run(vmp, ptr);
	if (run == NULL || (run->kind == RUN_SLAB &&
			!slab_object_unfreed(vmp, run, ptr))) {
		errno = EINVAL;
		return NULL;
	}
	if (size == 0) {
		vmem_free(vmp, ptr);
		return NULL;
	}
	if (run->kind == RUN_SLAB)
		return realloc_slab_object(vmp, run, ptr, size);
	/* large: resize in place where the neighbour allows */
	if (size > SC_SMALL_MAX && size <= SIZE_MAX - VM_PAGE &&
			extents_resize(&vmp->extents, &vmp->region, run,
			VM_PAGES(size)))
		return ptr;
	void *q = realloc_move(vmp, run, ptr, size);
	if (q == NULL && size < object_size(run) &&
			extents_resize(&vmp->extents, &vmp->region, run,
			VM_PAGES(size)))
		return ptr;	/* shrinking to small with no room for a copy */
	return q != NULL ? q : out_of_memory(size);
}

VM_EXPORT void *
vmem_aligned_alloc(VMEM *vmp, size_t alignment, size_t size)
{
	vm_assert(vmp != NULL && vmp->magic == VMEM_MAGIC);
	if (!VM_IS_POW2(alignment)) {
		vm_err("alignment %zu is not a power of two", alignment);
		errno = EINVAL;
		return NULL;
	}
	if (size > SIZE_MAX - alignment - VM_PAGE)
		return out_of_memory(size);
	void *p;
	if (alignment <= VM_MIN_ALIGN) {
		p = pool_alloc(vmp, size);
	} else if (alignment <= VM_PAGE &&
			VM_ALIGN_UP(size ? size : 1, alignment) <= SC_SMALL_MAX) {
		/* a class whose size is a multiple of alignment: every object
		 * of its page-aligned slabs is aligned */
		unsigned cls = sc_class(VM_ALIGN_UP(size ? size : 1, alignment));
		vm_assert_internal(sc_table[cls].size % alignment == 0);
		p = small_alloc(vmp, cls);
	} else {
		p = large_alloc(vmp, size, alignment);
	}
	if (p == NULL)
		return out_of_memory(size);
	vm_assert_internal(((uintptr_t)p & (alignment - 1)) == 0);
	return p;
}

VM_EXPORT char *
vmem_strdup(VMEM *vmp, const char *s)
{
	size_t len = strlen(s) + 1;
	char *p = vmem_malloc(vmp, len);
	if (p != NULL)
		memcpy(p, s, len);
	return p;
}

VM_EXPORT wchar_t *
vmem_wcsdup(VMEM *vmp, const wchar_t *s)
{
	size_t bytes = (wcslen(s) + 1) * sizeof(wchar_t);
	wchar_t *p = vmem_malloc(vmp, bytes);
	if (p != NULL)
		memcpy(p, s, bytes);
	return p;
}

VM_EXPORT size_t
vmem_malloc_usable_size(VMEM *vmp, void *ptr)
{
	vm_assert(vmp != NULL && vmp->magic == VMEM_MAGIC);
	if (ptr == NULL)
		return 0;
	run_t *run = pool_object_run(vmp, ptr);
	if (run == NULL)
		return 0;
	if (run->kind == RUN_SLAB && !slab_object_live(vmp, run, ptr))
		return 0;
	return object_size(run);
}
