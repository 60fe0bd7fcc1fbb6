/*
 * bin.c -- the slabs of one size class: objects taken and given back in
 * batches under one lock (a thread cache's refill and flush; the paths
 * without a cache use batches of one).
 *
 * Owns the bin's list of slabs with free objects and its counters.
 * List order: slabs that still have objects in use first, the (at most one)
 * entirely free slab last, so new objects fill used slabs and an empty one
 * can be given back. Full slabs are on no list; they are found again
 * through the page map when one of their objects is freed.
 * A slab is made and given back with its bin's lock held (the extent lock
 * ranks after it), so a slab is never seen half set up.
 * The transfer stack (bin.h) is filled by flushes only (objects checked
 * on their way into a cache), emptied by refills first, and drained into
 * the slabs when the pool is full: 0 <= nxfer <= xfer_cap.
 */
#include <string.h>

#include "slab/bin.h"

void
bin_init(bin_t *bin, unsigned cls, void **xfer, uint64_t tag_key)
{
	vm_lock_init(&bin->lock);
	bin->head = bin->tail = 0;
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
list_unlink(bin_t *bin, region_t *rg, run_t *run)
{
	uint32_t prev = run->u.list.prev, next = run->u.list.next;
	if (prev != 0)
		region_run(rg, prev)->u.list.next = next;
	else
		bin->head = next;
	if (next != 0)
		region_run(rg, next)->u.list.prev = prev;
	else
		bin->tail = prev;
	run->u.list.prev = run->u.list.next = 0;
	run->in_list = 0;
}

static void
list_push_head(bin_t *bin, region_t *rg, run_t *run)
{
	uint32_t page = region_run_page(rg, run);
	run->u.list.prev = 0;
	run->u.list.next = bin->head;
	if (bin->head != 0)
		region_run(rg, bin->head)->u.list.prev = page;
	else
		bin->tail = page;
	bin->head = page;
	run->in_list = 1;
}

static void
list_push_tail(bin_t *bin, region_t *rg, run_t *run)
{
	uint32_t page = region_run_page(rg, run);
	run->u.list.next = 0;
	run->u.list.prev = bin->tail;
	if (bin->tail != 0)
		region_run(rg, bin->tail)->u.list.next = page;
	else
		bin->head = page;
	bin->tail = page;
	run->in_list = 1;
}

/*
 * Makes a new slab and puts it on the list. Called and returns with the
 * bin lock held, so vmem_check never sees a slab that is in the page map
 * but not yet set up and listed.
 */
static bool
add_slab(bin_t *bin, region_t *rg, extents_t *ex)
{
	unsigned cls = bin->cls;
	const sc_info_t *sc = &sc_table[cls];
	uint32_t npages = sc->npages;
	run_t *run = extents_alloc_slab(ex, rg, npages, cls);
	/* a nearly full pool: a shorter slab, down to one object, so that
	 * holes shorter than the class's slab still hold objects */
	uint32_t least = (uint32_t)VM_PAGES(sc->size);
	while (run == NULL && npages > least) {
		npages = npages / 2 > least ? npages / 2 : least;
		run = extents_alloc_slab(ex, rg, npages, cls);
	}
	if (run == NULL)
		return false;
	slab_init(rg, run, cls, bin->tag_key);
	list_push_tail(bin, rg, run);
	bin->nslabs++;
	bin->nempty++;
	bin->nslabs_made++;
	return true;
}

/* the list move after a free made run non-full or entirely free */
static void
free_moved_locked(bin_t *bin, run_t *run, region_t *rg, extents_t *ex)
{
	if (run->nfree != run->nobjs) {
		list_push_head(bin, rg, run);	/* was full */
		return;
	}
	/* entirely free: keep one such slab, give others back */
	if (run->in_list)
		list_unlink(bin, rg, run);
	if (bin->nempty == 0) {
		list_push_tail(bin, rg, run);
		bin->nempty++;
		return;
	}
	bin->nslabs--;
	extents_free(ex, rg, run);
}

/*
 * Objects come from the transfer stack first, then from the head slab
 * onwards, a bitmap word at a time; the slabs' share of out is then
 * reversed, so that a cache popping from its top hands them out in
 * address order.
 */
unsigned
bin_malloc_batch(bin_t *bin, region_t *rg, extents_t *ex,
		void **out, unsigned n)
{
	vm_lock(&bin->lock);
	unsigned got = n < bin->nxfer ? n : bin->nxfer;
	bin->nxfer -= got;
	memcpy(out, bin->xfer + bin->nxfer, got * sizeof(void *));
	unsigned parked = got;
	while (got < n) {
		if (bin->head == 0 && !add_slab(bin, rg, ex))
			break;
		uint32_t head = bin->head;
		run_t *run = region_run(rg, head);
		if (run->nfree == run->nobjs)
			bin->nempty--;
		got += slab_take_batch(run, (uintptr_t)region_addr(rg, head),
				out + got, n - got);
		if (run->nfree == 0)
			list_unlink(bin, rg, run);
	}
	bin->nmalloc += got - parked;
	vm_unlock(&bin->lock);
	for (unsigned i = parked, j = got; i + 1 < j; i++, j--) {
		void *t = out[i];
		out[i] = out[j - 1];
		out[j - 1] = t;
	}
	return got;
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
			first = (uint64_t)run->page << VM_PAGE_SHIFT;
			bytes = (uint64_t)run->npages << VM_PAGE_SHIFT;
		}
		unsigned idx;
		if (vm_unlikely(!slab_index_in(run, off - first, &idx) ||
				!slab_put(run, idx))) {
			refused++;	/* freed twice while cached */
			continue;
		}
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
	vm_unlock(&bin->lock);
	return live;
}

unsigned
bin_flush_batch(bin_t *bin, region_t *rg, extents_t *ex,
		void *const *objs, unsigned n)
{
	vm_lock(&bin->lock);
	unsigned room = bin->xfer_cap - bin->nxfer;
	unsigned parked = n < room ? n : room;
	memcpy(bin->xfer + bin->nxfer, objs, parked * sizeof(void *));
	bin->nxfer += parked;
	unsigned refused = free_batch_locked(bin, rg, ex, objs + parked,
			n - parked);
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
		run_t *run = bin->tail != 0 ? region_run(rg, bin->tail) : NULL;
		if (run == NULL || run->nfree != run->nobjs) {
			vm_unlock(&bin->lock);
			return pages;
		}
		list_unlink(bin, rg, run);
		bin->nslabs--;
		bin->nempty--;
		pages += run->npages;
		extents_free(ex, rg, run);
		vm_unlock(&bin->lock);
	}
}
