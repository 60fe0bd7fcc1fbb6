/*
 * vmm_checks.h -- the checks of libvmmalloc's malloc family shared by
 * dax_vmmalloc.c (the pool on a device DAX) and fsdax_vmmalloc.c (the pool
 * file in a directory of a DAX file system), which run inside the QEMU
 * guest of run-vm.sh with libvmmalloc preloaded.
 *
 * Before including, define WHERE, the pool as check names call it ("the
 * device"), and set pool (declared here) to the pool's mapping before
 * calling a check: malloc, calloc, realloc, posix_memalign,
 * aligned_alloc, strdup and the FILE of fopen land in it (also from a
 * second thread) and keep their contents; a request larger than the pool
 * fails with ENOMEM and the pool serves on. Include after devmap.h.
 */
#ifndef VMM_CHECKS_H
#define VMM_CHECKS_H 1

#include <malloc.h>
#include <pthread.h>

static struct devmap pool;	/* the pool's mapping, found at start */

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
	check(where.bad == 0, "vmmalloc: malloc lands in " WHERE,
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
	check(t.bad == 0, "vmmalloc: calloc zeroed, in " WHERE, "%s",
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
	check(r.bad == 0, "vmmalloc: realloc keeps contents, in " WHERE,
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
			"2 MiB, in " WHERE, "%s", t.msg);
}

/* what libc allocates for the program comes from the pool too */
static void
check_libc(void)
{
	struct tally t = { 0 };
	char *s = strdup("a string on DAX");
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
	check(t.bad == 0, "vmmalloc: strdup and fopen's FILE in " WHERE,
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
	check(t.bad == 0, "vmmalloc: a second thread allocates in " WHERE,
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
			"after a failed malloc", "expected an object in "
			WHERE ", got %p", q);
	free(q);
}

#endif /* VMM_CHECKS_H */
