/*
 * fault_api.c -- one scenario of the fault-injection test (run.sh): the
 * libvmem API, linked with the fault-injection build
 * ($(BUILD)/fault/libvmem.so), while VMEM_FAULT_AT=N makes one system
 * call of the library fail (src/base/fault.h).
 *
 *   fault_api SCENARIO DIR
 *     create   vmem_create of three sizes in DIR; small, large and huge
 *              objects (freeing a huge one gives chunks back), calloc,
 *              strdup, wcsdup, aligned_alloc, realloc grow and shrink,
 *              vmem_check, vmem_stats_print, vmem_delete; the smallest
 *              pool filled to the last object and emptied; the documented
 *              errors of vmem_create, of the object functions and of a
 *              handle that is no pool
 *     region   vmem_create_in_region on mapped memory, and a pool nested
 *              in a large object of it; its documented errors
 *     threads  three threads allocating, reallocating and freeing in one
 *              pool (thread caches: membarrier, pthread_key_create), the
 *              main thread freeing what they leave
 *     fork     fork with a pool alive; the child makes, uses and deletes
 *              a pool in a region of its own, the parent goes on
 *
 * Every call is held to its manual page: success, or NULL with errno a
 * value the page allows and a new message in vmem_errormsg() (before each
 * call a known error sets a sentinel message, which the failure must
 * replace). Objects keep their contents through every call, failed
 * reallocations included; every pool passes vmem_check() after each call
 * that failed, after huge frees and reallocations, and when the scenario
 * is done with it; after the last vmem_delete the process has
 * exactly the descriptors and mappings it had before its first vmem call
 * (/proc/self/fd, /proc/self/maps less heap, stack and vdso), and DIR is
 * empty. With no fault injected no call may fail; with one, at most one
 * call of a process may fail, and a pool creation that failed must
 * succeed when tried again.
 * Exit status 0 when everything held, 1 with the findings on stderr.
 *
 * Owns all its state; shares nothing with the other tests.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wchar.h>

#include <libvmem.h>

#define MIB ((size_t)1 << 20)

static const char *scenario = "?";
static bool faulting;			/* VMEM_FAULT_AT names a call */
static atomic_int findings;		/* contract violations seen */
static atomic_int failed_calls;		/* calls that failed, not asked to */

/* ---- findings ----------------------------------------------------------- */

static void
finding(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "fault_api %s [%d]: %s\n", scenario, (int)getpid(),
			line);
	atomic_fetch_add(&findings, 1);
}

/* errno values the manual pages allow (and VM_SYS injects), 0 ends */
static const int create_errs[] = {
	EINVAL, ENOENT, ENOTDIR, EACCES, ENOSPC, EBUSY, EFBIG, ENOMEM,
	EROFS, EMFILE, ENFILE, EIO, 0
};
static const int alloc_errs[] = { ENOMEM, 0 };

static bool
allowed(int err, const int *errs)
{
	for (; *errs != 0; errs++)
		if (*errs == err)
			return true;
	return false;
}

/* the message a known error leaves: a failure must replace it */
static _Thread_local char sentinel[256];

/* sets the sentinel message with vmem_create(NULL, ...), which must fail
 * with EINVAL and a message (and makes no system call) */
static void
arm(void)
{
	errno = 0;
	if (vmem_create(NULL, VMEM_MIN_POOL) != NULL || errno != EINVAL)
		finding("vmem_create(NULL) did not fail with EINVAL (%d)",
				errno);
	const char *m = vmem_errormsg();
	if (m == NULL || m[0] == '\0')
		finding("vmem_create(NULL) left no message");
	snprintf(sentinel, sizeof(sentinel), "%s", m != NULL ? m : "");
	errno = 0;
}

/* the message of the failure just seen: there, and not the sentinel */
static void
check_message(const char *what)
{
	const char *m = vmem_errormsg();
	if (m == NULL || m[0] == '\0')
		finding("%s failed with no message", what);
	else if (strcmp(m, sentinel) == 0)
		finding("%s failed without a message of its own (still \"%s\")",
				what, m);
}

