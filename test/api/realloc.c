/*
 * realloc.c -- tests of vmem_realloc(): a NULL pointer acts as malloc,
 * growing and shrinking keep the content (the smaller of the two sizes),
 * size 0 frees (the result is NULL or a freeable object), shrinking a large
 * object and growing it back, crossing the small/large boundary both ways,
 * and a failed realloc leaving the original object intact.
 */
#include "testutil.h"

#define POOL_SIZE (256 * TU_MIB)

static VMEM *Vmp;

static void
setup(void)
{
	Vmp = tu_pool_create(POOL_SIZE);
}

static void
teardown(void)
{
	ck_assert_int_eq(vmem_check(Vmp), 1);
	vmem_delete(Vmp);
}

/* reallocs p (holding pattern seed over old bytes) to new bytes, checks */
static void *
realloc_checked(void *p, size_t old, size_t new, uint64_t seed)
{
	void *q = vmem_realloc(Vmp, p, new);
	ck_assert_msg(q != NULL, "realloc(%zu -> %zu): %s", old, new,
			vmem_errormsg());
	ck_assert(tu_is_aligned(q, 16));
	ck_assert_uint_ge(vmem_malloc_usable_size(Vmp, q), new);
	size_t keep = old < new ? old : new;
	size_t bad = tu_verify(q, keep, seed);
	ck_assert_msg(bad == keep, "realloc(%zu -> %zu) lost content at "
			"offset %zu", old, new, bad);
	return q;
}

START_TEST(test_realloc_null)
{
	size_t sizes[] = { 0, 1, 100, 5000, 300000, 5 * TU_MIB };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		void *p = vmem_realloc(Vmp, NULL, sizes[i]);
		ck_assert_msg(p != NULL, "realloc(NULL, %zu)", sizes[i]);
		ck_assert(tu_is_aligned(p, 16));
		ck_assert_uint_ge(vmem_malloc_usable_size(Vmp, p), sizes[i]);
		tu_fill(p, sizes[i], i);
		ck_assert_uint_eq(tu_verify(p, sizes[i], i), sizes[i]);
		vmem_free(Vmp, p);
	}
	/* realloc(NULL, 0) twice: distinct objects, like malloc(0) */
	void *a = vmem_realloc(Vmp, NULL, 0);
	void *b = vmem_realloc(Vmp, NULL, 0);
	ck_assert(a != NULL && b != NULL && a != b);
	vmem_free(Vmp, a);
	vmem_free(Vmp, b);
}
END_TEST

START_TEST(test_realloc_grow_shrink)
{
	/* a chain of sizes going up and down through all size ranges */
	size_t chain[] = { 1, 2, 7, 16, 17, 100, 64, 1000, 4096, 4097, 3000,
			20000, 16384, 200000, 150000, 3 * TU_MIB, TU_MIB + 1,
			9 * TU_MIB, 8 * TU_MIB, 100, 1, 5 * TU_MIB, 50 };
	size_t n = sizeof(chain) / sizeof(chain[0]);
	for (int step = 1; step <= 2; step++) {
		uint64_t seed = 42 + (uint64_t)step;
		void *p = vmem_malloc(Vmp, chain[0]);
		ck_assert_ptr_nonnull(p);
		tu_fill(p, chain[0], seed);
		/* another live object so realloc cannot always stay put */
		void *other = vmem_malloc(Vmp, 64);
		for (size_t i = (size_t)step; i < n; i += (size_t)step) {
			p = realloc_checked(p, chain[i - (size_t)step], chain[i],
					seed);
			tu_fill(p, chain[i], seed);
			vmem_free(Vmp, other);
			other = vmem_malloc(Vmp, chain[i] / 2 + 1);
		}
		vmem_free(Vmp, other);
		vmem_free(Vmp, p);
	}
	ck_assert_int_eq(vmem_check(Vmp), 1);
}
END_TEST

START_TEST(test_realloc_same_size)
{
	size_t sizes[] = { 1, 48, 4096, 70000, 3 * TU_MIB };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		void *p = vmem_malloc(Vmp, sizes[i]);
		ck_assert_ptr_nonnull(p);
		tu_fill(p, sizes[i], i);
		void *q = realloc_checked(p, sizes[i], sizes[i], i);
		/* to its own usable size: nothing to move */
		size_t us = vmem_malloc_usable_size(Vmp, q);
		void *r = realloc_checked(q, sizes[i], us, i);
		vmem_free(Vmp, r);
	}
}
END_TEST

