/*
 * extent.c -- the best-fit extent manager (see extent.h).
 *
 * Owns: the free runs of a pool's data area and their treap, and the page
 * map entries of every run boundary. Invariants kept here:
 *   free_pages + large_pages + slab_pages == npages - data_first
 *   nfree_runs == nodes in the treap
 *   a RUN_FREE or RUN_LARGE run maps its first and last page, a RUN_SLAB
 *   maps all its pages; all other pages of the data area map to 0.
 */
#include "large/extent.h"
#include "large/extent_tree.h"
#include "large/purge.h"

/* writes the page map entries of the run at page for its kind */
static void
map_run(region_t *rg, uint32_t page, uint64_t entry_or_0)
{
	run_t *run = region_run(rg, page);
	uint32_t last = page + run->npages - 1;
	if (run->kind == RUN_SLAB) {
		for (uint32_t p = page; p <= last; p++)
			pagemap_set(&rg->pagemap, p, entry_or_0);
	} else {
		pagemap_set(&rg->pagemap, page, entry_or_0);
		pagemap_set(&rg->pagemap, last, entry_or_0);
	}
}

static void
map(region_t *rg, uint32_t page)
{
	map_run(rg, page, region_entry(rg, page));
}

static void
unmap(region_t *rg, uint32_t page)
{
	map_run(rg, page, 0);
}

/* makes [page, page + npages) a free run and puts it in the tree */
static void
add_free(extents_t *ex, region_t *rg, uint32_t page, uint32_t npages)
{
	run_t *run = region_run(rg, page);
	run->npages = npages;
	run->kind = RUN_FREE;
	run->u.tree.left = 0;
	run->u.tree.right = 0;
	map(rg, page);
	etree_insert(rg, &ex->tree, page);
	ex->nfree_runs++;
	ex->free_pages += npages;
}

/* takes the free run at page out of the tree; its record stays */
static void
take_free(extents_t *ex, region_t *rg, uint32_t page)
{
	run_t *run = region_run(rg, page);
	vm_assert_internal(run->kind == RUN_FREE);
	etree_remove(rg, &ex->tree, page);
	unmap(rg, page);
	ex->nfree_runs--;
	ex->free_pages -= run->npages;
}

void
extents_init(extents_t *ex, region_t *rg, const backing_t *backing)
{
	ex->backing = backing;
	ex->map_ahead_end = UINT32_MAX;
	ex->nmapped_ahead = 0;
	purge_init(ex, rg);
	vm_lock_init(&ex->lock);
	ex->tree = 0;
	ex->nfree_runs = 0;
	ex->free_pages = 0;
	ex->large_pages = 0;
	ex->slab_pages = 0;
	ex->nlarge = 0;
	ex->nmalloc_large = 0;
	ex->nfree_large = 0;
	ex->nresize_inplace = 0;
	add_free(ex, rg, rg->data_first, rg->npages - rg->data_first);
}

/* pages from the start of the free run at page to an aligned address */
static uint32_t
lead_pages(const region_t *rg, uint32_t page, size_t align)
{
	uintptr_t addr = (uintptr_t)region_addr(rg, page);
	return (uint32_t)((VM_ALIGN_UP(addr, align) - addr) >> VM_PAGE_SHIFT);
}

static bool
fits(const region_t *rg, uint32_t page, uint32_t npages, size_t align)
{
	uint64_t need = (uint64_t)lead_pages(rg, page, align) + npages;
	return need <= region_run(rg, page)->npages;
}

/*
 * The best free run that holds npages at the alignment: the smallest that
 * fits, lowest address among equals. Without alignment that is the lower
 * bound. With it, a few candidates in order are tried, then the lower bound
 * for the size that fits at any address, and only if that fails a walk of
 * every larger run.
 */
static uint32_t
find_fit(const extents_t *ex, const region_t *rg, uint32_t npages,
		size_t align)
{
	uint32_t page = etree_lower_bound(rg, ex->tree, npages, 0);
	if (align <= VM_PAGE || page == 0)
		return page;
	for (int tries = 0; page != 0 && tries < 16; tries++) {
		if (fits(rg, page, npages, align))
			return page;
		page = etree_lower_bound(rg, ex->tree,
				region_run(rg, page)->npages, page + 1);
	}
	uint64_t any = (uint64_t)npages + (align >> VM_PAGE_SHIFT) - 1;
	if (any <= UINT32_MAX) {
		page = etree_lower_bound(rg, ex->tree, (uint32_t)any, 0);
		if (page != 0)
			return page;
	}
	page = etree_lower_bound(rg, ex->tree, npages, 0);
	while (page != 0 && !fits(rg, page, npages, align))
		page = etree_lower_bound(rg, ex->tree,
				region_run(rg, page)->npages, page + 1);
	return page;
}

