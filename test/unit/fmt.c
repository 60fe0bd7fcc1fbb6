/*
 * fmt.c -- unit tests of the core's own formatting (src/base/fmt.c):
 * vm_fmt/vm_vfmt against the C library's vsnprintf for every directive the
 * core uses, at every buffer size from 0 to past the output's end; what
 * vm_fmt prints for directives it does not do; vm_strerror; and (builds
 * without a sanitizer) that none of it calls malloc.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <wchar.h>

#include "testutil.h"
#include "base/fmt.h"

#define OUT_MAX 4096
#define CANARY 0x5a
#define CANARY_LEN 16

/*
 * Formats with vm_vfmt and with vsnprintf and wants the same bytes and the
 * same result: into a large buffer, then into buffers of every size from 0
 * to two past the output's end, each followed by canary bytes that must
 * stay untouched. Also with a NULL buffer of size 0.
 */
static void VM_FORMAT(1, 2)
cmp(const char *fmt, ...)
{
	static char want[OUT_MAX + 2 + CANARY_LEN];
	static char got[OUT_MAX + 2 + CANARY_LEN];
	va_list ap, a;
	va_start(ap, fmt);

	va_copy(a, ap);
	int wn = vsnprintf(want, OUT_MAX, fmt, a);
	va_end(a);
	ck_assert_int_ge(wn, 0);
	ck_assert_int_lt(wn, OUT_MAX);
	va_copy(a, ap);
	int gn = vm_vfmt(got, OUT_MAX, fmt, a);
	va_end(a);
	ck_assert_msg(gn == wn && memcmp(got, want, (size_t)wn + 1) == 0,
			"format \"%s\": vm_fmt gave \"%s\" (%d), libc \"%s\" (%d)",
			fmt, got, gn, want, wn);

	va_copy(a, ap);
	ck_assert_int_eq(vm_vfmt(NULL, 0, fmt, a), wn);
	va_end(a);

	for (size_t size = 0; size <= (size_t)wn + 2; size++) {
		memset(want, CANARY, size + CANARY_LEN);
		memset(got, CANARY, size + CANARY_LEN);
		va_copy(a, ap);
		int w = vsnprintf(want, size, fmt, a);
		va_end(a);
		va_copy(a, ap);
		int g = vm_vfmt(got, size, fmt, a);
		va_end(a);
		ck_assert_int_eq(w, wn);
		ck_assert_msg(g == wn, "format \"%s\", size %zu: returned %d, "
				"not %d", fmt, size, g, wn);
		ck_assert_msg(memcmp(got, want, size + CANARY_LEN) == 0,
				"format \"%s\", size %zu: the buffers differ",
				fmt, size);
		if (size > 0) {
			size_t kept = (size_t)wn < size - 1 ? (size_t)wn : size - 1;
			ck_assert_int_eq(got[kept], '\0');
		}
		ck_assert_int_eq((unsigned char)got[size + CANARY_LEN - 1],
				CANARY);
	}
	va_end(ap);
}

/* a NULL the compiler cannot see through (it warns of a NULL %s) */
static const char *volatile null_str;

START_TEST(test_text)
{
	cmp("%s", "");
	cmp("plain text, no directive");
	cmp("%%");
	cmp("a%%b%%%%c");
	cmp("%d%%", 50);
}
END_TEST

START_TEST(test_signed)
{
	cmp("%d", 0);
	cmp("%d %i", 1, -1);
	cmp("%d", INT_MAX);
	cmp("%d", INT_MIN);
	cmp("%i", 42);
	cmp("[%5d] [%-5d] [%05d] [%05d]", -42, -42, -42, 42);
	cmp("[%1d] [%2d] [%02d]", -42, -42, -42);
	cmp("[%.3d] [%8.3d] [%-8.3d]", 7, -7, -7);
	cmp("[%.0d] [%5.0d] [%-3.0d] [%.0d]", 0, 0, 0, 3);
	cmp("[%.10d] [%012d]", INT_MIN, INT_MIN);
}
END_TEST

