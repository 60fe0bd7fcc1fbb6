/*
 * pool_create.c -- tests of pool creation and deletion: vmem_create()
 * argument errors (EINVAL, ENOENT, ENOTDIR, EACCES, a character device,
 * ENOSPC), the unnamed pool file (nothing appears in the directory), the
 * return of the file space on vmem_delete() and on process exit, no file
 * descriptor leak, vmem_create_in_region() errors and its staying inside
 * the region it was given, regions overlapping a live pool refused (but a
 * pool inside another pool's large object accepted), vmem_delete() of a
 * dead handle, and freed pages leaving the page cache (hole punching).
 */
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include "testutil.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

/* asserts that the last call failed with NULL and err, and left a message */
#define ASSERT_FAIL(vmp, err) do { \
	int e_ = errno; \
	ck_assert_msg((vmp) == NULL, "expected NULL"); \
	ck_assert_msg(e_ == (err), "errno %d (%s), expected %d (%s)", e_, \
			strerror(e_), (err), strerror(err)); \
	ck_assert_ptr_nonnull(vmem_errormsg()); \
	ck_assert_msg(vmem_errormsg()[0] != '\0', "empty vmem_errormsg()"); \
} while (0)

/* a few allocations, written and checked, then freed */
static void
use_pool(VMEM *vmp)
{
	void *p[64];
	for (int i = 0; i < 64; i++) {
		size_t sz = (size_t)(i + 1) * 1000;
		p[i] = vmem_malloc(vmp, sz);
		ck_assert_ptr_nonnull(p[i]);
		tu_fill(p[i], sz, (uint64_t)i);
	}
	for (int i = 0; i < 64; i++) {
		size_t sz = (size_t)(i + 1) * 1000;
		ck_assert_uint_eq(tu_verify(p[i], sz, (uint64_t)i), sz);
		vmem_free(vmp, p[i]);
	}
	ck_assert_int_eq(vmem_check(vmp), 1);
}

START_TEST(test_create_too_small)
{
	char dir[PATH_MAX];
	tu_mkdtemp(dir, sizeof(dir), NULL);
	size_t sizes[] = { 0, 1, 4096, VMEM_MIN_POOL / 2, VMEM_MIN_POOL - 1 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		errno = 0;
		VMEM *vmp = vmem_create(dir, sizes[i]);
		ASSERT_FAIL(vmp, EINVAL);
	}
	ck_assert_int_eq(tu_dir_entries(dir), 0);
	tu_rmdir(dir);
}
END_TEST

START_TEST(test_create_min_size)
{
	char dir[PATH_MAX];
	tu_mkdtemp(dir, sizeof(dir), NULL);
	VMEM *vmp = vmem_create(dir, VMEM_MIN_POOL);
	ck_assert_msg(vmp != NULL, "vmem_create(MIN_POOL): %s",
			vmem_errormsg());
	ck_assert_int_eq(vmem_check(vmp), 1);
	use_pool(vmp);
	vmem_delete(vmp);
	/* a size that is not a multiple of the page size */
	vmp = vmem_create(dir, VMEM_MIN_POOL + 12345);
	ck_assert_msg(vmp != NULL, "vmem_create(MIN_POOL+12345): %s",
			vmem_errormsg());
	use_pool(vmp);
	vmem_delete(vmp);
	tu_rmdir(dir);
}
END_TEST

START_TEST(test_create_enoent)
{
	char dir[PATH_MAX], sub[PATH_MAX + 32];
	tu_mkdtemp(dir, sizeof(dir), NULL);
	snprintf(sub, sizeof(sub), "%s/does-not-exist", dir);
	errno = 0;
	VMEM *vmp = vmem_create(sub, VMEM_MIN_POOL);
	ASSERT_FAIL(vmp, ENOENT);
	snprintf(sub, sizeof(sub), "%s/no/such/dir", dir);
	errno = 0;
	vmp = vmem_create(sub, VMEM_MIN_POOL);
	ASSERT_FAIL(vmp, ENOENT);
	ck_assert_int_eq(tu_dir_entries(dir), 0);
	tu_rmdir(dir);
}
END_TEST

