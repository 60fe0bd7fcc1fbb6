/*
 * run.h -- the run record: what the core knows about one run of pages.
 *
 * The data pages of a pool are tiled by runs, each a whole number of pages:
 *   RUN_FREE   a free extent, a node of the extent tree (src/large)
 *   RUN_LARGE  one large object (src/large)
 *   RUN_SLAB   a slab: objects of one size class (src/slab)
 * The record of the run that starts at page p is runs[p] (one 64-byte
 * record per page of the region, in the metadata area), so a run never
 * needs a record allocated for it: splitting or moving a run moves its
 * record to the new first page.
 *
 * Invariants:
 *   - runs[p].kind != RUN_NONE  <=>  a run starts at page p
 *   - the runs tile [data_first, npages): p + runs[p].npages is the next run
 *   - no two RUN_FREE runs are neighbours (freeing coalesces at once)
 *   - slab: nfree == popcount(bitmap) <= nobjs; nobjs and divc equal
 *           those of its class (copies, so that a batch free and the
 *           slow paths' index arithmetic read the record's one line;
 *           free's fast path reads no record at all, it takes divc from
 *           the class table, slab/sizeclass.h);
 *           nfree > 0  <=>  the slab is on a list of its bin (in_list):
 *           its home's (the thread cache that refills from it), or the
 *           bin's own list for slabs of no home (home 0; slab/bin.c)
 *
 *   0        4     5     6       8        12       16
 *   | npages | kind | cls | nfree | link a | link b |
 *   16        17    18      20     22    24     32            64
 *   | in_list | pad | nobjs | home | pad2 | divc | bitmap 4 x 64 |
 *     links: RUN_FREE: tree.left/right; RUN_SLAB: list.prev/next
 *     (page numbers; 0 means none, page 0 always holds the pool header)
 *
 * Owns: npages, kind, cls and the tree links are written by the extent
 * manager (extent.c) under its lock; the slab fields (nfree, list links,
 * in_list, nobjs, home, divc, bitmap) by the slab layer, under the slab's
 * bin lock, inside a run the extent manager handed it.
 * Thread safety: a record is read without a lock only where its
 * owner's comment says so (the page map names slabs by page, so free's
 * fast path reads none).
 */
#ifndef VM_RUN_H
#define VM_RUN_H

#include <stdint.h>
#include "base/base.h"

enum run_kind_e {
	RUN_NONE = 0,
	RUN_FREE = 1,
	RUN_LARGE = 2,
	RUN_SLAB = 3,
};

#define RUN_KIND_MASK	((uint64_t)3)
/* the cls of a RUN_LARGE run that holds the allocator's own data (a
 * thread's cache), not an object */
#define RUN_CLS_TCACHE	0xff
#define SLAB_MAX_OBJS	256	/* bits in run_t.bitmap */

typedef struct run_s {
	uint32_t npages;	/* length of the run in pages */
	uint8_t kind;		/* enum run_kind_e */
	uint8_t cls;		/* RUN_SLAB: size class */
	uint16_t nfree;		/* RUN_SLAB: free objects */
	union {
		struct {
			uint32_t left, right;	/* RUN_FREE: treap children */
		} tree;
		struct {
			uint32_t prev, next;	/* RUN_SLAB: bin's partial list */
		} list;
	} u;
	uint8_t in_list;	/* RUN_SLAB: on its bin's list */
	uint8_t pad;
	uint16_t nobjs;		/* RUN_SLAB: objects (copy of the class's) */
	uint16_t home;		/* RUN_SLAB: the index of the thread cache
				 * that refills from it, 0 for none */
	uint16_t pad2;
	uint64_t divc;		/* RUN_SLAB: ceil(2^64 / size) (copy) */
	uint64_t bitmap[SLAB_MAX_OBJS / 64];	/* RUN_SLAB: bit set = free */
} run_t;

_Static_assert(sizeof(run_t) == 64, "a run record is one cache line");

#endif /* VM_RUN_H */