/* a call that failed unasked: errno err one of errs, a message, a fault */
static void
failed(const char *what, int err, const int *errs)
{
	int n = atomic_fetch_add(&failed_calls, 1) + 1;
	if (!faulting)
		finding("%s failed with no fault injected: %s (%s)", what,
				strerror(err), vmem_errormsg());
	else if (n > 1)
		finding("%s failed: the %dth failure from one injected fault "
				"(%s)", what, n, vmem_errormsg());
	if (err == 0)
		finding("%s failed without setting errno", what);
	else if (!allowed(err, errs))
		finding("%s failed with errno %d (%s), which its manual page "
				"does not allow", what, err, strerror(err));
	check_message(what);
}

/* a call that had to fail with errno want (under a fault, errno may be
 * any of errs: the failing call can be met first) */
static void
expect_fail(const char *what, const void *result, int err, int want,
		const int *errs)
{
	if (result != NULL) {
		finding("%s succeeded; it must fail with %s", what,
				strerror(want));
		return;
	}
	if (err != want && !(faulting && errs != NULL && allowed(err, errs)))
		finding("%s failed with errno %d (%s), not %s", what, err,
				strerror(err), strerror(want));
	check_message(what);
}

/* ---- what the process holds: descriptors and mappings ------------------ */

struct snap {
	char fds[64 * 1024];
	char maps[1024 * 1024];
};
static struct snap before, after;

/* the mappings that change by themselves */
static bool
map_ignored(const char *line, size_t len)
{
	static const char *const names[] = {
		"[heap]", "[stack]", "[vdso]", "[vvar]", "[vvar_vclock]",
		"[vsyscall]",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = strlen(names[i]);
		if (len >= n && memcmp(line + len - n, names[i], n) == 0)
			return true;
	}
	return false;
}

/* /proc/self/maps, less the lines map_ignored names, into out */
static bool
snap_maps(char *out, size_t cap)
{
	static char raw[1024 * 1024];
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, raw + n, sizeof(raw) - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n >= sizeof(raw) - 1)
		return false;
	raw[n] = '\0';
	size_t o = 0;
	for (char *line = raw; *line != '\0';) {
		char *nl = strchr(line, '\n');
		size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		if (!map_ignored(line, len)) {
			if (o + len + 2 > cap)
				return false;
			memcpy(out + o, line, len);
			o += len;
			out[o++] = '\n';
		}
		line += len + (nl != NULL);
	}
	out[o] = '\0';
	return true;
}

/* "fd -> target" of every open descriptor but the one reading them */
static bool
snap_fds(char *out, size_t cap)
{
	int dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return false;
	char buf[8192];
	size_t o = 0;
	bool ok = true;
	for (;;) {
		long n = syscall(SYS_getdents64, dfd, buf, sizeof(buf));
		if (n <= 0) {
			ok = n == 0;
			break;
		}
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			off += d->d_reclen;
			if (d->d_name[0] == '.' || atoi(d->d_name) == dfd)
				continue;
			char target[PATH_MAX];
			ssize_t t = readlinkat(dfd, d->d_name, target,
					sizeof(target) - 1);
			target[t < 0 ? 0 : t] = '\0';
			int w = snprintf(out + o, cap - o, "%s -> %s\n",
					d->d_name, target);
			if (w < 0 || (size_t)w >= cap - o) {
				ok = false;
				break;
			}
			o += (size_t)w;
		}
	}
	close(dfd);
	return ok;
}

static void
take_snap(struct snap *s)
{
	if (!snap_fds(s->fds, sizeof(s->fds)))
		finding("cannot list /proc/self/fd");
	if (!snap_maps(s->maps, sizeof(s->maps)))
		finding("cannot read /proc/self/maps");
}

/* the lines of a that b lacks, told as kind */
static void
tell_missing(const char *kind, const char *a, const char *b)
{
	for (const char *line = a; *line != '\0';) {
		const char *nl = strchr(line, '\n');
		size_t len = (size_t)(nl - line) + 1;
		bool found = false;
		for (const char *l = b; *l != '\0' && !found;) {
			const char *e = strchr(l, '\n');
			found = (size_t)(e - l) + 1 == len &&
					memcmp(l, line, len) == 0;
			l = e + 1;
		}
		if (!found)
			finding("%s: %.*s", kind, (int)len - 1, line);
		line += len;
	}
}

/* what the process holds now against s0 */
static void
compare_snap(const struct snap *s0, struct snap *s1, const char *when)
{
	take_snap(s1);
	if (strcmp(s0->fds, s1->fds) != 0) {
		finding("descriptors differ %s", when);
		tell_missing("descriptor left open", s1->fds, s0->fds);
		tell_missing("descriptor closed", s0->fds, s1->fds);
	}
	if (strcmp(s0->maps, s1->maps) != 0) {
		finding("mappings differ %s", when);
		tell_missing("mapping left", s1->maps, s0->maps);
		tell_missing("mapping gone", s0->maps, s1->maps);
	}
}

