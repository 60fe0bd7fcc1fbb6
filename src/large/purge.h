/*
 * purge.h -- giving the memory of freed large runs back to the system, and
 * taking it again before it is reused (purge.c).
 *
 * The unit is the 2 MiB chunk of the region (REGION_CHUNK_PAGES); which
 * chunks are given back is one bit each in the region (rg->purged), and
 * so is which freed chunks are kept committed for reuse (rg->kept).
 * A pool file reserved lazily also reserves the metadata of a chunk (its
 * page-map leaf and run records, region_chunk_meta) only when a record or
 * page-map entry of one of its pages is first written (rg->meta_later).
 * Thread safety: callers hold the extent lock (extent.h).
 * Owns: rg->purged, rg->kept, rg->meta_later, and the purge, keep,
 * map-ahead and metadata fields of extents_t.
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
 * A pool file of b->size bytes reserved lazily: reserves, before the
 * region is set up (region_init, extents_init), what that writes and what
 * is never reserved later: the metadata up to the page-map leaves, the
 * data pages of chunks that are partly metadata or cut short at the end,
 * and the leaf and records of the chunks of the first and the last data
 * page; not the spare area (region.h). The chunks [*first, *end) (wholly
 * data, maybe none) are left for purge_defer. -1 (errno set) if the file
 * system has no room.
 */
int purge_lazy_reserve(const backing_t *b, size_t header_bytes,
		size_t spare_bytes, uint32_t *first, uint32_t *end);
/* right after extents_init of a pool purge_lazy_reserve prepared: marks
 * chunks [first, end) as given back, and their metadata as not reserved
 * (but for the chunks of the first and last data page) */
void purge_defer(extents_t *ex, region_t *rg, uint32_t first, uint32_t end);
/* reserves the metadata of chunk c (purge_meta_ready) */
bool purge_meta_reserve(extents_t *ex, region_t *rg, uint32_t c);
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

/* true if the metadata of chunk is reserved (purge_defer) */
static inline bool
purge_chunk_has_meta(const region_t *rg, uint32_t chunk)
{
	return !purge_chunk_bit(rg->meta_later, chunk);
}
/*
 * Before a run record or a page-map entry of page is written: reserves
 * the metadata of its chunk if that was left for later. False if it
 * cannot be (a full file system): the caller fails before changing
 * anything.
 */
static inline bool
purge_meta_ready(extents_t *ex, region_t *rg, uint32_t page)
{
	uint32_t c = region_chunk(page);
	return vm_likely(purge_chunk_has_meta(rg, c)) ||
			purge_meta_reserve(ex, rg, c);
}

#endif /* VM_PURGE_H */
