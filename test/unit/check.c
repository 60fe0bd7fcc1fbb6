/*
 * check.c -- vmem_check finds deliberately corrupted records: each test
 * breaks one field of a live pool's metadata, asserts vmem_check() == 0
 * with a message, puts the field back and asserts vmem_check() == 1.
 */
#include "unit.h"
#include "pool/vmem.h"

#define POOL_SIZE (32 * TU_MIB)

static void *region;
static VMEM *vmp;
static void *small[64], *large[8];

static void
setup(void)
{
	region = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(region, MAP_FAILED);
	vmp = vmem_create_in_region(region, POOL_SIZE);
	ck_assert_ptr_nonnull(vmp);
	for (int i = 0; i < 64; i++)
		small[i] = vmem_malloc(vmp, 100);
	for (int i = 0; i < 8; i++)
		large[i] = vmem_malloc(vmp, 300000);	/* above the cached sizes */
	/* holes: some free slab objects, some free extents */
	for (int i = 0; i < 64; i += 3)
		vmem_free(vmp, small[i]);
	vmem_free(vmp, large[2]);
	vmem_free(vmp, large[5]);
	ck_assert_int_eq(vmem_check(vmp), 1);
}

static void
teardown(void)
{
	vmem_delete(vmp);
	munmap(region, POOL_SIZE);
}

static void
expect_corrupt(void)
{
	ck_assert_int_eq(vmem_check(vmp), 0);
	ck_assert_msg(strstr(vmem_errormsg(), "corrupt") != NULL,
			"message: %s", vmem_errormsg());
}

static run_t *
run_of(void *p)
{
	return region_lookup(&vmp->region, region_page(&vmp->region, p));
}

START_TEST(test_slab_nfree)
{
	run_t *run = run_of(small[1]);
	run->nfree++;
	expect_corrupt();
	run->nfree--;
	ck_assert_int_eq(vmem_check(vmp), 1);
}
END_TEST

START_TEST(test_slab_bitmap)
{
	run_t *run = run_of(small[1]);
	uint64_t saved = run->bitmap[0];
	run->bitmap[0] ^= 2;	/* object 1 flips between free and used */
	expect_corrupt();
	run->bitmap[0] = saved;
	ck_assert_int_eq(vmem_check(vmp), 1);
}
END_TEST

START_TEST(test_slab_class)
{
	run_t *run = run_of(small[1]);
	uint8_t saved = run->cls;
	run->cls = (uint8_t)(saved + 1);
	expect_corrupt();
	run->cls = saved;
	ck_assert_int_eq(vmem_check(vmp), 1);
}
END_TEST

START_TEST(test_extent_length)
{
	run_t *run = run_of(large[5]);	/* a free extent now */
	ck_assert_uint_eq(run->kind, RUN_FREE);
	run->npages += 1;
	expect_corrupt();
	run->npages -= 1;
	ck_assert_int_eq(vmem_check(vmp), 1);
}
END_TEST

START_TEST(test_extent_tree_link)
{
	extents_t *ex = &vmp->extents;
	uint32_t saved = ex->tree;
	run_t *root = region_run(&vmp->region, saved);
	uint32_t kid = root->u.tree.left ? root->u.tree.left : root->u.tree.right;
	ck_assert_uint_ne(kid, 0);
	ex->tree = kid;		/* the tree loses its root */
	expect_corrupt();
	ex->tree = saved;
	ck_assert_int_eq(vmem_check(vmp), 1);
}
END_TEST

START_TEST(test_large_record_kind)
{
	run_t *run = run_of(large[3]);
	ck_assert_uint_eq(run->kind, RUN_LARGE);
	run->kind = RUN_FREE;
	expect_corrupt();
	run->kind = RUN_LARGE;
	ck_assert_int_eq(vmem_check(vmp), 1);
}
END_TEST

