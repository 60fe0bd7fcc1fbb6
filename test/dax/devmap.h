/*
 * devmap.h -- shared by the device DAX end-to-end programs (dax_e2e.c,
 * dax_vmmalloc.c), which run inside the QEMU guest of run-vm.sh: reporting
 * one line per check, the geometry of a device DAX from sysfs, and the
 * mapping of the device in /proc/self/maps.
 *
 * A device DAX mapping shows in /proc/self/maps with the device's own path
 * ("/dev/dax0.0") and the device's inode; a pool may show as several
 * adjacent lines (parts with different protections), which are merged here
 * when they are contiguous and of the same inode.
 *
 * Nothing here allocates after start-up: /proc/self/maps is read with
 * read(2) into a static buffer, so looking does not change what is looked
 * at (dax_vmmalloc runs with libvmmalloc as its malloc).
 * Thread safety: the check counters are atomic; the rest is for one thread.
 */
#ifndef DEVMAP_H
#define DEVMAP_H 1

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MIB ((size_t)1 << 20)

/* ---- reporting ---------------------------------------------------------- */

static atomic_int dm_passed;
static atomic_int dm_failed;

/* one line, written at once (lines of threads and children do not mix) */
static inline void
dm_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void
dm_line(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	fflush(stdout);
	if (write(STDOUT_FILENO, buf, (size_t)n) < 0) {
		/* nothing better to do */
	}
}

/*
 * check(ok, name, fmt, ...): prints "PASS name" or "FAIL name: <message>",
 * where the message should say what was expected and what came instead.
 * Returns ok.
 */
static inline bool
check(bool ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline bool
check(bool ok, const char *name, const char *fmt, ...)
{
	if (ok) {
		atomic_fetch_add(&dm_passed, 1);
		dm_line("PASS %s", name);
		return true;
	}
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	atomic_fetch_add(&dm_failed, 1);
	dm_line("FAIL %s: %s", name, msg);
	return false;
}

/* a check that cannot be made because an earlier one failed */
static inline void
skip(const char *name, const char *why)
{
	atomic_fetch_add(&dm_failed, 1);
	dm_line("FAIL %s: not checked, %s", name, why);
}

/* exit status of the program: 0 if every check passed */
static inline int
dm_status(const char *prog)
{
	int f = atomic_load(&dm_failed);
	dm_line("%s: %d passed, %d failed", prog, atomic_load(&dm_passed), f);
	return f == 0 ? 0 : 1;
}

/* the symbolic name of the errno values the checks meet */
static inline const char *
errname(int e)
{
	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case EBADF: return "EBADF";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case ERANGE: return "ERANGE";
	case ENOSYS: return "ENOSYS";
	case ENOTSUP: return "ENOTSUP";
	case EOVERFLOW: return "EOVERFLOW";
	default: {
		static char buf[32];
		snprintf(buf, sizeof(buf), "errno %d", e);
		return buf;
	}
	}
}

/* sizes as "64 MiB", "4 KiB" or "12345 B" (one of 4 static buffers) */
static inline const char *
human(size_t n)
{
	static char bufs[4][32];
	static unsigned next;
	char *b = bufs[next++ % 4];
	if (n != 0 && n % MIB == 0)
		snprintf(b, 32, "%zu MiB", n / MIB);
	else if (n != 0 && n % 1024 == 0)
		snprintf(b, 32, "%zu KiB", n / 1024);
	else
		snprintf(b, 32, "%zu B", n);
	return b;
}

/* ---- the device in sysfs ------------------------------------------------ */

