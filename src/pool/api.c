/*
 * api.c -- the object functions libvmem exports: malloc, free and
 * friends, and the slow paths of the inline fast paths (fastpath.h).
 *
 * Owns no state. Each function takes its fast path where it has one,
 * then either does the work in objects.c or, under memcheck (base/vg.h),
 * hands the call to mc_objects.c, which does the same work and tells
 * memcheck what it did (calloc, strdup and wcsdup are malloc and a store,
 * and need nothing of their own). realloc is here: it is made of the
 * others, through the thread cache both ways.
 */
#include <errno.h>
#include <string.h>
#include <wchar.h>

#include "pool/fastpath.h"
#include "pool/objects.h"

VM_NOINLINE void *
pool_malloc_slow(VMEM *vmp, size_t size)
{
	if (VM_VALGRIND && vm_unlikely(vm_vg_memcheck))
		return mc_malloc(vmp, size);
	return pool_malloc_plain(vmp, size);
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
	if (VM_VALGRIND && vm_unlikely(vm_vg_memcheck))
		mc_free(vmp, ptr);
	else
		pool_free_plain(vmp, ptr);
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
	size_t old = pool_object_size(run);
	memcpy(q, ptr, old < size ? old : size);
	pool_large_free(vmp, run, ptr);
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
	if (VM_VALGRIND && vm_unlikely(vm_vg_memcheck))
		return mc_realloc(vmp, ptr, size);
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
			return pool_out_of_memory(size);
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
	if (q == NULL && size < pool_object_size(run) &&
			extents_resize(&vmp->extents, &vmp->region, run,
			VM_PAGES(size)))
		return ptr;	/* shrinking to small with no room for a copy */
	return q != NULL ? q : pool_out_of_memory(size);
}

VM_EXPORT void *
vmem_aligned_alloc(VMEM *vmp, size_t alignment, size_t size)
{
	vm_assert(vmp != NULL && vmp->magic == VMEM_MAGIC);
	if (VM_VALGRIND && vm_unlikely(vm_vg_memcheck))
		return mc_aligned_alloc(vmp, alignment, size);
	return pool_aligned_plain(vmp, alignment, size);
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
	if (VM_VALGRIND && vm_unlikely(vm_vg_memcheck))
		return mc_usable_size(vmp, ptr);
	return pool_usable_plain(vmp, ptr);
}
