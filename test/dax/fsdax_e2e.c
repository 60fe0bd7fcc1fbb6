/*
 * fsdax_e2e.c -- libvmem in a directory of a DAX file system, end to end.
 * Run by run-vm.sh inside a QEMU guest whose emulated NVDIMM is an fsdax
 * namespace (/dev/pmem0) with ext4 or xfs on it, mounted with -o dax;
 * needs nothing but the directory and the static libvmem it is linked
 * with.
 *
 * Checks, one line each ("PASS name" or "FAIL name: expected ..., got ..."):
 *  - fs: a file made in the directory is DAX (statx STATX_ATTR_DAX);
 *  - size S, for S of 16 MiB, 64 MiB, 256 MiB and most of the file system
 *    (its free space less 1/16, and at least 16 MiB less): vmem_create(dir,
 *    S) makes one unnamed pool file (found through /proc/self/fd) that is
 *    DAX, S bytes long and reserved in full (st_blocks), which the file
 *    system's free space loses; one MAP_SHARED mapping of it, S long, at
 *    a 2 MiB boundary; an object of 85% of S in it written and read back
 *    whole; in the largest pool, objects of 16 B .. 64 MiB (objects.h);
 *    vmem_check = 1; vmem_delete closes and unmaps the file and gives the
 *    space back (xfs does so in the background: waited for, up to 10 s);
 *    right after the largest is deleted, a pool as large again can be
 *    made;
 *  - punch: in a 256 MiB pool, st_blocks of the pool file stays whole
 *    while 12 objects of 16 MiB are in use, drops when they are freed (as
 *    many 2 MiB chunks as vmem_stats_print says were given back), grows
 *    again when they are allocated again (and their contents are kept),
 *    and drops again when 48 objects of 3 MiB are freed;
 *  - full: vmem_create with more than the free space fails with ENOSPC,
 *    leaving no file and taking no space; with the file system filled by
 *    another file to 32 MiB of free space, a 64 MiB pool fails with ENOSPC
 *    and a 16 MiB one works; in a child process, a pool whose freed chunks
 *    were given back, once the file system is full, fails a 16 MiB
 *    allocation with ENOMEM (the chunks cannot be reserved again) and
 *    still passes vmem_check, and after room is made allocates it and
 *    writes it whole: the child exits 0, never killed by SIGBUS;
 *  - threads: 4 threads allocate, write, check and free objects of
 *    16 B .. 6 MiB in one 160 MiB pool, handing some to each other to
 *    free; every object keeps its contents, vmem_check = 1.
 * Lines starting "info:" give the figures (sizes, st_blocks, free space).
 *
 * usage: fsdax_e2e DIR      exit 0 if all passed
 */
#include <libvmem.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "fsdax.h"
#include "objects.h"

static char dir[PATH_MAX];	/* the directory under test, realpath */

/* "12.5 MiB" (one of 16 static buffers: a line uses up to 12) */
static const char *
mib(unsigned long long n)
{
	static char bufs[16][32];
	static unsigned next;
	char *b = bufs[next++ % 16];
	snprintf(b, 32, "%.1f MiB", (double)n / MIB);
	return b;
}

/* the minor page faults of this process so far */
static long
minor_faults(void)
{
	struct rusage ru;
	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt : 0;
}

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* what vmem_create left: "errno ENOSPC (message)" */
static const char *
failure(int e)
{
	static char buf[600];
	const char *msg = vmem_errormsg();
	snprintf(buf, sizeof(buf), "errno %s (\"%s\")", errname(e),
			msg != NULL ? msg : "");
	return buf;
}

/* ---- vmem_stats_print ---------------------------------------------------- */

static char stats_text[8192];
static size_t stats_len;

static void
stats_sink(const char *s)
{
	size_t n = strlen(s);
	if (n > sizeof(stats_text) - 1 - stats_len)
		n = sizeof(stats_text) - 1 - stats_len;
	memcpy(stats_text + stats_len, s, n);
	stats_len += n;
	stats_text[stats_len] = '\0';
}

/* the 2 MiB chunks the pool has given back to the file system now, or -1 */
static long
chunks_given_back(VMEM *vmp)
{
	stats_len = 0;
	stats_text[0] = '\0';
	vmem_set_funcs(NULL, NULL, NULL, NULL, stats_sink);
	vmem_stats_print(vmp, "gmbl");
	vmem_set_funcs(NULL, NULL, NULL, NULL, NULL);
	const char *key = "given back to the system: ";
	const char *at = strstr(stats_text, key);
	long n;
	if (at == NULL || sscanf(at + strlen(key), "%ld chunks", &n) != 1)
		return -1;
	return n;
}

/* ---- touching large objects --------------------------------------------- */