/* reads an unsigned number (decimal or 0x hex) from a sysfs file; -1 if not */
static inline int
read_number(const char *path, unsigned long long *out)
{
	char buf[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *end;
	errno = 0;
	unsigned long long v = strtoull(buf, &end, 0);
	if (errno != 0 || end == buf || (*end != '\0' && *end != '\n'))
		return -1;
	*out = v;
	return 0;
}

struct devgeo {
	char path[PATH_MAX];		/* the device, with symlinks resolved */
	unsigned maj, min;
	size_t size;			/* /sys/dev/char/MAJ:MIN/size */
	size_t align;			/* .../align or .../device/dax_region/align */
	char align_from[PATH_MAX + 32];	/* where align was read */
};

/*
 * Fills g for the device DAX at path. Returns 0, or -1 with the reason in
 * why[] (no such character device, no size or alignment in sysfs).
 */
static inline int
devgeo_read(const char *path, struct devgeo *g, char *why, size_t whylen)
{
	memset(g, 0, sizeof(*g));
	struct stat st;
	if (realpath(path, g->path) == NULL || stat(g->path, &st) != 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISCHR(st.st_mode)) {
		snprintf(why, whylen, "%s is not a character device", path);
		return -1;
	}
	g->maj = major(st.st_rdev);
	g->min = minor(st.st_rdev);
	char attr[PATH_MAX + 32];
	unsigned long long v;
	snprintf(attr, sizeof(attr), "/sys/dev/char/%u:%u/size", g->maj,
			g->min);
	if (read_number(attr, &v) != 0 || v == 0) {
		snprintf(why, whylen, "no device size in %s", attr);
		return -1;
	}
	g->size = (size_t)v;
	static const char *const align_attrs[] = {
		"align", "device/dax_region/align",
	};
	for (size_t i = 0; i < sizeof(align_attrs) / sizeof(*align_attrs);
			i++) {
		snprintf(attr, sizeof(attr), "/sys/dev/char/%u:%u/%s", g->maj,
				g->min, align_attrs[i]);
		if (read_number(attr, &v) == 0 && v != 0 &&
				(v & (v - 1)) == 0) {
			g->align = (size_t)v;
			snprintf(g->align_from, sizeof(g->align_from), "%s",
					attr);
			return 0;
		}
	}
	snprintf(why, whylen, "no alignment in /sys/dev/char/%u:%u/align or "
			".../device/dax_region/align", g->maj, g->min);
	return -1;
}

/* ---- the device in /proc/self/maps -------------------------------------- */

struct devmap {
	uintptr_t start, end;		/* [start, end) of one mapping */
	unsigned long long off;		/* file offset of start */
	char perms[5];			/* of its first line: "rw-s" */
	int nlines;			/* lines of /proc/self/maps it spans */
};

#define DM_MAX 8
static char dm_buf[1 << 20];

/*
 * Finds the mappings of the file at path (an exact path as the kernel
 * prints it) in /proc/self/maps, adjacent lines of one mapping merged.
 * Returns how many (at most max; more are counted but not stored), or -1
 * if /proc/self/maps cannot be read.
 */
static inline int
devmap_find(const char *path, struct devmap *maps, int max)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, dm_buf + len, sizeof(dm_buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == sizeof(dm_buf) - 1)
			break;
	}
	close(fd);
	dm_buf[len] = '\0';
	int count = 0;
	struct devmap last = { 0 };
	unsigned long long last_ino = 0;
	for (char *line = dm_buf; *line != '\0';) {
		char *nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		unsigned long start, end;
		unsigned long long off, ino;
		unsigned maj, min;
		char perms[5];
		int pos = 0;
		if (sscanf(line, "%lx-%lx %4s %llx %x:%x %llu %n", &start, &end,
				perms, &off, &maj, &min, &ino, &pos) == 7 &&
				pos > 0 && strcmp(line + pos, path) == 0) {
			bool joins = count > 0 && start == last.end &&
				ino == last_ino &&
				off == last.off + (last.end - last.start);
			if (joins) {
				last.end = end;
				last.nlines++;
			} else {
				last = (struct devmap){ .start = start,
					.end = end, .off = off, .nlines = 1 };
				memcpy(last.perms, perms, sizeof(perms));
				last_ino = ino;
				count++;
			}
			if (count <= max)
				maps[count - 1] = last;
		}
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	return count;
}

/* true if [p, p + n) lies inside m */
static inline bool
inside(const struct devmap *m, const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p;
	return p != NULL && a >= m->start && a < m->end && n <= m->end - a;
}

#endif /* DEVMAP_H */