/* DIR holds nothing */
static void
check_dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		finding("cannot open %s: %s", dir, strerror(errno));
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			finding("a file was left in the pool directory: %s",
					e->d_name);
	closedir(d);
}

/* ---- objects with known contents ---------------------------------------- */

struct obj {
	unsigned char *p;
	size_t size;		/* bytes asked for and filled */
	unsigned seed;
};

/* the bytes of a pattern: every one of the first 64 KiB, then one in
 * 509 (every page, at offsets that move), so huge objects cost little */
static size_t
next_byte(size_t i)
{
	return i < 65536 ? i + 1 : i + 509;
}

static void
fill(struct obj *o)
{
	for (size_t i = 0; i < o->size; i = next_byte(i))
		o->p[i] = (unsigned char)(i * 31 + o->seed);
}

/* the first n bytes of o still hold its pattern */
static bool
intact(const struct obj *o, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i = next_byte(i)) {
		if (o->p[i] != (unsigned char)(i * 31 + o->seed)) {
			finding("%s: object %p of %zu bytes changed at byte %zu",
					what, (void *)o->p, o->size, i);
			return false;
		}
	}
	return true;
}

/* a new object's address and usable size */
static void
check_new(VMEM *vmp, const char *what, const void *p, size_t size,
		size_t align)
{
	size_t usable = vmem_malloc_usable_size(vmp, (void *)p);
	if (usable < size)
		finding("%s: usable size %zu below the %zu asked for", what,
				usable, size);
	if (align != 0 && (uintptr_t)p % align != 0)
		finding("%s: %p not aligned to %zu", what, p, align);
}

static atomic_uint seed_next = 1;

static void
t_check(VMEM *vmp, const char *when)
{
	int r = vmem_check(vmp);
	if (r != 1)
		finding("vmem_check %s returned %d: %s", when, r,
				vmem_errormsg());
}

static bool
t_malloc(VMEM *vmp, struct obj *o, size_t size)
{
	arm();
	void *p = vmem_malloc(vmp, size);
	int e = errno;
	if (p == NULL) {
		failed("vmem_malloc", e, alloc_errs);
		t_check(vmp, "after a failed vmem_malloc");
		return false;
	}
	check_new(vmp, "vmem_malloc", p, size, 16);
	*o = (struct obj){ p, size, atomic_fetch_add(&seed_next, 1) };
	fill(o);
	return true;
}

/* realloc of o to size; o stays whole when it fails */
static void
t_realloc(VMEM *vmp, struct obj *o, size_t size)
{
	arm();
	void *p = vmem_realloc(vmp, o->p, size);
	int e = errno;
	if (p == NULL) {
		failed("vmem_realloc", e, alloc_errs);
		intact(o, o->size, "a failed vmem_realloc");
		t_check(vmp, "after a failed vmem_realloc");
		return;
	}
	check_new(vmp, "vmem_realloc", p, size, 16);
	o->p = p;
	intact(o, o->size < size ? o->size : size, "vmem_realloc");
	o->size = size;
	fill(o);
}

static void
t_free(VMEM *vmp, struct obj *o)
{
	if (o->p == NULL)
		return;
	intact(o, o->size, "before vmem_free");
	vmem_free(vmp, o->p);
	o->p = NULL;
}


static atomic_size_t stats_bytes;

static void
count_stats(const char *s)
{
	atomic_fetch_add(&stats_bytes, strlen(s));
}

static void
t_stats(VMEM *vmp)
{
	size_t was = atomic_load(&stats_bytes);
	vmem_stats_print(vmp, NULL);
	vmem_stats_print(vmp, "gbla");
	if (atomic_load(&stats_bytes) == was)
		finding("vmem_stats_print printed nothing");
}

/* ---- pools -------------------------------------------------------------- */

/* vmem_create; one that failed under a fault is tried again */
static VMEM *
t_create(const char *dir, size_t size)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		arm();
		VMEM *vmp = vmem_create(dir, size);
		int e = errno;
		if (vmp != NULL)
			return vmp;
		failed("vmem_create", e, create_errs);
		if (!faulting)
			return NULL;
	}
	finding("vmem_create(%s, %zu) failed again after the injected fault",
			dir, size);
	return NULL;
}

