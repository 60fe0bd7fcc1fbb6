/*
 * alloc.c -- tests of object allocation: vmem_malloc() of size 0, the
 * 16-byte alignment of every object, vmem_malloc_usable_size(), sizes from
 * 1 B to 64 MiB filled and verified byte by byte, objects never overlapping,
 * vmem_calloc() zeroing (also of reused, dirtied memory) and its overflow
 * check, vmem_strdup() and vmem_wcsdup().
 */
#include <wchar.h>

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

/* allocates size bytes and checks alignment and usable size */
static void *
alloc_checked(size_t size)
{
	void *p = vmem_malloc(Vmp, size);
	ck_assert_msg(p != NULL, "vmem_malloc(%zu): %s", size,
			vmem_errormsg());
	ck_assert_msg(tu_is_aligned(p, 16), "vmem_malloc(%zu) = %p is not "
			"16-byte aligned", size, p);
	size_t us = vmem_malloc_usable_size(Vmp, p);
	ck_assert_msg(us >= size, "usable size %zu < requested %zu", us,
			size);
	return p;
}

START_TEST(test_malloc_zero)
{
	void *a = vmem_malloc(Vmp, 0);
	void *b = vmem_malloc(Vmp, 0);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_ne(a, b);
	ck_assert(tu_is_aligned(a, 16) && tu_is_aligned(b, 16));
	/* many more are all distinct as long as they live */
	enum { N = 1000 };
	struct tu_span sp[N];
	for (int i = 0; i < N; i++) {
		void *p = vmem_malloc(Vmp, 0);
		ck_assert_ptr_nonnull(p);
		sp[i].lo = (uintptr_t)p;
		sp[i].hi = (uintptr_t)p + 1;
	}
	ck_assert_int_eq(tu_spans_overlap(sp, N), -1);
	for (int i = 0; i < N; i++) {
		ck_assert(sp[i].lo != (uintptr_t)a && sp[i].lo != (uintptr_t)b);
		vmem_free(Vmp, (void *)sp[i].lo);
	}
	vmem_free(Vmp, a);
	vmem_free(Vmp, b);
	ck_assert_int_eq(vmem_check(Vmp), 1);
}
END_TEST

START_TEST(test_usable_size)
{
	ck_assert_uint_eq(vmem_malloc_usable_size(Vmp, NULL), 0);
	for (size_t sz = 0; sz <= 20000; sz += sz < 300 ? 1 : 97) {
		unsigned char *p = alloc_checked(sz);
		size_t us = vmem_malloc_usable_size(Vmp, p);
		/* the whole usable size may be written (ASan would object) */
		memset(p, 0xc3, us);
		ck_assert(tu_all_bytes(p, us, 0xc3));
		/* asking again gives the same answer */
		ck_assert_uint_eq(vmem_malloc_usable_size(Vmp, p), us);
		vmem_free(Vmp, p);
	}
}
END_TEST

/* allocates, fills and verifies each size, keeping a batch alive at once */
static void
sizes_batch(const size_t *sizes, size_t n)
{
	void **p = malloc(n * sizeof(*p));
	struct tu_span *sp = malloc(n * sizeof(*sp));
	ck_assert(p != NULL && sp != NULL);
	for (size_t i = 0; i < n; i++) {
		p[i] = alloc_checked(sizes[i]);
		tu_fill(p[i], sizes[i], sizes[i] * 31 + i);
		sp[i].lo = (uintptr_t)p[i];
		sp[i].hi = (uintptr_t)p[i] + (sizes[i] ? sizes[i] : 1);
	}
	for (size_t i = 0; i < n; i++) {
		size_t bad = tu_verify(p[i], sizes[i], sizes[i] * 31 + i);
		ck_assert_msg(bad == sizes[i], "object of %zu bytes corrupt at "
				"offset %zu", sizes[i], bad);
	}
	ck_assert_msg(tu_spans_overlap(sp, n) == -1, "live objects overlap");
	for (size_t i = 0; i < n; i++)
		vmem_free(Vmp, p[i]);
	free(p);
	free(sp);
}

