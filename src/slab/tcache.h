/*
 * tcache.h -- a thread's cache of free small objects for one pool.
 *
 * Each thread that uses a pool gets a tcache_t inside that pool: per size
 * class a stack of free objects (at most cap, more for small classes).
 * malloc pops, free pushes, with no lock and no atomic read-modify-write;
 * an empty stack is refilled and a full one half flushed, in batches under
 * one bin lock (bin_malloc_batch / bin_free_batch). A free from any thread
 * goes to that thread's own cache, so frees of another thread's objects
 * never touch the allocating thread's cache or locks.
 *
 *   tcache_t: in_op | steal_req | index | bins[SC_NCLASSES] | slots ...
 *   bins[c]: the stack objs[0 .. top - objs) in the slots, end = objs + cap;
 *   objs <= top <= end
 *
 * Other threads (a thread that found the pool full, vmem_check, stats,
 * fork) take a cache's objects with the asymmetric handshake below, never
 * by locking it:
 *   owner:    in_op = 1; [compiler barrier]; if (steal_req) back off;
 *             ... use the cache ...; in_op = 0
 *   stealer:  steal_req = 1; membarrier(); wait until in_op == 0;
 *             ... use the cache ...; steal_req = 0
 * membarrier() puts a full barrier in every running thread of the process,
 * so the owner's plain store and load pair with the stealer's: either the
 * owner sees steal_req, or the stealer sees in_op (Dekker). Under
 * ThreadSanitizer, which cannot see membarrier, both sides use sequentially
 * consistent atomics instead.
 * Invariant: a cached object is an object of its class whose slab bit says
 * "in use", and is in no other cache and no other slot; it carries the
 * tag of free objects (slab_tag, tag.h), so a second free of it is caught
 * wherever it is cached.
 */
#ifndef VM_TCACHE_H
#define VM_TCACHE_H

#include <stdatomic.h>
#include "slab/bin.h"

#if defined(__SANITIZE_THREAD__)
#define TC_SEQ_CST 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TC_SEQ_CST 1
#endif
#endif
#ifndef TC_SEQ_CST
#define TC_SEQ_CST 0
#endif

/* thread indices are 1..TC_MAX_THREADS; 0 means "no cache" */
#define TC_MAX_THREADS	1024

/*
 * Large objects up to TC_LARGE_MAX_PAGES pages are cached too, as whole
 * runs, in buckets by length: one bucket per length up to 16 pages, then
 * 8 per doubling. Requests of these lengths are rounded up to the longest
 * length of their bucket (tc_lround: less than a tenth more, 33 -> 36),
 * so every run of a bucket serves every request of it; a run of another
 * length (a realloc shrank or grew it) serves the requests it is long
 * enough for.
 *
 * A cached run is marked in its own first word, not in its run record:
 * the word holds tc_lmark(key, address), key being the pool's random
 * cache_key. The record is then only read while runs move between the
 * threads' caches, so it stays in every core's cache, and the line of
 * the mark is the one the program touches next anyway. A free whose
 * object carries the mark may be a double free, or a program that stored
 * that very value: the caller settles it by looking in the caches.
 *
 * A slot of a large bucket holds the run's address with its length in
 * pages in the low bits (tc_lslot), so neither push nor pop reads the run
 * record.
 */
#define TC_LARGE_MIN_PAGES	5	/* the first length above SC_SMALL_MAX */
#define TC_LARGE_MAX_PAGES	64	/* 256 KiB */
#define TC_LBUCKETS		28

static inline unsigned
tc_lbucket(uint32_t npages)
{
	if (npages <= 16)
		return npages - TC_LARGE_MIN_PAGES;
	unsigned k = vm_log2(npages - 1);	/* 4 or 5 */
	return 12 + (k - 4) * 8 + (unsigned)((npages - 1) >> (k - 3)) - 8;
}

/* the longest length of npages's bucket (npages in 5..64) */
static inline uint32_t
tc_lround(uint32_t npages)
{
	if (npages <= 16)
		return npages;
	unsigned shift = vm_log2(npages - 1) - 3;	/* 1 or 2 */
	return (((npages - 1) >> shift) + 1) << shift;
}

/* a stack of free objects (or large runs); the fast paths compare top
 * with objs (empty) and end (full), with no count to keep */
typedef struct tc_bin_s {
	void **top;		/* the next free slot */
	void **end;		/* objs + cap */
	void **objs;		/* the bottom: objs[0 .. top - objs) */
	uint32_t cap;
	uint32_t pad;
} tc_bin_t;

_Static_assert(sizeof(tc_bin_t) == 32, "free's fast path indexes by 32");

/* objects on the stack (a huge number if top is below objs: corrupt) */
static inline uint64_t
tc_count(const tc_bin_t *b)
{
	return ((uintptr_t)b->top - (uintptr_t)b->objs) / sizeof(void *);
}

static inline void
tc_set_count(tc_bin_t *b, uint32_t n)
{
	b->top = b->objs + n;
}

typedef struct tcache_s {
	atomic_uint in_op;	/* the owner is using the cache */
	atomic_uint steal_req;	/* another thread wants it */
	uint32_t index;		/* the owner's thread index */
	uint32_t pad;
	tc_bin_t bins[SC_NCLASSES];
	tc_bin_t lbins[TC_LBUCKETS];	/* large runs, by length */
	uint64_t large_bytes;	/* bytes of the cached large runs */
	uint64_t large_budget;	/* at most this many */
	uint64_t large_key;	/* the pool's cache_key: marks cached runs */
	void *slots[];
} tcache_t;