/* vmem_create_in_region of a valid region: documented to fail only with
 * EINVAL, for arguments that are not valid, so it must succeed */
static VMEM *
t_region(void *addr, size_t size)
{
	arm();
	VMEM *vmp = vmem_create_in_region(addr, size);
	int e = errno;
	if (vmp == NULL) {
		finding("vmem_create_in_region(%p, %zu) failed: %s (%s)", addr,
				size, strerror(e), vmem_errormsg());
		check_message("vmem_create_in_region");
	}
	return vmp;
}

/* the documented errors of the object functions in a live pool */
static void
object_errors(VMEM *vmp)
{
	arm();
	void *p = vmem_malloc(vmp, SIZE_MAX);
	expect_fail("vmem_malloc(SIZE_MAX)", p, errno, ENOMEM, NULL);
	arm();
	p = vmem_calloc(vmp, SIZE_MAX / 2, 3);
	expect_fail("vmem_calloc overflowing", p, errno, ENOMEM, NULL);
	arm();
	p = vmem_aligned_alloc(vmp, 48, 100);
	expect_fail("vmem_aligned_alloc(48)", p, errno, EINVAL, NULL);
	struct obj o;
	if (t_malloc(vmp, &o, 200)) {
		arm();
		p = vmem_realloc(vmp, o.p + 16, 300);
		expect_fail("vmem_realloc inside an object", p, errno, EINVAL,
				NULL);
		intact(&o, o.size, "a refused vmem_realloc");
		t_free(vmp, &o);
	}
}

#define MAX_OBJS 96

/*
 * Everything a program does with a pool of pool_size bytes: small, large
 * and huge objects (the huge ones at least 2 MiB, freed: their chunks go
 * back to the system and come back), the allocating functions, realloc
 * grow and shrink, usable sizes, the documented errors.
 */
static void
exercise(VMEM *vmp, size_t pool_size)
{
	struct obj objs[MAX_OBJS];
	int n = 0;
	for (int i = 0; i < 40; i++)
		if (t_malloc(vmp, &objs[n], 1 + (size_t)(i * 337) % 6000))
			n++;
	static const size_t sizes[] = {
		16384, 16385, 40000, 100 * 1024, 300 * 1024, MIB,
	};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (t_malloc(vmp, &objs[n], sizes[i]))
			n++;

	arm();
	unsigned char *c = vmem_calloc(vmp, 100, 24);
	int e = errno;
	if (c == NULL) {
		failed("vmem_calloc", e, alloc_errs);
		t_check(vmp, "after a failed vmem_calloc");
	} else {
		check_new(vmp, "vmem_calloc", c, 2400, 16);
		for (size_t i = 0; i < 2400; i++)
			if (c[i] != 0) {
				finding("vmem_calloc: byte %zu is not 0", i);
				break;
			}
		vmem_free(vmp, c);
	}
	arm();
	char *s = vmem_strdup(vmp, "fault injection");
	e = errno;
	if (s == NULL)
		failed("vmem_strdup", e, alloc_errs);
	else if (strcmp(s, "fault injection") != 0)
		finding("vmem_strdup: copy differs");
	vmem_free(vmp, s);
	arm();
	wchar_t *w = vmem_wcsdup(vmp, L"wide fault");
	e = errno;
	if (w == NULL)
		failed("vmem_wcsdup", e, alloc_errs);
	else if (wcscmp(w, L"wide fault") != 0)
		finding("vmem_wcsdup: copy differs");
	vmem_free(vmp, w);

	static const size_t aligns[][2] = {
		{ 64, 100 }, { 4096, 5000 }, { 65536, 70000 }, { 2 * MIB, 4096 },
	};
	for (size_t i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
		arm();
		void *p = vmem_aligned_alloc(vmp, aligns[i][0], aligns[i][1]);
		e = errno;
		if (p == NULL) {
			failed("vmem_aligned_alloc", e, alloc_errs);
			t_check(vmp, "after a failed vmem_aligned_alloc");
			continue;
		}
		check_new(vmp, "vmem_aligned_alloc", p, aligns[i][1],
				aligns[i][0]);
		objs[n] = (struct obj){ p, aligns[i][1],
				atomic_fetch_add(&seed_next, 1) };
		fill(&objs[n++]);
	}

	/* huge objects: freed, their chunks are given back (a pool below
	 * 32 MiB keeps none; a larger one past its budget), and taken again */
	size_t huge = pool_size / 4 > 2 * MIB ? pool_size / 4 : 2 * MIB;
	for (int round = 0; round < 3; round++) {
		struct obj h;
		if (t_malloc(vmp, &h, huge + (size_t)round * 8192))
			t_free(vmp, &h);
		t_check(vmp, "after a huge object was freed");
	}

	/* realloc: small to larger classes, to large, to huge, and back */
	struct obj r;
	if (t_malloc(vmp, &r, 100)) {
		static const size_t steps[] = {
			3000, 3001, 20000, 200 * 1024, 3 * MIB, 3 * MIB + 5000,
			MIB, 100000, 1000, 10,
		};
		for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
			t_realloc(vmp, &r, steps[i]);
			t_check(vmp, "after vmem_realloc");
		}
		objs[n++] = r;
	}
	/* realloc(NULL, n) is malloc; realloc(p, 0) frees */
	arm();
	void *p = vmem_realloc(vmp, NULL, 500);
	e = errno;
	if (p == NULL) {
		failed("vmem_realloc(NULL)", e, alloc_errs);
		t_check(vmp, "after a failed vmem_realloc(NULL)");
	} else if (vmem_realloc(vmp, p, 0) != NULL) {
		finding("vmem_realloc(p, 0) returned an object");
	}
	/* every third object grows */
	for (int i = 0; i < n; i += 3)
		t_realloc(vmp, &objs[i], objs[i].size * 2 + 1);

	object_errors(vmp);
	t_check(vmp, "with objects live");
	for (int i = 1; i < n; i += 2)
		t_free(vmp, &objs[i]);
	for (int i = 0; i < n; i += 2)
		t_free(vmp, &objs[i]);
	t_check(vmp, "after every free");
	t_stats(vmp);
}