START_TEST(test_create_enotdir)
{
	char dir[PATH_MAX], file[PATH_MAX + 32];
	tu_mkdtemp(dir, sizeof(dir), NULL);
	snprintf(file, sizeof(file), "%s/regular", dir);
	int fd = open(file, O_CREAT | O_WRONLY | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "x", 1), 1);
	close(fd);
	errno = 0;
	VMEM *vmp = vmem_create(file, VMEM_MIN_POOL);
	ASSERT_FAIL(vmp, ENOTDIR);
	/* the file is untouched */
	struct stat st;
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert_int_eq(st.st_size, 1);
	ck_assert_int_eq(unlink(file), 0);
	tu_rmdir(dir);
}
END_TEST

/* vmem_create in a dir this process cannot write: 0 if it failed with EACCES */
static int
try_eacces(const char *dir)
{
	errno = 0;
	VMEM *vmp = vmem_create(dir, VMEM_MIN_POOL);
	int e = errno;
	if (vmp != NULL) {
		vmem_delete(vmp);
		return 100;
	}
	if (vmem_errormsg()[0] == '\0')
		return 101;
	return e == EACCES ? 0 : e;
}

START_TEST(test_create_eacces)
{
	char dir[PATH_MAX];
	tu_mkdtemp(dir, sizeof(dir), NULL);
	ck_assert_int_eq(chmod(dir, 0555), 0);	/* searchable, not writable */
	if (geteuid() != 0) {
		int r = try_eacces(dir);
		ck_assert_msg(r == 0, "vmem_create in a read-only dir: %s",
				r == 100 ? "succeeded" : r == 101 ?
				"no vmem_errormsg" : strerror(r));
	} else {
		/* root ignores permissions: try as "nobody" in a child */
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			if (setgid(65534) != 0 || setuid(65534) != 0)
				_exit(200);
			_exit(try_eacces(dir));
		}
		int st;
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert_msg(WIFEXITED(st), "child died with signal %d",
				WTERMSIG(st));
		int r = WEXITSTATUS(st);
		if (r == 200) {
			printf("test_create_eacces: running as root and cannot "
					"drop privileges: EACCES not tested\n");
		} else {
			ck_assert_msg(r == 0, "vmem_create in a read-only dir: "
					"%s", r == 100 ? "succeeded" : r == 101 ?
					"no vmem_errormsg" : strerror(r));
		}
	}
	ck_assert_int_eq(tu_dir_entries(dir), 0);
	tu_rmdir(dir);
}
END_TEST

START_TEST(test_create_chardev)
{
	struct stat st;
	if (stat("/dev/null", &st) != 0 || !S_ISCHR(st.st_mode)) {
		printf("test_create_chardev: no /dev/null character device\n");
		return;
	}
	errno = 0;
	VMEM *vmp = vmem_create("/dev/null", VMEM_MIN_POOL);
	ASSERT_FAIL(vmp, EINVAL);
	if (stat("/dev/zero", &st) == 0 && S_ISCHR(st.st_mode)) {
		errno = 0;
		vmp = vmem_create("/dev/zero", VMEM_MIN_POOL);
		ASSERT_FAIL(vmp, EINVAL);
	}
}
END_TEST

