/*
 * slab.c -- unit tests of one slab and of a bin (src/slab): the bitmap,
 * double-free and interior-pointer refusal, batches in and out, bin list
 * order and the single empty slab a bin keeps; a pointer to a slab's tail
 * (after its last object) refused by free, realloc and usable_size.
 */
#include "unit.h"
#include "pool/vmem.h"

START_TEST(test_slab_take_put)
{
	struct bare b;
	bare_init(&b, 1024);
	for (unsigned c = 0; c < SC_NCLASSES; c++) {
		const sc_info_t *sc = &sc_table[c];
		run_t *run = extents_alloc(&b.ex, &b.rg, sc->npages, VM_PAGE,
				RUN_SLAB);
		ck_assert_ptr_nonnull(run);
		slab_init(&b.rg, run, c, 0x5a5a);
		ck_assert_uint_eq(run->nfree, sc->nobjs);
		unsigned seen = 0;
		for (unsigned i = 0; i < sc->nobjs; i++) {
			unsigned idx = slab_take(run);
			ck_assert_uint_eq(idx, i);	/* lowest free first */
			void *obj = slab_obj(&b.rg, run, idx);
			unsigned back;
			ck_assert(slab_index(&b.rg, run, obj, &back));
			ck_assert_uint_eq(back, idx);
			ck_assert_uint_eq((uintptr_t)obj % VM_MIN_ALIGN, 0);
			/* a pointer into the object is not an object */
			ck_assert(!slab_index(&b.rg, run, (char *)obj + 1, &back));
			seen++;
		}
		ck_assert_uint_eq(run->nfree, 0);
		ck_assert_uint_eq(seen, sc->nobjs);
		ck_assert(slab_put(run, 0));
		ck_assert(!slab_put(run, 0));	/* double free */
		ck_assert_uint_eq(run->nfree, 1);
		extents_free(&b.ex, &b.rg, run);
	}
	ck_assert_uint_eq(bare_walk(&b, NULL), 1);
	bare_fini(&b);
}
END_TEST

/* past the last object of a slab there is no object */
START_TEST(test_slab_index_tail)
{
	struct bare b;
	bare_init(&b, 1024);
	unsigned c = sc_class(3000);
	const sc_info_t *sc = &sc_table[c];
	run_t *run = extents_alloc(&b.ex, &b.rg, sc->npages, VM_PAGE, RUN_SLAB);
	slab_init(&b.rg, run, c, 0x5a5a);
	unsigned idx;
	char *base = region_addr(&b.rg, bare_page(&b, run));
	ck_assert(!slab_index(&b.rg, run, base + (size_t)sc->nobjs * sc->size,
			&idx));
	bare_fini(&b);
}
END_TEST

/* every class's slab holds all the objects its pages fit: the free fast
 * path (slab_index_in) skips the index < nobjs test on that ground */
/*
 * The tail of each class's slab: a pointer to it is a multiple of the size
 * from the slab's start, as an object's is; free, realloc and usable_size
 * must refuse it (found by the fuzzer: free took it into the thread's
 * cache and malloc handed out an object running past the slab).
 */