START_TEST(test_unsigned_hex)
{
	cmp("%u %u", 0u, UINT_MAX);
	cmp("%x %X", 0xdeadbeefu, 0xdeadbeefu);
	cmp("[%#x] [%#x] [%#X] [%#x]", 0u, 255u, 255u, 1u);
	cmp("[%#10x] [%#-10x] [%#010x] [%010x]", 255u, 255u, 255u, 255u);
	cmp("[%.0x] [%#.0x] [%#.4x] [%#8.4X]", 0u, 0u, 10u, 10u);
	cmp("[%08u] [%-8u] [%8.5u]", 12345u, 12345u, 12u);
	cmp("%#llx", 0x0123456789abcdefull);
	cmp("%#llx %#llx", 0ull, (unsigned long long)UINT64_MAX);
}
END_TEST

START_TEST(test_lengths)
{
	cmp("%hhd %hhd %hhd", 200, -128, 127);
	cmp("%hhu %hhx %hhX", 300, -1, 0xab);
	cmp("%hd %hd %hu %hx", 40000, -32768, 70000, -1);
	cmp("%ld %ld %ld", 0L, LONG_MIN, LONG_MAX);
	cmp("%lu %lx %lX", ULONG_MAX, ULONG_MAX, 0xabcdefUL);
	cmp("%lld %lli", (long long)INT64_MIN, (long long)INT64_MAX);
	cmp("%llu %llx %llX", (unsigned long long)UINT64_MAX,
			(unsigned long long)UINT64_MAX, 0xfeedULL);
	cmp("[%25lld] [%-25lld] [%025lld]", (long long)INT64_MIN,
			(long long)INT64_MIN, (long long)INT64_MIN);
	cmp("%zu %zx %zd %zd", SIZE_MAX, SIZE_MAX, (ssize_t)-5,
			(ssize_t)SSIZE_MAX);
	cmp("%jd %jd %ju %jx", INTMAX_MIN, INTMAX_MAX, UINTMAX_MAX,
			UINTMAX_MAX);
	cmp("%td %td %td", (ptrdiff_t)-3, PTRDIFF_MIN, PTRDIFF_MAX);
	cmp("%tu %tx", (ptrdiff_t)7, (ptrdiff_t)255);
}
END_TEST

START_TEST(test_strings_chars)
{
	cmp("%s", "hello");
	cmp("[%10s] [%-10s] [%2s]", "hello", "hello", "hello");
	cmp("[%.3s] [%.0s] [%.10s] [%8.3s] [%-8.3s]", "hello", "hello",
			"hello", "hello", "hello");
	cmp("[%.*s] [%.*s] [%*s] [%*s]", 2, "hello", -1, "hello", 6, "ab",
			-6, "ab");
	cmp("%s", null_str);
	cmp("[%10s] [%-10s]", null_str, null_str);
	cmp("%c%c%c", 'a', 'b', 'c');
	cmp("[%3c] [%-3c] [%1c]", 'x', 'y', 'z');
	cmp("a%cb", 0);		/* a NUL inside the output */
	cmp("%c", 0xe9);
	char long_str[1500];
	for (size_t i = 0; i < sizeof(long_str) - 1; i++)
		long_str[i] = (char)('a' + i % 26);
	long_str[sizeof(long_str) - 1] = '\0';
	cmp("<%s>", long_str);
	cmp("<%.700s|%-1600s>", long_str, "x");
}
END_TEST

START_TEST(test_pointers)
{
	int x;
	cmp("%p", (void *)&x);
	cmp("%p", (void *)NULL);
	cmp("[%20p] [%-20p] [%3p]", (void *)&x, (void *)&x, (void *)&x);
	cmp("[%10p] [%-10p]", (void *)NULL, (void *)NULL);
	cmp("%p", (void *)UINTPTR_MAX);
	cmp("%p", (void *)1);
}
END_TEST

START_TEST(test_star)
{
	cmp("[%*d] [%-*d] [%*d]", 6, 42, 6, 42, -6, 42);
	cmp("[%.*d] [%.*d] [%*.*d]", 4, 7, -1, 7, 8, 3, -7);
	cmp("[%0*d] [%0*d]", 6, -42, -6, -42);
	cmp("[%*u] [%*x]", 0, 5u, 1, 0xffu);
}
END_TEST

