/*
 * steal.c -- a stress test of the caches' handshake (slab/tcache.h): while
 * owner threads allocate and free cookie-checked objects through their
 * own caches as fast as they can, a stealer takes every cache from its
 * owner in a loop: vmem_check (freezes the caches, marks and unmarks each
 * cached object, thaws), vmem_stats_print (freezes to count them), and a
 * fill of the pool to its last byte, which makes the allocator drain
 * every cache back into the slabs (pool_reclaim) before it says NULL.
 *
 * An object handed to two threads at once, or changed while cached, shows
 * as a cookie that is not the owner's: every word of an object holds
 * its address mixed with the owner's number and a serial number. Each
 * vmem_check must say 1. Run in every build; what it shows is the release
 * build's, where the handshake is a relaxed store and a signal fence on
 * the owner's side and membarrier(2) on the stealer's (under ThreadSanitizer
 * both sides are sequentially consistent instead).
 *
 * Environment: VMEM_STEAL_SECONDS (default 3; 1 under sanitizers).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "testutil.h"

#define NOWNERS 3
#define NLIVE 512		/* objects each owner keeps */
#define POOL_SIZE (48 * TU_MIB)

static VMEM *Vmp;
static atomic_bool Stop;
static atomic_ulong Bad, Owner_ops, Steals, Drains;

static uint64_t
cookie(const void *p, unsigned owner, uint64_t serial)
{
	return tu_mix((uint64_t)(uintptr_t)p ^ ((uint64_t)owner << 56) ^ serial);
}

static size_t
pick_size(uint64_t r)
{
	switch (r % 8) {
	case 0:
		return 100000 + (r >> 8) % 150000;	/* large, cached runs */
	case 1: case 2:
		return 1024 + (r >> 8) % 15000;
	default:
		return 8 + (r >> 8) % 500;
	}
}

struct live {
	uint64_t *p;
	size_t words;
	uint64_t serial;
};

static void
fill(struct live *o, unsigned owner)
{
	for (size_t i = 0; i < o->words; i++)
		o->p[i] = cookie(o->p, owner, o->serial) + i;
}

static void
verify_and_free(struct live *o, unsigned owner)
{
	for (size_t i = 0; i < o->words; i++) {
		if (o->p[i] != cookie(o->p, owner, o->serial) + i) {
			atomic_fetch_add(&Bad, 1);
			break;
		}
	}
	vmem_free(Vmp, o->p);
	o->p = NULL;
}

static void *
owner_main(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;
	static __thread struct live objs[NLIVE];
	uint64_t r = tu_mix(me + 1), serial = 0, ops = 0;
	while (!atomic_load_explicit(&Stop, memory_order_relaxed)) {
		r = tu_mix(r);
		struct live *o = &objs[r % NLIVE];
		if (o->p != NULL) {
			verify_and_free(o, me);
		} else {
			size_t size = pick_size(r >> 10);
			o->p = vmem_malloc(Vmp, size);
			if (o->p == NULL)
				continue;	/* the stealer filled the pool */
			/* whole small objects; the ends of large ones */
			o->words = (size < 4096 ? size : 64) / 8;
			o->serial = ++serial;
			fill(o, me);
		}
		ops++;
	}
	for (unsigned i = 0; i < NLIVE; i++)
		if (objs[i].p != NULL)
			verify_and_free(&objs[i], me);
	atomic_fetch_add(&Owner_ops, ops);
	return NULL;
}

static void
null_print(const char *s)
{
	(void)s;
}

/* allocates 256 KiB objects until the pool says no (it drains every
 * cache first), then frees them */
static void
fill_pool(void)
{
	enum { MAX = POOL_SIZE / (256 * 1024) + 8 };
	static void *held[MAX];
	unsigned n = 0;
	while (n < MAX && (held[n] = vmem_malloc(Vmp, 256 * 1024)) != NULL)
		n++;
	for (unsigned i = 0; i < n; i++)
		vmem_free(Vmp, held[i]);
	atomic_fetch_add(&Drains, 1);
}

static void *
stealer_main(void *arg)
{
	(void)arg;
	for (unsigned i = 0; !atomic_load_explicit(&Stop, memory_order_relaxed);
			i++) {
		if (vmem_check(Vmp) != 1)
			atomic_fetch_add(&Bad, 1);
		vmem_stats_print(Vmp, NULL);
		if (i % 8 == 7)
			fill_pool();
		atomic_fetch_add(&Steals, 2);
	}
	return NULL;
}

START_TEST(test_steal_while_owners_work)
{
	const char *env = getenv("VMEM_STEAL_SECONDS");
	double seconds = env != NULL ? atof(env) : TU_SANITIZED ? 1 : 3;
	Vmp = tu_pool_create(POOL_SIZE);
	vmem_set_funcs(NULL, NULL, NULL, NULL, null_print);
	pthread_t owners[NOWNERS], stealer;
	for (unsigned i = 0; i < NOWNERS; i++)
		ck_assert_int_eq(pthread_create(&owners[i], NULL, owner_main,
				(void *)(uintptr_t)(i + 1)), 0);
	ck_assert_int_eq(pthread_create(&stealer, NULL, stealer_main, NULL), 0);
	struct timespec ts = { (time_t)seconds,
		(long)((seconds - (double)(time_t)seconds) * 1e9) };
	nanosleep(&ts, NULL);
	atomic_store(&Stop, true);
	for (unsigned i = 0; i < NOWNERS; i++)
		ck_assert_int_eq(pthread_join(owners[i], NULL), 0);
	ck_assert_int_eq(pthread_join(stealer, NULL), 0);
	vmem_set_funcs(NULL, NULL, NULL, NULL, NULL);
	unsigned long ops = atomic_load(&Owner_ops), steals = atomic_load(&Steals),
			drains = atomic_load(&Drains), bad = atomic_load(&Bad);
	printf("steal: %lu owner operations, %lu steals, %lu drains of a full "
			"pool, %lu bad\n", ops, steals, drains, bad);
	ck_assert_msg(bad == 0, "%lu objects or checks went wrong", bad);
	ck_assert_uint_gt(steals, 20);
	ck_assert_uint_gt(drains, 0);
	ck_assert_uint_gt(ops, 10000);
	ck_assert_int_eq(vmem_check(Vmp), 1);
	vmem_delete(Vmp);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("steal");
	TCase *tc = tu_tcase(s, "handshake", TU_TIMEOUT);
	tcase_add_test(tc, test_steal_while_owners_work);
	return tu_run(s);
}
