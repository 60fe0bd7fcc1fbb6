/*
 * pagemap.c -- the radix-tree page map (see pagemap.h).
 *
 * Owns: the root array and the leaf area inside the region, and the shared
 * empty leaf in static storage. Invariant: root[i] + i * PAGEMAP_LEAF_ENTRIES
 * entries (its bias undone, root_leaf) is either the empty leaf or
 * leaves + i * PAGEMAP_LEAF_ENTRIES, and the empty leaf is never written.
 */
#include <string.h>

#include "large/pagemap.h"

pagemap_entry_t pagemap_empty_leaf[PAGEMAP_LEAF_ENTRIES];

static uint32_t
root_slots(uint32_t npages)
{
	/* in 64 bits: npages may be UINT32_MAX */
	return (uint32_t)(((uint64_t)npages + PAGEMAP_LEAF_ENTRIES - 1) >>
			PAGEMAP_LEAF_BITS);
}

size_t
pagemap_root_bytes(uint32_t npages)
{
	return (size_t)root_slots(npages) * sizeof(pagemap_entry_t *);
}

size_t
pagemap_leaf_bytes(uint32_t npages)
{
	return (size_t)root_slots(npages) * PAGEMAP_LEAF_ENTRIES *
			sizeof(pagemap_entry_t);
}

void
pagemap_init(pagemap_t *pm, void *root, void *leaves, uint32_t npages)
{
	pm->root = root;
	pm->leaves = leaves;
	pm->nroot = root_slots(npages);
	pm->nleaves_used = 0;
	for (uint32_t i = 0; i < pm->nroot; i++)
		atomic_init(&pm->root[i],
				(uintptr_t)pagemap_empty_leaf - pagemap_root_bias(i));
}

void
pagemap_set(pagemap_t *pm, uint32_t page, uint64_t entry)
{
	uint32_t i = page >> PAGEMAP_LEAF_BITS;
	vm_assert_internal(i < pm->nroot);
	pagemap_entry_t *leaf = (pagemap_entry_t *)(atomic_load_explicit(
			&pm->root[i], memory_order_relaxed) + pagemap_root_bias(i));
	if (vm_unlikely(leaf == pagemap_empty_leaf)) {
		if (entry == 0)
			return;	/* clearing a page of an empty leaf */
		leaf = pm->leaves + (size_t)i * PAGEMAP_LEAF_ENTRIES;
		memset((void *)leaf, 0,
				PAGEMAP_LEAF_ENTRIES * sizeof(pagemap_entry_t));
		atomic_store_explicit(&pm->root[i],
				(uintptr_t)leaf - pagemap_root_bias(i), memory_order_release);
		pm->nleaves_used++;
	}
	atomic_store_explicit(&leaf[page & (PAGEMAP_LEAF_ENTRIES - 1)], entry,
			memory_order_relaxed);
}
