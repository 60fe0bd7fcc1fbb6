/*
 * fsdax_vmmalloc.c -- libvmmalloc with its pool in a directory of a DAX
 * file system. Run by run-vm.sh inside the QEMU guest as
 *
 *   LD_PRELOAD=libvmmalloc.so.1 VMMALLOC_POOL_DIR=/pmem \
 *   VMMALLOC_POOL_SIZE=64M VMMALLOC_FORK=MODE fsdax_vmmalloc
 *
 * (MODE 1, 2 or 3; unset is 1) and checks, one line each, that the process
 * heap is one unnamed file in the directory (found through /proc/self/fd),
 * DAX (statx), VMMALLOC_POOL_SIZE long, mapped MAP_SHARED at a 2 MiB
 * boundary; that its blocks are reserved as the heap is used (st_blocks
 * small at start, growing by a 24 MiB object written, shrinking when it
 * is freed); the malloc family's checks of vmm_checks.h; and fork:
 *  - while 2 threads allocate and free, 4 forks: each child sees the
 *    objects made before the fork, has the heap the mode gives it (1: a
 *    private mapping of the parent's file; 2, 3: its own copy, another
 *    unnamed DAX file in the directory, mapped shared), allocates in it
 *    (also from a thread) and exits 0; the parent's objects stay as they
 *    were, its heap is the same file (mode 1: now mapped private), and
 *    the children's copies give their space back when they exit;
 *  - with the file system filled by another file to half the pool's size
 *    free, one fork: mode 1's child works as before; mode 2's child cannot
 *    have a copy and exits with status 1 after one line "libvmmalloc:
 *    fork: ..." on stderr, and the parent goes on; mode 3's child works on
 *    a private mapping instead (and so does every later child); then,
 *    with room again, one more fork: 1 and 3 private, 2 a copy again.
 * Plain C on the malloc family only: it does not know libvmem.
 */
#include <sched.h>
#include <sys/wait.h>

#include "fsdax.h"
#define WHERE "the pool file"
#include "vmm_checks.h"

static char dir[PATH_MAX];		/* VMMALLOC_POOL_DIR, realpath */
static struct poolfile pf;		/* the pool file */
static unsigned long long pool_ino;	/* its inode */
static int mode = 1;			/* VMMALLOC_FORK */

/* "12.5 MiB" (one of 8 static buffers) */
static const char *
mib(unsigned long long n)
{
	static char bufs[8][32];
	static unsigned next;
	char *b = bufs[next++ % 8];
	snprintf(b, 32, "%.1f MiB", (double)n / MIB);
	return b;
}

static unsigned long long
pool_bytes(void)
{
	struct fileinfo fi;
	return file_info(pf.fd, &fi) == 0 ? fi.bytes : 0;
}

/* one word a page: faults every page in without the cost of a pattern */
static void
touch(unsigned char *p, size_t n)
{
	for (size_t off = 0; off < n; off += 4096)
		p[off] = (unsigned char)(off >> 12);
}

/* ---- the pool file ------------------------------------------------------ */

static bool
find_pool(size_t size)
{
	struct poolfile files[PF_MAX];
	int n = poolfile_list(dir, files, PF_MAX);
	if (!check(n == 1 && strstr(files[0].path, " (deleted)") != NULL,
			"vmmalloc: one unnamed pool file in the directory "
			"(/proc/self/fd)", "expected one descriptor of a deleted "
			"file in %s, got %d (is libvmmalloc preloaded?)", dir, n))
		return false;
	pf = files[0];
	struct fileinfo fi = { 0 };
	bool ok = file_info(pf.fd, &fi) == 0;
	pool_ino = fi.ino;
	size_t want = (size + 4095) / 4096 * 4096;
	check(ok && fi.dax && fi.size == want, "vmmalloc: the pool file is DAX "
			"and VMMALLOC_POOL_SIZE long", "expected DAX and %zu "
			"bytes, got %s and %llu", want, !ok ? strerror(errno) :
			fi.dax ? "DAX" : "not DAX", fi.size);
	struct devmap maps[DM_MAX];
	int nmaps = devmap_find(pf.path, maps, DM_MAX);
	if (!check(nmaps == 1, "vmmalloc: one mapping of the pool file",
			"expected 1 mapping of %s, got %d", pf.path, nmaps))
		return false;
	pool = maps[0];
	size_t len = pool.end - pool.start;
	dm_line("info: pool %#" PRIxPTR "-%#" PRIxPTR " (%s), %s (inode %llu) "
			"in %s (%s), blocks at start %s", pool.start, pool.end,
			human(len), pf.path, pool_ino, dir, fs_name(dir),
			mib(fi.bytes));
	check(len == want && pool.start % (2 * MIB) == 0 &&
			pool.perms[3] == 's', "vmmalloc: mapping shared, "
			"VMMALLOC_POOL_SIZE long, at a 2 MiB boundary", "expected "
			"%zu bytes at a multiple of 2 MiB, \"rw-s\", got %zu at "
			"%#" PRIxPTR ", \"%s\"", want, len, pool.start,
			pool.perms);
	return true;
}

