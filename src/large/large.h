/*
 * large.h -- the best-fit extent manager: hands out page runs for large
 * objects and slabs, and takes them back.
 *
 * Free extents are RUN_FREE runs kept in a treap ordered by (pages, first
 * page), so the best fit -- the smallest free extent that is large enough,
 * the lowest address among equals -- is found in O(log n). A freed run is
 * merged with free neighbours at once (found through the page map), so no
 * two free runs ever touch. Alignment padding is given back as free runs.
 * Memory of large frees is given back to the system in 2 MiB chunks and
 * reserved again before reuse; in a pool file on tmpfs, a chunk is mapped
 * in one call when it is first used (purge.c).
 *
 * Thread safety: every extents_* function takes ex->lock itself, except the
 * *_locked ones, whose caller holds it. The lock ranks after bin locks
 * (base/lock.h).
 */
#ifndef VM_LARGE_H
#define VM_LARGE_H

#include "dax/dax.h"
#include "base/lock.h"
#include "large/region.h"

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
	uint32_t pad;
	uint64_t nmapped_ahead;	/* chunks mapped that way */
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

/* sets the cls of a RUN_LARGE run (RUN_CLS_TCACHE) and maps it again */
void extents_set_cls(extents_t *ex, region_t *rg, run_t *run, uint8_t cls);

/*
 * Changes the length of a RUN_LARGE run to npages without moving it: a
 * shrink always succeeds; a growth succeeds when the run that follows is
 * free and long enough. Returns true when done.
 */
bool extents_resize(extents_t *ex, region_t *rg, run_t *run, size_t npages);

/* ---- purge.c: giving memory back; callers hold the extent lock ------- */
/* the smallest freed large run that makes its chunks be given back */
#define PURGE_MIN_PAGES	REGION_CHUNK_PAGES
/* after [page, page + npages) was freed into the free run at free_page */
void purge_freed(extents_t *ex, region_t *rg, uint32_t page, uint32_t npages,
		uint32_t free_page);
/* before [page, page + npages) of free space is used: reserves its purged
 * chunks again; false if one cannot be (a full file system) */
bool purge_commit(extents_t *ex, region_t *rg, uint32_t page,
		uint32_t npages);
/*
 * A pool whose file is reserved lazily starts with chunks [*first, *end)
 * unreserved: those wholly in its data area (data from page data_first,
 * npages in all); *first == *end when there are none.
 */
static inline void
purge_lazy_chunks(uint32_t data_first, uint32_t npages, uint32_t *first,
		uint32_t *end)
{
	*first = (data_first + REGION_CHUNK_PAGES - 1) >> REGION_CHUNK_SHIFT;
	*end = npages >> REGION_CHUNK_SHIFT;
	if (*end < *first)
		*end = *first;
}
/* right after extents_init: marks chunks [first, end) as given back */
void purge_defer(extents_t *ex, region_t *rg, uint32_t first, uint32_t end);
/*
 * Map-ahead, for a pool whose file is reserved whole on tmpfs (its pages
 * exist from the start; what a first write costs is one page fault per
 * page): purge_map_ahead_start, right after extents_init, turns it on;
 * then a run of at most MAP_AHEAD_MAX_PAGES that is the first to land in
 * a chunk at or beyond ex->map_ahead_end gets its chunks mapped in one
 * call (backing_prefault), and map_ahead_end moves past them. Longer runs
 * are left to fault page by page (a program may touch a big object only
 * here and there), and so are chunks a run skipped.
 */
#define MAP_AHEAD_MAX_PAGES	REGION_CHUNK_PAGES
void purge_map_ahead_start(extents_t *ex);
void purge_map_ahead(extents_t *ex, uint32_t page, uint32_t npages);
static inline bool
purge_chunk_is_purged(const region_t *rg, uint32_t chunk)
{
	return (rg->purged[chunk / 64] >> (chunk % 64)) & 1;
}

/* ---- the treap (extent_tree.c); callers hold the extent lock ---------- */
void etree_insert(region_t *rg, uint32_t *root, uint32_t page);
void etree_remove(region_t *rg, uint32_t *root, uint32_t page);
/* the first free run in (pages, page) order not below (npages, min_page) */
uint32_t etree_lower_bound(const region_t *rg, uint32_t root, uint32_t npages,
		uint32_t min_page);
uint32_t etree_priority(uint32_t page);

#endif /* VM_LARGE_H */
