/*
 * inpool.c -- run by run.sh under LD_PRELOAD=libvmmalloc.so.1 (release and
 * debug, VMMALLOC_FORK 0..3): every call of the malloc family lands in the
 * pool, the one mapping of a file of VMMALLOC_POOL_DIR in /proc/self/maps
 * (poolmap.h), shared ("rw-s"), unnamed (the directory stays empty), and
 * VMMALLOC_POOL_SIZE rounded up to a page long.
 *
 *  - malloc of 0, 1 and 2^k-1, 2^k, 2^k+1 up to 1 MiB (distinct, aligned,
 *    not overlapping, malloc_usable_size >= the request); calloc (zeroed,
 *    also over reused memory; overflow -> NULL, ENOMEM); realloc (from
 *    NULL, growing and shrinking with the contents kept, to 0, a failed
 *    realloc keeps the block); posix_memalign, memalign, aligned_alloc,
 *    valloc, pvalloc (alignment up to 2 MiB; a bad alignment -> EINVAL);
 *    reallocarray (overflow -> ENOMEM); what libc allocates for the program
 *    (strdup, strndup, wcsdup, asprintf, getline, open_memstream, the FILE
 *    of fopen, realpath);
 *  - exhaustion: a request larger than the pool -> NULL, ENOMEM; filling the
 *    pool never hands out memory outside it, ends with ENOMEM, a full pool
 *    still frees, sizes and shrinks; after freeing, the pool serves again;
 *  - 4 threads at once, each starting with its first allocation, calling
 *    every entry point, passing objects to the next thread to free while
 *    running and leaving some for the main thread to free after they
 *    exited (cookies checked);
 *  - fork, with 2 threads allocating all the time: the argument says what
 *    VMMALLOC_FORK promises. "private" (mode 1, and mode 3 when the copy
 *    cannot be made): after fork parent and child map the same file
 *    MAP_PRIVATE ("rw-p") at the same address. "copy" (mode 2, and mode 3
 *    with space for the copy): the child maps a different file ("rw-s")
 *    at the same address, the parent keeps its shared mapping. In both the
 *    child sees the parent's objects, allocates in its pool (also from a
 *    new thread), frees, forks a grandchild once, exits 0; the parent sees
 *    none of the child's writes and its pool still works. "none" (mode 0)
 *    skips fork: libvmmalloc(7) leaves fork undefined there.
 *
 * usage: inpool none|private|copy    all of the above
 *        inpool size BYTES           only: the pool mapping is BYTES
 *                                    rounded up to a page (size syntax)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1	/* also given by the Makefile */
#endif
#include <dirent.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdalign.h>
#include <sys/wait.h>
#include <wchar.h>

#include "poolmap.h"

static struct poolmap pool;	/* this process's pool, found at start */
static size_t page;

/* xorshift32: deterministic sizes */
static uint32_t
rnd(uint32_t *s)
{
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

/* a size: mostly small, some medium, a few large (8 KiB on average) */
static size_t
rnd_size(uint32_t *s)
{
	uint32_t r = rnd(s);
	switch (r % 32) {
	case 0:
		return 1 + r % (256 * 1024);
	case 1: case 2: case 3: case 4:
		return 1 + r % 65536;
	default:
		return 1 + r % 512;
	}
}

static bool
all_bytes(const void *p, int c, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != (unsigned char)c)
			return false;
	return true;
}

/* p came from the malloc family for n bytes: in the pool, usable >= n */
static bool
check_block(const void *p, size_t n, const char *what)
{
	if (!CHECK(p != NULL, "%s(%zu) returned NULL", what, n))
		return false;
	size_t u = malloc_usable_size((void *)p);
	bool ok = CHECK(in_pool(&pool, p, n ? n : 1),
			"%s(%zu) = %p outside the pool [%#lx, %#lx)", what, n,
			p, (unsigned long)pool.start, (unsigned long)pool.end);
	ok &= CHECK(u >= n, "malloc_usable_size(%s(%zu)) = %zu", what, n, u);
	ok &= CHECK(in_pool(&pool, p, u), "%s(%zu) = %p: usable size %zu "
			"runs out of the pool", what, n, p, u);
	return ok;
}

