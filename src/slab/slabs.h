/*
 * slabs.h -- the slab layer's part of one pool: a bin per size class, the
 * threads' caches, and the keys that mark free objects.
 *
 *   slabs_t:  rg, ex | keys, budget | tc_lock, tc_top, ncaches | slots
 *             | homes | bins[SC_NCLASSES] | tcaches[TC_MAX_THREADS + 1]
 *   tcaches[i]: the cache of the thread of index i (caches.h), or tc_none
 *   slots: where caches live: the first ones in the region's spare area,
 *          the others in runs of the data area (caches.c)
 *
 * A slabs_t lives in the pool header (pool/vmem.h), next to the region and
 * the extent manager it takes its pages from (rg, ex point there). The
 * bins' transfer stacks live at the very end of the pool header, outside
 * it (bin.h).
 * Invariants: tag_key == ~large_key, so a free object's tag never equals
 * a cached run's mark; tcaches[0] == &tc_none; ncaches == the entries of
 * tcaches[1 .. tc_top] other than tc_none, of which ncache_runs are runs
 * and the others the spare area's slots set in slots_used; slots_used is
 * within slots_reserved.
 * Thread safety: rg, ex, the keys and large_budget never change after
 * slabs_init; each bin has its lock; tc_lock (rank 2) guards tc_top,
 * ncaches, the slots and the making and taking of caches (caches.c).
 * Owns: the slabs_t of each pool (slabs.c sets it up; caches.c
 * keeps its caches).
 */
#ifndef VM_SLABS_H
#define VM_SLABS_H

#include "slab/tcache.h"

typedef struct slabs_s {
	region_t *rg;		/* the pool's region */
	extents_t *ex;		/* and its extent manager */
	uint64_t tag_key;	/* tags free small objects (tag.h) */
	uint64_t large_key;	/* marks cached large runs (large/lcache.h) */
	uint64_t large_budget;	/* bytes of large runs one cache may keep */
	vm_lock_t tc_lock;	/* taking caches from their owners */
	uint32_t tc_top;	/* highest index that had a cache */
	uint32_t ncaches;	/* caches now */
	uint32_t ncache_runs;	/* caches in runs of the data area */
	uint32_t nslots;	/* caches the spare area holds */
	uint32_t slots_used;	/* bit i: slot i holds a cache */
	uint32_t slots_reserved;	/* bit i: slot i's pages are reserved */
	size_t slot_bytes;	/* a cache's room: tcache_bytes, page rounded */
	bin_homes_t homes;	/* how the bins find a cache's lists */
	bin_t bins[SC_NCLASSES];
	_Atomic(tcache_t *) tcaches[TC_MAX_THREADS + 1];	/* by thread */
} slabs_t;

/* the spare area (region.h) the caches of a pool of npages pages take */
size_t slabs_spare_bytes(uint32_t npages);

/*
 * Sets up the slab layer of a new pool: no slabs, no caches. key is the
 * pool's random key (large_key; tag_key is its complement); xfer has room
 * for every class's transfer stack, and is not written here.
 */
void slabs_init(slabs_t *s, region_t *rg, extents_t *ex, uint64_t key,
		void *(*xfer)[BIN_XFER_MAX]);

/*
 * Gives back what the threads' caches and the bins keep in reserve (the
 * objects in caches and on transfer stacks, entirely free slabs), so a
 * full pool is really full; returns the objects and pages given back.
 * No lock of the pool may be held.
 */
size_t slabs_reclaim(slabs_t *s);

/* takes every lock of the slab layer, in rank order: the caches (taken
 * from their owners), then the bins in class order */
void slabs_lock_all(slabs_t *s);
void slabs_unlock_all(slabs_t *s);
/* in a fork child: the locks are fresh again, none held */
void slabs_fork_reinit(slabs_t *s);

#endif /* VM_SLABS_H */
