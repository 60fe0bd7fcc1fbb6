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
 * With the letter J the same figures are one JSON document instead
 * (stats_json.c), the other letters still leaving sections out. The
 * counters come from snapshot.c.
 */
#include <string.h>

#include "pool/snapshot.h"

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
	snapshot_large_in_use(s, &large, &nlarge);
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
	pool_snapshot(vmp, &s);
	if (strchr(opts, 'J') != NULL) {
		stats_print_json(vmp, &s, opts);
		mc_loud();
		return;
	}
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
