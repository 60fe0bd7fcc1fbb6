/*
 * library.c -- tests of the library-wide functions: vmem_check_version(),
 * vmem_errormsg() (never NULL, per thread), and thread safety: four threads
 * allocating and freeing in one pool at once, freeing each other's objects,
 * while vmem_check() and vmem_stats_print() run alongside; and fork()
 * while other threads allocate: the child's copy of the pool is usable
 * (no lock is left held).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <sys/wait.h>

#include "testutil.h"

START_TEST(test_check_version)
{
	ck_assert_ptr_null(vmem_check_version(VMEM_MAJOR_VERSION,
			VMEM_MINOR_VERSION));
	ck_assert_ptr_null(vmem_check_version(1, 0));
	ck_assert_ptr_null(vmem_check_version(1, 1));
	unsigned bad[][2] = { { 2, 0 }, { 1, 2 }, { 0, 0 }, { 0, 1 },
			{ 1, 100 }, { 3, 1 }, { ~0u, 0 } };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *m = vmem_check_version(bad[i][0], bad[i][1]);
		ck_assert_msg(m != NULL, "version %u.%u accepted", bad[i][0],
				bad[i][1]);
		ck_assert_msg(m[0] != '\0', "empty message for %u.%u",
				bad[i][0], bad[i][1]);
	}
}
END_TEST

static void *
errormsg_thread(void *arg)
{
	(void)arg;
	return (void *)vmem_errormsg();
}

START_TEST(test_errormsg_never_null)
{
	/* before any other call, in a new thread, and after success */
	ck_assert_ptr_nonnull(vmem_errormsg());
	pthread_t t;
	void *ret = NULL;
	ck_assert_int_eq(pthread_create(&t, NULL, errormsg_thread, NULL), 0);
	ck_assert_int_eq(pthread_join(t, &ret), 0);
	ck_assert_ptr_nonnull(ret);
	VMEM *vmp = tu_pool_create(VMEM_MIN_POOL);
	void *p = vmem_malloc(vmp, 10);
	ck_assert_ptr_nonnull(vmem_errormsg());
	vmem_free(vmp, p);
	vmem_delete(vmp);
	ck_assert_ptr_nonnull(vmem_errormsg());
}
END_TEST

/* two threads hand each other steps: A errs, B looks, B errs, A looks */
struct msgs {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int step;
	VMEM *vmp;
	char a_msg[512], b_before[512], b_msg[512], a_after[512];
};

static void
wait_step(struct msgs *m, int step)
{
	pthread_mutex_lock(&m->lock);
	while (m->step < step)
		pthread_cond_wait(&m->cond, &m->lock);
	pthread_mutex_unlock(&m->lock);
}

