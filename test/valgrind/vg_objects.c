/*
 * vg_objects.c -- programs that make (or do not make) each memory error
 * memcheck must report in a pool, and a threaded one for helgrind and
 * drd: test/valgrind/run.sh runs them under valgrind and checks the exact
 * reports.
 *
 * Built twice: vg_pool (-DVG_POOL: the libvmem API, one pool in /dev/shm
 * or $VG_POOL_DIR) and vg_heap (the C library's malloc family, run with
 * libvmmalloc preloaded through vmmalloc --valgrind). Each error is made
 * in a function of its own, kept out of line, so that the report's stack
 * names it: the allocating frame of a leak is leak_small or leak_large.
 *
 *   vg_pool MODE    (or vg_heap MODE)
 * MODE: leak, overrun, after-free, uninit, double-free, shrink-overrun,
 * clean, threads, fork-overrun; stray (vg_pool only). Exit status 0 unless the program itself
 * finds something wrong (then 3, with a line on stderr).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wchar.h>
#include <malloc.h>

#ifdef VG_POOL
#include <libvmem.h>
static VMEM *pool;
#define ALLOC(n)	vmem_malloc(pool, n)
#define CALLOC(n, m)	vmem_calloc(pool, n, m)
#define REALLOC(p, n)	vmem_realloc(pool, p, n)
#define ALIGNED(a, n)	vmem_aligned_alloc(pool, a, n)
#define STRDUP(s)	vmem_strdup(pool, s)
#define USABLE(p)	vmem_malloc_usable_size(pool, p)
#define FREE(p)		vmem_free(pool, p)
#else
#define ALLOC(n)	malloc(n)
#define CALLOC(n, m)	calloc(n, m)
#define REALLOC(p, n)	realloc(p, n)
#define ALIGNED(a, n)	aligned_alloc(a, n)
#define STRDUP(s)	strdup(s)
#define USABLE(p)	malloc_usable_size(p)
#define FREE(p)		free(p)
#endif

#define NOINLINE __attribute__((noinline))

/* a compiler barrier on a pointer: the errors below must really happen */
static void *volatile sink;

static NOINLINE void
fail(const char *what)
{
	fprintf(stderr, "vg_objects: %s\n", what);
	exit(3);
}

static NOINLINE void *
must(void *p, const char *what)
{
	if (p == NULL)
		fail(what);
	return p;
}

/* ---- one memory error each ---------------------------------------------- */
static NOINLINE void
leak_small(void)
{
	char *p = must(ALLOC(100), "malloc 100");
	p[0] = 1;
	sink = NULL;
}

static NOINLINE void
leak_large(void)
{
	char *p = must(ALLOC(100000), "malloc 100000");
	p[99999] = 1;
}

static NOINLINE void
write_past_end(void)
{
	char *p = must(ALLOC(100), "malloc");
	sink = p;
	((volatile char *)p)[100] = 1;	/* not dropped before free */
	FREE(p);
}

static NOINLINE void
read_after_free(void)
{
	char *p = must(ALLOC(100), "malloc");
	memset(p, 0, 100);
	sink = p;
	FREE(p);
	printf("%d\n", ((volatile char *)sink)[10]);
}

static NOINLINE void
branch_on_uninit(void)
{
	char *p = must(ALLOC(100), "malloc");
	if (((volatile char *)p)[50] == 7)
		printf("seven\n");
	FREE(p);
}

static NOINLINE void
free_twice(void)
{
	char *p = must(ALLOC(100), "malloc");
	sink = p;
	FREE(p);
	FREE((void *)sink);
}

#ifdef VG_POOL
/* reads of the pool's own memory: its metadata (the page map, a page into
 * the region) and a free object of the slab of a live one */
static NOINLINE void
read_metadata_and_free(void)
{
	char *p = must(ALLOC(100), "malloc");
	memset(p, 1, 100);
	sink = p;
	printf("%d\n", ((volatile char *)pool)[4096]);
	printf("%d\n", ((volatile char *)sink)[3 * 112]);	/* class 112 */
	FREE(p);
}
#endif

/* realloc within the object's class stays in place and cuts the block */
static NOINLINE void
shrink_then_overrun(void)
{
	char *p = must(ALLOC(100), "malloc");
	memset(p, 1, 100);
	char *q = must(REALLOC(p, 97), "realloc");
	if (q != p)
		fail("realloc from 100 to 97 bytes moved");
	((volatile char *)q)[97] = 1;
	FREE(q);
}