/* the directory holds no name: the pool file is unnamed */
static void
check_dir_empty(const char *when)
{
	const char *dir = pm_pool_dir();
	DIR *d = dir ? opendir(dir) : NULL;
	if (!CHECK(d != NULL, "cannot list VMMALLOC_POOL_DIR (%s)", when))
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			CHECK(false, "%s: '%s' in the pool directory (the pool "
					"file must be unnamed)", when, e->d_name);
	closedir(d);
}

/* ---- single-threaded: every entry point ---------------------------- */

static void
test_malloc(void)
{
	size_t sizes[64];
	int n = 0;
	sizes[n++] = 0;
	sizes[n++] = 1;
	for (int k = 3; k <= 20; k++) {
		sizes[n++] = ((size_t)1 << k) - 1;
		sizes[n++] = (size_t)1 << k;
		sizes[n++] = ((size_t)1 << k) + 1;
	}
	sizes[n++] = 100;
	sizes[n++] = 1000;
	sizes[n++] = 3000;
	sizes[n++] = 100000;
	unsigned char *p[64];
	for (int i = 0; i < n; i++) {
		p[i] = malloc(sizes[i]);
		check_block(p[i], sizes[i], "malloc");
		if (p[i] == NULL)
			continue;
		if (sizes[i] >= 16)
			CHECK((uintptr_t)p[i] % 16 == 0, "malloc(%zu) = %p not "
					"16-byte aligned", sizes[i], (void *)p[i]);
		else if (sizes[i] >= 8)
			CHECK((uintptr_t)p[i] % 8 == 0, "malloc(%zu) = %p not "
					"8-byte aligned", sizes[i], (void *)p[i]);
		memset(p[i], 0x40 + i, sizes[i]);
	}
	/* all written before any is checked: overlaps show */
	for (int i = 0; i < n; i++) {
		if (p[i] == NULL)
			continue;
		CHECK(all_bytes(p[i], 0x40 + i, sizes[i]), "malloc(%zu) block "
				"overwritten (blocks overlap?)", sizes[i]);
		for (int j = 0; j < i; j++)
			CHECK(p[i] != p[j], "malloc(%zu) and malloc(%zu) both "
					"returned %p", sizes[i], sizes[j], (void *)p[i]);
	}
	/* the even ones forwards, the odd ones backwards */
	for (int i = 0; i < n; i += 2)
		free(p[i]);
	for (int i = n - 1; i >= 0; i--)
		if (i % 2 == 1)
			free(p[i]);
	free(NULL);
}

/*
 * Called through volatile pointers where a call is meant to fail: the
 * compiler then neither flags the later use of the block nor the size.
 */
static void *(*volatile realloc_v)(void *, size_t) = realloc;
static void *(*volatile reallocarray_v)(void *, size_t, size_t) = reallocarray;
static void *(*volatile calloc_v)(size_t, size_t) = calloc;

static void
test_calloc(void)
{
	static const size_t sizes[] = { 1, 24, 200, 4096, 70000, 1 << 20 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		/* dirty a block of the size, free it: calloc may reuse it */
		unsigned char *d = malloc(n);
		if (d != NULL)
			memset(d, 0xAA, n);
		free(d);
		unsigned char *c = calloc(n, 1);
		if (check_block(c, n, "calloc"))
			CHECK(all_bytes(c, 0, n), "calloc(%zu, 1) not zeroed", n);
		unsigned char *c2 = calloc(3, n);
		if (check_block(c2, 3 * n, "calloc*3"))
			CHECK(all_bytes(c2, 0, 3 * n), "calloc(3, %zu) not zeroed", n);
		free(c);
		free(c2);
	}
	void *z = calloc(0, 8);
	check_block(z, 0, "calloc0");
	free(z);
	errno = 0;
	void *o = calloc_v(SIZE_MAX / 2, 3);
	CHECK(o == NULL && errno == ENOMEM, "calloc(SIZE_MAX/2, 3) = %p, "
			"errno %d (want NULL, ENOMEM)", o, errno);
}

static bool
pattern_ok(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(i * 7 + 3))
			return false;
	return true;
}

static void
pattern_fill(unsigned char *p, size_t from, size_t n)
{
	for (size_t i = from; i < n; i++)
		p[i] = (unsigned char)(i * 7 + 3);
}

