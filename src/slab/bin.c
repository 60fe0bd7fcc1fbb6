/*
 * bin.c -- the slabs of one size class: objects taken and given back in
 * batches under one lock (a thread cache's refill and flush; the paths
 * without a cache use batches of one).
 *
 * Owns the bin's list of slabs with free objects, the caches' lists of
 * the class (slab_list_t, which live in the caches but are used under
 * the bin lock only), the slabs' homes, and the bin's counters.
 * List order: slabs that still have objects in use first, the (at most one)
 * entirely free slab last, so new objects fill used slabs and an empty one
 * can be given back. Full slabs are on no list; they are found again
 * through the page map when one of their objects is freed.
 * A slab is made and given back with its bin's lock held (the extent lock
 * ranks after it), so a slab is never seen half set up.
 * The transfer stack (bin.h) is filled by flushes only (objects checked
 * on their way into a cache, of slabs of another home than the flushing
 * cache), emptied by refills first, and drained into the slabs when the
 * pool is full: 0 <= nxfer <= xfer_cap.
 */
#include <string.h>

#include "slab/bin.h"

void
bin_init(bin_t *bin, unsigned cls, void **xfer, uint64_t tag_key,
		const bin_homes_t *homes)
{
	vm_lock_init(&bin->lock);
	bin->list.head = bin->list.tail = 0;
	bin->list.closed = 0;
	bin->homes = homes;
	bin->nslabs = 0;
	bin->nempty = 0;
	bin->nmalloc = 0;
	bin->nfree = 0;
	bin->nslabs_made = 0;
	bin->nxfer = 0;
	bin->xfer = xfer;
	bin->tag_key = tag_key;
	bin->cls = cls;
	unsigned cap = BIN_XFER_BYTES / sc_table[cls].size;
	bin->xfer_cap = cap < 2 ? 2 : cap > BIN_XFER_MAX ? BIN_XFER_MAX : cap;
}

static void
list_unlink(slab_list_t *l, region_t *rg, run_t *run)
{
	uint32_t prev = run->u.list.prev, next = run->u.list.next;
	if (prev != 0)
		region_run(rg, prev)->u.list.next = next;
	else
		l->head = next;
	if (next != 0)
		region_run(rg, next)->u.list.prev = prev;
	else
		l->tail = prev;
	run->u.list.prev = run->u.list.next = 0;
	run->in_list = 0;
}

static void
list_push_head(slab_list_t *l, region_t *rg, run_t *run)
{
	uint32_t page = region_run_page(rg, run);
	run->u.list.prev = 0;
	run->u.list.next = l->head;
	if (l->head != 0)
		region_run(rg, l->head)->u.list.prev = page;
	else
		l->tail = page;
	l->head = page;
	run->in_list = 1;
}

static void
list_push_tail(slab_list_t *l, region_t *rg, run_t *run)
{
	uint32_t page = region_run_page(rg, run);
	run->u.list.next = 0;
	run->u.list.prev = l->tail;
	if (l->tail != 0)
		region_run(rg, l->tail)->u.list.next = page;
	else
		l->head = page;
	l->tail = page;
	run->in_list = 1;
}

/* the list of home (a cache index, 0: none) for the class, or NULL */
static slab_list_t *
home_list(const bin_t *bin, uint32_t home)
{
	return home != 0 ? bin->homes->list(bin->homes->ctx, home, bin->cls) :
			NULL;
}

/* the list run is on, or goes on when it has free objects: its home's,
 * or the bin's when it has none or its home has gone (then it has none
 * from now on; a listed slab's home is always there, bin_abandon) */
static slab_list_t *
list_of(bin_t *bin, run_t *run)
{
	slab_list_t *l = home_list(bin, run->home);
	if (l != NULL)
		return l;
	vm_assert_internal(run->home == 0 || !run->in_list);
	slab_set_home(run, 0);
	return &bin->list;
}