/* one word in every 4 KiB page of [p, p + n), and the last word */
static void
touch(unsigned char *p, size_t n, uint64_t seed)
{
	for (size_t off = 0; off + 8 <= n; off += 4096)
		*(uint64_t *)(void *)(p + off) = seed ^ off;
	if (n >= 8)
		memcpy(p + n - 8, &seed, 8);
}

/* the offset of the first word touch() wrote that differs, or n */
static size_t
touched(const unsigned char *p, size_t n, uint64_t seed)
{
	for (size_t off = 0; off + 8 <= n; off += 4096)
		if (*(const uint64_t *)(const void *)(p + off) != (seed ^ off))
			return off;
	if (n >= 8 && memcmp(p + n - 8, &seed, 8) != 0)
		return n - 8;
	return n;
}

/* ---- a pool and its file ------------------------------------------------ */

struct pool {
	VMEM *vmp;
	size_t size;
	struct poolfile pf;	/* its descriptor and name */
	struct devmap m;	/* its mapping */
	bool have_file, have_map;
};

/*
 * vmem_create(dir, size), and the pool's file and mapping found: checks
 * named "PREFIX: ...". Returns false if there is no pool (the failure
 * reported); a pool whose file or mapping was not found is returned with
 * have_file or have_map false (also reported).
 */
static bool
pool_open(struct pool *p, size_t size, const char *prefix)
{
	char name[200];
	memset(p, 0, sizeof(*p));
	p->size = size;
	struct poolfile before[PF_MAX], after[PF_MAX];
	int nb = poolfile_list(dir, before, PF_MAX);
	errno = 0;
	p->vmp = vmem_create(dir, size);
	int e = errno;
	snprintf(name, sizeof(name), "%s: vmem_create(dir, %s)", prefix,
			human(size));
	if (!check(p->vmp != NULL, name, "expected a pool, got NULL, %s",
			failure(e)))
		return false;
	int na = poolfile_list(dir, after, PF_MAX);
	int fresh = 0;
	for (int i = 0; i < na && i < PF_MAX; i++) {
		bool old = false;
		for (int j = 0; j < nb && j < PF_MAX; j++)
			old |= before[j].fd == after[i].fd &&
				strcmp(before[j].path, after[i].path) == 0;
		if (!old && fresh++ == 0)
			p->pf = after[i];
	}
	snprintf(name, sizeof(name), "%s: one new unnamed file in dir",
			prefix);
	p->have_file = check(fresh == 1 && strstr(p->pf.path, " (deleted)"),
			name, "expected one new descriptor of a deleted file in "
			"/proc/self/fd, got %d (the first: %s)", fresh,
			fresh ? p->pf.path : "none");
	if (p->have_file) {
		struct devmap maps[DM_MAX];
		int n = devmap_find(p->pf.path, maps, DM_MAX);
		snprintf(name, sizeof(name), "%s: one shared mapping of %s at a "
				"2 MiB boundary", prefix, human(size));
		p->have_map = n == 1;
		if (p->have_map)
			p->m = maps[0];
		check(n == 1 && p->m.end - p->m.start == size &&
				p->m.start % (2 * MIB) == 0 &&
				p->m.perms[3] == 's', name, "expected one "
				"mapping of %s, got %d, the first %#" PRIxPTR
				"-%#" PRIxPTR " (%zu bytes) %s", p->pf.path, n,
				n ? maps[0].start : 0, n ? maps[0].end : 0,
				n ? (size_t)(maps[0].end - maps[0].start) : 0,
				n ? maps[0].perms : "");
	}
	return true;
}

/* the bytes of blocks of the pool's file, 0 if unknown */
static unsigned long long
pool_bytes(const struct pool *p)
{
	struct fileinfo fi;
	if (!p->have_file || file_info(p->pf.fd, &fi) != 0)
		return 0;
	return fi.bytes;
}

/*
 * vmem_delete, and the file and mapping gone, the space back (checks
 * "PREFIX: ..."). again: first, at once, a pool as large again (the space
 * of the one deleted is usable at once), deleted too.
 */
