/*
 * region.h -- the layout of a pool's mapped region, and page arithmetic.
 *
 *   base                                                                 base+size
 *   | header | page-map root | chunk bits | page-map leaves | runs | spare | data |
 *   |<---------------------------- metadata ------------------------------>|      |
 *   page 0                                                       data_first  npages
 *
 * Every byte of metadata is inside the region; the data pages are tiled by
 * runs (run.h) handed out by the extent manager (src/large). The chunk bits
 * are three bitmaps of one bit per 2 MiB chunk (purged, kept, meta_later).
 * The metadata of the pages of chunk c, its page-map leaf and its 512 run
 * records, is one page and eight pages at fixed places (region_chunk_meta):
 * a pool file reserved lazily reserves them when a run first starts or
 * ends in c (purge.c), so a big pool costs nothing up front. The spare
 * area is room the layers above keep for themselves (the threads' caches:
 * src/slab/caches.c), reserved by them as they use it.
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

/* where the parts of the metadata of a region go: byte offsets */
typedef struct region_plan_s {
	size_t root_off, purged_off, kept_off, meta_later_off;
	size_t leaves_off;	/* the end of what is written up front */
	size_t runs_off;
	size_t spare_off;	/* the spare area, spare_bytes long */
	uint32_t data_first;	/* 0: too small a region */
} region_plan_t;

/* a chunk's page-map leaf is one page and maps the chunk's pages */
_Static_assert(PAGEMAP_LEAF_BITS == REGION_CHUNK_SHIFT &&
		PAGEMAP_LEAF_ENTRIES * sizeof(pagemap_entry_t) == VM_PAGE,
		"one page-map leaf per chunk, one page each");

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
	uint64_t *meta_later;	/* one bit per chunk: its leaf and run
				 * records not reserved yet (purge.c) */
	pagemap_t pagemap;
	region_plan_t plan;	/* where the metadata is */
} region_t;

/* the plan for npages pages whose header needs header_bytes, with a
 * spare area of spare_bytes; false (plan->data_first 0) when the metadata
 * and one data page do not fit */
bool region_plan(uint32_t npages, size_t header_bytes, size_t spare_bytes,
		region_plan_t *plan);

/*
 * Lays out the metadata of a region of npages pages whose header needs
 * header_bytes, with a spare area of spare_bytes. Returns the first data
 * page, or 0 when the region is too small to hold the metadata and at
 * least one data page.
 */
uint32_t region_layout(uint32_t npages, size_t header_bytes,
		size_t spare_bytes);

/* sets up rg for [base, base + npages pages); layout as region_plan() */
void region_init(region_t *rg, uintptr_t base, uint32_t npages,
		size_t header_bytes, size_t spare_bytes);

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

/* the chunks of a region of npages pages, the last maybe partial
 * (counted in 64 bits: npages may be UINT32_MAX) */
static inline uint32_t
region_nchunks(uint32_t npages)
{
	return (uint32_t)(((uint64_t)npages + REGION_CHUNK_PAGES - 1) >>
			REGION_CHUNK_SHIFT);
}

/* the chunk of the region that page is in */
static inline uint32_t
region_chunk(uint32_t page)
{
	return page >> REGION_CHUNK_SHIFT;
}

/*
 * The metadata of chunk c of a region of npages pages laid out by plan:
 * its page-map leaf, [*leaf_off, + VM_PAGE), and the run records of its
 * pages, [*runs_off, + *runs_len) (shorter in a last, partial chunk).
 */
static inline void
region_chunk_meta(const region_plan_t *plan, uint32_t npages, uint32_t c,
		size_t *leaf_off, size_t *runs_off, size_t *runs_len)
{
	vm_assert_internal(c <= (npages - 1) >> REGION_CHUNK_SHIFT);
	uint32_t first = c << REGION_CHUNK_SHIFT;
	uint32_t n = npages - first < REGION_CHUNK_PAGES ? npages - first :
			REGION_CHUNK_PAGES;
	*leaf_off = plan->leaves_off + (size_t)c * VM_PAGE;
	*runs_off = plan->runs_off + (size_t)first * sizeof(run_t);
	*runs_len = VM_ALIGN_UP((size_t)n * sizeof(run_t), VM_PAGE);
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
