/*
 * purge.c -- gives the memory of freed large objects back to the system,
 * and takes it again before it is reused.
 *
 * The unit is the 2 MiB chunk of the region (REGION_CHUNK_PAGES). When a
 * large run of at least PURGE_MIN_PAGES is freed, every chunk it touches
 * that is now entirely free is kept: it stays committed, its pages
 * mapped, so the next large object placed there costs no system call and
 * no page fault (a program that frees and allocates big buffers in turn
 * would otherwise pay both for every page, every time). The budget
 * (purge_keep_budget) is the larger of ex->keep_cap, 1/KEEP_SHARE of the
 * pool, and twice the large objects in use, at most KEEP_MAX_CHUNKS
 * (256 MiB): so the free memory kept stays within twice what the program
 * uses in large objects, or a small share of the pool. Keeping a chunk
 * at the budget gives the chunk kept longest back first, so beyond it the
 * memory of freed objects goes back at once, and a program that frees
 * everything and then does nothing holds at most the budget (none in
 * pools below 32 MiB, which give every freed chunk back at once).
 * A chunk given back is decommitted (a file: hole punched, so its blocks
 * and page cache go back; a region: madvise) and its bit set in
 * rg->purged. Before any free space is handed out, the purged chunks it
 * touches are committed again (a file: fallocate), so a full file system
 * makes that allocation fail cleanly instead of a later write SIGBUS; a
 * kept chunk it touches is simply no longer kept.
 * The kept chunks are a ring in the order they were kept; an entry whose
 * chunk was used since (its bit in rg->kept clear) is stale and skipped.
 *
 * A pool file reserved lazily (libvmmalloc's) starts with every chunk of
 * its data area marked that way, so a chunk is reserved when it is first
 * used (purge_defer). On tmpfs, when the run that reserves a chunk is at
 * most MAP_AHEAD_MAX_PAGES long, its pages there are also mapped in one
 * call (backing_prefault) rather than one page fault at a time; not the
 * rest of the chunk, nor the pages of a longer run, which a program may
 * touch only here and there (a process's resident memory counts every
 * page mapped, as it would count the pages it touched of a heap in
 * anonymous memory). Such a pool reserves the metadata of a chunk (a
 * page-map leaf and 32 KiB of run records) when a run first starts or
 * ends in it, so that the metadata of a 16 GiB pool (290 MiB) is not
 * reserved, and on tmpfs not zeroed, by a program that uses a few MiB of
 * it (purge_meta_reserve).
 *
 * A pool file reserved whole on tmpfs (vmem_create's) has its pages from
 * the start; there a chunk is mapped in one call when the first run of at
 * most MAP_AHEAD_MAX_PAGES lands in it (purge_map_ahead): 512 page faults
 * become one madvise. Chunks below ex->map_ahead_end were dealt with (or
 * skipped: they fault as usual).
 *
 * Invariants (checked by vmem_check): a purged or kept chunk lies wholly
 * inside free runs, and no chunk is both; purged_chunks, kept_chunks and
 * meta_later_chunks are the numbers of bits set; no run starts or ends in
 * a chunk whose metadata is not reserved; kept_chunks <= keep_len <=
 * KEEP_MAX_CHUNKS (the ring's size).
 */
#include <string.h>

#include "large/purge.h"

/* sets or clears the bit of chunk in a per-chunk bitmap of the region */
static void
set_chunk_bit(uint64_t *bits, uint32_t chunk, bool on)
{
	uint64_t bit = (uint64_t)1 << (chunk % 64);
	if (on)
		bits[chunk / 64] |= bit;
	else
		bits[chunk / 64] &= ~bit;
}

/* sets the bits of chunks [first, end) in a per-chunk bitmap */
static void
set_chunk_bits(uint64_t *bits, uint32_t first, uint32_t end)
{
	for (uint32_t c = first; c < end && c % 64 != 0; c++)
		set_chunk_bit(bits, c, true);
	for (uint32_t c = VM_ALIGN_UP(first, 64); c + 64 <= end; c += 64)
		bits[c / 64] = ~(uint64_t)0;
	for (uint32_t c = VM_ALIGN_DOWN(end, 64); c < end; c++)
		if (c >= first)
			set_chunk_bit(bits, c, true);
}

static void
set_purged(region_t *rg, uint32_t chunk, bool on)
{
	set_chunk_bit(rg->purged, chunk, on);
}

static size_t
chunk_offset(uint32_t chunk)
{
	return (size_t)chunk << (REGION_CHUNK_SHIFT + VM_PAGE_SHIFT);
}

