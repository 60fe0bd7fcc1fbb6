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

/* with the caches frozen: true if the object at obj of class cls (bit
 * clear in its slab) is free all the same, in a cache or on its bin's
 * transfer stack (then it carries the free tag, slab/tag.h) */
static bool
small_cached(slabs_t *s, unsigned cls, const void *obj)
{
	return slab_tagged(s->tag_key, obj) &&
			(caches_hold_small(s, cls, obj) ||
			bin_xfer_holds(&s->bins[cls], obj));
}

/* with the caches frozen: true if the large run at addr sits in a cache */
static bool
large_cached(slabs_t *s, const run_t *run, const void *addr)
{
	if (!lcache_takes(run->npages) || !lcache_marked(s->large_key, addr))
		return false;
	for (uint32_t i = 1; i <= s->tc_top; i++) {
		const tcache_t *tc = caches_frozen_at(s, i);
		if (tc != NULL && lcache_holds(&tc->large, run->npages, addr))
			return true;
	}
	return false;
}

/* fn(addr, usable bytes) for each object of vmp in use (not free in its
 * slab, not in a cache); with the caches frozen, quiet */
static void
foreach_object(VMEM *vmp, void (*fn)(void *addr, size_t size))
{
	const region_t *rg = &vmp->region;
	slabs_t *s = &vmp->slabs;
	for (uint32_t page = rg->data_first; page < rg->npages;) {
		const run_t *run = region_run(rg, page);
		if (run->npages == 0)
			break;	/* a damaged pool: the rest is not walked */
		void *addr = region_addr(rg, page);
		if (run->kind == RUN_SLAB) {
			uintptr_t start = slab_start(rg, run);
			size_t size = sc_table[run->cls].size;
			for (unsigned i = 0; i < run->nobjs; i++) {
				void *obj = (void *)(start + i * size);
				if (!slab_obj_is_free(run, i) &&
						!small_cached(s, run->cls, obj))
					fn(obj, size);
			}
		} else if (run->kind == RUN_LARGE &&
				run->cls != RUN_CLS_TCACHE &&
				!large_cached(s, run, addr)) {
			fn(addr, (size_t)run->npages << VM_PAGE_SHIFT);
		}
		page += run->npages;
	}
}

static void
free_block(void *addr, size_t size)
{
	(void)size;
	vm_vg_block_free(addr);
}

void
mc_pool_deleting(VMEM *vmp)
{
	vm_vg_quiet();
	uintptr_t base = vmp->region.base;
	size_t size = vmp->region.size;
	bool callers = vmp->backing.kind == BACKING_REGION;
	caches_freeze(&vmp->slabs);	/* (no thread may use it now anyway) */
	foreach_object(vmp, free_block);
	caches_thaw(&vmp->slabs);
	vm_vg_loud();
	if (callers)	/* the caller's memory again */
		vm_vg_defined((void *)base, size);
}

static void
define_object(void *addr, size_t size)
{
	vm_vg_defined(addr, size);
}

/*
 * After the region was mapped again (libvmmalloc's fork modes, from the
 * fork handlers: every lock held, the caches frozen), memcheck holds all
 * of it defined: the metadata and free memory go back to inaccessible,
 * cached objects included, and each object in use is accessible and
 * defined to its usable size (the sizes the program asked for are kept
 * nowhere memcheck can give them back from).
 */
void
mc_pool_remapped(VMEM *vmp)
{
	vm_vg_quiet();
	mark_noaccess(vmp->region.base, vmp->region.size);
	keep_fast_fields(vmp);
	foreach_object(vmp, define_object);
	vm_vg_loud();
}
