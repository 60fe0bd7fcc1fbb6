/*
 * exhaust.c -- tests of pool exhaustion in a VMEM_MIN_POOL pool: allocating
 * objects of 64 B, 4 KiB, 100 KiB and 4 MiB until NULL with ENOMEM, then
 * freeing everything; the pool is fully usable again (the same number of
 * objects fits again, 80% of the pool in one object); vmem_check() == 1
 * throughout; the calls that need no space (free, usable size, shrinking
 * realloc) still work on a full pool; and capacity: 4 KiB objects fill at
 * least 90% of the pool; the thread caches of threads that first used
 * the pool when it was half full do not split the emptied pool.
 */
#include <pthread.h>

#include "testutil.h"

static VMEM *Vmp;

static void
setup(void)
{
	Vmp = tu_pool_create(VMEM_MIN_POOL);
}

static void
teardown(void)
{
	ck_assert_int_eq(vmem_check(Vmp), 1);
	vmem_delete(Vmp);
}

/* a set of live objects of one size, each tagged at both ends */
struct objset {
	void **p;
	size_t n, cap, size;
};

static void
tag(void *p, size_t size, uint64_t v)
{
	if (size >= 16) {
		memcpy(p, &v, 8);
		memcpy((char *)p + size - 8, &v, 8);
	} else {
		memset(p, (int)(v & 0xff), size);
	}
}

static int
tag_ok(const void *p, size_t size, uint64_t v)
{
	if (size >= 16) {
		uint64_t a, b;
		memcpy(&a, p, 8);
		memcpy(&b, (const char *)p + size - 8, 8);
		return a == v && b == v;
	}
	return tu_all_bytes(p, size, (unsigned char)(v & 0xff));
}

/* allocates objects of size until the pool says ENOMEM; returns the count */
static size_t
fill(struct objset *s, size_t size)
{
	s->size = size;
	s->n = 0;
	s->cap = VMEM_MIN_POOL / (size ? size : 1) + 16;
	s->p = malloc(s->cap * sizeof(void *));
	ck_assert_ptr_nonnull(s->p);
	for (;;) {
		errno = 0;
		void *p = vmem_malloc(Vmp, size);
		if (p == NULL) {
			int e = errno;
			ck_assert_msg(e == ENOMEM, "malloc(%zu) on a full pool: "
					"errno %d, expected ENOMEM", size, e);
			break;
		}
		ck_assert_msg(s->n < s->cap, "more %zu-byte objects than fit "
				"in the pool", size);
		ck_assert_uint_ge(vmem_malloc_usable_size(Vmp, p), size);
		tag(p, size, (uint64_t)s->n + 1);
		s->p[s->n++] = p;
	}
	return s->n;
}

static void
verify(const struct objset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		ck_assert_msg(tag_ok(s->p[i], s->size, (uint64_t)i + 1),
				"%zu-byte object %zu was overwritten", s->size,
				i);
	}
}

static void
release(struct objset *s)
{
	verify(s);
	for (size_t i = 0; i < s->n; i++)
		vmem_free(Vmp, s->p[i]);
	free(s->p);
	s->p = NULL;
	s->n = 0;
}

/* frees object i of s; the last object takes its place (and its tag) */
static void
remove_at(struct objset *s, size_t i, int do_free)
{
	if (do_free)
		vmem_free(Vmp, s->p[i]);
	s->p[i] = s->p[--s->n];
	if (i < s->n)
		tag(s->p[i], s->size, (uint64_t)i + 1);
}

static void
assert_80_percent(const char *after)
{
	size_t big = VMEM_MIN_POOL / 10 * 8;
	void *p = vmem_malloc(Vmp, big);
	ck_assert_msg(p != NULL, "after %s, a single object of 80%% of the "
			"pool (%zu bytes) does not fit", after, big);
	memset(p, 0xee, 4096);
	vmem_free(Vmp, p);
}

static void
exhaust_twice(size_t size)
{
	struct objset s;
	size_t first = fill(&s, size);
	ck_assert_uint_gt(first, 0);
	ck_assert_int_eq(vmem_check(Vmp), 1);
	release(&s);
	ck_assert_int_eq(vmem_check(Vmp), 1);
	size_t second = fill(&s, size);
	ck_assert_int_eq(vmem_check(Vmp), 1);
	release(&s);
	printf("%zu-byte objects: %zu fit (%.1f%% of the pool), then %zu\n",
			size, first, 100.0 * (double)(first * size) /
			(double)VMEM_MIN_POOL, second);
	ck_assert_msg(second == first, "%zu-byte objects: %zu fit, after "
			"freeing them only %zu", size, first, second);
	char what[64];
	snprintf(what, sizeof(what), "filling with %zu-byte objects", size);
	assert_80_percent(what);
}

START_TEST(test_exhaust_64)
{
	exhaust_twice(64);
}
END_TEST

START_TEST(test_exhaust_4k)
{
	exhaust_twice(4096);
}
END_TEST