/* the pool file's blocks are reserved as the heap is used */
static void
check_lazy(size_t len)
{
	unsigned long long b0 = pool_bytes();
	size_t n = 24 * MIB;
	unsigned char *p = malloc(n);
	bool in = p != NULL && inside(&pool, p, n);
	if (p != NULL)
		touch(p, n);
	unsigned long long b1 = pool_bytes();
	free(p);
	unsigned long long b2 = pool_bytes();
	dm_line("info: st_blocks of the pool file: %s at start, %s with a "
			"24 MiB object written, %s when it is freed", mib(b0),
			mib(b1), mib(b2));
	check(b0 < len / 2, "vmmalloc: the pool file's blocks at start are "
			"less than half the pool", "expected below %s, got %s",
			mib(len / 2), mib(b0));
	check(in && b1 >= b0 + 22 * MIB, "vmmalloc: a 24 MiB object written: "
			"the blocks grow as much", "expected an object in the "
			"pool and at least %s, got %s and %s", mib(b0 + 22 * MIB),
			in ? "one" : "none", mib(b1));
	check(b2 + 16 * MIB <= b1, "vmmalloc: the object freed: the blocks "
			"shrink by 16 MiB or more", "expected at most %s, got %s",
			mib(b1 - 16 * MIB), mib(b2));
}

/* ---- fork --------------------------------------------------------------- */

/* the heap this process has: "private", "shared copy" or what is wrong */
static bool
heap_is(const char *want, char *why, size_t whylen)
{
	struct mapat m;
	if (map_at(pool.start, &m) != 0) {
		snprintf(why, whylen, "nothing mapped at %#" PRIxPTR,
				pool.start);
		return false;
	}
	size_t dlen = strlen(dir);
	bool in_dir = strncmp(m.path, dir, dlen) == 0 && m.path[dlen] == '/';
	bool whole = m.start == pool.start && m.end == pool.end;
	if (strcmp(want, "private") == 0) {
		/* mode 1: the parent's file, mapped private */
		if (whole && m.perms[3] == 'p' && m.ino == pool_ino)
			return true;
		snprintf(why, whylen, "expected a private mapping of the pool "
				"file (inode %llu) over %#" PRIxPTR "-%#" PRIxPTR
				", got %#" PRIxPTR "-%#" PRIxPTR " %s inode %llu %s",
				pool_ino, pool.start, pool.end, m.start, m.end,
				m.perms, m.ino, m.path);
		return false;
	}
	if (strcmp(want, "same") == 0) {
		/* the parent of modes 2 and 3: its own file, still shared */
		if (whole && m.perms[3] == 's' && m.ino == pool_ino)
			return true;
		snprintf(why, whylen, "expected the shared mapping of the pool "
				"file (inode %llu), got %#" PRIxPTR "-%#" PRIxPTR
				" %s inode %llu %s", pool_ino, m.start, m.end,
				m.perms, m.ino, m.path);
		return false;
	}
	/* "copy": another unnamed file in the directory, shared, DAX */
	if (!whole || m.perms[3] != 's' || m.ino == pool_ino || !in_dir) {
		snprintf(why, whylen, "expected a shared mapping of a copy of "
				"the pool file in the directory over %#" PRIxPTR
				"-%#" PRIxPTR ", got %#" PRIxPTR "-%#" PRIxPTR " %s "
				"inode %llu (the parent's: %llu) %.300s",
				pool.start, pool.end, m.start, m.end, m.perms,
				m.ino, pool_ino, m.path);
		return false;
	}
	struct poolfile files[PF_MAX];
	int n = poolfile_list(dir, files, PF_MAX);
	for (int i = 0; i < n && i < PF_MAX; i++) {
		struct fileinfo fi;
		if (strcmp(files[i].path, m.path) != 0 ||
				file_info(files[i].fd, &fi) != 0)
			continue;
		if (fi.dax)
			return true;
		snprintf(why, whylen, "the copy %s is not DAX", m.path);
		return false;
	}
	snprintf(why, whylen, "no descriptor of the copy %s", m.path);
	return false;
}