/* the child of a fork writes past an object: the pool was mapped anew
 * for the fork (libvmmalloc), and must be marked again */
static NOINLINE void
fork_then_overrun(void)
{
	char *p = must(ALLOC(100), "malloc");
	memset(p, 1, 100);
	pid_t pid = fork();
	if (pid < 0)
		fail("fork");
	if (pid == 0) {
		FREE(p);
		char *q = must(ALLOC(50), "malloc in the child");
		sink = q;
		((volatile char *)q)[50] = 1;
		FREE(q);
		_exit(0);
	}
	int status;	/* the child's is valgrind's --error-exitcode */
	if (waitpid(pid, &status, 0) != pid)
		fail("waitpid");
	if (p[99] != 1)
		fail("the parent's object changed");
	FREE(p);
}

/* ---- every function, used right: no error, nothing lost --------------- */
#ifdef VG_POOL
static char printed[64];	/* the statistics' first line */
static void
print_func(const char *s)
{
	strncat(printed, s, sizeof(printed) - strlen(printed) - 1);
}

/* a pool in memory the program mapped, with objects left in it when it
 * is deleted: they go with it, and the memory is the program's again */
static NOINLINE void
region_pool(void)
{
	size_t size = VMEM_MIN_POOL;
	char *region = mmap(NULL, size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED)
		fail("mmap");
	VMEM *rp = must(vmem_create_in_region(region, size), "in region");
	char *a = must(vmem_malloc(rp, 200), "malloc in region");
	char *b = must(vmem_malloc(rp, 300000), "large in region");
	memset(a, 2, 200);
	memset(b, 3, 300000);
	vmem_delete(rp);
	memset(region, 4, size);	/* the program's memory again */
	munmap(region, size);
}
#endif

static NOINLINE void
use_everything(void)
{
	char *p = must(ALLOC(100), "malloc");
	memset(p, 1, 100);
	/* calloc's bytes are defined */
	unsigned char *z = must(CALLOC(10, 100), "calloc");
	for (int i = 0; i < 1000; i++)
		if (z[i] != 0)
			fail("calloc not zero");
	/* realloc: grow (moved, contents defined), shrink, in place */
	char *q = must(REALLOC(p, 5000), "realloc grow");
	for (int i = 0; i < 100; i++)
		if (q[i] != 1)
			fail("realloc lost contents");
	memset(q, 2, 5000);
	q = must(REALLOC(q, 4990), "realloc in place");
	q[4989] = 3;
	q = must(REALLOC(q, 10), "realloc shrink");
	if (q[9] != 2)
		fail("realloc shrink lost contents");
	/* the usable size may be used whole */
	size_t u = USABLE(q);
	if (u < 10)
		fail("usable size");
	memset(q, 5, u);
	/* large objects: grown in place or not, freed */
	char *big = must(ALLOC(1 << 20), "large");
	memset(big, 6, 1 << 20);
	big = must(REALLOC(big, 3 << 20), "large grow");
	if (big[(1 << 20) - 1] != 6)
		fail("large realloc lost contents");
	big = must(REALLOC(big, 2 << 20), "large shrink");
	char *al = must(ALIGNED(4096, 5000), "aligned_alloc");
	if ((uintptr_t)al % 4096 != 0)
		fail("not aligned");
	memset(al, 7, 5000);
	char *s = must(STRDUP("hello, pool"), "strdup");
	if (strcmp(s, "hello, pool") != 0)
		fail("strdup");
	/* realloc(NULL) and free(NULL) */
	char *n = must(REALLOC(NULL, 33), "realloc NULL");
	memset(n, 8, 33);
	FREE(NULL);
#ifdef VG_POOL
	wchar_t *w = must(vmem_wcsdup(pool, L"wide"), "wcsdup");
	if (wcscmp(w, L"wide") != 0)
		fail("wcsdup");
	vmem_free(pool, w);
	if (vmem_check(pool) != 1)
		fail("vmem_check");
	vmem_set_funcs(NULL, NULL, NULL, NULL, print_func);
	vmem_stats_print(pool, NULL);
	vmem_set_funcs(NULL, NULL, NULL, NULL, NULL);
	if (strstr(printed, "Begin libvmem statistics") == NULL)
		fail("no statistics");
	if (vmem_check_version(VMEM_MAJOR_VERSION, VMEM_MINOR_VERSION))
		fail("version");
	/* a bad free is vmem's error, memcheck's too: not made here */
	if (vmem_malloc_usable_size(pool, s + 1) != 0 ||
			vmem_errormsg()[0] == '\0')
		fail("an inner pointer has a usable size");
	region_pool();
#else
	void *m = NULL;
	if (posix_memalign(&m, 64, 1000) != 0)
		fail("posix_memalign");
	memset(m, 9, 1000);
	free(m);
	m = must(memalign(128, 300), "memalign");
	free(m);
	m = must(valloc(100), "valloc");
	free(m);
	m = must(reallocarray(NULL, 10, 10), "reallocarray");
	free(m);
	struct mallinfo2 mi = mallinfo2();
	if (mi.uordblks == 0)
		fail("mallinfo2 sees nothing in use");
	malloc_trim(0);
#endif
	FREE(n);
	FREE(s);
	FREE(al);
	FREE(big);
	FREE(q);
	FREE(z);
}

