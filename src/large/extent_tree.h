/*
 * extent_tree.h -- the treap of free extents (extent_tree.c), ordered by
 * (pages, first page); its nodes are the free runs' own records, linked
 * by page number (0 = none).
 * Thread safety: callers hold the extent lock (extent.h).
 * Owns: the tree links of RUN_FREE records (extent_tree.c).
 */
#ifndef VM_EXTENT_TREE_H
#define VM_EXTENT_TREE_H

#include "large/region.h"

void etree_insert(region_t *rg, uint32_t *root, uint32_t page);
void etree_remove(region_t *rg, uint32_t *root, uint32_t page);
/* the first free run in (pages, page) order not below (npages, min_page) */
uint32_t etree_lower_bound(const region_t *rg, uint32_t root, uint32_t npages,
		uint32_t min_page);
uint32_t etree_priority(uint32_t page);
/* the node at page keeps the tree's orders with its children (a local
 * check for debug builds: extent_valid.c) */
bool etree_node_valid(const region_t *rg, uint32_t page);

#endif /* VM_EXTENT_TREE_H */
