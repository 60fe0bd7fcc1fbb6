/*
 * snapshot.h -- a pool's counters read at one moment (snapshot.c), for
 * the statistics printed as text (stats.c) and as JSON (stats_json.c),
 * and the totals a program asks for (pool_usage: libvmmalloc's
 * mallinfo; pool_bytes_out: its tiers).
 * Owns no state.
 * Thread safety: any thread; each part is read under its owner's lock.
 */
#ifndef VM_SNAPSHOT_H
#define VM_SNAPSHOT_H

#include "pool/vmem.h"

struct snapshot {
	extents_t ex;		/* counters only; its lock is not used */
	uint64_t small_bytes;	/* bytes of objects in use in slabs */
	uint64_t small_objs;
	uint32_t largest_free;	/* pages of the largest free extent */
	uint32_t leaves_used;	/* page-map leaves installed */
	uint32_t ncaches;	/* threads with a cache of this pool */
	uint32_t ncache_runs;	/* of them, caches in runs of the data area */
	uint64_t cached_objs, cached_bytes;
	uint64_t cached_large;	/* bytes of large runs in the caches */
	uint64_t cached_runs;	/* and how many */
	struct {
		uint32_t nslabs, nempty;
		uint64_t curobjs, nmalloc, nfree, nslabs_made;
		uint64_t cached;	/* in the threads' caches */
	} bins[SC_NCLASSES];
};

/* reads vmp's counters into s (the threads' caches are taken from their
 * owners for the moment they are counted) */
void pool_snapshot(VMEM *vmp, struct snapshot *s);
/* a - b, or 0: the parts of a snapshot are read a moment apart */
uint64_t snapshot_minus(uint64_t a, uint64_t b);
/* bytes of large objects in use and their count (caches excluded) */
void snapshot_large_in_use(const struct snapshot *s, uint64_t *bytes,
		uint64_t *count);
/* the statistics of s as one JSON document, sections as in
 * vmem_stats_print's opts (stats_json.c) */
void stats_print_json(VMEM *vmp, const struct snapshot *s, const char *opts);

#endif /* VM_SNAPSHOT_H */