static void
test_realloc(void)
{
	static const size_t steps[] = { 10, 100, 1000, 5000, 100000,
		1 << 20, 3 << 20, 50, 4097, 20 };
	unsigned char *p = realloc(NULL, steps[0]);
	check_block(p, steps[0], "realloc(NULL)");
	if (p == NULL)
		return;
	pattern_fill(p, 0, steps[0]);
	size_t have = steps[0];
	for (size_t i = 1; i < sizeof(steps) / sizeof(steps[0]); i++) {
		unsigned char *q = realloc(p, steps[i]);
		if (!check_block(q, steps[i], "realloc"))
			break;
		size_t keep = have < steps[i] ? have : steps[i];
		CHECK(pattern_ok(q, keep), "realloc %zu -> %zu lost the "
				"contents", have, steps[i]);
		pattern_fill(q, keep, steps[i]);
		p = q;
		have = steps[i];
	}
	/* a failed realloc leaves the block as it was */
	errno = 0;
	void *f = realloc_v(p, SIZE_MAX / 2);
	CHECK(f == NULL && errno == ENOMEM, "realloc(p, SIZE_MAX/2) = %p, "
			"errno %d (want NULL, ENOMEM)", f, errno);
	if (f == NULL)
		CHECK(pattern_ok(p, have), "a failed realloc changed the block");
	/* realloc(p, 0): frees (NULL) or returns a minimal block */
	void *z = realloc(p, 0);
	if (z != NULL) {
		check_block(z, 0, "realloc(p, 0)");
		free(z);
	}
	void *r = reallocarray(NULL, 10, 10);
	check_block(r, 100, "reallocarray(NULL)");
	if (r != NULL)
		memset(r, 0x55, 100);
	void *r2 = reallocarray(r, 300, 10);
	if (check_block(r2, 3000, "reallocarray"))
		CHECK(all_bytes(r2, 0x55, 100), "reallocarray lost the contents");
	else
		r2 = r;
	errno = 0;
	void *r3 = reallocarray_v(r2, SIZE_MAX / 2, 3);
	CHECK(r3 == NULL && errno == ENOMEM, "reallocarray overflow = %p, "
			"errno %d (want NULL, ENOMEM)", r3, errno);
	free(r2);
}

static void
test_aligned(void)
{
	static const size_t aligns[] = { 8, 16, 32, 64, 128, 256, 512, 1024,
		4096, 8192, 65536, 1 << 21 };
	for (size_t i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
		size_t a = aligns[i];
		size_t sizes[] = { 1, 100, a, 3 * a + 1 };
		for (size_t j = 0; j < 4; j++) {
			size_t n = sizes[j];
			void *p = NULL;
			int rc = posix_memalign(&p, a, n);
			if (CHECK(rc == 0, "posix_memalign(%zu, %zu) = %d", a, n,
					rc) && check_block(p, n, "posix_memalign")) {
				CHECK((uintptr_t)p % a == 0, "posix_memalign(%zu, "
						"%zu) = %p misaligned", a, n, p);
				memset(p, 1, n);
			}
			free(p);
			p = memalign(a, n);
			if (check_block(p, n, "memalign")) {
				CHECK((uintptr_t)p % a == 0, "memalign(%zu, %zu) = "
						"%p misaligned", a, n, p);
				memset(p, 2, n);
			}
			free(p);
			size_t an = (n + a - 1) / a * a;	/* a multiple of a */
			p = aligned_alloc(a, an);
			if (check_block(p, an, "aligned_alloc")) {
				CHECK((uintptr_t)p % a == 0, "aligned_alloc(%zu, "
						"%zu) = %p misaligned", a, an, p);
				memset(p, 3, an);
			}
			free(p);
		}
	}
	static const size_t bad[] = { 0, 3, 24, 4097 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		void *p = (void *)1;
		int rc = posix_memalign(&p, bad[i], 64);
		CHECK(rc == EINVAL, "posix_memalign(alignment %zu) = %d, want "
				"EINVAL", bad[i], rc);
		if (rc == 0)
			free(p);
	}
	static const size_t vs[] = { 1, 100, 4096, 10000, 1 << 20 };
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		size_t n = vs[i];
		void *v = valloc(n);
		if (check_block(v, n, "valloc"))
			CHECK((uintptr_t)v % page == 0, "valloc(%zu) = %p not "
					"page aligned", n, v);
		free(v);
		size_t up = (n + page - 1) / page * page;
		void *pv = pvalloc(n);
		if (check_block(pv, up, "pvalloc")) {
			CHECK((uintptr_t)pv % page == 0, "pvalloc(%zu) = %p not "
					"page aligned", n, pv);
			memset(pv, 4, up);	/* the whole rounded size is ours */
		}
		free(pv);
	}
}