static void
set_step(struct msgs *m, int step)
{
	pthread_mutex_lock(&m->lock);
	m->step = step;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

static void *
thread_a(void *arg)
{
	struct msgs *m = arg;
	vmem_aligned_alloc(m->vmp, 3, 16);	/* EINVAL */
	snprintf(m->a_msg, sizeof(m->a_msg), "%s", vmem_errormsg());
	set_step(m, 1);
	wait_step(m, 2);
	snprintf(m->a_after, sizeof(m->a_after), "%s", vmem_errormsg());
	return NULL;
}

static void *
thread_b(void *arg)
{
	struct msgs *m = arg;
	wait_step(m, 1);
	snprintf(m->b_before, sizeof(m->b_before), "%s", vmem_errormsg());
	vmem_calloc(m->vmp, SIZE_MAX, 16);	/* ENOMEM */
	snprintf(m->b_msg, sizeof(m->b_msg), "%s", vmem_errormsg());
	set_step(m, 2);
	return NULL;
}

START_TEST(test_errormsg_per_thread)
{
	static struct msgs m = { .lock = PTHREAD_MUTEX_INITIALIZER,
			.cond = PTHREAD_COND_INITIALIZER };
	m.vmp = tu_pool_create(VMEM_MIN_POOL);
	/* the main thread's own error */
	errno = 0;
	ck_assert_ptr_null(vmem_create("/nonexistent-vmem-test-dir",
			VMEM_MIN_POOL));
	char mine[512];
	snprintf(mine, sizeof(mine), "%s", vmem_errormsg());
	ck_assert_msg(mine[0] != '\0', "no message after a failed create");
	pthread_t a, b;
	ck_assert_int_eq(pthread_create(&a, NULL, thread_a, &m), 0);
	ck_assert_int_eq(pthread_create(&b, NULL, thread_b, &m), 0);
	ck_assert_int_eq(pthread_join(a, NULL), 0);
	ck_assert_int_eq(pthread_join(b, NULL), 0);
	printf("main: \"%s\"\nA: \"%s\"\nB before: \"%s\"\nB: \"%s\"\n",
			mine, m.a_msg, m.b_before, m.b_msg);
	ck_assert_msg(m.a_msg[0] != '\0', "thread A: no message");
	ck_assert_msg(m.b_msg[0] != '\0', "thread B: no message");
	ck_assert_msg(strcmp(m.a_msg, m.b_msg) != 0, "A's and B's errors "
			"give the same message");
	ck_assert_msg(strcmp(m.b_before, m.a_msg) != 0, "thread B sees "
			"thread A's error");
	ck_assert_msg(strcmp(m.b_before, mine) != 0, "thread B sees the main "
			"thread's error");
	ck_assert_msg(strcmp(m.a_after, m.a_msg) == 0, "thread A's message "
			"changed by thread B's error: \"%s\"", m.a_after);
	ck_assert_msg(strcmp(vmem_errormsg(), mine) == 0, "the main thread's "
			"message changed by other threads: \"%s\"",
			vmem_errormsg());
	vmem_delete(m.vmp);
}
END_TEST

/* ---- thread safety ------------------------------------------------- */

#define NTHREADS 4
#define NSLOTS 1024

static VMEM *Tvmp;
static _Atomic(uintptr_t) Slot[NSLOTS];
static atomic_int Stop;

struct tstate {
	int id;
	long allocs, frees, foreign, enomem;
	int failed;
	char msg[160];
};

/*
 * An object's header: bytes 0-5 its size, byte 6 the id of the thread
 * that made it, byte 7 a marker; then up to 256 bytes of an address-derived
 * pattern.
 */
#define MARK 0xa5

static void
obj_fill(unsigned char *p, size_t sz, int id)
{
	uint64_t h = (uint64_t)sz | (uint64_t)id << 48 | (uint64_t)MARK << 56;
	memcpy(p, &h, 8);
	size_t n = sz < 256 ? sz : 256;
	for (size_t i = 8; i < n; i++)
		p[i] = (unsigned char)((uintptr_t)p + i);
}

/* 0 if the object is intact, else the offset of a bad byte (1 + ...) */
static size_t
obj_verify(const unsigned char *p)
{
	uint64_t h;
	memcpy(&h, p, 8);
	if ((h >> 56) != MARK)
		return 1;
	size_t sz = (size_t)(h & 0xffffffffffffULL);
	size_t n = sz < 256 ? sz : 256;
	for (size_t i = 8; i < n; i++) {
		if (p[i] != (unsigned char)((uintptr_t)p + i))
			return i;
	}
	return 0;
}

static int
obj_owner(const unsigned char *p)
{
	return p[6];
}

static void *
mt_worker(void *arg)
{
	struct tstate *st = arg;
	uint64_t r = tu_mix((uint64_t)st->id + 1000);
	int iters = TU_SANITIZED ? 30000 : 200000;
	for (int it = 0; it < iters && !atomic_load(&Stop); it++) {
		r = tu_mix(r);
		size_t s = r % NSLOTS;
		uintptr_t old = atomic_exchange(&Slot[s], 0);
		if (old != 0) {
			unsigned char *p = (unsigned char *)old;
			size_t bad = obj_verify(p);
			if (bad != 0) {
				snprintf(st->msg, sizeof(st->msg), "object %p "
						"corrupt at offset %zu", (void *)p,
						bad);
				st->failed = 1;
				atomic_store(&Stop, 1);
				return NULL;
			}
			if (obj_owner(p) != st->id)
				st->foreign++;
			vmem_free(Tvmp, p);
			st->frees++;
			continue;
		}
		size_t sz = 16 + (size_t)(r >> 32) % ((r >> 60) == 0 ?
				200000 : 2000);
		unsigned char *p;
		switch ((r >> 40) % 4) {
		case 0:
			p = vmem_calloc(Tvmp, 1, sz);
			break;
		case 1:
			p = vmem_aligned_alloc(Tvmp, (size_t)64 << (r >> 50) % 8,
					sz);
			break;
		default:
			p = vmem_malloc(Tvmp, sz);
			break;
		}
		if (p == NULL) {
			st->enomem++;
			continue;
		}
		obj_fill(p, sz, st->id);
		st->allocs++;
		uintptr_t expect = 0;
		if (!atomic_compare_exchange_strong(&Slot[s], &expect,
				(uintptr_t)p)) {
			vmem_free(Tvmp, p);
			st->frees++;
		}
	}
	return NULL;
}

/* runs vmem_check and vmem_stats_print while the workers run */
static void *
checker(void *arg)
{
	int *bad = arg;
	while (!atomic_load(&Stop)) {
		if (vmem_check(Tvmp) != 1) {
			*bad = 1;
			atomic_store(&Stop, 1);
		}
		usleep(20000);
	}
	return NULL;
}

static void
quiet(const char *s)
{
	(void)s;
}

START_TEST(test_threads_one_pool)
{
	Tvmp = tu_pool_create(256 * TU_MIB);
	vmem_set_funcs(NULL, NULL, NULL, NULL, quiet);
	struct tstate st[NTHREADS];
	pthread_t t[NTHREADS], ct;
	int check_bad = 0;
	memset(st, 0, sizeof(st));
	ck_assert_int_eq(pthread_create(&ct, NULL, checker, &check_bad), 0);
	for (int i = 0; i < NTHREADS; i++) {
		st[i].id = i + 1;
		ck_assert_int_eq(pthread_create(&t[i], NULL, mt_worker, &st[i]),
				0);
	}
	vmem_stats_print(Tvmp, NULL);
	for (int i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	atomic_store(&Stop, 1);
	ck_assert_int_eq(pthread_join(ct, NULL), 0);
	long foreign = 0;
	for (int i = 0; i < NTHREADS; i++) {
		ck_assert_msg(!st[i].failed, "thread %d: %s", i, st[i].msg);
		foreign += st[i].foreign;
		printf("thread %d: %ld allocs, %ld frees (%ld of others' "
				"objects), %ld ENOMEM\n", i, st[i].allocs,
				st[i].frees, st[i].foreign, st[i].enomem);
		ck_assert_int_eq(st[i].enomem, 0);
	}
	ck_assert_msg(!check_bad, "vmem_check != 1 while threads ran");
	ck_assert_int_gt(foreign, 0);
	for (int s = 0; s < NSLOTS; s++) {
		void *p = (void *)atomic_exchange(&Slot[s], 0);
		if (p != NULL) {
			ck_assert_uint_eq(obj_verify(p), 0);
			vmem_free(Tvmp, p);
		}
	}
	ck_assert_int_eq(vmem_check(Tvmp), 1);
	void *big = vmem_malloc(Tvmp, 200 * TU_MIB);
	ck_assert_msg(big != NULL, "200 MiB of a 256 MiB pool not available "
			"after the threads freed everything");
	vmem_free(Tvmp, big);
	vmem_set_funcs(NULL, NULL, NULL, NULL, NULL);
	vmem_delete(Tvmp);
}
END_TEST

/* ---- fork while other threads allocate --------------------------- */

static VMEM *Fvmp;
static atomic_int Fstop;

static void *
fork_hammer(void *arg)
{
	uint64_t r = tu_mix((uint64_t)(uintptr_t)arg + 77);
	void *keep[64] = { 0 };
	while (!atomic_load(&Fstop)) {
		r = tu_mix(r);
		int i = (int)(r % 64);
		vmem_free(Fvmp, keep[i]);
		keep[i] = vmem_malloc(Fvmp, 1 + (size_t)(r >> 8) %
				((r >> 60) == 0 ? 400000 : 3000));
		if ((r >> 32) % 256 == 0)
			vmem_check(Fvmp);
	}
	for (int i = 0; i < 64; i++)
		vmem_free(Fvmp, keep[i]);
	return NULL;
}

/* in the child: the pool (a private copy) must be fully usable */
static int
fork_child(void)
{
	/* a lock left held at fork: SIGALRM, not a hang (and not Check's
	 * inherited handler, which would kill the whole test) */
	signal(SIGALRM, SIG_DFL);
	alarm(10);
	void *p = vmem_malloc(Fvmp, 1000);
	if (p == NULL)
		return 2;
	memset(p, 1, 1000);
	void *q = vmem_malloc(Fvmp, 5 * TU_MIB);
	if (q == NULL)
		return 3;
	memset(q, 2, 4096);
	vmem_free(Fvmp, q);
	vmem_free(Fvmp, p);
	if (vmem_check(Fvmp) != 1)
		return 4;
	return 0;
}

START_TEST(test_fork_while_allocating)
{
	struct tu_region r;
	tu_region_map(&r, 128 * TU_MIB, 0);	/* private: copied on fork */
	Fvmp = vmem_create_in_region(r.addr, r.size);
	ck_assert_ptr_nonnull(Fvmp);
	enum { NT = 3 };
	pthread_t t[NT];
	for (int i = 0; i < NT; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, fork_hammer,
				(void *)(uintptr_t)i), 0);
	int forks = TU_SANITIZED ? 20 : 100, failed = 0, st = 0;
	for (int i = 0; i < forks && !failed; i++) {
		usleep(2000);
		pid_t pid = fork();
		if (pid == 0)
			_exit(fork_child());
		ck_assert_int_ge(pid, 0);
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed = i + 1;
	}
	atomic_store(&Fstop, 1);
	for (int i = 0; i < NT; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	ck_assert_msg(!failed, "fork #%d: the child %s %d", failed,
			WIFSIGNALED(st) ? "died of signal (14: hung on a lock)" :
			"exited with", WIFSIGNALED(st) ? WTERMSIG(st) :
			WEXITSTATUS(st));
	ck_assert_int_eq(vmem_check(Fvmp), 1);
	vmem_delete(Fvmp);
	tu_region_unmap(&r);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("library");
	TCase *tc = tu_tcase(s, "library", TU_TIMEOUT);
	tcase_add_test(tc, test_check_version);
	tcase_add_test(tc, test_errormsg_never_null);
	tcase_add_test(tc, test_errormsg_per_thread);
	tc = tu_tcase(s, "threads", 300);
	tcase_add_test(tc, test_threads_one_pool);
	tcase_add_test(tc, test_fork_while_allocating);
	return tu_run(s);
}
