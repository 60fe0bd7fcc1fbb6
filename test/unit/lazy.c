/*
 * lazy.c -- pool files reserved as they are used (pool_create_lazy, what
 * libvmmalloc makes its heap with) against vmem_create's reservation of
 * the whole file at once: the blocks the file holds, the room checked at
 * creation, that a lazy pool still fills up and checks clean, and that on
 * tmpfs a reserved chunk comes mapped (no fault per page); vmem_create's
 * pools on tmpfs map a chunk when it first comes in use (map-ahead).
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "unit.h"
#include "pool/vmem.h"

static char dir[4096];

static void
setup(void)
{
	tu_mkdtemp(dir, sizeof(dir), NULL);
}

static void
teardown(void)
{
	tu_rmdir(dir);
}

/* bytes of blocks the pool's file holds now */
static uint64_t
file_bytes(VMEM *vmp)
{
	struct stat st;
	ck_assert_int_eq(fstat(vmp->backing.fd, &st), 0);
	return (uint64_t)st.st_blocks * 512;
}

START_TEST(test_eager_reserves_all)
{
	VMEM *vmp = vmem_create(dir, 64 * TU_MIB);
	ck_assert_ptr_nonnull(vmp);
	ck_assert_uint_ge(file_bytes(vmp), 64 * TU_MIB);
	ck_assert_uint_eq(vmp->extents.purged_chunks, 0);
	vmem_delete(vmp);
}
END_TEST

START_TEST(test_lazy_reserves_as_used)
{
	const size_t size = 256 * TU_MIB;
	VMEM *vmp = pool_create_lazy(dir, size);
	ck_assert_ptr_nonnull(vmp);
	struct stat st;
	ck_assert_int_eq(fstat(vmp->backing.fd, &st), 0);
	ck_assert_uint_eq((uint64_t)st.st_size, size);
	/* the metadata (run records, page map) and no more */
	uint64_t start = file_bytes(vmp);
	ck_assert_uint_ge(start, (uint64_t)vmp->region.data_first * VM_PAGE);
	ck_assert_uint_lt(start, 16 * TU_MIB);
	ck_assert_uint_gt(vmp->extents.purged_chunks, 100);
	ck_assert_int_eq(vmem_check(vmp), 1);

	/* a 64 MiB object reserves its chunks; freeing it gives them back */
	char *big = vmem_malloc(vmp, 64 * TU_MIB);
	ck_assert_ptr_nonnull(big);
	ck_assert_uint_ge(file_bytes(vmp), start + 64 * TU_MIB);
	memset(big, 0x3c, 64 * TU_MIB);
	ck_assert_int_eq(vmem_check(vmp), 1);
	vmem_free(vmp, big);
	ck_assert_uint_lt(file_bytes(vmp), start + 4 * TU_MIB);

	/* small objects reserve only the chunks their slabs are in */
	void *p[1000];
	for (int i = 0; i < 1000; i++) {
		p[i] = vmem_malloc(vmp, 100);
		ck_assert_ptr_nonnull(p[i]);
		memset(p[i], i, 100);
	}
	ck_assert_uint_lt(file_bytes(vmp), start + 8 * TU_MIB);
	for (int i = 0; i < 1000; i++)
		vmem_free(vmp, p[i]);

	/* the whole pool is usable: 1 MiB objects until it is full */
	static void *objs[256];
	size_t n = 0;
	while (n < 256 && (objs[n] = vmem_malloc(vmp, TU_MIB)) != NULL)
		memset(objs[n++], 0x7e, TU_MIB);
	ck_assert_uint_ge(n * TU_MIB, size / 10 * 9);
	ck_assert_uint_ge(file_bytes(vmp), n * TU_MIB);
	ck_assert_int_eq(vmem_check(vmp), 1);
	while (n > 0)
		vmem_free(vmp, objs[--n]);
	ck_assert_int_eq(vmem_check(vmp), 1);
	vmem_delete(vmp);
}
END_TEST