/* allocations libc makes on the program's behalf */
static void
test_libc(void)
{
	char s[300];
	for (size_t i = 0; i < sizeof(s) - 1; i++)
		s[i] = (char)('a' + i % 26);
	s[sizeof(s) - 1] = '\0';

	char *d = strdup(s);
	if (check_block(d, sizeof(s), "strdup"))
		CHECK(strcmp(d, s) == 0, "strdup copied wrong");
	free(d);
	d = strndup(s, 100);
	if (check_block(d, 101, "strndup"))
		CHECK(strlen(d) == 100 && memcmp(d, s, 100) == 0,
				"strndup copied wrong");
	free(d);
	wchar_t *w = wcsdup(L"wide characters");
	if (check_block(w, sizeof(L"wide characters"), "wcsdup"))
		CHECK(wcscmp(w, L"wide characters") == 0, "wcsdup copied wrong");
	free(w);
	char *a = NULL;
	int n = asprintf(&a, "%d %s %d", 42, s, -1);
	if (CHECK(n > 0, "asprintf failed") && check_block(a, (size_t)n + 1,
			"asprintf"))
		CHECK(strncmp(a, "42 abc", 6) == 0, "asprintf wrote '%.10s'", a);
	free(a);

	static char text[] = "first line\nsecond line, longer than the first\n";
	FILE *f = fmemopen(text, strlen(text), "r");
	if (CHECK(f != NULL, "fmemopen failed")) {
		check_block(f, sizeof(int), "fmemopen FILE");
		char *line = NULL;
		size_t cap = 0;
		ssize_t len = getline(&line, &cap, f);
		if (CHECK(len == 11, "getline read %zd", len))
			check_block(line, cap, "getline");
		free(line);
		fclose(f);
	}
	f = fopen("/dev/null", "r");
	if (CHECK(f != NULL, "fopen(/dev/null) failed")) {
		check_block(f, sizeof(int), "fopen FILE");
		fclose(f);
	}
	char *buf = NULL;
	size_t blen = 0;
	f = open_memstream(&buf, &blen);
	if (CHECK(f != NULL, "open_memstream failed")) {
		for (int i = 0; i < 10000; i++)
			fprintf(f, "%05d\n", i);
		fclose(f);
		if (check_block(buf, blen + 1, "open_memstream"))
			CHECK(blen == 60000 && strncmp(buf + 59994, "09999\n", 6)
					== 0, "open_memstream wrote %zu bytes", blen);
		free(buf);
	}
	char *rp = realpath("/", NULL);
	if (check_block(rp, 2, "realpath"))
		CHECK(strcmp(rp, "/") == 0, "realpath(/) = %s", rp);
	free(rp);
}

/* ---- exhaustion ------------------------------------------------------ */

static void *fill[1 << 17];	/* not in the pool: the pool is full */

