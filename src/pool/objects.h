/*
 * objects.h -- what the object functions do in the pool, told to no tool:
 * the work behind api.c's exported functions and behind mc_objects.c's,
 * which tell memcheck about it afterwards. malloc's and free's slow
 * paths are inline here, so that api.c's make no more calls than the work
 * needs; objects.c has the rest.
 *
 * Owns no state. Each function decides once whether its object is small
 * or large (by size, or by the page map) and hands it to the layer that
 * owns it: small requests (up to SC_SMALL_MAX) go to this thread's cache
 * of their class and its bin (slab/small.h), larger ones to this thread's
 * cache of large runs and the extent manager as whole pages
 * (large/object.h). When the pool has no room, what the caches and bins
 * keep in reserve is given back (pool_reclaim) and the request is tried
 * once more before it fails with ENOMEM.
 * Functions that refuse a pointer leave the reason in vm_err.
 * Thread safety: any thread; the layers below take their locks.
 */
#ifndef VM_OBJECTS_H
#define VM_OBJECTS_H

#include "pool/vmem.h"

/* ---- objects.c ------------------------------------------------------------ */
/* NULL, errno ENOMEM and a message: no room for size bytes */
void *pool_out_of_memory(size_t size);
/* a large object of size bytes aligned to align, giving reserves back if
 * the pool is full; NULL (errno not set) if there is no room */
void *pool_large_alloc(VMEM *vmp, size_t size, size_t align);
/* an object of at least size bytes, or NULL (errno not set) */
void *pool_alloc(VMEM *vmp, size_t size);
/* the run owning the live object that starts at ptr, or NULL (message
 * set): a slab (its own checks come later, slab/small.h), or a large run
 * that starts at ptr and sits in no thread's cache */
run_t *pool_object_run(VMEM *vmp, const void *ptr);
void *pool_aligned_plain(VMEM *vmp, size_t alignment, size_t size);
size_t pool_usable_plain(VMEM *vmp, void *ptr);
/* true if the live object ptr now holds size bytes where it is (its
 * class, or its run resized); false, with nothing changed, if not */
bool pool_resize_in_place(VMEM *vmp, void *ptr, size_t size);

/* ---- inline --------------------------------------------------------------- */
/* usable bytes of the live object of run */
static inline size_t
pool_object_size(const run_t *run)
{
	return run->kind == RUN_SLAB ? small_size(run) : large_size(run);
}

/* frees the large object ptr of run (message if it was freed meanwhile) */
static inline void
pool_large_free(VMEM *vmp, run_t *run, void *ptr)
{
	if (vm_unlikely(!extents_free(&vmp->extents, &vmp->region, run)))
		vm_err("%p is not a live object of pool %p (double free?)", ptr,
				(void *)vmp);
}

static inline void *
pool_malloc_plain(VMEM *vmp, size_t size)
{
	void *p = NULL;
	if (size > SC_SMALL_MAX && vm_log_level() < 4)
		p = caches_large_pop(&vmp->slabs, size);
	if (p == NULL)
		p = pool_alloc(vmp, size);
	vm_log(4, "vmp %p size %zu -> %p", (void *)vmp, size, p);
	return vm_likely(p != NULL) ? p : pool_out_of_memory(size);
}

static inline void
pool_free_plain(VMEM *vmp, void *ptr)
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
		pool_large_free(vmp, run, ptr);
}

#endif /* VM_OBJECTS_H */
