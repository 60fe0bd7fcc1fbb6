/*
 * vmem.h -- the pool: the header at the start of every pool's region, and
 * the functions the API files share.
 *
 * This is the top layer of the core: it ties the region (page map and run
 * records, src/pool), the extent manager (src/large), the bins (src/slab)
 * and the backing (src/dax) together. A VMEM handle is the address of the
 * header, i.e. of the region's first byte.
 *
 *   struct vmem:  magic | region | extents | backing | registry node | bins
 *
 * Thread safety: the header fields other than extents and bins never change
 * after creation; extents and each bin carry their own lock; the registry
 * of live pools has one global lock (rank 1).
 */
#ifndef VM_VMEM_H
#define VM_VMEM_H

#include "libvmem.h"
#include "dax/dax.h"
#include "slab/slab.h"

#define VMEM_MAGIC	0x766d656d706f6f6cULL	/* "vmempool" */

struct vmem {
	uint64_t magic;
	region_t region;
	extents_t extents;
	backing_t backing;
	struct vmem *reg_left, *reg_right; /* the registry (registry.c) */
	uintptr_t reg_max_end;		/* highest end in this subtree */
	bin_t bins[SC_NCLASSES];
};

/* ---- registry.c: callers hold registry_lock ---------------------------- */
extern vm_lock_t registry_lock;
void registry_add(VMEM *vmp);
bool registry_remove(VMEM *vmp);	/* false if it was not there */
bool registry_has(const VMEM *vmp);
/* true if a live pool overlaps [start, end) and allowed() says no */
bool registry_overlaps(uintptr_t start, uintptr_t end,
		bool (*allowed)(VMEM *vmp, uintptr_t start, uintptr_t end));
void registry_foreach(void (*fn)(VMEM *vmp));

/* ---- fork.c ------------------------------------------------------------- */
/* registers the fork handlers, once */
void fork_handlers_init(void);

/* ---- pool.c ------------------------------------------------------------ */
/* true if vmp is a live pool; takes the registry lock */
bool pool_is_live(const VMEM *vmp);
/* frees what the bins keep in reserve; returns the pages given back */
size_t pool_reclaim(VMEM *vmp);

#endif /* VM_VMEM_H */