START_TEST(test_exhaust_100k)
{
	exhaust_twice(100 * TU_KIB);
}
END_TEST

START_TEST(test_exhaust_4m)
{
	exhaust_twice(4 * TU_MIB);
}
END_TEST

/* one size after another on the same pool, each until full, then all freed */
START_TEST(test_exhaust_sequence)
{
	size_t sizes[] = { 64, 4096, 100 * TU_KIB, 4 * TU_MIB };
	struct objset s[4];
	size_t first64 = 0;
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 4; i++) {
			fill(&s[i], sizes[i]);
			ck_assert_int_eq(vmem_check(Vmp), 1);
		}
		ck_assert_uint_gt(s[0].n, 0);
		if (round == 0)
			first64 = s[0].n;
		else
			ck_assert_uint_eq(s[0].n, first64);
		for (int i = 0; i < 4; i++)
			verify(&s[i]);
		for (int i = 3; i >= 0; i--)
			release(&s[i]);
		ck_assert_int_eq(vmem_check(Vmp), 1);
		assert_80_percent("a sequence of fills");
	}
}
END_TEST

/* mixed sizes until full, twice */
START_TEST(test_exhaust_mixed)
{
	size_t total[2];
	for (int round = 0; round < 2; round++) {
		enum { CAP = 300000 };
		void **p = malloc(CAP * sizeof(*p));
		ck_assert_ptr_nonnull(p);
		size_t n = 0, bytes = 0, fails = 0;
		uint64_t r = 12345;
		while (fails < 200 && n < CAP) {
			r = tu_mix(r);
			size_t sz = 1 + (size_t)(r % ((r >> 62) ? 512 : 70000));
			void *q = vmem_malloc(Vmp, sz);
			if (q == NULL) {
				ck_assert_int_eq(errno, ENOMEM);
				fails++;
				continue;
			}
			memset(q, 0x42, sz < 64 ? sz : 64);
			p[n++] = q;
			bytes += sz;
		}
		ck_assert_int_eq(vmem_check(Vmp), 1);
		for (size_t i = 0; i < n; i++)
			vmem_free(Vmp, p[i]);
		free(p);
		ck_assert_int_eq(vmem_check(Vmp), 1);
		total[round] = bytes;
		printf("mixed sizes: %zu objects, %.1f%% of the pool\n", n,
				100.0 * (double)bytes / (double)VMEM_MIN_POOL);
		assert_80_percent("filling with mixed sizes");
	}
	/* the same request sequence fits (nearly) as well the second time */
	ck_assert_msg((double)total[1] >= 0.95 * (double)total[0],
			"mixed sizes: %zu bytes fit, after freeing only %zu",
			total[0], total[1]);
}
END_TEST

/* a thread that takes its cache in the pool, then waits to be let go */
struct cache_thread {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int started, go;
};