/*
 * Fills the pool of pool_size bytes with objects of 256 KiB, then 4 KiB,
 * then 64 B until each fails (ENOMEM, a message: the documented end, not
 * a failure of the fault's), frees them all, and makes a huge object in
 * the emptied pool (its chunks were given back and are taken again).
 * The objects are chained through their first word.
 */
static void
exhaust(VMEM *vmp, size_t pool_size)
{
	static const size_t sizes[] = { 256 * 1024, 4096, 64 };
	void *head = NULL;
	size_t total = 0;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (;;) {
			arm();
			void **p = vmem_malloc(vmp, sizes[i]);
			if (p == NULL) {
				expect_fail("vmem_malloc in a full pool", p,
						errno, ENOMEM, NULL);
				break;
			}
			*p = head;
			head = p;
			total += sizes[i];
		}
	}
	if (total < pool_size / 2)
		finding("a pool of %zu bytes took only %zu bytes of objects",
				pool_size, total);
	t_check(vmp, "when full");
	while (head != NULL) {
		void *next = *(void **)head;
		vmem_free(vmp, head);
		head = next;
	}
	t_check(vmp, "emptied");
	struct obj h;
	if (t_malloc(vmp, &h, pool_size / 2))
		t_free(vmp, &h);
}

/* ---- scenarios ---------------------------------------------------------- */

static void
scenario_create(const char *dir)
{
	/* the documented errors of vmem_create (a fault in the call that
	 * finds them may make it fail with that call's error first) */
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/no-such-dir", dir);
	arm();
	VMEM *bad = vmem_create(path, VMEM_MIN_POOL);
	expect_fail("vmem_create of a missing directory", bad, errno, ENOENT,
			create_errs);
	arm();
	bad = vmem_create("/proc/self/exe", VMEM_MIN_POOL);
	expect_fail("vmem_create of a regular file", bad, errno, ENOTDIR,
			create_errs);
	arm();
	bad = vmem_create("/dev/null", VMEM_MIN_POOL);
	expect_fail("vmem_create of /dev/null", bad, errno, EINVAL,
			create_errs);
	arm();
	bad = vmem_create(dir, VMEM_MIN_POOL - 1);
	expect_fail("vmem_create below VMEM_MIN_POOL", bad, errno, EINVAL,
			NULL);

	/* a handle that is no pool is turned away with a message */
	arm();
	if (vmem_check(NULL) != -1)
		finding("vmem_check(NULL) did not return -1");
	check_message("vmem_check(NULL)");
	arm();
	vmem_delete(NULL);
	check_message("vmem_delete(NULL)");
	arm();
	size_t was = atomic_load(&stats_bytes);
	vmem_stats_print(NULL, NULL);
	check_message("vmem_stats_print(NULL)");
	if (atomic_load(&stats_bytes) != was)
		finding("vmem_stats_print(NULL) printed");

	static const size_t sizes[] = {
		VMEM_MIN_POOL, VMEM_MIN_POOL * 3 / 2 + 1, 64 * MIB,
	};
	enum { NPOOLS = sizeof(sizes) / sizeof(sizes[0]) };
	VMEM *pools[NPOOLS];
	for (int i = 0; i < NPOOLS; i++)
		pools[i] = t_create(dir, sizes[i]);
	for (int i = 0; i < NPOOLS; i++)
		if (pools[i] != NULL)
			exercise(pools[i], sizes[i]);
	if (pools[0] != NULL)
		exhaust(pools[0], sizes[0]);
	for (int i = 0; i < NPOOLS; i++) {
		if (pools[i] == NULL)
			continue;
		t_check(pools[i], "at the end");
		vmem_delete(pools[i]);
	}
}