/* a size far above what a tmpfs holds fails at creation with ENOSPC */
START_TEST(test_create_enospc)
{
	const char *shm = "/dev/shm";
	struct statfs fs;
	struct statvfs vfs;
	size_t huge = (size_t)1 << 40;	/* 1 TiB */
	if (statfs(shm, &fs) != 0 || fs.f_type != TMPFS_MAGIC ||
			statvfs(shm, &vfs) != 0 || vfs.f_blocks == 0 ||
			(double)vfs.f_blocks * vfs.f_frsize >= (double)huge ||
			access(shm, W_OK) != 0) {
		printf("test_create_enospc: no bounded tmpfs at %s: skipped\n",
				shm);
		return;
	}
	char dir[PATH_MAX];
	tu_mkdtemp(dir, sizeof(dir), shm);
	errno = 0;
	VMEM *vmp = vmem_create(dir, huge);
	int e = errno;
	if (vmp != NULL)
		vmem_delete(vmp);
	ck_assert_msg(vmp == NULL, "a 1 TiB pool on a small tmpfs was created "
			"(space is not reserved at creation)");
	ck_assert_msg(e == ENOSPC, "errno %d (%s), expected ENOSPC", e,
			strerror(e));
	ck_assert_int_eq(tu_dir_entries(dir), 0);
	tu_rmdir(dir);
}
END_TEST

START_TEST(test_no_name_in_dir)
{
	char dir[PATH_MAX], file[PATH_MAX + 32];
	tu_mkdtemp(dir, sizeof(dir), NULL);
	ck_assert_int_eq(tu_dir_entries(dir), 0);
	VMEM *vmp = vmem_create(dir, VMEM_MIN_POOL);
	ck_assert_ptr_nonnull(vmp);
	ck_assert_int_eq(tu_dir_entries(dir), 0);
	use_pool(vmp);
	ck_assert_int_eq(tu_dir_entries(dir), 0);
	/* with other files present, still nothing new */
	snprintf(file, sizeof(file), "%s/other", dir);
	int fd = open(file, O_CREAT | O_WRONLY | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	VMEM *vmp2 = vmem_create(dir, VMEM_MIN_POOL);
	ck_assert_ptr_nonnull(vmp2);
	ck_assert_int_eq(tu_dir_entries(dir), 1);
	use_pool(vmp2);
	vmem_delete(vmp2);
	vmem_delete(vmp);
	ck_assert_int_eq(tu_dir_entries(dir), 1);
	ck_assert_int_eq(unlink(file), 0);
	tu_rmdir(dir);
}
END_TEST

/* free bytes for unprivileged users on the filesystem of dir */
static double
free_bytes(const char *dir)
{
	struct statvfs v;
	ck_assert_int_eq(statvfs(dir, &v), 0);
	return (double)v.f_bavail * (double)v.f_frsize;
}

/* a directory on a real disk: /var/tmp if usable, else $TMPDIR or /tmp */
static const char *
disk_base(void)
{
	return access("/var/tmp", W_OK) == 0 ? "/var/tmp" : tu_tmpbase();
}

#define SPACE_POOL (256 * TU_MIB)
#define SPACE_SLACK (48.0 * 1024 * 1024)

START_TEST(test_space_returned_on_delete)
{
	char dir[PATH_MAX];
	tu_mkdtemp(dir, sizeof(dir), disk_base());
	double before = free_bytes(dir);
	VMEM *vmp = vmem_create(dir, SPACE_POOL);
	ck_assert_ptr_nonnull(vmp);
	double during = free_bytes(dir);
	/* write some of it, so it really occupies blocks */
	void *p = vmem_malloc(vmp, 64 * TU_MIB);
	ck_assert_ptr_nonnull(p);
	memset(p, 0x5a, 64 * TU_MIB);
	double used = free_bytes(dir);
	vmem_free(vmp, p);
	vmem_delete(vmp);
	double after = free_bytes(dir);
	printf("space: before %.0f MiB, after create %.0f MiB, after writing "
			"%.0f MiB, after delete %.0f MiB\n", before / TU_MIB,
			during / TU_MIB, used / TU_MIB, after / TU_MIB);
	/* the whole size is reserved at creation (posix_fallocate) */
	ck_assert_msg(before - during > (double)SPACE_POOL - SPACE_SLACK,
			"creating a %zu MiB pool took only %.1f MiB of disk",
			SPACE_POOL / TU_MIB, (before - during) / TU_MIB);
	ck_assert_msg(after > before - SPACE_SLACK,
			"%.1f MiB not returned after vmem_delete",
			(before - after) / TU_MIB);
	ck_assert_int_eq(tu_dir_entries(dir), 0);
	tu_rmdir(dir);
}
END_TEST

START_TEST(test_space_returned_on_exit)
{
	char dir[PATH_MAX];
	tu_mkdtemp(dir, sizeof(dir), disk_base());
	double before = free_bytes(dir);
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(pfd[0]);
		VMEM *vmp = vmem_create(dir, SPACE_POOL);
		if (vmp == NULL)
			_exit(1);
		void *p = vmem_malloc(vmp, 32 * TU_MIB);
		if (p == NULL)
			_exit(2);
		memset(p, 0x5a, 32 * TU_MIB);
		double fb = free_bytes(dir);
		if (write(pfd[1], &fb, sizeof(fb)) != sizeof(fb))
			_exit(3);
		_exit(0);	/* no vmem_delete */
	}
	close(pfd[1]);
	double during = 0;
	ck_assert_int_eq(read(pfd[0], &during, sizeof(during)),
			sizeof(during));
	close(pfd[0]);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	double after = free_bytes(dir);
	ck_assert_msg(before - during > 32.0 * TU_MIB,
			"the child's pool did not use disk space");
	ck_assert_msg(after > before - SPACE_SLACK,
			"%.1f MiB not returned after the process exited",
			(before - after) / TU_MIB);
	ck_assert_int_eq(tu_dir_entries(dir), 0);
	tu_rmdir(dir);
}
END_TEST