/* runs find_fit_high steps over on its way down from the top */
#define HIGH_FIT_STEPS	64

/*
 * For a thread cache: the free run at the top of the data area, just
 * below the caches already there, when it holds npages; else the best fit.
 * alloc_run cuts the cache from the end of that run, so caches stack down
 * from the end of the pool and never split the space in which objects
 * grow up from its start: an emptied pool holds one object of almost its
 * whole size again, whichever threads made caches when.
 */
static uint32_t
find_fit_high(const extents_t *ex, const region_t *rg, uint32_t npages)
{
	uint32_t last = rg->npages - 1;
	for (int steps = 0; steps < HIGH_FIT_STEPS && last >= rg->data_first;
			steps++) {
		const run_t *run = region_lookup(rg, last);
		if (run == NULL)
			break;
		if (run->kind == RUN_FREE) {
			if (run->npages >= npages)
				return region_run_page(rg, run);
			break;
		}
		if (run->kind != RUN_LARGE || run->cls != RUN_CLS_TCACHE)
			break;
		last = region_run_page(rg, run) - 1;
	}
	return find_fit(ex, rg, npages, VM_PAGE);
}

static void
account(extents_t *ex, enum run_kind_e kind, int64_t pages)
{
	if (kind == RUN_SLAB)
		ex->slab_pages += (uint64_t)pages;
	else
		ex->large_pages += (uint64_t)pages;
}

/*
 * Reserves the metadata alloc_run writes when it cuts the run [start,
 * start + n) out of a free run with lead free pages before and trail
 * after: the records and entries of the new run and of the free runs
 * left, wherever a boundary is new (a slab, all its pages, is shorter
 * than a chunk, so its first and last chunks are all of them).
 */
static bool
meta_ready_alloc(extents_t *ex, region_t *rg, uint32_t start, uint32_t n,
		uint32_t lead, uint32_t trail)
{
	uint32_t last = start + n - 1;
	return purge_meta_ready(ex, rg, start) &&
			purge_meta_ready(ex, rg, last) &&
			(lead == 0 || purge_meta_ready(ex, rg, start - 1)) &&
			(trail == 0 || purge_meta_ready(ex, rg, last + 1));
}

/* a run cut from a free run: from its start (the best fit), or for a
 * thread cache from its end (find_fit_high) */
static run_t *
alloc_run(extents_t *ex, region_t *rg, size_t npages, size_t align,
		enum run_kind_e kind, uint8_t cls)
{
	vm_assert(kind == RUN_LARGE || kind == RUN_SLAB);
	if (npages == 0 || npages > UINT32_MAX)
		return NULL;
	vm_assert_internal(kind != RUN_SLAB || npages <= REGION_CHUNK_PAGES);
	bool high = kind == RUN_LARGE && cls == RUN_CLS_TCACHE;
	vm_assert_internal(!high || align <= VM_PAGE);
	uint32_t n = (uint32_t)npages;
	vm_lock(&ex->lock);
	uint32_t page = high ? find_fit_high(ex, rg, n) :
			find_fit(ex, rg, n, align);
	if (page == 0) {
		vm_unlock(&ex->lock);
		return NULL;
	}
	uint32_t have = region_run(rg, page)->npages;
	uint32_t lead = high ? have - n :
			align > VM_PAGE ? lead_pages(rg, page, align) : 0;
	if (!meta_ready_alloc(ex, rg, page + lead, n, lead, have - lead - n) ||
			!purge_commit(ex, rg, page + lead, n)) {
		vm_unlock(&ex->lock);
		return NULL;
	}
	/* (a cache at the top of the pool would end mapping ahead below it) */
	if (vm_unlikely(((page + lead + n - 1) >> REGION_CHUNK_SHIFT) >=
			ex->map_ahead_end) && !high)
		purge_map_ahead(ex, page + lead, n);
	take_free(ex, rg, page);
	if (lead > 0)
		add_free(ex, rg, page, lead);
	uint32_t start = page + lead;
	uint32_t trail = have - lead - n;
	if (trail > 0)
		add_free(ex, rg, start + n, trail);
	run_t *run = region_run(rg, start);
	run->npages = n;
	run->kind = (uint8_t)kind;
	run->cls = cls;	/* set before the page map names it; and no stale
			 * mark of a cached run may stay */
	map(rg, start);
	account(ex, kind, n);
	if (kind == RUN_LARGE) {
		ex->nlarge++;
		ex->nmalloc_large++;
	}
	vm_assert_expensive(extents_run_valid(rg, start) &&
			(lead == 0 || extents_run_valid(rg, page)) &&
			(trail == 0 || extents_run_valid(rg, start + n)));
	vm_unlock(&ex->lock);
	return run;
}