static void
pool_close_again(struct pool *p, const char *prefix,
		unsigned long long free0, bool again)
{
	vmem_delete(p->vmp);
	p->vmp = NULL;
	struct poolfile left[PF_MAX];
	int n = poolfile_list(dir, left, PF_MAX);
	bool still = false;
	for (int i = 0; i < n && i < PF_MAX; i++)
		still |= p->have_file && strcmp(left[i].path, p->pf.path) == 0;
	struct devmap maps[DM_MAX];
	int nmaps = p->have_file ? devmap_find(p->pf.path, maps, DM_MAX) : 0;
	if (again) {
		char name[200];
		snprintf(name, sizeof(name), "%s: vmem_create(dir, %s) again at "
				"once after vmem_delete", prefix,
				human(p->size));
		errno = 0;
		VMEM *vmp = vmem_create(dir, p->size);
		int e = errno;
		check(vmp != NULL, name, "expected a pool, got NULL, %s (%s "
				"free now)", failure(e), mib(fs_free(dir)));
		if (vmp != NULL) {
			unsigned char *o = vmem_malloc(vmp, 4 * MIB);
			if (o != NULL)
				touch(o, 4 * MIB, 3);
			vmem_delete(vmp);
		}
	}
	if (!p->have_file)
		return;
	double waited;
	unsigned long long free1 = fs_free_reaches(dir,
			free0 > MIB ? free0 - MIB : 0, &waited);
	if (waited > 0.2)
		dm_line("info: %s: the space came back %.1f s after vmem_delete",
				prefix, waited);
	char name[200];
	snprintf(name, sizeof(name), "%s: vmem_delete closes and unmaps the "
			"file, the space comes back", prefix);
	check(!still && nmaps == 0 && free1 + MIB >= free0, name,
			"expected no descriptor, no mapping of %s and %s free "
			"again, got descriptor %s, %d mappings, %s free",
			p->pf.path, mib(free0), still ? "open" : "closed", nmaps,
			mib(free1));
}

static void
pool_close(struct pool *p, const char *prefix, unsigned long long free0)
{
	pool_close_again(p, prefix, free0, false);
}

/* ---- fs ----------------------------------------------------------------- */

static void
check_fs(void)
{
	dm_line("info: %s: %s, %s, %s free (%s for other users than root)",
			dir, fs_name(dir), mib(fs_size(dir)), mib(fs_free(dir)),
			mib(fs_avail(dir)));
	int fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	struct fileinfo fi = { 0 };
	bool ok = fd >= 0 && file_info(fd, &fi) == 0;
	check(ok && fi.dax, "fs: a file made in the directory is DAX (statx)",
			"expected STATX_ATTR_DAX, got %s", !ok ? strerror(errno) :
			!fi.dax_known ? "no DAX attribute reported" : "not DAX");
	if (fd >= 0)
		close(fd);
}

/* ---- sizes -------------------------------------------------------------- */

static void
check_size(size_t size, bool objects)
{
	char prefix[64], name[200];
	snprintf(prefix, sizeof(prefix), "size %s", human(size));
	unsigned long long free0 = fs_free(dir);
	struct pool p;
	if (!pool_open(&p, size, prefix))
		return;
	unsigned long long free1 = fs_free(dir);
	if (p.have_file) {
		struct fileinfo fi = { 0 };
		bool ok = file_info(p.pf.fd, &fi) == 0;
		dm_line("info: %s: pool file %s: size %s, blocks %s; the file "
				"system's free space %s -> %s", prefix,
				p.pf.path, mib(fi.size), mib(fi.bytes),
				mib(free0), mib(free1));
		snprintf(name, sizeof(name), "%s: the pool file is DAX, %s, "
				"reserved in full", prefix, human(size));
		check(ok && fi.dax && fi.size == size && fi.bytes >= size,
				name, "expected DAX, size %zu, at least %zu "
				"bytes of blocks, got %s, size %llu, %llu bytes",
				size, size, !ok ? strerror(errno) : fi.dax ?
				"DAX" : "not DAX", fi.size, fi.bytes);
		snprintf(name, sizeof(name), "%s: the file system has %s less "
				"free", prefix, human(size));
		check(free1 + size <= free0, name, "expected at most %s free, "
				"got %s (before: %s)", mib(free0 - size),
				mib(free1), mib(free0));
	}

	/* an object of 85% of the pool, written and read back whole */
	size_t n = size / 100 * 85 / 4096 * 4096;
	snprintf(name, sizeof(name), "%s: an object of 85%% (%s) written and "
			"read back in the mapping", prefix, human(n));
	errno = 0;
	unsigned char *o = vmem_malloc(p.vmp, n);
	int e = errno;
	if (o == NULL) {
		check(false, name, "vmem_malloc(%zu) = NULL, errno %s", n,
				errname(e));
	} else {
		long f0 = minor_faults();
		double t0 = now();
		fill(o, n, size);
		double t1 = now();
		long f1 = minor_faults();
		size_t at = verify(o, n, size);
		double t2 = now();
		/* a fault per 2 MiB where the file system placed the file
		 * on 2 MiB boundaries of the device, else per 4 KiB */
		dm_line("info: %s: wrote %s in %.2f s (%ld page faults, %s "
				"a fault), read it in %.2f s", prefix, human(n),
				t1 - t0, f1 - f0, f1 > f0 ?
				human((n / (size_t)(f1 - f0) + 2047) / 4096 * 4096)
				: "-", t2 - t1);
		check((!p.have_map || inside(&p.m, o, n)) && at == n, name,
				"object %p (mapping %#" PRIxPTR "-%#" PRIxPTR "): "
				"byte %zu of %zu differs", (void *)o, p.m.start,
				p.m.end, at, n);
		vmem_free(p.vmp, o);
	}
	if (objects && p.have_map)
		check_objects(p.vmp, &p.m);
	int c = vmem_check(p.vmp);
	snprintf(name, sizeof(name), "%s: vmem_check = 1", prefix);
	check(c == 1, name, "expected 1, got %d (%s)", c, vmem_errormsg());
	pool_close_again(&p, prefix, free0, objects);
}

