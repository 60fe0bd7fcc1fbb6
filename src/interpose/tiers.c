/*
 * tiers.c -- libvmmalloc's DRAM tier: a second pool, made by the same core
 * in anonymous memory (vmem_create_in_region over dax/anon.c's mapping),
 * next to the pool in the file or device; and the policy that sends each
 * allocation to one of the two.
 *
 *   VMMALLOC_DRAM_THRESHOLD=S  objects below S bytes in DRAM, others in
 *                              the pool
 *   VMMALLOC_DRAM_RATIO=D:P    the same with a threshold that moves, so
 *                              that the bytes in use in DRAM and in the
 *                              pool keep the ratio D:P
 *   VMMALLOC_DRAM_MAX=S        the DRAM tier's size (default: the pool's);
 *                              when it is full, allocations go to the pool
 *
 * The moving threshold walks a ladder of sizes, 16 steps per doubling
 * from 16 bytes to 1 GiB. Every ADAPT_PERIOD allocations of a thread, one
 * thread at a time compares the DRAM tier's share of the bytes in use
 * with D / (D + P) and moves the threshold up or down when the share is
 * more than ADAPT_BAND off (hysteresis: inside the band it stays), by a
 * step per ADAPT_GAIN off, at most a doubling at a time. The bytes in use are each pool's objects out of their slabs
 * and its large runs (pool_bytes_out: what the threads' caches hold
 * counts as in use; no cache is stopped to count). All of it is off
 * malloc's fast path: a program without tiers pays one test of
 * vmm_tiered per call, and free one compare of the address (interpose.h).
 *
 * Owns: vmm_dram and its range, vmm_tiered, the pool it sits next to
 * (start.c's, handed over at start-up), the policy and the threshold,
 * the adaptation's state and the count of spilled allocations.
 * Invariants: an object lives in the tier whose range holds its address;
 * the threshold stays on the ladder, and is 0 (nothing in DRAM) until the
 * DRAM tier exists.
 * Thread safety: any thread; the threshold is one atomic word, the
 * adaptation runs in one thread at a time (adapting).
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "interpose/interpose.h"

VMEM *vmm_dram;
uintptr_t vmm_dram_base;
size_t vmm_dram_size;
bool vmm_tiered;

/* the ladder: 16 steps per doubling, from 16 B (step 0) to 1 GiB */
#define LADDER_STEPS	16
#define LADDER_TOP	(LADDER_STEPS * (30 - 4))
/* allocations of a thread between two looks at the ratio */
#define ADAPT_PERIOD	1024
/* the DRAM share may be this far off (per thousand) before it moves */
#define ADAPT_BAND	10
/* beyond that, the threshold moves a step per this much off (per
 * thousand), at least one, at most a doubling */
#define ADAPT_GAIN	20

static enum vmm_tier_policy policy;
static unsigned dram_part, pool_part;
static size_t dram_max;
static _Atomic size_t threshold;	/* below it: DRAM */
static _Atomic unsigned step;		/* the threshold's place on the ladder */
static atomic_flag adapting = ATOMIC_FLAG_INIT;
static _Atomic uint64_t nmoves;		/* the threshold's moves */
static _Atomic uint64_t nspilled;	/* allocations the full tier refused */
static uint64_t spilled_seen;		/* nspilled at the last look */
static VM_TLS uint32_t countdown;

static size_t
ladder(unsigned k)
{
	size_t base = (size_t)16 << (k / LADDER_STEPS);
	return base + base * (k % LADDER_STEPS) / LADDER_STEPS;
}

static VMEM *pool;		/* the pool in the file or device */

void
vmm_tiers_start(const struct vmm_config *cfg, VMEM *vmp)
{
	pool = vmp;
	policy = cfg->tiers;
	if (policy == VMM_TIERS_NONE)
		return;
	dram_max = VM_ALIGN_UP(cfg->dram_max, (size_t)2 << 20);
	void *mem = backing_anon_map(dram_max);
	VMEM *dram = mem != NULL ? vmem_create_in_region(mem, dram_max) : NULL;
	if (dram == NULL)
		vmm_fatal("cannot make the DRAM tier (VMMALLOC_DRAM_MAX):",
				mem == NULL ? vm_strerror(errno) : vmem_errormsg());
	dram_part = cfg->dram_part;
	pool_part = cfg->pool_part;
	if (policy == VMM_TIERS_THRESHOLD) {
		atomic_store(&threshold, cfg->dram_threshold);
	} else {
		atomic_store(&step, LADDER_STEPS * (10 - 4));	/* 1 KiB */
		atomic_store(&threshold, ladder(atomic_load(&step)));
	}
	/* read without a lock on purpose; the adaptation's flag is a lock
	 * (adapt): helgrind and drd are told so */
	if (VM_VALGRIND && vm_vg_sync) {
		vm_vg_benign(&threshold, sizeof(threshold));
		vm_vg_benign(&step, sizeof(step));
		vm_vg_benign(&nmoves, sizeof(nmoves));
		vm_vg_benign(&nspilled, sizeof(nspilled));
		vm_vg_benign(&adapting, sizeof(adapting));
	}
	vmm_dram = dram;
	vmm_dram_base = (uintptr_t)mem;
	vmm_dram_size = dram_max;
	vmm_tiered = true;
	vm_log(2, "DRAM tier of %zu bytes at %p, %s %zu", dram_max, mem,
			policy == VMM_TIERS_THRESHOLD ? "threshold" :
			"ratio, threshold from", atomic_load(&threshold));
}

