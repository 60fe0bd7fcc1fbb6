/*
 * dax_vmmalloc.c -- libvmmalloc on a real device DAX. Run by run-vm.sh
 * inside the QEMU guest as
 *
 *   LD_PRELOAD=libvmmalloc.so.1 VMMALLOC_POOL_DIR=/dev/dax0.0 \
 *   VMMALLOC_POOL_SIZE=64M dax_vmmalloc
 *
 * and checks, one line each, that the process heap is the device: one
 * MAP_SHARED mapping of the device, VMMALLOC_POOL_SIZE (rounded up to the
 * device alignment) long, at a multiple of the alignment; that malloc,
 * calloc, realloc, posix_memalign, aligned_alloc, strdup and the FILE of
 * fopen land in it (also from a second thread) and keep their contents;
 * that a request larger than the pool fails with ENOMEM; and that a fork
 * gives the child a private copy of the heap that is not the device (the
 * device stays the parent's: a child writing to it would corrupt the
 * parent's heap), with the objects made before the fork, in which it
 * allocates while the parent's objects stay as they were.
 * Plain C on the malloc family only: it does not know libvmem.
 */
#include <malloc.h>
#include <pthread.h>
#include <sys/wait.h>

#include "devmap.h"

static struct devmap pool;	/* the device's mapping, found at start */
static struct devgeo geo;	/* the device */

/* "K", "M", "G" suffixes as VMMALLOC_POOL_SIZE takes them; 0 if bad */
static size_t
parse_size(const char *s)
{
	if (s == NULL)
		return 0;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return 0;
	unsigned shift = 0;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	default: break;
	}
	if (*end != '\0' || n > (SIZE_MAX >> shift))
		return 0;
	return (size_t)n << shift;
}

/* one place per kind of failure: the first one is reported */
struct tally {
	int bad;
	char msg[256];
};

static void
note(struct tally *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void
note(struct tally *t, const char *fmt, ...)
{
	if (t->bad++ != 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof(t->msg), fmt, ap);
	va_end(ap);
}

static void
pattern(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 7 + (i >> 12));
}

static size_t
pattern_differs(const unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(seed + i * 7 + (i >> 12)))
			return i;
	return n;
}

static void
check_malloc(void)
{
	static const size_t sizes[] = {
		0, 1, 16, 100, 1000, 4096, 4097, 65536, 200000, MIB,
		3 * MIB + 1, 8 * MIB,
	};
	enum { NS = sizeof(sizes) / sizeof(*sizes), K = 4 };
	unsigned char *p[NS][K];
	struct tally where = { 0 }, got = { 0 }, kept = { 0 };
	for (size_t s = 0; s < NS; s++)
		for (unsigned k = 0; k < K; k++) {
			size_t n = sizes[s];
			p[s][k] = malloc(n);
			if (p[s][k] == NULL) {
				note(&got, "malloc(%zu) = NULL, errno %s", n,
						errname(errno));
				continue;
			}
			if (!inside(&pool, p[s][k], n ? n : 1))
				note(&where, "malloc(%zu) = %p", n,
						(void *)p[s][k]);
			if (malloc_usable_size(p[s][k]) < n)
				note(&got, "malloc_usable_size of malloc(%zu) "
						"= %zu", n,
						malloc_usable_size(p[s][k]));
			pattern(p[s][k], n, (unsigned)(s * K + k));
		}
	for (size_t s = 0; s < NS; s++)
		for (unsigned k = 0; k < K; k += 2) {
			free(p[s][k]);
			p[s][k] = NULL;
		}
	for (size_t s = 0; s < NS; s++)
		for (unsigned k = 1; k < K; k += 2) {
			if (p[s][k] == NULL)
				continue;
			size_t at = pattern_differs(p[s][k], sizes[s],
					(unsigned)(s * K + k));
			if (at != sizes[s])
				note(&kept, "malloc(%zu) %p: byte %zu changed",
						sizes[s], (void *)p[s][k], at);
			free(p[s][k]);
		}
	check(got.bad == 0, "vmmalloc: malloc 0 B .. 8 MiB", "%d failures, "
			"the first: %s", got.bad, got.msg);
	check(where.bad == 0, "vmmalloc: malloc lands in the device",
			"%d outside %#" PRIxPTR "-%#" PRIxPTR ", the first: %s",
			where.bad, pool.start, pool.end, where.msg);
	check(kept.bad == 0, "vmmalloc: contents kept while others are freed",
			"%d changed, the first: %s", kept.bad, kept.msg);
}