static void
check_sizes(void)
{
	unsigned long long free = fs_free(dir);
	unsigned long long spare = free / 16 > 16 * MIB ? free / 16 : 16 * MIB;
	size_t most = (size_t)((free - spare) / (2 * MIB) * (2 * MIB));
	static const size_t fixed[] = { 16 * MIB, 64 * MIB, 256 * MIB };
	for (size_t i = 0; i < 3; i++)
		if (fixed[i] < most)
			check_size(fixed[i], false);
	dm_line("info: most of the file system: %s of %s free", human(most),
			mib(free));
	check_size(most, true);
}

/* ---- punch -------------------------------------------------------------- */

#define NBIG 12
#define NMID 48

static void
check_punch(void)
{
	const size_t size = 256 * MIB;
	const char *prefix = "punch";
	unsigned long long free0 = fs_free(dir);
	struct pool p;
	if (!pool_open(&p, size, prefix))
		return;
	if (!p.have_file) {
		skip("punch: (st_blocks checks)", "no pool file");
		pool_close(&p, prefix, free0);
		return;
	}
	unsigned char *big[NBIG];
	unsigned long long b0 = pool_bytes(&p);
	int made = 0;
	for (int i = 0; i < NBIG; i++) {
		big[i] = vmem_malloc(p.vmp, 16 * MIB);
		if (big[i] != NULL) {
			touch(big[i], 16 * MIB, (uint64_t)i);
			made++;
		}
	}
	unsigned long long b1 = pool_bytes(&p);
	check(made == NBIG && b0 >= size && b1 >= b0, "punch: st_blocks of the "
			"pool file whole at creation and with 12 x 16 MiB in use",
			"expected 12 objects and at least %s of blocks, got %d "
			"objects, %s at creation, %s in use", mib(size), made,
			mib(b0), mib(b1));
	unsigned long long f1 = fs_free(dir);
	for (int i = 0; i < NBIG; i++)
		vmem_free(p.vmp, big[i]);
	unsigned long long b2 = pool_bytes(&p);
	unsigned long long f2 = fs_free(dir);
	long g2 = chunks_given_back(p.vmp);
	check(b2 + 128 * MIB <= b1, "punch: freeing 12 x 16 MiB shrinks "
			"st_blocks by 128 MiB or more", "expected at most %s, "
			"got %s (from %s)", mib(b1 - 128 * MIB), mib(b2), mib(b1));
	unsigned long long shrunk = b1 > b2 ? b1 - b2 : 0;
	unsigned long long counted = g2 > 0 ? (unsigned long long)g2 * 2 * MIB : 0;
	check(g2 >= 0 && shrunk + MIB >= counted && counted + MIB >= shrunk,
			"punch: st_blocks shrank by the chunks vmem_stats_print "
			"counts as given back", "expected %s (%ld chunks), got "
			"%s", mib(counted), g2, mib(shrunk));
	check(f2 + MIB >= f1 + shrunk, "punch: the file system's free space "
			"grows as much", "expected at least %s free, got %s "
			"(before: %s)", mib(f1 + shrunk - MIB), mib(f2), mib(f1));

	/* the same again: the chunks given back are reserved again */
	made = 0;
	for (int i = 0; i < NBIG; i++) {
		big[i] = vmem_malloc(p.vmp, 16 * MIB);
		if (big[i] != NULL) {
			touch(big[i], 16 * MIB, 100 + (uint64_t)i);
			made++;
		}
	}
	unsigned long long b3 = pool_bytes(&p);
	long g3 = chunks_given_back(p.vmp);
	int bad = 0;
	for (int i = 0; i < NBIG; i++)
		if (big[i] != NULL && (!inside(&p.m, big[i], 16 * MIB) ||
				touched(big[i], 16 * MIB, 100 + (uint64_t)i) !=
				16 * MIB))
			bad++;
	check(made == NBIG && bad == 0 && b3 >= b2 + 128 * MIB,
			"punch: 12 x 16 MiB again: st_blocks grows back by 128 "
			"MiB or more, contents kept", "expected 12 objects, "
			"all intact, at least %s of blocks, got %d objects, %d "
			"changed, %s", mib(b2 + 128 * MIB), made, bad, mib(b3));
	for (int i = 0; i < NBIG; i++)
		vmem_free(p.vmp, big[i]);
	unsigned long long b4 = pool_bytes(&p);

	/* objects of 3 MiB (a chunk and a half) */
	unsigned char *mid[NMID];
	made = 0;
	for (int i = 0; i < NMID; i++) {
		mid[i] = vmem_malloc(p.vmp, 3 * MIB);
		if (mid[i] != NULL) {
			touch(mid[i], 3 * MIB, 1000 + (uint64_t)i);
			made++;
		}
	}
	unsigned long long b5 = pool_bytes(&p);
	bad = 0;
	for (int i = 0; i < NMID; i++)
		if (mid[i] != NULL && touched(mid[i], 3 * MIB,
				1000 + (uint64_t)i) != 3 * MIB)
			bad++;
	for (int i = 0; i < NMID; i++)
		vmem_free(p.vmp, mid[i]);
	unsigned long long b6 = pool_bytes(&p);
	long g6 = chunks_given_back(p.vmp);
	check(made == NMID && bad == 0 && b5 >= b4 + 96 * MIB &&
			b6 + 96 * MIB <= b5, "punch: 48 x 3 MiB: st_blocks grows "
			"by 96 MiB or more, and shrinks as much when they are "
			"freed", "expected 48 intact objects, at least %s, then "
			"at most %s, got %d objects, %d changed, %s, then %s",
			mib(b4 + 96 * MIB), mib(b5 - 96 * MIB), made, bad, mib(b5),
			mib(b6));
	dm_line("info: punch: st_blocks of the %s pool file: created %s; "
			"12 x 16 MiB in use %s, freed %s (%ld chunks given back), "
			"in use again %s (%ld given back), freed %s; 48 x 3 MiB "
			"in use %s, freed %s (%ld given back); the file system's "
			"free space %s -> %s", human(size), mib(b0), mib(b1),
			mib(b2), g2, mib(b3), g3, mib(b4), mib(b5), mib(b6), g6,
			mib(f1), mib(f2));
	int c = vmem_check(p.vmp);
	check(c == 1, "punch: vmem_check = 1", "expected 1, got %d (%s)", c,
			vmem_errormsg());
	pool_close(&p, prefix, free0);
}

