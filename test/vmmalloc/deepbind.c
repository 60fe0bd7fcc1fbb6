/*
 * deepbind.c -- run by run.sh under LD_PRELOAD=libvmmalloc.so.1 (release
 * and debug) as "deepbind PATH/lib_deepbind.so": pointers that did not come
 * from the pool are accepted by libvmmalloc and handed to libc, never a
 * crash (SPEC section 5; the original crashed here on glibc >= 2.34).
 *
 * A library loaded with dlopen(RTLD_NOW | RTLD_DEEPBIND) binds its own
 * malloc, calloc, posix_memalign and free to libc's. The program takes that
 * library's blocks (small, page-aligned, above libc's mmap threshold, zeroed)
 * and checks that they are not in the pool (else the test tests nothing),
 * then calls libvmmalloc's malloc_usable_size (>= the size), realloc (the
 * contents kept) and free on them; it also passes blocks back to the
 * library's own free after looking at them. Its own mallocs stay in the
 * pool throughout, and the pool still works at the end.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1	/* also given by the Makefile */
#endif
#include <dlfcn.h>
#include <malloc.h>

#include "poolmap.h"

static struct poolmap pool;

static void *(*db_malloc)(size_t);
static void *(*db_calloc)(size_t);
static void *(*db_memalign)(size_t, size_t);
static void (*db_free)(void *);

/* the library's pattern: byte i is (i * 13 + 1) */
static bool
lib_pattern(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(i * 13 + 1))
			return false;
	return true;
}

/* a block of the library: not in the pool, usable size from libc */
static bool
check_foreign(const void *p, size_t n, const char *what)
{
	if (!CHECK(p != NULL, "%s(%zu) in the library returned NULL", what, n))
		return false;
	if (!CHECK(!in_pool(&pool, p, 1), "%s(%zu) in a deep-bound library "
			"returned %p, in the pool: the premise (it binds to "
			"libc's malloc) does not hold", what, n, p))
		return false;
	size_t u = malloc_usable_size((void *)p);
	return CHECK(u >= n, "malloc_usable_size(%s(%zu) of libc) = %zu", what,
			n, u);
}

/* a block of ours: in the pool */
static void *
ours(size_t n)
{
	void *p = malloc(n);
	if (CHECK(in_pool(&pool, p, n), "malloc(%zu) = %p not in the pool", n,
			p))
		memset(p, 0x5a, n);
	return p;
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: deepbind PATH/lib_deepbind.so\n");
		return 2;
	}
	char why[600];
	if (!CHECK(poolmap_find(&pool, why, sizeof(why)), "%s", why))
		return pm_status("deepbind");
	void *mine = ours(100);

	void *h = dlopen(argv[1], RTLD_NOW | RTLD_DEEPBIND);
	if (!CHECK(h != NULL, "dlopen(%s, RTLD_NOW | RTLD_DEEPBIND): %s",
			argv[1], dlerror()))
		return pm_status("deepbind");
	*(void **)&db_malloc = dlsym(h, "db_malloc");
	*(void **)&db_calloc = dlsym(h, "db_calloc");
	*(void **)&db_memalign = dlsym(h, "db_memalign");
	*(void **)&db_free = dlsym(h, "db_free");
	if (!CHECK(db_malloc && db_calloc && db_memalign && db_free,
			"dlsym: %s", dlerror()))
		return pm_status("deepbind");

	/* small, medium, above libc's mmap threshold, large */
	static const size_t sizes[] = { 1, 24, 5000, 200000, 4 << 20 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		unsigned char *p = db_malloc(n);
		void *between = ours(n);	/* pool and libc blocks interleave */
		if (!check_foreign(p, n, "malloc"))
			continue;
		CHECK(lib_pattern(p, n), "the library's block of %zu changed", n);
		unsigned char *q = realloc(p, 2 * n);	/* libvmmalloc's realloc */
		if (CHECK(q != NULL, "realloc(libc block of %zu, %zu) = NULL",
				n, 2 * n)) {
			CHECK(lib_pattern(q, n), "realloc of a libc block of %zu "
					"lost the contents", n);
			CHECK(malloc_usable_size(q) >= 2 * n, "malloc_usable_size "
					"after realloc = %zu < %zu",
					malloc_usable_size(q), 2 * n);
			memset(q, 1, 2 * n);
			free(q);	/* libvmmalloc's free */
		}
		free(between);
	}
	/* shrinking realloc of a libc block */
	unsigned char *s = db_malloc(10000);
	if (check_foreign(s, 10000, "malloc")) {
		unsigned char *t = realloc(s, 100);
		if (CHECK(t != NULL, "shrinking realloc of a libc block = NULL")) {
			CHECK(lib_pattern(t, 100), "shrinking realloc of a libc "
					"block lost the contents");
			free(t);
		}
	}

	unsigned char *c = db_calloc(3000);
	if (check_foreign(c, 3000, "calloc")) {
		bool zero = true;
		for (size_t i = 0; i < 3000; i++)
			zero &= c[i] == 0;
		CHECK(zero, "the library's calloc block is not zeroed");
		free(c);
	}
	static const size_t aligns[][2] = { { 4096, 100 }, { 64, 1 << 20 },
		{ 1 << 16, 5000 } };
	for (size_t i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
		unsigned char *a = db_memalign(aligns[i][0], aligns[i][1]);
		if (check_foreign(a, aligns[i][1], "posix_memalign")) {
			CHECK((uintptr_t)a % aligns[i][0] == 0, "the library's "
					"aligned block is misaligned");
			CHECK(lib_pattern(a, aligns[i][1]), "aligned block changed");
			free(a);
		}
	}
	/* blocks passed back: looked at here, freed by the library */
	for (size_t n = 8; n <= (1 << 20); n *= 8) {
		void *b = db_malloc(n);
		if (check_foreign(b, n, "malloc"))
			CHECK(lib_pattern(b, n), "block of %zu changed", n);
		db_free(b);
	}
	free(NULL);

	/* ours are still in the pool, and the pool still works */
	CHECK(in_pool(&pool, mine, 100), "our first block left the pool");
	void *many[1000];
	for (int i = 0; i < 1000; i++)
		many[i] = ours((size_t)(i % 97) * 40 + 1);
	for (int i = 0; i < 1000; i++)
		free(many[i]);
	free(mine);
	CHECK(dlclose(h) == 0, "dlclose: %s", dlerror());
	return pm_status("deepbind");
}