/* one look at the ratio; moves the threshold a step if it is off */
static VM_NOINLINE void
adapt(void)
{
	if (atomic_flag_test_and_set_explicit(&adapting, memory_order_acquire))
		return;		/* another thread is looking */
	if (VM_VALGRIND && vm_unlikely(vm_vg_sync))
		vm_vg_acquired(&adapting);
	uint64_t d = pool_bytes_out(vmm_dram);
	uint64_t p = pool_bytes_out(pool);
	if (d + p != 0) {
		/* the DRAM share and the one asked for, per thousand */
		uint64_t share = (uint64_t)((unsigned __int128)d * 1000 /
				(d + p));
		uint64_t want = (uint64_t)dram_part * 1000 /
				(dram_part + pool_part);
		unsigned k = atomic_load_explicit(&step, memory_order_relaxed);
		unsigned next = k;
		/* up only while the DRAM tier took what it was given; by
		 * more steps the further off the share is */
		uint64_t sp = atomic_load_explicit(&nspilled,
				memory_order_relaxed);
		bool full = sp != spilled_seen;
		spilled_seen = sp;
		uint64_t off = share > want ? share - want : want - share;
		unsigned by = off / ADAPT_GAIN > 0 ? (unsigned)(off /
				ADAPT_GAIN) : 1;
		by = by < LADDER_STEPS ? by : LADDER_STEPS;
		if (share + ADAPT_BAND < want && !full)
			next = k + by < LADDER_TOP ? k + by : LADDER_TOP;
		else if (share > want + ADAPT_BAND)
			next = k > by ? k - by : 0;
		if (next != k) {
			atomic_store_explicit(&step, next, memory_order_relaxed);
			atomic_store_explicit(&threshold, ladder(next),
					memory_order_relaxed);
			atomic_fetch_add_explicit(&nmoves, 1,
					memory_order_relaxed);
		}
	}
	if (VM_VALGRIND && vm_unlikely(vm_vg_sync))
		vm_vg_releasing(&adapting);
	atomic_flag_clear_explicit(&adapting, memory_order_release);
}

/* true if an object of size bytes goes to the DRAM tier now; counts the
 * allocation towards the next look at the ratio */
static inline bool
to_dram(size_t size)
{
	if (policy == VMM_TIERS_RATIO && vm_unlikely(countdown-- == 0)) {
		countdown = ADAPT_PERIOD - 1;
		adapt();
	}
	return size < atomic_load_explicit(&threshold, memory_order_relaxed);
}

/* the DRAM tier refused an allocation: the pool takes it, and errno is
 * left as the caller had it */
static void
spilled(int saved_errno)
{
	atomic_fetch_add_explicit(&nspilled, 1, memory_order_relaxed);
	errno = saved_errno;
}

void *
vmm_tier_malloc(size_t size)
{
	if (to_dram(size)) {
		int saved_errno = errno;
		void *p = pool_malloc(vmm_dram, size);
		if (vm_likely(p != NULL))
			return p;
		spilled(saved_errno);
	}
	return pool_malloc(pool, size);
}

