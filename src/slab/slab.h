/*
 * slab.h -- size classes, slabs and bins: how small objects are served.
 *
 * Size classes (sizeclass.c): 16-byte steps up to 128 B, then eight
 * classes per doubling up to SC_SMALL_MAX, so every class is a multiple of
 * 16 and no request above 128 B wastes more than 1/9 of its object:
 *
 *   16 32 48 ... 128 | 144 160 ... 256 | 288 320 ... 512 | ... | ... 16384
 *
 * A slab (slab.c) is a RUN_SLAB run of a few pages cut into objects of one
 * class; its run record holds a bitmap, one bit per object (set = free), so
 * object memory holds no allocator data, a double free is caught, and a
 * pointer into the middle of an object is refused.
 *
 * A bin (bin.c) holds the slabs of one class of one pool: the slabs that
 * have free objects are on a doubly linked list, fuller ones first, at most
 * one entirely free slab is kept, and full slabs are on no list.
 *   bin.curobjs == sum over its slabs of (nobjs - nfree)
 * Thread safety: each bin has its own lock; bin_* functions take it. They
 * never hold it while calling into the extent manager.
 */
#ifndef VM_SLAB_H
#define VM_SLAB_H

#include "large/large.h"

#define SC_NCLASSES	64
#define SC_SMALL_MAX	((size_t)16384)

typedef struct sc_info_s {
	uint32_t size;		/* object size */
	uint32_t recip;		/* ceil(2^32 / size): offset -> index */
	uint16_t nobjs;		/* objects per slab */
	uint16_t npages;	/* pages per slab */
} sc_info_t;

extern sc_info_t sc_table[SC_NCLASSES];

/* fills sc_table; idempotent and thread safe */
void sc_init(void);

/* the class of a request of size bytes; size <= SC_SMALL_MAX */
static inline unsigned
sc_class(size_t size)
{
	if (size <= 128)
		return size == 0 ? 0 : (unsigned)((size + 15) >> 4) - 1;
	unsigned k = vm_log2(size - 1);	/* size - 1 in [2^k, 2^(k+1)) */
	return 8 + (k - 7) * 8 + (unsigned)((size - 1) >> (k - 3)) - 8;
}

/* the object size of class cls, from the formula (used to fill the table) */
static inline size_t
sc_class_size(unsigned cls)
{
	if (cls < 8)
		return (size_t)(cls + 1) * 16;
	return (size_t)((cls - 8) % 8 + 9) << ((cls - 8) / 8 + 4);
}

/* ---- slab.c: one slab, caller holds its bin's lock -------------------- */
void slab_init(run_t *run, unsigned cls);
/* index of a free object, marked used; the slab has nfree > 0 */
unsigned slab_take(run_t *run);
/* marks object idx free; false if it already was (a double free) */
bool slab_put(run_t *run, unsigned idx);
/* the index of the object ptr points to; false if ptr is not the start
 * of an object of this slab */
bool slab_index(const region_t *rg, const run_t *run, const void *ptr,
		unsigned *idx);
static inline void *
slab_obj(const region_t *rg, const run_t *run, unsigned idx)
{
	return (char *)region_addr(rg, region_run_page(rg, run)) +
			(size_t)idx * sc_table[run->cls].size;
}
static inline bool
slab_obj_is_free(const run_t *run, unsigned idx)
{
	return (run->bitmap[idx / 64] >> (idx % 64)) & 1;
}

/* ---- bin.c -------------------------------------------------------------- */
typedef struct bin_s {
	vm_lock_t lock;
	uint32_t head, tail;	/* slabs with free objects (page numbers) */
	uint32_t nslabs;	/* slabs of this class */
	uint32_t nempty;	/* entirely free slabs (0 or 1) */
	uint64_t curobjs;	/* objects in use */
	uint64_t nmalloc;	/* objects ever handed out */
	uint64_t nfree;		/* objects ever freed */
	uint64_t nslabs_made;	/* slabs ever made */
} __attribute__((aligned(64))) bin_t;

void bin_init(bin_t *bin);
/* an object of class cls, or NULL when the extent manager has no room */
void *bin_malloc(bin_t *bin, unsigned cls, region_t *rg, extents_t *ex);
/* frees ptr, an object of the slab run; false if it is not a live object */
bool bin_free(bin_t *bin, run_t *run, void *ptr, region_t *rg,
		extents_t *ex);
/* true if ptr is an object of the slab run that is in use */
bool bin_owns(bin_t *bin, run_t *run, const void *ptr, const region_t *rg);
/* gives the bin's entirely free slabs back to the extent manager */
size_t bin_release_empty(bin_t *bin, region_t *rg, extents_t *ex);

#endif /* VM_SLAB_H */
