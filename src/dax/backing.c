/*
 * backing.c -- pool files: create, reserve, map, unmap (see dax.h).
 *
 * Owns the file descriptor and the mapping of a file-backed pool. The file
 * never has a name in the directory, so its space goes back to the file
 * system when the mapping and the descriptor are gone, even if the process
 * dies.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include "dax/dax.h"

int
backing_open_tmpfile(const char *dir)
{
	int fd = VM_SYS("open", EMFILE, -1, open(dir,
			O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600));
	if (fd >= 0 || errno != EOPNOTSUPP)
		return fd;
	/* the file system has no O_TMPFILE: a named file, unlinked at once */
	char path[4096];
	int n = vm_fmt(path, sizeof(path), "%s/.vmem.XXXXXX", dir);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = VM_SYS("open", EMFILE, -1, mkostemp(path, O_CLOEXEC));
	if (fd < 0)
		return -1;
	(void)unlink(path);
	return fd;
}

/*
 * 0 if a file may reach end bytes under the process's RLIMIT_FSIZE, else
 * EFBIG. Going past the limit raises SIGXFSZ, which kills a process that
 * has not set it aside: every call that may grow a pool file asks first.
 */
static int
fsize_allows(uint64_t end)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	return end <= (uint64_t)rl.rlim_cur ? 0 : EFBIG;
}

/*
 * Sets the size of the new pool file fd without reserving its blocks,
 * after checking that its file system (fs, NULL if unknown) has that much
 * free now. Returns 0, or an errno value.
 */
static int
size_sparse(int fd, size_t size, const struct statfs *fs)
{
	/* a hugetlbfs mounted without size= counts no blocks: its limit is
	 * the system's free huge pages, met when a chunk is reserved */
	if (fs != NULL && !(fs->f_type == HUGETLBFS_MAGIC && fs->f_blocks == 0)) {
		uint64_t unit = (uint64_t)(fs->f_frsize ? fs->f_frsize :
				fs->f_bsize);
		if ((uint64_t)fs->f_bavail * unit < (uint64_t)size)
			return ENOSPC;
	}
	int e = fsize_allows(size);
	if (e != 0)
		return e;
	return VM_SYS("ftruncate", EIO, -1, ftruncate(fd, (off_t)size)) == 0 ?
			0 : errno;
}

int
backing_fallocate(int fd, size_t off, size_t len)
{
	int e = fsize_allows((uint64_t)off + len);
	return e != 0 ? e : VM_SYS_ERRNO("fallocate", ENOSPC,
			posix_fallocate(fd, (off_t)off, (off_t)len));
}