/*
 * The cache of a thread that has none in a pool (a pool's tcaches[] holds
 * it where a thread has no cache, so that the fast paths need no NULL
 * test): every stack is empty and has no room, so malloc and free find
 * nothing to take and no room to give and go to their slow paths, which
 * make the thread a cache. Never registered, so never stolen; in_op is
 * written by every thread that enters it (atomically), nothing else is.
 */
extern tcache_t tc_none;
/* TC_MAX_THREADS + 1 pointers to tc_none: a pool's tcaches[] at creation */
extern tcache_t *const tc_none_slots[TC_MAX_THREADS + 1];

/* tc, or NULL if it is tc_none */
static inline tcache_t *
tc_real(tcache_t *tc)
{
	return tc != &tc_none ? tc : NULL;
}

/* the capacity of class cls's stack */
unsigned tcache_cap(unsigned cls);
/* bytes a tcache needs */
size_t tcache_bytes(void);
/* the capacity of large bucket k */
unsigned tcache_lcap(unsigned k);
/* sets up an empty cache in memory of tcache_bytes(); large runs cached
 * stay under large_budget bytes */
void tcache_init(tcache_t *tc, uint32_t index, uint64_t large_budget,
		uint64_t large_key);

/* ---- the owner's side of the handshake -------------------------------- */
static inline void
tc_enter(tcache_t *tc)
{
	if (TC_SEQ_CST) {
		atomic_store(&tc->in_op, 1);
	} else {
		atomic_store_explicit(&tc->in_op, 1, memory_order_relaxed);
		atomic_signal_fence(memory_order_seq_cst);
	}
}

/* after tc_enter: true if a stealer wants the cache (then tc_exit, wait) */
static inline bool
tc_stolen(tcache_t *tc)
{
	if (TC_SEQ_CST)
		return atomic_load(&tc->steal_req) != 0;
	return atomic_load_explicit(&tc->steal_req, memory_order_acquire) != 0;
}

static inline void
tc_exit(tcache_t *tc)
{
	if (TC_SEQ_CST) {
		atomic_store(&tc->in_op, 0);
	} else {
		atomic_signal_fence(memory_order_seq_cst);
		atomic_store_explicit(&tc->in_op, 0, memory_order_release);
	}
}

/* ---- operations inside tc_enter/tc_exit (or with the cache stolen) ---- */
/* refills the empty stack of cls and pops one; NULL if no room */
void *tcache_refill(tcache_t *tc, unsigned cls, bin_t *bin, region_t *rg,
		extents_t *ex);
/* gives back all but keep objects of cls's stack (to the bin's transfer
 * stack while it has room); returns how many were refused as double
 * frees */
unsigned tcache_flush(tcache_t *tc, unsigned cls, unsigned keep, bin_t *bin,
		region_t *rg, extents_t *ex);
/* gives back everything, into the slabs; returns the objects given back */
size_t tcache_flush_all(tcache_t *tc, bin_t *bins, region_t *rg,
		extents_t *ex);

/* the mark of a cached large run at addr */
static inline uint64_t
tc_lmark(uint64_t key, const void *addr)
{
	return key ^ (uint64_t)(uintptr_t)addr;
}

/* true if the large object at addr carries the mark of a cached run */
static inline bool
tc_lmarked(uint64_t key, const void *addr)
{
	return *(const uint64_t *)addr == tc_lmark(key, addr);
}

/* true if some cache of tcs[1..top] holds the small object addr of class
 * cls (the caches taken from their owners) */
bool tcache_holds_small(_Atomic(tcache_t *) *tcs, uint32_t top,
		unsigned cls, const void *addr);

/* a large bucket's slot: the run at addr (page aligned), npages long */
static inline void *
tc_lslot(void *addr, uint32_t npages)
{
	return (void *)((uintptr_t)addr | npages);
}

static inline void *
tc_lslot_addr(const void *slot)
{
	return (void *)((uintptr_t)slot & ~(uintptr_t)VM_PAGE_MASK);
}

static inline uint32_t
tc_lslot_pages(const void *slot)
{
	return (uint32_t)((uintptr_t)slot & VM_PAGE_MASK);
}

/* the address of a cached large run of at least npages (5..64), or NULL */
static inline void *
tcache_large_pop(tcache_t *tc, uint32_t npages)
{
	tc_bin_t *b = &tc->lbins[tc_lbucket(npages)];
	if (b->top == b->objs)
		return NULL;
	void *slot = b->top[-1];
	uint32_t have = tc_lslot_pages(slot);
	if (have < npages)
		return NULL;
	b->top--;
	tc->large_bytes -= (uint64_t)have << VM_PAGE_SHIFT;
	void *addr = tc_lslot_addr(slot);
	*(uint64_t *)addr = 0;
	return addr;
}

/* caches the large run (5..64 pages) at addr; false if its bucket or the
 * budget is full (then the caller frees it) */
static inline bool
tcache_large_push(tcache_t *tc, void *addr, uint32_t npages)
{
	tc_bin_t *b = &tc->lbins[tc_lbucket(npages)];
	uint64_t bytes = (uint64_t)npages << VM_PAGE_SHIFT;
	if (b->top == b->end || tc->large_bytes + bytes > tc->large_budget)
		return false;
	*(uint64_t *)addr = tc_lmark(tc->large_key, addr);
	*b->top++ = tc_lslot(addr, npages);
	tc->large_bytes += bytes;
	return true;
}

/* true if some cache of tcs[1..top] holds the large run at addr (the
 * caches taken from their owners) */
bool tcache_holds_large(_Atomic(tcache_t *) *tcs, uint32_t top,
		const run_t *run, const void *addr);

#endif /* VM_TCACHE_H */
