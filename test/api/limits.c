/*
 * limits.c -- tests at the edges of what the library accepts: the largest
 * pool (2^32 - 1 pages) made and used in an anonymous region; sizes above
 * it refused with EINVAL before any file system is touched; a process
 * file size limit (RLIMIT_FSIZE) below the pool giving EFBIG, never
 * SIGXFSZ; vmem_malloc_usable_size of a freed object giving 0 wherever the
 * object sits; and VMEM_LOG_FILE opened when the library loads, so the
 * program's descriptors do not change at the first line of output.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "testutil.h"

extern char **environ;

/* the largest pool: 2^32 - 1 pages of 4 KiB */
#define LARGEST_POOL	((((size_t)1 << 32) - 1) << 12)

/* asserts that the last call failed with err and left a message naming
 * want (a substring; NULL: any message) */
static void
assert_failed(int err, const char *want, const char *what)
{
	ck_assert_msg(errno == err, "%s: errno %d (%s), want %d (%s)", what,
			errno, strerror(errno), err, strerror(err));
	const char *m = vmem_errormsg();
	ck_assert_msg(m != NULL && m[0] != '\0', "%s: no message", what);
	if (want != NULL)
		ck_assert_msg(strstr(m, want) != NULL, "%s: message \"%s\" "
				"does not say \"%s\"", what, m, want);
	printf("%s: \"%s\"\n", what, m);
}

/* an anonymous region of size bytes that takes memory only where used */
static void *
map_noreserve(size_t size)
{
	void *a = mmap(NULL, size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ck_assert_msg(a != MAP_FAILED, "mmap of %zu bytes: %s", size,
			strerror(errno));
	return a;
}

/*
 * The documented largest pool is made and works: its page-map root once
 * had a 32-bit slot count that wrapped above 2^32 - 512 pages (SIGSEGV).
 */
START_TEST(test_region_largest)
{
	void *a = map_noreserve(LARGEST_POOL);
	VMEM *vmp = vmem_create_in_region(a, LARGEST_POOL);
	ck_assert_msg(vmp != NULL, "vmem_create_in_region(%zu): %s",
			LARGEST_POOL, vmem_errormsg());
	char *small = vmem_malloc(vmp, 100);
	ck_assert_ptr_nonnull(small);
	memset(small, 0x5a, 100);
	/* a 1 TiB object: only its first and last pages are touched */
	size_t big_size = (size_t)1 << 40;
	char *big = vmem_malloc(vmp, big_size);
	ck_assert_ptr_nonnull(big);
	big[0] = 1;
	big[big_size - 1] = 2;
	ck_assert_uint_ge(vmem_malloc_usable_size(vmp, big), big_size);
	/* 14 TiB more: the rest reaches the pool's last pages */
	size_t rest_size = (size_t)14 << 40;
	char *rest = vmem_malloc(vmp, rest_size);
	ck_assert_ptr_nonnull(rest);
	rest[rest_size - 1] = 3;
	ck_assert_uint_gt((uintptr_t)rest + rest_size,
			(uintptr_t)a + LARGEST_POOL - ((size_t)1 << 40));
	ck_assert_int_eq(vmem_check(vmp), 1);
	vmem_free(vmp, rest);
	vmem_free(vmp, big);
	vmem_free(vmp, small);
	ck_assert_int_eq(vmem_check(vmp), 1);
	vmem_delete(vmp);
	munmap(a, LARGEST_POOL);
}
END_TEST

START_TEST(test_region_above_largest)
{
	size_t size = LARGEST_POOL + ((size_t)1 << 12);
	void *a = map_noreserve(size);
	errno = 0;
	ck_assert_ptr_null(vmem_create_in_region(a, size));
	assert_failed(EINVAL, "largest pool", "region of 2^32 pages");
	munmap(a, size);
}
END_TEST

/*
 * Sizes above the largest pool are refused before the directory is even
 * looked at: with a directory that does not exist the error is still
 * EINVAL, and in a real one no space was reserved first.
 */
START_TEST(test_create_above_largest)
{
	static const size_t sizes[] = {
		LARGEST_POOL + 1, (size_t)1 << 44, SIZE_MAX - 4095, SIZE_MAX,
	};
	char dir[PATH_MAX];
	tu_mkdtemp(dir, sizeof(dir), NULL);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char what[96];
		snprintf(what, sizeof(what), "vmem_create(dir, %zu)", sizes[i]);
		errno = 0;
		ck_assert_ptr_null(vmem_create(dir, sizes[i]));
		assert_failed(EINVAL, "largest pool", what);
		errno = 0;
		ck_assert_ptr_null(vmem_create("/no/such/vmem/dir", sizes[i]));
		assert_failed(EINVAL, "largest pool", "... in a missing directory");
	}
	ck_assert_int_eq(tu_dir_entries(dir), 0);
	tu_rmdir(dir);
}
END_TEST

