/*
 * check.c -- vmem_check: a walk that proves every structure of a
 * pool agrees with every other.
 *
 * With every bin lock and the extent lock held (in rank order) it checks:
 *   - the header: magic, layout of the region;
 *   - the runs tile the data area, each run's page map entries name it
 *     (first and last page of free and large runs, every page of a slab),
 *     and the pages in between map to nothing;
 *   - no two free runs touch; the extent manager's totals match the walk;
 *   - the treap: in-order keys increase, heap order holds, it holds exactly
 *     the free runs; every chunk given back lies inside free runs;
 *   - every slab: a valid class, its size, bitmap agrees with nfree, on its
 *     bin's list exactly when it has free objects; every bin's list,
 *     counters and object count agree with its slabs;
 *   - the threads' caches (taken from their owners for the walk) and the
 *     bins' transfer stacks: every cached object is an object of its
 *     class, in use in its slab, and in no other slot of any cache or
 *     stack. To find duplicates the walk marks each cached object's bit
 *     and then clears the marks again, all with every lock held: nobody
 *     sees the marks.
 * The first disagreement found is reported (vmem_errormsg, debug log).
 */
#include <stdarg.h>

#include "pool/vmem.h"

#define TREE_MAX_DEPTH 10000

struct walk {
	VMEM *vmp;
	uint64_t free_pages, large_pages, slab_pages;
	uint64_t nfree_runs, nlarge;
	uint64_t tree_nodes;
	uint64_t cached;	/* objects in the threads' caches */
	uint32_t slabs[SC_NCLASSES];
	uint32_t listed[SC_NCLASSES];	/* slabs with free objects */
	uint32_t empty[SC_NCLASSES];
	uint64_t objs[SC_NCLASSES];
};

