/*
 * lazy.c -- pool files reserved as they are used (pool_create_lazy, what
 * libvmmalloc makes its heap with) against vmem_create's reservation of
 * the whole file at once: the blocks the file holds, the room checked at
 * creation, that a lazy pool still fills up and checks clean, and that on
 * tmpfs a reserved chunk comes mapped (no fault per page); vmem_create's
 * pools on tmpfs map a chunk when it first comes in use (map-ahead);
 * freed chunks kept committed for reuse up to the pool's budget, the
 * oldest given back beyond it.
 */
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
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

/* bytes of the chunks of vmp kept for reuse */
static uint64_t
kept_bytes(const VMEM *vmp)
{
	return vmp->extents.kept_chunks * REGION_CHUNK_PAGES * VM_PAGE;
}

/*
 * Objects of size bytes until vmp is full or there are max (all written
 * when touch: the file must then hold their blocks), checked, freed,
 * checked again; returns how many there were.
 */
static size_t
fill_and_empty(VMEM *vmp, size_t size, size_t max, bool touch)
{
	static void *objs[256];
	size_t n = 0;
	ck_assert_uint_le(max, 256);
	while (n < max && (objs[n] = vmem_malloc(vmp, size)) != NULL)
		if (touch)
			memset(objs[n++], 0x7e, size);
		else
			n++;
	if (touch)
		ck_assert_uint_ge(file_bytes(vmp), n * size);
	ck_assert_int_eq(vmem_check(vmp), 1);
	for (size_t i = n; i > 0; i--)
		vmem_free(vmp, objs[i - 1]);
	ck_assert_int_eq(vmem_check(vmp), 1);
	return n;
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
	/* the header, the page map's root, the first chunk's data pages
	 * after the metadata, the leaves and run records of two chunks (the
	 * first and last data page's): not the whole metadata */
	uint64_t start = file_bytes(vmp);
	const region_t *rg = &vmp->region;
	uint64_t meta = (uint64_t)rg->data_first * VM_PAGE;
	uint64_t head = VM_ALIGN_UP(meta, 2 * TU_MIB) - meta;
	ck_assert_uint_ge(start, head + 2 * 36 * 1024);
	ck_assert_uint_lt(start, meta);
	ck_assert_uint_eq(vmp->extents.meta_later_chunks,
			size / (2 * TU_MIB) - VM_ALIGN_UP(meta, 2 * TU_MIB) /
			(2 * TU_MIB) - 1);
	ck_assert_uint_gt(vmp->extents.purged_chunks, 100);
	ck_assert_int_eq(vmem_check(vmp), 1);

	/* a 64 MiB object reserves its chunks; freeing it gives them back */
	char *big = vmem_malloc(vmp, 64 * TU_MIB);
	ck_assert_ptr_nonnull(big);
	ck_assert_uint_ge(file_bytes(vmp), start + 64 * TU_MIB);
	memset(big, 0x3c, 64 * TU_MIB);
	ck_assert_int_eq(vmem_check(vmp), 1);
	vmem_free(vmp, big);
	/* all but the chunks kept for reuse (1/16 of the pool: 8) */
	const extents_t *ex = &vmp->extents;
	uint64_t kept = kept_bytes(vmp);
	ck_assert_uint_eq(ex->keep_cap, size / KEEP_SHARE / (2 * TU_MIB));
	ck_assert_uint_eq(ex->kept_chunks, ex->keep_cap);
	ck_assert_uint_lt(file_bytes(vmp), start + 4 * TU_MIB + kept);

	/* small objects reserve only the chunks their slabs are in */
	void *p[1000];
	for (int i = 0; i < 1000; i++) {
		p[i] = vmem_malloc(vmp, 100);
		ck_assert_ptr_nonnull(p[i]);
		memset(p[i], i, 100);
	}
	ck_assert_uint_lt(file_bytes(vmp), start + 8 * TU_MIB + kept);
	for (int i = 0; i < 1000; i++)
		vmem_free(vmp, p[i]);

	/* the whole pool is usable: 1 MiB objects until it is full */
	size_t n = fill_and_empty(vmp, TU_MIB, 256, true);
	ck_assert_uint_ge(n * TU_MIB, size / 10 * 9);
	vmem_delete(vmp);
}
END_TEST

/*
 * A big lazy pool reserves its metadata as it is used: a 4 GiB pool
 * (74 MiB of run records and page map) starts with a few MiB of its file
 * reserved; a large object reserves the leaves and run records of the
 * chunks it starts and ends in, and so does a resize in place that moves
 * its end; all of it checks clean.
 */