static int
open_fds(void)
{
	return tu_dir_entries("/proc/self/fd");
}

START_TEST(test_delete_recreate)
{
	char dir[PATH_MAX];
	tu_mkdtemp(dir, sizeof(dir), NULL);
	VMEM *vmp = vmem_create(dir, VMEM_MIN_POOL);	/* warm up */
	ck_assert_ptr_nonnull(vmp);
	vmem_delete(vmp);
	int fds = open_fds();
	for (int i = 0; i < 32; i++) {
		vmp = vmem_create(dir, VMEM_MIN_POOL + (size_t)i * TU_MIB);
		ck_assert_msg(vmp != NULL, "create #%d: %s", i,
				vmem_errormsg());
		use_pool(vmp);
		vmem_delete(vmp);
	}
	ck_assert_msg(open_fds() == fds, "file descriptors leak: %d -> %d",
			fds, open_fds());
	tu_rmdir(dir);
}
END_TEST

START_TEST(test_region_unaligned)
{
	struct tu_region r;
	tu_region_map(&r, VMEM_MIN_POOL + 2 * tu_pagesize(), 0);
	size_t offs[] = { 1, 8, 16, 64, tu_pagesize() / 2, tu_pagesize() - 1 };
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		errno = 0;
		VMEM *vmp = vmem_create_in_region((char *)r.addr + offs[i],
				VMEM_MIN_POOL);
		ASSERT_FAIL(vmp, EINVAL);
	}
	tu_region_unmap(&r);
}
END_TEST

START_TEST(test_region_too_small)
{
	struct tu_region r;
	tu_region_map(&r, VMEM_MIN_POOL, 0);
	size_t sizes[] = { 0, 1, tu_pagesize(), VMEM_MIN_POOL - 1 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		errno = 0;
		VMEM *vmp = vmem_create_in_region(r.addr, sizes[i]);
		ASSERT_FAIL(vmp, EINVAL);
	}
	tu_region_unmap(&r);
}
END_TEST

/*
 * The pool lives inside [addr, addr+size): guard pages around the region
 * catch any write outside it, canary bytes catch writes past size in the
 * last page, and every object lies inside the region.
 */