START_TEST(test_slab_tail_refused)
{
	VMEM *vmp = unit_region_pool(64 * TU_MIB);
	region_t *rg = &((struct vmem *)vmp)->region;
	unsigned tried = 0;
	for (unsigned c = 0; c < SC_NCLASSES; c++) {
		size_t size = sc_table[c].size;
		char *p = vmem_malloc(vmp, size);
		ck_assert_ptr_nonnull(p);
		const run_t *run = region_lookup(rg, region_page(rg, p));
		ck_assert_uint_eq(run->kind, RUN_SLAB);
		char *start = region_addr(rg, region_run_page(rg, run));
		size_t span = (size_t)run->nobjs * size;
		size_t bytes = (size_t)run->npages << VM_PAGE_SHIFT;
		if (bytes - span < 16) {
			vmem_free(vmp, p);
			continue;	/* no tail that holds a tag */
		}
		char *tail = start + span;
		tried++;
		vmem_free(vmp, tail);
		ck_assert_msg(strstr(vmem_errormsg(), "not the start") != NULL,
				"class %u (%zu B): free of the tail at +%zu: "
				"\"%s\"", c, size, span, vmem_errormsg());
		ck_assert_uint_eq(vmem_malloc_usable_size(vmp, tail), 0);
		errno = 0;
		ck_assert_ptr_null(vmem_realloc(vmp, tail, 8));
		ck_assert_int_eq(errno, EINVAL);
		/* nothing of the class is the tail afterwards */
		void *more[SLAB_MAX_OBJS + 1];
		unsigned n = run->nobjs;
		for (unsigned i = 0; i < n; i++) {
			more[i] = vmem_malloc(vmp, size);
			ck_assert_ptr_ne(more[i], tail);
		}
		for (unsigned i = 0; i < n; i++)
			vmem_free(vmp, more[i]);
		vmem_free(vmp, p);
	}
	printf("slab tails refused in %u of %u classes\n", tried,
			(unsigned)SC_NCLASSES);
	ck_assert_uint_gt(tried, 10);
	ck_assert_int_eq(vmem_check(vmp), 1);
	unit_region_pool_delete(vmp, 64 * TU_MIB);
}
END_TEST

START_TEST(test_slab_holds_what_fits)
{
	for (unsigned c = 0; c < SC_NCLASSES; c++) {
		const sc_info_t *sc = &sc_table[c];
		ck_assert_uint_le(sc->nobjs, SLAB_MAX_OBJS);
		for (uint32_t pages = 1; pages <= sc->npages; pages++)
			ck_assert_uint_eq(slab_nobjs(c, pages),
					(pages << VM_PAGE_SHIFT) / sc->size);
	}
}
END_TEST

/* a batch takes every free object once, in address order within a word,
 * across bitmap words, and leaves nfree and the bits right */
START_TEST(test_slab_take_batch)
{
	struct bare b;
	bare_init(&b, 1024);
	unsigned c = sc_class(16);	/* 256 objects: all four words */
	const sc_info_t *sc = &sc_table[c];
	ck_assert_uint_eq(sc->nobjs, SLAB_MAX_OBJS);
	run_t *run = extents_alloc(&b.ex, &b.rg, sc->npages, VM_PAGE, RUN_SLAB);
	slab_init(&b.rg, run, c, 0x5a5a);
	uintptr_t base = (uintptr_t)region_addr(&b.rg, bare_page(&b, run));
	/* free only objects 3, 64 and 200 .. 255 of a full slab */
	for (unsigned i = 0; i < sc->nobjs; i++)
		slab_take(run);
	ck_assert(slab_put(run, 200));
	ck_assert(slab_put(run, 3));
	ck_assert(slab_put(run, 64));
	for (unsigned i = 201; i < sc->nobjs; i++)
		ck_assert(slab_put(run, i));
	unsigned nfree = run->nfree;
	ck_assert_uint_eq(nfree, 2 + 56);
	void *out[SLAB_MAX_OBJS];
	ck_assert_uint_eq(slab_take_batch(run, base, out, 10), 10);
	ck_assert_ptr_eq(out[0], (void *)(base + 3 * sc->size));
	ck_assert_ptr_eq(out[1], (void *)(base + 64 * sc->size));
	for (unsigned i = 2; i < 10; i++)
		ck_assert_ptr_eq(out[i], (void *)(base + (198 + i) * sc->size));
	ck_assert_uint_eq(run->nfree, nfree - 10);
	for (unsigned i = 0; i < 10; i++) {
		unsigned idx;
		ck_assert(slab_index(&b.rg, run, out[i], &idx));
		ck_assert(!slab_obj_is_free(run, idx));
	}
	/* the rest, asking for more than there is */
	ck_assert_uint_eq(slab_take_batch(run, base, out, SLAB_MAX_OBJS),
			nfree - 10);
	ck_assert_ptr_eq(out[0], (void *)(base + 208 * sc->size));
	ck_assert_uint_eq(run->nfree, 0);
	ck_assert_uint_eq(slab_take_batch(run, base, out, 5), 0);
	bare_fini(&b);
}
END_TEST