static void
test_exhaustion(void)
{
	size_t psize = pool.end - pool.start;
	static const size_t huge[] = { 0, SIZE_MAX, SIZE_MAX / 2, SIZE_MAX - 4096 };
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		size_t n = huge[i] ? huge[i] : 2 * psize;
		errno = 0;
		void *p = malloc(n);
		CHECK(p == NULL && errno == ENOMEM, "malloc(%zu) = %p, errno %d "
				"(want NULL, ENOMEM)", n, p, errno);
		free(p);
	}
	void *p = NULL;
	int rc = posix_memalign(&p, 4096, 2 * psize);
	CHECK(rc == ENOMEM, "posix_memalign(4096, 2 * pool) = %d", rc);

	/* fill it with 256 KiB, then 4 KiB blocks */
	size_t n = 0, bytes = 0, cap = sizeof(fill) / sizeof(fill[0]);
	static const size_t chunk[] = { 256 * 1024, 4096 };
	for (int c = 0; c < 2; c++) {
		size_t limit = n + psize / chunk[c] + 16;
		if (limit > cap) {
			printf("inpool: pool too large to fill with %zu-byte "
					"blocks, skipped\n", chunk[c]);
			continue;
		}
		for (;;) {
			if (!CHECK(n < limit, "malloc(%zu) returned %zu blocks, "
					"more than the pool holds", chunk[c], n))
				break;
			errno = 0;
			void *q = malloc(chunk[c]);
			if (q == NULL) {
				CHECK(errno == ENOMEM, "malloc on a full pool: "
						"errno %d, want ENOMEM", errno);
				break;
			}
			if (!check_block(q, chunk[c], "malloc (filling)")) {
				free(q);
				break;
			}
			((char *)q)[0] = 1;
			((char *)q)[chunk[c] - 1] = 1;
			fill[n++] = q;
			bytes += chunk[c];
		}
	}
	CHECK(bytes >= psize / 2, "a %zu-byte pool took only %zu bytes in "
			"%zu blocks", psize, bytes, n);
	/* a full pool still frees, sizes, shrinks (SPEC 5: calls that need
	 * no space) */
	if (n > 0 && malloc_usable_size(fill[0]) >= 256 * 1024) {
		void *s = realloc(fill[0], 128 * 1024);
		if (check_block(s, 128 * 1024, "realloc shrink on a full pool"))
			fill[0] = s;
	}
	void *z = realloc(NULL, 0);
	check_block(z, 0, "realloc(NULL, 0) on a full pool");
	free(z);
	for (size_t i = 0; i < n; i += 2)
		free(fill[i]);
	for (size_t i = 1; i < n; i += 2)
		free(fill[i]);
	/* and serves again */
	void *big = malloc(psize / 4);
	if (check_block(big, psize / 4, "malloc(pool/4) after emptying"))
		memset(big, 9, psize / 4);
	free(big);
}

/* ---- threads --------------------------------------------------------- */

#define NTHREADS 4
#define ROUNDS 100
#define PERROUND 64
#define MAILCAP 256	/* bounds what is alive: at most ~16 MiB in all */
#define LEFT 64

struct obj {
	unsigned char *p;
	size_t n;
	unsigned char cookie;
};

struct mailbox {
	pthread_mutex_t lock;
	size_t count;
	struct obj objs[MAILCAP];
};

static struct mailbox mail[NTHREADS];
static struct obj left[NTHREADS][LEFT];	/* freed by main after join */
static pthread_barrier_t start_line, finish_line;

static unsigned char *
obj_new(struct obj *o, size_t n, unsigned char cookie, unsigned how)
{
	unsigned char *p = NULL;
	const char *what = "malloc";
	switch (how % 5) {
	case 0:
		p = malloc(n);
		break;
	case 1:
		p = calloc(1, n);
		what = "calloc";
		if (p != NULL)
			CHECK(all_bytes(p, 0, n), "calloc(%zu) in a thread not "
					"zeroed", n);
		break;
	case 2:
		p = realloc(malloc(n / 2 + 1), n);
		what = "realloc";
		break;
	case 3:
		if (posix_memalign((void **)&p, 64, n) != 0)
			p = NULL;
		what = "posix_memalign";
		break;
	default:
		p = aligned_alloc(16, (n + 15) & ~(size_t)15);
		what = "aligned_alloc";
		break;
	}
	o->p = NULL;
	if (!check_block(p, n, what)) {
		free(p);
		return NULL;
	}
	memset(p, cookie, n);
	o->p = p;
	o->n = n;
	o->cookie = cookie;
	return p;
}

static void
obj_free(struct obj *o, const char *who)
{
	if (o->p == NULL)
		return;
	CHECK(all_bytes(o->p, o->cookie, o->n), "%s: object of %zu bytes "
			"changed under its owner", who, o->n);
	free(o->p);
	o->p = NULL;
}

static void
drain(unsigned id)
{
	struct mailbox *m = &mail[id];
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->count; i++)
		obj_free(&m->objs[i], "freed by another thread");
	m->count = 0;
	pthread_mutex_unlock(&m->lock);
}