START_TEST(test_region_stays_inside)
{
	struct tu_region r;
	size_t pg = tu_pagesize();
	tu_region_map(&r, 32 * TU_MIB, 0);
	size_t size = r.size - 100;	/* not a multiple of the page size */
	unsigned char *canary = (unsigned char *)r.addr + size;
	memset(r.addr, 0xa5, r.size);
	VMEM *vmp = vmem_create_in_region(r.addr, size);
	ck_assert_msg(vmp != NULL, "vmem_create_in_region: %s",
			vmem_errormsg());
	ck_assert_int_eq(vmem_check(vmp), 1);
	uintptr_t lo = (uintptr_t)r.addr, hi = lo + size;
	for (int round = 0; round < 2; round++) {
		size_t objsz = round == 0 ? 64 * TU_KIB : 100;
		size_t cap = size / objsz + 1, n = 0;
		void **objs = malloc(cap * sizeof(*objs));
		ck_assert_ptr_nonnull(objs);
		void *p;
		while (n < cap && (p = vmem_malloc(vmp, objsz)) != NULL) {
			size_t us = vmem_malloc_usable_size(vmp, p);
			ck_assert_msg((uintptr_t)p >= lo &&
					(uintptr_t)p + us <= hi,
					"object %p+%zu outside the region "
					"[%#lx, %#lx)", p, us,
					(unsigned long)lo, (unsigned long)hi);
			memset(p, round, us);
			objs[n++] = p;
		}
		ck_assert_uint_lt(n, cap);
		ck_assert_uint_gt(n, 0);
		ck_assert_int_eq(vmem_check(vmp), 1);
		for (size_t i = 0; i < n; i++)
			vmem_free(vmp, objs[i]);
		free(objs);
	}
	vmem_stats_print(vmp, "gmabl");
	ck_assert_int_eq(vmem_check(vmp), 1);
	vmem_delete(vmp);
	ck_assert_msg(tu_all_bytes(canary, 100, 0xa5),
			"bytes past addr+size were written");
	/* the region is still ours after vmem_delete, and reusable */
	memset(r.addr, 0, pg);
	vmp = vmem_create_in_region(r.addr, size);
	ck_assert_ptr_nonnull(vmp);
	use_pool(vmp);
	vmem_delete(vmp);
	ck_assert_msg(tu_all_bytes(canary, 100, 0xa5),
			"bytes past addr+size were written");
	memset(r.addr, 0, r.size);
	tu_region_unmap(&r);
}
END_TEST

/* a region over a shared file mapping works as well */
START_TEST(test_region_file_mapping)
{
	char dir[PATH_MAX], file[PATH_MAX + 32];
	tu_mkdtemp(dir, sizeof(dir), NULL);
	snprintf(file, sizeof(file), "%s/region", dir);
	int fd = open(file, O_CREAT | O_RDWR | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)(16 * TU_MIB)), 0);
	void *addr = mmap(NULL, 16 * TU_MIB, PROT_READ | PROT_WRITE,
			MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(addr, MAP_FAILED);
	VMEM *vmp = vmem_create_in_region(addr, 16 * TU_MIB);
	ck_assert_ptr_nonnull(vmp);
	use_pool(vmp);
	vmem_delete(vmp);
	ck_assert_int_eq(munmap(addr, 16 * TU_MIB), 0);
	close(fd);
	ck_assert_int_eq(unlink(file), 0);
	tu_rmdir(dir);
}
END_TEST

/* a region overlapping a live pool is refused; the live pool is intact */
START_TEST(test_region_overlap)
{
	struct tu_region r;
	size_t pg = tu_pagesize();
	tu_region_map(&r, 3 * VMEM_MIN_POOL, 0);
	VMEM *vmp = vmem_create_in_region(r.addr, 2 * VMEM_MIN_POOL);
	ck_assert_ptr_nonnull(vmp);
	void *p = vmem_malloc(vmp, 1000);
	ck_assert_ptr_nonnull(p);
	tu_fill(p, 1000, 4);
	char *a = r.addr;
	char *starts[] = { a, a + pg, a + VMEM_MIN_POOL,
			a + 2 * VMEM_MIN_POOL - pg };
	for (size_t i = 0; i < 4; i++) {
		errno = 0;
		VMEM *bad = vmem_create_in_region(starts[i], VMEM_MIN_POOL);
		int e = errno;
		if (bad != NULL)
			vmem_delete(bad);
		ck_assert_msg(bad == NULL, "a region at offset %zu over a "
				"live pool was accepted", (size_t)(starts[i] - a));
		ck_assert_int_eq(e, EINVAL);
		ck_assert_int_eq(vmem_check(vmp), 1);
		ck_assert_uint_eq(tu_verify(p, 1000, 4), 1000);
	}
	/* right after it is fine */
	VMEM *next = vmem_create_in_region(a + 2 * VMEM_MIN_POOL,
			VMEM_MIN_POOL);
	ck_assert_ptr_nonnull(next);
	ck_assert_int_eq(vmem_check(next), 1);
	ck_assert_int_eq(vmem_check(vmp), 1);
	vmem_delete(next);
	vmem_free(vmp, p);
	vmem_delete(vmp);
	tu_region_unmap(&r);
}
END_TEST

