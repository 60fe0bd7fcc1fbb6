/*
 * region.c -- lays out the metadata of a region (see region.h).
 *
 * Owns nothing at run time: it only computes where the page map and the
 * run records go and initialises them. The run records are not cleared
 * here: a record is written when a run starts at its page, and the data
 * area starts as one free run, so records of pages no run starts at are
 * never read.
 */
#include <string.h>

#include "large/region.h"

/* bytes of one bitmap of one bit per chunk */
static size_t
chunk_bits_bytes(uint32_t npages)
{
	size_t chunks = region_nchunks(npages);
	return (chunks + 63) / 64 * sizeof(uint64_t);
}

bool
region_plan(uint32_t npages, size_t header_bytes, size_t spare_bytes,
		region_plan_t *l)
{
	size_t off = VM_ALIGN_UP(header_bytes, 64);
	l->root_off = off;
	off = VM_ALIGN_UP(off + pagemap_root_bytes(npages), 64);
	l->purged_off = off;
	off += chunk_bits_bytes(npages);
	l->kept_off = off;
	off += chunk_bits_bytes(npages);
	l->meta_later_off = off;
	off += chunk_bits_bytes(npages);
	off = VM_ALIGN_UP(off, VM_PAGE);
	l->leaves_off = off;
	off += pagemap_leaf_bytes(npages);
	l->runs_off = off;
	off = VM_ALIGN_UP(off + (size_t)npages * sizeof(run_t), VM_PAGE);
	l->spare_off = off;
	off = VM_ALIGN_UP(off + spare_bytes, VM_PAGE);
	size_t first = off >> VM_PAGE_SHIFT;
	l->data_first = first < npages ? (uint32_t)first : 0;
	return l->data_first != 0;
}

uint32_t
region_layout(uint32_t npages, size_t header_bytes, size_t spare_bytes)
{
	region_plan_t l;
	return region_plan(npages, header_bytes, spare_bytes, &l) ?
			l.data_first : 0;
}

void
region_init(region_t *rg, uintptr_t base, uint32_t npages, size_t header_bytes,
		size_t spare_bytes)
{
	region_plan_t l;
	bool ok = region_plan(npages, header_bytes, spare_bytes, &l);
	vm_assert(ok);
	(void)ok;
	rg->plan = l;
	rg->base = base;
	rg->npages = npages;
	rg->size = (size_t)npages << VM_PAGE_SHIFT;
	rg->data_first = l.data_first;
	rg->data_start = base + ((uintptr_t)l.data_first << VM_PAGE_SHIFT);
	rg->data_size = rg->size - ((size_t)l.data_first << VM_PAGE_SHIFT);
	rg->runs = (run_t *)(base + l.runs_off);
	/* page map entries keep a record's address in 56 bits */
	vm_assert((((uintptr_t)(rg->runs + npages)) >> PAGEMAP_LEN_SHIFT) == 0);
	rg->purged = (uint64_t *)(base + l.purged_off);
	memset(rg->purged, 0, chunk_bits_bytes(npages));
	rg->kept = (uint64_t *)(base + l.kept_off);
	memset(rg->kept, 0, chunk_bits_bytes(npages));
	rg->meta_later = (uint64_t *)(base + l.meta_later_off);
	memset(rg->meta_later, 0, chunk_bits_bytes(npages));
	pagemap_init(&rg->pagemap, (void *)(base + l.root_off),
			(void *)(base + l.leaves_off), npages);
}