static void
check_calloc_realloc(void)
{
	struct tally t = { 0 };
	/* dirty memory first, so that calloc must really zero */
	unsigned char *d = malloc(MIB);
	if (d != NULL)
		memset(d, 0xee, MIB);
	free(d);
	unsigned char *c = calloc(1024, 1024);
	if (c == NULL || !inside(&pool, c, MIB)) {
		note(&t, "calloc(1024, 1024) = %p, errno %s", (void *)c,
				errname(errno));
	} else {
		for (size_t i = 0; i < MIB; i++)
			if (c[i] != 0) {
				note(&t, "calloc'ed byte %zu is %#x", i, c[i]);
				break;
			}
	}
	free(c);
	check(t.bad == 0, "vmmalloc: calloc zeroed, in the device", "%s",
			t.msg);

	struct tally r = { 0 };
	static const size_t steps[] = { 10, 3000, 70000, 2 * MIB, 9 * MIB,
		500, 0 };
	unsigned char *p = NULL;
	size_t have = 0;
	for (size_t i = 0; i < sizeof(steps) / sizeof(*steps); i++) {
		size_t n = steps[i];
		if (n == 0)
			break;
		unsigned char *q = realloc(p, n);
		if (q == NULL || !inside(&pool, q, n)) {
			note(&r, "realloc(%zu -> %zu) = %p, errno %s", have, n,
					(void *)q, errname(errno));
			break;
		}
		size_t same = have < n ? have : n;
		size_t at = pattern_differs(q, same, 3);
		if (at != same)
			note(&r, "realloc(%zu -> %zu): byte %zu changed", have,
					n, at);
		p = q;
		have = n;
		pattern(p, have, 3);
	}
	free(p);
	check(r.bad == 0, "vmmalloc: realloc keeps contents, in the device",
			"%s", r.msg);
}

static void
check_aligned(void)
{
	struct tally t = { 0 };
	static const size_t aligns[] = { 16, 256, 4096, 65536, 2 * MIB };
	for (size_t i = 0; i < sizeof(aligns) / sizeof(*aligns); i++) {
		void *p = NULL;
		int e = posix_memalign(&p, aligns[i], aligns[i] + 5);
		if (e != 0 || (uintptr_t)p % aligns[i] != 0 ||
				!inside(&pool, p, aligns[i] + 5))
			note(&t, "posix_memalign(%zu, %zu) = %s, %p",
					aligns[i], aligns[i] + 5, errname(e), p);
		free(p);
		p = aligned_alloc(aligns[i], 2 * aligns[i]);
		if (p == NULL || (uintptr_t)p % aligns[i] != 0 ||
				!inside(&pool, p, 2 * aligns[i]))
			note(&t, "aligned_alloc(%zu, %zu) = %p, errno %s",
					aligns[i], 2 * aligns[i], p,
					errname(errno));
		free(p);
	}
	check(t.bad == 0, "vmmalloc: posix_memalign, aligned_alloc up to "
			"2 MiB, in the device", "%s", t.msg);
}

/* what libc allocates for the program comes from the device too */
static void
check_libc(void)
{
	struct tally t = { 0 };
	char *s = strdup("a string on a device DAX");
	if (s == NULL || !inside(&pool, s, strlen(s) + 1))
		note(&t, "strdup = %p", (void *)s);
	free(s);
	FILE *f = fopen("/proc/self/stat", "r");
	if (f == NULL) {
		note(&t, "fopen: %s", strerror(errno));
	} else {
		if (!inside(&pool, f, sizeof(*f)))
			note(&t, "fopen's FILE = %p", (void *)f);
		fclose(f);
	}
	check(t.bad == 0, "vmmalloc: strdup and fopen's FILE in the device",
			"%s", t.msg);
}

