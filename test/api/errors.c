/*
 * errors.c -- tests of misuse and failing calls: vmem_free() of pointers
 * that did not come from the pool (a stack address, another pool's object,
 * the system malloc's memory, the pool handle itself), double frees and
 * frees of interior pointers must neither crash nor corrupt the pool, must
 * not release anything, and must leave a message in vmem_errormsg(); huge
 * requests fail with ENOMEM and a message.
 */
#include <pthread.h>

#include "testutil.h"

#define POOL_SIZE (64 * TU_MIB)

static VMEM *Vmp;
static char Prior[1024];

/* leaves a known, unrelated error message as this thread's last one */
static void
prime_errormsg(void)
{
	errno = 0;
	ck_assert_ptr_null(vmem_aligned_alloc(Vmp, 3, 8));
	ck_assert_int_eq(errno, EINVAL);
	const char *m = vmem_errormsg();
	ck_assert_ptr_nonnull(m);
	ck_assert_msg(m[0] != '\0', "no message after a failed call");
	snprintf(Prior, sizeof(Prior), "%s", m);
}

/* asserts that the call since prime_errormsg() reported an error */
static void
assert_new_errormsg(const char *what)
{
	const char *m = vmem_errormsg();
	ck_assert_ptr_nonnull(m);
	ck_assert_msg(m[0] != '\0', "%s: empty vmem_errormsg()", what);
	ck_assert_msg(strcmp(m, Prior) != 0, "%s: vmem_errormsg() still "
			"holds the previous error \"%s\"", what, Prior);
	printf("%s: \"%s\"\n", what, m);
}

static void
setup(void)
{
	Vmp = tu_pool_create(POOL_SIZE);
	prime_errormsg();
}

static void
teardown(void)
{
	ck_assert_int_eq(vmem_check(Vmp), 1);
	vmem_delete(Vmp);
}

/*
 * Asserts that the object [p, p+size) is still allocated: n new objects of
 * that size never overlap it.
 */
static void
assert_still_allocated(VMEM *vmp, const void *p, size_t size, int n)
{
	void **objs = malloc((size_t)n * sizeof(*objs));
	ck_assert_ptr_nonnull(objs);
	uintptr_t lo = (uintptr_t)p, hi = lo + size;
	int got = 0;
	for (int i = 0; i < n; i++) {
		objs[i] = vmem_malloc(vmp, size);
		if (objs[i] == NULL)
			break;
		got++;
		uintptr_t q = (uintptr_t)objs[i];
		ck_assert_msg(q + size <= lo || q >= hi, "a new object %p "
				"overlaps the live object %p: it was freed",
				objs[i], p);
	}
	ck_assert_int_gt(got, 0);
	for (int i = 0; i < got; i++)
		vmem_free(vmp, objs[i]);
	free(objs);
}

/*
 * Allocates n objects of size bytes, asserts that no two overlap and that
 * none is keep (a live object; NULL: no such check), and frees them: a
 * double free that got into a cache would hand an object out twice.
 */
static void
assert_none_handed_out_twice(size_t size, int n, const void *keep)
{
	static struct tu_span sp[2000];
	ck_assert_int_le(n, 2000);
	for (int k = 0; k < n; k++) {
		void *q = vmem_malloc(Vmp, size);
		ck_assert_ptr_nonnull(q);
		ck_assert_ptr_ne(q, keep);
		sp[k].lo = (uintptr_t)q;
		sp[k].hi = (uintptr_t)q + size;
	}
	ck_assert_msg(tu_spans_overlap(sp, (size_t)n) == -1, "an object was "
			"handed out twice");
	for (int k = 0; k < n; k++)
		vmem_free(Vmp, (void *)sp[k].lo);
}

START_TEST(test_free_stack_pointer)
{
	char buf[256];
	memset(buf, 0x77, sizeof(buf));
	void *live = vmem_malloc(Vmp, 100);
	ck_assert_ptr_nonnull(live);
	tu_fill(live, 100, 1);
	vmem_free(Vmp, buf);
	vmem_free(Vmp, buf + 16);
	ck_assert(tu_all_bytes(buf, sizeof(buf), 0x77));
	ck_assert_int_eq(vmem_check(Vmp), 1);
	assert_new_errormsg("free of a stack address");
	ck_assert_uint_eq(tu_verify(live, 100, 1), 100);
	vmem_free(Vmp, live);
	ck_assert_int_eq(vmem_check(Vmp), 1);
}
END_TEST

