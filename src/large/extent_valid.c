/*
 * extent_valid.c -- the extent manager's local validation (debug level 3,
 * vm_assert_expensive): what one operation leaves around the runs it
 * touched, checked right after it, under the extent lock. vmem_check
 * (pool/check.c) walks the whole pool; this looks at one run and its
 * neighbours, so it can run on every operation.
 *
 * Owns no state.
 */
#include "large/extent.h"
#include "large/extent_tree.h"

/* the page-map entries a run carries: every page of a slab, the first
 * and last of any other */
static bool
entries_valid(const region_t *rg, uint32_t page, const run_t *run)
{
	uint64_t want = region_entry(rg, page);
	uint32_t last = page + run->npages - 1;
	if (pagemap_get(&rg->pagemap, page) != want ||
			pagemap_get(&rg->pagemap, last) != want)
		return false;
	if (run->kind == RUN_SLAB)
		for (uint32_t p = page + 1; p < last; p++)
			if (pagemap_get(&rg->pagemap, p) != want)
				return false;
	return true;
}

/* is the run that ends just before page (or starts at page) free? */
static bool
free_before(const region_t *rg, uint32_t page)
{
	if (page <= rg->data_first)
		return false;
	const run_t *left = region_lookup(rg, page - 1);
	return left != NULL && left->kind == RUN_FREE;
}

static bool
free_at(const region_t *rg, uint32_t page)
{
	if (page >= rg->npages)
		return false;
	const run_t *right = region_lookup(rg, page);
	return right != NULL && right->kind == RUN_FREE;
}

bool
extents_run_valid(const region_t *rg, uint32_t page)
{
	if (page < rg->data_first || page >= rg->npages)
		return false;
	const run_t *run = region_run(rg, page);
	if (run->npages == 0 || (uint64_t)page + run->npages > rg->npages)
		return false;
	switch (run->kind) {
	case RUN_FREE:
		/* merged with free neighbours, and in its place in the tree */
		return entries_valid(rg, page, run) &&
				!free_before(rg, page) &&
				!free_at(rg, page + run->npages) &&
				etree_node_valid(rg, page);
	case RUN_LARGE:
		return entries_valid(rg, page, run);
	case RUN_SLAB:
		return run->npages <= REGION_CHUNK_PAGES &&
				entries_valid(rg, page, run);
	}
	return false;
}