/* a lazy pool still fails at creation where the room is not there now */
START_TEST(test_lazy_needs_room)
{
	struct statvfs sv;
	ck_assert_int_eq(statvfs(dir, &sv), 0);
	uint64_t room = (uint64_t)sv.f_bavail * sv.f_frsize;
	size_t size = (size_t)VM_ALIGN_UP(room + 64 * TU_MIB, TU_MIB);
	errno = 0;
	ck_assert_ptr_null(pool_create_lazy(dir, size));
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_ptr_nonnull(strstr(vmem_errormsg(), "cannot reserve"));
	ck_assert_int_eq(tu_dir_entries(dir), 0);
}
END_TEST

/* a pool too small to leave any chunk unreserved is simply all reserved */
START_TEST(test_lazy_small_pool)
{
	VMEM *vmp = pool_create_lazy(dir, VMEM_MIN_POOL);
	ck_assert_ptr_nonnull(vmp);
	void *p = vmem_malloc(vmp, 8 * TU_MIB);
	ck_assert_ptr_nonnull(p);
	memset(p, 1, 8 * TU_MIB);
	ck_assert_int_eq(vmem_check(vmp), 1);
	vmem_free(vmp, p);
	vmem_delete(vmp);
}
END_TEST

static long
minor_faults(void)
{
	struct rusage ru;
	ck_assert_int_eq(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_minflt;
}

/* true if this kernel has MADV_POPULATE_WRITE (Linux 5.14) */
static bool
have_populate(void)
{
	char *probe = mmap(NULL, VM_PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(probe, MAP_FAILED);
	bool ok = madvise(probe, VM_PAGE, MADV_POPULATE_WRITE) == 0;
	munmap(probe, VM_PAGE);
	return ok;
}

/*
 * A new directory in /dev/shm, in shm (shm_size bytes), if /dev/shm is
 * tmpfs; else false, after saying that what is not tested.
 */
static bool
tmpfs_dir(char *shm, size_t shm_size, const char *what)
{
	struct statfs fs;
	ck_assert_int_eq(statfs("/dev/shm", &fs), 0);
	if (fs.f_type != TMPFS_MAGIC) {
		printf("lazy: /dev/shm is not tmpfs: %s not tested\n", what);
		return false;
	}
	tu_mkdtemp(shm, shm_size, "/dev/shm");
	return true;
}

/* on tmpfs, the pages of a chunk are mapped when it is reserved: writing
 * a new 8 MiB object takes (almost) no page faults; elsewhere, one each */
START_TEST(test_lazy_prefault)
{
	struct statfs fs;
	char shm[4096];
	if (!tmpfs_dir(shm, sizeof(shm), "prefault"))
		return;
	VMEM *vmp = pool_create_lazy(shm, 64 * TU_MIB);
	ck_assert_ptr_nonnull(vmp);
	tu_rmdir(shm);
	ck_assert(vmp->backing.in_memory);
	char *p = vmem_malloc(vmp, 8 * TU_MIB);
	ck_assert_ptr_nonnull(p);
	long before = minor_faults();
	memset(p, 0x11, 8 * TU_MIB);
	long faults = minor_faults() - before;
	printf("lazy: writing 8 MiB of a new object on tmpfs: %ld faults\n",
			faults);
	/* pages of the first chunk after the metadata were reserved with
	 * it, at creation, and fault as usual; the later chunks do not. A
	 * sanitizer's shadow memory faults as well (ASan: an eighth as many
	 * pages, TSan: several times as many), so sanitized builds only
	 * print the count; release and debug builds check it */
	uint32_t first, end;
	purge_lazy_chunks(vmp->region.data_first, vmp->region.npages, &first,
			&end);
	long head = (long)(first << REGION_CHUNK_SHIFT) -
			(long)vmp->region.data_first;
	long pages = (long)(8 * TU_MIB / VM_PAGE);
	ck_assert_int_lt(head + 64, pages / 2);
	if (have_populate() && !TU_SANITIZED)
		ck_assert_int_lt(faults, head + 64);
	vmem_delete(vmp);
	/* the test directory (TMPDIR): prefaulted only if it is tmpfs too */
	ck_assert_int_eq(statfs(dir, &fs), 0);
	vmp = pool_create_lazy(dir, 64 * TU_MIB);
	ck_assert_ptr_nonnull(vmp);
	ck_assert_int_eq(vmp->backing.in_memory, fs.f_type == TMPFS_MAGIC);
	vmem_delete(vmp);
}
END_TEST

/*
 * A vmem_create pool on tmpfs: 1 MiB of new small objects is written with
 * (almost) no page faults, their chunk having been mapped whole when its
 * first slab was made; an 8 MiB object (longer than MAP_AHEAD_MAX_PAGES)
 * is not mapped ahead, so touching each page faults. Lazy pools and pools
 * on other file systems never map ahead.
 */
START_TEST(test_eager_maps_ahead)
{
	struct statfs fs;
	char shm[4096];
	if (!tmpfs_dir(shm, sizeof(shm), "map-ahead"))
		return;
	VMEM *vmp = vmem_create(shm, 64 * TU_MIB);
	ck_assert_ptr_nonnull(vmp);
	ck_assert_uint_ne(vmp->extents.map_ahead_end, UINT32_MAX);

	enum { NOBJ = 256, OBJ = 4000 };
	char *objs[NOBJ];
	for (int i = 0; i < NOBJ; i++) {
		objs[i] = vmem_malloc(vmp, OBJ);
		ck_assert_ptr_nonnull(objs[i]);
	}
	long before = minor_faults();
	for (int i = 0; i < NOBJ; i++)
		memset(objs[i], i, OBJ);
	long small_faults = minor_faults() - before;
	ck_assert_uint_gt(vmp->extents.nmapped_ahead, 0);

	char *big = vmem_malloc(vmp, 8 * TU_MIB);
	ck_assert_ptr_nonnull(big);
	uint64_t mapped = vmp->extents.nmapped_ahead;
	before = minor_faults();
	for (size_t off = 0; off < 8 * TU_MIB; off += VM_PAGE)
		big[off] = 1;
	long big_faults = minor_faults() - before;
	ck_assert_uint_eq(vmp->extents.nmapped_ahead, mapped);
	printf("lazy: map-ahead on tmpfs: 1 MiB of small objects %ld faults, "
			"8 MiB object %ld faults\n", small_faults, big_faults);
	/* sanitizers' shadow memory faults too: they only print */
	if (have_populate() && !TU_SANITIZED) {
		ck_assert_int_lt(small_faults, 32);
		ck_assert_int_gt(big_faults, (long)(8 * TU_MIB / VM_PAGE / 2));
	}
	for (int i = 0; i < NOBJ; i++)
		ck_assert_int_eq((unsigned char)objs[i][OBJ - 1], i % 256);
	ck_assert_int_eq(vmem_check(vmp), 1);
	vmem_delete(vmp);

	/* libvmmalloc's lazy pool maps each chunk as it reserves it */
	vmp = pool_create_lazy(shm, 64 * TU_MIB);
	ck_assert_ptr_nonnull(vmp);
	ck_assert_uint_eq(vmp->extents.map_ahead_end, UINT32_MAX);
	vmem_delete(vmp);
	tu_rmdir(shm);
	/* the test directory (TMPDIR): only if it is tmpfs too */
	ck_assert_int_eq(statfs(dir, &fs), 0);
	vmp = vmem_create(dir, 64 * TU_MIB);
	ck_assert_ptr_nonnull(vmp);
	ck_assert_int_eq(vmp->extents.map_ahead_end != UINT32_MAX,
			fs.f_type == TMPFS_MAGIC);
	vmem_delete(vmp);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("lazy");
	TCase *tc = tu_tcase(s, "lazy", 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_eager_reserves_all);
	tcase_add_test(tc, test_lazy_reserves_as_used);
	tcase_add_test(tc, test_lazy_needs_room);
	tcase_add_test(tc, test_lazy_small_pool);
	tcase_add_test(tc, test_eager_maps_ahead);
	tcase_add_test(tc, test_lazy_prefault);
	return tu_run(s);
}