START_TEST(test_free_other_pool)
{
	VMEM *other = tu_pool_create(VMEM_MIN_POOL);
	size_t sizes[] = { 64, 3000, 200000 };
	for (size_t i = 0; i < 3; i++) {
		prime_errormsg();
		void *p = vmem_malloc(other, sizes[i]);
		ck_assert_ptr_nonnull(p);
		tu_fill(p, sizes[i], 10 + i);
		vmem_free(Vmp, p);	/* wrong pool */
		ck_assert_int_eq(vmem_check(Vmp), 1);
		ck_assert_int_eq(vmem_check(other), 1);
		assert_new_errormsg("free of another pool's object");
		ck_assert_uint_eq(tu_verify(p, sizes[i], 10 + i), sizes[i]);
		/* still allocated in its own pool, and nothing in ours */
		assert_still_allocated(other, p, sizes[i], 50);
		assert_still_allocated(Vmp, p, sizes[i], 50);
		vmem_free(other, p);
	}
	ck_assert_int_eq(vmem_check(other), 1);
	vmem_delete(other);
}
END_TEST

START_TEST(test_free_system_malloc)
{
	size_t sizes[] = { 16, 100, 5000, 2 * TU_MIB };	/* brk and mmap */
	for (size_t i = 0; i < 4; i++) {
		prime_errormsg();
		void *p = malloc(sizes[i]);
		ck_assert_ptr_nonnull(p);
		tu_fill(p, sizes[i], i);
		vmem_free(Vmp, p);
		ck_assert_int_eq(vmem_check(Vmp), 1);
		assert_new_errormsg("free of a system malloc pointer");
		ck_assert_uint_eq(tu_verify(p, sizes[i], i), sizes[i]);
		free(p);
	}
	/* the pool works normally */
	void *q = vmem_malloc(Vmp, 1000);
	ck_assert_ptr_nonnull(q);
	vmem_free(Vmp, q);
}
END_TEST

START_TEST(test_free_pool_handle)
{
	/* the handle points at the pool's own metadata */
	vmem_free(Vmp, Vmp);
	ck_assert_int_eq(vmem_check(Vmp), 1);
	assert_new_errormsg("free of the pool handle");
	vmem_free(Vmp, (char *)Vmp + 4096);
	ck_assert_int_eq(vmem_check(Vmp), 1);
	void *q = vmem_malloc(Vmp, 1000);
	ck_assert_ptr_nonnull(q);
	vmem_free(Vmp, q);
}
END_TEST

START_TEST(test_double_free_small)
{
	size_t sizes[] = { 8, 64, 1000 };
	for (size_t i = 0; i < 3; i++) {
		prime_errormsg();
		void *keep = vmem_malloc(Vmp, sizes[i]);	/* same slab */
		void *p = vmem_malloc(Vmp, sizes[i]);
		ck_assert(keep != NULL && p != NULL);
		vmem_free(Vmp, p);
		ck_assert_int_eq(vmem_check(Vmp), 1);
		vmem_free(Vmp, p);	/* double free */
		ck_assert_int_eq(vmem_check(Vmp), 1);
		assert_new_errormsg("double free");
		/* p was put back once: live objects are all distinct */
		assert_none_handed_out_twice(sizes[i], 2000, keep);
		vmem_free(Vmp, keep);
		ck_assert_int_eq(vmem_check(Vmp), 1);
	}
}
END_TEST

/* a small object freed again while its first free sits deep in this
 * thread's cache, or in another thread's: refused, never handed out twice */
static void *deep_victim;

static void *
free_victim(void *arg)
{
	(void)arg;
	vmem_free(Vmp, deep_victim);	/* the second free, from elsewhere */
	return NULL;
}