/* every entry point once, from the calling thread */
static void
family_once(unsigned id)
{
	void *p[11] = { NULL };
	p[0] = malloc(100 + id);
	check_block(p[0], 100 + id, "malloc (thread)");
	p[1] = calloc(3, 50);
	check_block(p[1], 150, "calloc (thread)");
	p[2] = realloc(NULL, 5000);
	check_block(p[2], 5000, "realloc (thread)");
	if (CHECK(posix_memalign(&p[3], 256, 300) == 0, "posix_memalign"))
		check_block(p[3], 300, "posix_memalign (thread)");
	p[4] = memalign(4096, 10);
	check_block(p[4], 10, "memalign (thread)");
	p[5] = aligned_alloc(64, 640);
	check_block(p[5], 640, "aligned_alloc (thread)");
	p[6] = valloc(100);
	check_block(p[6], 100, "valloc (thread)");
	p[7] = pvalloc(100);
	check_block(p[7], page, "pvalloc (thread)");
	p[8] = reallocarray(NULL, 7, 9);
	check_block(p[8], 63, "reallocarray (thread)");
	p[9] = strdup("a string from a thread");
	check_block(p[9], 23, "strdup (thread)");
	if (CHECK(asprintf((char **)&p[10], "thread %u", id) > 0, "asprintf"))
		check_block(p[10], 8, "asprintf (thread)");
	for (int i = 0; i < 11; i++)
		free(p[i]);
}

static void *
worker(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	uint32_t seed = 0x9e3779b9u * (id + 1);
	pthread_barrier_wait(&start_line);
	/* the thread's first allocation */
	void *first = calloc(1, 24);
	if (check_block(first, 24, "calloc (first in a thread)"))
		CHECK(all_bytes(first, 0, 24), "first calloc not zeroed");
	family_once(id);
	for (int r = 0; r < ROUNDS; r++) {
		struct obj o[PERROUND];
		for (int i = 0; i < PERROUND; i++)
			obj_new(&o[i], rnd_size(&seed),
					(unsigned char)(id * 64 + i), rnd(&seed));
		/* half freed here, half by the next thread */
		for (int i = 0; i < PERROUND; i += 2)
			obj_free(&o[i], "own");
		struct mailbox *m = &mail[(id + 1) % NTHREADS];
		pthread_mutex_lock(&m->lock);
		for (int i = 1; i < PERROUND; i += 2) {
			if (m->count < MAILCAP)
				m->objs[m->count++] = o[i];
			else
				obj_free(&o[i], "own (mailbox full)");
		}
		pthread_mutex_unlock(&m->lock);
		drain(id);
	}
	for (int i = 0; i < LEFT; i++)
		obj_new(&left[id][i], rnd_size(&seed), (unsigned char)(0x80 + i),
				rnd(&seed));
	free(first);
	pthread_barrier_wait(&finish_line);
	drain(id);
	return NULL;
}

static void
test_threads(void)
{
	pthread_t t[NTHREADS];
	pthread_barrier_init(&start_line, NULL, NTHREADS);
	pthread_barrier_init(&finish_line, NULL, NTHREADS);
	for (unsigned i = 0; i < NTHREADS; i++) {
		pthread_mutex_init(&mail[i].lock, NULL);
		mail[i].count = 0;
	}
	for (unsigned i = 0; i < NTHREADS; i++)
		CHECK(pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i)
				== 0, "pthread_create %u", i);
	for (unsigned i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	/* the threads are gone: their leftovers are freed here */
	for (unsigned i = 0; i < NTHREADS; i++)
		for (int j = 0; j < LEFT; j++)
			obj_free(&left[i][j], "left by an exited thread");
	pthread_barrier_destroy(&start_line);
	pthread_barrier_destroy(&finish_line);
}

/* ---- fork ------------------------------------------------------------ */

static atomic_bool churn_stop;

/* allocates and frees without pause, so that fork meets busy locks */
static void *
churn(void *arg)
{
	uint32_t seed = (uint32_t)(uintptr_t)arg;
	while (!atomic_load(&churn_stop)) {
		void *p[16];
		for (int i = 0; i < 16; i++) {
			size_t n = rnd_size(&seed);
			p[i] = malloc(n);
			if (check_block(p[i], n, "malloc (during fork)"))
				memset(p[i], i, n);
		}
		for (int i = 0; i < 16; i++)
			free(p[i]);
	}
	return NULL;
}

