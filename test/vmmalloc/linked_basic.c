/*
 * linked_basic.c -- linked with -lvmmalloc (no LD_PRELOAD), run by run.sh
 * with VMMALLOC_POOL_DIR and VMMALLOC_POOL_SIZE set: linking the library
 * makes it the program's allocator. <libvmmalloc.h> gives the version and
 * VMMALLOC_MIN_POOL (14 MiB); libvmmalloc.so.1 is mapped although nothing
 * preloads it; the pool is there (shared, VMMALLOC_POOL_SIZE long); every
 * member of the malloc family, cfree, what libc allocates (strdup), a
 * thread's allocations and a forked child's (default VMMALLOC_FORK=1: the
 * same file, private) land in the pool.
 *
 * Its first act is to print "linked_basic: main runs": run.sh also runs it
 * with a bad environment, where the library must stop the process with one
 * line on stderr and exit status 1 before main, so that line never shows.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1	/* also given by the Makefile */
#endif
#include <malloc.h>
#include <pthread.h>
#include <sys/wait.h>

#include <libvmmalloc.h>

#include "poolmap.h"

static struct poolmap pool;

static void
in(void *p, size_t n, const char *what)
{
	CHECK(in_pool(&pool, p, n), "%s(%zu) = %p not in the pool", what, n, p);
	if (p != NULL)
		CHECK(malloc_usable_size(p) >= n, "malloc_usable_size(%s(%zu)) "
				"= %zu", what, n, malloc_usable_size(p));
}

static void *
thread(void *arg)
{
	(void)arg;
	for (size_t n = 1; n <= (1 << 20); n *= 4) {
		void *p = malloc(n);
		in(p, n, "malloc (thread)");
		free(p);
	}
	return NULL;
}

int
main(void)
{
	printf("linked_basic: main runs\n");
	fflush(stdout);
	CHECK(VMMALLOC_MIN_POOL == (size_t)14 << 20, "VMMALLOC_MIN_POOL = %zu",
			VMMALLOC_MIN_POOL);
	CHECK(VMMALLOC_MAJOR_VERSION == 1 && VMMALLOC_MINOR_VERSION == 1,
			"version %d.%d", VMMALLOC_MAJOR_VERSION,
			VMMALLOC_MINOR_VERSION);
	const char *pre = getenv("LD_PRELOAD");
	CHECK(pre == NULL || strstr(pre, "vmmalloc") == NULL, "LD_PRELOAD=%s: "
			"this test is about linking", pre);
	char why[600];
	if (!CHECK(poolmap_find(&pool, why, sizeof(why)), "%s", why))
		return pm_status("linked_basic");
	CHECK(pm_read_maps() > 0 && strstr(pm_maps, "/libvmmalloc.so.1\n")
			!= NULL, "libvmmalloc.so.1 is not mapped");
	CHECK(pool.end - pool.start == pm_expected_size(), "pool of %zu bytes, "
			"want %zu", (size_t)(pool.end - pool.start),
			pm_expected_size());
	CHECK(strcmp(pool.perms, "rw-s") == 0, "pool mapped '%s'", pool.perms);

	void *p = malloc(100);
	in(p, 100, "malloc");
	void *c = calloc(10, 10);
	in(c, 100, "calloc");
	p = realloc(p, 100000);
	in(p, 100000, "realloc");
	void *a = NULL;
	CHECK(posix_memalign(&a, 4096, 5000) == 0, "posix_memalign");
	in(a, 5000, "posix_memalign");
	CHECK((uintptr_t)a % 4096 == 0, "posix_memalign misaligned");
	void *al = aligned_alloc(64, 640);
	in(al, 640, "aligned_alloc");
	void *m = memalign(256, 1000);
	in(m, 1000, "memalign");
	void *v = valloc(10);
	in(v, 10, "valloc");
	void *pv = pvalloc(10);
	in(pv, 10, "pvalloc");
	char *s = strdup("linked, not preloaded");
	in(s, 22, "strdup");
	free(p);
	free(c);
	free(a);
	free(al);
	free(m);
	free(v);
	free(pv);
	cfree(s);	/* the old name libvmmalloc.h declares */

	pthread_t t;
	if (CHECK(pthread_create(&t, NULL, thread, NULL) == 0, "pthread_create"))
		pthread_join(t, NULL);

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		atomic_store(&pm_failures, 0);
		alarm(30);
		struct poolmap cp;
		if (CHECK(poolmap_find(&cp, why, sizeof(why)), "child: %s", why)) {
			CHECK(cp.start == pool.start && cp.ino == pool.ino &&
					strcmp(cp.perms, "rw-p") == 0, "child: pool "
					"at %#lx inode %llu %s, want the parent's, "
					"private", (unsigned long)cp.start, cp.ino,
					cp.perms);
			pool = cp;
			void *q = malloc(3000);
			in(q, 3000, "malloc (child)");
			free(q);
		}
		_exit(atomic_load(&pm_failures) ? 1 : 0);
	}
	int st = -1;
	if (CHECK(pid > 0, "fork"))
		waitpid(pid, &st, 0);
	CHECK(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status "
			"%#x", st);
	return pm_status("linked_basic");
}