VM_FORMAT(1, 2) static bool
corrupt(const char *fmt, ...)
{
	char buf[VM_ERRMSG_MAX - 32];
	va_list ap;
	va_start(ap, fmt);
	vm_vfmt(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vm_err("pool corrupted: %s", buf);
	return false;
}

static bool
check_entry(const region_t *rg, uint32_t page, uint64_t want)
{
	uint64_t got = pagemap_get(&rg->pagemap, page);
	if (got != want)
		return corrupt("page map entry of page %u is %#llx, not %#llx",
				page, (unsigned long long)got,
				(unsigned long long)want);
	return true;
}

/*
 * The page-map entries of the run [page, last]: its own on every page of
 * a slab and on the first and last page of any other run, 0 between. A
 * chunk without a leaf of its own reads 0 throughout, so the inside of a
 * long run costs a look per chunk, not per page.
 */
static bool
check_run_entries(const region_t *rg, const run_t *run, uint32_t page,
		uint32_t last)
{
	uint64_t entry = region_entry(rg, page);
	if (run->kind == RUN_SLAB) {
		for (uint32_t p = page; p <= last; p++)
			if (!check_entry(rg, p, entry))
				return false;
		return true;
	}
	if (!check_entry(rg, page, entry) || !check_entry(rg, last, entry))
		return false;
	for (uint32_t p = page + 1; p < last;) {
		uint32_t c = region_chunk(p);
		uint64_t chunk_end = (uint64_t)(c + 1) << REGION_CHUNK_SHIFT;
		uint32_t stop = chunk_end < last ? (uint32_t)chunk_end : last;
		if (pagemap_has_leaf(&rg->pagemap, c)) {
			for (; p < stop; p++)
				if (!check_entry(rg, p, 0))
					return false;
		}
		p = stop;
	}
	return true;
}

static bool
check_slab(struct walk *w, uint32_t page, const run_t *run)
{
	if (run->cls >= SC_NCLASSES)
		return corrupt("slab at page %u has class %u", page, run->cls);
	const sc_info_t *sc = &sc_table[run->cls];
	unsigned nobjs = slab_nobjs(run->cls, run->npages);
	if (run->npages > sc->npages || nobjs == 0)
		return corrupt("slab at page %u of class %u has %u pages, not "
				"1 object's worth to %u", page, run->cls,
				run->npages, sc->npages);
	if (run->nobjs != nobjs || run->divc != sc->divc)
		return corrupt("slab at page %u: its copy of the class geometry "
				"(%u objects) differs from class %u", page,
				run->nobjs, run->cls);
	unsigned bits = 0;
	for (unsigned i = 0; i < SLAB_MAX_OBJS / 64; i++)
		bits += (unsigned)__builtin_popcountll(run->bitmap[i]);
	for (unsigned i = nobjs; i < SLAB_MAX_OBJS; i++)
		if (slab_obj_is_free(run, i))
			return corrupt("slab at page %u marks object %u free "
					"beyond its %u objects", page, i, nobjs);
	if (run->nfree > nobjs || bits != run->nfree)
		return corrupt("slab at page %u counts %u free objects, its "
				"bitmap %u, of %u", page, run->nfree, bits, nobjs);
	if ((run->nfree > 0) != (run->in_list != 0))
		return corrupt("slab at page %u with %u free objects is%s on "
				"its bin's list", page, run->nfree,
				run->in_list ? "" : " not");
	if (run->home > TC_MAX_THREADS)
		return corrupt("slab at page %u has home %u", page, run->home);
	w->slabs[run->cls]++;
	w->listed[run->cls] += run->in_list;
	w->objs[run->cls] += nobjs - run->nfree;
	if (run->nfree == nobjs)
		w->empty[run->cls]++;
	w->slab_pages += run->npages;
	return true;
}

/* a run in use lies in no purged or kept chunk */
static bool
check_not_purged(struct walk *w, uint32_t page, uint32_t last)
{
	const region_t *rg = &w->vmp->region;
	for (uint32_t c = page >> REGION_CHUNK_SHIFT;
			c <= last >> REGION_CHUNK_SHIFT; c++)
		if (purge_chunk_is_purged(rg, c) || purge_chunk_is_kept(rg, c))
			return corrupt("run at page %u lies in chunk %u, which "
					"is marked %s", page, c,
					purge_chunk_is_purged(rg, c) ?
					"given back" : "kept for reuse");
	return true;
}

/* the run [page, last] starts and ends in chunks whose metadata is
 * reserved (purge_meta_ready) */
static bool
check_has_meta(const region_t *rg, uint32_t page, uint32_t last)
{
	uint32_t c = region_chunk(page);
	if (!purge_chunk_has_meta(rg, c) ||
			!purge_chunk_has_meta(rg, c = region_chunk(last)))
		return corrupt("run at page %u has its record or page map "
				"entry in chunk %u, whose metadata is marked "
				"not reserved", page, c);
	return true;
}

static bool
check_chunk_bits(struct walk *w)
{
	const region_t *rg = &w->vmp->region;
	const extents_t *ex = &w->vmp->extents;
	uint64_t bits = 0, kept = 0, meta_later = 0;
	uint32_t nchunks = region_nchunks(rg->npages);
	for (uint32_t c = 0; c < nchunks; c++) {
		bits += purge_chunk_is_purged(rg, c);
		kept += purge_chunk_is_kept(rg, c);
		if (purge_chunk_is_purged(rg, c) && purge_chunk_is_kept(rg, c))
			return corrupt("chunk %u is marked both given back and "
					"kept", c);
		if (purge_chunk_has_meta(rg, c))
			continue;
		meta_later++;
		if (pagemap_has_leaf(&rg->pagemap, c))
			return corrupt("chunk %u has a page map leaf but its "
					"metadata is marked not reserved", c);
	}
	if (meta_later != ex->meta_later_chunks)
		return corrupt("%llu chunks' metadata marked not reserved, "
				"%llu counted", (unsigned long long)meta_later,
				(unsigned long long)ex->meta_later_chunks);
	if (bits != ex->purged_chunks)
		return corrupt("%llu chunks marked given back, %llu counted",
				(unsigned long long)bits,
				(unsigned long long)ex->purged_chunks);
	if (kept != ex->kept_chunks || ex->keep_len > KEEP_MAX_CHUNKS ||
			ex->keep_cap > KEEP_MAX_CHUNKS ||
			ex->keep_head >= KEEP_MAX_CHUNKS ||
			kept > ex->keep_len || (ex->keep_cap == 0 && kept != 0))
		return corrupt("%llu chunks marked kept, %llu counted, ring of "
				"%u from %u, at most %u",
				(unsigned long long)kept,
				(unsigned long long)ex->kept_chunks, ex->keep_len,
				ex->keep_head, ex->keep_cap);
	return true;
}

/* every run of the data area, in address order */
static bool
check_runs(struct walk *w)
{
	const region_t *rg = &w->vmp->region;
	bool prev_free = false;
	uint32_t page = rg->data_first;
	while (page < rg->npages) {
		const run_t *run = region_run(rg, page);
		uint64_t end = (uint64_t)page + run->npages;
		if (run->kind == RUN_NONE || run->npages == 0 || end > rg->npages)
			return corrupt("no valid run starts at page %u "
					"(kind %u, %u pages)", page, run->kind,
					run->npages);
		uint32_t last = (uint32_t)end - 1;
		if (!check_run_entries(rg, run, page, last))
			return false;
		if ((run->kind != RUN_FREE && !check_not_purged(w, page, last)) ||
				!check_has_meta(rg, page, last))
			return false;
		switch (run->kind) {
		case RUN_FREE:
			if (prev_free)
				return corrupt("free runs touch at page %u", page);
			w->free_pages += run->npages;
			w->nfree_runs++;
			break;
		case RUN_LARGE:
			w->large_pages += run->npages;
			w->nlarge++;
			break;
		case RUN_SLAB:
			if (!check_slab(w, page, run))
				return false;
			break;
		}
		prev_free = run->kind == RUN_FREE;
		page = (uint32_t)end;
	}
	return true;
}

/* in-order walk of the treap below node; *prev is the last key seen */
static bool
check_tree(struct walk *w, uint32_t node, uint32_t *prev, unsigned depth)
{
	const region_t *rg = &w->vmp->region;
	if (node == 0)
		return true;
	if (depth > TREE_MAX_DEPTH || w->tree_nodes > w->nfree_runs)
		return corrupt("extent tree has a cycle or more nodes than the "
				"%llu free runs", (unsigned long long)w->nfree_runs);
	if (node < rg->data_first || node >= rg->npages)
		return corrupt("extent tree node %u is outside the data area",
				node);
	const run_t *run = region_run(rg, node);
	if (run->kind != RUN_FREE)
		return corrupt("extent tree node %u is not a free run", node);
	uint32_t kids[2] = { run->u.tree.left, run->u.tree.right };
	for (int i = 0; i < 2; i++)
		if (kids[i] != 0 && kids[i] < rg->npages &&
				etree_priority(kids[i]) > etree_priority(node))
			return corrupt("extent tree heap order broken at node %u",
					node);
	if (!check_tree(w, kids[0], prev, depth + 1))
		return false;
	w->tree_nodes++;
	if (*prev != 0) {
		const run_t *p = region_run(rg, *prev);
		if (p->npages > run->npages ||
				(p->npages == run->npages && *prev >= node))
			return corrupt("extent tree out of order at node %u", node);
	}
	*prev = node;
	return check_tree(w, kids[1], prev, depth + 1);
}

/*
 * One slab list of class cls, whose slabs have home home (0: the bin's
 * own list); adds its length to *count, at most w->listed[cls] in all.
 */
static bool
check_slab_list(struct walk *w, unsigned cls, const slab_list_t *l,
		uint32_t home, uint32_t *count)
{
	const region_t *rg = &w->vmp->region;
	uint32_t prev = 0;
	for (uint32_t page = l->head; page != 0;) {
		if (page < rg->data_first || page >= rg->npages ||
				++*count > w->listed[cls])
			return corrupt("class %u, list of home %u: reaches page "
					"%u (bad link or cycle)", cls, home, page);
		const run_t *run = region_run(rg, page);
		if (run->kind != RUN_SLAB || run->cls != cls || !run->in_list ||
				run->u.list.prev != prev || run->home != home)
			return corrupt("class %u, list of home %u: the entry at "
					"page %u is not a linked slab of the class "
					"and home", cls, home, page);
		prev = page;
		page = run->u.list.next;
	}
	if (l->tail != prev)
		return corrupt("class %u, list of home %u: tail %u, last listed "
				"slab %u", cls, home, l->tail, prev);
	return true;
}

/* a bin: its lists (its own and the caches', frozen) hold every slab
 * that has free objects, and its counts are right */
static bool
check_bin(struct walk *w, unsigned cls)
{
	slabs_t *s = &w->vmp->slabs;
	const bin_t *bin = &s->bins[cls];
	uint32_t count = 0;
	if (!check_slab_list(w, cls, &bin->list, 0, &count))
		return false;
	for (uint32_t i = 1; i <= s->tc_top; i++) {
		const tcache_t *tc = caches_frozen_at(s, i);
		if (tc != NULL && !check_slab_list(w, cls, &tc->lists[cls], i,
				&count))
			return false;
	}
	if (count != w->listed[cls])
		return corrupt("class %u: %u slabs with free objects, %u on "
				"lists", cls, w->listed[cls], count);
	if (bin->nslabs != w->slabs[cls] || bin->nempty != w->empty[cls] ||
			bin_curobjs(bin) != w->objs[cls])
		return corrupt("bin %u: counts %u slabs, %u empty, %llu objects; "
				"found %u, %u, %llu", cls, bin->nslabs,
				bin->nempty, (unsigned long long)bin_curobjs(bin),
				w->slabs[cls], w->empty[cls],
				(unsigned long long)w->objs[cls]);
	return true;
}

/*
 * One cached object: a live object of a slab of its class. mark flips its
 * bit to "free" (restore flips it back), so a second copy of the same
 * object in any cache is found as "already free".
 */
static bool
check_cached(struct walk *w, void *obj, unsigned cls, bool mark, bool restore)
{
	const region_t *rg = &w->vmp->region;
	run_t *run = region_has_data(rg, obj) ?
			region_lookup(rg, region_page(rg, obj)) : NULL;
	unsigned idx;
	if (run == NULL || run->kind != RUN_SLAB || run->cls != cls ||
			!slab_index(rg, run, obj, &idx))
		return corrupt("cached %p is not an object of class %u", obj,
				cls);
	uint64_t bit = (uint64_t)1 << (idx % 64);
	if (restore) {
		run->bitmap[idx / 64] &= ~bit;
		return true;
	}
	if (run->bitmap[idx / 64] & bit)
		return corrupt("cached %p is free in its slab, or cached twice",
				obj);
	if (mark)
		run->bitmap[idx / 64] |= bit;
	return true;
}

/* a large run's cls while check_cached_runs has seen it in a cache */
#define RUN_CLS_SEEN	0xfe

/* a stack of cap slots whose top lies within it */
static bool
stack_sane(const vm_stack_t *b, uint32_t cap)
{
	return b->cap == cap && b->end == b->objs + cap &&
			vm_stack_count(b) <= cap && b->top >= b->objs;
}

/*
 * The large runs a cache holds: each a large run of its bucket carrying
 * the mark, and in no other cache (a run seen once has its cls set to
 * RUN_CLS_SEEN until unsee_cached_runs).
 */
static bool
check_cached_runs(struct walk *w, const tcache_t *tc, uint64_t *count)
{
	const region_t *rg = &w->vmp->region;
	uint64_t bytes = 0;
	for (unsigned k = 0; k < LCACHE_BUCKETS; k++) {
		const vm_stack_t *b = &tc->large.buckets[k];
		if (!stack_sane(b, lcache_cap(k)))
			return corrupt("cache %u, large bucket %u: %llu of %u runs",
					tc->index, k,
					(unsigned long long)vm_stack_count(b), b->cap);
		for (uint32_t i = 0; i < vm_stack_count(b); i++) {
			const void *a = lcache_slot_addr(b->objs[i]);
			run_t *run = region_has_data(rg, a) ?
					region_lookup(rg, region_page(rg, a)) : NULL;
			if (run == NULL || run->kind != RUN_LARGE ||
					region_addr(rg, region_run_page(rg, run)) != a ||
					lcache_slot_pages(b->objs[i]) != run->npages ||
					run->npages < LCACHE_MIN_PAGES ||
					run->npages > LCACHE_MAX_PAGES ||
					lcache_bucket(run->npages) != k ||
					!lcache_marked(w->vmp->slabs.large_key, a))
				return corrupt("cache %u holds %p in large bucket "
						"%u: not a cached run of it", tc->index,
						a, k);
			if (run->cls != 0)
				return corrupt("large run %p is in two caches "
						"(or its class is %u)", a, run->cls);
			run->cls = RUN_CLS_SEEN;
			bytes += (uint64_t)run->npages << VM_PAGE_SHIFT;
		}
		*count += vm_stack_count(b);
	}
	if (bytes != tc->large.bytes || bytes > tc->large.budget)
		return corrupt("cache %u: large runs of %llu bytes, counted %llu, "
				"budget %llu", tc->index, (unsigned long long)bytes,
				(unsigned long long)tc->large.bytes,
				(unsigned long long)tc->large.budget);
	return true;
}

/* undoes what check_cached_runs did to the runs of tc */
static void
unsee_cached_runs(struct walk *w, const tcache_t *tc)
{
	const region_t *rg = &w->vmp->region;
	for (unsigned k = 0; k < LCACHE_BUCKETS; k++) {
		const vm_stack_t *b = &tc->large.buckets[k];
		for (uint32_t i = 0; i < vm_stack_count(b) && i < b->cap; i++) {
			const void *a = lcache_slot_addr(b->objs[i]);
			run_t *run = region_has_data(rg, a) ?
					region_lookup(rg, region_page(rg, a)) : NULL;
			if (run != NULL && run->kind == RUN_LARGE &&
					run->cls == RUN_CLS_SEEN)
				run->cls = 0;
		}
	}
}

/*
 * One stack of cached objects, objs[0 .. n) of class cls, in a pass of
 * check_caches: pass 0 checks and marks each, pass 1 restores the marks
 * while fewer than todo have been seen. seen counts the objects visited.
 * False if pass 0 found one bad (the walk then stops marking).
 */
static bool
visit_cached(struct walk *w, void *const *objs, uint32_t n, unsigned cls,
		int pass, uint64_t *seen, uint64_t todo)
{
	for (uint32_t k = 0; k < n; k++) {
		if (pass == 1 && *seen >= todo)
			break;
		if (pass == 0 && !check_cached(w, objs[k], cls, true, false))
			return false;
		if (pass == 1)
			check_cached(w, objs[k], cls, false, true);
		(*seen)++;
	}
	return true;
}

/*
 * Where cache tc lives: a slot of the spare area marked in use, or the
 * start of a cache's run of the data area (counted in *in_runs).
 */
static bool
check_cache_room(struct walk *w, const tcache_t *tc, uint32_t *in_runs)
{
	const slabs_t *s = &w->vmp->slabs;
	const region_t *rg = &w->vmp->region;
	int slot = caches_slot_of(s, tc);
	if (slot >= 0) {
		if (((s->slots_used >> slot) & 1) &&
				(uintptr_t)tc == rg->base + rg->plan.spare_off +
				(size_t)slot * s->slot_bytes)
			return true;
		return corrupt("cache %p is in slot %d of the spare area, "
				"which is not marked in use or not there",
				(const void *)tc, slot);
	}
	if (!region_has_data(rg, tc) || ((uintptr_t)tc & VM_PAGE_MASK) != 0)
		return corrupt("cache %p is neither in the spare area nor in "
				"the data pages", (const void *)tc);
	const run_t *run = region_run(rg, region_page(rg, tc));
	if (run->kind != RUN_LARGE || run->cls != RUN_CLS_TCACHE ||
			region_lookup(rg, region_page(rg, tc)) != run)
		return corrupt("cache %p does not start a cache's run",
				(const void *)tc);
	(*in_runs)++;
	return true;
}

/*
 * Every cached object (caches frozen, bins locked): pass 1 checks and
 * marks them, pass 2 restores the marks of those pass 1 got through.
 */
static bool
check_caches(struct walk *w)
{
	VMEM *vmp = w->vmp;
	uint64_t marked = 0, todo = 0, runs = 0;
	bool ok = true;
	for (int pass = 0; pass < 2; pass++) {
		uint64_t seen = 0;
		uint32_t ncaches = 0, in_runs = 0;
		for (uint32_t i = 1; i <= vmp->slabs.tc_top; i++) {
			tcache_t *tc = caches_frozen_at(&vmp->slabs, i);
			if (tc == NULL)
				continue;
			ncaches++;
			if (pass == 0 && ok && !check_cache_room(w, tc, &in_runs))
				ok = false;
			if (pass == 0 && ok && !check_cached_runs(w, tc, &runs))
				ok = false;
			if (pass == 1)
				unsee_cached_runs(w, tc);
			for (unsigned c = 0; c < SC_NCLASSES; c++) {
				vm_stack_t *b = &tc->bins[c];
				uint64_t count = vm_stack_count(b);
				if (pass == 0 && ok && (!stack_sane(b,
						tcache_cap(c)) || tc->index != i)) {
					ok = corrupt("cache of thread %u, class %u: "
							"%llu of %u objects", i, c,
							(unsigned long long)count,
							b->cap);
				}
				uint32_t n = count <= b->cap ? (uint32_t)count :
						b->cap + 1;
				if ((pass == 1 || ok) && !visit_cached(w, b->objs,
						n, c, pass, &seen, todo))
					ok = false;
			}
		}
		/* the transfer stacks, after the caches in both passes */
		for (unsigned c = 0; c < SC_NCLASSES; c++) {
			bin_t *bin = &vmp->slabs.bins[c];
			if (pass == 0 && ok && (bin->nxfer > bin->xfer_cap ||
					bin->xfer_cap > BIN_XFER_MAX))
				ok = corrupt("class %u: %u objects on a transfer "
						"stack of %u", c, bin->nxfer,
						bin->xfer_cap);
			uint32_t n = bin->nxfer < BIN_XFER_MAX ? bin->nxfer :
					BIN_XFER_MAX;
			if ((pass == 1 || ok) && !visit_cached(w, bin->xfer, n,
					c, pass, &seen, todo))
				ok = false;
		}
		if (pass == 0) {
			todo = marked = seen;
			w->cached = marked;
			if (ok && ncaches != vmp->slabs.ncaches)
				ok = corrupt("%u caches found, %u counted",
						ncaches, vmp->slabs.ncaches);
			if (ok && in_runs != vmp->slabs.ncache_runs)
				ok = corrupt("%u caches in runs found, %u "
						"counted", in_runs,
						vmp->slabs.ncache_runs);
		}
	}
	return ok;
}

static bool
check_pool(struct walk *w)
{
	VMEM *vmp = w->vmp;
	const region_t *rg = &vmp->region;
	const extents_t *ex = &vmp->extents;
	if (vmp->magic != VMEM_MAGIC)
		return corrupt("bad magic %#llx", (unsigned long long)vmp->magic);
	if (rg->base != (uintptr_t)vmp ||
			rg->data_first != region_layout(rg->npages,
			sizeof(struct vmem), slabs_spare_bytes(rg->npages)))
		return corrupt("the region layout of the header is wrong");
	if (!check_runs(w))
		return false;
	if (ex->free_pages != w->free_pages || ex->nfree_runs != w->nfree_runs ||
			ex->large_pages != w->large_pages ||
			ex->slab_pages != w->slab_pages || ex->nlarge != w->nlarge)
		return corrupt("extent totals (free %llu in %u runs, large %llu, "
				"slab %llu) differ from the runs found (%llu in "
				"%llu, %llu, %llu)",
				(unsigned long long)ex->free_pages, ex->nfree_runs,
				(unsigned long long)ex->large_pages,
				(unsigned long long)ex->slab_pages,
				(unsigned long long)w->free_pages,
				(unsigned long long)w->nfree_runs,
				(unsigned long long)w->large_pages,
				(unsigned long long)w->slab_pages);
	uint32_t prev = 0;
	if (!check_tree(w, ex->tree, &prev, 0))
		return false;
	if (w->tree_nodes != w->nfree_runs)
		return corrupt("extent tree holds %llu of %llu free runs",
				(unsigned long long)w->tree_nodes,
				(unsigned long long)w->nfree_runs);
	for (unsigned c = 0; c < SC_NCLASSES; c++)
		if (!check_bin(w, c))
			return false;
	return check_chunk_bits(w) && check_caches(w);
}

VM_EXPORT int
vmem_check(VMEM *vmp)
{
	vm_log(3, "vmp %p", (void *)vmp);
	mc_quiet();	/* the registry's links are in the pools' headers */
	bool live = vmp != NULL && pool_is_live(vmp);
	mc_loud();
	if (!live) {
		vm_err("vmem_check: %p is not a live pool", (void *)vmp);
		return -1;
	}
	struct walk w = { .vmp = vmp };
	mc_quiet();	/* it reads metadata and free objects */
	pool_lock_all(vmp);
	bool ok = check_pool(&w);
	pool_unlock_all(vmp);
	mc_loud();
	return ok ? 1 : 0;
}
