/*
 * objects.c -- the object functions' work that is not inline in
 * objects.h: allocation from the bins and the extent manager, finding an
 * object's run, aligned allocation, usable size, resizing in place, and
 * the message of a full pool.
 * Owns no state.
 * Thread safety: any thread; the layers below take their locks.
 */
#include <errno.h>

#include "pool/objects.h"

VM_COLD void *
pool_out_of_memory(size_t size)
{
	vm_err("out of memory: no room for %zu bytes in the pool", size);
	errno = ENOMEM;
	return NULL;
}

/* a small object of class cls, giving reserves back if the pool is full */
static void *
pool_small_alloc(VMEM *vmp, unsigned cls)
{
	void *p = small_malloc(&vmp->slabs, cls);
	if (vm_unlikely(p == NULL) && pool_reclaim(vmp) > 0)
		p = small_malloc_uncached(&vmp->slabs, cls);
	return p;
}

/* a large object of size bytes aligned to align, giving reserves back if
 * the pool is full */
void *
pool_large_alloc(VMEM *vmp, size_t size, size_t align)
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
void *
pool_alloc(VMEM *vmp, size_t size)
{
	if (vm_likely(size <= SC_SMALL_MAX))
		return pool_small_alloc(vmp, sc_class(size));
	return pool_large_alloc(vmp, size, VM_PAGE);
}

/*
 * The run owning the live object that starts at ptr, or NULL (message
 * set): a slab (its own checks come later, slab/small.h), or a large run
 * that starts at ptr and sits in no thread's cache.
 */
run_t *
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

bool
pool_resize_in_place(VMEM *vmp, void *ptr, size_t size)
{
	run_t *run = pool_object_run(vmp, ptr);
	if (run == NULL)
		return false;
	if (run->kind == RUN_SLAB)
		return size <= SC_SMALL_MAX && sc_class(size) == run->cls;
	return size > SC_SMALL_MAX && size <= SIZE_MAX - VM_PAGE &&
			extents_resize(&vmp->extents, &vmp->region, run,
			VM_PAGES(size));
}

void *
pool_aligned_plain(VMEM *vmp, size_t alignment, size_t size)
{
	if (!VM_IS_POW2(alignment)) {
		vm_err("alignment %zu is not a power of two", alignment);
		errno = EINVAL;
		return NULL;
	}
	if (size > SIZE_MAX - alignment - VM_PAGE)
		return pool_out_of_memory(size);
	void *p;
	if (alignment <= VM_MIN_ALIGN) {
		p = pool_alloc(vmp, size);
	} else if (alignment <= VM_PAGE &&
			VM_ALIGN_UP(size ? size : 1, alignment) <= SC_SMALL_MAX) {
		/* a class whose size is a multiple of alignment: every object
		 * of its page-aligned slabs is aligned */
		unsigned cls = sc_class(VM_ALIGN_UP(size ? size : 1, alignment));
		vm_assert_internal(sc_table[cls].size % alignment == 0);
		p = pool_small_alloc(vmp, cls);
	} else {
		p = pool_large_alloc(vmp, size, alignment);
	}
	if (p == NULL)
		return pool_out_of_memory(size);
	vm_assert_internal(((uintptr_t)p & (alignment - 1)) == 0);
	return p;
}

size_t
pool_usable_plain(VMEM *vmp, void *ptr)
{
	if (ptr == NULL)
		return 0;
	run_t *run = pool_object_run(vmp, ptr);
	if (run == NULL)
		return 0;
	/* a freed object is refused too, wherever it sits (man page) */
	if (run->kind == RUN_SLAB && !small_unfreed(&vmp->slabs, run, ptr))
		return 0;
	return pool_object_size(run);
}

