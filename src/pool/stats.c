/*
 * stats.c -- vmem_stats_print: a snapshot of a pool's counters, printed
 * through the output sink (log.h).
 *
 * Sections, each left out by one option letter (others are ignored):
 *   g  general facts that never change (sizes, layout, classes, backing)
 *   m  merged totals (bytes in use, free, metadata)
 *   a  the pool's one arena: its extents
 *   b  one line per size class (bins)
 *   l  large objects
 * The numbers are read under each structure's own lock, one at a time, so
 * they may be a moment apart from each other on a busy pool. Objects in
 * the threads' caches and on the bins' transfer stacks count as free
 * ("cached"), not as in use; the bins' nmalloc/nfree count objects moving
 * between slabs and caches.
 * pool_usage gives the same totals to a program (libvmmalloc's mallinfo).
 */
#include <string.h>

#include "pool/vmem.h"

struct snapshot {
	extents_t ex;		/* counters only; its lock is not used */
	uint64_t small_bytes;	/* bytes of objects in use in slabs */
	uint64_t small_objs;
	uint32_t largest_free;	/* pages of the largest free extent */
	uint32_t leaves_used;	/* page-map leaves installed */
	uint32_t ncaches;	/* threads with a cache of this pool */
	uint32_t ncache_runs;	/* of them, caches in runs of the data area */
	uint64_t cached_objs, cached_bytes;
	uint64_t cached_large;	/* bytes of large runs in the caches */
	uint64_t cached_runs;	/* and how many */
	struct {
		uint32_t nslabs, nempty;
		uint64_t curobjs, nmalloc, nfree, nslabs_made;
		uint64_t cached;	/* in the threads' caches */
	} bins[SC_NCLASSES];
};

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

static void
take_snapshot(VMEM *vmp, struct snapshot *s)
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