/* a pool made inside a large object of another pool */
START_TEST(test_region_inside_object)
{
	VMEM *outer = tu_pool_create(64 * TU_MIB);
	void *obj = vmem_aligned_alloc(outer, tu_pagesize(), 32 * TU_MIB);
	ck_assert_ptr_nonnull(obj);
	VMEM *inner = vmem_create_in_region(obj, 32 * TU_MIB);
	ck_assert_msg(inner != NULL, "a pool inside a large object: %s",
			vmem_errormsg());
	use_pool(inner);
	ck_assert_int_eq(vmem_check(outer), 1);
	ck_assert_int_eq(vmem_check(inner), 1);
	vmem_delete(inner);
	vmem_free(outer, obj);
	ck_assert_int_eq(vmem_check(outer), 1);
	vmem_delete(outer);
}
END_TEST

/* vmem_delete of a pool that is no longer live does nothing */
START_TEST(test_delete_twice)
{
	struct tu_region r;
	tu_region_map(&r, VMEM_MIN_POOL, 0);
	VMEM *vmp = vmem_create_in_region(r.addr, r.size);
	ck_assert_ptr_nonnull(vmp);
	VMEM *other = tu_pool_create(VMEM_MIN_POOL);
	vmem_delete(vmp);
	vmem_delete(vmp);	/* region still mapped, pool gone */
	VMEM *file = tu_pool_create(VMEM_MIN_POOL);
	vmem_delete(file);
	vmem_delete(file);	/* its memory is unmapped now */
	ck_assert(vmem_errormsg()[0] != '\0');
	ck_assert_int_eq(vmem_check(other), 1);
	use_pool(other);
	vmem_delete(other);
	tu_region_unmap(&r);
}
END_TEST

/*
 * Freed extents are given back to the file system (hole punching), so the
 * page cache shrinks: after freeing a big written object of a file-backed
 * pool, its pages are no longer resident (mincore looks at the page cache
 * of a shared file mapping, which MADV_DONTNEED alone would not empty),
 * but for the freed chunks the pool keeps for reuse: at most 1/16 of it.
 */
START_TEST(test_free_returns_pages)
{
	size_t sz = 64 * TU_MIB, pg = tu_pagesize();
	VMEM *vmp = tu_pool_create(128 * TU_MIB);
	unsigned char *p = vmem_malloc(vmp, sz);
	ck_assert_ptr_nonnull(p);
	memset(p, 0x6b, sz);
	/* the whole pages inside the object */
	uintptr_t lo = ((uintptr_t)p + pg - 1) & ~(uintptr_t)(pg - 1);
	uintptr_t hi = ((uintptr_t)p + sz) & ~(uintptr_t)(pg - 1);
	size_t npages = (hi - lo) / pg;
	unsigned char *vec = malloc(npages);
	ck_assert_ptr_nonnull(vec);
	ck_assert_int_eq(mincore((void *)lo, hi - lo, vec), 0);
	size_t before = 0;
	for (size_t i = 0; i < npages; i++)
		before += vec[i] & 1;
	vmem_free(vmp, p);
	ck_assert_int_eq(mincore((void *)lo, hi - lo, vec), 0);
	size_t after = 0;
	for (size_t i = 0; i < npages; i++)
		after += vec[i] & 1;
	printf("resident pages of a freed 64 MiB object: %zu before free, "
			"%zu after\n", before, after);
	free(vec);
	ck_assert_uint_gt(before, npages / 2);
	size_t kept_max = 128 * TU_MIB / 16 / pg;
	ck_assert_msg(after < npages / 10 + kept_max, "%zu of %zu pages of a "
			"freed object are still in the page cache", after, npages);
	ck_assert_int_eq(vmem_check(vmp), 1);
	/* the space is usable again, and reads as anything but a crash */
	p = vmem_malloc(vmp, sz);
	ck_assert_ptr_nonnull(p);
	memset(p, 0x6c, sz);
	vmem_free(vmp, p);
	vmem_delete(vmp);
}
END_TEST