/* the child's (or grandchild's) view of the pool after fork */
static bool
check_forked_pool(const char *expect, const struct poolmap *parent,
		const char *who)
{
	struct poolmap pm;
	char why[600];
	if (!CHECK(poolmap_find(&pm, why, sizeof(why)), "%s: %s", who, why))
		return false;
	CHECK(pm.start == parent->start && pm.end == parent->end, "%s: pool "
			"at [%#lx, %#lx), the parent's at [%#lx, %#lx)", who,
			(unsigned long)pm.start, (unsigned long)pm.end,
			(unsigned long)parent->start, (unsigned long)parent->end);
	if (strcmp(expect, "private") == 0) {
		CHECK(pm.ino == parent->ino, "%s: maps inode %llu, the parent's "
				"is %llu (mode 1 keeps the file)", who, pm.ino,
				parent->ino);
		CHECK(strcmp(pm.perms, "rw-p") == 0, "%s: pool mapped '%s', want "
				"rw-p (MAP_PRIVATE)", who, pm.perms);
	} else {
		CHECK(pm.ino != parent->ino, "%s: maps the parent's file (inode "
				"%llu), want its own copy", who, pm.ino);
		CHECK(strcmp(pm.perms, "rw-s") == 0, "%s: its copy mapped '%s', "
				"want rw-s", who, pm.perms);
	}
	pool = pm;
	return true;
}

static void *
child_thread(void *arg)
{
	(void)arg;
	for (int i = 0; i < 200; i++) {
		size_t n = (size_t)(i * 37 % 5000) + 1;
		void *p = malloc(n);
		if (check_block(p, n, "malloc (thread in the child)"))
			memset(p, 7, n);
		free(p);
	}
	return NULL;
}

static void
child_work(const char *who)
{
	uint32_t seed = (uint32_t)getpid();
	void *p[500];
	size_t sz[500];
	for (int i = 0; i < 500; i++) {
		sz[i] = rnd_size(&seed);
		p[i] = malloc(sz[i]);
		if (check_block(p[i], sz[i], who))
			memset(p[i], i, sz[i]);
		else
			p[i] = NULL;
	}
	for (int i = 0; i < 500; i++) {
		if (p[i] != NULL)
			CHECK(all_bytes(p[i], i, sz[i]), "%s: block overwritten",
					who);
		free(p[i]);
	}
	pthread_t t;
	if (CHECK(pthread_create(&t, NULL, child_thread, NULL) == 0,
			"%s: pthread_create", who))
		pthread_join(t, NULL);
}

static bool
wait_ok(pid_t pid, const char *who)
{
	int st;
	pid_t w;
	while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	if (!CHECK(w == pid, "waitpid(%s) failed: %s", who, strerror(errno)))
		return false;
	if (WIFSIGNALED(st))
		return CHECK(false, "%s killed by signal %d (%s)%s", who,
				WTERMSIG(st), strsignal(WTERMSIG(st)),
				WTERMSIG(st) == SIGALRM ? ": hung" : "");
	return CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s exited %d",
			who, WEXITSTATUS(st));
}

