/*
 * mc_objects.c -- a pool's objects as memcheck sees them, when the process
 * runs under memcheck (base/vg.h): each live object is a block of exactly
 * the size the program asked for; everything else of the region, metadata
 * and free memory alike, is inaccessible (mc_region.c).
 *
 * Blocks are malloc-like blocks (VALGRIND_MALLOCLIKE_BLOCK), not the
 * chunks of a memcheck memory pool: memcheck's leak check and its heap
 * summary count malloc-like blocks, where a memory pool's chunks are left
 * out whenever no block of memcheck's own malloc is live (which is always
 * the case under libvmmalloc, the program's whole heap being the pool).
 * So a pool object that nobody points to is "definitely lost", with the
 * stack that allocated it.
 *
 * The allocator itself reads and writes the inaccessible bytes (its
 * metadata, the free tags and cache links inside free objects) with this
 * thread's error reports off (vm_vg_quiet): no byte is ever made
 * accessible for it, so a free object stays inaccessible to the program
 * all along, wherever it is cached. The fast paths are not taken under
 * Valgrind (vmem.h's fast_size, slab/caches.h's vm_tfast): every call
 * comes here through the slow paths of api.c.
 * Invariants: a block's size is what the program asked for, or the usable
 * size once the program asked for that (vmem_malloc_usable_size, as glibc
 * lets it use those bytes); the bytes of an object past its block are
 * inaccessible, so vm_vg_addressable gives a block's size back.
 * Owns no state.
 * Thread safety: as the functions it wraps.
 */
#include <errno.h>
#include <string.h>

#include "pool/objects.h"

/* the end of an allocation made quiet: reports back on, and p (if any)
 * a new block of size bytes, allocated here */
static void *
new_block(void *p, size_t size)
{
	vm_vg_loud();
	if (p != NULL)
		vm_vg_block_new(p, size, 0);
	return p;
}

void *
mc_malloc(VMEM *vmp, size_t size)
{
	vm_vg_quiet();
	return new_block(pool_malloc_plain(vmp, size), size);
}

void
mc_free(VMEM *vmp, void *ptr)
{
	if (ptr == NULL)
		return;
	/* first, with reports on: memcheck tells a double or a wild free
	 * with its own stacks; vmem then refuses it as usual */
	vm_vg_block_free(ptr);
	vm_vg_quiet();
	pool_free_plain(vmp, ptr);
	vm_vg_loud();
}

void *
mc_aligned_alloc(VMEM *vmp, size_t alignment, size_t size)
{
	vm_vg_quiet();
	return new_block(pool_aligned_plain(vmp, alignment, size), size);
}

size_t
mc_usable_size(VMEM *vmp, void *ptr)
{
	vm_vg_quiet();
	size_t n = pool_usable_plain(vmp, ptr);
	size_t block = n != 0 ? vm_vg_addressable(ptr, n) : 0;
	vm_vg_loud();
	if (block < n)	/* the program may use them now */
		vm_vg_block_resize(ptr, block, n);
	return n;
}

/* realloc as memcheck's own: in place when the object allows it, else a
 * new block, the old one's bytes copied, the old one freed */
void *
mc_realloc(VMEM *vmp, void *ptr, size_t size)
{
	if (ptr == NULL)
		return mc_malloc(vmp, size);
	vm_vg_quiet();
	size_t usable = pool_usable_plain(vmp, ptr);
	size_t block = usable != 0 ? vm_vg_addressable(ptr, usable) : 0;
	vm_vg_loud();
	if (usable == 0) {	/* not a live object: memcheck says so too */
		vm_vg_block_free(ptr);
		errno = EINVAL;
		return NULL;
	}
	if (size == 0) {
		mc_free(vmp, ptr);
		return NULL;
	}
	vm_vg_quiet();
	bool in_place = pool_resize_in_place(vmp, ptr, size);
	vm_vg_loud();
	if (in_place) {
		vm_vg_block_resize(ptr, block, size);
		return ptr;
	}
	int saved_errno = errno;
	void *q = mc_malloc(vmp, size);
	if (q == NULL && size <= usable) {	/* a shrink with no room */
		errno = saved_errno;
		vm_vg_block_resize(ptr, block, size);
		return ptr;
	}
	if (q == NULL)
		return NULL;
	memcpy(q, ptr, block < size ? block : size);
	mc_free(vmp, ptr);
	return q;
}
