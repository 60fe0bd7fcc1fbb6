/*
 * poolmap.h -- shared by the libvmmalloc test programs (inpool.c,
 * deepbind.c, linked_basic.c): finds the pool in /proc/self/maps and
 * counts failed checks.
 *
 * The pool is a MAP_SHARED mapping of an unnamed file in VMMALLOC_POOL_DIR.
 * An O_TMPFILE file shows in /proc/PID/maps as "<dir>/#<inode> (deleted)"
 * on tmpfs and on ext4 alike; a mkstemp+unlink fallback would show
 * "<dir>/<name> (deleted)". So a pool line is any mapping whose path is
 * <realpath of VMMALLOC_POOL_DIR>/<one component, no '/'> followed by
 * " (deleted)". The pool may show as several adjacent lines (if parts
 * have different protections); they must all be of one file (same device
 * and inode) and contiguous. Two different files in the directory mapped at
 * once is a failure: this process must have exactly one pool.
 *
 * Nothing here allocates: /proc/self/maps is read with read(2) into a
 * static buffer, so looking does not change what is looked at.
 */
#ifndef POOLMAP_H
#define POOLMAP_H 1

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/vfs.h>
#include <linux/magic.h>

struct poolmap {
	uintptr_t start, end;		/* [start, end) of the whole pool */
	unsigned long long ino;		/* inode of the pool file */
	unsigned dev_major, dev_minor;
	char perms[5];			/* of the first line: "rw-s", "rw-p" */
	int nlines;			/* lines of /proc/self/maps it spans */
	char path[PATH_MAX + 32];	/* as /proc/self/maps shows it */
};

/* checks made and failed in this process (threads included) */
static atomic_int pm_checks;
static atomic_int pm_failures;

/*
 * CHECK(cond, fmt, ...): counts a check; if cond is false, reports it
 * (file, line, the message) and counts a failure. Returns cond.
 */
#define CHECK(cond, ...) pm_check((cond), __FILE__, __LINE__, #cond, __VA_ARGS__)

static inline bool
pm_check(bool ok, const char *file, int line, const char *cond,
		const char *fmt, ...)
{
	atomic_fetch_add(&pm_checks, 1);
	if (ok)
		return true;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* one write per line: lines of threads and processes do not mix */
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "FAIL [pid %d] %s:%d: %s (%s)\n",
			(int)getpid(), file, line, msg, cond);
	if (n > (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 1;
	if (write(STDERR_FILENO, buf, (size_t)n) < 0) {
		/* nothing better to do */
	}
	atomic_fetch_add(&pm_failures, 1);
	return false;
}

static char pm_maps[1 << 20];

/* the canonical pool directory (realpath of VMMALLOC_POOL_DIR) or NULL */
static inline const char *
pm_pool_dir(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("VMMALLOC_POOL_DIR");
	if (env == NULL || realpath(env, dir) == NULL)
		return NULL;
	return dir;
}

/* reads /proc/self/maps whole into pm_maps; returns its length or -1 */
static inline ssize_t
pm_read_maps(void)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, pm_maps + len, sizeof(pm_maps) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == sizeof(pm_maps) - 1)
			break;
	}
	close(fd);
	pm_maps[len] = '\0';
	return (ssize_t)len;
}

/*
 * Finds the pool mapping. Returns true and fills *pm, or false with the
 * reason in why[] (no line, two files, a gap between the lines).
 */
static inline bool
poolmap_find(struct poolmap *pm, char *why, size_t whylen)
{
	const char *dir = pm_pool_dir();
	if (dir == NULL) {
		snprintf(why, whylen, "VMMALLOC_POOL_DIR unset or unresolvable");
		return false;
	}
	size_t dirlen = strlen(dir);
	if (pm_read_maps() < 0) {
		snprintf(why, whylen, "cannot read /proc/self/maps");
		return false;
	}
	memset(pm, 0, sizeof(*pm));
	for (char *line = pm_maps; *line != '\0';) {
		char *nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		unsigned long start, end, off;
		unsigned maj, min;
		unsigned long long ino;
		char perms[5];
		int pathpos = 0;
		if (sscanf(line, "%lx-%lx %4s %lx %x:%x %llu %n", &start, &end,
				perms, &off, &maj, &min, &ino, &pathpos) == 7 &&
				pathpos > 0) {
			const char *path = line + pathpos;
			const char *rest = path + dirlen;
			const char *del = strstr(path, " (deleted)");
			if (strncmp(path, dir, dirlen) == 0 && rest[0] == '/' &&
					del != NULL && del[10] == '\0' &&
					memchr(rest + 1, '/',
						(size_t)(del - rest - 1)) == NULL) {
				if (pm->nlines == 0) {
					pm->start = start;
					pm->end = end;
					pm->ino = ino;
					pm->dev_major = maj;
					pm->dev_minor = min;
					memcpy(pm->perms, perms, sizeof(perms));
					snprintf(pm->path, sizeof(pm->path),
							"%s", path);
				} else if (ino != pm->ino || maj != pm->dev_major ||
						min != pm->dev_minor) {
					snprintf(why, whylen, "two files of the pool "
							"directory mapped: '%.200s' and '%.200s'",
							pm->path, path);
					return false;
				} else if (start != pm->end) {
					snprintf(why, whylen, "the pool file is "
							"mapped in pieces with a gap at "
							"%#lx", (unsigned long)pm->end);
					return false;
				} else {
					pm->end = end;
				}
				pm->nlines++;
			}
		}
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	if (pm->nlines == 0) {
		snprintf(why, whylen, "no mapping of a file in %.200s in "
				"/proc/self/maps", dir);
		return false;
	}
	return true;
}

/* true if [p, p + n) lies in the pool */
static inline bool
in_pool(const struct poolmap *pm, const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p;
	return p != NULL && a >= pm->start && a < pm->end &&
		n <= pm->end - a;
}

/*
 * Parses a size the way VMMALLOC_POOL_SIZE is specified: digits, then
 * optionally K, M or G (powers of 1024). Returns 0 when unparsable.
 */
static inline size_t
pm_parse_size(const char *s)
{
	if (s == NULL)
		return 0;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	if (errno != 0 || end == s || s[0] == '-')
		return 0;
	unsigned shift = 0;
	switch (*end) {
	case '\0': break;
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	default: return 0;
	}
	if (*end != '\0' || n > (SIZE_MAX >> shift))
		return 0;
	return (size_t)n << shift;
}

/* the pool size the mapping must have: VMMALLOC_POOL_SIZE up to a page */
static inline size_t
pm_expected_size(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct statfs fs;
	const char *dir = getenv("VMMALLOC_POOL_DIR");
	/* a hugetlbfs's pool is a whole number of its huge pages */
	if (dir != NULL && statfs(dir, &fs) == 0 &&
			fs.f_type == HUGETLBFS_MAGIC)
		page = (size_t)fs.f_bsize;
	size_t n = pm_parse_size(getenv("VMMALLOC_POOL_SIZE"));
	return (n + page - 1) / page * page;
}

/* exit status of a test program: 0 if every check held */
static inline int
pm_status(const char *prog)
{
	int f = atomic_load(&pm_failures);
	printf("%s: %d checks, %d failed\n", prog, atomic_load(&pm_checks), f);
	fflush(stdout);
	return f == 0 ? 0 : 1;
}

#endif /* poolmap.h */