static void
scenario_region(void)
{
	size_t size = 32 * MIB;
	char *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		finding("mmap of the region: %s", strerror(errno));
		return;
	}
	arm();
	VMEM *bad = vmem_create_in_region(NULL, size);
	expect_fail("vmem_create_in_region(NULL)", bad, errno, EINVAL, NULL);
	arm();
	bad = vmem_create_in_region(mem + 1, size - 4096);
	expect_fail("vmem_create_in_region unaligned", bad, errno, EINVAL,
			NULL);
	arm();
	bad = vmem_create_in_region(mem, VMEM_MIN_POOL - 1);
	expect_fail("vmem_create_in_region below VMEM_MIN_POOL", bad, errno,
			EINVAL, NULL);

	VMEM *vmp = t_region(mem, size);
	if (vmp != NULL) {
		arm();
		bad = vmem_create_in_region(mem + 4 * MIB, VMEM_MIN_POOL);
		expect_fail("vmem_create_in_region over a live pool", bad,
				errno, EINVAL, NULL);
		exercise(vmp, size);
		/* a pool nested in a large object of this one */
		struct obj big;
		if (t_malloc(vmp, &big, 16 * MIB)) {
			VMEM *inner = t_region(big.p, big.size);
			if (inner != NULL) {
				exercise(inner, big.size);
				t_check(inner, "of the nested pool at the end");
				vmem_delete(inner);
			}
			fill(&big);	/* the pool wrote over it */
			t_free(vmp, &big);
		}
		t_check(vmp, "at the end");
		vmem_delete(vmp);
	}
	munmap(mem, size);
}

/* threads: each allocates, reallocates and frees objects of every kind
 * up to 1 MiB, and leaves a few for the main thread to free */
#define NTHREADS	3
#define WINDOW		16
#define HANDOFF		6
#define STACK_BYTES	((size_t)512 * 1024)

struct worker {
	VMEM *vmp;
	int id;
	struct obj window[WINDOW];
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	static const size_t sizes[] = {
		16, 48, 100, 500, 1000, 4000, 16000, 40000, 100000, 256000,
		MIB,
	};
	enum { NSIZES = sizeof(sizes) / sizeof(sizes[0]) };
	memset(w->window, 0, sizeof(w->window));
	for (int i = 0; i < 400; i++) {
		struct obj *o = &w->window[i % WINDOW];
		if (i % 37 == 5 && o->p != NULL) {
			t_realloc(w->vmp, o, sizes[(size_t)(i + w->id) % NSIZES]);
			continue;
		}
		t_free(w->vmp, o);
		if (!t_malloc(w->vmp, o, sizes[(size_t)(i * 7 + w->id) %
				NSIZES] + (size_t)w->id))
			o->p = NULL;
	}
	/* all but HANDOFF go back here; those, from the main thread */
	for (int i = HANDOFF; i < WINDOW; i++)
		t_free(w->vmp, &w->window[i]);
	return NULL;
}

