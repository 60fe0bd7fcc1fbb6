/*
 * mc_region.c -- a pool's region as memcheck sees it (base/vg.h): all of
 * it inaccessible when the pool is made, but for the few words of the
 * header that the fast paths read before they turn to the slow ones; its
 * blocks freed when the pool is deleted (and a caller's region handed
 * back accessible); marked over again when it was mapped anew (a fork).
 * The objects themselves are mc_objects.c's.
 * Owns no state.
 * Thread safety: as the pool functions that call it (creation, deletion,
 * the fork handlers).
 */
#include "pool/vmem.h"

/* memcheck warns of a single range of more than 256 MiB: mark in steps */
#define MARK_STEP	((size_t)128 << 20)

static void
mark_noaccess(uintptr_t start, size_t len)
{
	for (size_t done = 0; done < len; done += MARK_STEP) {
		size_t n = len - done < MARK_STEP ? len - done : MARK_STEP;
		vm_vg_noaccess((void *)(start + done), n);
	}
}

/* what the fast paths read before they turn to the slow ones */
static void
keep_fast_fields(VMEM *vmp)
{
	vm_vg_defined(&vmp->magic, sizeof(vmp->magic));
	vm_vg_defined(&vmp->fast_size, sizeof(vmp->fast_size));
	vm_vg_defined(&vmp->region.base, sizeof(vmp->region.base));
	vm_vg_defined(&vmp->slabs.tcaches[0], sizeof(vmp->slabs.tcaches[0]));
}

void
mc_pool_created(VMEM *vmp)
{
	mark_noaccess(vmp->region.base, vmp->region.size);
	keep_fast_fields(vmp);
}

/* every object of the slab run that its bitmap has in use (a cached one
 * too: memcheck ignores a block it does not know, quietly) */
static void
free_slab_blocks(const region_t *rg, const run_t *run)
{
	uintptr_t start = slab_start(rg, run);
	size_t size = sc_table[run->cls].size;
	for (unsigned i = 0; i < run->nobjs; i++)
		if (!((run->bitmap[i / 64] >> (i % 64)) & 1))
			vm_vg_block_free((void *)(start + i * size));
}

void
mc_pool_deleting(VMEM *vmp)
{
	const region_t *rg = &vmp->region;
	vm_vg_quiet();
	uintptr_t base = rg->base;
	size_t size = rg->size;
	bool callers = vmp->backing.kind == BACKING_REGION;
	for (uint32_t page = rg->data_first; page < rg->npages;) {
		const run_t *run = region_run(rg, page);
		if (run->npages == 0)
			break;	/* a damaged pool: it goes anyway */
		if (run->kind == RUN_SLAB)
			free_slab_blocks(rg, run);
		else if (run->kind == RUN_LARGE)
			vm_vg_block_free(region_addr(rg, page));
		page += run->npages;
	}
	vm_vg_loud();
	if (callers)	/* the caller's memory again */
		vm_vg_defined((void *)base, size);
}

/*
 * After the region was mapped again (libvmmalloc's fork modes), memcheck
 * holds all of it defined: the metadata and free memory go back to
 * inaccessible, and each object in use is accessible and defined to its
 * usable size (the sizes the program asked for are not kept anywhere
 * memcheck can give them back), cached objects too (they look in use).
 */
void
mc_pool_remapped(VMEM *vmp)
{
	const region_t *rg = &vmp->region;
	vm_vg_quiet();
	mark_noaccess(rg->base, rg->size);
	keep_fast_fields(vmp);
	for (uint32_t page = rg->data_first; page < rg->npages;) {
		const run_t *run = region_run(rg, page);
		if (run->npages == 0)
			break;
		if (run->kind == RUN_SLAB) {
			uintptr_t start = slab_start(rg, run);
			size_t size = sc_table[run->cls].size;
			for (unsigned i = 0; i < run->nobjs; i++)
				if (!((run->bitmap[i / 64] >> (i % 64)) & 1))
					vm_vg_defined((void *)(start + i * size),
							size);
		} else if (run->kind == RUN_LARGE &&
				run->cls != RUN_CLS_TCACHE) {
			vm_vg_defined(region_addr(rg, page),
					(size_t)run->npages << VM_PAGE_SHIFT);
		}
		page += run->npages;
	}
	vm_vg_loud();
}
