/*
 * check_stats.c -- tests of vmem_check() (1 on fresh and used pools, -1 on
 * handles that are not live pools, including deleted ones) and of
 * vmem_stats_print() with its option letters, its output captured through
 * the print function of vmem_set_funcs(), the restoring of the default
 * output by vmem_set_funcs() with all NULL, and that the library's own
 * DRAM bookkeeping goes only through the functions given to
 * vmem_set_funcs() (nothing of another allocator is freed through them,
 * everything is freed once all pools are deleted).
 */
#include "testutil.h"

#define POOL_SIZE (64 * TU_MIB)

START_TEST(test_check_fresh_and_used)
{
	VMEM *vmp = tu_pool_create(POOL_SIZE);
	ck_assert_int_eq(vmem_check(vmp), 1);
	ck_assert_int_eq(vmem_check(vmp), 1);	/* read-only: same again */
	enum { N = 3000 };
	static void *p[N];
	for (int i = 0; i < N; i++) {
		p[i] = vmem_malloc(vmp, 1 + (size_t)(i * 37) % (i % 50 ? 3000 :
				300000));
		ck_assert_ptr_nonnull(p[i]);
	}
	ck_assert_int_eq(vmem_check(vmp), 1);
	for (int i = 0; i < N; i += 2)
		vmem_free(vmp, p[i]);
	ck_assert_int_eq(vmem_check(vmp), 1);
	for (int i = 1; i < N; i += 2)
		vmem_free(vmp, p[i]);
	ck_assert_int_eq(vmem_check(vmp), 1);
	vmem_delete(vmp);

	struct tu_region r;
	tu_region_map(&r, VMEM_MIN_POOL, 0);
	vmp = vmem_create_in_region(r.addr, r.size);
	ck_assert_ptr_nonnull(vmp);
	ck_assert_int_eq(vmem_check(vmp), 1);
	void *q = vmem_malloc(vmp, 5000);
	ck_assert_int_eq(vmem_check(vmp), 1);
	vmem_free(vmp, q);
	ck_assert_int_eq(vmem_check(vmp), 1);
	vmem_delete(vmp);
	tu_region_unmap(&r);
}
END_TEST

START_TEST(test_check_not_a_pool)
{
	static _Alignas(4096) unsigned char zeroes[64 * 1024];
	ck_assert_int_eq(vmem_check((VMEM *)zeroes), -1);
	ck_assert_int_eq(vmem_check((VMEM *)(zeroes + 4096)), -1);
	ck_assert(tu_all_bytes(zeroes, sizeof(zeroes), 0));	/* read-only */
	/* memory that looks used but is no pool */
	static _Alignas(4096) unsigned char junk[64 * 1024];
	tu_fill(junk, sizeof(junk), 77);
	ck_assert_int_eq(vmem_check((VMEM *)junk), -1);
	ck_assert_uint_eq(tu_verify(junk, sizeof(junk), 77), sizeof(junk));
	/* a pointer inside a live pool is not its handle */
	VMEM *vmp = tu_pool_create(VMEM_MIN_POOL);
	void *obj = vmem_malloc(vmp, 100);
	ck_assert_ptr_nonnull(obj);
	ck_assert_int_eq(vmem_check((VMEM *)obj), -1);
	ck_assert_int_eq(vmem_check((VMEM *)((char *)vmp + 4096)), -1);
	ck_assert_int_eq(vmem_check(vmp), 1);
	vmem_free(vmp, obj);
	vmem_delete(vmp);
}
END_TEST

START_TEST(test_check_null)
{
	ck_assert_int_eq(vmem_check(NULL), -1);
}
END_TEST

/* a deleted file-backed pool: its memory is gone; the registry says no */
START_TEST(test_check_deleted_file_pool)
{
	VMEM *vmp = tu_pool_create(VMEM_MIN_POOL);
	VMEM *keep = tu_pool_create(VMEM_MIN_POOL);
	ck_assert_int_eq(vmem_check(vmp), 1);
	vmem_delete(vmp);
	ck_assert_int_eq(vmem_check(vmp), -1);
	ck_assert_int_eq(vmem_check(keep), 1);
	vmem_delete(keep);
	ck_assert_int_eq(vmem_check(keep), -1);
}
END_TEST

/* a deleted region pool: the memory is still mapped, but no pool */
START_TEST(test_check_deleted_region_pool)
{
	struct tu_region r;
	tu_region_map(&r, VMEM_MIN_POOL, 0);
	VMEM *vmp = vmem_create_in_region(r.addr, r.size);
	ck_assert_ptr_nonnull(vmp);
	void *p = vmem_malloc(vmp, 1000);
	ck_assert_ptr_nonnull(p);
	vmem_free(vmp, p);
	vmem_delete(vmp);
	ck_assert_int_eq(vmem_check(vmp), -1);
	/* a new pool in the same place is live again */
	VMEM *again = vmem_create_in_region(r.addr, r.size);
	ck_assert_ptr_nonnull(again);
	ck_assert_int_eq(vmem_check(again), 1);
	vmem_delete(again);
	ck_assert_int_eq(vmem_check(again), -1);
	tu_region_unmap(&r);
}
END_TEST