START_TEST(test_double_free_deep)
{
	size_t sizes[] = { 16, 100, 2000 };
	for (size_t i = 0; i < 3; i++) {
		enum { N = 40 };
		void *o[N];
		for (int k = 0; k < N; k++) {
			o[k] = vmem_malloc(Vmp, sizes[i]);
			ck_assert_ptr_nonnull(o[k]);
		}
		/* free(a); free(b)...; free(a) */
		vmem_free(Vmp, o[0]);
		for (int k = 1; k < 4; k++)
			vmem_free(Vmp, o[k]);
		prime_errormsg();
		vmem_free(Vmp, o[0]);
		assert_new_errormsg("double free, deep in the cache");
		ck_assert_int_eq(vmem_check(Vmp), 1);
		/* and from another thread */
		deep_victim = o[1];
		pthread_t t;
		prime_errormsg();
		ck_assert_int_eq(pthread_create(&t, NULL, free_victim, NULL), 0);
		ck_assert_int_eq(pthread_join(t, NULL), 0);
		ck_assert_int_eq(vmem_check(Vmp), 1);
		assert_none_handed_out_twice(sizes[i], 600, NULL);
		for (int k = 4; k < N; k++)
			vmem_free(Vmp, o[k]);
		ck_assert_int_eq(vmem_check(Vmp), 1);
	}
}
END_TEST

START_TEST(test_double_free_large)
{
	void *p = vmem_malloc(Vmp, 3 * TU_MIB);
	ck_assert_ptr_nonnull(p);
	vmem_free(Vmp, p);
	vmem_free(Vmp, p);
	ck_assert_int_eq(vmem_check(Vmp), 1);
	assert_new_errormsg("double free of a large object");
	void *a = vmem_malloc(Vmp, 3 * TU_MIB);
	void *b = vmem_malloc(Vmp, 3 * TU_MIB);
	ck_assert(a != NULL && b != NULL);
	ck_assert_msg((uintptr_t)a + 3 * TU_MIB <= (uintptr_t)b ||
			(uintptr_t)b + 3 * TU_MIB <= (uintptr_t)a,
			"two live large objects overlap");
	vmem_free(Vmp, a);
	vmem_free(Vmp, b);
}
END_TEST

/*
 * A free of an object its slab never handed out: the first object of a
 * new slab is p, the cache took the first half-capacity of objects (32,
 * or 16 of 1 KiB), so the one k objects further is still in the slab.
 * Refused by its tag (every free object has one, written when the slab is
 * made), never cached and then handed out twice.
 */
START_TEST(test_free_never_allocated)
{
	size_t sizes[] = { 16, 48, 1024 };
	size_t ks[] = { 40, 40, 20 };
	for (size_t i = 0; i < 3; i++) {
		void *p = vmem_malloc(Vmp, sizes[i]);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq(vmem_malloc_usable_size(Vmp, p), sizes[i]);
		char *q = (char *)p + ks[i] * sizes[i];
		prime_errormsg();
		vmem_free(Vmp, q);
		assert_new_errormsg("free of an object never handed out");
		ck_assert_int_eq(vmem_check(Vmp), 1);
		assert_none_handed_out_twice(sizes[i], 300, p);
		vmem_free(Vmp, p);
		ck_assert_int_eq(vmem_check(Vmp), 1);
	}
}
END_TEST

/* realloc of an object just freed (on top of the thread's cache) or
 * given back to its slab: EINVAL, nothing handed out twice */
START_TEST(test_realloc_freed)
{
	size_t sizes[] = { 24, 700, 5000 };
	for (size_t i = 0; i < 3; i++) {
		prime_errormsg();
		void *keep = vmem_malloc(Vmp, sizes[i]);
		void *p = vmem_malloc(Vmp, sizes[i]);
		ck_assert(keep != NULL && p != NULL);
		vmem_free(Vmp, p);
		errno = 0;
		ck_assert_ptr_null(vmem_realloc(Vmp, p, sizes[i] * 3));
		ck_assert_int_eq(errno, EINVAL);
		assert_new_errormsg("realloc of a freed object");
		ck_assert_int_eq(vmem_check(Vmp), 1);
		/* a size of the same class would keep it: refused as well */
		errno = 0;
		ck_assert_ptr_null(vmem_realloc(Vmp, p, sizes[i]));
		ck_assert_int_eq(errno, EINVAL);
		assert_none_handed_out_twice(sizes[i], 500, NULL);
		vmem_free(Vmp, keep);
		ck_assert_int_eq(vmem_check(Vmp), 1);
	}
}
END_TEST