/* ---- full --------------------------------------------------------------- */

/* vmem_create(dir, size) must fail with ENOSPC, leaving nothing behind */
static void
expect_enospc(size_t size, const char *why)
{
	char name[200];
	struct poolfile before[PF_MAX], after[PF_MAX];
	int nb = poolfile_list(dir, before, PF_MAX);
	unsigned long long free0 = fs_free(dir);
	errno = 0;
	VMEM *vmp = vmem_create(dir, size);
	int e = errno;
	snprintf(name, sizeof(name), "full: vmem_create(dir, %s) %s -> ENOSPC",
			human(size), why);
	if (vmp != NULL) {
		check(false, name, "expected NULL with ENOSPC, got a pool");
		vmem_delete(vmp);
		return;
	}
	check(e == ENOSPC, name, "expected ENOSPC, got %s", failure(e));
	dm_line("info: full: vmem_create(%s): %s", human(size), failure(e));
	int na = poolfile_list(dir, after, PF_MAX);
	unsigned long long free1 = fs_free_reaches(dir,
			free0 > MIB ? free0 - MIB : 0, NULL);
	snprintf(name, sizeof(name), "full: the failed vmem_create(%s) leaves "
			"no file and takes no space", human(size));
	check(na == nb && free1 + MIB >= free0, name, "expected %d open files "
			"in %s and %s free, got %d and %s", nb, dir, mib(free0),
			na, mib(free1));
}

