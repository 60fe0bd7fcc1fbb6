/*
 * fsdax.h -- shared by the end-to-end programs for a DAX file system
 * (fsdax_e2e.c, fsdax_vmmalloc.c), which run inside the QEMU guest of
 * run-vm.sh in a directory of an ext4 or xfs mounted with -o dax on an
 * emulated NVDIMM: the pool files of the process (unnamed: found through
 * /proc/self/fd), what statx says of them (STATX_ATTR_DAX, blocks), the
 * file system's free space, and filling the file system up.
 *
 * A pool file is made with O_TMPFILE: its link in /proc/self/fd, and its
 * name in /proc/self/maps, read "DIR/#INODE (deleted)".
 *
 * Like devmap.h, nothing here allocates (fsdax_vmmalloc runs with
 * libvmmalloc as its malloc): /proc/self/fd is read with getdents64 into a
 * static buffer. For one thread.
 */
#ifndef FSDAX_H
#define FSDAX_H 1

#include <dirent.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <time.h>

#include "devmap.h"

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX 0x00200000
#endif

/* ---- pool files --------------------------------------------------------- */

struct poolfile {
	int fd;				/* in this process */
	char path[PATH_MAX];		/* its link: "DIR/#12 (deleted)" */
};

#define PF_MAX 8
static char pf_dents[1 << 15];

/*
 * The open files of this process in directory dir (a path without
 * symlinks, as realpath gives it): how many (at most max stored), or -1.
 */
static inline int
poolfile_list(const char *dir, struct poolfile *out, int max)
{
	int dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	size_t dlen = strlen(dir);
	int count = 0;
	for (;;) {
		ssize_t n = getdents64(dfd, pf_dents, sizeof(pf_dents));
		if (n <= 0)
			break;
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(void *)
				(pf_dents + off);
			off += d->d_reclen;
			char *end;
			long fd = strtol(d->d_name, &end, 10);
			if (d->d_name[0] < '0' || d->d_name[0] > '9' ||
					*end != '\0' || fd == dfd)
				continue;
			char link[PATH_MAX];
			ssize_t k = readlinkat(dfd, d->d_name, link,
					sizeof(link) - 1);
			if (k <= 0)
				continue;
			link[k] = '\0';
			if (strncmp(link, dir, dlen) != 0 || link[dlen] != '/')
				continue;
			if (count < max) {
				out[count].fd = (int)fd;
				memcpy(out[count].path, link, (size_t)k + 1);
			}
			count++;
		}
	}
	close(dfd);
	return count;
}

/* ---- the mapping at an address ------------------------------------------ */

struct mapat {
	uintptr_t start, end;
	char perms[5];
	unsigned long long ino;
	char path[PATH_MAX];		/* "" for anonymous memory */
};

/*
 * The line of /proc/self/maps that holds addr: 0, or -1 if there is none
 * (uses devmap.h's buffer).
 */
static inline int
map_at(uintptr_t addr, struct mapat *out)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, dm_buf + len, sizeof(dm_buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (len += (size_t)n) == sizeof(dm_buf) - 1)
			break;
	}
	close(fd);
	dm_buf[len] = '\0';
	for (char *line = dm_buf; *line != '\0';) {
		char *nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		unsigned long start, end;
		unsigned long long off, ino;
		unsigned maj, min;
		int pos = 0;
		if (sscanf(line, "%lx-%lx %4s %llx %x:%x %llu %n", &start, &end,
				out->perms, &off, &maj, &min, &ino, &pos) == 7 &&
				addr >= start && addr < end) {
			out->start = start;
			out->end = end;
			out->ino = ino;
			snprintf(out->path, sizeof(out->path), "%s",
					pos > 0 ? line + pos : "");
			return 0;
		}
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	return -1;
}

/* ---- statx -------------------------------------------------------------- */

struct fileinfo {
	bool dax;			/* STATX_ATTR_DAX set */
	bool dax_known;			/* ... and the kernel reports it */
	unsigned long long size;	/* bytes */
	unsigned long long bytes;	/* blocks allocated, in bytes */
	unsigned long long ino;
};

