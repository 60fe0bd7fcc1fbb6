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
 * class (shorter than the class's usual slab when the pool is nearly
 * full); its run record holds a bitmap, one bit per object (set = free),
 * so a double free is caught when the object comes back to its slab, and
 * a pointer into the middle of an object is refused.
 * Every free object carries a tag in its second word (slab_tag, below),
 * wherever it is: in its slab (written when the slab is made, or by a free
 * that bypasses the caches), in a thread's cache or on a transfer stack
 * (written by free). malloc clears it when it hands the object out. So
 * free's fast path tells a double free from a free of a live object by
 * the tag alone, without the bitmap.
 *
 * A bin (bin.c) holds the slabs of one class of one pool: the slabs that
 * have free objects are on a doubly linked list, fuller ones first, at most
 * one entirely free slab is kept, and full slabs are on no list.
 *   bin.curobjs == sum over its slabs of (nobjs - nfree)
 * It also holds a transfer stack: objects a thread cache gave back, handed
 * to the next refill as they are, without a trip through their slabs'
 * bitmaps (a thread that frees what another allocated feeds the other's
 * refills this way). They count as in use in their slabs, as cached
 * objects do, and carry the tag of free objects.
 * Thread safety: each bin has its own lock; bin_* functions take it, and
 * hold it while they take a slab from, or give one to, the extent manager.
 */
#ifndef VM_SLAB_H
#define VM_SLAB_H

#include "large/large.h"

#define SC_NCLASSES	64
#define SC_SMALL_MAX	((size_t)16384)

/*
 * divc turns a byte offset n < 2^32 into an object index and tells
 * whether an object starts there with one 64 x 64 -> 128-bit multiply
 * (Lemire, Kaser and Kurz, "Faster remainder by direct computation",
 * 2019): n / size is the product's high half, and size divides n exactly
 * when its low half is below divc.
 */
typedef struct sc_info_s {
	uint64_t divc;		/* ceil(2^64 / size) */
	uint32_t size;		/* object size */
	uint16_t nobjs;		/* objects per slab */
	uint16_t npages;	/* pages per slab */
} sc_info_t;

_Static_assert(sizeof(sc_info_t) == 16, "16 x class is a table offset");
/* (hidden: the fast paths reach them PC-relative, not through the GOT) */
extern sc_info_t sc_table[SC_NCLASSES] __attribute__((visibility("hidden")));
/* the class of sizes up to 1 KiB, by (size + 15) / 16 */
extern uint8_t sc_lookup[1024 / 16 + 1];

/* fills sc_table; idempotent and thread safe */
void sc_init(void);

/* the class of a request of size bytes, from the formula */
static inline unsigned
sc_class_compute(size_t size)
{
	if (size <= 128)
		return size == 0 ? 0 : (unsigned)((size + 15) >> 4) - 1;
	unsigned k = vm_log2(size - 1);	/* size - 1 in [2^k, 2^(k+1)) */
	return 8 + (k - 7) * 8 + (unsigned)((size - 1) >> (k - 3)) - 8;
}

/* the class of a request of size bytes; size <= SC_SMALL_MAX */
static inline unsigned
sc_class(size_t size)
{
	if (vm_likely(size <= 1024))
		return sc_lookup[(size + 15) >> 4];
	return sc_class_compute(size);
}

/* the object size of class cls, from the formula (used to fill the table) */
static inline size_t
sc_class_size(unsigned cls)
{
	if (cls < 8)
		return (size_t)(cls + 1) * 16;
	return (size_t)((cls - 8) % 8 + 9) << ((cls - 8) / 8 + 4);
}

/*
 * The tag of a free small object: key ^ its address, in its second word
 * (every class is at least 16 bytes), key being the pool's stag_key
 * (~cache_key, so a tag never equals a cached large run's mark). A free
 * that finds it has met a double free (of an object in a slab, in any
 * thread's cache, however deep, or on a transfer stack), or a program that
 * stored that very value: the slow path settles which, by the bitmap and
 * a look through the caches. A free object whose tag the program
 * overwrote (a write after free) and then freed again is not caught.
 */
static inline uint64_t
slab_tag(uint64_t key, const void *addr)
{
	return key ^ (uint64_t)(uintptr_t)addr;
}

static inline bool
slab_tagged(uint64_t key, const void *addr)
{
	return ((const uint64_t *)addr)[1] == slab_tag(key, addr);
}

static inline void
slab_tag_set(uint64_t key, void *addr)
{
	((uint64_t *)addr)[1] = slab_tag(key, addr);
}

static inline void
slab_tag_clear(void *addr)
{
	((uint64_t *)addr)[1] = 0;
}

/* ---- slab.c: one slab, caller holds its bin's lock -------------------- */
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