START_TEST(test_sizes_small)
{
	/* every size up to 1 KiB, then steps up to 8 KiB */
	size_t sizes[1024 + 512];
	size_t n = 0;
	for (size_t s = 1; s <= 1024; s++)
		sizes[n++] = s;
	for (size_t s = 1024 + 24; s <= 8 * TU_KIB; s += 24)
		sizes[n++] = s;
	ck_assert_uint_le(n, sizeof(sizes) / sizeof(sizes[0]));
	sizes_batch(sizes, n);
	ck_assert_int_eq(vmem_check(Vmp), 1);
	/* and once more, the memory now reused */
	sizes_batch(sizes, n);
}
END_TEST

START_TEST(test_sizes_large)
{
	/* 16 KiB .. 64 MiB, powers of two and odd sizes around them */
	for (size_t s = 16 * TU_KIB; s <= 64 * TU_MIB; s *= 2) {
		size_t sizes[] = { s, s - 1, s + 1, s + s / 3 + 7 };
		size_t n = s == 64 * TU_MIB ? 2 : 4;	/* stay <= 64 MiB */
		for (size_t i = 0; i < n; i++) {
			unsigned char *p = alloc_checked(sizes[i]);
			tu_fill(p, sizes[i], sizes[i]);
			size_t bad = tu_verify(p, sizes[i], sizes[i]);
			ck_assert_msg(bad == sizes[i], "object of %zu bytes "
					"corrupt at %zu", sizes[i], bad);
			vmem_free(Vmp, p);
		}
	}
	ck_assert_int_eq(vmem_check(Vmp), 1);
	/* a batch of mid-size objects alive together */
	size_t sizes[64];
	for (size_t i = 0; i < 64; i++)
		sizes[i] = 16 * TU_KIB + i * 40961;
	sizes_batch(sizes, 64);
}
END_TEST

START_TEST(test_free_null)
{
	vmem_free(Vmp, NULL);
	ck_assert_int_eq(vmem_check(Vmp), 1);
	void *p = alloc_checked(100);
	vmem_free(Vmp, NULL);
	tu_fill(p, 100, 7);
	ck_assert_uint_eq(tu_verify(p, 100, 7), 100);
	vmem_free(Vmp, p);
}
END_TEST

START_TEST(test_calloc_zeroed)
{
	size_t sizes[] = { 1, 8, 16, 24, 100, 1000, 4096, 5000, 40000,
			300 * TU_KIB, 2 * TU_MIB + 3 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t sz = sizes[i];
		for (int round = 0; round < 20; round++) {
			/* dirty memory of this size, free it, calloc */
			void *d[8];
			for (int k = 0; k < 8; k++) {
				d[k] = alloc_checked(sz);
				memset(d[k], 0xff,
						vmem_malloc_usable_size(Vmp, d[k]));
			}
			for (int k = 0; k < 8; k++)
				vmem_free(Vmp, d[k]);
			for (int k = 0; k < 8; k++) {
				d[k] = vmem_calloc(Vmp, 1, sz);
				ck_assert_ptr_nonnull(d[k]);
				ck_assert(tu_is_aligned(d[k], 16));
				ck_assert_msg(tu_all_bytes(d[k], sz, 0),
						"calloc(1, %zu) not zeroed", sz);
				memset(d[k], 0xff, sz);
			}
			for (int k = 0; k < 8; k++)
				vmem_free(Vmp, d[k]);
		}
	}
	/* nmemb * size form */
	unsigned *a = vmem_calloc(Vmp, 1000, sizeof(unsigned));
	ck_assert_ptr_nonnull(a);
	for (int i = 0; i < 1000; i++)
		ck_assert_uint_eq(a[i], 0);
	ck_assert_uint_ge(vmem_malloc_usable_size(Vmp, a),
			1000 * sizeof(unsigned));
	vmem_free(Vmp, a);
	/* zero elements: a valid, freeable object or NULL */
	void *z = vmem_calloc(Vmp, 0, 16);
	vmem_free(Vmp, z);
	z = vmem_calloc(Vmp, 16, 0);
	vmem_free(Vmp, z);
}
END_TEST