#define CHUNK_BYTES ((size_t)REGION_CHUNK_PAGES << VM_PAGE_SHIFT)

static void
set_kept(region_t *rg, uint32_t chunk, bool on)
{
	set_chunk_bit(rg->kept, chunk, on);
}

void
purge_init(extents_t *ex, const region_t *rg)
{
	uint32_t share = (rg->npages >> REGION_CHUNK_SHIFT) / KEEP_SHARE;
	ex->purged_chunks = 0;
	ex->npurges = 0;
	ex->kept_chunks = 0;
	ex->nkept = 0;
	ex->keep_cap = share < KEEP_MAX_CHUNKS ? share : KEEP_MAX_CHUNKS;
	ex->keep_head = 0;
	ex->keep_len = 0;
	ex->meta_later_chunks = 0;
	ex->nmeta_reserved = 0;
}

/* gives chunk c, wholly free, back to the backing (if it can) */
static void
give_back(extents_t *ex, region_t *rg, uint32_t c)
{
	if (backing_decommit(ex->backing, chunk_offset(c), CHUNK_BYTES) != 0)
		return;	/* the backing cannot: keep the memory */
	set_purged(rg, c, true);
	ex->purged_chunks++;
	ex->npurges++;
}

/* the ring's slot i places after its oldest entry */
static uint32_t
ring_slot(const extents_t *ex, uint32_t i)
{
	return (ex->keep_head + i) % KEEP_MAX_CHUNKS;
}

/* drops the stale entries of the ring (chunks used since they were
 * kept), the others staying in their order */
static void
keep_compact(extents_t *ex, const region_t *rg)
{
	uint32_t live[KEEP_MAX_CHUNKS], n = 0;
	for (uint32_t i = 0; i < ex->keep_len; i++) {
		uint32_t c = ex->keep_ring[ring_slot(ex, i)];
		if (purge_chunk_is_kept(rg, c))
			live[n++] = c;
	}
	memcpy(ex->keep_ring, live, n * sizeof(live[0]));
	ex->keep_head = 0;
	ex->keep_len = n;
}

/* gives back the chunk kept longest (stale entries before it dropped);
 * false if the ring held none */
static bool
keep_evict(extents_t *ex, region_t *rg)
{
	while (ex->keep_len > 0) {
		uint32_t old = ex->keep_ring[ex->keep_head];
		ex->keep_head = ring_slot(ex, 1);
		ex->keep_len--;
		if (purge_chunk_is_kept(rg, old)) {
			set_kept(rg, old, false);
			ex->kept_chunks--;
			give_back(ex, rg, old);
			return true;
		}
	}
	return false;
}

uint64_t
purge_keep_budget(const extents_t *ex)
{
	if (ex->keep_cap == 0)
		return 0;
	uint64_t live = 2 * (ex->large_pages >> REGION_CHUNK_SHIFT);
	uint64_t budget = live > ex->keep_cap ? live : ex->keep_cap;
	return budget < KEEP_MAX_CHUNKS ? budget : KEEP_MAX_CHUNKS;
}

/* keeps chunk c, wholly free and committed, for reuse; past the budget
 * the chunks kept longest are given back */
static void
keep(extents_t *ex, region_t *rg, uint32_t c)
{
	if (ex->keep_cap == 0) {
		give_back(ex, rg, c);
		return;
	}
	if (ex->keep_len == KEEP_MAX_CHUNKS &&
			ex->kept_chunks < KEEP_MAX_CHUNKS)
		keep_compact(ex, rg);
	if (ex->keep_len == KEEP_MAX_CHUNKS)
		keep_evict(ex, rg);
	while (ex->kept_chunks >= purge_keep_budget(ex) && keep_evict(ex, rg))
		;
	ex->keep_ring[ring_slot(ex, ex->keep_len)] = c;
	ex->keep_len++;
	set_kept(rg, c, true);
	ex->kept_chunks++;
	ex->nkept++;
}

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
				purge_chunk_is_purged(rg, c) ||
				purge_chunk_is_kept(rg, c))
			continue;
		keep(ex, rg, c);
	}
}

/* maps the pages of the run [page, page + npages) that are in chunk c
 * (a file on tmpfs: see backing_prefault) */