/* the VmFlags line of the mapping of /proc/self/smaps that holds addr,
 * into flags; false if there is none */
static bool
smaps_flags(const void *addr, char *flags, size_t len)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	ck_assert_ptr_nonnull(f);
	char line[512];
	bool inside = false, found = false;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
				strchr(line, '-') < strchr(line, ' '))
			inside = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
		else if (inside && strncmp(line, "VmFlags:", 8) == 0) {
			size_t n = strlen(line + 8);
			n = n < len ? n : len - 1;
			memcpy(flags, line + 8, n);
			flags[n] = '\0';
			found = true;
		}
	}
	fclose(f);
	return found;
}

/*
 * A pool file is mapped at a 2 MiB boundary, so that a backing with 2 MiB
 * pages can use them, and advised huge pages (VmFlags "hg") on tmpfs,
 * where that is what a huge=advise mount needs, and only there (on a disk
 * file system the advice makes faults map large folios: more resident
 * memory for nothing).
 */
START_TEST(test_pool_mapping_huge_ready)
{
	size_t sizes[] = { VMEM_MIN_POOL, 64 * TU_MIB + 4096 };
	const char *dirs[] = { NULL, "/dev/shm" };
	for (size_t i = 0; i < 4; i++) {
		char dir[PATH_MAX];
		struct statfs fs;
		tu_mkdtemp(dir, sizeof(dir), dirs[i / 2]);
		ck_assert_int_eq(statfs(dir, &fs), 0);
		VMEM *vmp = vmem_create(dir, sizes[i % 2]);
		ck_assert_ptr_nonnull(vmp);
		tu_rmdir(dir);
		ck_assert_msg(((uintptr_t)vmp & (2 * TU_MIB - 1)) == 0,
				"pool of %zu bytes at %p", sizes[i % 2],
				(void *)vmp);
		char flags[256];
		ck_assert(smaps_flags(vmp, flags, sizeof(flags)));
		ck_assert_msg((strstr(flags, " hg") != NULL) ==
				(fs.f_type == TMPFS_MAGIC),
				"VmFlags of a pool in %s: %s", dir, flags);
		ck_assert_int_eq(vmem_check(vmp), 1);
		void *p = vmem_malloc(vmp, 3 * TU_MIB);
		ck_assert_ptr_nonnull(p);
		memset(p, 1, 3 * TU_MIB);
		vmem_free(vmp, p);
		vmem_delete(vmp);
	}
}
END_TEST

/*
 * A hugetlbfs of 2 MiB pages to test in: VMEM_TEST_HUGETLBFS (.ci/run
 * mounts one when it can), else the first such mount in /proc/mounts;
 * false, after saying so, if there is none or no free huge page.
 */
