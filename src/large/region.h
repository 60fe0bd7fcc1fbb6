/*
 * region.h -- the layout of a pool's mapped region, and page arithmetic.
 *
 *   base                                                              base+size
 *   | header | page-map root | purged, kept bits | page-map leaves | runs | data |
 *   |<---------------------------- metadata ----------------------->|       |
 *   page 0                                                data_first  npages
 *
 * Every byte of metadata is inside the region; the data pages are tiled by
 * runs (run.h) handed out by the extent manager (src/large).
 * A region_t is immutable after region_init(), so reading it takes no lock.
 * Owns: the layout; region_init writes the page map's root and the
 * purged and kept bits, every other record is its owner's (run.h).
 * Thread safety: a region_t is immutable after region_init().
 */
#ifndef VM_REGION_H
#define VM_REGION_H

#include <stddef.h>
#include <stdint.h>
#include "large/pagemap.h"
#include "large/run.h"

/* the unit in which freed memory is given back to the system */
#define REGION_CHUNK_SHIFT	9	/* pages: 2 MiB */
#define REGION_CHUNK_PAGES	((uint32_t)1 << REGION_CHUNK_SHIFT)

/* the largest pool: page numbers are 32 bits */
#define REGION_MAX_PAGES	((uint64_t)UINT32_MAX)

typedef struct region_s {
	uintptr_t base;		/* first byte (the pool header) */
	size_t size;		/* bytes, a multiple of VM_PAGE */
	uint32_t npages;	/* size / VM_PAGE */
	uint32_t data_first;	/* first page the allocator hands out */
	uintptr_t data_start;	/* its address */
	size_t data_size;	/* bytes from there to the end */
	run_t *runs;		/* one record per page */
	uint64_t *purged;	/* one bit per chunk: given back (purge.c) */
	uint64_t *kept;		/* one bit per chunk: free, kept committed
				 * for reuse (purge.c) */
	pagemap_t pagemap;
} region_t;

/*
 * Lays out the metadata of a region of npages pages whose header needs
 * header_bytes. Returns the first data page, or 0 when the region is too
 * small to hold the metadata and at least one data page.
 */
uint32_t region_layout(uint32_t npages, size_t header_bytes);

/* sets up rg for [base, base + npages pages); layout as region_layout() */
void region_init(region_t *rg, uintptr_t base, uint32_t npages,
		size_t header_bytes);

static inline void *
region_addr(const region_t *rg, uint32_t page)
{
	return (void *)(rg->base + ((uintptr_t)page << VM_PAGE_SHIFT));
}

static inline uint32_t
region_page(const region_t *rg, const void *p)
{
	return (uint32_t)(((uintptr_t)p - rg->base) >> VM_PAGE_SHIFT);
}

/* true if p points into the data pages of the region */
static inline bool
region_has_data(const region_t *rg, const void *p)
{
	return (uintptr_t)p - rg->data_start < rg->data_size;
}

static inline run_t *
region_run(const region_t *rg, uint32_t page)
{
	return &rg->runs[page];
}

static inline uint32_t
region_run_page(const region_t *rg, const run_t *run)
{
	return (uint32_t)(run - rg->runs);
}

/* the run record the page map names for page, or NULL */
static inline run_t *
region_lookup(const region_t *rg, uint32_t page)
{
	uint64_t e = pagemap_get(&rg->pagemap, page);
	if (pagemap_entry_kind(e) == RUN_SLAB)
		return region_run(rg, pagemap_slab_page(e));
	return pagemap_entry_run(e);
}

/* the entry the pages of the run that starts at page carry (pagemap.h) */
static inline uint64_t
region_entry(const region_t *rg, uint32_t page)
{
	const run_t *run = region_run(rg, page);
	if (run->kind == RUN_SLAB)
		return pagemap_slab_entry(page, run->cls);
	return pagemap_entry(run, (enum run_kind_e)run->kind);
}

#endif /* VM_REGION_H */
