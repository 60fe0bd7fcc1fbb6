/*
 * extent.c -- unit tests of the best-fit extent manager (src/large):
 * best-fit order, lowest address on ties, coalescing, alignment with the
 * padding given back, in-place resize, and a randomized run against a
 * brute-force model of best fit.
 */
#include "unit.h"

static run_t *
xalloc(struct bare *b, size_t npages, size_t align)
{
	return extents_alloc(&b->ex, &b->rg, npages, align, RUN_LARGE);
}

START_TEST(test_starts_as_one_free_run)
{
	struct bare b;
	bare_init(&b, 4096);
	uint64_t fp;
	ck_assert_uint_eq(bare_walk(&b, &fp), 1);
	ck_assert_uint_eq(fp, b.rg.npages - b.rg.data_first);
	run_t *r = xalloc(&b, 1, VM_PAGE);
	ck_assert_uint_eq(bare_page(&b, r), b.rg.data_first);
	ck_assert_uint_eq(r->kind, RUN_LARGE);
	extents_free(&b.ex, &b.rg, r);
	ck_assert_uint_eq(bare_walk(&b, &fp), 1);
	bare_fini(&b);
}
END_TEST

/*
 * Lays out  [hole 3][A][hole 5][B][hole 2][C][hole 4][D][hole 4][E][rest]
 * and checks each request lands in the smallest hole that fits.
 */
START_TEST(test_best_fit_order)
{
	struct bare b;
	bare_init(&b, 4096);
	const uint32_t holes[] = { 3, 5, 2, 4, 4 };
	run_t *h[5], *sep[5];
	for (int i = 0; i < 5; i++) {
		h[i] = xalloc(&b, holes[i], VM_PAGE);
		sep[i] = xalloc(&b, 1, VM_PAGE);
	}
	uint32_t hp[5];
	for (int i = 0; i < 5; i++) {
		hp[i] = bare_page(&b, h[i]);
		extents_free(&b.ex, &b.rg, h[i]);
	}
	ck_assert_uint_eq(bare_walk(&b, NULL), 6);
	ck_assert_uint_eq(bare_page(&b, xalloc(&b, 2, VM_PAGE)), hp[2]);
	ck_assert_uint_eq(bare_page(&b, xalloc(&b, 1, VM_PAGE)), hp[0]);
	/* two holes of 4: the lower address wins */
	ck_assert_uint_eq(bare_page(&b, xalloc(&b, 4, VM_PAGE)), hp[3]);
	ck_assert_uint_eq(bare_page(&b, xalloc(&b, 4, VM_PAGE)), hp[4]);
	/* 5 is now the smallest hole that holds 3 (the first hole has 2) */
	ck_assert_uint_eq(bare_page(&b, xalloc(&b, 3, VM_PAGE)), hp[1]);
	/* 2 fits the rest of the first hole exactly */
	ck_assert_uint_eq(bare_page(&b, xalloc(&b, 2, VM_PAGE)), hp[0] + 1);
	bare_walk(&b, NULL);
	(void)sep;
	bare_fini(&b);
}
END_TEST

START_TEST(test_coalescing)
{
	struct bare b;
	bare_init(&b, 4096);
	run_t *a = xalloc(&b, 7, VM_PAGE);
	run_t *m = xalloc(&b, 9, VM_PAGE);
	run_t *c = xalloc(&b, 11, VM_PAGE);
	run_t *guard = xalloc(&b, 1, VM_PAGE);
	uint32_t pa = bare_page(&b, a);
	extents_free(&b.ex, &b.rg, a);
	extents_free(&b.ex, &b.rg, c);
	ck_assert_uint_eq(bare_walk(&b, NULL), 3);	/* a, c, the rest */
	extents_free(&b.ex, &b.rg, m);		/* merges with both sides */
	ck_assert_uint_eq(bare_walk(&b, NULL), 2);
	run_t *whole = region_run(&b.rg, pa);
	ck_assert_uint_eq(whole->kind, RUN_FREE);
	ck_assert_uint_eq(whole->npages, 27);
	/* the merged records in the middle no longer start runs */
	ck_assert_uint_eq(region_run(&b.rg, pa + 7)->kind, RUN_NONE);
	ck_assert_uint_eq(region_run(&b.rg, pa + 16)->kind, RUN_NONE);
	extents_free(&b.ex, &b.rg, guard);
	ck_assert_uint_eq(bare_walk(&b, NULL), 1);
	bare_fini(&b);
}
END_TEST