START_TEST(test_calloc_overflow)
{
	struct { size_t n, s; } c[] = {
		{ SIZE_MAX, 2 },
		{ 2, SIZE_MAX },
		{ SIZE_MAX / 2 + 1, 2 },
		{ (size_t)1 << (sizeof(size_t) * 4), (size_t)1 <<
				(sizeof(size_t) * 4) },
		{ SIZE_MAX / 16 + 1, 16 },
		{ SIZE_MAX, SIZE_MAX },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		errno = 0;
		void *p = vmem_calloc(Vmp, c[i].n, c[i].s);
		int e = errno;
		ck_assert_msg(p == NULL, "calloc(%zu, %zu) did not fail",
				c[i].n, c[i].s);
		ck_assert_msg(e == ENOMEM, "calloc(%zu, %zu): errno %d, "
				"expected ENOMEM", c[i].n, c[i].s, e);
	}
	ck_assert_int_eq(vmem_check(Vmp), 1);
}
END_TEST

START_TEST(test_strdup)
{
	const char *strs[] = { "", "a", "hello, pool",
			"a somewhat longer string that needs more than one "
			"small size class to be stored in the pool, surely" };
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		char *d = vmem_strdup(Vmp, strs[i]);
		ck_assert_ptr_nonnull(d);
		ck_assert_ptr_ne(d, strs[i]);
		ck_assert_str_eq(d, strs[i]);
		ck_assert_uint_ge(vmem_malloc_usable_size(Vmp, d),
				strlen(strs[i]) + 1);
		d[0] = 'X';	/* separate memory */
		ck_assert(strs[i][0] != 'X');
		vmem_free(Vmp, d);
	}
	/* a long one */
	size_t len = 100000;
	char *big = malloc(len + 1);
	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < len; i++)
		big[i] = (char)('a' + i % 26);
	big[len] = '\0';
	char *d = vmem_strdup(Vmp, big);
	ck_assert_ptr_nonnull(d);
	ck_assert(strcmp(d, big) == 0);
	ck_assert_uint_ge(vmem_malloc_usable_size(Vmp, d), len + 1);
	vmem_free(Vmp, d);
	free(big);
}
END_TEST

START_TEST(test_wcsdup)
{
	const wchar_t *strs[] = { L"", L"w", L"wide \u00e9t\u00e9 string",
			L"another wide string, long enough to leave the tiniest "
			L"size classes behind" };
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		wchar_t *d = vmem_wcsdup(Vmp, strs[i]);
		ck_assert_ptr_nonnull(d);
		ck_assert_ptr_ne(d, strs[i]);
		ck_assert(wcscmp(d, strs[i]) == 0);
		size_t need = (wcslen(strs[i]) + 1) * sizeof(wchar_t);
		ck_assert_uint_ge(vmem_malloc_usable_size(Vmp, d), need);
		d[0] = L'X';
		ck_assert(strs[i][0] != L'X');
		vmem_free(Vmp, d);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("alloc");
	TCase *tc = tu_tcase(s, "malloc", TU_TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_malloc_zero);
	tcase_add_test(tc, test_usable_size);
	tcase_add_test(tc, test_sizes_small);
	tcase_add_test(tc, test_sizes_large);
	tcase_add_test(tc, test_free_null);
	tc = tu_tcase(s, "calloc", TU_TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_calloc_zeroed);
	tcase_add_test(tc, test_calloc_overflow);
	tc = tu_tcase(s, "strdup", TU_TIMEOUT);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_strdup);
	tcase_add_test(tc, test_wcsdup);
	return tu_run(s);
}