/*
 * Makes a new slab and puts it on the list. Called and returns with the
 * bin lock held, so vmem_check never sees a slab that is in the page map
 * but not yet set up and listed.
 */
static bool
add_slab(bin_t *bin, region_t *rg, extents_t *ex, uint32_t home)
{
	unsigned cls = bin->cls;
	const sc_info_t *sc = &sc_table[cls];
	uint32_t least = (uint32_t)VM_PAGES(sc->size);
	/* the first slabs of a class are short (an eighth, a quarter, a
	 * half): a program that makes a few objects of many classes touches
	 * a few pages per class, not up to 23 (a new slab's objects are all
	 * written, tag.h) */
	uint32_t npages = sc->npages;
	if (bin->nslabs_made < SLAB_RAMP)
		npages >>= SLAB_RAMP - bin->nslabs_made;
	npages = npages > least ? npages : least;
	run_t *run = extents_alloc_slab(ex, rg, npages, cls);
	/* a nearly full pool: a shorter slab, down to one object, so that
	 * holes shorter than the class's slab still hold objects */
	while (run == NULL && npages > least) {
		npages = npages / 2 > least ? npages / 2 : least;
		run = extents_alloc_slab(ex, rg, npages, cls);
	}
	if (run == NULL)
		return false;
	slab_init(rg, run, cls, bin->tag_key);
	slab_set_home(run, home);
	list_push_tail(list_of(bin, run), rg, run);
	bin->nslabs++;
	bin->nempty++;
	bin->nslabs_made++;
	return true;
}

/* the list move after a free made run non-full or entirely free */
static void
free_moved_locked(bin_t *bin, run_t *run, region_t *rg, extents_t *ex)
{
	slab_list_t *l = list_of(bin, run);
	if (run->nfree != run->nobjs) {
		list_push_head(l, rg, run);	/* was full */
		return;
	}
	/* entirely free: keep one such slab, give others back */
	if (run->in_list)
		list_unlink(l, rg, run);
	if (bin->nempty == 0) {
		list_push_tail(l, rg, run);
		bin->nempty++;
		return;
	}
	bin->nslabs--;
	extents_free(ex, rg, run);
}

/*
 * The slab a refill for home (0: none) takes from next: the head of its
 * list (own), else the head of the bin's list, adopted when there is a
 * home, else a new one; NULL when no slab can be made.
 */
static run_t *
next_slab(bin_t *bin, region_t *rg, extents_t *ex, slab_list_t *own,
		uint32_t home)
{
	if (own != NULL && own->head != 0)
		return region_run(rg, own->head);
	if (bin->list.head != 0) {
		run_t *run = region_run(rg, bin->list.head);
		if (own != NULL) {
			list_unlink(&bin->list, rg, run);
			slab_set_home(run, home);
			list_push_head(own, rg, run);
		}
		return run;
	}
	if (!add_slab(bin, rg, ex, home))
		return NULL;
	return region_run(rg, own != NULL ? own->head : bin->list.head);
}

/*
 * Objects come from the transfer stack first, then from the slabs (see
 * next_slab), a bitmap word at a time; the slabs' share of out is then
 * reversed, so that a cache popping from its top hands them out in
 * address order.
 */
unsigned
bin_malloc_batch(bin_t *bin, region_t *rg, extents_t *ex,
		void **out, unsigned n, uint32_t home)
{
	vm_lock(&bin->lock);
	unsigned got = n < bin->nxfer ? n : bin->nxfer;
	bin->nxfer -= got;
	memcpy(out, bin->xfer + bin->nxfer, got * sizeof(void *));
	unsigned parked = got;
	slab_list_t *own = home_list(bin, home);
	if (own == NULL)
		home = 0;
	while (got < n) {
		run_t *run = next_slab(bin, rg, ex, own, home);
		if (run == NULL)
			break;
		if (run->nfree == run->nobjs)
			bin->nempty--;
		got += slab_take_batch(run, slab_start(rg, run), out + got,
				n - got);
		if (run->nfree == 0)	/* full: on no list, home kept */
			list_unlink(own != NULL ? own : &bin->list, rg, run);
	}
	bin->nmalloc += got - parked;
	vm_assert_expensive(bin_valid(bin, rg) && (own == NULL ||
			slab_list_valid(rg, own, bin->cls, home)));
	vm_unlock(&bin->lock);
	for (unsigned i = parked, j = got; i + 1 < j; i++, j--) {
		void *t = out[i];
		out[i] = out[j - 1];
		out[j - 1] = t;
	}
	return got;
}

