/*
 * multipool.c -- tests of many pools at once: 16 file-backed pools (and
 * region pools mixed in) allocating independently, objects of different
 * pools never overlapping, vmem_check() == 1 on each, deleting some and
 * creating new ones in between, and two threads each using their own pool
 * at the same time; and more than 32768 pools alive at once, made in a
 * bounded time.
 */
#include <pthread.h>

#include "testutil.h"

#define NPOOLS 16
#define PER_POOL 400

/* object i of pool k: size and pattern seed */
static size_t
obj_size(int k, int i)
{
	return 1 + (size_t)((k * 7919 + i * 104729) % (i % 10 == 0 ? 200000 :
			2000));
}

static uint64_t
obj_seed(int k, int i)
{
	return (uint64_t)k << 32 | (uint64_t)i;
}

static void
fill_pool(VMEM *vmp, int k, void **objs)
{
	for (int i = 0; i < PER_POOL; i++) {
		size_t sz = obj_size(k, i);
		objs[i] = vmem_malloc(vmp, sz);
		ck_assert_msg(objs[i] != NULL, "pool %d object %d: %s", k, i,
				vmem_errormsg());
		tu_fill(objs[i], sz, obj_seed(k, i));
	}
}

static void
verify_pool(int k, void **objs)
{
	for (int i = 0; i < PER_POOL; i++) {
		size_t sz = obj_size(k, i);
		size_t bad = tu_verify(objs[i], sz, obj_seed(k, i));
		ck_assert_msg(bad == sz, "pool %d object %d corrupt at %zu", k,
				i, bad);
	}
}

static void
empty_pool(VMEM *vmp, void **objs)
{
	for (int i = 0; i < PER_POOL; i++)
		vmem_free(vmp, objs[i]);
}

START_TEST(test_many_pools)
{
	static VMEM *pools[NPOOLS];
	static void *objs[NPOOLS][PER_POOL];
	static struct tu_span sp[NPOOLS * PER_POOL];
	struct tu_region regs[4];
	for (int k = 0; k < NPOOLS; k++) {
		if (k % 4 == 3) {	/* every fourth one in a region */
			tu_region_map(&regs[k / 4], VMEM_MIN_POOL, 0);
			pools[k] = vmem_create_in_region(regs[k / 4].addr,
					VMEM_MIN_POOL);
		} else {
			pools[k] = tu_pool_create(VMEM_MIN_POOL +
					(size_t)k * TU_MIB);
		}
		ck_assert_msg(pools[k] != NULL, "pool %d: %s", k,
				vmem_errormsg());
		for (int j = 0; j < k; j++)
			ck_assert_ptr_ne(pools[j], pools[k]);
	}
	/* interleave the pools' allocations */
	for (int k = 0; k < NPOOLS; k++)
		fill_pool(pools[k], k, objs[k]);
	size_t n = 0;
	for (int k = 0; k < NPOOLS; k++) {
		ck_assert_int_eq(vmem_check(pools[k]), 1);
		verify_pool(k, objs[k]);
		for (int i = 0; i < PER_POOL; i++) {
			sp[n].lo = (uintptr_t)objs[k][i];
			sp[n].hi = sp[n].lo + obj_size(k, i);
			sp[n].owner = k;
			n++;
		}
	}
	long ov = tu_spans_overlap(sp, n);
	ck_assert_msg(ov == -1, "objects of pools %d and %d overlap",
			ov < 0 ? 0 : sp[ov].owner, ov < 0 ? 0 : sp[ov + 1].owner);
	/* each pool's objects are usable-size-known only to that pool */
	for (int k = 0; k < NPOOLS; k++) {
		ck_assert_uint_ge(vmem_malloc_usable_size(pools[k],
				objs[k][1]), obj_size(k, 1));
	}
	/* delete every other file pool, recreate it, refill */
	for (int k = 0; k < NPOOLS; k += 2) {
		if (k % 4 == 3)
			continue;
		empty_pool(pools[k], objs[k]);
		vmem_delete(pools[k]);
		pools[k] = tu_pool_create(VMEM_MIN_POOL);
		fill_pool(pools[k], k, objs[k]);
	}
	for (int k = 0; k < NPOOLS; k++) {
		verify_pool(k, objs[k]);
		ck_assert_int_eq(vmem_check(pools[k]), 1);
	}
	/* free one pool's objects; the others are unaffected */
	empty_pool(pools[5], objs[5]);
	for (int k = 0; k < NPOOLS; k++) {
		if (k != 5)
			verify_pool(k, objs[k]);
		ck_assert_int_eq(vmem_check(pools[k]), 1);
	}
	for (int k = 0; k < NPOOLS; k++) {
		if (k != 5)
			empty_pool(pools[k], objs[k]);
		ck_assert_int_eq(vmem_check(pools[k]), 1);
		vmem_delete(pools[k]);
	}
	for (int r = 0; r < 4; r++)
		tu_region_unmap(&regs[r]);
}
END_TEST