/* statx of the open file fd; -1 if it fails */
static inline int
file_info(int fd, struct fileinfo *fi)
{
	struct statx stx;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) != 0)
		return -1;
	fi->dax_known = (stx.stx_attributes_mask & STATX_ATTR_DAX) != 0;
	fi->dax = (stx.stx_attributes & STATX_ATTR_DAX) != 0;
	fi->size = stx.stx_size;
	fi->bytes = stx.stx_blocks * 512ULL;
	fi->ino = stx.stx_ino;
	return 0;
}

/* ---- the file system ---------------------------------------------------- */

/*
 * Bytes free in dir's file system, as a process of root sees them
 * (f_bfree: ext4 keeps 5% for root, which posix_fallocate of root can
 * use), after syncfs: xfs frees the blocks of a closed unnamed file in the
 * background, and syncfs waits for that. 0 if it cannot be read.
 */
static inline unsigned long long
fs_free(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)syncfs(fd);
		close(fd);
	}
	struct statvfs sv;
	if (statvfs(dir, &sv) != 0)
		return 0;
	return (unsigned long long)sv.f_bfree * sv.f_frsize;
}

/*
 * fs_free() once it has reached want, waiting up to 10 s for it: xfs
 * frees the blocks of a closed unnamed file in the background (inode
 * inactivation, Linux 5.15 and later), and syncfs does not wait for that.
 * Returns the last value read; *waited (if not NULL): the seconds it took.
 */
static inline unsigned long long
fs_free_reaches(const char *dir, unsigned long long want, double *waited)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned long long f;
	for (int i = 0; (f = fs_free(dir)) < want && i < 200; i++) {
		struct timespec pause = { 0, 50 * 1000 * 1000 };
		nanosleep(&pause, NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (waited != NULL)
		*waited = (double)(t1.tv_sec - t0.tv_sec) +
			(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return f;
}

/* the same as an unprivileged process sees it (f_bavail) */
static inline unsigned long long
fs_avail(const char *dir)
{
	struct statvfs sv;
	if (statvfs(dir, &sv) != 0)
		return 0;
	return (unsigned long long)sv.f_bavail * sv.f_frsize;
}

static inline unsigned long long
fs_size(const char *dir)
{
	struct statvfs sv;
	if (statvfs(dir, &sv) != 0)
		return 0;
	return (unsigned long long)sv.f_blocks * sv.f_frsize;
}

/* "ext4", "xfs" or "?" */
static inline const char *
fs_name(const char *dir)
{
	struct statfs fs;
	if (statfs(dir, &fs) != 0)
		return "?";
	switch ((unsigned long)fs.f_type) {
	case 0xEF53: return "ext4";
	case 0x58465342: return "xfs";
	default: return "?";
	}
}

/*
 * Fills dir's file system: an unnamed file (O_TMPFILE) in dir grown with
 * posix_fallocate, in steps from 64 MiB down to 4 KiB, until not even
 * 4 KiB more fits; then, if leave is not 0, a hole of leave bytes is
 * punched at its start, so that exactly that much is free. Returns the
 * file's descriptor (closing it frees the space), or -1 (errno set).
 * *filled: the bytes it took.
 */
static inline int
fs_fill(const char *dir, size_t leave, unsigned long long *filled)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	static const off_t steps[] = {
		64 << 20, 8 << 20, 1 << 20, 128 << 10, 16 << 10, 4 << 10,
	};
	off_t end = 0;
	for (size_t i = 0; i < sizeof(steps) / sizeof(*steps); i++)
		while (posix_fallocate(fd, end, steps[i]) == 0)
			end += steps[i];
	*filled = (unsigned long long)end;
	if (leave != 0) {
		if ((off_t)leave > end || fallocate(fd, FALLOC_FL_PUNCH_HOLE |
				FALLOC_FL_KEEP_SIZE, 0, (off_t)leave) != 0) {
			int e = errno;
			close(fd);
			errno = (off_t)leave > end ? ENOSPC : e;
			return -1;
		}
		*filled -= leave;
	}
	return fd;
}

#endif /* FSDAX_H */
