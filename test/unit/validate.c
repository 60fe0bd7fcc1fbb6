/*
 * validate.c -- the debug checks of level 3 (VM_DEBUG=3, the build the
 * release variant's unit tests link): the local validators say yes on a
 * sound pool and no on each kind of damage they look for (a slab's
 * bitmap, a slab list's links, a bin's transfer stack, a thread cache's
 * stack and large-run count, a run's page-map entries, a free run's
 * neighbours and tree order); a damaged slab stops the next operation of
 * its bin; and VMEM_CHECK_EVERY=N runs the whole vmem_check every N
 * operations, stopping at the first after damage it alone can see.
 * In builds below level 3 (the sanitizer variants) the same damage goes
 * unnoticed by the operations, which is asserted instead.
 */
#include "unit.h"
#include "pool/vmem.h"

#define POOL_SIZE	(64 * TU_MIB)

static run_t *
run_of(VMEM *vmp, const void *p)
{
	return region_lookup(&vmp->region, region_page(&vmp->region, p));
}

/* the validators' answers on a sound pool, then on damaged records */
START_TEST(test_validators)
{
	VMEM *vmp = unit_region_pool(POOL_SIZE);
	region_t *rg = &vmp->region;
	void *small = vmem_malloc(vmp, 100);
	void *large = vmem_malloc(vmp, 200000);
	ck_assert_ptr_nonnull(small);
	ck_assert_ptr_nonnull(large);
	run_t *slab = run_of(vmp, small), *big = run_of(vmp, large);
	uint32_t big_page = region_run_page(rg, big);
	uint32_t tail = big_page + big->npages;	/* the free run after it */
	tcache_t *tc = tc_real(atomic_load(&vmp->slabs.tcaches[vm_tindex]));
	bin_t *bin = &vmp->slabs.bins[slab->cls];
	ck_assert(slab_bits_valid(slab));
	ck_assert(bin_valid(bin, rg));
	ck_assert(tcache_valid(tc));
	ck_assert(extents_run_valid(rg, big_page));
	ck_assert(extents_run_valid(rg, region_run_page(rg, slab)));
	ck_assert_uint_eq(region_run(rg, tail)->kind, RUN_FREE);
	ck_assert(extents_run_valid(rg, tail));

	/* a slab whose bitmap frees one more object than it counts */
	uint64_t w0 = slab->bitmap[0];
	slab->bitmap[0] |= 1;		/* object 0: small itself, in use */
	ck_assert(!slab_bits_valid(slab));
	slab->bitmap[0] = w0;
	/* an object past the slab's end marked free */
	uint64_t w3 = slab->bitmap[3];
	slab->bitmap[3] |= (uint64_t)1 << 63;
	slab->nfree++;
	ck_assert(!slab_bits_valid(slab));
	slab->bitmap[3] = w3;
	slab->nfree--;
	ck_assert(slab_bits_valid(slab));

	/* a cache stack above its capacity; large runs miscounted */
	vm_stack_t *b = &tc->bins[slab->cls];
	void **top = b->top;
	b->top = b->end + 1;
	ck_assert(!tcache_valid(tc));
	b->top = top;
	tc->large.bytes += VM_PAGE;
	ck_assert(!tcache_valid(tc));
	tc->large.bytes -= VM_PAGE;
	ck_assert(tcache_valid(tc));

	/* a bin's transfer stack holding a pointer of another class */
	uint32_t nxfer = bin->nxfer;
	bin->xfer[bin->nxfer++] = large;
	ck_assert(!bin_valid(bin, rg));
	bin->nxfer = nxfer;
	/* a slab list whose tail is not its last slab */
	uint32_t list_tail = bin->list.tail;
	bin->list.tail = region_run_page(rg, big);
	ck_assert(!bin_valid(bin, rg));
	bin->list.tail = list_tail;
	ck_assert(bin_valid(bin, rg));

	/* a large run's last page-map entry lost */
	uint32_t last = big_page + big->npages - 1;
	uint64_t e = pagemap_get(&rg->pagemap, last);
	pagemap_set(&rg->pagemap, last, 0);
	ck_assert(!extents_run_valid(rg, big_page));
	pagemap_set(&rg->pagemap, last, e);
	/* a free run next to another free run (not merged) */
	big->kind = RUN_FREE;
	ck_assert(!extents_run_valid(rg, tail));
	big->kind = RUN_LARGE;
	/* a free run whose tree child breaks the order */
	run_t *free_run = region_run(rg, tail);
	uint32_t left = free_run->u.tree.left;
	free_run->u.tree.left = tail;	/* itself: not below itself */
	ck_assert(!extents_run_valid(rg, tail));
	free_run->u.tree.left = left;
	ck_assert(extents_run_valid(rg, tail));

	vmem_free(vmp, small);
	vmem_free(vmp, large);
	ck_assert_int_eq(vmem_check(vmp), 1);
	unit_region_pool_delete(vmp, POOL_SIZE);
}
END_TEST

