/*
 * extent.h -- the best-fit extent manager: hands out page runs for large
 * objects and slabs, and takes them back.
 *
 * Free extents are RUN_FREE runs kept in a treap ordered by (pages, first
 * page), so the best fit -- the smallest free extent that is large enough,
 * the lowest address among equals -- is found in O(log n). A freed run is
 * merged with free neighbours at once (found through the page map), so no
 * two free runs ever touch. Alignment padding is given back as free runs.
 * Memory of large frees is kept for reuse in 2 MiB chunks up to a budget,
 * and beyond it given back to the system and reserved again before reuse;
 * in a pool file on tmpfs, a chunk is mapped in one call when it is first
 * used (purge.c).
 *
 * Thread safety: every extents_* function takes ex->lock itself, except the
 * *_locked ones, whose caller holds it. The lock ranks after bin locks
 * (base/lock.h).
 * Owns: the free runs of a pool's data area, their treap, the page
 * map entries of every run boundary, and the totals in extents_t.
 */
#ifndef VM_EXTENT_H
#define VM_EXTENT_H

#include "base/base.h"
#include "dax/dax.h"
#include "large/region.h"

/* the most freed chunks a pool keeps committed for reuse (purge.c): 256 MiB */
#define KEEP_MAX_CHUNKS	128

typedef struct extents_s {
	vm_lock_t lock;
	uint32_t tree;		/* treap root (page number, 0 = empty) */
	uint32_t nfree_runs;	/* RUN_FREE runs */
	uint64_t free_pages;	/* pages in RUN_FREE runs */
	uint64_t large_pages;	/* pages in RUN_LARGE runs */
	uint64_t slab_pages;	/* pages in RUN_SLAB runs */
	uint64_t nlarge;	/* live large objects */
	uint64_t nmalloc_large;	/* large allocations ever made */
	uint64_t nfree_large;	/* large objects ever freed */
	uint64_t nresize_inplace; /* resizes done without moving */
	const backing_t *backing; /* where purged memory goes back to */
	uint64_t purged_chunks;	/* chunks given back now (purge.c) */
	uint64_t npurges;	/* chunks ever given back */
	uint32_t map_ahead_end;	/* chunks from here on are mapped whole when
				 * a run first lands in them (purge.c);
				 * UINT32_MAX: never */
	uint32_t keep_cap;	/* free chunks kept committed: this many, or
				 * twice the large objects in use (purge.c;
				 * 0: every one given back) */
	uint64_t nmapped_ahead;	/* chunks mapped that way */
	uint64_t kept_chunks;	/* chunks kept now (bits set in rg->kept) */
	uint64_t nkept;		/* chunks ever kept */
	uint32_t keep_head;	/* keep_ring[keep_head]: the oldest entry */
	uint32_t keep_len;	/* entries in keep_ring */
	uint32_t keep_ring[KEEP_MAX_CHUNKS];	/* chunks in the order they
				 * were kept; an entry whose chunk was used
				 * since (its bit clear) is stale */
	uint64_t meta_later_chunks; /* chunks whose metadata is not reserved
				 * yet (bits set in rg->meta_later) */
	uint64_t nmeta_reserved; /* chunks' metadata reserved since */
} __attribute__((aligned(64))) extents_t;	/* its lock and counters share
						 * no line with what the free
						 * path reads */

/*
 * The whole data area of rg becomes one free run; freed memory is given
 * back to backing (NULL: never).
 */
void extents_init(extents_t *ex, region_t *rg, const backing_t *backing);

/*
 * A run of npages pages whose first byte is aligned to align (a power of
 * two; anything up to VM_PAGE means page aligned), of the given kind
 * (RUN_LARGE or RUN_SLAB), mapped in the page map. NULL if no free extent
 * can hold it.
 */
run_t *extents_alloc(extents_t *ex, region_t *rg, size_t npages,
		size_t align, enum run_kind_e kind);
/* the same for a slab of class cls (page aligned): its class is in its
 * page-map entries from the start */
run_t *extents_alloc_slab(extents_t *ex, region_t *rg, size_t npages,
		unsigned cls);

/* gives a RUN_LARGE or RUN_SLAB run back; false (nothing done) if run is
 * neither, e.g. a large object freed twice at the same time */
bool extents_free(extents_t *ex, region_t *rg, run_t *run);

/* the same for a thread cache: a RUN_LARGE run of cls RUN_CLS_TCACHE,
 * cut from the top of the pool when there is room there (page aligned) */
run_t *extents_alloc_cache(extents_t *ex, region_t *rg, size_t npages);

/* true if the run at page and what is around it are as an operation of
 * the extent manager must leave them: its page-map entries; a free run
 * merged with its neighbours and in order in the tree (vm_assert_expensive
 * after each operation; extent_valid.c). Caller holds the lock */
bool extents_run_valid(const region_t *rg, uint32_t page);

/* reserves [off, off + len) of the region's spare area (region.h) in the
 * pool's backing, as purge_commit does for data; false (errno set) if
 * the file system has no room */
bool extents_reserve_spare(extents_t *ex, size_t off, size_t len);

/*
 * Changes the length of a RUN_LARGE run to npages without moving it: a
 * growth succeeds when the run that follows is free and long enough; a
 * shrink always does, unless a pool file reserved lazily cannot reserve
 * the metadata where the run now ends. Returns true when done.
 */
bool extents_resize(extents_t *ex, region_t *rg, run_t *run, size_t npages);

/*
 * Calls fn(arg, off, len) for the byte ranges of the region that a copy
 * of the pool needs: the metadata and every run that is not free (the
 * contents of a free run do not matter), adjacent ones merged. Stops at
 * the first non-zero return of fn and returns -1; else 0. The caller
 * holds the extent lock, so the runs stand still.
 */
int extents_used_ranges(const region_t *rg,
		int (*fn)(void *arg, size_t off, size_t len), void *arg);

#endif /* VM_EXTENT_H */