/*
 * Frees [page, page + npages), whose page map entries are already cleared,
 * merging it with free neighbours. Caller holds the lock. Returns the
 * first page of the free run it ended up in.
 */
static uint32_t
release_locked(extents_t *ex, region_t *rg, uint32_t page, uint32_t npages)
{
	region_run(rg, page)->kind = RUN_NONE;
	if (page > rg->data_first) {
		run_t *left = region_lookup(rg, page - 1);
		if (left != NULL && left->kind == RUN_FREE) {
			uint32_t lpage = region_run_page(rg, left);
			take_free(ex, rg, lpage);
			npages += left->npages;
			page = lpage;
		}
	}
	uint32_t end = page + npages;
	if (end < rg->npages) {
		run_t *right = region_lookup(rg, end);
		if (right != NULL && right->kind == RUN_FREE) {
			take_free(ex, rg, end);
			npages += right->npages;
			right->kind = RUN_NONE;
		}
	}
	add_free(ex, rg, page, npages);
	return page;
}

bool
extents_free(extents_t *ex, region_t *rg, run_t *run)
{
	uint32_t page = region_run_page(rg, run);
	vm_lock(&ex->lock);
	if (vm_unlikely(run->kind != RUN_LARGE && run->kind != RUN_SLAB)) {
		vm_unlock(&ex->lock);
		return false;
	}
	enum run_kind_e kind = (enum run_kind_e)run->kind;
	uint32_t npages = run->npages;
	unmap(rg, page);
	account(ex, kind, -(int64_t)npages);
	if (kind == RUN_LARGE) {
		ex->nlarge--;
		ex->nfree_large++;
	}
	uint32_t free_page = release_locked(ex, rg, page, npages);
	if (kind == RUN_LARGE)
		purge_freed(ex, rg, page, npages, free_page);
	vm_assert_expensive(extents_run_valid(rg, free_page));
	vm_unlock(&ex->lock);
	return true;
}

run_t *
extents_alloc(extents_t *ex, region_t *rg, size_t npages, size_t align,
		enum run_kind_e kind)
{
	return alloc_run(ex, rg, npages, align, kind, 0);
}

run_t *
extents_alloc_slab(extents_t *ex, region_t *rg, size_t npages, unsigned cls)
{
	return alloc_run(ex, rg, npages, VM_PAGE, RUN_SLAB, (uint8_t)cls);
}

run_t *
extents_alloc_cache(extents_t *ex, region_t *rg, size_t npages)
{
	return alloc_run(ex, rg, npages, VM_PAGE, RUN_LARGE, RUN_CLS_TCACHE);
}

bool
extents_reserve_spare(extents_t *ex, size_t off, size_t len)
{
	return ex->backing == NULL || len == 0 ||
			backing_commit(ex->backing, off, len) == 0;
}

/* shrinks the RUN_LARGE run at page to want pages, fewer than it has;
 * false if the metadata where it now ends cannot be reserved */
static bool
shrink_locked(extents_t *ex, region_t *rg, uint32_t page, uint32_t want)
{
	run_t *run = region_run(rg, page);
	uint32_t have = run->npages;
	/* the run's new last page, and the freed part's first */
	if (!purge_meta_ready(ex, rg, page + want - 1) ||
			!purge_meta_ready(ex, rg, page + want))
		return false;
	unmap(rg, page);
	run->npages = want;
	map(rg, page);
	ex->large_pages -= have - want;
	uint32_t free_page = release_locked(ex, rg, page + want, have - want);
	purge_freed(ex, rg, page + want, have - want, free_page);
	return true;
}

/* grows the RUN_LARGE run at page to want pages, more than it has, into
 * the free run that follows; false if there is none long enough */
