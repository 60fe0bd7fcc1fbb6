/*
 * vmem.h -- the pool: the header at the start of every pool's region, and
 * the functions the API files share.
 *
 * This is the top layer of the core: it ties the region and the extent
 * manager (src/large), the bins and the threads' caches (src/slab) and the
 * backing (src/dax) together. A VMEM handle is the address of the header,
 * i.e. of the region's first byte.
 *
 *   struct vmem:  magic | fast_size | region | extents | backing | registry node
 *                 | slabs (keys, bins, the threads' caches of this pool)
 *                 | the bins' transfer stacks
 *
 * Thread safety: region and backing never change after creation; extents,
 * each bin and the caches carry their own locks; the registry of live
 * pools has one global lock (rank 1).
 * Owns: the pool header; its parts are owned by the layers below
 * (region and extents: src/large; slabs: src/slab; backing: src/dax).
 */
#ifndef VM_VMEM_H
#define VM_VMEM_H

#include "libvmem.h"
#include "slab/slab.h"

#define VMEM_MAGIC	0x766d656d706f6f6cULL	/* "vmempool" */

struct vmem {
	uint64_t magic;
	/* the bytes from the region's base whose pointers free's fast path
	 * takes: region.size, or 0 under Valgrind, where every free takes
	 * the slow path (mc_objects.c) */
	size_t fast_size;
	region_t region;
	extents_t extents;
	backing_t backing;
	struct vmem *reg_left, *reg_right; /* the registry (registry.c) */
	uintptr_t reg_max_end;		/* highest end in this subtree */
	slabs_t slabs;			/* bins and the threads' caches */
	/* the bins' transfer stacks: last, and not cleared at creation (a
	 * bin's nxfer says what is there), so a class's stays untouched
	 * until used */
	void *xfer[SC_NCLASSES][BIN_XFER_MAX];
};

/* ---- pool.c ------------------------------------------------------------ */
/* vmem_create, but a pool file's blocks are reserved chunk by chunk as
 * they are first used (libvmmalloc: a heap sized for the worst case costs
 * nothing until used); the file system is only checked to have the room */
VMEM *pool_create_lazy(const char *dir, size_t size);

/* ---- registry.c: callers hold registry_lock ---------------------------- */
extern vm_lock_t registry_lock;
void registry_add(VMEM *vmp);
bool registry_remove(VMEM *vmp);	/* false if it was not there */
bool registry_has(const VMEM *vmp);
/* true if a live pool overlaps [start, end) and allowed() says no */
bool registry_overlaps(uintptr_t start, uintptr_t end,
		bool (*allowed)(VMEM *vmp, uintptr_t start, uintptr_t end));
void registry_foreach(void (*fn)(VMEM *vmp));
/* forgets the pools keep() refuses, writing nothing into their headers */
void registry_keep(bool (*keep)(VMEM *vmp));

/* ---- thread.c ----------------------------------------------------------- */
/* makes a thread's exit give its caches in every live pool back, once */
void thread_hooks_init(void);
/* in a fork child: drops the caches of the threads that are gone */
void thread_fork_child(void);

/* ---- snapshot.c: the totals vmem_stats_print shows ---------------------- */
struct pool_usage {
	uint64_t data_bytes;	/* the pool less its metadata */
	uint64_t in_use_bytes;	/* objects in use (cached ones are free) */
	uint64_t objects;	/* how many */
	uint64_t large_bytes;	/* of which large objects */
	uint64_t free_extents;	/* free runs of pages */
};
void pool_usage(VMEM *vmp, struct pool_usage *u);
/* free room of a pool by object size (libvmmalloc's malloc_info): free
 * objects of one size class (in slabs, caches and transfer stacks), or,
 * last, the free extents (from the smallest large size to the largest
 * extent) */
struct pool_free_sizes {
	size_t from, to;	/* object sizes, inclusive */
	uint64_t count, bytes;
};
/* fills out (room for SC_NCLASSES + 1) with the classes that have free
 * objects and the free extents, in size order; returns how many. *mapped
 * gets the bytes of the data area the system holds for the pool now (all
 * of it less what was given back) */
unsigned pool_free_sizes(VMEM *vmp, struct pool_free_sizes *out,
		uint64_t *mapped);
/* bytes handed out of vmp's slabs and extents: objects in use, and those
 * the threads' caches hold (no cache is stopped to count them): a cheap
 * figure for libvmmalloc's tiers */
uint64_t pool_bytes_out(VMEM *vmp);

/* ---- fork.c ------------------------------------------------------------- */
/* run by the fork handlers with every lock of every pool held */
struct fork_hooks {
	void (*prepare)(void);	/* before fork */
	void (*parent)(void);	/* after, in the parent */
	void (*child)(void);	/* after, in the child */
};
void fork_set_hooks(const struct fork_hooks *h);
/* takes every lock of vmp in rank order (the caches, the bins, the extent
 * lock), and gives them back: the fork handlers, and vmem_check */
void pool_lock_all(VMEM *vmp);
void pool_unlock_all(VMEM *vmp);
/* registers the fork handlers, once */
void fork_handlers_init(void);

/* ---- mc_region.c, mc_objects.c: the same, told to memcheck (callers test
 * vm_vg_memcheck): each object a block of the size asked for, everything
 * else of the region inaccessible ------------------------------------------- */
void mc_pool_created(VMEM *vmp);
void mc_pool_deleting(VMEM *vmp);
/* the region was mapped again (fork): marks it all over */
void mc_pool_remapped(VMEM *vmp);
void *mc_malloc(VMEM *vmp, size_t size);
void mc_free(VMEM *vmp, void *ptr);
void *mc_realloc(VMEM *vmp, void *ptr, size_t size);
void *mc_aligned_alloc(VMEM *vmp, size_t alignment, size_t size);
size_t mc_usable_size(VMEM *vmp, void *ptr);
/* around code that reads the pool's metadata for the program (vmem_check,
 * statistics, fork): memcheck reports none of it (nests) */
static inline void
mc_quiet(void)
{
	if (VM_VALGRIND && vm_unlikely(vm_vg_memcheck))
		vm_vg_quiet();
}
static inline void
mc_loud(void)
{
	if (VM_VALGRIND && vm_unlikely(vm_vg_memcheck))
		vm_vg_loud();
}

/* ---- pool.c ------------------------------------------------------------ */
/* true if vmp is a live pool; takes the registry lock */
bool pool_is_live(const VMEM *vmp);
/* gives what the threads' caches and the bins keep in reserve back, so a
 * full pool is really full; returns the objects and pages given back */
size_t pool_reclaim(VMEM *vmp);

#endif /* VM_VMEM_H */