void *
vmm_tier_calloc(size_t nmemb, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(nmemb, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	if (to_dram(total)) {
		int saved_errno = errno;
		void *p = vmem_calloc(vmm_dram, nmemb, size);
		if (p != NULL)
			return p;
		spilled(saved_errno);
	}
	return vmem_calloc(pool, nmemb, size);
}

void *
vmm_tier_aligned(size_t alignment, size_t size)
{
	if (to_dram(size)) {
		int saved_errno = errno;
		void *p = vmem_aligned_alloc(vmm_dram, alignment, size);
		if (p != NULL || errno == EINVAL)
			return p;
		spilled(saved_errno);
	}
	return vmem_aligned_alloc(pool, alignment, size);
}

/*
 * realloc of the live object ptr of the pool owner (size > 0): in place
 * in its tier while the policy keeps it there, else moved to the tier the
 * policy picks for size, contents and all; a move that finds no room
 * leaves it in its tier.
 */
void *
vmm_tier_realloc(VMEM *owner, void *ptr, size_t size)
{
	VMEM *want = to_dram(size) ? vmm_dram : pool;
	int saved_errno = errno;
	if (want == owner) {
		void *q = vmem_realloc(owner, ptr, size);
		if (q != NULL || owner == pool)
			return q;
		want = pool;	/* the DRAM tier is full: move */
		spilled(saved_errno);
	}
	size_t old = vmem_malloc_usable_size(owner, ptr);
	if (old == 0)		/* not a live object: realloc says so */
		return vmem_realloc(owner, ptr, size);
	void *q = want == vmm_dram ? vmem_malloc(vmm_dram, size) : NULL;
	if (want == vmm_dram && q == NULL)
		spilled(saved_errno);
	if (q == NULL && owner != pool)
		q = vmem_malloc(pool, size);
	if (q == NULL) {	/* nowhere to move: stay */
		errno = saved_errno;
		return vmem_realloc(owner, ptr, size);
	}
	memcpy(q, ptr, old < size ? old : size);
	vmem_free(owner, ptr);
	return q;
}

/* n per thousand as "n/10.n%" */
static void
print_share(const char *what, uint64_t per_mille)
{
	vm_outf("%s: %llu.%llu%%\n", what,
			(unsigned long long)(per_mille / 10),
			(unsigned long long)(per_mille % 10));
}

/* the same figures as one JSON object */
static void
print_json(const struct pool_usage *d, const struct pool_usage *p)
{
	uint64_t total = d->in_use_bytes + p->in_use_bytes;
	vm_outf("{\"policy\": \"%s\", \"dram_part\": %u, \"pool_part\": %u, "
			"\"threshold\": %zu, \"threshold_moves\": %llu, "
			"\"dram_bytes\": %llu, \"dram_objects\": %llu, "
			"\"dram_max\": %zu, \"pool_bytes\": %llu, "
			"\"pool_objects\": %llu, \"dram_share_per_mille\": %llu, "
			"\"spilled\": %llu}", policy == VMM_TIERS_THRESHOLD ?
			"threshold" : "ratio", dram_part, pool_part,
			atomic_load(&threshold),
			(unsigned long long)atomic_load(&nmoves),
			(unsigned long long)d->in_use_bytes,
			(unsigned long long)d->objects, dram_max,
			(unsigned long long)p->in_use_bytes,
			(unsigned long long)p->objects,
			(unsigned long long)(total == 0 ? 0 :
			(unsigned __int128)d->in_use_bytes * 1000 / total),
			(unsigned long long)atomic_load(&nspilled));
}

void
vmm_tiers_print(bool json)
{
	if (!vmm_tiered)
		return;
	struct pool_usage d, p;
	pool_usage(vmm_dram, &d);
	pool_usage(pool, &p);
	if (json) {
		print_json(&d, &p);
		return;
	}
	vm_out("___ libvmmalloc tiers ___\n");
	if (policy == VMM_TIERS_THRESHOLD)
		vm_outf("policy: objects below %zu bytes in DRAM\n",
				atomic_load(&threshold));
	else
		vm_outf("policy: DRAM:pool bytes %u:%u; threshold now %zu "
				"bytes, moved %llu times\n", dram_part,
				pool_part, atomic_load(&threshold),
				(unsigned long long)atomic_load(&nmoves));
	vm_outf("DRAM tier: %llu bytes in %llu objects, of at most %zu\n",
			(unsigned long long)d.in_use_bytes,
			(unsigned long long)d.objects, dram_max);
	vm_outf("pool: %llu bytes in %llu objects\n",
			(unsigned long long)p.in_use_bytes,
			(unsigned long long)p.objects);
	uint64_t total = d.in_use_bytes + p.in_use_bytes;
	print_share("DRAM share of the bytes in use", total == 0 ? 0 :
			(uint64_t)((unsigned __int128)d.in_use_bytes * 1000 /
			total));
	if (policy == VMM_TIERS_RATIO)
		print_share("asked for", (uint64_t)dram_part * 1000 /
				(dram_part + pool_part));
	vm_outf("allocations the full DRAM tier sent to the pool: %llu\n",
			(unsigned long long)atomic_load(&nspilled));
	vm_out("___ End libvmmalloc tiers ___\n");
}
