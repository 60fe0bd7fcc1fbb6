/*
 * backing_fork.c -- what libvmmalloc does to its pool around fork():
 * remap its file private (VMMALLOC_FORK=1), give the child a copy of the
 * file (VMMALLOC_FORK=2), or, for a device DAX, a copy in anonymous
 * memory at the same address.
 *
 * Runs inside the fork handlers, with every allocator lock held, so it
 * calls nothing that allocates. The copy keeps the pool's guarantee that
 * its whole size is reserved (so the child never meets SIGBUS); the caller
 * copies the ranges that matter (what the pool uses), with
 * copy_file_range so that file systems that share blocks between files
 * (XFS, btrfs) do; the
 * read/write fallback goes through a static buffer, which the fork
 * handlers' registry lock keeps to one thread at a time. A pool file on
 * a DAX file system is copied with read and write only: blocks shared
 * between two DAX files (an XFS reflink) make Linux 6.1 warn at the next
 * page fault, then hang or oops (seen in test/dax's fsdax-xfs-reflink).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/stat.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dax/dax.h"

int
backing_remap_private(backing_t *b)
{
	if (b->kind != BACKING_FILE) {
		errno = ENOTSUP;
		return -1;
	}
	if (b->private_map)
		return 0;
	void *p = VM_SYS("mmap", ENOMEM, MAP_FAILED, mmap(b->addr, b->size,
			PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, b->fd, 0));
	if (p == MAP_FAILED)
		return -1;
	b->private_map = true;
	backing_advise(b);	/* as backing.c maps */
	return 0;
}

/* true if the file fd is mapped with DAX (statx, Linux 5.8 on) */
static bool
file_is_dax(int fd)
{
#ifdef STATX_ATTR_DAX
	struct statx stx;
	return statx(fd, "", AT_EMPTY_PATH, 0, &stx) == 0 &&
			(stx.stx_attributes_mask & STATX_ATTR_DAX) &&
			(stx.stx_attributes & STATX_ATTR_DAX);
#else
	(void)fd;
	return false;
#endif
}

/* copies [off, off + len) of src to the same place in dst; -1 with errno
 * set (EIO for a copy that stops short: the file ended, a short write) */
static int
copy_range(int src, int dst, off_t off, size_t len)
{
	static char buf[1 << 16];
	off_t in = off, out = off;
	bool plain = file_is_dax(src);	/* never share DAX blocks */
	while (len > 0) {
		ssize_t n;
		if (!plain) {
			n = VM_SYS("copy_file_range", EIO, -1,
					copy_file_range(src, &in, dst, &out, len, 0));
			if (n < 0 && (errno == EXDEV || errno == ENOSYS ||
					errno == EOPNOTSUPP || errno == EINVAL)) {
				plain = true;
				continue;
			}
		} else {
			size_t chunk = len < sizeof(buf) ? len : sizeof(buf);
			n = VM_SYS("pread", EIO, -1, pread(src, buf, chunk, in));
			if (n > 0) {
				ssize_t w = pwrite(dst, buf, (size_t)n, out);
				if (w != n) {
					if (w >= 0)
						errno = EIO;
					return -1;
				}
				in += n;
				out += n;
			}
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EIO;	/* the source ended before len */
		if (n <= 0)
			return -1;
		len -= (size_t)n;
	}
	return 0;
}

int
backing_copy_create(const backing_t *b, const char *dir)
{
	if (b->kind != BACKING_FILE) {
		errno = ENOTSUP;
		return -1;
	}
	int fd = backing_open_tmpfile(dir);
	if (fd < 0)
		return -1;
	int e = backing_fallocate(fd, 0, b->size);
	if (e != 0) {
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int
backing_copy_range(const backing_t *b, int fd, size_t off, size_t len)
{
	if (off > b->size || len > b->size - off) {
		errno = EINVAL;
		return -1;
	}
	return copy_range(b->fd, fd, (off_t)off, len);
}

int
backing_adopt_file(backing_t *b, int fd)
{
	void *p = VM_SYS("mmap", ENOMEM, MAP_FAILED, mmap(b->addr, b->size,
			PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0));
	if (p == MAP_FAILED)
		return -1;
	close(b->fd);
	b->fd = fd;
	b->private_map = false;
	b->owner = getpid();
	backing_advise(b);
	return 0;
}

void
backing_copy_close(int fd)
{
	close(fd);
}

void *
backing_anon_create(const backing_t *b)
{
	void *p = VM_SYS("mmap", ENOMEM, MAP_FAILED, mmap(NULL, b->size,
			PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
	return p != MAP_FAILED ? p : NULL;
}

void
backing_anon_destroy(const backing_t *b, void *copy)
{
	munmap(copy, b->size);
}

int
backing_anon_adopt(backing_t *b, void *copy)
{
	void *p = VM_SYS("mremap", ENOMEM, MAP_FAILED, mremap(copy, b->size,
			b->size, MREMAP_MAYMOVE | MREMAP_FIXED, b->addr));
	if (p == MAP_FAILED)
		return -1;
	close(b->fd);
	b->fd = -1;
	b->kind = BACKING_REGION;	/* plain memory from now on */
	return 0;
}
