/*
 * devdax.c -- device DAX: recognising one, reading its geometry, and
 * mapping it as a pool (see dax.h).
 *
 * A character device is a device DAX when /sys/dev/char/MAJ:MIN/subsystem
 * is a link whose last component is "dax"; its size and alignment come
 * from libdaxctl (daxctl.c) or, without it, from the attributes there
 * that libdaxctl reads too. The device has no
 * page cache: nothing is ever msync'ed, and freed memory is not given
 * back. A pool holds an exclusive flock on the device for its lifetime.
 * Owns no state.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "libvmem.h"
#include "dax/dax.h"

int
devdax_is_dax(const char *sysfs_root, const struct stat *st)
{
	if (!S_ISCHR(st->st_mode))
		return 0;
	char path[PATH_MAX], target[PATH_MAX];
	int n = vm_fmt(path, sizeof(path), "%s/dev/char/%u:%u/subsystem",
			sysfs_root, major(st->st_rdev), minor(st->st_rdev));
	if (n < 0 || (size_t)n >= sizeof(path))
		return 0;
	ssize_t len = VM_SYS("readlink", EIO, -1, readlink(path, target,
			sizeof(target) - 1));
	if (len < 0)
		return 0;
	target[len] = '\0';
	const char *last = strrchr(target, '/');
	last = last != NULL ? last + 1 : target;
	return strcmp(last, "dax") == 0;
}

/* the number in the sysfs attribute file path (decimal, or 0x hex) */
static int
read_number(const char *path, size_t *value)
{
	int fd = VM_SYS("open", EMFILE, -1, open(path, O_RDONLY | O_CLOEXEC));
	if (fd < 0)
		return -1;
	char buf[64];
	ssize_t n = VM_SYS("read", EIO, -1, read(fd, buf, sizeof(buf) - 1));
	close(fd);
	if (n <= 0) {
		errno = EINVAL;
		return -1;
	}
	buf[n] = '\0';
	const char *p = buf;
	unsigned base = 10;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	size_t v = 0;
	bool digits = false;
	for (;; p++) {
		unsigned d;
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			break;
		if (__builtin_mul_overflow(v, base, &v) ||
				__builtin_add_overflow(v, d, &v)) {
			errno = ERANGE;
			return -1;
		}
		digits = true;
	}
	if (!digits || (*p != '\n' && *p != '\0')) {
		errno = EINVAL;
		return -1;
	}
	*value = v;
	return 0;
}

int
devdax_geometry(const char *sysfs_root, const struct stat *st, size_t *size,
		size_t *align)
{
	char dir[PATH_MAX], path[PATH_MAX];
	vm_fmt(dir, sizeof(dir), "%s/dev/char/%u:%u", sysfs_root,
			major(st->st_rdev), minor(st->st_rdev));
	vm_fmt(path, sizeof(path), "%s/size", dir);
	if (read_number(path, size) != 0) {
		int e = errno;
		vm_err("cannot read the size of the device DAX (%s): %s", path,
				vm_strerror(e));
		errno = EINVAL;
		return -1;
	}
	vm_fmt(path, sizeof(path), "%s/align", dir);
	if (read_number(path, align) != 0) {
		vm_fmt(path, sizeof(path), "%s/device/dax_region/align", dir);
		if (read_number(path, align) != 0) {
			int e = errno;
			vm_err("cannot read the alignment of the device DAX "
					"(%s): %s", path, vm_strerror(e));
			errno = EINVAL;
			return -1;
		}
	}
	if (*align < VM_PAGE || (*align & (*align - 1)) != 0) {
		vm_err("device DAX alignment %zu is not a power of two of at "
				"least %zu", *align, VM_PAGE);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
backing_devdax_create(backing_t *b, const char *path, const struct stat *st,
		size_t size)
{
	size_t dev_size, align;
	if ((devdax_geometry_daxctl(st, &dev_size, &align) != 0 ||
			align < VM_PAGE || (align & (align - 1)) != 0) &&
			devdax_geometry("/sys", st, &dev_size, &align) != 0)
		return -1;
	size_t len = dev_size;
	if (size != 0 && size < dev_size)
		len = VM_ALIGN_UP(size, align) < dev_size ?
				VM_ALIGN_UP(size, align) : dev_size;
	len -= len % align;
	if (len < VMEM_MIN_POOL) {
		vm_err("device DAX %s: %zu bytes usable (size %zu, alignment "
				"%zu), below the smallest pool (%zu)", path, len,
				dev_size, align, VMEM_MIN_POOL);
		errno = EINVAL;
		return -1;
	}
	int fd = VM_SYS("open", EMFILE, -1, open(path, O_RDWR | O_CLOEXEC));
	if (fd < 0) {
		int e = errno;
		vm_err("cannot open the device DAX %s: %s", path,
				vm_strerror(e));
		errno = e;
		return -1;
	}
	if (VM_SYS("flock", ENOLCK, -1, flock(fd, LOCK_EX | LOCK_NB)) != 0) {
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK) {
			vm_err("device DAX %s is in use by another pool", path);
			e = EBUSY;
		} else {
			vm_err("cannot lock the device DAX %s: %s", path,
					vm_strerror(e));
		}
		errno = e;
		return -1;
	}
	void *addr = backing_map_aligned(fd, len, align);
	if (addr == MAP_FAILED) {
		int e = errno;
		close(fd);
		vm_err("cannot map the device DAX %s (%zu bytes at alignment "
				"%zu): %s", path, len, align, vm_strerror(e));
		errno = e;
		return -1;
	}
	b->kind = BACKING_DEVDAX;
	b->fd = fd;
	b->addr = addr;
	b->size = len;
	b->align = align;
	b->private_map = false;
	b->in_memory = false;
	b->owner = getpid();
	return 0;
}