void
bin_abandon(bin_t *bin, region_t *rg, slab_list_t *own, bool closing)
{
	vm_lock(&bin->lock);
	while (own->head != 0) {
		run_t *run = region_run(rg, own->head);
		list_unlink(own, rg, run);
		slab_set_home(run, 0);
		if (run->nfree == run->nobjs)
			list_push_tail(&bin->list, rg, run);
		else
			list_push_head(&bin->list, rg, run);
	}
	own->closed = closing;
	vm_assert_expensive(bin_valid(bin, rg) && own->head == 0);
	vm_unlock(&bin->lock);
}

/* the slab of class cls holding byte off of the region, or NULL */
static run_t *
slab_at(const region_t *rg, uint64_t off, unsigned cls)
{
	if (off >= rg->size)
		return NULL;
	run_t *run = region_lookup(rg, (uint32_t)(off >> VM_PAGE_SHIFT));
	if (run == NULL || run->kind != RUN_SLAB || run->cls != cls)
		return NULL;
	return run;
}

/*
 * Objects freed together often share a slab: the slab of the previous
 * object is kept (its byte range in first, bytes) and looked up again only
 * for an object outside it, or after the bin moved it.
 */
static unsigned
free_batch_locked(bin_t *bin, region_t *rg, extents_t *ex,
		void *const *objs, unsigned n)
{
	unsigned refused = 0;
	run_t *run = NULL;
	uint64_t first = 0, bytes = 0;
	for (unsigned i = 0; i < n; i++) {
		uint64_t off = (uintptr_t)objs[i] - rg->base;
		if (off - first >= bytes) {
			run = slab_at(rg, off, bin->cls);
			if (vm_unlikely(run == NULL)) {
				refused++;
				bytes = 0;
				continue;
			}
			first = (uint64_t)region_run_page(rg, run) <<
					VM_PAGE_SHIFT;
			bytes = (uint64_t)run->npages << VM_PAGE_SHIFT;
		}
		unsigned idx;
		if (vm_unlikely(!slab_index_at(run, off - first, &idx) ||
				!slab_put(run, idx))) {
			refused++;	/* freed twice while cached, or a
					 * slab's tail whose tag was overwritten */
			continue;
		}
		vm_assert_expensive(slab_bits_valid(run));
		if (run->nfree == 1 || run->nfree == run->nobjs) {
			free_moved_locked(bin, run, rg, ex);
			bytes = 0;	/* it may be gone */
		}
	}
	bin->nfree += n - refused;
	return refused;
}

unsigned
bin_free_batch(bin_t *bin, region_t *rg, extents_t *ex,
		void *const *objs, unsigned n)
{
	vm_lock(&bin->lock);
	unsigned refused = free_batch_locked(bin, rg, ex, objs, n);
	vm_assert_expensive(bin_valid(bin, rg));
	vm_unlock(&bin->lock);
	return refused;
}

bool
bin_free(bin_t *bin, run_t *run, void *ptr, region_t *rg, extents_t *ex)
{
	unsigned idx;
	vm_lock(&bin->lock);
	/* tagged before it is free (then it may be handed out at once, or
	 * its slab given back), and only if it is in use: a double free
	 * must not write into an object another thread now holds */
	bool live = run->kind == RUN_SLAB && run->cls == bin->cls &&
			slab_index(rg, run, ptr, &idx) && !slab_obj_is_free(run, idx);
	if (live) {
		slab_tag_set(bin->tag_key, ptr);
		free_batch_locked(bin, rg, ex, &ptr, 1);
	}
	vm_assert_expensive(bin_valid(bin, rg));
	vm_unlock(&bin->lock);
	return live;
}

