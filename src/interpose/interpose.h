/*
 * interpose.h -- the parts of libvmmalloc and what they share; the
 * interposer's one header, on top of the pool layer (pool/pool.h).
 *
 * libvmmalloc is the core built a second time (VM_INTERPOSE=1: none of the
 * libvmem API exported) plus these files, each using only those above it
 * in this list (launcher.c is a program of its own):
 *   malloc.c  the exported malloc family
 *   libc.c    pointers that did not come from the pool, handed to libc
 *   start.c   the one pool: made from the environment at the first
 *             allocation or in the constructor, whichever comes first;
 *             statistics at exit
 *   tiers.c   the DRAM tier, and where each allocation goes with two
 *   fork.c    VMMALLOC_FORK: the pool across fork()
 *   env.c     the configuration, read from the environment
 *   boot.c    the bootstrap arena for allocations made while the pool is
 *             made
 *   fatal.c   fatal errors: one line on stderr, exit 1
 *
 * Invariant: vmm_pool is NULL until the pool is complete, then never
 * changes; vmm_base/vmm_size (the pool's address range) are written before
 * it, so a thread that sees the pool sees its range.
 * Owns: what its files declare here (each file's header says what
 * it owns).
 * Thread safety: every function may be called from any thread,
 * before the pool exists too.
 */
#ifndef VM_INTERPOSE_H
#define VM_INTERPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pool/pool.h"

#define VMM_PUBLIC	__attribute__((visibility("default")))
/* the interposer's globals: hidden, so the fast paths read each with one
 * RIP-relative load, not through the address of it first */
#define VMM_HIDDEN	__attribute__((visibility("hidden")))

/* ---- start.c ------------------------------------------------------------ */
extern VMEM *_Atomic vmm_pool VMM_HIDDEN;
extern uintptr_t vmm_base VMM_HIDDEN;	/* the pool's first byte */
extern size_t vmm_size VMM_HIDDEN;	/* and its size */

/* makes the pool if nobody has; false if this thread is making it now
 * (the caller is a recursion from inside the start-up: use the arena) */
bool vmm_start(void);

/* the statistics of the pool, then those of the DRAM tier and of the
 * tiers (VMMALLOC_LOG_STATS, malloc_stats); as one JSON document if json */
void vmm_stats_print(VMEM *vmp, bool json);

/* ptr lies in the pool */
static inline bool
vmm_in_pool(const void *ptr)
{
	return (uintptr_t)ptr - vmm_base < vmm_size;
}

/* ---- boot.c ------------------------------------------------------------- */
/* the bootstrap arena: a bump allocator in static storage, never freed */
void *vmm_boot_alloc(size_t size, size_t align);
bool vmm_boot_owns(const void *ptr);
size_t vmm_boot_size(const void *ptr);

/* ---- fatal.c ------------------------------------------------------------ */
/* one line on stderr: "libvmmalloc: ", what, a space, detail; exit 1 */
__attribute__((noreturn)) void vmm_fatal(const char *what, const char *detail);

/* ---- env.c --------------------------------------------------------------- */
/* where an allocation goes when there are two tiers (tiers.c) */
enum vmm_tier_policy {
	VMM_TIERS_NONE,		/* one tier: the pool */
	VMM_TIERS_THRESHOLD,	/* below a fixed size: DRAM */
	VMM_TIERS_RATIO,	/* below a size that keeps a ratio of bytes */
};

/* VMMALLOC_LOG_STATS: none (0), text (1), or one JSON document (json) */
enum { VMM_STATS_NONE, VMM_STATS_TEXT, VMM_STATS_JSON };

struct vmm_config {
	const char *dir;	/* VMMALLOC_POOL_DIR */
	size_t size;		/* VMMALLOC_POOL_SIZE */
	int fork_mode;		/* VMMALLOC_FORK, 0-3 (default 1) */
	int log_stats;		/* VMMALLOC_LOG_STATS: VMM_STATS_* */
	enum vmm_tier_policy tiers;
	size_t dram_threshold;	/* VMMALLOC_DRAM_THRESHOLD */
	unsigned dram_part, pool_part;	/* VMMALLOC_DRAM_RATIO=D:P */
	size_t dram_max;	/* VMMALLOC_DRAM_MAX; the pool's size if unset */
};
/* reads the environment without allocating; bad values are fatal */
void vmm_config_read(struct vmm_config *cfg);
/* a size: a byte count, or a number with K, M, G or T (powers of 1024; lower case too); false if bad */
bool vmm_parse_size(const char *s, size_t *size);

/* ---- tiers.c ------------------------------------------------------------ */
/* the DRAM tier: a pool of its own in anonymous memory, made by
 * vmm_tiers_start when a policy asks for it; before that (and without
 * one) its range is empty and vmm_tiered false */
extern VMEM *vmm_dram VMM_HIDDEN;
extern uintptr_t vmm_dram_base VMM_HIDDEN;
extern size_t vmm_dram_size VMM_HIDDEN;
extern bool vmm_tiered VMM_HIDDEN;
/* makes the DRAM tier next to the pool vmp as cfg asks (nothing for
 * VMM_TIERS_NONE); fatal if it cannot; before vmm_pool is published */
void vmm_tiers_start(const struct vmm_config *cfg, VMEM *vmp);
/* the malloc family with two tiers: each picks a tier by the policy, and
 * spills to the pool when the DRAM tier is full */
void *vmm_tier_malloc(size_t size);
void *vmm_tier_calloc(size_t nmemb, size_t size);
void *vmm_tier_aligned(size_t alignment, size_t size);
void *vmm_tier_realloc(VMEM *owner, void *ptr, size_t size);
/* the tiers' figures, after the pools' own statistics (VMMALLOC_LOG_STATS);
 * as a JSON object if json */
void vmm_tiers_print(bool json);

/* the pool that holds ptr, given the (file or device) pool: the DRAM tier
 * when ptr is in its range (one compare; an empty range without tiers) */
static inline VMEM *
vmm_tier_of(VMEM *pool, const void *ptr)
{
	return (uintptr_t)ptr - vmm_dram_base < vmm_dram_size ? vmm_dram :
			pool;
}

/* ptr lies in the pool or in the DRAM tier */
static inline bool
vmm_in_tiers(const void *ptr)
{
	return vmm_in_pool(ptr) ||
			(uintptr_t)ptr - vmm_dram_base < vmm_dram_size;
}

/* ---- libc.c -------------------------------------------------------------- */
void vmm_libc_free(void *ptr);
size_t vmm_libc_usable_size(void *ptr);

/* ---- fork.c -------------------------------------------------------------- */
/* installs the handlers of VMMALLOC_FORK mode for the pool vmp, made in
 * dir (where copies go) */
void vmm_fork_init(VMEM *vmp, int mode, const char *dir);

#endif /* VM_INTERPOSE_H */