START_TEST(test_free_interior)
{
	size_t sizes[] = { 32, 200, 3000, 100000, 2 * TU_MIB };
	size_t offs[] = { 16, 8, 1, 4096, TU_MIB };
	for (size_t i = 0; i < 5; i++) {
		prime_errormsg();
		void *p = vmem_malloc(Vmp, sizes[i]);
		ck_assert_ptr_nonnull(p);
		tu_fill(p, sizes[i], 30 + i);
		vmem_free(Vmp, (char *)p + offs[i]);
		ck_assert_int_eq(vmem_check(Vmp), 1);
		assert_new_errormsg("free of an interior pointer");
		ck_assert_uint_eq(tu_verify(p, sizes[i], 30 + i), sizes[i]);
		ck_assert_uint_ge(vmem_malloc_usable_size(Vmp, p), sizes[i]);
		assert_still_allocated(Vmp, p, sizes[i], 200);
		ck_assert_uint_eq(tu_verify(p, sizes[i], 30 + i), sizes[i]);
		vmem_free(Vmp, p);
		ck_assert_int_eq(vmem_check(Vmp), 1);
	}
}
END_TEST

/* a pointer the pool does not own has no usable size in it */
START_TEST(test_usable_size_foreign)
{
	char buf[64];
	void *m = malloc(100);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(vmem_malloc_usable_size(Vmp, buf), 0);
	ck_assert_uint_eq(vmem_malloc_usable_size(Vmp, m), 0);
	free(m);
	VMEM *other = tu_pool_create(VMEM_MIN_POOL);
	void *o = vmem_malloc(other, 100);
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(vmem_malloc_usable_size(Vmp, o), 0);
	ck_assert_uint_ge(vmem_malloc_usable_size(other, o), 100);
	vmem_free(other, o);
	vmem_delete(other);
}
END_TEST

START_TEST(test_malloc_too_big)
{
	size_t sizes[] = { POOL_SIZE, POOL_SIZE * 4, SIZE_MAX / 2,
			SIZE_MAX - 4096, SIZE_MAX - 15, SIZE_MAX };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		prime_errormsg();
		errno = 0;
		void *p = vmem_malloc(Vmp, sizes[i]);
		int e = errno;
		ck_assert_msg(p == NULL, "malloc(%zu) succeeded", sizes[i]);
		ck_assert_msg(e == ENOMEM, "malloc(%zu): errno %d, expected "
				"ENOMEM", sizes[i], e);
		assert_new_errormsg("malloc too big");
		errno = 0;
		ck_assert_ptr_null(vmem_calloc(Vmp, 1, sizes[i]));
		ck_assert_int_eq(errno, ENOMEM);
		errno = 0;
		ck_assert_ptr_null(vmem_realloc(Vmp, NULL, sizes[i]));
		ck_assert_int_eq(errno, ENOMEM);
	}
	/* the pool is fine afterwards */
	void *p = vmem_malloc(Vmp, POOL_SIZE / 2);
	ck_assert_ptr_nonnull(p);
	vmem_free(Vmp, p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("errors");
	TCase *tc = tu_tcase(s, "bad_free", TU_TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_free_stack_pointer);
	tcase_add_test(tc, test_free_other_pool);
	tcase_add_test(tc, test_free_system_malloc);
	tcase_add_test(tc, test_free_pool_handle);
	tcase_add_test(tc, test_double_free_small);
	tcase_add_test(tc, test_double_free_large);
	tcase_add_test(tc, test_double_free_deep);
	tcase_add_test(tc, test_free_interior);
	tcase_add_test(tc, test_realloc_freed);
	tcase_add_test(tc, test_free_never_allocated);
	tc = tu_tcase(s, "failing", TU_TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_usable_size_foreign);
	tcase_add_test(tc, test_malloc_too_big);
	return tu_run(s);
}