/* the first byte of the slab */
static inline uintptr_t
slab_start(const region_t *rg, const run_t *run)
{
	return (uintptr_t)region_addr(rg, run->page);
}

/* the index of the object at byte off of a slab's pages (the page map
 * said so): the object's index is then below nobjs (sizeclass.c); false if
 * no object starts there */
static inline bool
slab_index_in(const run_t *run, uint64_t off, unsigned *idx)
{
	unsigned __int128 prod = (unsigned __int128)run->divc * off;
	if (vm_unlikely((uint64_t)prod >= run->divc))
		return false;
	*idx = (unsigned)(prod >> 64);
	return true;
}

/* true if an object of the class whose number times 16 is cls16
 * (pagemap_slab_cls16) starts rel bytes into its slab: free's fast path,
 * which needs no index and reads no run record */
static inline bool
sc_starts_object16(size_t cls16, uint64_t rel)
{
	uint64_t divc = *(const uint64_t *)((const char *)sc_table + cls16 +
			offsetof(sc_info_t, divc));
	return rel * divc < divc;
}

/* the same by class number */
static inline bool
sc_starts_object(unsigned cls, uint64_t rel)
{
	return sc_starts_object16((size_t)cls * sizeof(sc_info_t), rel);
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

/* ---- bin.c -------------------------------------------------------------- */
/* the transfer stack: at most this many objects, and about 64 KiB */
#define BIN_XFER_MAX	64
#define BIN_XFER_BYTES	65536

typedef struct bin_s {
	vm_lock_t lock;
	uint32_t head, tail;	/* slabs with free objects (page numbers) */
	uint32_t nslabs;	/* slabs of this class */
	uint32_t nempty;	/* entirely free slabs (0 or 1) */
	uint64_t nmalloc;	/* objects ever handed out */
	uint64_t nfree;		/* objects ever freed; in use: the difference */
	uint64_t nslabs_made;	/* slabs ever made */
	uint32_t nxfer;		/* objects on the transfer stack */
	uint32_t xfer_cap;	/* at most this many */
	void **xfer;		/* the stack: xfer[0 .. nxfer), room for
				 * BIN_XFER_MAX (kept out of the bin, so an
				 * unused one is never touched) */
	uint64_t tag_key;	/* the pool's stag_key: tags free objects */
	uint32_t cls;		/* the class */
} __attribute__((aligned(64))) bin_t;

static inline uint64_t
bin_curobjs(const bin_t *bin)
{
	return bin->nmalloc - bin->nfree;
}

/* an empty bin of class cls; xfer: room for its transfer stack; its free
 * objects are tagged with tag_key */
void bin_init(bin_t *bin, unsigned cls, void **xfer, uint64_t tag_key);

/*
 * Up to n objects of the bin's class into out (one lock for all); returns
 * how many, 0 when the extent manager has no room for a new slab.
 */
unsigned bin_malloc_batch(bin_t *bin, region_t *rg, extents_t *ex,
		void **out, unsigned n);
/*
 * Frees n objects of the bin's class (one lock for all). Returns how many
 * were refused because they were not objects in use (a double free).
 */
unsigned bin_free_batch(bin_t *bin, region_t *rg, extents_t *ex,
		void *const *objs, unsigned n);
/*
 * A thread cache's flush: n objects of the bin's class, checked when they went
 * into the cache, onto the transfer stack while it has room, the rest
 * freed as bin_free_batch does (one lock for all). Returns how many of
 * those were refused.
 */
unsigned bin_flush_batch(bin_t *bin, region_t *rg, extents_t *ex,
		void *const *objs, unsigned n);
/* frees what the transfer stack holds; returns how many objects */
unsigned bin_xfer_drain(bin_t *bin, region_t *rg, extents_t *ex);
/* true if the transfer stack holds ptr */
bool bin_xfer_holds(bin_t *bin, const void *ptr);

/* one object of the bin's class, or NULL when the extent manager has no
 * room (the paths without a thread cache) */
static inline void *
bin_malloc(bin_t *bin, region_t *rg, extents_t *ex)
{
	void *p;
	return bin_malloc_batch(bin, rg, ex, &p, 1) == 1 ? p : NULL;
}

/* frees ptr, an object of the slab run, and tags it (the paths without a
 * thread cache); false, with nothing changed, if it is not the start of an
 * object in use (a double free) */
bool bin_free(bin_t *bin, run_t *run, void *ptr, region_t *rg, extents_t *ex);

/* true if ptr is an object of the slab run that is in use */
bool bin_owns(bin_t *bin, run_t *run, const void *ptr, const region_t *rg);
/* gives the bin's entirely free slabs back to the extent manager */
size_t bin_release_empty(bin_t *bin, region_t *rg, extents_t *ex);

#endif /* VM_SLAB_H */
