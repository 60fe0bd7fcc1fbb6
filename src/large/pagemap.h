/*
 * pagemap.h -- the radix-tree page map: from a page of the pool to the run
 * record that owns it, in two loads.
 *
 *   page number (32 bits):  [ root index : 23 ][ leaf index : 9 ]
 *   root[i] -> a leaf of 512 entries (one page), or the shared empty leaf,
 *              less i * 512 entries: the leaf index is then the whole page
 *              number, and a lookup needs no mask
 *   entry:     [ len : 8 ][ run record address : 54 ][ kind : 2 ]
 *   (run records are 64-byte aligned and below 2^56, the most a 64-bit
 *   user address space has: the address's own low and high bits are 0)
 *   a slab's:  [ 0 : 20 ][ first page : 32 ][ 0 : 2 ][ class : 6 ][ 0 : 2 ][ kind : 2 ]
 *              (so entry - RUN_SLAB is the byte offset of the first page
 *              plus 16 x the class)
 *
 * A slab's entry names its first page (whose record is the slab's) and
 * its size class instead of its record's address: free's fast path
 * checks that a pointer starts an object from the entry and the class
 * table alone, without a second dependent load from the run record.
 *
 * len is the length in pages of a RUN_LARGE run shorter than 256 pages
 * that holds an object (not a thread cache), 0 for anything else: the free
 * path decides whether a large object goes to the thread cache from the
 * entry alone, without reading the run record, which another thread may
 * have written last. The length is written with the entry (extents), so
 * a run whose length or cls changes is mapped again.
 *
 * Which pages carry an entry: every page of a slab; the first and the last
 * page of a free extent or a large object. All other entries are 0, so a
 * lookup of a page that is not the start of a large object or inside a slab
 * finds "nothing here", which is how free() rejects a foreign pointer.
 *
 * Leaves are installed on first write; until then the root points at a
 * static empty leaf, so a reader never tests for a missing leaf.
 * Thread safety: readers take no lock (a leaf, once installed, stays until
 * the pool is deleted); writers hold the pool's extent lock.
 */
#ifndef VM_PAGEMAP_H
#define VM_PAGEMAP_H

#include <stdatomic.h>
#include <stdint.h>
#include "large/run.h"

#define PAGEMAP_LEAF_BITS	9
#define PAGEMAP_LEAF_ENTRIES	((uint32_t)1 << PAGEMAP_LEAF_BITS)

typedef _Atomic(uint64_t) pagemap_entry_t;

typedef struct pagemap_s {
	_Atomic(uintptr_t) *root;	/* nroot slots: leaf addresses, biased */
	pagemap_entry_t *leaves;	/* the reserved leaf area: leaf i at
					 * leaves + i * PAGEMAP_LEAF_ENTRIES */
	uint32_t nroot;
	uint32_t nleaves_used;		/* statistics: installed leaves */
} pagemap_t;

/* bytes of metadata a page map for npages pages needs (root + leaves) */
size_t pagemap_root_bytes(uint32_t npages);
size_t pagemap_leaf_bytes(uint32_t npages);

/* sets up an empty map; root and leaves point into the region */
void pagemap_init(pagemap_t *pm, void *root, void *leaves, uint32_t npages);

/* writes one entry (caller holds the extent lock) */
void pagemap_set(pagemap_t *pm, uint32_t page, uint64_t entry);

extern pagemap_entry_t pagemap_empty_leaf[PAGEMAP_LEAF_ENTRIES];

/* reads the entry of the page holding byte off of the region (off below
 * the region's size): one shift less than pagemap_get(off >> page shift) */
static inline uint64_t
pagemap_get_at(const pagemap_t *pm, uint64_t off)
{
	uintptr_t biased = atomic_load_explicit(
			&pm->root[off >> (VM_PAGE_SHIFT + PAGEMAP_LEAF_BITS)],
			memory_order_acquire);
	return atomic_load_explicit((pagemap_entry_t *)(biased +
			(off >> VM_PAGE_SHIFT) * sizeof(pagemap_entry_t)),
			memory_order_relaxed);
}

