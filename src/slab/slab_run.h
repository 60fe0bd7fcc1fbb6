/*
 * slab_run.h -- one slab: a RUN_SLAB run of a few pages cut into objects
 * of one size class, and the free bitmap in its run record.
 *
 * A slab is shorter than its class's usual slab when the pool is nearly
 * full. Its run record (large/run.h) holds a bitmap, one bit per object
 * (set = free), so a double free is caught when the object comes back to
 * its slab, and a pointer into the middle of an object is refused.
 *
 * Owns run_t.bitmap, nfree, nobjs, divc and page of RUN_SLAB runs.
 * Invariants: nfree == popcount(bitmap), and no bit at or above nobjs is
 * set; a new slab's objects are all free, so all tagged (tag.h).
 * Thread safety: the caller holds the slab's bin lock, except for the
 * _nolock reads.
 */
#ifndef VM_SLAB_RUN_H
#define VM_SLAB_RUN_H

#include "large/large.h"
#include "slab/sizeclass.h"
#include "slab/tag.h"

/* ---- slab_valid.c (debug level 3) ------------------------------------------ */
/* run is a slab whose bitmap and free count agree (nfree == popcount,
 * no object past nobjs free) */
bool slab_bits_valid(const run_t *run);

/* ---- slab_run.c ---------------------------------------------------------- */
/* sets up run (its npages set) as an empty slab of class cls, its objects
 * tagged free with key */
void slab_init(const region_t *rg, run_t *run, unsigned cls, uint64_t key);

/* the objects a slab of class cls and npages pages holds: the class's
 * count, or fewer in a short slab made when the pool is nearly full */
static inline unsigned
slab_nobjs(unsigned cls, uint32_t npages)
{
	const sc_info_t *sc = &sc_table[cls];
	if (npages >= sc->npages)
		return sc->nobjs;
	return (unsigned)(((size_t)npages << VM_PAGE_SHIFT) / sc->size);
}

/*
 * Bitmap words are written only under the bin lock, but read without it by
 * slab_obj_is_free_nolock (the slow paths' double-free tests): writes
 * are single atomic stores so that such a read sees a whole word.
 */
static inline void
slab_bitmap_store(run_t *run, unsigned w, uint64_t bits)
{
	__atomic_store_n(&run->bitmap[w], bits, __ATOMIC_RELAXED);
}

/* index of a free object, marked used; the slab has nfree > 0 */
static inline unsigned
slab_take(run_t *run)
{
	vm_assert_internal(run->nfree > 0);
	unsigned w = 0;
	while (run->bitmap[w] == 0)
		w++;
	uint64_t bits = run->bitmap[w];
	slab_bitmap_store(run, w, bits & (bits - 1));
	run->nfree--;
	return w * 64 + (unsigned)__builtin_ctzll(bits);
}

/*
 * Up to n free objects of the slab, marked used, into out (their
 * addresses, base being the slab's first byte), a bitmap word at a time;
 * returns how many. Each word is stored once, and the objects of a word
 * come out in address order.
 */
static inline unsigned
slab_take_batch(run_t *run, uintptr_t base, void **out, unsigned n)
{
	unsigned got = 0;
	size_t size = sc_table[run->cls].size;
	for (unsigned w = 0; w < SLAB_MAX_OBJS / 64 && got < n; w++) {
		uint64_t bits = run->bitmap[w];
		if (bits == 0)
			continue;
		uintptr_t first = base + (size_t)w * 64 * size;
		do {
			out[got++] = (void *)(first +
					(size_t)__builtin_ctzll(bits) * size);
			bits &= bits - 1;
		} while (bits != 0 && got < n);
		slab_bitmap_store(run, w, bits);
	}
	run->nfree = (uint16_t)(run->nfree - got);
	return got;
}

/* marks object idx free; false if it already was (a double free) */
static inline bool
slab_put(run_t *run, unsigned idx)
{
	uint64_t mask = (uint64_t)1 << (idx % 64);
	uint64_t word = run->bitmap[idx / 64];
	if (vm_unlikely(word & mask))
		return false;
	slab_bitmap_store(run, idx / 64, word | mask);
	run->nfree++;
	return true;
}

/* the home of a slab (bin.h): written under its bin lock, read also
 * without it (a flush sorting its objects), hence atomic accesses */
static inline uint32_t
slab_home(const run_t *run)
{
	return __atomic_load_n(&run->home, __ATOMIC_RELAXED);
}

static inline void
slab_set_home(run_t *run, uint32_t home)
{
	__atomic_store_n(&run->home, (uint16_t)home, __ATOMIC_RELAXED);
}

/* the first byte of the slab */
static inline uintptr_t
slab_start(const region_t *rg, const run_t *run)
{
	return (uintptr_t)region_addr(rg, region_run_page(rg, run));
}

/* the index of the object at byte off of a slab's pages (the page map
 * said so); false if off is not a multiple of the size. The index is
 * nobjs for the start of the slab's tail (sizeclass.c): slab_index_at
 * tells that apart */
static inline bool
slab_index_in(const run_t *run, uint64_t off, unsigned *idx)
{
	unsigned __int128 prod = (unsigned __int128)run->divc * off;
	if (vm_unlikely((uint64_t)prod >= run->divc))
		return false;
	*idx = (unsigned)(prod >> 64);
	return true;
}

/* the same for any offset from the slab's start */
static inline bool
slab_index_at(const run_t *run, uint64_t off, unsigned *idx)
{
	return slab_index_in(run, off, idx) && *idx < run->nobjs;
}

/* the same for a pointer into the slab's pages */
static inline bool
slab_index(const region_t *rg, const run_t *run, const void *ptr,
		unsigned *idx)
{
	return slab_index_at(run, (uintptr_t)ptr - slab_start(rg, run), idx);
}

static inline void *
slab_obj(const region_t *rg, const run_t *run, unsigned idx)
{
	return (void *)(slab_start(rg, run) + (size_t)idx *
			sc_table[run->cls].size);
}

static inline bool
slab_obj_is_free(const run_t *run, unsigned idx)
{
	return (run->bitmap[idx / 64] >> (idx % 64)) & 1;
}

/* the same without the bin lock: a hint, exact for an object the caller
 * owns (its bit cannot change under it) */
static inline bool
slab_obj_is_free_nolock(const run_t *run, unsigned idx)
{
	const uint64_t *bitmap = run->bitmap;	/* one address mode */
	return (__atomic_load_n(bitmap + idx / 64, __ATOMIC_RELAXED) >>
			(idx % 64)) & 1;
}

#endif /* VM_SLAB_RUN_H */