static void *
child_thread(void *arg)
{
	struct tally *t = arg;
	for (int i = 0; i < 100; i++) {
		size_t n = (size_t)(i * 101 % 20000) + 16;
		unsigned char *p = malloc(n);
		if (p == NULL || !inside(&pool, p, n)) {
			note(t, "a thread of the child: malloc(%zu) = %p", n,
					(void *)p);
			return NULL;
		}
		pattern(p, n, (unsigned)i);
		if (pattern_differs(p, n, (unsigned)i) != n)
			note(t, "a thread of the child: object changed");
		free(p);
	}
	return NULL;
}

/*
 * In a child: checks (quietly), then one line, and exit status 0 if they
 * passed. heap: what heap_is() should find.
 */
static void
fork_child(const char *what, const char *heap, unsigned char *keep,
		size_t n)
{
	struct tally t = { 0 };
	size_t at = pattern_differs(keep, n, 9);
	if (at != n)
		note(&t, "the 1 MiB object made before the fork differs at "
				"byte %zu", at);
	char why[PATH_MAX + 256];
	if (!heap_is(heap, why, sizeof(why)))
		note(&t, "%s", why);
	pattern(keep, n, 10);	/* the parent must not see this */
	unsigned char *big = malloc(2 * MIB);
	if (big == NULL || !inside(&pool, big, 2 * MIB)) {
		note(&t, "malloc(2 MiB) = %p", (void *)big);
	} else {
		pattern(big, 2 * MIB, 11);
		if (pattern_differs(big, 2 * MIB, 11) != 2 * MIB)
			note(&t, "the child's 2 MiB object changed");
	}
	free(big);
	pthread_t th;
	int e = pthread_create(&th, NULL, child_thread, &t);
	if (e != 0)
		note(&t, "pthread_create: %s", strerror(e));
	else
		pthread_join(th, NULL);
	if (t.bad == 0)
		dm_line("info: %s: the child's heap: %s; it allocates, also "
				"from a thread", what, heap);
	else
		dm_line("info: %s: the child: %s (%d problems)", what, t.msg,
				t.bad);
	exit(t.bad == 0 ? 0 : 1);
}

/* 2 threads that allocate and free until told to stop */
static atomic_int stop_workers;

struct worker {
	unsigned id;
	unsigned long ops;
	struct tally t;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned char *live[16] = { 0 };
	size_t size[16];
	unsigned seed[16];
	uint64_t r = 0x2545F4914F6CDD1DULL * (w->id + 1);
	while (!atomic_load(&stop_workers)) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		unsigned i = (unsigned)(r % 16);
		if (live[i] != NULL) {
			size_t m = size[i] < 65536 ? size[i] : 65536;
			if (pattern_differs(live[i], m, seed[i]) != m)
				note(&w->t, "worker %u: object %p changed",
						w->id, (void *)live[i]);
			free(live[i]);
			live[i] = NULL;
		} else {
			size_t n = (r >> 8) % 64 == 0 ?
				2 * MIB + (r >> 16) % MIB :
				16 + (r >> 16) % 262144;
			live[i] = malloc(n);
			if (live[i] == NULL || !inside(&pool, live[i], n)) {
				note(&w->t, "worker %u: malloc(%zu) = %p",
						w->id, n, (void *)live[i]);
				free(live[i]);
				live[i] = NULL;
				continue;
			}
			size[i] = n;
			seed[i] = (unsigned)(r >> 32);
			pattern(live[i], n < 65536 ? n : 65536, seed[i]);
		}
		w->ops++;
		if (w->ops % 8 == 0)
			sched_yield();
	}
	for (unsigned i = 0; i < 16; i++)
		free(live[i]);
	return NULL;
}

/* fork; the child runs fork_child; returns its wait status, -1 if none */
static int
fork_once(const char *what, const char *heap, unsigned char *keep, size_t n)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		fork_child(what, heap, keep, n);
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