/* reads one entry; page < npages */
static inline uint64_t
pagemap_get(const pagemap_t *pm, uint32_t page)
{
	return pagemap_get_at(pm, (uint64_t)page << VM_PAGE_SHIFT);
}

/* the bias of root slot i: the bytes of the entries of the pages before
 * its leaf's */
static inline uintptr_t
pagemap_root_bias(uint32_t i)
{
	return (uintptr_t)i * PAGEMAP_LEAF_ENTRIES * sizeof(pagemap_entry_t);
}

/* true if root slot i (pages i * PAGEMAP_LEAF_ENTRIES on) has a leaf of
 * its own, not the empty leaf */
static inline bool
pagemap_has_leaf(const pagemap_t *pm, uint32_t i)
{
	return atomic_load_explicit(&pm->root[i], memory_order_acquire) +
			pagemap_root_bias(i) != (uintptr_t)pagemap_empty_leaf;
}

#define PAGEMAP_LEN_SHIFT	56
#define PAGEMAP_ADDR_MASK	\
	((((uint64_t)1 << PAGEMAP_LEN_SHIFT) - 1) & ~RUN_KIND_MASK)

#define PAGEMAP_SLAB_CLS_SHIFT	4
#define PAGEMAP_SLAB_CLS_MASK	((uint64_t)63)

/* the entry of every page of the slab that starts at first_page */
static inline uint64_t
pagemap_slab_entry(uint32_t first_page, unsigned cls)
{
	return (uint64_t)first_page << VM_PAGE_SHIFT |
			((uint64_t)cls & PAGEMAP_SLAB_CLS_MASK) <<
			PAGEMAP_SLAB_CLS_SHIFT | RUN_SLAB;
}

static inline uint32_t
pagemap_slab_page(uint64_t entry)
{
	return (uint32_t)(entry >> VM_PAGE_SHIFT);
}

static inline unsigned
pagemap_slab_cls(uint64_t entry)
{
	return (unsigned)(entry >> PAGEMAP_SLAB_CLS_SHIFT &
			PAGEMAP_SLAB_CLS_MASK);
}

/* true if entry is a slab's: entry less RUN_SLAB then has its low bits
 * clear (written so, the fast paths reuse that difference) */
static inline bool
pagemap_entry_is_slab(uint64_t entry)
{
	return ((entry - RUN_SLAB) & RUN_KIND_MASK) == 0;
}

/* for the fast paths, from entry - RUN_SLAB of a slab (low bits clear):
 * the byte offset of its first page, and 16 x its class (a byte offset
 * into tables of 16-byte records) */
static inline uint64_t
pagemap_slab_start(uint64_t entry_less_kind)
{
	return entry_less_kind & ~(uint64_t)VM_PAGE_MASK;
}

static inline size_t
pagemap_slab_cls16(uint64_t entry_less_kind)
{
	return (size_t)(entry_less_kind & VM_PAGE_MASK);
}

/* the entry of a RUN_FREE or RUN_LARGE run whose record is filled in */
static inline uint64_t
pagemap_entry(const run_t *run, enum run_kind_e kind)
{
	uint64_t e = (uint64_t)(uintptr_t)run | (uint64_t)kind;
	if (kind == RUN_LARGE && run->npages < 256 &&
			run->cls != RUN_CLS_TCACHE)
		e |= (uint64_t)run->npages << PAGEMAP_LEN_SHIFT;
	return e;
}

/* the record of a RUN_FREE or RUN_LARGE entry's run */
static inline run_t *
pagemap_entry_run(uint64_t entry)
{
	return (run_t *)(uintptr_t)(entry & PAGEMAP_ADDR_MASK);
}

/* len (see above): pages of a short large run holding an object, or 0 */
static inline uint32_t
pagemap_entry_len(uint64_t entry)
{
	return (uint32_t)(entry >> PAGEMAP_LEN_SHIFT);
}

static inline enum run_kind_e
pagemap_entry_kind(uint64_t entry)
{
	return (enum run_kind_e)(entry & RUN_KIND_MASK);
}

#endif /* VM_PAGEMAP_H */