/* ---- vmem_stats_print ---------------------------------------------- */

static char *Out;
static size_t Outlen, Outcap;
static unsigned long Calls;

static void
capture(const char *s)
{
	Calls++;
	if (s == NULL)
		return;
	size_t n = strlen(s);
	if (Outlen + n + 1 > Outcap) {
		size_t cap = (Outlen + n + 1) * 2;
		char *o = realloc(Out, cap);
		if (o == NULL)
			abort();
		Out = o;
		Outcap = cap;
	}
	memcpy(Out + Outlen, s, n + 1);
	Outlen += n;
}

/* the stats output for opts, captured */
static char *
stats(VMEM *vmp, const char *opts)
{
	Outlen = 0;
	if (Out != NULL)
		Out[0] = '\0';
	vmem_stats_print(vmp, opts);
	return strdup(Out != NULL ? Out : "");
}

static VMEM *Svmp;
static void *Sobj[600];

static void
stats_setup(void)
{
	Svmp = tu_pool_create(POOL_SIZE);
	/* small and large objects, some freed, so every section has data */
	for (int i = 0; i < 600; i++) {
		Sobj[i] = vmem_malloc(Svmp, i % 60 == 0 ? 100000 +
				(size_t)i * 1000 : 8 + (size_t)i * 3);
		ck_assert_ptr_nonnull(Sobj[i]);
	}
	for (int i = 0; i < 600; i += 3) {
		vmem_free(Svmp, Sobj[i]);
		Sobj[i] = NULL;
	}
	vmem_set_funcs(NULL, NULL, NULL, NULL, capture);
}

static void
stats_teardown(void)
{
	vmem_set_funcs(NULL, NULL, NULL, NULL, NULL);
	for (int i = 0; i < 600; i++)
		vmem_free(Svmp, Sobj[i]);
	ck_assert_int_eq(vmem_check(Svmp), 1);
	vmem_delete(Svmp);
	free(Out);
	Out = NULL;
	Outlen = Outcap = 0;
}

START_TEST(test_stats_full)
{
	char *a = stats(Svmp, NULL);
	ck_assert_msg(strlen(a) > 0, "vmem_stats_print(NULL) printed nothing "
			"through the print function");
	ck_assert_uint_gt(Calls, 0);
	char *b = stats(Svmp, "");
	ck_assert_uint_gt(strlen(b), 0);
	printf("---- vmem_stats_print(vmp, NULL): %zu bytes\n%.3000s\n----\n",
			strlen(a), a);
	/* nothing changed in between: the same report */
	ck_assert_str_eq(a, b);
	/* unknown letters are ignored */
	char *c = stats(Svmp, "xyzQ?!");
	ck_assert_str_eq(a, c);
	free(a);
	free(b);
	free(c);
	ck_assert_int_eq(vmem_check(Svmp), 1);
}
END_TEST

START_TEST(test_stats_options)
{
	char *full = stats(Svmp, NULL);
	size_t lf = strlen(full);
	ck_assert_uint_gt(lf, 0);
	const char *single[] = { "g", "m", "a", "b", "l" };
	size_t len[5];
	for (int i = 0; i < 5; i++) {
		char *o = stats(Svmp, single[i]);
		len[i] = strlen(o);
		printf("stats \"%s\": %zu of %zu bytes\n", single[i], len[i],
				lf);
		ck_assert_msg(len[i] <= lf, "option \"%s\" made the output "
				"longer", single[i]);
		free(o);
	}
	ck_assert_msg(len[0] < lf, "\"g\" does not omit general information");
	ck_assert_msg(len[3] < lf, "\"b\" does not omit bin statistics");
	ck_assert_msg(len[4] < lf, "\"l\" does not omit large statistics");
	char *ma = stats(Svmp, "ma");
	ck_assert_msg(strlen(ma) < lf, "\"ma\" omits neither merged nor "
			"per-arena statistics");
	free(ma);
	/* combined letters remove more */
	char *g = stats(Svmp, "g");
	char *gb = stats(Svmp, "gb");
	char *all = stats(Svmp, "gmablx");
	char *all2 = stats(Svmp, "xlbamg");
	printf("---- vmem_stats_print(vmp, \"gmablx\"): %zu bytes\n%.3000s\n----\n",
			strlen(all), all);
	ck_assert_uint_lt(strlen(gb), strlen(g));
	ck_assert_uint_lt(strlen(all), strlen(g));
	ck_assert_uint_le(strlen(all), strlen(gb));
	ck_assert_str_eq(all, all2);	/* order does not matter */
	free(g);
	free(gb);
	free(all);
	free(all2);
	free(full);
}
END_TEST

START_TEST(test_stats_default_restored)
{
	char *a = stats(Svmp, NULL);
	ck_assert_uint_gt(strlen(a), 0);
	free(a);
	vmem_set_funcs(NULL, NULL, NULL, NULL, NULL);
	unsigned long calls = Calls;
	Outlen = 0;
	vmem_stats_print(Svmp, NULL);	/* to stderr now */
	vmem_stats_print(Svmp, "gmabl");
	ck_assert_msg(Calls == calls && Outlen == 0, "the print function was "
			"still called after vmem_set_funcs(NULL, ...)");
	/* and it can be set again */
	vmem_set_funcs(NULL, NULL, NULL, NULL, capture);
	a = stats(Svmp, "");
	ck_assert_uint_gt(strlen(a), 0);
	free(a);
}
END_TEST