static const char *
status_text(int st)
{
	static char buf[64];
	if (st == -1)
		snprintf(buf, sizeof(buf), "no child");
	else if (WIFEXITED(st))
		snprintf(buf, sizeof(buf), "exit status %d", WEXITSTATUS(st));
	else
		snprintf(buf, sizeof(buf), "signal %d", WTERMSIG(st));
	return buf;
}

#define NFORKS 4

static void
check_fork_threads(unsigned char *keep, size_t n)
{
	const char *child_heap = mode == 1 ? "private" : "copy";
	/* the free space, less what the parent's heap takes meanwhile */
	unsigned long long free0 = fs_free(dir) + pool_bytes();
	struct worker w[2];
	pthread_t th[2];
	int started = 0;
	atomic_store(&stop_workers, 0);
	for (unsigned i = 0; i < 2; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].id = i;
		if (pthread_create(&th[i], NULL, worker_main, &w[i]) == 0)
			started++;
	}
	/* let them get going */
	while (started == 2 && (w[0].ops < 50 || w[1].ops < 50))
		sched_yield();
	int ok = 0;
	char msg[160] = "";
	for (int k = 0; k < NFORKS; k++) {
		char what[64];
		snprintf(what, sizeof(what), "fork %d of %d", k + 1, NFORKS);
		int st = fork_once(what, child_heap, keep, n);
		if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			ok++;
		else if (msg[0] == '\0')
			snprintf(msg, sizeof(msg), "%s: %s", what,
					status_text(st));
	}
	unsigned long ops_at_end[2] = { w[0].ops, w[1].ops };
	atomic_store(&stop_workers, 1);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	dm_line("info: fork: %d forks while 2 threads allocated (%lu and %lu "
			"operations by then)", NFORKS, ops_at_end[0],
			ops_at_end[1]);
	check(started == 2 && ok == NFORKS, "vmmalloc fork with 2 threads "
			"allocating: every child's checks passed, exit 0",
			"%d threads started, %d of %d children passed; the first "
			"failure: %s", started, ok, NFORKS, msg);
	check(w[0].t.bad == 0 && w[1].t.bad == 0, "vmmalloc fork: the "
			"threads' objects kept, their allocations served",
			"%s%s", w[0].t.msg, w[1].t.msg);
	size_t at = pattern_differs(keep, n, 9);
	check(at == n, "vmmalloc fork: the parent's objects unchanged",
			"expected the 1 MiB object as before the forks, byte %zu "
			"differs (a child wrote to the parent's heap)", at);
	char why[PATH_MAX + 256];
	check(heap_is(mode == 1 ? "private" : "same", why, sizeof(why)),
			mode == 1 ? "vmmalloc fork: the parent's heap is its "
			"pool file, mapped private (mode 1)" : "vmmalloc fork: "
			"the parent's heap is its pool file, still shared",
			"%s", why);
	unsigned char *p = malloc(4096);
	check(p != NULL && inside(&pool, p, 4096), "vmmalloc fork: the parent "
			"allocates in its heap", "got %p", (void *)p);
	free(p);
	unsigned long long b1 = pool_bytes();
	unsigned long long free1 = fs_free_reaches(dir, free0 - b1 - 2 * MIB,
			NULL) + b1;
	dm_line("info: fork: the file system's free space and the parent's "
			"pool file's blocks: %s before the forks, %s after (the "
			"pool file %s)", mib(free0), mib(free1), mib(b1));
	check(free1 + 2 * MIB >= free0, "vmmalloc fork: the children's heaps "
			"take no space once they exit", "expected %s free with "
			"the parent's pool, got %s", mib(free0), mib(free1));
}

/* reads what the child wrote on stderr (redirected to path) */
static const char *
slurp(const char *path)
{
	static char buf[2048];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	char *nl = strchr(buf, '\n');
	if (nl != NULL && nl[1] == '\0')
		*nl = '\0';
	return buf;
}