START_TEST(test_lazy_metadata_as_used)
{
	const size_t size = (size_t)4 << 30;
	struct statvfs sv;
	ck_assert_int_eq(statvfs(dir, &sv), 0);
	if ((uint64_t)sv.f_bavail * sv.f_frsize < size + size / 2) {
		printf("lazy: less than 6 GiB free in %s: the metadata of a "
				"4 GiB pool not tested\n", dir);
		return;
	}
	VMEM *vmp = pool_create_lazy(dir, size);
	ck_assert_ptr_nonnull(vmp);
	const region_t *rg = &vmp->region;
	const extents_t *ex = &vmp->extents;
	uint64_t meta = (uint64_t)rg->data_first * VM_PAGE;
	uint64_t start = file_bytes(vmp);
	printf("lazy: a 4 GiB pool with %llu KiB of metadata starts with %llu "
			"KiB of its file reserved\n",
			(unsigned long long)meta / 1024,
			(unsigned long long)start / 1024);
	ck_assert_uint_gt(meta, 64 * TU_MIB);
	ck_assert_uint_lt(start, 8 * TU_MIB);
	uint64_t later = ex->meta_later_chunks;
	ck_assert_uint_gt(later, 2000);
	ck_assert_int_eq(vmem_check(vmp), 1);

	/* starts where the metadata ends (chunk reserved), ends in a new
	 * chunk and leaves a free run starting in that chunk: one more */
	char *big = vmem_malloc(vmp, 64 * TU_MIB);
	ck_assert_ptr_nonnull(big);
	ck_assert_uint_eq(ex->meta_later_chunks, later - 1);
	ck_assert_uint_ge(file_bytes(vmp), start + 64 * TU_MIB);
	memset(big, 0x5a, 64 * TU_MIB);
	ck_assert_int_eq(vmem_check(vmp), 1);
	/* shrunk in place: its new end and the freed part's start are in a
	 * chunk no record was written in yet */
	ck_assert_ptr_eq(vmem_realloc(vmp, big, 21 * TU_MIB), big);
	ck_assert_uint_eq(ex->meta_later_chunks, later - 2);
	ck_assert_int_eq(vmem_check(vmp), 1);
	/* grown in place again, ending in yet another chunk */
	ck_assert_ptr_eq(vmem_realloc(vmp, big, 41 * TU_MIB), big);
	ck_assert_uint_eq(ex->meta_later_chunks, later - 3);
	ck_assert_uint_eq(big[21 * TU_MIB - 1], 0x5a);
	memset(big, 0x6b, 41 * TU_MIB);
	ck_assert_int_eq(vmem_check(vmp), 1);
	/* freed: nothing new is written */
	vmem_free(vmp, big);
	ck_assert_uint_eq(ex->meta_later_chunks, later - 3);
	ck_assert_int_eq(vmem_check(vmp), 1);
	/* an object at the very end of the pool: the last chunk's metadata
	 * was reserved at creation */
	ck_assert_uint_eq(fill_and_empty(vmp, 100 * TU_MIB, 40, false), 40);
	vmem_delete(vmp);
}
END_TEST

/* fills the file system of dir: a file of all the room left */
static int
fill_up(const char *in)
{
	char path[4300];
	snprintf(path, sizeof(path), "%.4096s/filler", in);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	off_t off = 0;
	for (off_t step = (off_t)TU_MIB; step >= (off_t)VM_PAGE; step /= 16)
		while (posix_fallocate(fd, off, step) == 0)
			off += step;
	return fd;
}

/*
 * On a full file system the metadata of a lazy pool's chunk cannot be
 * reserved: the call that needs it fails cleanly (NULL, ENOMEM), the
 * object it was for stays as it was, and once there is room again the
 * same call succeeds. Needs a small tmpfs of its own, mounted in a mount
 * namespace of the test's process (root, or a user namespace).
 */