START_TEST(test_alignment_trims_padding)
{
	struct bare b;
	bare_init(&b, 8192);	/* 32 MiB */
	uint64_t total;
	bare_walk(&b, &total);
	run_t *small = xalloc(&b, 1, VM_PAGE);
	for (size_t align = 2 * VM_PAGE; align <= 8 * 1024 * 1024; align *= 2) {
		run_t *r = xalloc(&b, 3, align);
		ck_assert_ptr_nonnull(r);
		uintptr_t addr = (uintptr_t)region_addr(&b.rg, bare_page(&b, r));
		ck_assert_uint_eq(addr % align, 0);
		uint64_t fp;
		bare_walk(&b, &fp);
		/* only the object and the first page are not free */
		ck_assert_uint_eq(fp, total - 3 - 1);
		extents_free(&b.ex, &b.rg, r);
	}
	extents_free(&b.ex, &b.rg, small);
	ck_assert_uint_eq(bare_walk(&b, NULL), 1);
	bare_fini(&b);
}
END_TEST

START_TEST(test_resize_in_place)
{
	struct bare b;
	bare_init(&b, 4096);
	run_t *r = xalloc(&b, 10, VM_PAGE);
	run_t *next = xalloc(&b, 5, VM_PAGE);
	run_t *guard = xalloc(&b, 1, VM_PAGE);
	/* the neighbour is taken: no growth */
	ck_assert(!extents_resize(&b.ex, &b.rg, r, 12));
	extents_free(&b.ex, &b.rg, next);
	ck_assert(extents_resize(&b.ex, &b.rg, r, 12));
	ck_assert_uint_eq(r->npages, 12);
	ck_assert_uint_eq(bare_walk(&b, NULL), 2);	/* 3 left + the rest */
	ck_assert(extents_resize(&b.ex, &b.rg, r, 15));	/* exactly all */
	ck_assert_uint_eq(bare_walk(&b, NULL), 1);
	ck_assert(!extents_resize(&b.ex, &b.rg, r, 16));
	ck_assert(extents_resize(&b.ex, &b.rg, r, 2));	/* shrink */
	ck_assert_uint_eq(bare_walk(&b, NULL), 2);
	ck_assert_uint_eq(region_run(&b.rg, bare_page(&b, r) + 2)->npages, 13);
	extents_free(&b.ex, &b.rg, r);
	extents_free(&b.ex, &b.rg, guard);
	ck_assert_uint_eq(bare_walk(&b, NULL), 1);
	bare_fini(&b);
}
END_TEST

START_TEST(test_exhaustion)
{
	struct bare b;
	bare_init(&b, 1024);
	uint32_t data = b.rg.npages - b.rg.data_first;
	ck_assert_ptr_null(xalloc(&b, data + 1, VM_PAGE));
	run_t *all = xalloc(&b, data, VM_PAGE);
	ck_assert_ptr_nonnull(all);
	ck_assert_ptr_null(xalloc(&b, 1, VM_PAGE));
	ck_assert_uint_eq(bare_walk(&b, NULL), 0);
	extents_free(&b.ex, &b.rg, all);
	ck_assert_uint_eq(bare_walk(&b, NULL), 1);
	ck_assert_ptr_null(xalloc(&b, 0, VM_PAGE));
	bare_fini(&b);
}
END_TEST

/* brute force: the best fit over the runs, by walking them */
static uint32_t
model_best_fit(struct bare *b, uint32_t npages)
{
	uint32_t best = 0, best_len = UINT32_MAX;
	for (uint32_t p = b->rg.data_first; p < b->rg.npages;) {
		run_t *r = region_run(&b->rg, p);
		if (r->kind == RUN_FREE && r->npages >= npages &&
				r->npages < best_len) {
			best = p;
			best_len = r->npages;
		}
		p += r->npages;
	}
	return best;
}

START_TEST(test_random_against_model)
{
	struct bare b;
	bare_init(&b, 16384);
	run_t *live[512] = { 0 };
	uint64_t x = 88172645463325252ull;
	for (int step = 0; step < 20000; step++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		unsigned slot = (unsigned)(x % 512);
		if (live[slot] != NULL) {
			extents_free(&b.ex, &b.rg, live[slot]);
			live[slot] = NULL;
		} else {
			uint32_t n = 1 + (uint32_t)((x >> 20) % 64);
			uint32_t want = model_best_fit(&b, n);
			live[slot] = xalloc(&b, n, VM_PAGE);
			if (want == 0)
				ck_assert_ptr_null(live[slot]);
			else
				ck_assert_uint_eq(bare_page(&b, live[slot]), want);
		}
		if (step % 997 == 0)
			bare_walk(&b, NULL);
	}
	for (int i = 0; i < 512; i++)
		if (live[i] != NULL)
			extents_free(&b.ex, &b.rg, live[i]);
	ck_assert_uint_eq(bare_walk(&b, NULL), 1);
	bare_fini(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("extent");
	TCase *tc = tu_tcase(s, "extent", 120);
	tcase_add_test(tc, test_starts_as_one_free_run);
	tcase_add_test(tc, test_best_fit_order);
	tcase_add_test(tc, test_coalescing);
	tcase_add_test(tc, test_alignment_trims_padding);
	tcase_add_test(tc, test_resize_in_place);
	tcase_add_test(tc, test_exhaustion);
	tcase_add_test(tc, test_random_against_model);
	return tu_run(s);
}