/* formats as the core writes them (log.c, check.c, stats.c, dax) */
START_TEST(test_core_formats)
{
	int x;
	cmp("<libvmem>: <%d> [%s:%d %s] ", 3, "src/pool/pool.c", 103,
			"vmem_create");
	cmp("page map entry of page %u is %#llx, not %#llx", 4097u,
			0x8000000000001234ull, 0ull);
	cmp("  %5u %6u %5u %4u %6u %5u %5llu %10llu %8llu %12llu %12llu\n",
			3u, 48u, 1u, 85u, 12u, 0u, 12ull, 1000ull, 7ull,
			123456789012ull, 123456789000ull);
	cmp("pool: %p, %zu bytes, backing: %s\n", (void *)&x,
			(size_t)1 << 30, "file");
	cmp("%s/dev/char/%u:%u/subsystem", "/sys", 252u, 0u);
	cmp("slab at page %u with %u free objects is%s on its list", 9u, 0u,
			" not");
	cmp("cannot use %s: %s", "/nonexistent", "No such file or directory");
	cmp("%s%d", "/tmp/log-", 12345);
}
END_TEST

/* formats the compiler rightly frowns at, on purpose */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-overflow"

/* '0' with a precision: the precision wins */
START_TEST(test_zero_and_precision)
{
	cmp("[%08.3d] [%08.3x] [%-08.3u] [%08.0d]", 5, 0xau, 7u, 0);
}
END_TEST

/* vm_fmt of one format: the text, and the result */
#define FMT_IS(want, ...) do { \
	char b_[128]; \
	int n_ = vm_fmt(b_, sizeof(b_), __VA_ARGS__); \
	ck_assert_str_eq(b_, want); \
	ck_assert_int_eq(n_, (int)strlen(want)); \
} while (0)

/* a directive vm_fmt does not do prints "%?", then the rest of the format
 * unread: no argument after it is taken */
START_TEST(test_unsupported)
{
	FMT_IS("a%?b%d", "a%fb%d", 1.5, 7);
	FMT_IS("x=1 %?|%d", "x=%d %+d|%d", 1, 5, 6);
	FMT_IS("%?", "% d", 5);
	FMT_IS("%?%%", "%o%%", 8);
	FMT_IS("%? %s", "%e %s", 2.0, "x");
	FMT_IS("%?", "%'d", 1000);
	FMT_IS("%?", "%ls", L"wide");
	FMT_IS("%?", "%lc", (wint_t)L'w');
	FMT_IS("%?", "%Lf", 1.0L);
	FMT_IS("%?", "%qd", 1LL);
	FMT_IS("%?", "%hs", "x");
	FMT_IS("%?", "%lp", (void *)0);
	FMT_IS("%? text", "%m text");
	FMT_IS("abc%?", "abc%");
	FMT_IS("%?", "%5");
	FMT_IS("%?", "%-.3");
	FMT_IS("%?x%?", "%zcx%?", 'c');
	int n = 123;
	FMT_IS("x%?y", "x%ny", &n);
	ck_assert_int_eq(n, 123);
	/* truncated like any other output */
	char b[3];
	ck_assert_int_eq(vm_fmt(b, sizeof(b), "a%fb", 1.0), 4);
	ck_assert_str_eq(b, "a%");
}
END_TEST

/* results beyond INT_MAX are -1, as snprintf's; padding is not looped */
START_TEST(test_huge)
{
	char b[16];
	ck_assert_int_eq(vm_fmt(b, sizeof(b), "%*d", INT_MAX, 1), INT_MAX);
	ck_assert_str_eq(b, "               ");
	ck_assert_int_eq(vm_fmt(b, sizeof(b), "%-*d", INT_MAX, 1), INT_MAX);
	ck_assert_str_eq(b, "1              ");
	ck_assert_int_eq(vm_fmt(b, sizeof(b), "%.*d", INT_MAX, 1), INT_MAX);
	ck_assert_str_eq(b, "000000000000000");
	ck_assert_int_eq(vm_fmt(b, sizeof(b), "%*d", INT_MIN, 1), -1);
	ck_assert_int_eq(vm_fmt(b, sizeof(b), "%*d%*d", INT_MAX, 1,
			INT_MAX, 1), -1);
	ck_assert_int_eq(vm_fmt(b, sizeof(b), "%99999999999d", 1), INT_MAX);
}
END_TEST

#pragma GCC diagnostic pop

