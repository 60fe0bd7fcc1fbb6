/*
 * purge.c -- gives the memory of freed large objects back to the system,
 * and takes it again before it is reused.
 *
 * The unit is the 2 MiB chunk of the region (REGION_CHUNK_PAGES). When a
 * large run of at least PURGE_MIN_PAGES is freed, every chunk it touches
 * that is now entirely free is decommitted (a file: hole punched, so its
 * blocks and page cache go back; a region: madvise) and its bit set in
 * rg->purged. Before any free space is handed out, the purged chunks it
 * touches are committed again (a file: fallocate), so a full file system
 * makes that allocation fail cleanly instead of a later write SIGBUS.
 *
 * A pool file reserved lazily (libvmmalloc's) starts with every chunk of
 * its data area marked that way, so a chunk is reserved when it is first
 * used (purge_defer). On tmpfs a chunk just reserved is also mapped in one
 * call (backing_prefault) rather than one page fault at a time.
 *
 * A pool file reserved whole on tmpfs (vmem_create's) has its pages from
 * the start; there a chunk is mapped in one call when the first run of at
 * most MAP_AHEAD_MAX_PAGES lands in it (purge_map_ahead): 512 page faults
 * become one madvise. Chunks below ex->map_ahead_end were dealt with (or
 * skipped: they fault as usual).
 *
 * Invariant (checked by vmem_check): a purged chunk lies wholly inside
 * free runs; purged_chunks == the number of bits set.
 */
#include "large/purge.h"

static void
set_purged(region_t *rg, uint32_t chunk, bool on)
{
	uint64_t bit = (uint64_t)1 << (chunk % 64);
	if (on)
		rg->purged[chunk / 64] |= bit;
	else
		rg->purged[chunk / 64] &= ~bit;
}

static size_t
chunk_offset(uint32_t chunk)
{
	return (size_t)chunk << (REGION_CHUNK_SHIFT + VM_PAGE_SHIFT);
}

#define CHUNK_BYTES ((size_t)REGION_CHUNK_PAGES << VM_PAGE_SHIFT)

void
purge_freed(extents_t *ex, region_t *rg, uint32_t page, uint32_t npages,
		uint32_t free_page)
{
	if (npages < PURGE_MIN_PAGES || ex->backing == NULL)
		return;
	const run_t *free_run = region_run(rg, free_page);
	uint64_t free_end = (uint64_t)free_page + free_run->npages;
	uint32_t first = page >> REGION_CHUNK_SHIFT;
	uint32_t last = (page + npages - 1) >> REGION_CHUNK_SHIFT;
	for (uint32_t c = first; c <= last; c++) {
		uint64_t start = (uint64_t)c << REGION_CHUNK_SHIFT;
		if (start < free_page || start + REGION_CHUNK_PAGES > free_end ||
				purge_chunk_is_purged(rg, c))
			continue;
		if (backing_decommit(ex->backing, chunk_offset(c),
				CHUNK_BYTES) != 0)
			return;	/* the backing cannot: keep the memory */
		set_purged(rg, c, true);
		ex->purged_chunks++;
		ex->npurges++;
	}
}

bool
purge_commit(extents_t *ex, region_t *rg, uint32_t page, uint32_t npages)
{
	if (vm_likely(ex->purged_chunks == 0))
		return true;
	uint32_t first = page >> REGION_CHUNK_SHIFT;
	uint32_t last = (page + npages - 1) >> REGION_CHUNK_SHIFT;
	for (uint32_t c = first; c <= last; c++) {
		if (!purge_chunk_is_purged(rg, c))
			continue;
		if (backing_commit(ex->backing, chunk_offset(c),
				CHUNK_BYTES) != 0)
			return false;
		backing_prefault(ex->backing, chunk_offset(c), CHUNK_BYTES);
		set_purged(rg, c, false);
		ex->purged_chunks--;
	}
	return true;
}

void
purge_map_ahead_start(extents_t *ex)
{
	ex->map_ahead_end = 0;
}

void
purge_map_ahead(extents_t *ex, uint32_t page, uint32_t npages)
{
	const backing_t *b = ex->backing;
	uint32_t last = (page + npages - 1) >> REGION_CHUNK_SHIFT;
	if (npages > MAP_AHEAD_MAX_PAGES || b == NULL)
		return;
	uint32_t c = page >> REGION_CHUNK_SHIFT;
	if (c < ex->map_ahead_end)
		c = ex->map_ahead_end;
	for (; c <= last; c++) {
		size_t off = chunk_offset(c);
		/* the last chunk of a pool may be cut short */
		size_t len = b->size - off < CHUNK_BYTES ? b->size - off :
				CHUNK_BYTES;
		backing_prefault(b, off, len);
		ex->nmapped_ahead++;
	}
	ex->map_ahead_end = last + 1;
}

void
purge_defer(extents_t *ex, region_t *rg, uint32_t first, uint32_t end)
{
	vm_assert_internal(ex->nfree_runs == 1 && first >= 1 &&
			((uint64_t)first << REGION_CHUNK_SHIFT) >= rg->data_first);
	for (uint32_t c = first; c < end; c++)
		set_purged(rg, c, true);
	ex->purged_chunks += end - first;
}