/* in a child: a pool that gave chunks back meets a full file system */
static void
full_child(void)
{
	int failed_before = atomic_load(&dm_failed);
	struct pool p;
	if (!pool_open(&p, 128 * MIB, "full child"))
		exit(1);
	/* small objects in slabs made while there was room */
	enum { NSMALL = 200 };
	static unsigned char *small[NSMALL];
	for (int i = 0; i < NSMALL; i++)
		small[i] = vmem_malloc(p.vmp, 64);
	/* the rest of the pool in large objects, written, then freed: all
	 * but a few chunks (the budget kept for reuse, 1/16 of the pool)
	 * are given back to the file system */
	enum { NLARGE = 64 };
	unsigned char *large[NLARGE];
	int nlarge = 0;
	size_t took = 0;
	for (size_t n = 16 * MIB; n >= 2 * MIB; n /= 2)
		while (nlarge < NLARGE &&
				(large[nlarge] = vmem_malloc(p.vmp, n)) != NULL) {
			touch(large[nlarge++], n, n);
			took += n;
		}
	for (int i = 0; i < nlarge; i++)
		vmem_free(p.vmp, large[i]);
	for (int i = 0; i < NSMALL; i += 2) {
		vmem_free(p.vmp, small[i]);
		small[i] = NULL;
	}
	long given = chunks_given_back(p.vmp);
	dm_line("info: full child: %d large objects (%s) written and freed, "
			"%ld chunks given back; pool file blocks %s",
			nlarge, mib(took), given, mib(pool_bytes(&p)));
	check(given >= 48, "full child: large objects freed, 96 MiB or more "
			"given back", "expected 48 or more chunks given back, "
			"got %ld", given);

	unsigned long long filled = 0;
	int filler = fs_fill(dir, 0, &filled);
	if (!check(filler >= 0, "full child: the file system filled by another "
			"file", "could not make the file: %s", strerror(errno)))
		exit(1);
	dm_line("info: full child: %s filled; %s free now (as root)",
			mib(filled), mib(fs_free(dir)));

	errno = 0;
	void *q = vmem_malloc(p.vmp, 16 * MIB);
	int e = errno;
	check(q == NULL && e == ENOMEM, "full child: 16 MiB on the full file "
			"system -> NULL, ENOMEM (the chunks given back cannot be "
			"reserved again)", "expected NULL with ENOMEM, got %p, "
			"errno %s", q, errname(e));
	if (q != NULL) {
		dm_line("info: full child: writing the 16 MiB object (SIGBUS?)");
		touch(q, 16 * MIB, 7);
		vmem_free(p.vmp, q);
	}
	/* small objects: either served, and writable, or ENOMEM */
	int served = 0, refused = 0, other = 0;
	for (int i = 0; i < NSMALL; i += 2) {
		errno = 0;
		small[i] = vmem_malloc(p.vmp, 64);
		if (small[i] != NULL) {
			memset(small[i], 0x5a, 64);
			served++;
		} else if (errno == ENOMEM) {
			refused++;
		} else {
			other++;
		}
	}
	dm_line("info: full child: %d of %d small objects served, %d refused "
			"with ENOMEM", served, NSMALL / 2, refused);
	check(other == 0, "full child: small objects on the full file system "
			"served or refused with ENOMEM", "%d failed with another "
			"errno", other);
	int c = vmem_check(p.vmp);
	check(c == 1, "full child: vmem_check = 1 on the full file system",
			"expected 1, got %d (%s)", c, vmem_errormsg());

	close(filler);
	/* no wait for the filler's blocks (xfs frees them in the
	 * background): the reservation has to manage */
	errno = 0;
	unsigned char *r = vmem_malloc(p.vmp, 16 * MIB);
	e = errno;
	bool ok = r != NULL && inside(&p.m, r, 16 * MIB);
	if (r != NULL) {
		fill(r, 16 * MIB, 99);
		ok = ok && verify(r, 16 * MIB, 99) == 16 * MIB;
	}
	check(ok, "full child: with room again, 16 MiB allocated, written "
			"and read back whole", "got %p, errno %s", (void *)r,
			errname(e));
	vmem_free(p.vmp, r);
	for (int i = 0; i < NSMALL; i++)
		vmem_free(p.vmp, small[i]);
	c = vmem_check(p.vmp);
	check(c == 1, "full child: vmem_check = 1 at the end", "expected 1, "
			"got %d (%s)", c, vmem_errormsg());
	vmem_delete(p.vmp);
	exit(atomic_load(&dm_failed) == failed_before ? 0 : 1);
}