static void
test_fork(const char *expect)
{
	struct poolmap before = pool;
	unsigned char *x = malloc(4096);
	unsigned char *y = malloc(1 << 20);
	if (!check_block(x, 4096, "malloc") || !check_block(y, 1 << 20, "malloc"))
		return;
	memset(x, 'P', 4096);
	pattern_fill(y, 0, 1 << 20);

	pthread_t t[2];
	atomic_store(&churn_stop, false);
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&t[i], NULL, churn,
				(void *)(uintptr_t)(i + 7)) == 0, "pthread_create");
	for (int round = 0; round < 3; round++) {
		fflush(stdout);
		fflush(stderr);
		pid_t pid = fork();
		if (!CHECK(pid >= 0, "fork: %s", strerror(errno)))
			break;
		if (pid == 0) {
			atomic_store(&pm_failures, 0);
			alarm(30);
			if (!check_forked_pool(expect, &before, "child"))
				_exit(1);
			CHECK(all_bytes(x, 'P', 4096), "child: the parent's object "
					"has other contents");
			CHECK(pattern_ok(y, 1 << 20), "child: the parent's 1 MiB "
					"object has other contents");
			memset(x, 'C', 4096);
			unsigned char *y2 = realloc(y, 2 << 20);
			if (check_block(y2, 2 << 20, "realloc (child)")) {
				CHECK(pattern_ok(y2, 1 << 20), "child: realloc lost "
						"the contents");
				memset(y2, 'C', 2 << 20);
				free(y2);
			}
			child_work("malloc (child)");
			if (round == 0) {
				/* the child forks too */
				struct poolmap mine = pool;
				fflush(stdout);
				pid_t g = fork();
				if (g == 0) {
					atomic_store(&pm_failures, 0);
					alarm(30);
					if (check_forked_pool(expect, &mine,
							"grandchild"))
						child_work("malloc (grandchild)");
					exit(atomic_load(&pm_failures) ? 1 : 0);
				}
				if (CHECK(g > 0, "child: fork: %s", strerror(errno)))
					wait_ok(g, "the grandchild");
			}
			free(x);
			exit(atomic_load(&pm_failures) ? 1 : 0);
		}
		wait_ok(pid, "the child");
		CHECK(all_bytes(x, 'P', 4096), "parent: sees the child's writes "
				"(round %d)", round);
		CHECK(pattern_ok(y, 1 << 20), "parent: its 1 MiB object changed "
				"(round %d)", round);
		struct poolmap now;
		char why[600];
		if (CHECK(poolmap_find(&now, why, sizeof(why)), "parent after "
				"fork: %s", why)) {
			CHECK(now.start == before.start && now.end == before.end &&
					now.ino == before.ino, "parent: the pool moved "
					"or changed file after fork");
			const char *want = strcmp(expect, "private") == 0 ?
				"rw-p" : "rw-s";
			CHECK(strcmp(now.perms, want) == 0, "parent: pool mapped "
					"'%s' after fork, want %s", now.perms, want);
		}
		child_work("malloc (parent after fork)");
	}
	atomic_store(&churn_stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	free(x);
	free(y);
}

int
main(int argc, char **argv)
{
	if (argc < 2 || (strcmp(argv[1], "size") != 0 &&
			strcmp(argv[1], "none") != 0 &&
			strcmp(argv[1], "private") != 0 &&
			strcmp(argv[1], "copy") != 0)) {
		fprintf(stderr, "usage: inpool none|private|copy | "
				"inpool size BYTES\n");
		return 2;
	}
	page = (size_t)sysconf(_SC_PAGESIZE);
	char why[600];
	if (!CHECK(poolmap_find(&pool, why, sizeof(why)), "%s", why))
		return pm_status("inpool");
	size_t len = pool.end - pool.start;
	if (strcmp(argv[1], "size") == 0) {
		size_t want = argc > 2 ? strtoull(argv[2], NULL, 10) : 0;
		want = (want + page - 1) / page * page;
		CHECK(len == want, "pool mapping is %zu bytes, want %zu", len, want);
		CHECK(strcmp(pool.perms, "rw-s") == 0, "pool mapped '%s', want "
				"rw-s", pool.perms);
		return pm_status("inpool size");
	}
	CHECK(len == pm_expected_size(), "pool mapping is %zu bytes, "
			"VMMALLOC_POOL_SIZE says %zu", len, pm_expected_size());
	CHECK(strcmp(pool.perms, "rw-s") == 0, "pool mapped '%s', want rw-s "
			"(MAP_SHARED)", pool.perms);
	printf("inpool: pool %s [%#lx, %#lx), %zu bytes, %s\n", pool.path,
			(unsigned long)pool.start, (unsigned long)pool.end, len,
			pool.perms);
	check_dir_empty("at start");

	test_malloc();
	test_calloc();
	test_realloc();
	test_aligned();
	test_libc();
	test_exhaustion();
	test_threads();
	if (strcmp(argv[1], "none") != 0)
		test_fork(argv[1]);
	/* mode 0: no fork at all, libvmmalloc(7) leaves it undefined */

	struct poolmap end;
	if (CHECK(poolmap_find(&end, why, sizeof(why)), "at the end: %s", why))
		CHECK(end.start == pool.start && end.end == pool.end,
				"the pool moved");
	check_dir_empty("at the end");
	return pm_status("inpool");
}
