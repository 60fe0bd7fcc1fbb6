/*
 * large.h -- the best-fit extent manager: hands out page runs for large
 * objects and slabs, and takes them back.
 *
 * Free extents are RUN_FREE runs kept in a treap ordered by (pages, first
 * page), so the best fit -- the smallest free extent that is large enough,
 * the lowest address among equals -- is found in O(log n). A freed run is
 * merged with free neighbours at once (found through the page map), so no
 * two free runs ever touch. Alignment padding is given back as free runs.
 *
 * Thread safety: every extents_* function takes ex->lock itself, except the
 * *_locked ones, whose caller holds it. The lock ranks after bin locks
 * (pool/lock.h).
 */
#ifndef VM_LARGE_H
#define VM_LARGE_H

#include "pool/lock.h"
#include "pool/region.h"

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
} extents_t;

/* the whole data area of rg becomes one free run */
void extents_init(extents_t *ex, region_t *rg);

/*
 * A run of npages pages whose first byte is aligned to align (a power of
 * two; anything up to VM_PAGE means page aligned), of the given kind
 * (RUN_LARGE or RUN_SLAB), mapped in the page map. NULL if no free extent
 * can hold it.
 */
run_t *extents_alloc(extents_t *ex, region_t *rg, size_t npages,
		size_t align, enum run_kind_e kind);

/* gives a RUN_LARGE or RUN_SLAB run back */
void extents_free(extents_t *ex, region_t *rg, run_t *run);

/*
 * Changes the length of a RUN_LARGE run to npages without moving it: a
 * shrink always succeeds; a growth succeeds when the run that follows is
 * free and long enough. Returns true when done.
 */
bool extents_resize(extents_t *ex, region_t *rg, run_t *run, size_t npages);

/* ---- the treap (extent_tree.c); callers hold the extent lock ---------- */
void etree_insert(region_t *rg, uint32_t *root, uint32_t page);
void etree_remove(region_t *rg, uint32_t *root, uint32_t page);
/* the first free run in (pages, page) order not below (npages, min_page) */
uint32_t etree_lower_bound(const region_t *rg, uint32_t root, uint32_t npages,
		uint32_t min_page);
uint32_t etree_priority(uint32_t page);

#endif /* VM_LARGE_H */