static void
check_full(void)
{
	unsigned long long free = fs_free(dir);
	expect_enospc((size_t)((free + 64 * MIB) / 4096 * 4096),
			"with 64 MiB more than is free");

	unsigned long long filled = 0;
	int filler = fs_fill(dir, 32 * MIB, &filled);
	if (check(filler >= 0, "full: the file system filled by another file "
			"to 32 MiB free", "could not: %s", strerror(errno))) {
		dm_line("info: full: %s filled, %s free now (as root), %s for "
				"other users", mib(filled), mib(fs_free(dir)),
				mib(fs_avail(dir)));
		expect_enospc(64 * MIB, "with 32 MiB free");
		unsigned long long free0 = fs_free(dir);
		struct pool p;
		if (pool_open(&p, 16 * MIB, "full: with 32 MiB free, 16 MiB")) {
			size_t n = 12 * MIB;
			unsigned char *o = vmem_malloc(p.vmp, n);
			if (o != NULL)
				fill(o, n, 5);
			check(o != NULL && verify(o, n, 5) == n, "full: with 32 "
					"MiB free, 16 MiB: a 12 MiB object written "
					"and read back", "vmem_malloc(12 MiB) = "
					"%p, errno %s", (void *)o, errname(errno));
			vmem_free(p.vmp, o);
			pool_close(&p, "full: with 32 MiB free, 16 MiB", free0);
		}
		close(filler);
	}

	/* given back, then full: in a child, which SIGBUS would kill */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		full_child();
	int st = 0;
	bool waited = pid > 0 && waitpid(pid, &st, 0) == pid;
	check(waited && WIFEXITED(st) && WEXITSTATUS(st) == 0, "full: the "
			"child's checks passed, no SIGBUS", "expected exit status "
			"0, got %s %d%s", !waited ? "no child" : WIFEXITED(st) ?
			"exit status" : "signal", !waited ? 0 : WIFEXITED(st) ?
			WEXITSTATUS(st) : WTERMSIG(st), waited &&
			WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS ?
			" (SIGBUS)" : "");
	unsigned long long after = fs_free_reaches(dir, free - MIB, NULL);
	check(after + MIB >= free, "full: all the space back afterwards",
			"expected %s free, got %s", mib(free), mib(after));
}

/* ---- threads ------------------------------------------------------------ */

#define NTHREADS 4
#define OPS 2500
#define LIVE 48
#define BIG_LIVE 4

static VMEM *tpool;
static struct devmap tmap;
static pthread_barrier_t tstart;	/* all threads begin together */
static _Atomic(uintptr_t) handoff[NTHREADS];	/* an object for another */

struct tstate {
	int id;
	uint64_t rng;
	int allocs, frees, foreign, failed, bad, outside;
	char msg[200];
};

static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* the pattern of an object: whole up to 64 KiB, a word a page above */
static void
tmark(unsigned char *p, size_t n, uint64_t seed)
{
	if (n <= 65536)
		fill(p, n, seed);
	else
		touch(p, n, seed);
}

static bool
tcheck(const unsigned char *p, size_t n, uint64_t seed)
{
	return n <= 65536 ? verify(p, n, seed) == n : touched(p, n, seed) == n;
}

struct tobj {
	unsigned char *p;
	size_t n;
	uint64_t seed;
};

static void
tfree_checked(struct tstate *t, struct tobj *o)
{
	if (!tcheck(o->p, o->n, o->seed) && t->bad++ == 0)
		snprintf(t->msg, sizeof(t->msg), "thread %d: object %p of %zu "
				"bytes changed", t->id, (void *)o->p, o->n);
	vmem_free(tpool, o->p);
	t->frees++;
}

/*
 * Frees an object another thread handed over: it describes itself (a
 * struct tobj at its start, written by the thread that made it).
 */
static void
tfree_foreign(struct tstate *t, uintptr_t addr)
{
	struct tobj got;
	memcpy(&got, (void *)addr, sizeof(got));
	if ((got.p != (unsigned char *)addr || got.n < sizeof(got) ||
			got.n > 65536) && t->bad++ == 0)
		snprintf(t->msg, sizeof(t->msg), "thread %d: the object %p "
				"handed over changed", t->id, (void *)addr);
	vmem_free(tpool, (void *)addr);
	t->foreign++;
	t->frees++;
}