/* ---- threads: shared pool, cross-thread frees, pools made and deleted --- */
#define NTHREADS	4
#define NOBJS		400

static void *objs[NTHREADS][NOBJS];
static pthread_barrier_t barrier;

static void *
thread_main(void *arg)
{
	long t = (long)arg;
	for (int i = 0; i < NOBJS; i++) {
		size_t n = (size_t)(16 + (i * 37 + t * 11) % 3000);
		if (i % 50 == 0)
			n = 70000;	/* a large one now and then */
		objs[t][i] = must(ALLOC(n), "malloc in a thread");
		memset(objs[t][i], (int)t, 16);
	}
	pthread_barrier_wait(&barrier);
	/* free the next thread's objects, and make some more */
	long o = (t + 1) % NTHREADS;
	for (int i = 0; i < NOBJS; i++) {
		FREE(objs[o][i]);
		if (i % 4 == 0)
			objs[o][i] = must(ALLOC(64), "malloc again");
		else
			objs[o][i] = NULL;
	}
#ifdef VG_POOL
	for (int r = 0; r < 2; r++) {
		VMEM *own = must(vmem_create(getenv("VG_POOL_DIR") ?
				getenv("VG_POOL_DIR") : "/dev/shm",
				VMEM_MIN_POOL), "a thread's pool");
		void *p = must(vmem_malloc(own, 100), "malloc in own pool");
		memset(p, 1, 100);
		vmem_free(own, p);
		vmem_delete(own);
	}
#endif
	return NULL;
}

static NOINLINE void
threads(void)
{
	pthread_t th[NTHREADS];
	pthread_barrier_init(&barrier, NULL, NTHREADS);
	for (long t = 0; t < NTHREADS; t++)
		if (pthread_create(&th[t], NULL, thread_main, (void *)t) != 0)
			fail("pthread_create");
	for (int t = 0; t < NTHREADS; t++)
		pthread_join(th[t], NULL);
	pthread_barrier_destroy(&barrier);
	for (int t = 0; t < NTHREADS; t++)
		for (int i = 0; i < NOBJS; i++)
			FREE(objs[t][i]);
#ifdef VG_POOL
	if (vmem_check(pool) != 1)
		fail("vmem_check after the threads");
#endif
}

int
main(int argc, char **argv)
{
	if (argc != 2)
		fail("usage: vg_pool|vg_heap MODE");
#ifdef VG_POOL
	const char *dir = getenv("VG_POOL_DIR");
	pool = must(vmem_create(dir != NULL ? dir : "/dev/shm", 64 << 20),
			"vmem_create");
#endif
	const char *m = argv[1];
	if (strcmp(m, "leak") == 0) {
		leak_small();
		leak_large();
	} else if (strcmp(m, "overrun") == 0) {
		write_past_end();
	} else if (strcmp(m, "after-free") == 0) {
		read_after_free();
	} else if (strcmp(m, "uninit") == 0) {
		branch_on_uninit();
	} else if (strcmp(m, "double-free") == 0) {
		free_twice();
#ifdef VG_POOL
	} else if (strcmp(m, "stray") == 0) {
		read_metadata_and_free();
#endif
	} else if (strcmp(m, "shrink-overrun") == 0) {
		shrink_then_overrun();
	} else if (strcmp(m, "fork-overrun") == 0) {
		fork_then_overrun();
	} else if (strcmp(m, "clean") == 0) {
		use_everything();
	} else if (strcmp(m, "threads") == 0) {
		threads();
	} else {
		fail("unknown mode");
	}
#ifdef VG_POOL
	if (strcmp(m, "leak") != 0)
		vmem_delete(pool);	/* a leak's pool stays, to be seen */
#endif
	return 0;
}
