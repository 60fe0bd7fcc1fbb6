/*
 * sizeclass.c -- unit tests of the size class table and of the slab
 * geometry each class gets (src/slab/sizeclass.c, slab.h).
 */
#include "testutil.h"
#include "slab/slab.h"

START_TEST(test_classes_ordered)
{
	sc_init();
	for (unsigned c = 0; c < SC_NCLASSES; c++) {
		ck_assert_uint_eq(sc_table[c].size, sc_class_size(c));
		ck_assert_uint_eq(sc_table[c].size % VM_MIN_ALIGN, 0);
		ck_assert_uint_eq(sc_class(sc_table[c].size), c);
		if (c > 0)
			ck_assert_uint_gt(sc_table[c].size, sc_table[c - 1].size);
	}
	ck_assert_uint_eq(sc_table[SC_NCLASSES - 1].size, SC_SMALL_MAX);
	ck_assert_uint_eq(sc_class(0), 0);
}
END_TEST

/* every small size maps to the smallest class that holds it, and above
 * 128 B no size wastes more than 12.5% of what it asked for */
START_TEST(test_every_size_fits_tightly)
{
	sc_init();
	double worst = 0;
	for (size_t s = 1; s <= SC_SMALL_MAX; s++) {
		unsigned c = sc_class(s);
		ck_assert_uint_lt(c, SC_NCLASSES);
		ck_assert_uint_ge(sc_table[c].size, s);
		if (c > 0)
			ck_assert_uint_lt(sc_table[c - 1].size, s);
		if (s > 128) {
			double waste = (double)(sc_table[c].size - s) / (double)s;
			ck_assert_msg(waste <= 0.125, "size %zu -> %u wastes %.3f",
					s, sc_table[c].size, waste);
			if (waste > worst)
				worst = waste;
		}
	}
	printf("sizeclass: worst waste above 128 B: %.1f%%\n", worst * 100);
}
END_TEST

START_TEST(test_slab_geometry)
{
	sc_init();
	for (unsigned c = 0; c < SC_NCLASSES; c++) {
		const sc_info_t *sc = &sc_table[c];
		size_t bytes = (size_t)sc->npages * VM_PAGE;
		ck_assert_uint_ge(sc->nobjs, 1);
		ck_assert_uint_le(sc->nobjs, SLAB_MAX_OBJS);
		ck_assert_uint_le((size_t)sc->nobjs * sc->size, bytes);
		ck_assert_uint_le(sc->npages, 32);
		/* the tail of a slab wastes at most 1/32 of it */
		ck_assert_msg((bytes - (size_t)sc->nobjs * sc->size) * 32 <= bytes,
				"class %u (%u B): %u objects in %u pages", c,
				sc->size, sc->nobjs, sc->npages);
	}
}
END_TEST

/* the multiply that turns an offset into an object index, and tells
 * whether an object starts there, is exact for every offset of every
 * slab (a slab is never longer than its class's) */
START_TEST(test_reciprocal_exact)
{
	sc_init();
	for (unsigned c = 0; c < SC_NCLASSES; c++) {
		const sc_info_t *sc = &sc_table[c];
		run_t run = { .npages = sc->npages, .kind = RUN_SLAB,
				.cls = (uint8_t)c, .divc = sc->divc };
		uint64_t wrong = 0, first_wrong = 0;
		for (uint64_t off = 0; off < sc->npages * VM_PAGE; off++) {
			unsigned idx = ~0u;
			bool starts = off % sc->size == 0;
			bool ok = slab_index_in(&run, off, &idx) == starts &&
					(!starts || idx == off / sc->size) &&
					sc_starts_object(c, off) == starts;
			if (!ok && wrong++ == 0)
				first_wrong = off;
		}
		ck_assert_msg(wrong == 0, "class %u (%u B): %llu offsets wrong, "
				"the first %llu", c, sc->size,
				(unsigned long long)wrong,
				(unsigned long long)first_wrong);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sizeclass");
	TCase *tc = tu_tcase(s, "table", 60);
	tcase_add_test(tc, test_classes_ordered);
	tcase_add_test(tc, test_every_size_fits_tightly);
	tcase_add_test(tc, test_slab_geometry);
	tcase_add_test(tc, test_reciprocal_exact);
	return tu_run(s);
}
