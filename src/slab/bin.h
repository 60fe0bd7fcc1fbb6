/*
 * bin.h -- the bin of one size class of one pool: its slabs, and the
 * transfer stack between the threads' caches.
 *
 * A slab has a home: the thread cache whose refills take from it (the
 * cache that made or adopted it), or none. The slabs that have free
 * objects are on doubly linked lists, fuller ones first: each on its
 * home's list for the class (slab_list_t, in the cache), or on the bin's
 * own list when it has none. A refill takes from its cache's list, then
 * adopts a slab of the bin's list, then makes one: so two threads that
 * each allocate and free their own objects share no slab, and no cache
 * line (a thread writing an object next to another thread's objects
 * would take their line from the other core at every write). A slab
 * keeps its home while full; a cache that goes away (bin_abandon) hands
 * its slabs to the bin's list, and a full slab whose home has gone goes
 * there when it has free objects again. At most one entirely free slab is
 * kept, and full slabs are on no list.
 *   bin.curobjs == sum over its slabs of (nobjs - nfree)
 * The transfer stack holds objects a thread cache gave back that are not
 * of its own slabs, handed to the next refill as they are, without a trip
 * through their slabs' bitmaps (a thread that frees what another
 * allocated feeds the other's refills this way). They count as in use in
 * their slabs, as cached objects do, and carry the tag of free objects
 * (tag.h).
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

/* a class's first slabs are shorter: an eighth, a quarter, a half of
 * its slab's pages (at least one object's); then they have them all */
#define SLAB_RAMP	3

/* the most objects one flush gives back (a stack's capacity, tcache.c) */
#define BIN_FLUSH_MAX	64

/* the transfer stack: at most this many objects, and about 64 KiB */
#define BIN_XFER_MAX	64
#define BIN_XFER_BYTES	65536

/* a list of slabs (first pages, 0: none): the bin's, or one thread
 * cache's of the class; closed: that cache is going away, its slabs go
 * to the bin's list */
typedef struct slab_list_s {
	uint32_t head, tail;
	uint32_t closed;
} slab_list_t;

/* how a bin finds the list of class cls of the cache of index home: NULL
 * if there is no such cache or its list is closed (set up by slabs.c;
 * called with that class's bin lock held) */
typedef struct bin_homes_s {
	slab_list_t *(*list)(void *ctx, uint32_t home, unsigned cls);
	void *ctx;
} bin_homes_t;

typedef struct bin_s {
	vm_lock_t lock;
	slab_list_t list;	/* slabs with free objects and no home */
	const bin_homes_t *homes; /* the lists of the slabs with a home */
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

/* (debug level 3, slab_valid.c; the bin lock held) the list l of slabs of
 * class cls and home is well linked, and each slab on it valid with free
 * objects; the bin's counts, transfer stack and own list are */
bool slab_list_valid(const region_t *rg, const slab_list_t *l, unsigned cls,
		uint32_t home);
bool bin_valid(const bin_t *bin, const region_t *rg);

/* an empty bin of class cls; xfer: room for its transfer stack; its free
 * objects are tagged with tag_key; homes: the caches' slab lists */
void bin_init(bin_t *bin, unsigned cls, void **xfer, uint64_t tag_key,
		const bin_homes_t *homes);

/*
 * Up to n objects of the bin's class into out (one lock for all), for
 * the cache of index home (0: none; its slabs first, see above); returns
 * how many, 0 when the extent manager has no room for a new slab.
 */
unsigned bin_malloc_batch(bin_t *bin, region_t *rg, extents_t *ex,
		void **out, unsigned n, uint32_t home);
/* the slabs of own, a cache's list of the bin's class, to the bin's list
 * (their home none); closing: the cache is going away, and own stays
 * closed (slabs of that home that get free objects go to the bin's list
 * too) */
void bin_abandon(bin_t *bin, region_t *rg, slab_list_t *own, bool closing);
/*
 * Frees n objects of the bin's class (one lock for all). Returns how many
 * were refused because they were not objects in use (a double free).
 */
unsigned bin_free_batch(bin_t *bin, region_t *rg, extents_t *ex,
		void *const *objs, unsigned n);
/*
 * The flush of the cache of index home: n objects of the bin's class,
 * checked when they went into the cache; those of slabs of another home
 * onto the transfer stack while it has room, the rest freed as
 * bin_free_batch does (one lock for all). Returns how many of those were
 * refused.
 */
unsigned bin_flush_batch(bin_t *bin, region_t *rg, extents_t *ex,
		void *const *objs, unsigned n, uint32_t home);
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
	return bin_malloc_batch(bin, rg, ex, &p, 1, 0) == 1 ? p : NULL;
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
