/*
 * object.h -- large objects: one RUN_LARGE run of whole pages per object,
 * page aligned (or more), for requests above the largest size class and
 * for alignments a slab cannot give.
 *
 * Owns no state: a large object is its run (extent.h); a freed one may
 * sit in a thread's cache of runs (lcache.h) before it goes back.
 * Thread safety: as the extent manager's (each call takes its lock).
 */
#ifndef VM_OBJECT_H
#define VM_OBJECT_H

#include "large/lcache.h"

/*
 * The run of a new large object of at least size bytes (a zero-byte
 * request takes one page), its first byte aligned to align (a power of
 * two; up to VM_PAGE means page aligned). A length the thread caches take
 * is rounded up to the longest of its bucket (lcache_round), so that a
 * cached run serves every later request of the bucket. NULL if no free
 * extent can hold it.
 */
run_t *large_alloc(extents_t *ex, region_t *rg, size_t size, size_t align);

/*
 * True if ptr, a pointer into the data pages of rg whose page the run
 * covers (region_lookup), is the first byte of a large object: run is a
 * RUN_LARGE run that starts at ptr and holds an object, not the
 * allocator's own data (a thread's cache). Whether a thread's cache holds
 * the run is for the caller to ask (its first word then carries the mark,
 * lcache.h). Takes no lock.
 */
static inline bool
large_starts_object(const region_t *rg, const run_t *run, const void *ptr)
{
	return run->kind == RUN_LARGE &&
			region_run_page(rg, run) == region_page(rg, ptr) &&
			((uintptr_t)ptr & VM_PAGE_MASK) == 0 &&
			run->cls != RUN_CLS_TCACHE;
}

/* the usable bytes of the large object of run */
static inline size_t
large_size(const run_t *run)
{
	return (size_t)run->npages << VM_PAGE_SHIFT;
}

#endif /* VM_OBJECT_H */