START_TEST(test_pagemap_entry)
{
	region_t *rg = &vmp->region;
	uint32_t page = region_page(rg, large[3]) + 1;	/* an inner page */
	ck_assert_uint_eq(pagemap_get(&rg->pagemap, page), 0);
	pagemap_set(&rg->pagemap, page, pagemap_entry(run_of(large[3]),
			RUN_LARGE));
	expect_corrupt();
	pagemap_set(&rg->pagemap, page, 0);
	ck_assert_int_eq(vmem_check(vmp), 1);
}
END_TEST

START_TEST(test_bin_counter)
{
	bin_t *bin = &vmp->slabs.bins[sc_class(100)];
	bin->nmalloc++;
	expect_corrupt();
	bin->nmalloc--;
	ck_assert_int_eq(vmem_check(vmp), 1);
}
END_TEST

/*
 * Sets chunk's bit in a per-chunk bitmap of the region and its count:
 * vmem_check must find the mark wrong; clears the bit alone: the count
 * is then off by one, which it must find too; restores the count.
 */
static void
expect_chunk_mark_corrupt(uint64_t *bits, uint64_t *count, uint32_t chunk)
{
	uint64_t bit = (uint64_t)1 << (chunk % 64);
	bits[chunk / 64] |= bit;
	++*count;
	expect_corrupt();
	bits[chunk / 64] &= ~bit;
	expect_corrupt();
	--*count;
	ck_assert_int_eq(vmem_check(vmp), 1);
}

/* a 4 MiB object freed: its chunks are given back, then taken again */
START_TEST(test_purge_bookkeeping)
{
	extents_t *ex = &vmp->extents;
	void *big = vmem_malloc(vmp, 4 * TU_MIB);
	ck_assert_ptr_nonnull(big);
	memset(big, 0x5a, 4 * TU_MIB);
	uint64_t before = ex->purged_chunks;
	vmem_free(vmp, big);
	ck_assert_uint_gt(ex->purged_chunks, before);
	ck_assert_int_eq(vmem_check(vmp), 1);
	/* a chunk under a live object marked given back, kept for reuse,
	 * or without its metadata reserved (a live object starts there: its
	 * leaf is installed) is corruption; and so is each count off */
	region_t *rg = &vmp->region;
	uint32_t chunk = region_page(rg, large[3]) >> REGION_CHUNK_SHIFT;
	ck_assert(!purge_chunk_is_purged(rg, chunk));
	expect_chunk_mark_corrupt(rg->purged, &ex->purged_chunks, chunk);
	ck_assert(!purge_chunk_is_kept(rg, chunk));
	expect_chunk_mark_corrupt(rg->kept, &ex->kept_chunks, chunk);
	ck_assert(purge_chunk_has_meta(rg, chunk));
	expect_chunk_mark_corrupt(rg->meta_later, &ex->meta_later_chunks,
			chunk);
	/* using the space again takes the chunks back; contents are usable */
	big = vmem_malloc(vmp, 4 * TU_MIB);
	ck_assert_ptr_nonnull(big);
	ck_assert_uint_eq(ex->purged_chunks, before);
	memset(big, 0x5b, 4 * TU_MIB);
	ck_assert_int_eq(vmem_check(vmp), 1);
}
END_TEST

START_TEST(test_not_a_pool)
{
	static char fake[sizeof(struct vmem)] __attribute__((aligned(4096)));
	ck_assert_int_eq(vmem_check((VMEM *)fake), -1);
	ck_assert_int_eq(vmem_check(NULL), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("check");
	TCase *tc = tu_tcase(s, "corruption", 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_slab_nfree);
	tcase_add_test(tc, test_slab_bitmap);
	tcase_add_test(tc, test_slab_class);
	tcase_add_test(tc, test_extent_length);
	tcase_add_test(tc, test_extent_tree_link);
	tcase_add_test(tc, test_large_record_kind);
	tcase_add_test(tc, test_pagemap_entry);
	tcase_add_test(tc, test_bin_counter);
	tcase_add_test(tc, test_purge_bookkeeping);
	tcase_add_test(tc, test_not_a_pool);
	return tu_run(s);
}
