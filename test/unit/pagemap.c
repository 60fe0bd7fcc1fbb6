/*
 * pagemap.c -- unit tests of the radix-tree page map (src/pool/pagemap.c):
 * empty lookups, lazy leaf installation, independence of entries.
 */
#include "unit.h"

#define NPAGES (PAGEMAP_LEAF_ENTRIES * 6 + 17)

static pagemap_entry_t *root[8];
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
		pagemap_set(&pm, pages[i], pagemap_entry(&runs[i], RUN_SLAB));
	ck_assert_uint_eq(pm.nleaves_used, 3);
	for (int i = 0; i < 4; i++) {
		uint64_t e = pagemap_get(&pm, pages[i]);
		ck_assert_ptr_eq(pagemap_entry_run(e), &runs[i]);
		ck_assert_uint_eq(pagemap_entry_kind(e), RUN_SLAB);
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

int
main(void)
{
	Suite *s = suite_create("pagemap");
	TCase *tc = tu_tcase(s, "pagemap", 30);
	tcase_add_test(tc, test_empty_map_finds_nothing);
	tcase_add_test(tc, test_set_get);
	return tu_run(s);
}