/* more pools than the original's early limits, created and deleted */
START_TEST(test_pool_churn)
{
	enum { N = 64 };
	static VMEM *pools[N];
	char dir[PATH_MAX];
	tu_mkdtemp(dir, sizeof(dir), NULL);
	for (int round = 0; round < 3; round++) {
		for (int k = 0; k < N; k++) {
			pools[k] = vmem_create(dir, VMEM_MIN_POOL);
			ck_assert_msg(pools[k] != NULL, "round %d pool %d: %s",
					round, k, vmem_errormsg());
			void *p = vmem_malloc(pools[k], 100);
			ck_assert_ptr_nonnull(p);
			memset(p, k, 100);
		}
		for (int k = 0; k < N; k++) {
			ck_assert_int_eq(vmem_check(pools[k]), 1);
			vmem_delete(pools[k]);
		}
	}
	ck_assert_int_eq(tu_dir_entries(dir), 0);
	tu_rmdir(dir);
}
END_TEST

struct worker {
	VMEM *vmp;
	int id;
	int failed;	/* 0: fine; else a line number */
	char msg[128];
};

#define WFAIL(w, ...) do { \
	snprintf((w)->msg, sizeof((w)->msg), __VA_ARGS__); \
	(w)->failed = __LINE__; \
	return NULL; \
} while (0)

static void *
own_pool_worker(void *arg)
{
	struct worker *w = arg;
	enum { SLOTS = 256 };
	void *slot[SLOTS] = { 0 };
	size_t size[SLOTS] = { 0 };
	uint64_t rnd = 0x9e3779b97f4a7c15ULL * (uint64_t)(w->id + 1);
	int iters = TU_SANITIZED ? 20000 : 100000;
	for (int i = 0; i < iters; i++) {
		rnd = tu_mix(rnd);
		int s = (int)(rnd % SLOTS);
		if (slot[s] != NULL) {
			if (tu_verify(slot[s], size[s], (uint64_t)s) != size[s])
				WFAIL(w, "object corrupt (iteration %d)", i);
			vmem_free(w->vmp, slot[s]);
			slot[s] = NULL;
		} else {
			size[s] = 1 + (size_t)(rnd >> 20) % ((rnd >> 60) == 0 ?
					300000 : 1500);
			slot[s] = vmem_malloc(w->vmp, size[s]);
			if (slot[s] == NULL)
				WFAIL(w, "malloc(%zu) failed", size[s]);
			tu_fill(slot[s], size[s], (uint64_t)s);
		}
	}
	for (int s = 0; s < SLOTS; s++)
		vmem_free(w->vmp, slot[s]);
	return NULL;
}

START_TEST(test_two_threads_own_pools)
{
	struct worker w[2];
	pthread_t t[2];
	for (int i = 0; i < 2; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].vmp = tu_pool_create(64 * TU_MIB);
		w[i].id = i;
	}
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, own_pool_worker,
				&w[i]), 0);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	for (int i = 0; i < 2; i++) {
		ck_assert_msg(w[i].failed == 0, "thread %d: %s (line %d)", i,
				w[i].msg, w[i].failed);
		ck_assert_int_eq(vmem_check(w[i].vmp), 1);
		vmem_delete(w[i].vmp);
	}
}
END_TEST

/*
 * More pools than the original ever allowed (32768), all alive at once, in
 * regions carved out of one MAP_NORESERVE mapping. Each gets an object;
 * then all are checked and deleted. How the time to create a pool grows
 * with the pools alive is measured by build/bench/pools, not here: a unit
 * test does not time.
 */
#define MANY 33000

START_TEST(test_more_than_32768_pools)
{
	size_t sz = VMEM_MIN_POOL;
	struct tu_region r;
	tu_region_map(&r, (size_t)MANY * sz, MAP_NORESERVE);
	VMEM **pools = malloc(MANY * sizeof(*pools));
	void **objs = malloc(MANY * sizeof(*objs));
	ck_assert(pools != NULL && objs != NULL);
	for (size_t k = 0; k < MANY; k++) {
		pools[k] = vmem_create_in_region((char *)r.addr + k * sz, sz);
		ck_assert_msg(pools[k] != NULL, "pool %zu: %s", k,
				vmem_errormsg());
		objs[k] = vmem_malloc(pools[k], 64);
		ck_assert_ptr_nonnull(objs[k]);
		memcpy(objs[k], &k, sizeof(k));
	}
	for (size_t k = 0; k < MANY; k++) {
		size_t v;
		memcpy(&v, objs[k], sizeof(v));
		ck_assert_uint_eq(v, k);
		if (k % 1000 == 0)
			ck_assert_int_eq(vmem_check(pools[k]), 1);
		vmem_free(pools[k], objs[k]);
	}
	for (size_t k = 0; k < MANY; k++)
		vmem_delete(pools[k]);
	free(pools);
	free(objs);
	tu_region_unmap(&r);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("multipool");
	TCase *tc = tu_tcase(s, "multipool", TU_TIMEOUT);
	tcase_add_test(tc, test_many_pools);
	tcase_add_test(tc, test_pool_churn);
	tcase_add_test(tc, test_two_threads_own_pools);
	tc = tu_tcase(s, "many", 120);	/* 30 s under TSan */
	tcase_add_test(tc, test_more_than_32768_pools);
	return tu_run(s);
}