static void *
thread_main(void *arg)
{
	struct tally *t = arg;
	for (int i = 0; i < 200; i++) {
		size_t n = (size_t)(i * 37 % 5000) + 1;
		unsigned char *p = malloc(n);
		if (p == NULL || !inside(&pool, p, n)) {
			note(t, "thread: malloc(%zu) = %p", n, (void *)p);
			break;
		}
		pattern(p, n, (unsigned)i);
		if (pattern_differs(p, n, (unsigned)i) != n)
			note(t, "thread: object %p changed", (void *)p);
		free(p);
	}
	return NULL;
}

static void
check_thread(void)
{
	struct tally t = { 0 };
	pthread_t th;
	int e = pthread_create(&th, NULL, thread_main, &t);
	if (e != 0)
		note(&t, "pthread_create: %s", strerror(e));
	else
		pthread_join(th, NULL);
	check(t.bad == 0, "vmmalloc: a second thread allocates in the device",
			"%s", t.msg);
}

static void
check_exhaustion(size_t pool_size)
{
	size_t n = pool_size + 16 * MIB;
	errno = 0;
	void *p = malloc(n);
	int e = errno;
	check(p == NULL && e == ENOMEM, "vmmalloc: malloc larger than the "
			"pool -> NULL, ENOMEM", "expected NULL with ENOMEM for "
			"malloc(%zu), got %p, errno %s", n, p, errname(e));
	free(p);
	void *q = malloc(1000);
	check(q != NULL && inside(&pool, q, 1000), "vmmalloc: the pool serves "
			"after a failed malloc", "expected an object in the "
			"device, got %p", q);
	free(q);
}

/* in the child of check_fork: its own checks; exits 0 if they passed */
static void
fork_child(unsigned char *keep, size_t n)
{
	int failed_before = atomic_load(&dm_failed);
	size_t at = pattern_differs(keep, n, 9);
	check(at == n, "vmmalloc fork child: sees the parent's objects",
			"expected the 1 MiB object as before the fork, byte %zu "
			"differs", at);
	struct devmap maps[DM_MAX];
	int nmaps = devmap_find(geo.path, maps, DM_MAX);
	check(nmaps == 0, "vmmalloc fork child: the device is not mapped",
			"expected the heap moved off %s, got %d mappings of it",
			geo.path, nmaps);
	pattern(keep, n, 10);
	unsigned char *p = malloc(2 * MIB);
	bool ok = p != NULL && (uintptr_t)p >= pool.start &&
		(uintptr_t)p + 2 * MIB <= pool.end;
	if (ok) {
		pattern(p, 2 * MIB, 11);
		ok = pattern_differs(p, 2 * MIB, 11) == 2 * MIB;
	}
	check(ok, "vmmalloc fork child: allocates in its copy of the heap",
			"expected a 2 MiB object in %#" PRIxPTR "-%#" PRIxPTR
			", got %p", pool.start, pool.end, (void *)p);
	free(p);
	/* the child's heap is anonymous memory now: it forks like any
	 * other process, and its child allocates too */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		void *q = malloc(64 * 1024);
		_exit(q != NULL && (uintptr_t)q >= pool.start &&
				(uintptr_t)q < pool.end ? 0 : 1);
	}
	int st = 0;
	bool waited = pid > 0 && waitpid(pid, &st, 0) == pid;
	check(waited && WIFEXITED(st) && WEXITSTATUS(st) == 0,
			"vmmalloc fork child: forks again, the grandchild "
			"allocates", "expected exit status 0, got %#x", st);
	free(keep);
	exit(atomic_load(&dm_failed) == failed_before ? 0 : 1);
}

