/*
 * pagemap.c -- unit tests of the radix-tree page map (src/large/pagemap.c):
 * empty lookups, lazy leaf installation, independence of entries, the
 * length a large run's entry carries.
 */
#include "unit.h"

#define NPAGES (PAGEMAP_LEAF_ENTRIES * 6 + 17)

static uintptr_t root[8];	/* biased leaf addresses */
static pagemap_entry_t leaves[8 * PAGEMAP_LEAF_ENTRIES];

START_TEST(test_empty_map_finds_nothing)
{
	pagemap_t pm;
	memset(leaves, 0xab, sizeof(leaves));	/* dirty memory */
	pagemap_init(&pm, root, leaves, NPAGES);
	ck_assert_uint_eq(pm.nroot, 7);
	for (uint32_t p = 0; p < NPAGES; p++)
		ck_assert_uint_eq(pagemap_get(&pm, p), 0);
	ck_assert_uint_eq(pm.nleaves_used, 0);
	/* clearing an entry of an empty leaf installs nothing */
	pagemap_set(&pm, 5, 0);
	ck_assert_uint_eq(pm.nleaves_used, 0);
}
END_TEST

START_TEST(test_set_get)
{
	pagemap_t pm;
	memset(leaves, 0xab, sizeof(leaves));
	pagemap_init(&pm, root, leaves, NPAGES);
	static run_t runs[4] __attribute__((aligned(64)));
	uint32_t pages[] = { 0, 511, 512, NPAGES - 1 };
	for (int i = 0; i < 4; i++)
		pagemap_set(&pm, pages[i], pagemap_entry(&runs[i], RUN_LARGE));
	ck_assert_uint_eq(pm.nleaves_used, 3);
	for (int i = 0; i < 4; i++) {
		uint64_t e = pagemap_get(&pm, pages[i]);
		ck_assert_ptr_eq(pagemap_entry_run(e), &runs[i]);
		ck_assert_uint_eq(pagemap_entry_kind(e), RUN_LARGE);
	}
	/* neighbours of the set entries are still empty */
	ck_assert_uint_eq(pagemap_get(&pm, 1), 0);
	ck_assert_uint_eq(pagemap_get(&pm, 513), 0);
	ck_assert_uint_eq(pagemap_get(&pm, 1024), 0);
	pagemap_set(&pm, 511, 0);
	ck_assert_uint_eq(pagemap_get(&pm, 511), 0);
	ck_assert_ptr_eq(pagemap_entry_run(pagemap_get(&pm, 0)), &runs[0]);
	/* the shared empty leaf was never written */
	for (uint32_t i = 0; i < PAGEMAP_LEAF_ENTRIES; i++)
		ck_assert_uint_eq(pagemap_empty_leaf[i], 0);
}
END_TEST

/* a slab's entry: its first page and class, whole, for every page number
 * and class */
START_TEST(test_slab_entry)
{
	uint32_t pages[] = { 1, 511, 512, 0x12345, UINT32_MAX };
	for (int i = 0; i < 5; i++) {
		for (unsigned c = 0; c < 64; c++) {
			uint64_t e = pagemap_slab_entry(pages[i], c);
			ck_assert_uint_eq(pagemap_entry_kind(e), RUN_SLAB);
			ck_assert_uint_eq(pagemap_slab_page(e), pages[i]);
			ck_assert_uint_eq(pagemap_slab_cls(e), c);
		}
	}
}
END_TEST

/* len: only a RUN_LARGE run of 1..255 pages that is not a cache has it */
START_TEST(test_entry_len)
{
	static run_t run __attribute__((aligned(64)));
	run.npages = 37;
	run.cls = 0;
	uint64_t e = pagemap_entry(&run, RUN_LARGE);
	ck_assert_uint_eq(pagemap_entry_len(e), 37);
	ck_assert_ptr_eq(pagemap_entry_run(e), &run);
	ck_assert_uint_eq(pagemap_entry_kind(e), RUN_LARGE);
	run.npages = 255;
	ck_assert_uint_eq(pagemap_entry_len(pagemap_entry(&run, RUN_LARGE)),
			255);
	run.npages = 256;
	ck_assert_uint_eq(pagemap_entry_len(pagemap_entry(&run, RUN_LARGE)), 0);
	run.npages = 8;
	run.cls = RUN_CLS_TCACHE;
	ck_assert_uint_eq(pagemap_entry_len(pagemap_entry(&run, RUN_LARGE)), 0);
	run.cls = 3;
	e = pagemap_entry(&run, RUN_SLAB);
	ck_assert_uint_eq(pagemap_entry_len(e), 0);
	ck_assert_uint_eq(pagemap_entry_len(pagemap_entry(&run, RUN_FREE)), 0);
	/* a slab's entry minus RUN_SLAB is its record; no other kind's is */
	ck_assert_ptr_eq((run_t *)(uintptr_t)(e - RUN_SLAB), &run);
	run.cls = 0;
	for (unsigned k = RUN_NONE; k <= RUN_LARGE; k++)
		ck_assert_uint_ne((pagemap_entry(&run, k) - RUN_SLAB) &
				RUN_KIND_MASK, 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pagemap");
	TCase *tc = tu_tcase(s, "pagemap", 30);
	tcase_add_test(tc, test_empty_map_finds_nothing);
	tcase_add_test(tc, test_set_get);
	tcase_add_test(tc, test_slab_entry);
	tcase_add_test(tc, test_entry_len);
	return tu_run(s);
}