START_TEST(test_realloc_zero)
{
	size_t sizes[] = { 1, 100, 5000, 200000, 4 * TU_MIB };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		void *p = vmem_malloc(Vmp, sizes[i]);
		ck_assert_ptr_nonnull(p);
		memset(p, 1, sizes[i]);
		void *q = vmem_realloc(Vmp, p, 0);
		if (q != NULL) {
			ck_assert(tu_is_aligned(q, 16));
			vmem_free(Vmp, q);	/* must be freeable */
		}
		ck_assert_int_eq(vmem_check(Vmp), 1);
	}
	/* the memory came back: a big object still fits (repeat many times) */
	for (int i = 0; i < 200; i++) {
		void *p = vmem_malloc(Vmp, 16 * TU_MIB);
		ck_assert_ptr_nonnull(p);
		void *q = vmem_realloc(Vmp, p, 0);
		vmem_free(Vmp, q);
	}
	void *big = vmem_malloc(Vmp, POOL_SIZE / 2);
	ck_assert_msg(big != NULL, "half the pool is not available after "
			"realloc(p, 0) loops");
	vmem_free(Vmp, big);
}
END_TEST

START_TEST(test_realloc_large_shrink_regrow)
{
	size_t big = 8 * TU_MIB, small = 2 * TU_MIB + 12345;
	void *p = vmem_malloc(Vmp, big);
	ck_assert_ptr_nonnull(p);
	tu_fill(p, big, 99);
	void *q = realloc_checked(p, big, small, 99);
	printf("realloc shrink 8 MiB -> 2 MiB: %s\n",
			q == p ? "in place" : "moved");
	void *r = realloc_checked(q, small, big, 99);
	printf("realloc grow back 2 MiB -> 8 MiB: %s\n",
			r == q ? "in place" : "moved");
	/* the re-grown tail is writable */
	memset((char *)r + small, 0x11, big - small);
	ck_assert_uint_eq(tu_verify(r, small, 99), small);
	/* grow a large object with free space after it, many times */
	size_t sz = 64 * TU_KIB;
	void *g = vmem_malloc(Vmp, sz);
	ck_assert_ptr_nonnull(g);
	tu_fill(g, sz, 5);
	while (sz < 32 * TU_MIB) {
		size_t nsz = sz + sz / 2 + 4096;
		g = realloc_checked(g, sz, nsz, 5);
		tu_fill(g, nsz, 5);
		sz = nsz;
	}
	while (sz > 100) {
		size_t nsz = sz / 3;
		g = realloc_checked(g, sz, nsz, 5);
		sz = nsz;
	}
	vmem_free(Vmp, g);
	vmem_free(Vmp, r);
}
END_TEST

START_TEST(test_realloc_small_large_boundary)
{
	/* 100 B -> 1 MiB -> 10 B and similar crossings */
	size_t paths[][3] = {
		{ 100, TU_MIB, 10 },
		{ 10, 64 * TU_KIB, 100 },
		{ 4000, 4 * TU_MIB, 4000 },
		{ 16 * TU_KIB, 8, 16 * TU_KIB },
		{ 3 * TU_MIB, 1, 3 * TU_MIB },
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		size_t *s = paths[i];
		void *p = vmem_malloc(Vmp, s[0]);
		ck_assert_ptr_nonnull(p);
		tu_fill(p, s[0], 1000 + i);
		p = realloc_checked(p, s[0], s[1], 1000 + i);
		tu_fill(p, s[1], 2000 + i);
		p = realloc_checked(p, s[1], s[2], 2000 + i);
		vmem_free(Vmp, p);
		ck_assert_int_eq(vmem_check(Vmp), 1);
	}
}
END_TEST

START_TEST(test_realloc_fail_keeps_object)
{
	void *p = vmem_malloc(Vmp, 1000);
	ck_assert_ptr_nonnull(p);
	tu_fill(p, 1000, 3);
	size_t huge[] = { POOL_SIZE * 2, SIZE_MAX / 2, SIZE_MAX - 4096,
			SIZE_MAX };
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		errno = 0;
		void *q = vmem_realloc(Vmp, p, huge[i]);
		int e = errno;
		ck_assert_msg(q == NULL, "realloc to %zu succeeded", huge[i]);
		ck_assert_int_eq(e, ENOMEM);
		ck_assert_uint_eq(tu_verify(p, 1000, 3), 1000);
		ck_assert_uint_ge(vmem_malloc_usable_size(Vmp, p), 1000);
	}
	vmem_free(Vmp, p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("realloc");
	TCase *tc = tu_tcase(s, "realloc", TU_TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_realloc_null);
	tcase_add_test(tc, test_realloc_grow_shrink);
	tcase_add_test(tc, test_realloc_same_size);
	tcase_add_test(tc, test_realloc_zero);
	tcase_add_test(tc, test_realloc_large_shrink_regrow);
	tcase_add_test(tc, test_realloc_small_large_boundary);
	tcase_add_test(tc, test_realloc_fail_keeps_object);
	return tu_run(s);
}