static bool
hugetlbfs_dir(char *out, size_t len)
{
	const char *env = getenv("VMEM_TEST_HUGETLBFS");
	struct statfs fs;
	char dev[256], dir[PATH_MAX], type[64];
	bool found = false;
	if (env != NULL && *env != '\0') {
		snprintf(out, len, "%s", env);
		found = true;
	}
	FILE *f = fopen("/proc/mounts", "r");
	while (!found && f != NULL && fscanf(f, "%255s %4095s %63s %*[^\n]",
			dev, dir, type) == 3)
		if (strcmp(type, "hugetlbfs") == 0 && statfs(dir, &fs) == 0 &&
				fs.f_bsize == 2 * TU_MIB && access(dir, W_OK) == 0) {
			snprintf(out, len, "%s", dir);
			found = true;
		}
	if (f != NULL)
		fclose(f);
	unsigned long free_pages = 0;
	f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages",
			"r");
	if (f != NULL) {
		if (fscanf(f, "%lu", &free_pages) != 1)
			free_pages = 0;
		fclose(f);
	}
	if (!found || free_pages < 32) {
		printf("no hugetlbfs of 2 MiB pages with 32 free pages here "
				"(set VMEM_TEST_HUGETLBFS): pools on hugetlbfs "
				"not tested\n");
		return false;
	}
	return true;
}

/*
 * A directory on a hugetlbfs of 2 MiB pages is a pool directory: a size
 * that is not a multiple of the huge page is rounded up (it crashed at
 * the pool's end before), objects large and small work, a freed chunk
 * goes back (a whole huge page) and comes back, and the pool fills to
 * its last page. (libvmmalloc's pools there: test/vmmalloc/run.sh.)
 */
START_TEST(test_create_hugetlbfs)
{
	char base[PATH_MAX], dir[PATH_MAX];
	if (!hugetlbfs_dir(base, sizeof(base)))
		return;
	tu_mkdtemp(dir, sizeof(dir), base);
	VMEM *vmp = vmem_create(dir, 31 * TU_MIB + 5);
	ck_assert_msg(vmp != NULL, "pool on %s: %s", dir, vmem_errormsg());
	tu_rmdir(dir);
	char *small = vmem_malloc(vmp, 100);
	char *big = vmem_malloc(vmp, 6 * TU_MIB);
	ck_assert_ptr_nonnull(small);
	ck_assert_ptr_nonnull(big);
	strcpy(small, "on huge pages");
	memset(big, 0x33, 6 * TU_MIB);
	vmem_free(vmp, big);
	ck_assert_int_eq(vmem_check(vmp), 1);
	static char *objs[64];
	size_t n = 0;
	while (n < 64 && (objs[n] = vmem_malloc(vmp, TU_MIB)) != NULL)
		memset(objs[n++], 0x44, TU_MIB);
	ck_assert_uint_ge(n, 28);
	ck_assert_str_eq(small, "on huge pages");
	ck_assert_int_eq(vmem_check(vmp), 1);
	vmem_delete(vmp);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pool_create");
	TCase *tc = tu_tcase(s, "create", TU_TIMEOUT);
	tcase_add_test(tc, test_create_too_small);
	tcase_add_test(tc, test_create_min_size);
	tcase_add_test(tc, test_create_enoent);
	tcase_add_test(tc, test_create_enotdir);
	tcase_add_test(tc, test_create_eacces);
	tcase_add_test(tc, test_create_chardev);
	tcase_add_test(tc, test_create_enospc);
	tcase_add_test(tc, test_no_name_in_dir);
	tcase_add_test(tc, test_delete_recreate);
	tcase_add_test(tc, test_delete_twice);
	tc = tu_tcase(s, "space", TU_TIMEOUT);
	tcase_add_test(tc, test_space_returned_on_delete);
	tcase_add_test(tc, test_space_returned_on_exit);
	tcase_add_test(tc, test_free_returns_pages);
	tcase_add_test(tc, test_pool_mapping_huge_ready);
	tcase_add_test(tc, test_create_hugetlbfs);
	tc = tu_tcase(s, "region", TU_TIMEOUT);
	tcase_add_test(tc, test_region_unaligned);
	tcase_add_test(tc, test_region_too_small);
	tcase_add_test(tc, test_region_stays_inside);
	tcase_add_test(tc, test_region_file_mapping);
	tcase_add_test(tc, test_region_overlap);
	tcase_add_test(tc, test_region_inside_object);
	return tu_run(s);
}