START_TEST(test_strerror)
{
	/* this process never calls setlocale: libc's text is English too */
	const int known[] = { 0, ENOENT, EACCES, ENOMEM, EINVAL, ENOSPC,
			ENOTDIR, ENAMETOOLONG, EOPNOTSUPP };
	for (size_t i = 0; i < VM_ARRAY_LEN(known); i++)
		ck_assert_str_eq(vm_strerror(known[i]), strerror(known[i]));
	ck_assert_str_eq(vm_strerror(ENOENT), "No such file or directory");
	ck_assert_str_eq(vm_strerror(100000), "error 100000");
	ck_assert_str_eq(vm_strerror(-1), "error -1");
	ck_assert_str_eq(vm_strerror(INT_MIN), "error -2147483648");
	ck_assert_str_eq(vm_strerror(INT_MAX), "error 2147483647");
}
END_TEST

static void *
other_thread(void *arg)
{
	(void)arg;
	const char *s = vm_strerror(99999);
	ck_assert_str_eq(s, "error 99999");
	return (void *)s;
}

/* unknown numbers are formatted into a buffer of the calling thread */
START_TEST(test_strerror_per_thread)
{
	const char *mine = vm_strerror(100000);
	pthread_t t;
	void *theirs;
	ck_assert_int_eq(pthread_create(&t, NULL, other_thread, NULL), 0);
	ck_assert_int_eq(pthread_join(t, &theirs), 0);
	ck_assert_ptr_ne(theirs, mine);
	ck_assert_str_eq(mine, "error 100000");
}
END_TEST

#if !TU_SANITIZED
/*
 * This program's own malloc, calloc and realloc: they count the calls made
 * while the calling thread has set counting, and hand on to glibc's. (A
 * sanitizer runtime has its own malloc, which these would go around.)
 */
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t nmemb, size_t size);
void *__libc_realloc(void *ptr, size_t size);
/* volatile: the compiler takes malloc for a builtin that touches no
 * variable of ours, and would drop the stores around its calls */
static __thread volatile bool counting;
static __thread volatile unsigned long nallocs;

void *
malloc(size_t size)
{
	nallocs += counting;
	return __libc_malloc(size);
}

void *
calloc(size_t nmemb, size_t size)
{
	nallocs += counting;
	return __libc_calloc(nmemb, size);
}

void *
realloc(void *ptr, size_t size)
{
	nallocs += counting;
	return __libc_realloc(ptr, size);
}

START_TEST(test_no_malloc)
{
	/* the counter counts */
	counting = true;
	void *volatile p = malloc(16);
	counting = false;
	free(p);
	ck_assert_uint_eq(nallocs, 1);
	nallocs = 0;

	static char big[70000];
	memset(big, 'q', sizeof(big) - 1);
	char b[256];
	int x;
	counting = true;
	vm_fmt(b, sizeof(b), "%s|%-*s|%.*s|%100000d|%#llx|%p|%c|%zu",
			big, 70000, "pad", 5, big, -1, 0xabcull, (void *)&x,
			'c', SIZE_MAX);
	const char *e1 = vm_strerror(ENOENT);
	const char *e2 = vm_strerror(123456);
	counting = false;
	ck_assert_uint_eq(nallocs, 0);
	ck_assert_str_eq(e1, "No such file or directory");
	ck_assert_str_eq(e2, "error 123456");
}
END_TEST
#endif

int
main(void)
{
	Suite *s = suite_create("fmt");
	TCase *tc = tu_tcase(s, "fmt", 60);
	tcase_add_test(tc, test_text);
	tcase_add_test(tc, test_signed);
	tcase_add_test(tc, test_zero_and_precision);
	tcase_add_test(tc, test_unsigned_hex);
	tcase_add_test(tc, test_lengths);
	tcase_add_test(tc, test_strings_chars);
	tcase_add_test(tc, test_pointers);
	tcase_add_test(tc, test_star);
	tcase_add_test(tc, test_core_formats);
	tcase_add_test(tc, test_unsupported);
	tcase_add_test(tc, test_huge);
	tc = tu_tcase(s, "strerror", 60);
	tcase_add_test(tc, test_strerror);
	tcase_add_test(tc, test_strerror_per_thread);
#if !TU_SANITIZED
	tcase_add_test(tc, test_no_malloc);
#endif
	return tu_run(s);
}