static bool
grow_locked(extents_t *ex, region_t *rg, uint32_t page, uint32_t want)
{
	run_t *run = region_run(rg, page);
	uint32_t next = page + run->npages;
	uint32_t extra = want - run->npages;
	if (next >= rg->npages)
		return false;
	run_t *right = region_lookup(rg, next);
	if (right != region_run(rg, next) || right->kind != RUN_FREE ||
			right->npages < extra)
		return false;
	uint32_t rest = right->npages - extra;
	/* the run's new last page, and the first of the rest */
	if (!purge_meta_ready(ex, rg, page + want - 1) ||
			(rest > 0 && !purge_meta_ready(ex, rg, page + want)) ||
			!purge_commit(ex, rg, next, extra))
		return false;
	take_free(ex, rg, next);
	right->kind = RUN_NONE;
	unmap(rg, page);
	run->npages = want;
	map(rg, page);
	ex->large_pages += extra;
	if (rest > 0)
		add_free(ex, rg, page + want, rest);
	return true;
}

/* is the run after the one at page free? (for the checks of resize) */
static bool
free_at_end(const region_t *rg, uint32_t page)
{
	uint32_t end = page + region_run(rg, page)->npages;
	const run_t *next = end < rg->npages ? region_lookup(rg, end) : NULL;
	return next != NULL && next->kind == RUN_FREE;
}

bool
extents_resize(extents_t *ex, region_t *rg, run_t *run, size_t npages)
{
	uint32_t page = region_run_page(rg, run);
	if (npages == 0 || npages > UINT32_MAX)
		return false;
	uint32_t want = (uint32_t)npages;
	vm_lock(&ex->lock);
	vm_assert(run->kind == RUN_LARGE);
	bool done = want == run->npages;
	if (!done) {
		done = want < run->npages ? shrink_locked(ex, rg, page, want) :
				grow_locked(ex, rg, page, want);
		ex->nresize_inplace += done;
	}
	vm_assert_expensive(extents_run_valid(rg, page) &&
			(!free_at_end(rg, page) ||
			extents_run_valid(rg, page + run->npages)));
	vm_unlock(&ex->lock);
	return done;
}

/*
 * Calls fn for the spans of chunks from the first data page's on whose
 * metadata is reserved: the bytes [base + c * per_chunk, ...) of each,
 * cut at limit. -1 as soon as fn fails.
 */
static int
meta_ranges(const region_t *rg, size_t base, size_t per_chunk, size_t limit,
		int (*fn)(void *arg, size_t off, size_t len), void *arg)
{
	uint32_t nchunks = region_chunk(rg->npages - 1) + 1;
	uint32_t c = region_chunk(rg->data_first);
	while (c < nchunks) {
		while (c < nchunks && !purge_chunk_has_meta(rg, c))
			c++;
		uint32_t from = c;
		while (c < nchunks && purge_chunk_has_meta(rg, c))
			c++;
		size_t off = base + (size_t)from * per_chunk;
		size_t end = base + (size_t)c * per_chunk;
		end = end < limit ? end : limit;
		if (c > from && end > off && fn(arg, off, end - off) != 0)
			return -1;
	}
	return 0;
}

int
extents_used_ranges(const region_t *rg,
		int (*fn)(void *arg, size_t off, size_t len), void *arg)
{
	/* the metadata: what is written up front, then the page-map leaves
	 * and run records of the chunks that have them (a pool file
	 * reserved lazily has none in most chunks); not the spare area,
	 * whose owner reports what it uses */
	const region_plan_t *plan = &rg->plan;
	size_t data = (size_t)rg->data_first << VM_PAGE_SHIFT;
	if (fn(arg, 0, plan->leaves_off) != 0 ||
			meta_ranges(rg, plan->leaves_off, VM_PAGE,
				plan->runs_off, fn, arg) != 0 ||
			meta_ranges(rg, plan->runs_off, REGION_CHUNK_PAGES *
				sizeof(run_t), plan->spare_off, fn, arg) != 0)
		return -1;
	size_t used_from = data;	/* the start of the pages to copy */
	uint32_t page = rg->data_first;
	while (page < rg->npages) {
		const run_t *run = region_run(rg, page);
		uint32_t next = page + (run->npages != 0 ? run->npages : 1);
		if (run->kind == RUN_FREE || next >= rg->npages) {
			size_t end = (size_t)(run->kind == RUN_FREE ? page :
					rg->npages) << VM_PAGE_SHIFT;
			if (end > used_from && fn(arg, used_from,
					end - used_from) != 0)
				return -1;
			used_from = (size_t)next << VM_PAGE_SHIFT;
		}
		page = next;
	}
	return 0;
}