static void
prefault_run_in_chunk(const backing_t *b, uint32_t page, uint32_t npages,
		uint32_t c)
{
	uint64_t from = (uint64_t)c << REGION_CHUNK_SHIFT;
	uint64_t to = from + REGION_CHUNK_PAGES;
	from = from > page ? from : page;
	to = to < (uint64_t)page + npages ? to : (uint64_t)page + npages;
	backing_prefault(b, (size_t)from << VM_PAGE_SHIFT,
			(size_t)(to - from) << VM_PAGE_SHIFT);
}

bool
purge_commit(extents_t *ex, region_t *rg, uint32_t page, uint32_t npages)
{
	if (vm_likely(ex->purged_chunks == 0 && ex->kept_chunks == 0))
		return true;
	uint32_t first = page >> REGION_CHUNK_SHIFT;
	uint32_t last = (page + npages - 1) >> REGION_CHUNK_SHIFT;
	for (uint32_t c = first; c <= last; c++) {
		if (purge_chunk_is_kept(rg, c)) {	/* committed: in use now */
			set_kept(rg, c, false);
			ex->kept_chunks--;
			continue;
		}
		if (!purge_chunk_is_purged(rg, c))
			continue;
		if (backing_commit(ex->backing, chunk_offset(c),
				CHUNK_BYTES) != 0)
			return false;
		if (npages <= MAP_AHEAD_MAX_PAGES)
			prefault_run_in_chunk(ex->backing, page, npages, c);
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

/* reserves [off, off + len) of b; false (errno set) if it cannot */
static bool
reserve(const backing_t *b, size_t off, size_t len)
{
	return len == 0 || backing_commit(b, off, len) == 0;
}

/* reserves the page-map leaf and run records of chunk c */
static bool
reserve_chunk_meta(const backing_t *b, const region_plan_t *plan,
		uint32_t npages, uint32_t c)
{
	size_t leaf, runs, runs_len;
	region_chunk_meta(plan, npages, c, &leaf, &runs, &runs_len);
	return reserve(b, leaf, VM_PAGE) && reserve(b, runs, runs_len);
}

int
purge_lazy_reserve(const backing_t *b, size_t header_bytes,
		size_t spare_bytes, uint32_t *first, uint32_t *end)
{
	uint64_t npages = b->size >> VM_PAGE_SHIFT;
	region_plan_t plan;
	*first = *end = 0;
	if (npages > REGION_MAX_PAGES ||
			!region_plan((uint32_t)npages, header_bytes, spare_bytes,
			&plan))
		return 0;	/* pool_init refuses the size */
	uint32_t n = (uint32_t)npages;
	*first = (plan.data_first + REGION_CHUNK_PAGES - 1) >>
			REGION_CHUNK_SHIFT;
	*end = n >> REGION_CHUNK_SHIFT;
	if (*end <= *first) {	/* no chunk is data only: reserve it all */
		*first = *end = 0;
		return reserve(b, 0, b->size) ? 0 : -1;
	}
	size_t head_data = (size_t)plan.data_first << VM_PAGE_SHIFT;
	size_t body = chunk_offset(*first), tail = chunk_offset(*end);
	bool ok = reserve(b, 0, plan.leaves_off) &&
			reserve(b, head_data, body - head_data) &&
			reserve(b, tail, b->size - tail) &&
			reserve_chunk_meta(b, &plan, n,
				region_chunk(plan.data_first)) &&
			reserve_chunk_meta(b, &plan, n, region_chunk(n - 1));
	if (ok)	/* written right away: the root is 4 MiB in a 1 TiB pool */
		backing_prefault(b, 0, plan.leaves_off);
	return ok ? 0 : -1;
}

void
purge_defer(extents_t *ex, region_t *rg, uint32_t first, uint32_t end)
{
	vm_assert_internal(ex->nfree_runs == 1 && first >= 1 &&
			((uint64_t)first << REGION_CHUNK_SHIFT) >= rg->data_first);
	set_chunk_bits(rg->purged, first, end);
	ex->purged_chunks += end - first;
	/* but for the chunks of the first and last data page */
	uint32_t from = region_chunk(rg->data_first) + 1;
	uint32_t to = region_chunk(rg->npages - 1);
	from = from > first ? from : first;
	to = to < end ? to : end;
	if (from < to) {
		set_chunk_bits(rg->meta_later, from, to);
		ex->meta_later_chunks += to - from;
	}
}

bool
purge_meta_reserve(extents_t *ex, region_t *rg, uint32_t c)
{
	if (!reserve_chunk_meta(ex->backing, &rg->plan, rg->npages, c))
		return false;
	set_chunk_bit(rg->meta_later, c, false);
	ex->meta_later_chunks--;
	ex->nmeta_reserved++;
	return true;
}
