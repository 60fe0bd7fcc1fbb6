/*
 * api.c -- the object functions of libvmem: malloc, free and friends.
 *
 * Owns no state. Each call decides once whether its object is small or
 * large (by size, or by the page map) and hands it to the layer that owns
 * it: small requests (up to SC_SMALL_MAX) go to this thread's cache of
 * their class and its bin (slab/small.h), larger ones to this thread's
 * cache of large runs and the extent manager as whole pages
 * (large/object.h). When the pool has no room, what the caches and bins
 * keep in reserve is given back (pool_reclaim) and the request is tried
 * once more before it fails with ENOMEM.
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

/* a small object of class cls, giving reserves back if the pool is full */
static void *
small_alloc(VMEM *vmp, unsigned cls)
{
	void *p = small_malloc(&vmp->slabs, cls);
	if (vm_unlikely(p == NULL) && pool_reclaim(vmp) > 0)
		p = small_malloc_uncached(&vmp->slabs, cls);
	return p;
}

/* a large object of size bytes aligned to align, giving reserves back if
 * the pool is full */
static void *
large_alloc_reclaim(VMEM *vmp, size_t size, size_t align)
{
	run_t *run = large_alloc(&vmp->extents, &vmp->region, size, align);
	if (vm_unlikely(run == NULL) && size <= SIZE_MAX - VM_PAGE &&
			pool_reclaim(vmp) > 0)
		run = large_alloc(&vmp->extents, &vmp->region, size, align);
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
	return large_alloc_reclaim(vmp, size, VM_PAGE);
}

/*
 * The run owning the live object that starts at ptr, or NULL (message
 * set): a slab (its own checks come later, slab/small.h), or a large run
 * that starts at ptr and sits in no thread's cache.
 */
static run_t *
pool_object_run(VMEM *vmp, const void *ptr)
{
	region_t *rg = &vmp->region;
	if (vm_unlikely(!region_has_data(rg, ptr))) {
		vm_err("%p is not an object of pool %p", ptr, (void *)vmp);
		return NULL;
	}
	run_t *run = region_lookup(rg, region_page(rg, ptr));
	if (vm_likely(run != NULL)) {
		if (run->kind == RUN_SLAB)
			return run;
		if (large_starts_object(rg, run, ptr) &&
				!caches_hold_large(&vmp->slabs, run, ptr))
			return run;
	}
	vm_err("%p is not the start of a live object of pool %p", ptr,
			(void *)vmp);
	return NULL;
}

/* usable bytes of the live object of run */
static size_t
object_size(const run_t *run)
{
	return run->kind == RUN_SLAB ? small_size(run) : large_size(run);
}

/* frees the large object ptr of run (message if it was freed meanwhile) */
static void
large_free(VMEM *vmp, run_t *run, void *ptr)
{
	if (vm_unlikely(!extents_free(&vmp->extents, &vmp->region, run)))
		vm_err("%p is not a live object of pool %p (double free?)", ptr,
				(void *)vmp);
}

VM_NOINLINE void *
pool_malloc_slow(VMEM *vmp, size_t size)
{
	void *p = NULL;
	if (size > SC_SMALL_MAX && vm_log_level() < 4)
		p = caches_large_pop(&vmp->slabs, size);
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
pool_free_slow(VMEM *vmp, void *ptr)
{
	vm_log(4, "vmp %p ptr %p", (void *)vmp, ptr);
	if (ptr == NULL)
		return;
	run_t *run = pool_object_run(vmp, ptr);
	if (run == NULL)
		return;
	if (run->kind == RUN_SLAB)
		small_free(&vmp->slabs, run, ptr);
	else
		large_free(vmp, run, ptr);
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

/* moves the large object ptr of run to a new one of size bytes */
static void *
realloc_move(VMEM *vmp, run_t *run, void *ptr, size_t size)
{
	void *q = pool_alloc(vmp, size);
	if (q == NULL)
		return NULL;
	size_t old = object_size(run);
	memcpy(q, ptr, old < size ? old : size);
	large_free(vmp, run, ptr);
	return q;
}

/* realloc of the live object ptr of the slab run; size > 0 */
static void *
realloc_slab_object(VMEM *vmp, const run_t *run, void *ptr, size_t size)
{
	size_t old = small_size(run);
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
		run_t *run = small_live(&vmp->slabs, ptr);
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
			!small_unfreed(&vmp->slabs, run, ptr))) {
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
		p = large_alloc_reclaim(vmp, size, alignment);
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
	/* a freed object is refused too, wherever it sits (man page) */
	if (run->kind == RUN_SLAB && !small_unfreed(&vmp->slabs, run, ptr))
		return 0;
	return object_size(run);
}