/* a - b, or 0: the parts of a snapshot are read a moment apart */
static uint64_t
minus(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* bytes of large objects in use and their count (caches excluded) */
static void
large_in_use(const struct snapshot *s, uint64_t *bytes, uint64_t *count)
{
	/* the caches' own runs and the large runs they hold are not in use */
	uint64_t cache_bytes = (uint64_t)s->ncache_runs *
			VM_PAGES(tcache_bytes()) * VM_PAGE;
	*bytes = minus(s->ex.large_pages << VM_PAGE_SHIFT,
			cache_bytes + s->cached_large);
	*count = minus(s->ex.nlarge, s->ncache_runs + s->cached_runs);
}

void
pool_usage(VMEM *vmp, struct pool_usage *u)
{
	struct snapshot s;
	mc_quiet();	/* it reads metadata */
	take_snapshot(vmp, &s);
	uint64_t large, nlarge;
	large_in_use(&s, &large, &nlarge);
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

static void
print_general(VMEM *vmp)
{
	const region_t *rg = &vmp->region;
	vm_out("___ Begin libvmem statistics ___\n");
	vm_outf("version: %d.%d\n", VMEM_MAJOR_VERSION, VMEM_MINOR_VERSION);
	if (vmp->backing.kind == BACKING_DEVDAX)
		vm_outf("pool: %p, %zu bytes, backing: device DAX, alignment "
				"%zu\n", (void *)vmp, rg->size,
				vmp->backing.align);
	else
		vm_outf("pool: %p, %zu bytes, backing: %s\n", (void *)vmp,
				rg->size, backing_kind_name(vmp->backing.kind));
	vm_outf("page: %zu bytes; pages: %u, metadata %u, data %u\n",
			VM_PAGE, rg->npages, rg->data_first,
			rg->npages - rg->data_first);
	vm_outf("size classes: %u, small objects up to %zu bytes\n",
			SC_NCLASSES, SC_SMALL_MAX);
}


static void
print_merged(VMEM *vmp, const struct snapshot *s)
{
	const region_t *rg = &vmp->region;
	uint64_t cache_bytes = (uint64_t)s->ncaches *
			VM_PAGES(tcache_bytes()) * VM_PAGE;
	uint64_t large, nlarge;
	large_in_use(s, &large, &nlarge);
	vm_out("Merged statistics:\n");
	vm_outf("  allocated: %llu bytes (small %llu in %llu objects, "
			"large %llu in %llu objects)\n",
			(unsigned long long)(s->small_bytes + large),
			(unsigned long long)s->small_bytes,
			(unsigned long long)s->small_objs,
			(unsigned long long)large, (unsigned long long)nlarge);
	vm_outf("  active: %llu bytes (slabs %llu, large %llu)\n",
			(unsigned long long)((s->ex.slab_pages +
			s->ex.large_pages) << VM_PAGE_SHIFT),
			(unsigned long long)(s->ex.slab_pages << VM_PAGE_SHIFT),
			(unsigned long long)large);
	vm_outf("  free: %llu bytes, and in the caches of %u threads %llu "
			"bytes in %llu small objects and %llu bytes of large runs\n",
			(unsigned long long)(s->ex.free_pages << VM_PAGE_SHIFT),
			s->ncaches, (unsigned long long)s->cached_bytes,
			(unsigned long long)s->cached_objs,
			(unsigned long long)s->cached_large);
	vm_outf("  metadata: %llu bytes (page map leaves in use: %u), thread "
			"caches: %llu bytes\n",
			(unsigned long long)rg->data_first << VM_PAGE_SHIFT,
			s->leaves_used, (unsigned long long)cache_bytes);
}

static void
print_arena(const struct snapshot *s)
{
	vm_out("Arena 0 (the whole pool):\n");
	vm_outf("  free extents: %u, %llu pages, largest %u pages\n",
			s->ex.nfree_runs, (unsigned long long)s->ex.free_pages,
			s->largest_free);
	vm_outf("  slab pages: %llu, large pages: %llu\n",
			(unsigned long long)s->ex.slab_pages,
			(unsigned long long)s->ex.large_pages);
	vm_outf("  given back to the system: %llu chunks of %zu bytes now, "
			"%llu ever\n", (unsigned long long)s->ex.purged_chunks,
			(size_t)REGION_CHUNK_PAGES << VM_PAGE_SHIFT,
			(unsigned long long)s->ex.npurges);
	vm_outf("  freed and kept for reuse: %llu chunks now (at most %u), "
			"%llu ever\n", (unsigned long long)s->ex.kept_chunks,
			s->ex.keep_cap, (unsigned long long)s->ex.nkept);
	if (s->ex.nmapped_ahead != 0)
		vm_outf("  mapped whole at first use: %llu chunks\n",
				(unsigned long long)s->ex.nmapped_ahead);
	if (s->ex.meta_later_chunks + s->ex.nmeta_reserved != 0)
		vm_outf("  metadata reserved as used: for %llu chunks so far, "
				"%llu not yet\n",
				(unsigned long long)s->ex.nmeta_reserved,
				(unsigned long long)s->ex.meta_later_chunks);
}

static void
print_bins(const struct snapshot *s)
{
	vm_out("Bins:\n");
	vm_out("  class   size pages objs  slabs empty  made     in use"
			"   cached      nmalloc        nfree\n");
	for (unsigned c = 0; c < SC_NCLASSES; c++) {
		const sc_info_t *sc = &sc_table[c];
		if (s->bins[c].nmalloc == 0 && s->bins[c].nslabs == 0)
			continue;
		vm_outf("  %5u %6u %5u %4u %6u %5u %5llu %10llu %8llu %12llu "
				"%12llu\n", c, sc->size, sc->npages, sc->nobjs,
				s->bins[c].nslabs, s->bins[c].nempty,
				(unsigned long long)s->bins[c].nslabs_made,
				(unsigned long long)s->bins[c].curobjs,
				(unsigned long long)s->bins[c].cached,
				(unsigned long long)s->bins[c].nmalloc,
				(unsigned long long)s->bins[c].nfree);
	}
}

static void
print_large(const struct snapshot *s)
{
	vm_out("Large objects:\n");
	vm_outf("  in use: %llu objects, %llu pages\n",
			(unsigned long long)s->ex.nlarge,
			(unsigned long long)s->ex.large_pages);
	vm_outf("  nmalloc: %llu, nfree: %llu, resized in place: %llu\n",
			(unsigned long long)s->ex.nmalloc_large,
			(unsigned long long)s->ex.nfree_large,
			(unsigned long long)s->ex.nresize_inplace);
}

VM_EXPORT void
vmem_stats_print(VMEM *vmp, const char *opts)
{
	if (vmp == NULL || vmp->magic != VMEM_MAGIC) {
		vm_err("vmem_stats_print: %p is not a pool", (void *)vmp);
		return;
	}
	if (opts == NULL)
		opts = "";
	struct snapshot s;
	mc_quiet();	/* it reads metadata (and the print function runs
			 * quiet too under memcheck) */
	take_snapshot(vmp, &s);
	bool general = strchr(opts, 'g') == NULL;
	if (general)
		print_general(vmp);
	if (strchr(opts, 'm') == NULL)
		print_merged(vmp, &s);
	if (strchr(opts, 'a') == NULL)
		print_arena(&s);
	if (strchr(opts, 'b') == NULL)
		print_bins(&s);
	if (strchr(opts, 'l') == NULL)
		print_large(&s);
	if (general)
		vm_out("___ End libvmem statistics ___\n");
	mc_loud();
}