/* the slab lists of the bin tests' caches: homes 1..3 (closed: gone) */
static slab_list_t test_lists[4];

static slab_list_t *
test_home_list(void *ctx, uint32_t home, unsigned cls)
{
	(void)ctx, (void)cls;
	if (home == 0 || home > 3 || test_lists[home].closed)
		return NULL;
	return &test_lists[home];
}

static const bin_homes_t test_homes = { test_home_list, NULL };

/* a bare region of pages pages and an empty bin of the class of size
 * bytes in it (xfer: room for its transfer stack); returns the class */
static unsigned
bin_setup(struct bare *b, uint32_t pages, bin_t *bin, void **xfer,
		size_t size)
{
	bare_init(b, pages);
	memset(test_lists, 0, sizeof(test_lists));
	unsigned c = sc_class(size);
	bin_init(bin, c, xfer, 0x5a5a, &test_homes);
	bin->nslabs_made = SLAB_RAMP;	/* full slabs (test_bin_ramp) */
	return c;
}

/*
 * A batch refill hands objects out lowest address last (a cache pops from
 * the top: address order); a batch free mixing slabs and holding a double
 * free gives every good object back and refuses the bad ones.
 */
START_TEST(test_bin_batches)
{
	struct bare b;
	bin_t bin;
	void *xfer[BIN_XFER_MAX];
	unsigned c = bin_setup(&b, 2048, &bin, xfer, 512);
	unsigned n = sc_table[c].nobjs;
	void *objs[3 * SLAB_MAX_OBJS];
	ck_assert_uint_eq(bin_malloc_batch(&bin, &b.rg, &b.ex, objs,
			3 * n, 0), 3 * n);
	ck_assert_uint_eq(bin.nslabs, 3);
	for (unsigned i = 0; i + 1 < n; i++)	/* within the first slab */
		ck_assert_uint_gt((uintptr_t)objs[i], (uintptr_t)objs[i + 1]);
	/* interleave the slabs, and put one object in twice */
	void *mix[3 * SLAB_MAX_OBJS + 1];
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++)
		for (unsigned s = 0; s < 3; s++)
			mix[k++] = objs[s * n + i];
	mix[k++] = objs[n + 1];
	ck_assert_uint_eq(bin_free_batch(&bin, &b.rg, &b.ex, mix, k), 1);
	ck_assert_uint_eq(bin_curobjs(&bin), 0);
	ck_assert_uint_eq(bin.nslabs, 1);	/* one kept in reserve */
	/* a pointer into an object, and one outside every slab */
	void *again = bin_malloc(&bin, &b.rg, &b.ex);
	void *bad[2] = { (char *)again + 16, (void *)b.rg.base };
	ck_assert_uint_eq(bin_free_batch(&bin, &b.rg, &b.ex, bad, 2), 2);
	ck_assert_uint_eq(bin_curobjs(&bin), 1);
	bare_walk(&b, NULL);	/* its checks: the runs still tile the pool */
	bare_fini(&b);
}
END_TEST

/* a class's first slabs are short, then full: 1/8, 1/4, 1/2, 1 */
START_TEST(test_bin_ramp)
{
	struct bare b;
	bin_t bin;
	void *xfer[BIN_XFER_MAX];
	unsigned c = bin_setup(&b, 2048, &bin, xfer, 4096);
	bin.nslabs_made = 0;
	uint32_t full = sc_table[c].npages;
	ck_assert_uint_ge(full, 8);
	for (unsigned k = 0; k <= SLAB_RAMP; k++) {
		uint32_t want = k < SLAB_RAMP ? full >> (SLAB_RAMP - k) : full;
		void *objs[SLAB_MAX_OBJS];
		unsigned n = want * VM_PAGE / 4096;
		ck_assert_uint_eq(bin_malloc_batch(&bin, &b.rg, &b.ex, objs, n,
				0), n);
		run_t *run = region_lookup(&b.rg, region_page(&b.rg, objs[0]));
		ck_assert_uint_eq(run->npages, want);
		ck_assert_uint_eq(run->nobjs, n);
		ck_assert_uint_eq(run->nfree, 0);	/* just that slab */
	}
	ck_assert_uint_eq(bin.nslabs, SLAB_RAMP + 1);
	ck_assert_uint_eq(bare_walk(&b, NULL), 1);
	bare_fini(&b);
}
END_TEST

