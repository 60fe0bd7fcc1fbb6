/*
 * lcache.h -- a thread's cache of large runs: freed large objects of up to
 * LCACHE_MAX_PAGES pages kept whole, for the next malloc of their length.
 *
 * Runs are kept in buckets by length: one bucket per length up to 16
 * pages, then 8 per doubling. Requests of these lengths are rounded up to
 * the longest length of their bucket (lcache_round: less than a tenth
 * more, 33 -> 36), so every run of a bucket serves every request of it; a
 * run of another length (a realloc shrank or grew it) serves the requests
 * it is long enough for.
 *
 * A cached run is marked in its own first word, not in its run record:
 * the word holds lcache_mark(key, address), key being the pool's random
 * large_key. The record is then only read while runs move between the
 * threads' caches, so it stays in every core's cache, and the line of
 * the mark is the one the program touches next anyway. A free whose
 * object carries the mark may be a double free, or a program that stored
 * that very value: the caller settles it by looking in the caches.
 *
 * A slot of a bucket holds the run's address with its length in pages in
 * the low bits (lcache_slot), so neither push nor pop reads the run
 * record.
 *
 * Owns an lcache_t and its slots. An lcache_t lives inside a thread's
 * cache (slab/tcache.h), whose owner protocol guards it: nothing here
 * takes a lock. Invariants: bytes == sum of the lengths of the runs held,
 * in bytes, <= budget; every run held is a RUN_LARGE run carrying the
 * mark, in the bucket of its length, and in no other slot of any cache.
 * Thread safety: none of its own; see above.
 */
#ifndef VM_LCACHE_H
#define VM_LCACHE_H

#include "large/extent.h"

/* the first length above the largest size class (16 KiB), and 256 KiB */
#define LCACHE_MIN_PAGES	5
#define LCACHE_MAX_PAGES	64
#define LCACHE_BUCKETS		28

/* true if runs of npages pages are cached */
static inline bool
lcache_takes(uint32_t npages)
{
	return npages - LCACHE_MIN_PAGES <= LCACHE_MAX_PAGES - LCACHE_MIN_PAGES;
}

static inline unsigned
lcache_bucket(uint32_t npages)
{
	if (npages <= 16)
		return npages - LCACHE_MIN_PAGES;
	unsigned k = vm_log2(npages - 1);	/* 4 or 5 */
	return 12 + (k - 4) * 8 + (unsigned)((npages - 1) >> (k - 3)) - 8;
}

/* the longest length of npages's bucket (npages in 5..64) */
static inline uint32_t
lcache_round(uint32_t npages)
{
	if (npages <= 16)
		return npages;
	unsigned shift = vm_log2(npages - 1) - 3;	/* 1 or 2 */
	return (((npages - 1) >> shift) + 1) << shift;
}

typedef struct lcache_s {
	vm_stack_t buckets[LCACHE_BUCKETS];	/* slots (lcache_slot) */
	uint64_t bytes;		/* bytes of the runs held */
	uint64_t budget;	/* at most this many */
	uint64_t key;		/* the pool's large_key: marks cached runs */
} lcache_t;

/* the capacity of bucket k: about 2 MiB of runs (by its longest run),
 * 1 to 32 of them */
unsigned lcache_cap(unsigned k);
/* the slots all buckets need */
size_t lcache_nslots(void);
/* an empty cache in lcache_nslots() slots from slot on, keeping at most
 * budget bytes; returns the slot after them */
void **lcache_init(lcache_t *lc, void **slot, uint64_t budget, uint64_t key);

/* the mark of a cached large run at addr */
static inline uint64_t
lcache_mark(uint64_t key, const void *addr)
{
	return key ^ (uint64_t)(uintptr_t)addr;
}

/* true if the large object at addr carries the mark of a cached run */
static inline bool
lcache_marked(uint64_t key, const void *addr)
{
	return *(const uint64_t *)addr == lcache_mark(key, addr);
}

/* a bucket's slot: the run at addr (page aligned), npages long */
static inline void *
lcache_slot(void *addr, uint32_t npages)
{
	return (void *)((uintptr_t)addr | npages);
}

static inline void *
lcache_slot_addr(const void *slot)
{
	return (void *)((uintptr_t)slot & ~(uintptr_t)VM_PAGE_MASK);
}

static inline uint32_t
lcache_slot_pages(const void *slot)
{
	return (uint32_t)((uintptr_t)slot & VM_PAGE_MASK);
}

/*
 * Free's test, from the page-map entry e of the page at byte off of the
 * region (a RUN_LARGE entry), that off starts a large object the caches
 * take: its length in pages, or 0 if off does not start the run, the run
 * is too short or too long, or it holds no object (the entry says so:
 * its len is 0 or out of range). The run record is not read.
 */
static inline uint32_t
lcache_pages_of(const region_t *rg, uint64_t e, uintptr_t off)
{
	uint32_t npages = pagemap_entry_len(e);
	if (!lcache_takes(npages) ||
			(uintptr_t)region_run_page(rg, pagemap_entry_run(e)) <<
			VM_PAGE_SHIFT != off)
		return 0;
	return npages;
}

/* the address of a cached run of at least npages (5..64), or NULL */
static inline void *
lcache_pop(lcache_t *lc, uint32_t npages)
{
	vm_stack_t *b = &lc->buckets[lcache_bucket(npages)];
	if (b->top == b->objs)
		return NULL;
	void *slot = b->top[-1];
	uint32_t have = lcache_slot_pages(slot);
	if (have < npages)
		return NULL;
	b->top--;
	lc->bytes -= (uint64_t)have << VM_PAGE_SHIFT;
	void *addr = lcache_slot_addr(slot);
	*(uint64_t *)addr = 0;
	return addr;
}

/* caches the run (5..64 pages) at addr; false if its bucket or the
 * budget is full (then the caller frees it) */
static inline bool
lcache_push(lcache_t *lc, void *addr, uint32_t npages)
{
	vm_stack_t *b = &lc->buckets[lcache_bucket(npages)];
	uint64_t bytes = (uint64_t)npages << VM_PAGE_SHIFT;
	if (b->top == b->end || lc->bytes + bytes > lc->budget)
		return false;
	*(uint64_t *)addr = lcache_mark(lc->key, addr);
	*b->top++ = lcache_slot(addr, npages);
	lc->bytes += bytes;
	return true;
}

/* true if the cache holds the run at addr, npages long */
bool lcache_holds(const lcache_t *lc, uint32_t npages, const void *addr);

/* gives every run back to the extent manager, unmarked; returns how many */
size_t lcache_flush(lcache_t *lc, extents_t *ex, region_t *rg);

#endif /* VM_LCACHE_H */