/*
 * The objects are sorted before the lock is taken: those of slabs of
 * another home (read without the lock: a home that changes meanwhile
 * only sends an object the other way, both ways are right) may be
 * parked, the others go back to their slabs. Looking the slabs up under
 * the lock made producer/consumer programs wait for it (xmalloc-test:
 * 3.4 -> 4.3 s).
 */
unsigned
bin_flush_batch(bin_t *bin, region_t *rg, extents_t *ex,
		void *const *objs, unsigned n, uint32_t home)
{
	void *sorted[BIN_FLUSH_MAX];
	unsigned nremote = 0, nown = n;
	uint64_t last = 0;	/* the page-map entry last looked at */
	bool remote = false;
	vm_assert(n <= BIN_FLUSH_MAX);
	for (unsigned i = 0; i < n; i++) {
		uint64_t e = region_has_data(rg, objs[i]) ?
				pagemap_get_at(&rg->pagemap,
				(uintptr_t)objs[i] - rg->base) : 0;
		if (e != last) {	/* another slab: its home */
			last = e;
			remote = pagemap_entry_is_slab(e) &&
					slab_home(region_run(rg,
					pagemap_slab_page(e))) != home;
		}
		if (remote)
			sorted[nremote++] = objs[i];
		else
			sorted[--nown] = objs[i];
	}
	vm_lock(&bin->lock);
	unsigned room = bin->xfer_cap - bin->nxfer;
	unsigned parked = nremote < room ? nremote : room;
	memcpy(bin->xfer + bin->nxfer, sorted, parked * sizeof(void *));
	bin->nxfer += parked;
	unsigned refused = free_batch_locked(bin, rg, ex, sorted + parked,
			n - parked);
	vm_assert_expensive(bin_valid(bin, rg));
	vm_unlock(&bin->lock);
	return refused;
}

unsigned
bin_xfer_drain(bin_t *bin, region_t *rg, extents_t *ex)
{
	vm_lock(&bin->lock);
	unsigned n = bin->nxfer;
	bin->nxfer = 0;
	free_batch_locked(bin, rg, ex, bin->xfer, n);
	vm_assert_expensive(bin_valid(bin, rg));
	vm_unlock(&bin->lock);
	return n;
}

bool
bin_xfer_holds(bin_t *bin, const void *ptr)
{
	bool held = false;
	vm_lock(&bin->lock);
	for (unsigned i = 0; i < bin->nxfer && !held; i++)
		held = bin->xfer[i] == ptr;
	vm_unlock(&bin->lock);
	return held;
}

bool
bin_owns(bin_t *bin, run_t *run, const void *ptr, const region_t *rg)
{
	unsigned idx;
	if (!slab_index(rg, run, ptr, &idx))
		return false;
	vm_lock(&bin->lock);
	bool live = run->kind == RUN_SLAB && !slab_obj_is_free(run, idx);
	vm_unlock(&bin->lock);
	return live;
}

size_t
bin_release_empty(bin_t *bin, region_t *rg, extents_t *ex)
{
	size_t pages = 0;
	for (;;) {
		vm_lock(&bin->lock);
		run_t *run = bin->list.tail != 0 ?
				region_run(rg, bin->list.tail) : NULL;
		if (run == NULL || run->nfree != run->nobjs) {
			vm_unlock(&bin->lock);
			return pages;
		}
		list_unlink(&bin->list, rg, run);
		bin->nslabs--;
		bin->nempty--;
		pages += run->npages;
		extents_free(ex, rg, run);
		vm_assert_expensive(bin_valid(bin, rg));
		vm_unlock(&bin->lock);
	}
}
