/*
 * slab_run.c -- one slab: its objects and their free bitmap (see
 * slab_run.h).
 *
 * Owns run_t.bitmap and run_t.nfree of RUN_SLAB runs (the per-object
 * operations are inline in slab_run.h). Invariant: nfree == popcount(bitmap),
 * and no bit at or above nobjs is set. A new slab's objects are all free,
 * so all tagged (tag.h). So is the slab's tail, the bytes after its last
 * object, when it has room for a tag: a pointer to it is a multiple of
 * the class size from the slab's start, which is all free's and
 * realloc's fast paths test, and without the tag they would take it for
 * a live object (and hand out an object running past the slab).
 */
#include "slab/slab_run.h"

void
slab_init(const region_t *rg, run_t *run, unsigned cls, uint64_t key)
{
	const sc_info_t *sc = &sc_table[cls];
	unsigned nobjs = slab_nobjs(cls, run->npages);
	run->cls = (uint8_t)cls;
	run->nobjs = (uint16_t)nobjs;
	run->divc = sc->divc;
	slab_set_home(run, 0);
	run->nfree = (uint16_t)nobjs;
	run->in_list = 0;
	run->u.list.prev = 0;
	run->u.list.next = 0;
	for (unsigned w = 0; w < SLAB_MAX_OBJS / 64; w++) {
		unsigned lo = w * 64;
		if (nobjs >= lo + 64)
			slab_bitmap_store(run, w, UINT64_MAX);
		else if (nobjs > lo)
			slab_bitmap_store(run, w, ((uint64_t)1 << (nobjs - lo)) - 1);
		else
			slab_bitmap_store(run, w, 0);
	}
	/* both are read without the bin lock on purpose (a free's check,
	 * a flush's sort), so helgrind and drd must not check them */
	if (VM_VALGRIND && vm_unlikely(vm_vg_sync)) {
		vm_vg_benign(run->bitmap, sizeof(run->bitmap));
		vm_vg_benign(&run->home, sizeof(run->home));
	}
	char *obj = region_addr(rg, region_run_page(rg, run));
	for (unsigned i = 0; i < nobjs; i++, obj += sc->size)
		slab_tag_set(key, obj);
	size_t tail = ((size_t)run->npages << VM_PAGE_SHIFT) -
			(size_t)nobjs * sc->size;
	if (tail >= 2 * sizeof(uint64_t))	/* (sizes are multiples of 16) */
		slab_tag_set(key, obj);
}
