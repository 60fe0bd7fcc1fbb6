/*
 * malloc.c -- the malloc family libvmmalloc exports, in place of the C
 * library's (unversioned, so they interpose), and the glibc-internal names
 * (__libc_malloc, ...) that programs and libraries reach directly.
 *
 * The fast paths are the pool API's own, inlined here (pool/fastpath.h):
 * the interposer has exactly one pool, so malloc() is a load of vmm_pool
 * and the pop from this thread's cache, found by index, with no lookup of
 * the pool and no call. free() pushes what the fast path takes; what it
 * does not is either the pool's slow path (a pointer in the pool's range)
 * or handled out of line (the bootstrap arena, libc's heap).
 *
 * With two tiers (tiers.c) every function of the family but free and
 * malloc_usable_size goes through tiers.c, which picks the tier; those two
 * find it from the address (vmm_tier_of: one compare).
 *
 * Behaviour follows glibc where C leaves a choice: realloc(p, 0) frees p
 * and returns NULL; memalign rounds an alignment up to a power of two;
 * aligned_alloc and posix_memalign refuse one that is not (EINVAL).
 */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "interpose/interpose.h"
#include "libvmmalloc.h"

static inline VMEM *
pool(void)
{
	return atomic_load_explicit(&vmm_pool, memory_order_acquire);
}

/* ---- before the pool exists -------------------------------------------- */
static VM_NOINLINE void *
alloc_starting(size_t size, size_t align)
{
	if (!vmm_start())
		return vmm_boot_alloc(size, align);
	if (vmm_tiered)
		return align == 0 ? vmm_tier_malloc(size) :
				vmm_tier_aligned(align, size);
	return align == 0 ? vmem_malloc(pool(), size) :
			vmem_aligned_alloc(pool(), align, size);
}

/* ---- pointers from elsewhere --------------------------------------------- */
static VM_NOINLINE void
free_outside(void *ptr)
{
	if (ptr == NULL || vmm_boot_owns(ptr))
		return;		/* the arena's blocks are never reused */
	if (vmm_in_tiers(ptr)) {	/* the pool appeared meanwhile */
		vmem_free(vmm_tier_of(pool(), ptr), ptr);
		return;
	}
	vmm_libc_free(ptr);
}

static size_t
usable_outside(void *ptr)
{
	if (vmm_boot_owns(ptr))
		return vmm_boot_size(ptr);
	return vmm_libc_usable_size(ptr);
}

/* a foreign or arena object moved into the pool */
static VM_NOINLINE void *
realloc_outside(void *ptr, size_t size)
{
	if (size == 0) {
		free_outside(ptr);
		return NULL;
	}
	size_t old = usable_outside(ptr);
	void *q = malloc(size);
	if (q == NULL)
		return NULL;
	memcpy(q, ptr, old < size ? old : size);
	free_outside(ptr);
	return q;
}

/* ---- the family ------------------------------------------------------------ */
VMM_PUBLIC void *
malloc(size_t size)
{
	VMEM *vmp = pool();
	if (vm_likely(vmp != NULL)) {
		if (vm_unlikely(vmm_tiered))
			return vmm_tier_malloc(size);
		return pool_malloc(vmp, size);
	}
	return alloc_starting(size, 0);
}

VMM_PUBLIC void
free(void *ptr)
{
	VMEM *vmp = pool();
	if (vm_likely(vmp != NULL)) {
		vmp = vmm_tier_of(vmp, ptr);	/* one compare */
		if (vm_likely(pool_free_fast(vmp, ptr)))
			return;
		if (vm_likely(vmm_in_tiers(ptr))) {
			pool_free_slow(vmp, ptr);
			return;
		}
	}
	free_outside(ptr);
}

VMM_PUBLIC void
cfree(void *ptr)
{
	free(ptr);
}

