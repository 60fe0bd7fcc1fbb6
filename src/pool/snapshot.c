/*
 * snapshot.c -- a pool's counters read at one moment (see snapshot.h).
 * The numbers are read under each structure's own lock, one at a time,
 * so they may be a moment apart from each other on a busy pool. Objects
 * in the threads' caches and on the bins' transfer stacks count as free
 * ("cached"), not as in use.
 * Owns no state.
 */
#include <string.h>

#include "pool/snapshot.h"

/* the objects in the threads' caches, taken from them for a moment */
static void
count_cached(VMEM *vmp, struct snapshot *s)
{
	caches_freeze(&vmp->slabs);
	s->ncaches = vmp->slabs.ncaches;
	s->ncache_runs = vmp->slabs.ncache_runs;
	for (uint32_t i = 1; i <= vmp->slabs.tc_top; i++) {
		tcache_t *tc = caches_frozen_at(&vmp->slabs, i);
		if (tc == NULL)
			continue;
		s->cached_large += tc->large.bytes;
		for (unsigned k = 0; k < LCACHE_BUCKETS; k++)
			s->cached_runs += vm_stack_count(&tc->large.buckets[k]);
		for (unsigned c = 0; c < SC_NCLASSES; c++) {
			uint64_t n = vm_stack_count(&tc->bins[c]);
			s->bins[c].cached += n;
			s->cached_objs += n;
			s->cached_bytes += n *
					sc_table[c].size;
		}
	}
	caches_thaw(&vmp->slabs);
}

void
pool_snapshot(VMEM *vmp, struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	count_cached(vmp, s);
	for (unsigned c = 0; c < SC_NCLASSES; c++) {
		bin_t *bin = &vmp->slabs.bins[c];
		vm_lock(&bin->lock);
		s->bins[c].nslabs = bin->nslabs;
		s->bins[c].nempty = bin->nempty;
		s->bins[c].curobjs = bin_curobjs(bin);
		s->bins[c].nmalloc = bin->nmalloc;
		s->bins[c].nfree = bin->nfree;
		s->bins[c].nslabs_made = bin->nslabs_made;
		s->bins[c].cached += bin->nxfer;
		s->cached_objs += bin->nxfer;
		s->cached_bytes += (uint64_t)bin->nxfer * sc_table[c].size;
		vm_unlock(&bin->lock);
		/* cached objects are free for the program, not in use */
		s->bins[c].curobjs -= s->bins[c].cached;
		s->small_objs += s->bins[c].curobjs;
		s->small_bytes += s->bins[c].curobjs * sc_table[c].size;
	}
	vm_lock(&vmp->extents.lock);
	s->ex.nfree_runs = vmp->extents.nfree_runs;
	s->ex.free_pages = vmp->extents.free_pages;
	s->ex.large_pages = vmp->extents.large_pages;
	s->ex.slab_pages = vmp->extents.slab_pages;
	s->ex.nlarge = vmp->extents.nlarge;
	s->ex.nmalloc_large = vmp->extents.nmalloc_large;
	s->ex.nfree_large = vmp->extents.nfree_large;
	s->ex.nresize_inplace = vmp->extents.nresize_inplace;
	s->ex.purged_chunks = vmp->extents.purged_chunks;
	s->ex.npurges = vmp->extents.npurges;
	s->ex.kept_chunks = vmp->extents.kept_chunks;
	s->ex.keep_cap = vmp->extents.keep_cap;
	s->ex.nkept = vmp->extents.nkept;
	s->ex.nmapped_ahead = vmp->extents.nmapped_ahead;
	s->ex.meta_later_chunks = vmp->extents.meta_later_chunks;
	s->ex.nmeta_reserved = vmp->extents.nmeta_reserved;
	s->leaves_used = vmp->region.pagemap.nleaves_used;
	s->largest_free = 0;	/* the rightmost node of the tree */
	for (uint32_t t = vmp->extents.tree; t != 0;
			t = region_run(&vmp->region, t)->u.tree.right)
		s->largest_free = region_run(&vmp->region, t)->npages;
	vm_unlock(&vmp->extents.lock);
}

uint64_t
snapshot_minus(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

void
snapshot_large_in_use(const struct snapshot *s, uint64_t *bytes,
		uint64_t *count)
{
	/* the caches' own runs and the large runs they hold are not in use */
	uint64_t cache_bytes = (uint64_t)s->ncache_runs *
			VM_PAGES(tcache_bytes()) * VM_PAGE;
	*bytes = snapshot_minus(s->ex.large_pages << VM_PAGE_SHIFT,
			cache_bytes + s->cached_large);
	*count = snapshot_minus(s->ex.nlarge, s->ncache_runs + s->cached_runs);
}

void
pool_usage(VMEM *vmp, struct pool_usage *u)
{
	struct snapshot s;
	mc_quiet();	/* it reads metadata */
	pool_snapshot(vmp, &s);
	uint64_t large, nlarge;
	snapshot_large_in_use(&s, &large, &nlarge);
	const region_t *rg = &vmp->region;
	u->data_bytes = (uint64_t)(rg->npages - rg->data_first) << VM_PAGE_SHIFT;
	u->in_use_bytes = s.small_bytes + large;
	u->objects = s.small_objs + nlarge;
	u->large_bytes = large;
	u->free_extents = s.ex.nfree_runs;
	mc_loud();
}

uint64_t
pool_bytes_out(VMEM *vmp)
{
	uint64_t n = 0;
	mc_quiet();
	for (unsigned c = 0; c < SC_NCLASSES; c++) {
		bin_t *bin = &vmp->slabs.bins[c];
		vm_lock(&bin->lock);
		n += bin_curobjs(bin) * sc_table[c].size;
		vm_unlock(&bin->lock);
	}
	vm_lock(&vmp->extents.lock);
	n += (uint64_t)vmp->extents.large_pages << VM_PAGE_SHIFT;
	vm_unlock(&vmp->extents.lock);
	mc_loud();
	return n;
}

unsigned
pool_free_sizes(VMEM *vmp, struct pool_free_sizes *out, uint64_t *mapped)
{
	struct snapshot s;
	mc_quiet();
	pool_snapshot(vmp, &s);
	mc_loud();
	unsigned n = 0;
	size_t from = 1;
	for (unsigned c = 0; c < SC_NCLASSES; c++) {
		const sc_info_t *sc = &sc_table[c];
		uint64_t room = (uint64_t)s.bins[c].nslabs * sc->nobjs;
		uint64_t free = snapshot_minus(room, s.bins[c].curobjs);
		if (free != 0)
			out[n++] = (struct pool_free_sizes){ from, sc->size,
					free, free * sc->size };
		from = (size_t)sc->size + 1;
	}
	if (s.ex.nfree_runs != 0)
		out[n++] = (struct pool_free_sizes){ SC_SMALL_MAX + 1,
				(size_t)s.largest_free << VM_PAGE_SHIFT,
				s.ex.nfree_runs, s.ex.free_pages << VM_PAGE_SHIFT };
	const region_t *rg = &vmp->region;
	uint64_t data = (uint64_t)(rg->npages - rg->data_first) << VM_PAGE_SHIFT;
	*mapped = snapshot_minus(data, s.ex.purged_chunks *
			((uint64_t)REGION_CHUNK_PAGES << VM_PAGE_SHIFT));
	return n;
}
