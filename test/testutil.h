/*
 * testutil.h -- small helpers shared by the API and stress tests: temporary
 * directories, guarded memory regions, byte patterns, a pool-capacity probe
 * and the Check main boilerplate. Header only; everything is static inline.
 */
#ifndef VMEM_TESTUTIL_H
#define VMEM_TESTUTIL_H 1

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libvmem.h>

#define TU_KIB ((size_t)1024)
#define TU_MIB ((size_t)1024 * 1024)
#define TU_GIB ((size_t)1024 * 1024 * 1024)

/* seconds a test case may run (Check's default of 4 s is too short) */
#define TU_TIMEOUT 120

/* are we built with a sanitizer? (slows everything down) */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TU_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TU_SANITIZED 1
#endif
#endif
#ifndef TU_SANITIZED
#define TU_SANITIZED 0
#endif

/* built with ThreadSanitizer? (its shadow takes most of the address
 * space: huge mappings fail there) */
#if defined(__SANITIZE_THREAD__)
#define TU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TU_TSAN 1
#endif
#endif
#ifndef TU_TSAN
#define TU_TSAN 0
#endif

/* the directory temporary directories go into: $TMPDIR or /tmp */
static inline const char *
tu_tmpbase(void)
{
	const char *t = getenv("TMPDIR");
	return (t != NULL && *t != '\0') ? t : "/tmp";
}

/* creates a fresh, empty directory under base (NULL: tu_tmpbase()) */
static inline void
tu_mkdtemp(char *buf, size_t len, const char *base)
{
	int n = snprintf(buf, len, "%s/vmem-test-XXXXXX",
			base != NULL ? base : tu_tmpbase());
	ck_assert_int_gt(n, 0);
	ck_assert_uint_lt((size_t)n, len);
	ck_assert_msg(mkdtemp(buf) != NULL, "mkdtemp(%s): %s", buf,
			strerror(errno));
}

/* the number of entries of dir other than "." and ".." (-1: error) */
static inline int
tu_dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

/* removes an (expected to be empty) temporary directory */
static inline void
tu_rmdir(const char *dir)
{
	ck_assert_msg(rmdir(dir) == 0, "rmdir(%s): %s", dir, strerror(errno));
}

/*
 * A pool made with vmem_create() in a fresh temporary directory under
 * tu_tmpbase(); the directory is removed at once (the pool file has no
 * name, so the directory is empty and rmdir succeeds).
 */
static inline VMEM *
tu_pool_create(size_t size)
{
	char dir[PATH_MAX];
	tu_mkdtemp(dir, sizeof(dir), NULL);
	VMEM *vmp = vmem_create(dir, size);
	int err = errno;
	ck_assert_msg(vmp != NULL, "vmem_create(%s, %zu): %s (%s)", dir, size,
			strerror(err), vmem_errormsg());
	tu_rmdir(dir);
	return vmp;
}

static inline size_t
tu_pagesize(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/*
 * An anonymous read-write mapping of size bytes (rounded up to pages)
 * with one PROT_NONE guard page before and after it.
 */
struct tu_region {
	void *addr;		/* the usable region */
	size_t size;		/* its size, a multiple of the page size */
	void *base;		/* the whole mapping, guards included */
	size_t total;
};

static inline void
tu_region_map(struct tu_region *r, size_t size, int extra_flags)
{
	size_t pg = tu_pagesize();
	r->size = (size + pg - 1) / pg * pg;
	r->total = r->size + 2 * pg;
	r->base = mmap(NULL, r->total, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ck_assert_msg(r->base != MAP_FAILED, "mmap: %s", strerror(errno));
	r->addr = (char *)r->base + pg;
	void *m = mmap(r->addr, r->size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | extra_flags,
			-1, 0);
	ck_assert_msg(m == r->addr, "mmap fixed: %s", strerror(errno));
}

static inline void
tu_region_unmap(struct tu_region *r)
{
	ck_assert_int_eq(munmap(r->base, r->total), 0);
}

/* a well-mixed 64-bit value from x (splitmix64 finaliser) */
static inline uint64_t
tu_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* the pattern byte at offset i of a buffer filled with seed */
static inline unsigned char
tu_pat(uint64_t seed, size_t i)
{
	return (unsigned char)(tu_mix(seed + i / 8) >> (8 * (i % 8)));
}

static inline void
tu_fill(void *p, size_t n, uint64_t seed)
{
	unsigned char *b = p;
	for (size_t w = 0; w * 8 < n; w++) {
		uint64_t v = tu_mix(seed + w);
		for (size_t i = w * 8; i < n && i < w * 8 + 8; i++, v >>= 8)
			b[i] = (unsigned char)v;
	}
}

/* the offset of the first byte that differs from the pattern, or n */
static inline size_t
tu_verify(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *b = p;
	for (size_t w = 0; w * 8 < n; w++) {
		uint64_t v = tu_mix(seed + w);
		for (size_t i = w * 8; i < n && i < w * 8 + 8; i++, v >>= 8) {
			if (b[i] != (unsigned char)v)
				return i;
		}
	}
	return n;
}

static inline int
tu_all_bytes(const void *p, size_t n, unsigned char c)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		if (b[i] != c)
			return 0;
	}
	return 1;
}

static inline int
tu_is_aligned(const void *p, size_t a)
{
	return ((uintptr_t)p & (a - 1)) == 0;
}

/*
 * The largest single vmem_malloc() the pool grants now, to within gran
 * bytes (binary search; every probe is freed again).
 */
static inline size_t
tu_max_alloc(VMEM *vmp, size_t limit, size_t gran)
{
	size_t lo = 0, hi = limit;	/* lo works (or 0), hi+gran fails */
	while (hi - lo > gran) {
		size_t mid = lo + (hi - lo) / 2;
		void *p = vmem_malloc(vmp, mid);
		if (p != NULL) {
			vmem_free(vmp, p);
			lo = mid;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/* an interval [lo, hi) of memory, for overlap checks */
struct tu_span {
	uintptr_t lo, hi;
	int owner;
};

static inline int
tu_span_cmp(const void *a, const void *b)
{
	const struct tu_span *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* sorts the spans and returns the index of one overlapping its successor, or -1 */
static inline long
tu_spans_overlap(struct tu_span *s, size_t n)
{
	qsort(s, n, sizeof(*s), tu_span_cmp);
	for (size_t i = 0; i + 1 < n; i++) {
		if (s[i].hi > s[i + 1].lo)
			return (long)i;
	}
	return -1;
}

/* a new test case with a generous timeout, added to s */
static inline TCase *
tu_tcase(Suite *s, const char *name, int timeout)
{
	TCase *tc = tcase_create(name);
	tcase_set_timeout(tc, timeout);
	suite_add_tcase(s, tc);
	return tc;
}

/* runs the suite; the process exit status: 0 if every test passed */
static inline int
tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	/* keep the tests' own output even when one fails mid-way */
	setvbuf(stdout, NULL, _IOLBF, 0);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif /* VMEM_TESTUTIL_H */