/* fork on a full file system, then with room again */
static void
check_fork_full(unsigned char *keep, size_t n, size_t len)
{
	unsigned long long filled = 0;
	int filler = fs_fill(dir, len / 2, &filled);
	if (!check(filler >= 0, "vmmalloc fork, full: the file system filled "
			"by another file to half the pool free", "could not: %s",
			strerror(errno)))
		return;
	dm_line("info: fork, full: %s filled, %s free (as root), %s for "
			"others", mib(filled), mib(fs_free(dir)),
			mib(fs_avail(dir)));
	const char *errpath = "/tmp/fsdax_vmmalloc.stderr";
	int errfd = open(errpath, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC,
			0600);
	int saved = dup(2);
	if (errfd >= 0 && saved >= 0)
		dup2(errfd, 2);
	int st = fork_once("fork, full", mode == 2 ? "copy" : "private", keep,
			n);
	if (errfd >= 0 && saved >= 0)
		dup2(saved, 2);
	if (saved >= 0)
		close(saved);
	if (errfd >= 0)
		close(errfd);
	const char *err = slurp(errpath);
	if (err[0] != '\0')
		dm_line("info: fork, full: the child's stderr: %s", err);
	if (mode == 2) {
		check(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 1 &&
				strncmp(err, "libvmmalloc: fork:", 18) == 0 &&
				strchr(err, '\n') == NULL, "vmmalloc fork, full "
				"(mode 2): no room for a copy, the child exits 1 "
				"after one line", "expected exit status 1 and one "
				"line \"libvmmalloc: fork: ...\", got %s and "
				"\"%s\"", status_text(st), err);
	} else {
		check(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
				mode == 1 ? "vmmalloc fork, full (mode 1): the "
				"child needs no room, works on a private mapping" :
				"vmmalloc fork, full (mode 3): no room for a copy, "
				"the child works on a private mapping instead",
				"expected exit status 0, got %s", status_text(st));
	}
	size_t at = pattern_differs(keep, n, 9);
	unsigned char *p = malloc(100000);
	check(at == n && p != NULL && inside(&pool, p, 100000), "vmmalloc fork, "
			"full: the parent goes on, its objects unchanged",
			"byte %zu of the 1 MiB object differs, malloc(100000) = "
			"%p", at, (void *)p);
	free(p);
	close(filler);
	(void)fs_free_reaches(dir, filled, NULL);	/* xfs: in the background */

	/* room again: mode 2 copies again, 3 stays private (as 1) */
	st = fork_once("fork, room again", mode == 2 ? "copy" : "private",
			keep, n);
	check(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, mode == 1 ?
			"vmmalloc fork, room again (mode 1): private" : mode == 2 ?
			"vmmalloc fork, room again (mode 2): the child has a "
			"copy again" : "vmmalloc fork, room again (mode 3): the "
			"child stays private, as after the fallback",
			"expected exit status 0, got %s", status_text(st));
	char why[PATH_MAX + 256];
	check(heap_is(mode == 2 ? "same" : "private", why, sizeof(why)),
			mode == 2 ? "vmmalloc fork, full: the parent's heap is "
			"still its file, shared" : "vmmalloc fork, full: the "
			"parent's heap is its file, mapped private", "%s", why);
}

int
main(void)
{
	const char *d = getenv("VMMALLOC_POOL_DIR");
	size_t size = parse_size(getenv("VMMALLOC_POOL_SIZE"));
	const char *m = getenv("VMMALLOC_FORK");
	if (m != NULL)
		mode = atoi(m);
	if (d == NULL || size == 0 || realpath(d, dir) == NULL ||
			mode < 1 || mode > 3) {
		fprintf(stderr, "fsdax_vmmalloc: run with VMMALLOC_POOL_DIR (a "
				"directory), VMMALLOC_POOL_SIZE and VMMALLOC_FORK "
				"1, 2 or 3 (or unset) set\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	dm_line("info: VMMALLOC_FORK=%d", mode);
	if (!find_pool(size))
		return dm_status("fsdax_vmmalloc");
	size_t len = pool.end - pool.start;
	check_lazy(len);
	check_malloc();
	check_calloc_realloc();
	check_aligned();
	check_libc();
	check_thread();
	check_exhaustion(len);

	size_t n = MIB;
	unsigned char *keep = malloc(n);
	if (!check(keep != NULL, "vmmalloc fork: a 1 MiB object before the "
			"forks", "malloc(1 MiB) failed"))
		return dm_status("fsdax_vmmalloc");
	pattern(keep, n, 9);
	check_fork_threads(keep, n);
	check_fork_full(keep, n, len);
	free(keep);
	return dm_status("fsdax_vmmalloc");
}