static void *
thread_main(void *arg)
{
	struct tstate *t = arg;
	struct tobj live[LIVE];
	int nlive = 0, nbig = 0;
	pthread_barrier_wait(&tstart);
	_Atomic(uintptr_t) *next = &handoff[(t->id + 1) % NTHREADS];
	for (int op = 0; op < OPS; op++) {
		uint64_t r = next_rand(&t->rng);
		if (nlive < LIVE && (nlive < 8 || r % 2 == 0)) {
			/* 70% up to 1 KiB, 20% up to 64 KiB, 8% up to 1 MiB,
			 * 2% 2..6 MiB (at most BIG_LIVE of those live) */
			unsigned k = (unsigned)(r >> 8) % 100;
			size_t n;
			if (k < 70)
				n = 16 + (r >> 16) % 1009;
			else if (k < 90)
				n = 1024 + (r >> 16) % 64513;
			else if (k < 98 || nbig >= BIG_LIVE)
				n = 65536 + (r >> 16) % (MIB - 65536);
			else
				n = 2 * MIB + (r >> 16) % (4 * MIB);
			unsigned char *p = vmem_malloc(tpool, n);
			if (p == NULL) {
				if (t->failed++ == 0)
					snprintf(t->msg, sizeof(t->msg), "thread "
							"%d: vmem_malloc(%zu) = NULL, "
							"errno %s", t->id, n,
							errname(errno));
				continue;
			}
			if (!inside(&tmap, p, n))
				t->outside++;
			uint64_t seed = r ^ (uint64_t)t->id << 56;
			tmark(p, n, seed);
			live[nlive++] = (struct tobj){ p, n, seed };
			if (n >= 2 * MIB)
				nbig++;
			t->allocs++;
		} else if (nlive > 0) {
			int i = (int)((r >> 8) % (uint64_t)nlive);
			struct tobj o = live[i];
			live[i] = live[--nlive];
			if (o.n >= 2 * MIB)
				nbig--;
			if (o.n > 65536 || o.n < sizeof(o) ||
					(r >> 40) % 16 != 0) {
				tfree_checked(t, &o);
			} else {
				/* every 16th small one goes to the next
				 * thread, which frees it */
				if (!tcheck(o.p, o.n, o.seed) && t->bad++ == 0)
					snprintf(t->msg, sizeof(t->msg),
							"thread %d: object %p "
							"changed", t->id,
							(void *)o.p);
				memcpy(o.p, &o, sizeof(o));
				uintptr_t old = atomic_exchange(next,
						(uintptr_t)o.p);
				if (old != 0) {
					/* not taken yet: our own, back */
					vmem_free(tpool, (void *)old);
					t->frees++;
				}
			}
		}
		uintptr_t mine = atomic_exchange(&handoff[t->id], 0);
		if (mine != 0)
			tfree_foreign(t, mine);
		/* on one CPU (the guest has one), threads would otherwise
		 * run in turns of a whole time slice */
		if (op % 16 == 15)
			sched_yield();
	}
	for (int i = 0; i < nlive; i++)
		tfree_checked(t, &live[i]);
	return NULL;
}

static void
check_threads(void)
{
	const size_t size = 160 * MIB;
	unsigned long long free0 = fs_free(dir);
	struct pool p;
	if (!pool_open(&p, size, "threads"))
		return;
	if (!p.have_map) {
		skip("threads: (all)", "no mapping of the pool file");
		pool_close(&p, "threads", free0);
		return;
	}
	tpool = p.vmp;
	tmap = p.m;
	struct tstate ts[NTHREADS];
	pthread_t th[NTHREADS];
	int started = 0;
	double t0 = now();
	pthread_barrier_init(&tstart, NULL, NTHREADS);
	for (int i = 0; i < NTHREADS; i++) {
		memset(&ts[i], 0, sizeof(ts[i]));
		ts[i].id = i;
		ts[i].rng = 0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1);
		if (pthread_create(&th[i], NULL, thread_main, &ts[i]) == 0)
			started++;
		else
			break;
	}
	if (started < NTHREADS) {
		/* the barrier would never open: nothing sensible to check */
		dm_line("FAIL threads: pthread_create: only %d of %d threads",
				started, NTHREADS);
		exit(1);
	}
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&tstart);
	double t1 = now();
	/* what is still handed over */
	for (int i = 0; i < NTHREADS; i++) {
		uintptr_t left = atomic_exchange(&handoff[i], 0);
		if (left != 0)
			vmem_free(tpool, (void *)left);
	}
	int allocs = 0, frees = 0, foreign = 0, failed = 0, bad = 0;
	int outside = 0;
	const char *msg = "";
	for (int i = 0; i < started; i++) {
		allocs += ts[i].allocs;
		frees += ts[i].frees;
		foreign += ts[i].foreign;
		failed += ts[i].failed;
		bad += ts[i].bad;
		outside += ts[i].outside;
		if (*msg == '\0' && ts[i].msg[0] != '\0')
			msg = ts[i].msg;
	}
	dm_line("info: threads: %d threads, %d allocations, %d frees (%d of "
			"another thread's objects) in %.1f s; pool file blocks "
			"now %s", started, allocs, frees, foreign, t1 - t0,
			mib(pool_bytes(&p)));
	check(started == NTHREADS && failed == 0 && outside == 0,
			"threads: 4 threads allocate 16 B .. 6 MiB in the mapping",
			"%d threads started, %d allocations failed, %d outside the "
			"mapping; %s", started, failed, outside, msg);
	check(bad == 0, "threads: every object kept its contents", "%d "
			"changed; %s", bad, msg);
	check(foreign > 0, "threads: objects freed by another thread",
			"expected some, got none");
	int c = vmem_check(p.vmp);
	check(c == 1, "threads: vmem_check = 1", "expected 1, got %d (%s)", c,
			vmem_errormsg());
	pool_close(&p, "threads", free0);
}

int
main(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (realpath(argv[1], dir) == NULL) {
		fprintf(stderr, "fsdax_e2e: %s: %s\n", argv[1],
				strerror(errno));
		return 2;
	}
	check_fs();
	check_sizes();
	check_punch();
	check_full();
	check_threads();
	return dm_status("fsdax_e2e");
}
