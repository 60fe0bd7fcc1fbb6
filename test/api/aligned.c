/*
 * aligned.c -- tests of vmem_aligned_alloc(): every power-of-two alignment
 * from 1 B to 1 GiB (in a 3 GiB pool made with vmem_create_in_region() over
 * a MAP_NORESERVE mapping, so little memory is really used), alignments that
 * are not powers of two (EINVAL), alignment 0, sizes that cannot be served
 * (ENOMEM), and that repeated large-alignment allocations do not leak space.
 */
#include "testutil.h"

#define BIG_POOL (3 * TU_GIB)
#define SMALL_POOL (64 * TU_MIB)

static struct tu_region Reg;
static VMEM *Vmp;

static void
setup_big(void)
{
	tu_region_map(&Reg, BIG_POOL, MAP_NORESERVE);
	Vmp = vmem_create_in_region(Reg.addr, Reg.size);
	ck_assert_msg(Vmp != NULL, "vmem_create_in_region(3 GiB): %s",
			vmem_errormsg());
}

static void
setup_small(void)
{
	tu_region_map(&Reg, SMALL_POOL, 0);
	Vmp = vmem_create_in_region(Reg.addr, Reg.size);
	ck_assert_msg(Vmp != NULL, "vmem_create_in_region: %s",
			vmem_errormsg());
}

static void
teardown(void)
{
	ck_assert_int_eq(vmem_check(Vmp), 1);
	vmem_delete(Vmp);
	tu_region_unmap(&Reg);
}

/* an aligned allocation that must succeed; touches its ends */
static void *
aligned_checked(size_t a, size_t size)
{
	void *p = vmem_aligned_alloc(Vmp, a, size);
	ck_assert_msg(p != NULL, "aligned_alloc(%zu, %zu): %s", a, size,
			vmem_errormsg());
	ck_assert_msg(tu_is_aligned(p, a), "aligned_alloc(%zu, %zu) = %p",
			a, size, p);
	ck_assert_msg(tu_is_aligned(p, 16), "aligned_alloc(%zu, %zu) = %p "
			"not 16-byte aligned", a, size, p);
	ck_assert_uint_ge(vmem_malloc_usable_size(Vmp, p), size);
	ck_assert((uintptr_t)p >= (uintptr_t)Reg.addr &&
			(uintptr_t)p + size <= (uintptr_t)Reg.addr + Reg.size);
	unsigned char *b = p;
	if (size > 0) {
		size_t n = size < 64 ? size : 64;
		memset(b, 0x3c, n);
		b[size - 1] = 0x3d;
	}
	return p;
}

START_TEST(test_aligned_all_powers)
{
	for (size_t a = 1; a <= TU_GIB; a *= 2) {
		void *p = aligned_checked(a, 64);
		void *q = aligned_checked(a, 1);
		ck_assert_ptr_ne(p, q);
		/* the first bytes we wrote are still there */
		ck_assert(tu_all_bytes(p, 63, 0x3c));
		vmem_free(Vmp, q);
		vmem_free(Vmp, p);
		/* size == alignment, and an odd size above it */
		void *r = aligned_checked(a, a);
		vmem_free(Vmp, r);
		size_t odd = a + a / 2 + 1;
		if (odd > 1200 * TU_MIB)
			odd = a / 3;
		void *s = aligned_checked(a, odd);
		vmem_free(Vmp, s);
	}
	ck_assert_int_eq(vmem_check(Vmp), 1);
}
END_TEST

START_TEST(test_aligned_many_alive)
{
	/* several objects of each alignment alive at once never overlap */
	enum { PER = 8, NALIGN = 23 };	/* 1 B .. 4 MiB */
	struct tu_span sp[PER * NALIGN];
	size_t n = 0;
	for (size_t a = 1, k = 0; k < NALIGN; a *= 2, k++) {
		for (int i = 0; i < PER; i++) {
			size_t sz = 24 + (size_t)i * 1000;
			void *p = aligned_checked(a, sz);
			tu_fill(p, sz, (uint64_t)n);
			sp[n].lo = (uintptr_t)p;
			sp[n].hi = (uintptr_t)p + sz;
			sp[n].owner = (int)n;
			n++;
		}
	}
	for (size_t i = 0; i < n; i++) {
		size_t sz = sp[i].hi - sp[i].lo;
		ck_assert_uint_eq(tu_verify((void *)sp[i].lo, sz,
				(uint64_t)sp[i].owner), sz);
	}
	ck_assert_int_eq(tu_spans_overlap(sp, n), -1);
	for (size_t i = 0; i < n; i++)
		vmem_free(Vmp, (void *)sp[i].lo);
}
END_TEST

START_TEST(test_aligned_realloc)
{
	void *p = aligned_checked(4096, 3000);
	tu_fill(p, 3000, 8);
	void *q = vmem_realloc(Vmp, p, 100000);
	ck_assert_ptr_nonnull(q);
	ck_assert_uint_eq(tu_verify(q, 3000, 8), 3000);
	vmem_free(Vmp, q);
	p = aligned_checked(2 * TU_MIB, 5000);
	tu_fill(p, 5000, 9);
	q = vmem_realloc(Vmp, p, 200);
	ck_assert_ptr_nonnull(q);
	ck_assert_uint_eq(tu_verify(q, 200, 9), 200);
	vmem_free(Vmp, q);
}
END_TEST

