/*
 * lock.c -- tests of the lock-order witness (base/lock.h), built with
 * assertions as every unit test is: taking locks in rank order, bins in
 * class order and two pools' locks one pool after the other pass; a lower
 * rank after a higher one, bins against their order, a lock taken twice
 * and the release of a lock not held stop the program with both locks
 * named; the pool API (threads, vmem_check, stats, fork) runs clean under
 * the witness.
 */
#include <pthread.h>

#include "unit.h"

static vm_lock_t Registry, Caches_a, Bin_a[3], Extents_a, Caches_b,
		Extents_b, Index_lock;
static int Pool_a, Pool_b;	/* their addresses name the two domains */

static void
setup(void)
{
	vm_lock_rank(&Registry, VM_RANK_REGISTRY, 0, NULL, "registry");
	vm_lock_rank(&Caches_a, VM_RANK_CACHES, 0, &Pool_a, "caches A");
	for (unsigned c = 0; c < 3; c++)
		vm_lock_rank(&Bin_a[c], VM_RANK_BIN, c + 1, &Pool_a, "bin A");
	vm_lock_rank(&Extents_a, VM_RANK_EXTENTS, 0, &Pool_a, "extents A");
	vm_lock_rank(&Caches_b, VM_RANK_CACHES, 0, &Pool_b, "caches B");
	vm_lock_rank(&Extents_b, VM_RANK_EXTENTS, 0, &Pool_b, "extents B");
	vm_lock_rank(&Index_lock, VM_RANK_THREAD_INDEX, 0, NULL, "index");
}

/* runs fn in a child, the locks set up there: it must stop (unit.h) */
static void
run_setup_then(void *fn)
{
	setup();
	((void (*)(void))fn)();
}

static void
assert_stops(void (*fn)(void), const char *const *want)
{
	unit_assert_stops(run_setup_then, (void *)fn, want);
}

START_TEST(test_in_order)
{
	setup();
	vm_lock(&Registry);
	vm_lock(&Caches_a);
	for (unsigned c = 0; c < 3; c++)
		vm_lock(&Bin_a[c]);
	vm_lock(&Extents_a);
	/* another pool's locks, after all of the first (fork's walk) */
	vm_lock(&Caches_b);
	vm_lock(&Extents_b);
	vm_lock(&Index_lock);
	/* released in any order */
	vm_unlock(&Bin_a[1]);
	vm_unlock(&Registry);
	vm_unlock(&Index_lock);
	vm_unlock(&Extents_b);
	vm_unlock(&Caches_b);
	vm_unlock(&Extents_a);
	vm_unlock(&Bin_a[0]);
	vm_unlock(&Bin_a[2]);
	vm_unlock(&Caches_a);
	/* and again, a bin alone after the others went */
	vm_lock(&Bin_a[1]);
	vm_lock(&Extents_a);
	vm_unlock(&Extents_a);
	vm_unlock(&Bin_a[1]);
}
END_TEST

static void
bin_after_extents(void)
{
	vm_lock(&Extents_a);
	vm_lock(&Bin_a[0]);
}

static void
bins_against_order(void)
{
	vm_lock(&Bin_a[2]);
	vm_lock(&Bin_a[1]);
}

static void
caches_after_bin(void)
{
	vm_lock(&Bin_a[0]);
	vm_lock(&Caches_a);
}

static void
registry_after_pool(void)
{
	vm_lock(&Caches_b);
	vm_lock(&Registry);
}

static void
under_index(void)
{
	vm_lock(&Index_lock);
	vm_lock(&Extents_a);
}

static void
twice(void)
{
	vm_lock(&Extents_a);
	vm_lock(&Extents_a);	/* would spin forever */
}

static void
release_not_held(void)
{
	vm_unlock(&Caches_a);
}

START_TEST(test_out_of_order_stops)
{
	assert_stops(bin_after_extents, (const char *const[]){ "bin A",
			"extents A", "lock order", NULL });
	assert_stops(bins_against_order, (const char *const[]){ "order 2",
			"order 3", NULL });
	assert_stops(caches_after_bin, (const char *const[]){ "caches A",
			"bin A", NULL });
	assert_stops(registry_after_pool, (const char *const[]){ "registry",
			"caches B", NULL });
	assert_stops(under_index, (const char *const[]){ "extents A",
			"index", NULL });
	assert_stops(twice, (const char *const[]){ "taking again",
			"extents A", NULL });
	assert_stops(release_not_held, (const char *const[]){ "does not hold",
			"caches A", NULL });
}
END_TEST

/* the pool's own paths under the witness: none of them may stop */
static void *
churn(void *arg)
{
	VMEM *vmp = arg;
	void *p[256];
	for (int round = 0; round < 50; round++) {
		for (int i = 0; i < 256; i++)
			p[i] = vmem_malloc(vmp, (size_t)(16 << (i % 12)));
		for (int i = 0; i < 256; i++)
			vmem_free(vmp, p[(i * 7) % 256]);
	}
	return NULL;
}

static void
null_print(const char *s)
{
	(void)s;
}

START_TEST(test_pool_paths_clean)
{
	size_t size = 64 * TU_MIB;
	VMEM *vmp = unit_region_pool(size);
	pthread_t t[3];
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, churn, vmp), 0);
	churn(vmp);
	ck_assert_int_eq(vmem_check(vmp), 1);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	vmem_set_funcs(NULL, NULL, NULL, NULL, null_print);
	vmem_stats_print(vmp, NULL);
	vmem_set_funcs(NULL, NULL, NULL, NULL, NULL);
	/* fork takes every lock; the child's witness starts afresh */
	void *keep = vmem_malloc(vmp, 100);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		churn(vmp);
		vmem_free(vmp, keep);
		_exit(vmem_check(vmp) == 1 ? 0 : 2);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			"fork child: status %#x", status);
	vmem_free(vmp, keep);
	ck_assert_int_eq(vmem_check(vmp), 1);
	unit_region_pool_delete(vmp, size);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("lock");
	TCase *tc = tu_tcase(s, "witness", TU_TIMEOUT);
	tcase_add_test(tc, test_in_order);
	tcase_add_test(tc, test_out_of_order_stops);
	tcase_add_test(tc, test_pool_paths_clean);
	return tu_run(s);
}