static void
scenario_threads(const char *dir, char *stacks)
{
	VMEM *vmp = t_create(dir, 64 * MIB);
	if (vmp == NULL)
		return;
	struct worker workers[NTHREADS];
	pthread_t tids[NTHREADS];
	bool started[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		workers[i] = (struct worker){ .vmp = vmp, .id = i };
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		/* a stack of ours: glibc keeps the stacks it maps */
		pthread_attr_setstack(&attr, stacks + (size_t)i * STACK_BYTES,
				STACK_BYTES);
		int e = pthread_create(&tids[i], &attr, worker_main,
				&workers[i]);
		pthread_attr_destroy(&attr);
		started[i] = e == 0;
		if (e != 0)
			finding("pthread_create: %s", strerror(e));
	}
	for (int i = 0; i < NTHREADS; i++)
		if (started[i])
			pthread_join(tids[i], NULL);
	for (int i = 0; i < NTHREADS; i++)
		for (int j = 0; j < HANDOFF; j++)
			if (started[i])
				t_free(vmp, &workers[i].window[j]);
	struct obj o;
	if (t_malloc(vmp, &o, 300))
		t_free(vmp, &o);
	t_check(vmp, "at the end");
	t_stats(vmp);
	vmem_delete(vmp);
}

/* the child of scenario_fork: a pool of its own in a region; its status
 * tells whether everything held */
static int
fork_child(void)
{
	scenario = "fork (child)";
	atomic_store(&findings, 0);
	take_snap(&before);	/* the parent's are of no use here */
	size_t size = 24 * MIB;
	char *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		finding("mmap of the child's region: %s", strerror(errno));
		return 1;
	}
	VMEM *vmp = t_region(mem, size);
	if (vmp != NULL) {
		exercise(vmp, size);
		t_check(vmp, "of the child's pool at the end");
		vmem_delete(vmp);
	}
	munmap(mem, size);
	compare_snap(&before, &after, "in the child after its pool was "
			"deleted");
	return atomic_load(&findings) == 0 ? 0 : 1;
}

static void
scenario_fork(const char *dir)
{
	VMEM *vmp = t_create(dir, 32 * MIB);
	struct obj keep[8];
	int n = 0;
	for (int i = 0; vmp != NULL && i < 8; i++)
		if (t_malloc(vmp, &keep[n], (size_t)1 << (4 + 2 * i)))
			n++;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		finding("fork: %s", strerror(errno));
	} else if (pid == 0) {
		exit(fork_child());
	} else {
		int st;
		if (waitpid(pid, &st, 0) != pid)
			finding("waitpid: %s", strerror(errno));
		else if (WIFSIGNALED(st))
			finding("the child died of signal %d", WTERMSIG(st));
		else if (WEXITSTATUS(st) != 0)
			finding("the child failed (status %d)",
					WEXITSTATUS(st));
	}
	if (vmp == NULL)
		return;
	/* the parent's pool goes on as before */
	exercise(vmp, 32 * MIB);
	for (int i = 0; i < n; i++)
		t_free(vmp, &keep[i]);
	t_check(vmp, "at the end");
	vmem_delete(vmp);
}

int
main(int argc, char *argv[])
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s create|region|threads|fork DIR\n",
				argv[0]);
		return 2;
	}
	scenario = argv[1];
	const char *dir = argv[2];
	const char *at = getenv("VMEM_FAULT_AT");
	faulting = at != NULL && strtoul(at, NULL, 10) != 0;
	vmem_set_funcs(NULL, NULL, NULL, NULL, count_stats);
	/* mapped before the first snapshot, and kept to the end */
	char *stacks = NULL;
	if (strcmp(scenario, "threads") == 0) {
		stacks = mmap(NULL, NTHREADS * STACK_BYTES,
				PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (stacks == MAP_FAILED) {
			perror("mmap of the thread stacks");
			return 1;
		}
	}

	take_snap(&before);
	if (strcmp(scenario, "create") == 0) {
		scenario_create(dir);
	} else if (strcmp(scenario, "region") == 0) {
		scenario_region();
	} else if (strcmp(scenario, "threads") == 0) {
		scenario_threads(dir, stacks);
	} else if (strcmp(scenario, "fork") == 0) {
		scenario_fork(dir);
	} else {
		fprintf(stderr, "fault_api: no scenario %s\n", scenario);
		return 2;
	}
	compare_snap(&before, &after, "after every pool was deleted");
	check_dir_empty(dir);
	int nf = atomic_load(&findings);
	if (nf != 0) {
		fprintf(stderr, "fault_api %s: %d finding(s)\n", scenario, nf);
		return 1;
	}
	printf("fault_api %s: ok, %d call(s) failed\n", scenario,
			atomic_load(&failed_calls));
	return 0;
}