START_TEST(test_aligned_not_power_of_two)
{
	size_t bad[] = { 3, 5, 6, 7, 12, 24, 48, 100, 1000, 4095, 4097,
			3 * TU_MIB, TU_GIB + 1, SIZE_MAX, SIZE_MAX / 2 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		void *p = vmem_aligned_alloc(Vmp, bad[i], 64);
		int e = errno;
		ck_assert_msg(p == NULL, "aligned_alloc(%zu) succeeded",
				bad[i]);
		ck_assert_msg(e == EINVAL, "aligned_alloc(%zu): errno %d, "
				"expected EINVAL", bad[i], e);
		ck_assert(vmem_errormsg()[0] != '\0');
	}
}
END_TEST

/* alignment 0: either EINVAL or a valid object; which one is printed */
START_TEST(test_aligned_zero)
{
	errno = 0;
	void *p = vmem_aligned_alloc(Vmp, 0, 64);
	int e = errno;
	if (p == NULL) {
		printf("aligned_alloc(0, 64): NULL, errno %d (%s)\n", e,
				strerror(e));
		ck_assert_int_eq(e, EINVAL);
	} else {
		printf("aligned_alloc(0, 64): a valid object %p\n", p);
		ck_assert(tu_is_aligned(p, 16));
		ck_assert_uint_ge(vmem_malloc_usable_size(Vmp, p), 64);
		memset(p, 1, 64);
		vmem_free(Vmp, p);
	}
}
END_TEST

START_TEST(test_aligned_too_big)
{
	struct { size_t a, s; } c[] = {
		{ 64, SIZE_MAX },
		{ 64, SIZE_MAX - 32 },
		{ 4096, BIG_POOL * 2 },
		{ (size_t)1 << 62, 64 },
		{ (size_t)1 << 63, 1 },
		{ 2 * TU_GIB, BIG_POOL },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		errno = 0;
		void *p = vmem_aligned_alloc(Vmp, c[i].a, c[i].s);
		int e = errno;
		ck_assert_msg(p == NULL, "aligned_alloc(%zu, %zu) succeeded",
				c[i].a, c[i].s);
		ck_assert_msg(e == ENOMEM, "aligned_alloc(%zu, %zu): errno %d "
				"(%s), expected ENOMEM", c[i].a, c[i].s, e,
				strerror(e));
	}
	/* the pool is intact */
	void *p = aligned_checked(TU_GIB, 100);
	vmem_free(Vmp, p);
}
END_TEST

START_TEST(test_aligned_no_leak)
{
	/* this thread's cache of the pool (a few pages of metadata that stay
	 * until the thread exits) is made before the first measurement */
	vmem_free(Vmp, vmem_malloc(Vmp, 64));
	size_t before = tu_max_alloc(Vmp, SMALL_POOL, 4096);
	printf("largest object in a %zu MiB pool: %zu KiB\n",
			SMALL_POOL / TU_MIB, before / TU_KIB);
	ck_assert_uint_gt(before, SMALL_POOL / 2);
	/* large alignments, each freed at once */
	for (int i = 0; i < 3000; i++) {
		size_t a = (size_t)1 << (12 + i % 11);	/* 4 KiB .. 4 MiB */
		size_t sz = 100 + (size_t)(i * 7919) % 300000;
		void *p = aligned_checked(a, sz);
		vmem_free(Vmp, p);
	}
	ck_assert_int_eq(vmem_check(Vmp), 1);
	/* interleaved: a window of live aligned objects */
	enum { WIN = 16 };
	void *win[WIN] = { 0 };
	for (int i = 0; i < 3000; i++) {
		size_t a = (size_t)1 << (6 + (i * 5) % 17);	/* 64 B..4 MiB */
		size_t sz = 1 + (size_t)(i * 104729) % 200000;
		vmem_free(Vmp, win[i % WIN]);
		win[i % WIN] = aligned_checked(a, sz);
	}
	for (int i = 0; i < WIN; i++)
		vmem_free(Vmp, win[i]);
	ck_assert_int_eq(vmem_check(Vmp), 1);
	size_t after = tu_max_alloc(Vmp, SMALL_POOL, 4096);
	printf("largest object afterwards: %zu KiB\n", after / TU_KIB);
	ck_assert_msg(after >= before, "space leaked: the largest object "
			"shrank from %zu to %zu bytes", before, after);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("aligned");
	TCase *tc = tu_tcase(s, "big", TU_TIMEOUT);
	tcase_add_checked_fixture(tc, setup_big, teardown);
	tcase_add_test(tc, test_aligned_all_powers);
	tcase_add_test(tc, test_aligned_many_alive);
	tcase_add_test(tc, test_aligned_realloc);
	tcase_add_test(tc, test_aligned_not_power_of_two);
	tcase_add_test(tc, test_aligned_zero);
	tcase_add_test(tc, test_aligned_too_big);
	tc = tu_tcase(s, "leak", TU_TIMEOUT);
	tcase_add_checked_fixture(tc, setup_small, teardown);
	tcase_add_test(tc, test_aligned_no_leak);
	return tu_run(s);
}