static void
check_fork(void)
{
	size_t n = MIB;
	unsigned char *keep = malloc(n);
	if (keep == NULL) {
		check(false, "vmmalloc: fork", "malloc(1 MiB) failed");
		return;
	}
	pattern(keep, n, 9);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		fork_child(keep, n);
	int st = 0;
	bool waited = pid > 0 && waitpid(pid, &st, 0) == pid;
	check(waited && WIFEXITED(st) && WEXITSTATUS(st) == 0,
			"vmmalloc: fork, the child's checks passed",
			"expected exit status 0, got %s %d", !waited ? "no child" :
			WIFEXITED(st) ? "exit status" : "signal",
			!waited ? 0 : WIFEXITED(st) ? WEXITSTATUS(st) :
			WTERMSIG(st));
	size_t at = pattern_differs(keep, n, 9);
	check(at == n, "vmmalloc: fork, the parent's objects unchanged",
			"expected the 1 MiB object as before the fork, byte %zu "
			"differs (the child wrote to the parent's heap)", at);
	struct devmap maps[DM_MAX];
	int nmaps = devmap_find(geo.path, maps, DM_MAX);
	check(nmaps == 1 && maps[0].start == pool.start &&
			maps[0].end == pool.end,
			"vmmalloc: fork, the parent keeps the device",
			"expected one mapping %#" PRIxPTR "-%#" PRIxPTR ", got %d",
			pool.start, pool.end, nmaps);
	unsigned char *p = malloc(4096);
	check(p != NULL && inside(&pool, p, 4096), "vmmalloc: fork, the "
			"parent allocates in the device", "got %p", (void *)p);
	free(p);
	free(keep);
}

int
main(void)
{
	const char *dir = getenv("VMMALLOC_POOL_DIR");
	size_t size = parse_size(getenv("VMMALLOC_POOL_SIZE"));
	if (dir == NULL || size == 0) {
		fprintf(stderr, "dax_vmmalloc: run with VMMALLOC_POOL_DIR (a "
				"device DAX) and VMMALLOC_POOL_SIZE set\n");
		return 2;
	}
	char why[PATH_MAX + 128];
	if (!check(devgeo_read(dir, &geo, why, sizeof(why)) == 0,
			"vmmalloc: device size and alignment from sysfs", "%s",
			why))
		return dm_status("dax_vmmalloc");
	size_t want = (size + geo.align - 1) / geo.align * geo.align;
	if (want > geo.size)
		want = geo.size;

	struct devmap maps[DM_MAX];
	int n = devmap_find(geo.path, maps, DM_MAX);
	if (!check(n == 1, "vmmalloc: one mapping of the device", "expected 1 "
			"mapping of %s in /proc/self/maps, got %d (is "
			"libvmmalloc preloaded?)", geo.path, n))
		return dm_status("dax_vmmalloc");
	pool = maps[0];
	size_t len = pool.end - pool.start;
	dm_line("info: pool %#" PRIxPTR "-%#" PRIxPTR " (%s) on %s, "
			"alignment %s", pool.start, pool.end, human(len),
			geo.path, human(geo.align));
	char name[128];
	snprintf(name, sizeof(name), "vmmalloc: mapping is %s", human(want));
	check(len == want, name, "expected %zu bytes (VMMALLOC_POOL_SIZE %s "
			"rounded up to %s), got %zu (%s)", want, human(size),
			human(geo.align), len, human(len));
	check(pool.start % geo.align == 0, "vmmalloc: mapping aligned to the "
			"device", "expected a multiple of %#zx, got %#" PRIxPTR,
			geo.align, pool.start);
	check(pool.perms[3] == 's', "vmmalloc: mapping shared",
			"expected \"rw-s\", got \"%s\"", pool.perms);

	check_malloc();
	check_calloc_realloc();
	check_aligned();
	check_libc();
	check_thread();
	check_exhaustion(len);
	check_fork();
	return dm_status("dax_vmmalloc");
}