START_TEST(test_lazy_metadata_no_room)
{
	char small[4200];
	tu_mkdtemp(small, sizeof(small), "/dev/shm");
	if (unshare(CLONE_NEWNS) != 0 ||
			mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
			mount("tmpfs", small, "tmpfs", 0, "size=80m") != 0) {
		printf("lazy: cannot mount a small tmpfs here (%s): a full file "
				"system under a lazy pool's metadata not tested\n",
				strerror(errno));
		tu_rmdir(small);
		return;
	}
	VMEM *vmp = pool_create_lazy(small, 64 * TU_MIB);
	ck_assert_ptr_nonnull(vmp);
	const extents_t *ex = &vmp->extents;
	char *big = vmem_malloc(vmp, 24 * TU_MIB);
	ck_assert_ptr_nonnull(big);
	memset(big, 0x42, 24 * TU_MIB);
	uint64_t later = ex->meta_later_chunks;
	int filler = fill_up(small);

	/* shrinking ends the object in a chunk with no records yet */
	errno = 0;
	ck_assert_ptr_null(vmem_realloc(vmp, big, 5 * TU_MIB));
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_uint_eq(ex->meta_later_chunks, later);
	ck_assert_uint_eq(vmem_malloc_usable_size(vmp, big), 24 * TU_MIB);
	ck_assert_uint_eq(big[24 * TU_MIB - 1], 0x42);
	ck_assert_ptr_null(vmem_malloc(vmp, 8 * TU_MIB));
	ck_assert_int_eq(vmem_check(vmp), 1);

	/* room again: the same calls succeed */
	ck_assert_int_eq(ftruncate(filler, 0), 0);
	ck_assert_ptr_eq(vmem_realloc(vmp, big, 5 * TU_MIB), big);
	ck_assert_uint_lt(ex->meta_later_chunks, later);
	void *p = vmem_malloc(vmp, 8 * TU_MIB);
	ck_assert_ptr_nonnull(p);
	memset(p, 1, 8 * TU_MIB);
	ck_assert_int_eq(vmem_check(vmp), 1);
	vmem_free(vmp, p);
	vmem_free(vmp, big);
	vmem_delete(vmp);
	close(filler);
	ck_assert_int_eq(umount(small), 0);
	tu_rmdir(small);
}
END_TEST

/* a lazy pool still fails at creation where the room is not there now */
/*
 * Freed chunks stay committed up to the budget (the larger of 1/16 of the
 * pool and twice the large objects in use): a second object placed there
 * takes them without reserving anything, and freeing more than the
 * budget gives the oldest back.
 */
START_TEST(test_keep_budget)
{
	const size_t size = 256 * TU_MIB;
	VMEM *vmp = vmem_create(dir, size);
	ck_assert_ptr_nonnull(vmp);
	const extents_t *ex = &vmp->extents;
	uint32_t cap = ex->keep_cap;
	ck_assert_uint_eq(cap, 8);
	/* 12 MiB: 5 or more whole chunks, below the budget, all kept */
	char *a = vmem_malloc(vmp, 12 * TU_MIB);
	ck_assert_ptr_nonnull(a);
	memset(a, 1, 12 * TU_MIB);
	uint64_t purged = ex->purged_chunks;
	vmem_free(vmp, a);
	ck_assert_uint_ge(ex->kept_chunks, 5);
	ck_assert_uint_le(ex->kept_chunks, cap);
	ck_assert_uint_eq(ex->purged_chunks, purged);
	ck_assert_int_eq(vmem_check(vmp), 1);
	/* the same size again lands there: nothing kept any more, nothing
	 * was given back or reserved */
	char *b = vmem_malloc(vmp, 12 * TU_MIB);
	ck_assert_ptr_eq(b, a);
	ck_assert_uint_eq(ex->kept_chunks, 0);
	ck_assert_uint_eq(ex->purged_chunks, purged);
	ck_assert_int_eq(vmem_check(vmp), 1);
	/* 64 MiB freed while b (6 chunks) lives: 12 chunks kept, twice b,
	 * the rest given back at once */
	char *c = vmem_malloc(vmp, 64 * TU_MIB);
	ck_assert_ptr_nonnull(c);
	memset(c, 2, 64 * TU_MIB);
	vmem_free(vmp, c);
	ck_assert_uint_eq(purge_keep_budget(ex), 12);
	ck_assert_uint_eq(ex->kept_chunks, 12);
	ck_assert_uint_ge(ex->purged_chunks, purged + 32 - 12 - 1);
	ck_assert_int_eq(vmem_check(vmp), 1);
	/* many frees and mallocs of 2-12 MiB: never above the budget, and
	 * the pool stays consistent (the ring drops chunks used since) */
	unsigned seed = 7;
	char *live[8] = { 0 };
	uint64_t peak = 0;	/* chunks of large objects in use, at most */
	for (int i = 0; i < 400; i++) {
		int k = rand_r(&seed) % 8;
		vmem_free(vmp, live[k]);
		size_t sz = (2 + (size_t)(rand_r(&seed) % 11)) * TU_MIB;
		live[k] = vmem_malloc(vmp, sz);
		ck_assert_ptr_nonnull(live[k]);
		live[k][0] = live[k][sz - 1] = 3;
		uint64_t now = ex->large_pages >> REGION_CHUNK_SHIFT;
		peak = now > peak ? now : peak;
		ck_assert_uint_le(ex->kept_chunks, 2 * peak > cap ?
				2 * peak : cap);
		ck_assert_uint_le(ex->kept_chunks, KEEP_MAX_CHUNKS);
		ck_assert_uint_le(ex->keep_len, KEEP_MAX_CHUNKS);
		if (i % 50 == 0)
			ck_assert_int_eq(vmem_check(vmp), 1);
	}
	for (int k = 0; k < 8; k++)
		vmem_free(vmp, live[k]);
	vmem_free(vmp, b);
	ck_assert_uint_le(ex->kept_chunks, 2 * peak > cap ? 2 * peak : cap);
	ck_assert_int_eq(vmem_check(vmp), 1);
	vmem_delete(vmp);
}
END_TEST