static void *
cache_thread_main(void *arg)
{
	struct cache_thread *t = arg;
	void *p = vmem_malloc(Vmp, 100);	/* this thread's cache is made */
	ck_assert_ptr_nonnull(p);
	vmem_free(Vmp, p);
	pthread_mutex_lock(&t->mu);
	t->started = 1;
	pthread_cond_broadcast(&t->cv);
	while (!t->go)
		pthread_cond_wait(&t->cv, &t->mu);
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

/*
 * Threads that first use the pool while its front is full keep their
 * caches for their lives; once everything is freed the pool must hold one
 * object of almost its whole size again, as a fresh pool does (it held
 * half of it when the caches went wherever there was room).
 */
START_TEST(test_thread_caches_leave_pool_whole)
{
	size_t fresh = tu_max_alloc(Vmp, VMEM_MIN_POOL, 16 * TU_KIB);
	enum { NTHREADS = 3, NOBJS = 96 };
	void *objs[NOBJS];
	pthread_t tid[NTHREADS];
	struct cache_thread t = {
		PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0
	};
	for (int k = 0; k < NTHREADS; k++) {
		/* fill a further part of the pool, then start a thread */
		for (int i = 0; i < NOBJS / NTHREADS; i++) {
			void *p = vmem_malloc(Vmp, 64 * TU_KIB + 512 * (size_t)i);
			ck_assert_ptr_nonnull(p);
			objs[k * (NOBJS / NTHREADS) + i] = p;
		}
		t.started = 0;
		ck_assert_int_eq(pthread_create(&tid[k], NULL,
				cache_thread_main, &t), 0);
		pthread_mutex_lock(&t.mu);
		while (!t.started)
			pthread_cond_wait(&t.cv, &t.mu);
		pthread_mutex_unlock(&t.mu);
	}
	for (int i = 0; i < NOBJS; i++)
		vmem_free(Vmp, objs[i]);
	ck_assert_int_eq(vmem_check(Vmp), 1);
	size_t now = tu_max_alloc(Vmp, VMEM_MIN_POOL, 16 * TU_KIB);
	printf("largest object: %zu KiB in the fresh pool, %zu KiB with %d "
			"more threads' caches\n", fresh / TU_KIB, now / TU_KIB,
			NTHREADS);
	/* the caches themselves take a few pages each */
	ck_assert_msg(now + NTHREADS * 64 * TU_KIB >= fresh,
			"emptied pool holds %zu bytes in one object, a fresh "
			"one %zu", now, fresh);
	pthread_mutex_lock(&t.mu);
	t.go = 1;
	pthread_cond_broadcast(&t.cv);
	pthread_mutex_unlock(&t.mu);
	for (int k = 0; k < NTHREADS; k++)
		ck_assert_int_eq(pthread_join(tid[k], NULL), 0);
}
END_TEST

/* on a full pool, the calls that need no new space still work */
START_TEST(test_full_pool_calls)
{
	struct objset s;
	fill(&s, 64);
	ck_assert_uint_gt(s.n, 10);
	/* these may fail, but only with ENOMEM */
	errno = 0;
	void *z = vmem_malloc(Vmp, 0);
	ck_assert(z != NULL || errno == ENOMEM);
	vmem_free(Vmp, z);
	/*
	 * realloc(NULL, 0) may also answer NULL without an error (like
	 * realloc(p, 0), a NULL result is valid for size 0); found so:
	 * NULL with errno untouched
	 */
	errno = 0;
	z = vmem_realloc(Vmp, NULL, 0);
	int e = errno;
	ck_assert_msg(z != NULL || e == 0 || e == ENOMEM, "realloc(NULL, 0) "
			"on a full pool: errno %d", e);
	printf("realloc(NULL, 0) on a full pool: %p, errno %d\n", z, e);
	vmem_free(Vmp, z);
	/* usable size */
	ck_assert_uint_ge(vmem_malloc_usable_size(Vmp, s.p[0]), 64);
	/* realloc to the same size and shrinking keep the object */
	void *q = vmem_realloc(Vmp, s.p[1], 64);
	ck_assert_msg(q != NULL, "realloc to the same size failed on a full "
			"pool");
	ck_assert(tag_ok(q, 64, 2));
	s.p[1] = q;
	q = vmem_realloc(Vmp, s.p[2], 24);
	ck_assert_msg(q != NULL, "shrinking realloc failed on a full pool");
	uint64_t three = 3;
	ck_assert_msg(memcmp(q, &three, 8) == 0, "shrinking realloc lost the "
			"content");
	s.p[2] = q;
	remove_at(&s, 2, 1);
	ck_assert_int_eq(vmem_check(Vmp), 1);
	/* a freed object's space is available again at once */
	for (int i = 0; i < 100; i++) {
		vmem_free(Vmp, s.p[--s.n]);
		void *r = vmem_malloc(Vmp, 64);
		ck_assert_msg(r != NULL, "malloc(64) failed right after a free "
				"on a full pool");
		tag(r, 64, (uint64_t)s.n + 1);
		s.p[s.n++] = r;
	}
	ck_assert_int_eq(vmem_check(Vmp), 1);
	release(&s);

	/* the same with large objects */
	fill(&s, 4 * TU_MIB);
	ck_assert_uint_gt(s.n, 0);
	ck_assert_uint_ge(vmem_malloc_usable_size(Vmp, s.p[0]), 4 * TU_MIB);
	tu_fill(s.p[0], TU_MIB, 5);
	q = vmem_realloc(Vmp, s.p[0], TU_MIB);
	ck_assert_msg(q != NULL, "shrinking a large object failed on a full "
			"pool");
	ck_assert_uint_eq(tu_verify(q, TU_MIB, 5), TU_MIB);
	s.p[0] = q;
	remove_at(&s, 0, 1);
	release(&s);
	assert_80_percent("filling with 64 B and 4 MiB objects");
}
END_TEST

START_TEST(test_capacity_4k)
{
	struct objset s;
	size_t n = fill(&s, 4096);
	double share = (double)(n * 4096) / (double)VMEM_MIN_POOL;
	printf("capacity: %zu objects of 4 KiB = %.1f%% of a %zu MiB pool\n",
			n, 100.0 * share, VMEM_MIN_POOL / TU_MIB);
	release(&s);
	ck_assert_msg(share >= 0.90, "4 KiB objects fill only %.1f%% of a "
			"VMEM_MIN_POOL pool (want >= 90%%)", 100.0 * share);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("exhaust");
	TCase *tc = tu_tcase(s, "exhaust", TU_TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_exhaust_64);
	tcase_add_test(tc, test_exhaust_4k);
	tcase_add_test(tc, test_exhaust_100k);
	tcase_add_test(tc, test_exhaust_4m);
	tcase_add_test(tc, test_exhaust_sequence);
	tcase_add_test(tc, test_exhaust_mixed);
	tcase_add_test(tc, test_full_pool_calls);
	tcase_add_test(tc, test_capacity_4k);
	tcase_add_test(tc, test_thread_caches_leave_pool_whole);
	return tu_run(s);
}
