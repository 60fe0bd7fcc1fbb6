/*
 * stats_json.c -- vmem_stats_print(vmp, "J"): the figures of the text
 * form (stats.c) as one JSON document, through the same output sink, in
 * the same sections, left out by the same letters:
 *
 *   {"libvmem": {"version": ..., "pool": {...}, ...},     g
 *    "merged": {...},                                     m
 *    "arena": {...},                                      a
 *    "bins": [{"class": ..., ...}, ...],                  b
 *    "large": {...}}                                      l
 *
 * Every value is a number but the version, the pool's address and its
 * backing, which are strings with nothing to escape. Field names follow
 * the text form's words (README, libvmem(7) give the list).
 * Owns no state: each section is written from one snapshot.
 */
#include <string.h>

#include "pool/snapshot.h"

typedef unsigned long long ull;

/* writes ",\n" before every section but the first */
static void
section(bool *first, const char *name)
{
	vm_outf("%s \"%s\": ", *first ? "" : ",\n", name);
	*first = false;
}

static void
json_general(VMEM *vmp)
{
	const region_t *rg = &vmp->region;
	vm_outf("{\"version\": \"%d.%d\", \"pool\": {\"address\": \"%p\", "
			"\"size\": %zu, \"backing\": \"%s\", \"alignment\": %zu}, "
			"\"page\": %zu, \"pages\": %u, \"metadata_pages\": %u, "
			"\"data_pages\": %u, \"size_classes\": %u, "
			"\"small_max\": %zu}", VMEM_MAJOR_VERSION,
			VMEM_MINOR_VERSION, (void *)vmp, rg->size,
			vmp->backing.kind == BACKING_DEVDAX ? "device DAX" :
			backing_kind_name(vmp->backing.kind),
			vmp->backing.kind == BACKING_DEVDAX ?
			vmp->backing.align : (size_t)VM_PAGE, VM_PAGE,
			rg->npages, rg->data_first, rg->npages - rg->data_first,
			SC_NCLASSES, SC_SMALL_MAX);
}

static void
json_merged(VMEM *vmp, const struct snapshot *s)
{
	uint64_t large, nlarge;
	snapshot_large_in_use(s, &large, &nlarge);
	uint64_t cache_bytes = (uint64_t)s->ncaches *
			VM_PAGES(tcache_bytes()) * VM_PAGE;
	vm_outf("{\"allocated\": %llu, \"small_bytes\": %llu, "
			"\"small_objects\": %llu, \"large_bytes\": %llu, "
			"\"large_objects\": %llu, \"active\": %llu, "
			"\"active_slabs\": %llu, \"active_large\": %llu, "
			"\"free\": %llu, \"cache_threads\": %u, "
			"\"cached_bytes\": %llu, \"cached_objects\": %llu, "
			"\"cached_large_bytes\": %llu, \"metadata\": %llu, "
			"\"page_map_leaves\": %u, \"thread_caches\": %llu}",
			(ull)(s->small_bytes + large), (ull)s->small_bytes,
			(ull)s->small_objs, (ull)large, (ull)nlarge,
			(ull)((s->ex.slab_pages + s->ex.large_pages) <<
			VM_PAGE_SHIFT), (ull)(s->ex.slab_pages << VM_PAGE_SHIFT),
			(ull)large, (ull)(s->ex.free_pages << VM_PAGE_SHIFT),
			s->ncaches, (ull)s->cached_bytes, (ull)s->cached_objs,
			(ull)s->cached_large,
			(ull)vmp->region.data_first << VM_PAGE_SHIFT,
			s->leaves_used, (ull)cache_bytes);
}

static void
json_arena(const struct snapshot *s)
{
	vm_outf("{\"free_extents\": %u, \"free_pages\": %llu, "
			"\"largest_free_pages\": %u, \"slab_pages\": %llu, "
			"\"large_pages\": %llu, \"purged_chunks\": %llu, "
			"\"chunk_bytes\": %zu, \"purges\": %llu, "
			"\"kept_chunks\": %llu, \"keep_cap\": %u, \"kept\": %llu, "
			"\"mapped_ahead\": %llu, \"metadata_reserved_chunks\": %llu, "
			"\"metadata_later_chunks\": %llu}",
			s->ex.nfree_runs, (ull)s->ex.free_pages, s->largest_free,
			(ull)s->ex.slab_pages, (ull)s->ex.large_pages,
			(ull)s->ex.purged_chunks,
			(size_t)REGION_CHUNK_PAGES << VM_PAGE_SHIFT,
			(ull)s->ex.npurges, (ull)s->ex.kept_chunks,
			s->ex.keep_cap, (ull)s->ex.nkept,
			(ull)s->ex.nmapped_ahead, (ull)s->ex.nmeta_reserved,
			(ull)s->ex.meta_later_chunks);
}

/* the classes the text form lists: those ever used */
static void
json_bins(const struct snapshot *s)
{
	bool first = true;
	vm_out("[");
	for (unsigned c = 0; c < SC_NCLASSES; c++) {
		const sc_info_t *sc = &sc_table[c];
		if (s->bins[c].nmalloc == 0 && s->bins[c].nslabs == 0)
			continue;
		vm_outf("%s\n  {\"class\": %u, \"size\": %u, \"pages\": %u, "
				"\"objects_per_slab\": %u, \"slabs\": %u, "
				"\"empty_slabs\": %u, \"slabs_made\": %llu, "
				"\"in_use\": %llu, \"cached\": %llu, "
				"\"nmalloc\": %llu, \"nfree\": %llu}",
				first ? "" : ",", c, sc->size, sc->npages,
				sc->nobjs, s->bins[c].nslabs, s->bins[c].nempty,
				(ull)s->bins[c].nslabs_made,
				(ull)s->bins[c].curobjs, (ull)s->bins[c].cached,
				(ull)s->bins[c].nmalloc, (ull)s->bins[c].nfree);
		first = false;
	}
	vm_out("]");
}

static void
json_large(const struct snapshot *s)
{
	vm_outf("{\"in_use_objects\": %llu, \"in_use_pages\": %llu, "
			"\"nmalloc\": %llu, \"nfree\": %llu, "
			"\"resized_in_place\": %llu}", (ull)s->ex.nlarge,
			(ull)s->ex.large_pages, (ull)s->ex.nmalloc_large,
			(ull)s->ex.nfree_large, (ull)s->ex.nresize_inplace);
}

void
stats_print_json(VMEM *vmp, const struct snapshot *s, const char *opts)
{
	bool first = true;
	vm_out("{");
	if (strchr(opts, 'g') == NULL) {
		section(&first, "libvmem");
		json_general(vmp);
	}
	if (strchr(opts, 'm') == NULL) {
		section(&first, "merged");
		json_merged(vmp, s);
	}
	if (strchr(opts, 'a') == NULL) {
		section(&first, "arena");
		json_arena(s);
	}
	if (strchr(opts, 'b') == NULL) {
		section(&first, "bins");
		json_bins(s);
	}
	if (strchr(opts, 'l') == NULL) {
		section(&first, "large");
		json_large(s);
	}
	vm_out("}\n");
}