/* a pool of less than 32 MiB keeps nothing: every freed chunk goes back */
START_TEST(test_keep_none_in_small_pool)
{
	VMEM *vmp = vmem_create(dir, 24 * TU_MIB);
	ck_assert_ptr_nonnull(vmp);
	ck_assert_uint_eq(vmp->extents.keep_cap, 0);
	char *a = vmem_malloc(vmp, 8 * TU_MIB);
	ck_assert_ptr_nonnull(a);
	memset(a, 1, 8 * TU_MIB);
	vmem_free(vmp, a);
	ck_assert_uint_eq(vmp->extents.kept_chunks, 0);
	ck_assert_uint_ge(vmp->extents.purged_chunks, 3);
	ck_assert_uint_eq(kept_bytes(vmp), 0);
	ck_assert_int_eq(vmem_check(vmp), 1);
	vmem_delete(vmp);
}
END_TEST

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

/* bytes of this process's resident memory */
static uint64_t
resident_bytes(void)
{
	unsigned long size, resident;
	FILE *f = fopen("/proc/self/statm", "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%lu %lu", &size, &resident), 2);
	fclose(f);
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/*
 * On tmpfs, a run of at most 2 MiB that reserves a chunk has its pages
 * there mapped in the same step: writing a new 1 MiB object takes
 * (almost) no page faults. A longer run is not mapped (a program may use
 * a fraction of a big buffer, and resident memory counts every page
 * mapped): an 8 MiB object of which one byte is written adds a page or
 * two to the resident memory, and writing all of it faults page by page.
 */
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
	/* at a chunk boundary: the first of a chunk not reserved yet */
	char *p = vmem_aligned_alloc(vmp, 2 * TU_MIB, TU_MIB);
	ck_assert_ptr_nonnull(p);
	long before = minor_faults();
	memset(p, 0x11, TU_MIB);
	long faults = minor_faults() - before;
	/* a sanitizer's shadow memory faults as well (ASan: an eighth as
	 * many pages, TSan: several times as many), so sanitized builds
	 * only print the count; release and debug builds check it */
	printf("lazy: writing 1 MiB of a new object on tmpfs: %ld faults\n",
			faults);
	if (have_populate() && !TU_SANITIZED)
		ck_assert_int_lt(faults, 32);

	char *big = vmem_malloc(vmp, 8 * TU_MIB);
	ck_assert_ptr_nonnull(big);
	uint64_t rss = resident_bytes();
	big[4 * TU_MIB] = 1;
	uint64_t grown = resident_bytes() - rss;
	before = minor_faults();
	memset(big, 0x22, 8 * TU_MIB);
	faults = minor_faults() - before;
	printf("lazy: a new 8 MiB object on tmpfs: one byte written adds "
			"%llu KiB resident, all of it %ld faults\n",
			(unsigned long long)grown / 1024, faults);
	ck_assert_uint_lt(grown, 256 * 1024);
	if (!TU_SANITIZED)
		ck_assert_int_gt(faults, 1024);
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
	tcase_add_test(tc, test_lazy_metadata_as_used);
	tcase_add_test(tc, test_lazy_metadata_no_room);
	tcase_add_test(tc, test_lazy_needs_room);
	tcase_add_test(tc, test_keep_budget);
	tcase_add_test(tc, test_keep_none_in_small_pool);
	tcase_add_test(tc, test_lazy_small_pool);
	tcase_add_test(tc, test_eager_maps_ahead);
	tcase_add_test(tc, test_lazy_prefault);
	return tu_run(s);
}