START_TEST(test_bin_keeps_one_empty_slab)
{
	struct bare b;
	bin_t bin;
	void *xfer[BIN_XFER_MAX];
	unsigned c = bin_setup(&b, 2048, &bin, xfer, 1024);
	unsigned n = sc_table[c].nobjs;
	void *objs[4 * SLAB_MAX_OBJS];
	for (unsigned i = 0; i < 3 * n; i++) {
		objs[i] = bin_malloc(&bin, &b.rg, &b.ex);
		ck_assert_ptr_nonnull(objs[i]);
	}
	ck_assert_uint_eq(bin.nslabs, 3);
	ck_assert_uint_eq(bin.list.head, 0);	/* all full: none listed */
	ck_assert_uint_eq(bin_curobjs(&bin), 3 * n);
	for (unsigned i = 0; i < 3 * n; i++) {
		run_t *run = region_lookup(&b.rg, region_page(&b.rg, objs[i]));
		ck_assert(bin_free(&bin, run, objs[i], &b.rg, &b.ex));
		ck_assert(!bin_free(&bin, run, objs[i], &b.rg, &b.ex) ||
				run->kind != RUN_SLAB);
	}
	ck_assert_uint_eq(bin_curobjs(&bin), 0);
	ck_assert_uint_eq(bin.nslabs, 1);	/* one kept in reserve */
	ck_assert_uint_eq(bin.nempty, 1);
	ck_assert_uint_gt(bin_release_empty(&bin, &b.rg, &b.ex), 0);
	ck_assert_uint_eq(bin.nslabs, 0);
	ck_assert_uint_eq(bare_walk(&b, NULL), 1);
	bare_fini(&b);
}
END_TEST

/* new objects come from the slab that is most in use, not the empty one */
START_TEST(test_bin_fills_used_slabs_first)
{
	struct bare b;
	bin_t bin;
	void *xfer[BIN_XFER_MAX];
	unsigned c = bin_setup(&b, 2048, &bin, xfer, 2048);
	unsigned n = sc_table[c].nobjs;
	void *objs[2 * SLAB_MAX_OBJS];
	for (unsigned i = 0; i < 2 * n; i++)
		objs[i] = bin_malloc(&bin, &b.rg, &b.ex);
	run_t *first = region_lookup(&b.rg, region_page(&b.rg, objs[0]));
	run_t *second = region_lookup(&b.rg, region_page(&b.rg, objs[n]));
	ck_assert_ptr_ne(first, second);
	/* empty the second slab entirely, free one object of the first */
	for (unsigned i = n; i < 2 * n; i++)
		ck_assert(bin_free(&bin, second, objs[i], &b.rg, &b.ex));
	ck_assert(bin_free(&bin, first, objs[3], &b.rg, &b.ex));
	void *again = bin_malloc(&bin, &b.rg, &b.ex);
	ck_assert_ptr_eq(again, objs[3]);
	bare_fini(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("slab");
	TCase *tc = tu_tcase(s, "slab", 60);
	tcase_add_test(tc, test_slab_take_put);
	tcase_add_test(tc, test_slab_index_tail);
	tcase_add_test(tc, test_slab_holds_what_fits);
	tcase_add_test(tc, test_slab_tail_refused);
	tcase_add_test(tc, test_slab_take_batch);
	tcase_add_test(tc, test_bin_batches);
	tcase_add_test(tc, test_bin_keeps_one_empty_slab);
	tcase_add_test(tc, test_bin_ramp);
	tcase_add_test(tc, test_bin_fills_used_slabs_first);
	return tu_run(s);
}
