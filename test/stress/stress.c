/*
 * stress.c -- a multi-threaded stress test of one pool: 4 threads share an
 * array of slots (atomic pointers). Each thread repeatedly picks a random
 * slot; if it holds an object, the thread takes it (exchange with NULL),
 * verifies the pattern it was filled with, and frees it (often an object
 * another thread allocated) or reallocs it and publishes it again;
 * otherwise it allocates an object of a random size from 1 B to 4 MiB
 * (mostly small; malloc, calloc or aligned_alloc), fills it and publishes
 * it. Every 8-byte word holds cookie ^ mix(address), where the cookie
 * derives from the object's start and its slot, so objects handed out
 * twice or overlapping are caught. Objects up to 4 KiB are checked whole,
 * larger ones at both ends and at 16 sampled places.
 *
 * At the end everything is freed, vmem_check() must be 1 and 75% of the
 * pool must fit in one object again.
 *
 * Environment: VMEM_STRESS_OPS (operations per thread; the default is
 * smaller under sanitizers), VMEM_STRESS_SEED (to repeat a run).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "testutil.h"

#define NTHREADS 4
#define NSLOTS 4096
#define POOL_SIZE TU_GIB
#define FULL_CHECK 4096		/* objects up to this size are checked whole */
#define EDGE 64			/* bytes checked at each end of larger ones */
#define SAMPLES 16		/* and words sampled in between */
#define MAX_SIZE (4 * TU_MIB)

/* operations per thread: a few seconds in each build */
#if defined(__SANITIZE_THREAD__)
#define DEFAULT_OPS 150000
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define DEFAULT_OPS 150000
#endif
#endif
#ifndef DEFAULT_OPS
#if TU_SANITIZED
#define DEFAULT_OPS 400000	/* AddressSanitizer */
#else
#define DEFAULT_OPS 1000000
#endif
#endif

static VMEM *Vmp;
static _Atomic(uintptr_t) Slots[NSLOTS];
static atomic_int Owner[NSLOTS];	/* who published the slot's object */
static atomic_int Stop;
static uint64_t Seed;
static long Ops;

struct tstats {
	int id;
	long allocs, frees, foreign_frees, reallocs, enomem, checks;
	char err[256];		/* the first failure, if any */
};

static uint64_t
cookie(uintptr_t p, size_t slot)
{
	return tu_mix(Seed ^ (uint64_t)p ^ ((uint64_t)slot << 48));
}

/* the pattern byte at offset i of an object that started at base */
static unsigned char
pat(uint64_t c, uintptr_t base, size_t i)
{
	uintptr_t w = base + (i & ~(size_t)7);
	return (unsigned char)((c ^ tu_mix((uint64_t)w)) >> (8 * (i & 7)));
}

static void
put_range(unsigned char *p, uint64_t c, uintptr_t base, size_t off,
		size_t len)
{
	for (size_t i = off; i < off + len; i++)
		p[i] = pat(c, base, i);
}

/* the first bad offset in [off, off+len), or SIZE_MAX */
static size_t
check_range(const unsigned char *p, uint64_t c, uintptr_t base, size_t off,
		size_t len)
{
	for (size_t i = off; i < off + len; i++) {
		if (p[i] != pat(c, base, i))
			return i;
	}
	return SIZE_MAX;
}

/* the parts of an object of usable size us that carry the pattern */
static size_t
sample_at(size_t us, int k)
{
	return (us / (SAMPLES + 1) * (size_t)(k + 1)) & ~(size_t)7;
}

static void
fill_obj(unsigned char *p, size_t us, size_t slot)
{
	uint64_t c = cookie((uintptr_t)p, slot);
	if (us <= FULL_CHECK) {
		put_range(p, c, (uintptr_t)p, 0, us);
		return;
	}
	put_range(p, c, (uintptr_t)p, 0, EDGE);
	put_range(p, c, (uintptr_t)p, us - EDGE, EDGE);
	for (int k = 0; k < SAMPLES; k++)
		put_range(p, c, (uintptr_t)p, sample_at(us, k), 8);
}

/* the first bad offset, or SIZE_MAX; base/slot: where the pattern came from */
static size_t
check_obj(const unsigned char *p, size_t us, uintptr_t base, size_t slot)
{
	uint64_t c = cookie(base, slot);
	if (us <= FULL_CHECK)
		return check_range(p, c, base, 0, us);
	size_t bad = check_range(p, c, base, 0, EDGE);
	if (bad == SIZE_MAX)
		bad = check_range(p, c, base, us - EDGE, EDGE);
	for (int k = 0; k < SAMPLES && bad == SIZE_MAX; k++)
		bad = check_range(p, c, base, sample_at(us, k), 8);
	return bad;
}

