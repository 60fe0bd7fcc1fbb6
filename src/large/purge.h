/*
 * purge.h -- giving the memory of freed large runs back to the system, and
 * taking it again before it is reused (purge.c).
 *
 * The unit is the 2 MiB chunk of the region (REGION_CHUNK_PAGES); which
 * chunks are given back is one bit each in the region (rg->purged), and
 * so is which freed chunks are kept committed for reuse (rg->kept).
 * Thread safety: callers hold the extent lock (extent.h).
 * Owns: rg->purged, rg->kept, and the purge, keep and map-ahead fields
 * of extents_t.
 */
#ifndef VM_PURGE_H
#define VM_PURGE_H

#include "large/extent.h"

/* the smallest freed large run that makes its chunks be given back */
#define PURGE_MIN_PAGES	REGION_CHUNK_PAGES
/* a pool of n chunks keeps n / KEEP_SHARE freed chunks committed, or
 * more while its large objects in use are more (purge_keep_budget) */
#define KEEP_SHARE	16
/* from extents_init: nothing purged or kept; the keep share of rg */
void purge_init(extents_t *ex, const region_t *rg);
/* how many freed chunks ex keeps now: the larger of keep_cap and twice
 * the chunks of large objects in use, at most KEEP_MAX_CHUNKS (0 if
 * keep_cap is 0: a pool that keeps none) */
uint64_t purge_keep_budget(const extents_t *ex);
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
/* the bit of chunk in a per-chunk bitmap of the region */
static inline bool
purge_chunk_bit(const uint64_t *bits, uint32_t chunk)
{
	return (bits[chunk / 64] >> (chunk % 64)) & 1;
}
static inline bool
purge_chunk_is_purged(const region_t *rg, uint32_t chunk)
{
	return purge_chunk_bit(rg->purged, chunk);
}
/* true if chunk is free and kept committed for reuse */
static inline bool
purge_chunk_is_kept(const region_t *rg, uint32_t chunk)
{
	return purge_chunk_bit(rg->kept, chunk);
}

#endif /* VM_PURGE_H */