/*
 * A slab whose bitmap marks a live object free (its count not): the next
 * operation of its bin stops the program at level 3; below, it goes on.
 */
static void
damage_then_flush(void *arg)
{
	(void)arg;
	VMEM *vmp = unit_region_pool(POOL_SIZE);
	enum { N = 200 };
	void *p[N];
	for (int i = 0; i < N; i++)
		p[i] = vmem_malloc(vmp, 48);
	run_t *slab = run_of(vmp, p[0]);
	unsigned idx;
	ck_assert(slab_index(&vmp->region, slab, p[0], &idx));
	/* mark p[0] free in the bitmap without counting it */
	slab->bitmap[idx / 64] |= (uint64_t)1 << (idx % 64);
	for (int i = 1; i < N; i++)	/* the cache flushes to the bin */
		vmem_free(vmp, p[i]);
	vmem_check(vmp);	/* a bin operation of that class for sure */
	for (int i = 0; i < 4 * N; i++)
		vmem_free(vmp, vmem_malloc(vmp, 48));
}

START_TEST(test_damaged_slab_stops_its_bin)
{
	if (VM_DEBUG >= 3) {
		unit_assert_stops(damage_then_flush, NULL, (const char *const[]){
				"assertion failed", "valid", NULL });
	} else {
		/* no validator in this build: the damage goes unnoticed */
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			damage_then_flush(NULL);
			_exit(0);
		}
		int status;
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
				"status %#x below level 3", status);
	}
}
END_TEST

/*
 * Damage no operation looks at (a page-map entry inside a free run): with
 * VMEM_CHECK_EVERY=7 the seventh operation after it at the latest stops
 * the program, naming the variable and vmem_check's finding.
 */
static void
damage_unseen(void *arg)
{
	(void)arg;
	ck_assert_int_eq(setenv("VMEM_CHECK_EVERY", "7", 1), 0);
	VMEM *vmp = unit_region_pool(POOL_SIZE);
	void *large = vmem_malloc(vmp, 200000);
	region_t *rg = &vmp->region;
	run_t *big = run_of(vmp, large);
	/* far inside the free run after it: no slab made below reaches it */
	uint32_t inside = region_run_page(rg, big) + big->npages + 1000;
	ck_assert_uint_eq(region_run(rg, region_run_page(rg, big) +
			big->npages)->kind, RUN_FREE);
	pagemap_set(&rg->pagemap, inside, region_entry(rg,
			region_run_page(rg, big)));
	for (int i = 0; i < 7; i++)
		vmem_free(vmp, vmem_malloc(vmp, 32));
}

START_TEST(test_check_every)
{
	if (VM_DEBUG >= 3) {
		unit_assert_stops(damage_unseen, NULL, (const char *const[]){
				"VMEM_CHECK_EVERY=7", "damaged", "page map entry",
				NULL });
	} else {
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			damage_unseen(NULL);
			_exit(0);
		}
		int status;
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
				"status %#x below level 3", status);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tu_tcase(s, "level 3", TU_TIMEOUT);
	tcase_add_test(tc, test_validators);
	tcase_add_test(tc, test_damaged_slab_stops_its_bin);
	tcase_add_test(tc, test_check_every);
	return tu_run(s);
}
