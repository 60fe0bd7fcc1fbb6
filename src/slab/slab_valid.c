/*
 * slab_valid.c -- the slab layer's local validation (debug level 3,
 * vm_assert_expensive): a slab's bitmap and counts, a slab list, a bin,
 * a thread cache, each checked right after an operation changed it (bin.c
 * under the bin lock, tcache.c by the cache's owner). vmem_check
 * (pool/check.c) walks every structure of the pool; these look only at
 * what one operation touched, so they can run on every operation.
 *
 * Owns no state.
 */
#include "slab/slab.h"

bool
slab_bits_valid(const run_t *run)
{
	if (run->kind != RUN_SLAB || run->cls >= SC_NCLASSES ||
			run->nobjs != slab_nobjs(run->cls, run->npages) ||
			run->nobjs == 0 || run->nobjs > SLAB_MAX_OBJS)
		return false;
	unsigned free = 0;
	for (unsigned w = 0; w < SLAB_MAX_OBJS / 64; w++) {
		uint64_t bits = run->bitmap[w];
		unsigned below = run->nobjs > w * 64 ? run->nobjs - w * 64 : 0;
		if (below < 64 && (bits >> below) != 0)
			return false;	/* an object past the end is free */
		free += (unsigned)__builtin_popcountll(bits);
	}
	return free == run->nfree;
}

bool
slab_list_valid(const region_t *rg, const slab_list_t *l, unsigned cls,
		uint32_t home)
{
	uint32_t prev = 0, steps = 0;
	for (uint32_t page = l->head; page != 0; steps++) {
		if (page < rg->data_first || page >= rg->npages ||
				steps > rg->npages)
			return false;	/* a bad link or a cycle */
		const run_t *run = region_run(rg, page);
		if (!slab_bits_valid(run) || run->cls != cls || !run->in_list ||
				run->nfree == 0 || run->u.list.prev != prev ||
				run->home != home)
			return false;
		prev = page;
		page = run->u.list.next;
	}
	return l->tail == prev && l->closed <= 1;
}

bool
bin_valid(const bin_t *bin, const region_t *rg)
{
	if (bin->nxfer > bin->xfer_cap || bin->xfer_cap > BIN_XFER_MAX ||
			bin->nempty > 1 || bin->nempty > bin->nslabs ||
			bin->nmalloc < bin->nfree)
		return false;
	for (uint32_t i = 0; i < bin->nxfer; i++) {
		const void *p = bin->xfer[i];
		if (!region_has_data(rg, p) ||
				!slab_tagged(bin->tag_key, p))
			return false;
		const run_t *run = region_lookup(rg, region_page(rg, p));
		if (run == NULL || run->kind != RUN_SLAB || run->cls != bin->cls)
			return false;
	}
	return slab_list_valid(rg, &bin->list, bin->cls, 0);
}

bool
tcache_valid(const tcache_t *tc)
{
	for (unsigned c = 0; c < SC_NCLASSES; c++) {
		const vm_stack_t *b = &tc->bins[c];
		if (b->cap != tcache_cap(c) || b->end != b->objs + b->cap ||
				vm_stack_count(b) > b->cap ||
				tc->lists[c].closed > 1)
			return false;
	}
	const lcache_t *lc = &tc->large;
	uint64_t bytes = 0;
	for (unsigned k = 0; k < LCACHE_BUCKETS; k++) {
		const vm_stack_t *b = &lc->buckets[k];
		if (vm_stack_count(b) > b->cap)
			return false;
		for (uint64_t i = 0; i < vm_stack_count(b); i++)
			bytes += (uint64_t)lcache_slot_pages(b->objs[i]) <<
					VM_PAGE_SHIFT;
	}
	return lc->bytes == bytes && lc->bytes <= lc->budget;
}