/* sets the process's file size limit (the test runs in its own process) */
static void
limit_file_size(rlim_t bytes)
{
	struct rlimit rl = { bytes, bytes };
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/*
 * Under a file size limit below the pool, vmem_create returns NULL with
 * EFBIG; it used to die of SIGXFSZ in posix_fallocate. A pool below the
 * limit is made and fills up as usual.
 */
START_TEST(test_file_size_limit)
{
	char dir[PATH_MAX];
	tu_mkdtemp(dir, sizeof(dir), NULL);
	limit_file_size(32 * TU_MIB);
	errno = 0;
	ck_assert_ptr_null(vmem_create(dir, 64 * TU_MIB));
	assert_failed(EFBIG, NULL, "64 MiB pool under a 32 MiB file limit");
	VMEM *vmp = vmem_create(dir, 16 * TU_MIB);
	ck_assert_msg(vmp != NULL, "16 MiB pool under a 32 MiB limit: %s",
			vmem_errormsg());
	size_t n = 0;
	void *p;
	while ((p = vmem_malloc(vmp, 64 * TU_KIB)) != NULL) {
		memset(p, 1, 64 * TU_KIB);
		n++;
	}
	ck_assert_uint_gt(n, 150);
	ck_assert_int_eq(vmem_check(vmp), 1);
	vmem_delete(vmp);
	ck_assert_int_eq(tu_dir_entries(dir), 0);
	tu_rmdir(dir);
}
END_TEST

/*
 * vmem_malloc_usable_size of a freed object is 0 and leaves a message,
 * wherever the object went: a thread's cache, its slab, the large-run
 * cache, the free extents. It used to give a freed small object's class
 * size.
 */
START_TEST(test_usable_size_freed)
{
	VMEM *vmp = tu_pool_create(64 * TU_MIB);
	static const size_t sizes[] = { 16, 100, 3000, 16384, 20000, 100000,
		(size_t)4 << 20 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		void *p = vmem_malloc(vmp, sizes[i]);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_ge(vmem_malloc_usable_size(vmp, p), sizes[i]);
		vmem_free(vmp, p);
		errno = 0;
		ck_assert_msg(vmem_malloc_usable_size(vmp, p) == 0,
				"usable size of a freed %zu-byte object: %zu",
				sizes[i], vmem_malloc_usable_size(vmp, p));
		char what[64];
		snprintf(what, sizeof(what), "freed %zu-byte object", sizes[i]);
		assert_failed(0, "live object", what);
	}
	/* many frees: the caches flush objects back into their slabs */
	enum { N = 4096 };
	static void *objs[N];
	for (int i = 0; i < N; i++) {
		objs[i] = vmem_malloc(vmp, 48);
		ck_assert_ptr_nonnull(objs[i]);
	}
	for (int i = 0; i < N; i++)
		vmem_free(vmp, objs[i]);
	for (int i = 0; i < N; i++)
		ck_assert_msg(vmem_malloc_usable_size(vmp, objs[i]) == 0,
				"freed object %d of %d: usable size %zu", i, N,
				vmem_malloc_usable_size(vmp, objs[i]));
	ck_assert_int_eq(vmem_check(vmp), 1);
	vmem_delete(vmp);
}
END_TEST

/* the number of open descriptors of this process */
static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the directory's own descriptor */
}

/*
 * The probe (this program run again with LIMITS_LOG_PROBE set, and
 * VMEM_LOG_FILE): the descriptors before and after the first output to
 * the log file must be the same. Exit status 0 if they are.
 */
static int
log_probe(void)
{
	int before = count_fds();
	void *region = mmap(NULL, VMEM_MIN_POOL, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	VMEM *vmp = region == MAP_FAILED ? NULL :
			vmem_create_in_region(region, VMEM_MIN_POOL);
	if (vmp == NULL)
		return 4;
	vmem_stats_print(vmp, NULL);	/* goes to VMEM_LOG_FILE */
	vmem_delete(vmp);
	int after = count_fds();
	printf("descriptors: %d before the first output, %d after\n",
			before, after);
	return before == after && before > 0 ? 0 : 3;
}

START_TEST(test_log_file_opened_at_load)
{
	char dir[PATH_MAX], log[PATH_MAX + 16], var[PATH_MAX + 32];
	tu_mkdtemp(dir, sizeof(dir), NULL);
	snprintf(log, sizeof(log), "%s/log", dir);
	snprintf(var, sizeof(var), "VMEM_LOG_FILE=%s", log);
	ck_assert_int_eq(setenv("LIMITS_LOG_PROBE", "1", 1), 0);
	ck_assert_int_eq(putenv(var), 0);
	char *argv[] = { "limits", NULL };
	pid_t pid;
	ck_assert_int_eq(posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv,
			environ), 0);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			"the probe's descriptors changed at its first output "
			"(status %#x)", status);
	struct stat st;
	ck_assert_int_eq(stat(log, &st), 0);
	ck_assert_msg(st.st_size > 0, "nothing went to VMEM_LOG_FILE");
	unlink(log);
	tu_rmdir(dir);
}
END_TEST

int
main(void)
{
	if (getenv("LIMITS_LOG_PROBE") != NULL)
		return log_probe();
	Suite *s = suite_create("limits");
	TCase *tc = tu_tcase(s, "limits", TU_TIMEOUT);
	/* ThreadSanitizer keeps most of the address space for itself: a
	 * 16 TiB region cannot be mapped there (the release and ASan builds
	 * run these two) */
	if (!TU_TSAN) {
		tcase_add_test(tc, test_region_largest);
		tcase_add_test(tc, test_region_above_largest);
	} else {
		printf("limits: the 16 TiB region tests are not run under "
				"ThreadSanitizer\n");
	}
	tcase_add_test(tc, test_create_above_largest);
	tcase_add_test(tc, test_file_size_limit);
	tcase_add_test(tc, test_usable_size_freed);
	tcase_add_test(tc, test_log_file_opened_at_load);
	return tu_run(s);
}