static int
all_zero_parts(const unsigned char *p, size_t size)
{
	if (size <= FULL_CHECK)
		return tu_all_bytes(p, size, 0);
	return tu_all_bytes(p, EDGE, 0) && tu_all_bytes(p + size - EDGE, EDGE,
			0) && tu_all_bytes(p + size / 2, 64, 0);
}

#define FAIL(st, ...) do { \
	snprintf((st)->err, sizeof((st)->err), __VA_ARGS__); \
	atomic_store(&Stop, 1); \
	return NULL; \
} while (0)

/* a random size from 1 B to 4 MiB, mostly small */
static size_t
random_size(uint64_t r)
{
	unsigned e = (unsigned)(r % 22);		/* 1 B .. 4 MiB - 1 */
	if (e >= 13 && ((r >> 8) & 3) != 0)
		e %= 13;				/* 3 in 4 big -> small */
	size_t base = (size_t)1 << e;
	return base + (size_t)((r >> 16) & (base - 1));
}

/* publishes p into slot s, or frees it when the slot got taken */
static void
publish(struct tstats *st, unsigned char *p, size_t s)
{
	uintptr_t expect = 0;
	atomic_store_explicit(&Owner[s], st->id, memory_order_relaxed);
	if (!atomic_compare_exchange_strong(&Slots[s], &expect, (uintptr_t)p)) {
		vmem_free(Vmp, p);
		st->frees++;
	}
}

static void *
worker(void *arg)
{
	struct tstats *st = arg;
	uint64_t r = tu_mix(Seed + (uint64_t)st->id * 0x9e3779b97f4a7c15ULL);
	for (long op = 0; op < Ops && !atomic_load(&Stop); op++) {
		r = tu_mix(r + (uint64_t)op);
		size_t s = (size_t)(r % NSLOTS);
		uint64_t r2 = tu_mix(r ^ 0x5555);
		uintptr_t old = atomic_exchange(&Slots[s], 0);
		if (old != 0) {
			unsigned char *p = (unsigned char *)old;
			int owner = atomic_load_explicit(&Owner[s],
					memory_order_relaxed);
			size_t us = vmem_malloc_usable_size(Vmp, p);
			if (us == 0)
				FAIL(st, "usable size 0 for live object %p", p);
			size_t bad = check_obj(p, us, old, s);
			if (bad != SIZE_MAX)
				FAIL(st, "object %p (usable %zu, slot %zu) "
						"corrupt at offset %zu", p, us, s,
						bad);
			if ((r2 & 7) != 0) {
				vmem_free(Vmp, p);
				st->frees++;
				st->foreign_frees += owner != st->id;
				continue;
			}
			/* realloc it and publish it again */
			size_t nsz = random_size(r2 >> 3);
			errno = 0;
			unsigned char *q = vmem_realloc(Vmp, p, nsz);
			if (q == NULL) {
				if (errno != ENOMEM)
					FAIL(st, "realloc(%zu): errno %d", nsz,
							errno);
				st->enomem++;
				if (check_obj(p, us, old, s) != SIZE_MAX)
					FAIL(st, "failed realloc damaged %p",
							p);
				vmem_free(Vmp, p);
				st->frees++;
				continue;
			}
			st->reallocs++;
			size_t keep = us < nsz ? us : nsz;
			size_t head = us <= FULL_CHECK ? keep :
					(keep < EDGE ? keep : EDGE);
			bad = check_range(q, cookie(old, s), old, 0, head);
			if (bad != SIZE_MAX)
				FAIL(st, "realloc %zu -> %zu lost byte %zu", us,
						nsz, bad);
			size_t nus = vmem_malloc_usable_size(Vmp, q);
			if (nus < nsz || !tu_is_aligned(q, 16))
				FAIL(st, "realloc(%zu) = %p, usable %zu", nsz,
						q, nus);
			fill_obj(q, nus, s);
			publish(st, q, s);
			continue;
		}
		size_t size = random_size(r2);
		unsigned kind = (unsigned)((r2 >> 40) % 16);
		unsigned char *p;
		errno = 0;
		if (kind == 0) {
			size_t a = (size_t)1 << (4 + (r2 >> 44) % 14);
			p = vmem_aligned_alloc(Vmp, a, size);
			if (p != NULL && !tu_is_aligned(p, a))
				FAIL(st, "aligned_alloc(%zu, %zu) = %p", a,
						size, p);
		} else if (kind == 1) {
			p = vmem_calloc(Vmp, 1, size);
			if (p != NULL && !all_zero_parts(p, size))
				FAIL(st, "calloc(1, %zu) = %p not zeroed",
						size, p);
		} else {
			p = vmem_malloc(Vmp, size);
		}
		if (p == NULL) {
			if (errno != ENOMEM)
				FAIL(st, "allocating %zu: errno %d", size,
						errno);
			st->enomem++;
			continue;
		}
		st->allocs++;
		size_t us = vmem_malloc_usable_size(Vmp, p);
		if (us < size || !tu_is_aligned(p, 16))
			FAIL(st, "object %p of %zu bytes: usable %zu", p, size,
					us);
		fill_obj(p, us, s);
		publish(st, p, s);
		if (st->id == 0 && op % 16384 == 16383) {
			st->checks++;
			if (vmem_check(Vmp) != 1)
				FAIL(st, "vmem_check != 1 during the run "
						"(%s)", vmem_errormsg());
		}
	}
	return NULL;
}