VMM_PUBLIC void *
calloc(size_t nmemb, size_t size)
{
	VMEM *vmp = pool();
	if (vm_likely(vmp != NULL))
		return vm_unlikely(vmm_tiered) ? vmm_tier_calloc(nmemb, size) :
				vmem_calloc(vmp, nmemb, size);
	size_t total;
	if (__builtin_mul_overflow(nmemb, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	/* the arena's memory is zero: it is static and never reused */
	return alloc_starting(total, 0);
}

VMM_PUBLIC void *
realloc(void *ptr, size_t size)
{
	if (ptr == NULL)
		return malloc(size);
	VMEM *vmp = pool();
	if (vm_likely(vmp != NULL) && vm_likely(vmm_in_tiers(ptr))) {
		vmp = vmm_tier_of(vmp, ptr);
		if (size == 0) {
			vmem_free(vmp, ptr);
			return NULL;
		}
		if (vm_unlikely(vmm_tiered))
			return vmm_tier_realloc(vmp, ptr, size);
		return vmem_realloc(vmp, ptr, size);
	}
	return realloc_outside(ptr, size);
}

VMM_PUBLIC void *
reallocarray(void *ptr, size_t nmemb, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(nmemb, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(ptr, total);
}

/* align a power of two above the minimum */
static void *
alloc_aligned(size_t align, size_t size)
{
	VMEM *vmp = pool();
	if (vm_likely(vmp != NULL))
		return vm_unlikely(vmm_tiered) ? vmm_tier_aligned(align, size) :
				vmem_aligned_alloc(vmp, align, size);
	return alloc_starting(size, align);
}

VMM_PUBLIC int
posix_memalign(void **memptr, size_t alignment, size_t size)
{
	if (alignment < sizeof(void *) || !VM_IS_POW2(alignment))
		return EINVAL;
	int saved = errno;
	void *p = alloc_aligned(alignment, size);
	errno = saved;
	if (p == NULL)
		return ENOMEM;
	*memptr = p;
	return 0;
}

VMM_PUBLIC void *
aligned_alloc(size_t alignment, size_t size)
{
	if (alignment == 0 || !VM_IS_POW2(alignment)) {
		errno = EINVAL;
		return NULL;
	}
	return alloc_aligned(alignment, size);
}

VMM_PUBLIC void *
memalign(size_t alignment, size_t size)
{
	if (alignment <= 16)
		return malloc(size);
	if (alignment > SIZE_MAX / 2 + 1) {
		errno = EINVAL;
		return NULL;
	}
	if (!VM_IS_POW2(alignment))
		alignment = (size_t)1 << (64 - __builtin_clzll(alignment));
	return alloc_aligned(alignment, size);
}

VMM_PUBLIC void *
valloc(size_t size)
{
	return alloc_aligned(VM_PAGE, size);
}

VMM_PUBLIC void *
pvalloc(size_t size)
{
	if (size > SIZE_MAX - VM_PAGE) {
		errno = ENOMEM;
		return NULL;
	}
	return alloc_aligned(VM_PAGE, size == 0 ? VM_PAGE :
			VM_ALIGN_UP(size, VM_PAGE));
}

VMM_PUBLIC size_t
malloc_usable_size(void *ptr)
{
	if (ptr == NULL)
		return 0;
	VMEM *vmp = pool();
	if (vm_likely(vmp != NULL) && vm_likely(vmm_in_tiers(ptr)))
		return vmem_malloc_usable_size(vmm_tier_of(vmp, ptr), ptr);
	return usable_outside(ptr);
}

/* ---- the rest of glibc's malloc interface ------------------------------ */
/* gives what the threads' caches hold back to the pool; 1 if anything */
VMM_PUBLIC int
malloc_trim(size_t pad)
{
	(void)pad;
	VMEM *vmp = pool();
	if (vmp == NULL)
		return 0;
	mc_quiet();
	size_t n = caches_drain(&vmp->slabs);
	if (vmm_tiered)
		n += caches_drain(&vmm_dram->slabs);
	mc_loud();
	return n > 0;
}

/* the pool has no tunables: every parameter is accepted and ignored */
VMM_PUBLIC int
mallopt(int param, int value)
{
	(void)param;
	(void)value;
	return 1;
}

/* glibc's fields as they apply to one pool: "arena" is the pool's data
 * area, in use and free split it; nothing is mmapped apart from it */
static struct mallinfo2
pool_info(void)
{
	struct mallinfo2 mi;
	memset(&mi, 0, sizeof(mi));
	VMEM *vmp = pool();
	if (vmp == NULL)
		return mi;
	struct pool_usage u, d = { 0 };
	pool_usage(vmp, &u);
	if (vmm_tiered)		/* both tiers, as one */
		pool_usage(vmm_dram, &d);
	mi.arena = u.data_bytes + d.data_bytes;
	mi.ordblks = u.free_extents + d.free_extents;
	mi.uordblks = u.in_use_bytes + d.in_use_bytes;
	mi.fordblks = mi.arena - mi.uordblks;
	return mi;
}

VMM_PUBLIC struct mallinfo2
mallinfo2(void)
{
	return pool_info();
}

/* the old interface: int fields, saturated rather than wrapped */
static int
saturate(size_t v)
{
	return v > INT_MAX ? INT_MAX : (int)v;
}

VMM_PUBLIC struct mallinfo
mallinfo(void)
{
	struct mallinfo2 mi2 = pool_info();
	struct mallinfo mi;
	memset(&mi, 0, sizeof(mi));
	mi.arena = saturate(mi2.arena);
	mi.ordblks = saturate(mi2.ordblks);
	mi.uordblks = saturate(mi2.uordblks);
	mi.fordblks = saturate(mi2.fordblks);
	return mi;
}

VMM_PUBLIC void
malloc_stats(void)
{
	VMEM *vmp = pool();
	if (vmp != NULL)
		vmm_stats_print(vmp, false);
}

/* ---- glibc's internal names ---------------------------------------------- */
/* declared here: no header of glibc's does */
void *__libc_malloc(size_t size);
void __libc_free(void *ptr);
void *__libc_calloc(size_t nmemb, size_t size);
void *__libc_realloc(void *ptr, size_t size);
void *__libc_memalign(size_t alignment, size_t size);
void *__libc_valloc(size_t size);
void *__libc_pvalloc(size_t size);

VMM_PUBLIC void *
__libc_malloc(size_t size)
{
	return malloc(size);
}

VMM_PUBLIC void
__libc_free(void *ptr)
{
	free(ptr);
}

VMM_PUBLIC void *
__libc_calloc(size_t nmemb, size_t size)
{
	return calloc(nmemb, size);
}

VMM_PUBLIC void *
__libc_realloc(void *ptr, size_t size)
{
	return realloc(ptr, size);
}

VMM_PUBLIC void *
__libc_memalign(size_t alignment, size_t size)
{
	return memalign(alignment, size);
}

VMM_PUBLIC void *
__libc_valloc(size_t size)
{
	return valloc(size);
}

VMM_PUBLIC void *
__libc_pvalloc(size_t size)
{
	return pvalloc(size);
}
