/*
 * bin.h -- the bin of one size class of one pool: its slabs, and the
 * transfer stack between the threads' caches.
 *
 * The slabs that have free objects are on a doubly linked list, fuller
 * ones first; at most one entirely free slab is kept, and full slabs are
 * on no list.
 *   bin.curobjs == sum over its slabs of (nobjs - nfree)
 * The transfer stack holds objects a thread cache gave back, handed to
 * the next refill as they are, without a trip through their slabs'
 * bitmaps (a thread that frees what another allocated feeds the other's
 * refills this way). They count as in use in their slabs, as cached
 * objects do, and carry the tag of free objects (tag.h).
 *
 * Thread safety: each bin has its own lock (rank 3, base/lock.h); bin_*
 * functions take it, and hold it while they take a slab from, or give
 * one to, the extent manager.
 * Owns: the bin's list of slabs with free objects, its counters and
 * its transfer stack (bin.c).
 */
#ifndef VM_BIN_H
#define VM_BIN_H

#include "base/base.h"
#include "slab/slab_run.h"

/* the transfer stack: at most this many objects, and about 64 KiB */
#define BIN_XFER_MAX	64
#define BIN_XFER_BYTES	65536

typedef struct bin_s {
	vm_lock_t lock;
	uint32_t head, tail;	/* slabs with free objects (page numbers) */
	uint32_t nslabs;	/* slabs of this class */
	uint32_t nempty;	/* entirely free slabs (0 or 1) */
	uint64_t nmalloc;	/* objects ever handed out */
	uint64_t nfree;		/* objects ever freed; in use: the difference */
	uint64_t nslabs_made;	/* slabs ever made */
	uint32_t nxfer;		/* objects on the transfer stack */
	uint32_t xfer_cap;	/* at most this many */
	void **xfer;		/* the stack: xfer[0 .. nxfer), room for
				 * BIN_XFER_MAX (kept out of the bin, so an
				 * unused one is never touched) */
	uint64_t tag_key;	/* tags free objects (slabs.h) */
	uint32_t cls;		/* the class */
} __attribute__((aligned(64))) bin_t;

static inline uint64_t
bin_curobjs(const bin_t *bin)
{
	return bin->nmalloc - bin->nfree;
}

/* an empty bin of class cls; xfer: room for its transfer stack; its free
 * objects are tagged with tag_key */
void bin_init(bin_t *bin, unsigned cls, void **xfer, uint64_t tag_key);

/*
 * Up to n objects of the bin's class into out (one lock for all); returns
 * how many, 0 when the extent manager has no room for a new slab.
 */
unsigned bin_malloc_batch(bin_t *bin, region_t *rg, extents_t *ex,
		void **out, unsigned n);
/*
 * Frees n objects of the bin's class (one lock for all). Returns how many
 * were refused because they were not objects in use (a double free).
 */
unsigned bin_free_batch(bin_t *bin, region_t *rg, extents_t *ex,
		void *const *objs, unsigned n);
/*
 * A thread cache's flush: n objects of the bin's class, checked when they went
 * into the cache, onto the transfer stack while it has room, the rest
 * freed as bin_free_batch does (one lock for all). Returns how many of
 * those were refused.
 */
unsigned bin_flush_batch(bin_t *bin, region_t *rg, extents_t *ex,
		void *const *objs, unsigned n);
/* frees what the transfer stack holds; returns how many objects */
unsigned bin_xfer_drain(bin_t *bin, region_t *rg, extents_t *ex);
/* true if the transfer stack holds ptr */
bool bin_xfer_holds(bin_t *bin, const void *ptr);

/* one object of the bin's class, or NULL when the extent manager has no
 * room (the paths without a thread cache) */
static inline void *
bin_malloc(bin_t *bin, region_t *rg, extents_t *ex)
{
	void *p;
	return bin_malloc_batch(bin, rg, ex, &p, 1) == 1 ? p : NULL;
}

/* frees ptr, an object of the slab run, and tags it (the paths without a
 * thread cache); false, with nothing changed, if it is not the start of an
 * object in use (a double free) */
bool bin_free(bin_t *bin, run_t *run, void *ptr, region_t *rg, extents_t *ex);

/* true if ptr is an object of the slab run that is in use */
bool bin_owns(bin_t *bin, run_t *run, const void *ptr, const region_t *rg);
/* gives the bin's entirely free slabs back to the extent manager */
size_t bin_release_empty(bin_t *bin, region_t *rg, extents_t *ex);

#endif /* VM_BIN_H */