static long
env_long(const char *name, long def)
{
	const char *v = getenv(name);
	if (v == NULL || *v == '\0')
		return def;
	char *end;
	long n = strtol(v, &end, 0);
	return (*end == '\0' && n > 0) ? n : def;
}

START_TEST(test_stress)
{
	Ops = env_long("VMEM_STRESS_OPS", DEFAULT_OPS);
	Seed = (uint64_t)env_long("VMEM_STRESS_SEED", (long)time(NULL));
	printf("stress: %d threads x %ld operations, %d slots, seed %llu\n",
			NTHREADS, Ops, NSLOTS, (unsigned long long)Seed);
	Vmp = tu_pool_create(POOL_SIZE);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct tstats st[NTHREADS];
	pthread_t t[NTHREADS];
	memset(st, 0, sizeof(st));
	for (int i = 0; i < NTHREADS; i++) {
		st[i].id = i;
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker, &st[i]),
				0);
	}
	for (int i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long allocs = 0, frees = 0, foreign = 0, reallocs = 0, enomem = 0;
	for (int i = 0; i < NTHREADS; i++) {
		ck_assert_msg(st[i].err[0] == '\0', "thread %d: %s (seed %llu)",
				i, st[i].err, (unsigned long long)Seed);
		allocs += st[i].allocs;
		frees += st[i].frees;
		foreign += st[i].foreign_frees;
		reallocs += st[i].reallocs;
		enomem += st[i].enomem;
	}
	ck_assert_int_eq(vmem_check(Vmp), 1);
	/* free what is left, checking it */
	long left = 0;
	for (size_t s = 0; s < NSLOTS; s++) {
		uintptr_t p = atomic_exchange(&Slots[s], 0);
		if (p == 0)
			continue;
		size_t us = vmem_malloc_usable_size(Vmp, (void *)p);
		size_t bad = check_obj((void *)p, us, p, s);
		ck_assert_msg(bad == SIZE_MAX, "object %#lx corrupt at %zu",
				(unsigned long)p, bad);
		vmem_free(Vmp, (void *)p);
		left++;
	}
	double secs = (double)(t1.tv_sec - t0.tv_sec) +
			(double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("stress: %.2f s, %ld allocs, %ld frees (%ld cross-thread), "
			"%ld reallocs, %ld ENOMEM, %ld left at the end\n", secs,
			allocs, frees, foreign, reallocs, enomem, left);
	ck_assert_int_eq(allocs, frees + left);
	ck_assert_int_gt(foreign, 0);
	ck_assert_int_eq(vmem_check(Vmp), 1);
	void *big = vmem_malloc(Vmp, POOL_SIZE / 4 * 3);
	ck_assert_msg(big != NULL, "75%% of the pool does not fit in one "
			"object after the stress run");
	memset(big, 1, 4096);
	vmem_free(Vmp, big);
	ck_assert_int_eq(vmem_check(Vmp), 1);
	vmem_delete(Vmp);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("stress");
	TCase *tc = tu_tcase(s, "stress", 1800);
	tcase_add_test(tc, test_stress);
	return tu_run(s);
}