/* stats of an empty pool and of a region pool work too */
START_TEST(test_stats_empty_and_region)
{
	VMEM *e = tu_pool_create(VMEM_MIN_POOL);
	char *a = stats(e, NULL);
	ck_assert_uint_gt(strlen(a), 0);
	free(a);
	vmem_delete(e);
	struct tu_region r;
	tu_region_map(&r, VMEM_MIN_POOL, 0);
	e = vmem_create_in_region(r.addr, r.size);
	ck_assert_ptr_nonnull(e);
	void *p = vmem_malloc(e, 123);
	a = stats(e, NULL);
	ck_assert_uint_gt(strlen(a), 0);
	free(a);
	vmem_free(e, p);
	ck_assert_int_eq(vmem_check(e), 1);
	vmem_delete(e);
	tu_region_unmap(&r);
}
END_TEST

/* ---- vmem_set_funcs: the library's own DRAM goes through our functions */

#define HDR 16
#define MAGIC 0x766d656d2d747374ULL

static long Mallocs, Frees, ForeignFrees;

static void *
my_malloc(size_t n)
{
	unsigned char *p = malloc(n + HDR);
	if (p == NULL)
		return NULL;
	uint64_t m = MAGIC;
	memcpy(p, &m, 8);
	Mallocs++;
	return p + HDR;
}

static int
is_mine(void *ptr)
{
	uint64_t m;
	memcpy(&m, (unsigned char *)ptr - HDR, 8);
	return m == MAGIC;
}

static void
my_free(void *ptr)
{
	if (ptr == NULL)
		return;
	if (!is_mine(ptr)) {
		ForeignFrees++;	/* not ours: leak it rather than crash */
		return;
	}
	unsigned char *p = (unsigned char *)ptr - HDR;
	memset(p, 0, 8);
	Frees++;
	free(p);
}

static void *
my_realloc(void *ptr, size_t n)
{
	if (ptr == NULL)
		return my_malloc(n);
	if (!is_mine(ptr)) {
		ForeignFrees++;
		return NULL;
	}
	unsigned char *p = realloc((unsigned char *)ptr - HDR, n + HDR);
	return p == NULL ? NULL : p + HDR;
}

static char *
my_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = my_malloc(n);
	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

START_TEST(test_set_funcs_used)
{
	vmem_set_funcs(my_malloc, my_free, my_realloc, my_strdup, capture);
	for (int round = 0; round < 3; round++) {
		VMEM *a = tu_pool_create(VMEM_MIN_POOL);
		struct tu_region r;
		tu_region_map(&r, VMEM_MIN_POOL, 0);
		VMEM *b = vmem_create_in_region(r.addr, r.size);
		ck_assert_ptr_nonnull(b);
		void *p = vmem_malloc(a, 100), *q = vmem_malloc(b, 5 * TU_MIB);
		ck_assert(p != NULL && q != NULL);
		char *st = stats(a, NULL);
		ck_assert_uint_gt(strlen(st), 0);
		free(st);
		vmem_free(a, p);
		vmem_free(b, q);
		ck_assert_int_eq(vmem_check(a), 1);
		ck_assert_int_eq(vmem_check(b), 1);
		vmem_delete(a);
		vmem_delete(b);
		tu_region_unmap(&r);
	}
	vmem_set_funcs(NULL, NULL, NULL, NULL, NULL);
	printf("set_funcs: %ld mallocs, %ld frees through the given "
			"functions\n", Mallocs, Frees);
	ck_assert_msg(ForeignFrees == 0, "the free/realloc function got %ld "
			"pointers that the malloc function did not make",
			ForeignFrees);
	ck_assert_msg(Mallocs == Frees, "after deleting every pool, %ld of "
			"%ld allocations made through malloc_func are not freed",
			Mallocs - Frees, Mallocs);
	free(Out);
	Out = NULL;
	Outlen = Outcap = 0;
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("check_stats");
	TCase *tc = tu_tcase(s, "check", TU_TIMEOUT);
	tcase_add_test(tc, test_check_fresh_and_used);
	tcase_add_test(tc, test_check_not_a_pool);
	tcase_add_test(tc, test_check_null);
	tcase_add_test(tc, test_check_deleted_file_pool);
	tcase_add_test(tc, test_check_deleted_region_pool);
	tcase_add_test(tc, test_set_funcs_used);
	tc = tu_tcase(s, "stats", TU_TIMEOUT);
	tcase_add_checked_fixture(tc, stats_setup, stats_teardown);
	tcase_add_test(tc, test_stats_full);
	tcase_add_test(tc, test_stats_options);
	tcase_add_test(tc, test_stats_default_restored);
	tcase_add_test(tc, test_stats_empty_and_region);
	return tu_run(s);
}