void *
backing_map_aligned(int fd, size_t len, size_t align)
{
	/* reserve room to slide into, then map over the aligned part */
	size_t span = len + align;
	char *area = span < len ? MAP_FAILED : VM_SYS("mmap", ENOMEM,
			MAP_FAILED, mmap(NULL, span, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
	if (area == MAP_FAILED)
		return MAP_FAILED;
	char *start = (char *)VM_ALIGN_UP((uintptr_t)area, align);
	void *p = VM_SYS("mmap", ENOMEM, MAP_FAILED, mmap(start, len,
			PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0));
	if (p == MAP_FAILED) {
		int e = errno;
		munmap(area, span);
		errno = e;
		return MAP_FAILED;
	}
	if (start > area)
		munmap(area, (size_t)(start - area));
	char *end = start + len;
	if (end < area + span)
		munmap(end, (size_t)(area + span - end));
	return start;
}

/*
 * Maps size bytes of the pool file fd shared at a multiple of
 * BACKING_MAP_ALIGN, so that a backing with 2 MiB pages (a tmpfs mounted
 * with huge=, a DAX file system) can map the pool with them (see
 * backing_advise); unaligned if the room for the alignment cannot be had.
 */
static void *
map_pool_file(int fd, size_t size)
{
	void *addr = backing_map_aligned(fd, size, BACKING_MAP_ALIGN);
	if (addr == MAP_FAILED)
		addr = VM_SYS("mmap", ENOMEM, MAP_FAILED, mmap(NULL, size,
				PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	return addr;
}

void
backing_advise(const backing_t *b)
{
	/* (a hugetlbfs mapping refuses the advice: it has its huge pages) */
	if (b->kind == BACKING_FILE && b->in_memory)
		(void)madvise(b->addr, b->size, MADV_HUGEPAGE);
}

/*
 * The page size of the file system of fd (fs, NULL if unknown) that a
 * pool file there is a multiple of: the system's, or a hugetlbfs's huge
 * page, which must be a chunk (2 MiB: decommitting a chunk must free
 * whole pages). 0 (message and errno set) for any other huge page size.
 */
static size_t
file_page(const struct statfs *fs, const char *dir)
{
	long sys_page = sysconf(_SC_PAGESIZE);
	size_t page = sys_page > 0 ? (size_t)sys_page : VM_PAGE;
	if (page < VM_PAGE)
		page = VM_PAGE;
	if (fs == NULL || fs->f_type != HUGETLBFS_MAGIC)
		return page;
	if ((size_t)fs->f_bsize == BACKING_MAP_ALIGN)
		return BACKING_MAP_ALIGN;
	vm_err("%s is a hugetlbfs of %zu-byte pages: a pool needs 2 MiB "
			"pages (mount it with pagesize=2M)", dir,
			(size_t)fs->f_bsize);
	errno = EINVAL;
	return 0;
}

int
backing_file_create(backing_t *b, const char *dir, size_t size, bool lazy)
{
	int fd = backing_open_tmpfile(dir);
	if (fd < 0) {
		int e = errno;
		vm_err("cannot create a pool file in %s: %s", dir,
				vm_strerror(e));
		errno = e;
		return -1;
	}
	struct statfs fs;
	bool have_fs = VM_SYS("fstatfs", EIO, -1, fstatfs(fd, &fs)) == 0;
	size_t page = file_page(have_fs ? &fs : NULL, dir);
	if (page != 0 && size > SIZE_MAX - page) {
		vm_err("size %zu too large", size);
		errno = EINVAL;
		page = 0;
	}
	if (page == 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	size = VM_ALIGN_UP(size, page);
	int e = lazy ? size_sparse(fd, size, have_fs ? &fs : NULL) :
			backing_fallocate(fd, 0, size);
	if (e != 0) {
		close(fd);
		vm_err("cannot reserve %zu bytes in %s: %s", size, dir,
				vm_strerror(e));
		errno = e;
		return -1;
	}
	void *addr = map_pool_file(fd, size);
	if (addr == MAP_FAILED) {
		e = errno;
		close(fd);
		vm_err("cannot map the pool file: %s", vm_strerror(e));
		errno = e;
		return -1;
	}
	b->kind = BACKING_FILE;
	b->private_map = false;
	b->in_memory = have_fs && (fs.f_type == TMPFS_MAGIC ||
			fs.f_type == HUGETLBFS_MAGIC);
	b->align = 0;
	b->owner = getpid();
	b->fd = fd;
	b->addr = addr;
	b->size = size;
	backing_advise(b);
	return 0;
}

int
backing_decommit(const backing_t *b, size_t off, size_t len)
{
	switch (b->kind) {
	case BACKING_FILE:
		if (b->private_map)	/* children may still read the file */
			return VM_SYS("madvise", EAGAIN, -1,
					madvise((char *)b->addr + off, len,
					MADV_DONTNEED));
		return VM_SYS("punch", EIO, -1, fallocate(b->fd,
				FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				(off_t)off, (off_t)len));
	case BACKING_REGION:
		return VM_SYS("madvise", EAGAIN, -1,
				madvise((char *)b->addr + off, len,
				MADV_DONTNEED));
	case BACKING_DEVDAX:
		break;	/* no page cache, nothing to give back */
	}
	errno = ENOTSUP;
	return -1;
}

int
backing_commit(const backing_t *b, size_t off, size_t len)
{
	if (b->kind != BACKING_FILE || b->private_map)
		return 0;
	int e = backing_fallocate(b->fd, off, len);
	if (e != 0) {
		errno = e;
		return -1;
	}
	return 0;
}

void
backing_prefault(const backing_t *b, size_t off, size_t len)
{
#ifdef MADV_POPULATE_WRITE
	if (b->kind == BACKING_FILE && b->in_memory && !b->private_map)
		(void)madvise((char *)b->addr + off, len, MADV_POPULATE_WRITE);
#else
	(void)b, (void)off, (void)len;
#endif
}

bool
backing_is_own(const backing_t *b)
{
	return b->kind == BACKING_REGION || b->private_map ||
			b->owner == getpid();
}

void
backing_destroy(backing_t *b)
{
	if (b->kind == BACKING_REGION)
		return;
	munmap(b->addr, b->size);
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

const char *
backing_kind_name(enum backing_kind_e kind)
{
	switch (kind) {
	case BACKING_REGION:
		return "region";
	case BACKING_FILE:
		return "file";
	case BACKING_DEVDAX:
		return "device DAX";
	}
	return "?";
}
