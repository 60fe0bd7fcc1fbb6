/*
 * dax.h -- the memory behind a pool: a hidden temporary file, a region the
 * caller mapped, or a whole device DAX.
 *
 * Only this directory calls mmap(2), munmap(2) or opens pool files.
 * Functions return 0 on success, or -1 with errno set and a message left
 * with vm_err(). Thread safety: no shared state.
 * Owns: a backing_t, its file descriptor and its mapping, from
 * creation to backing_destroy.
 */
#ifndef VM_DAX_H
#define VM_DAX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "base/base.h"

enum backing_kind_e {
	BACKING_REGION = 0,	/* memory the caller mapped */
	BACKING_FILE = 1,	/* a temporary file we made and mapped */
	BACKING_DEVDAX = 2,	/* a whole device DAX */
};

typedef struct backing_s {
	enum backing_kind_e kind;
	int fd;			/* BACKING_FILE: the open file, else -1 */
	void *addr;		/* the mapping */
	size_t size;		/* bytes mapped */
	size_t align;		/* BACKING_DEVDAX: the device's alignment */
	pid_t owner;		/* FILE, DEVDAX: the process that mapped it */
	bool private_map;	/* BACKING_FILE remapped MAP_PRIVATE for a fork
				 * (backing_fork.c): the file is never written
				 * again, decommit only drops our pages */
	bool in_memory;		/* BACKING_FILE on tmpfs or hugetlbfs:
				 * reserving a part allocates its pages
				 * (backing_prefault) */
} backing_t;

/* a pool file is mapped at a multiple of this: 2 MiB, a huge page */
#define BACKING_MAP_ALIGN	((size_t)2 << 20)

/*
 * posix_fallocate of [off, off + len) of fd, refused with EFBIG when the
 * file would pass RLIMIT_FSIZE (which would raise SIGXFSZ). Returns 0 or
 * an errno value, as posix_fallocate does.
 */
int backing_fallocate(int fd, size_t off, size_t len);

/*
 * len bytes of fd mapped shared, read and write, at an address that is a
 * multiple of align (a power of two): room of len + align is reserved,
 * the file mapped over its aligned part and the rest given back.
 * MAP_FAILED (errno set) if it cannot be.
 */
void *backing_map_aligned(int fd, size_t len, size_t align);

/*
 * Advises huge pages on the mapping of b when its backing is memory
 * (in_memory): on tmpfs MADV_HUGEPAGE is what lets a mount with
 * huge=advise use 2 MiB pages (a hugetlbfs mapping refuses the advice,
 * having its huge pages anyway). Not elsewhere: a DAX file system maps 2 MiB pages without it,
 * and on a disk file system (ext4 and xfs with large folios) it makes a
 * fault map a large folio read ahead, so resident memory grew by a third
 * (barnes: 60 -> 80 MB).
 */
void backing_advise(const backing_t *b);

/*
 * Makes a pool file of size bytes (rounded up to the page size, on a
 * hugetlbfs to its huge page, which must be 2 MiB, else EINVAL) in dir:
 * O_TMPFILE with mode 0600 (mkstemp + unlink where the file system does
 * not support it), space reserved with posix_fallocate, mapped shared at
 * a multiple of BACKING_MAP_ALIGN (backing_advise).
 * lazy: no space reserved, only checked to be free now (ENOSPC if not);
 * the caller then reserves each part with backing_commit before it
 * writes there.
 */
int backing_file_create(backing_t *b, const char *dir, size_t size,
		bool lazy);

/*
 * Gives the memory of [off, off + len) of the pool back to the system
 * (a file: its blocks and page cache, by punching a hole; a region: its
 * pages, by madvise). The contents become zeros (a file remapped private:
 * the file's contents show again). Returns -1 (errno set) if
 * the backing cannot do it; nothing changes then.
 */
int backing_decommit(const backing_t *b, size_t off, size_t len);

/*
 * Makes [off, off + len) usable again after backing_decommit: reserves a
 * file's blocks, so a full file system fails here (ENOSPC) and never with
 * SIGBUS on a later write. Returns -1 (errno set) on failure.
 */
int backing_commit(const backing_t *b, size_t off, size_t len);

/*
 * Maps the pages of [off, off + len), just committed, into the page tables
 * in one call instead of one fault per page, where committing allocated
 * them already (tmpfs): a VM pays dearly for each fault. Elsewhere (a
 * disk file system would read or zero pages nobody asked for) and on
 * kernels before 5.14 it does nothing.
 */
void backing_prefault(const backing_t *b, size_t off, size_t len);

/* an unnamed file in dir (O_TMPFILE, or mkstemp + unlink), or -1 */
int backing_open_tmpfile(const char *dir);

/* ---- backing_fork.c: what libvmmalloc does to its pool across fork ---- */
/*
 * Maps the pool file MAP_PRIVATE over the shared mapping, contents kept:
 * from then on this process and its children see copy-on-write pages.
 */
int backing_remap_private(backing_t *b);
/* a new unnamed file in dir, as large as the pool file and reserved, or -1 */
int backing_copy_create(const backing_t *b, const char *dir);
/* copies [off, off + len) of the pool file into fd, at the same offset */
int backing_copy_range(const backing_t *b, int fd, size_t off, size_t len);
/* maps fd (a copy from backing_copy_create) shared in place of the pool file,
 * whose descriptor is closed; fd belongs to b afterwards */
int backing_adopt_file(backing_t *b, int fd);
/* closes a copy from backing_copy_create that no process adopted */
void backing_copy_close(int fd);
/*
 * For a pool that can be neither remapped private nor copied as a file (a
 * device DAX): anonymous memory as large as b's mapping, reserved as it
 * is written, to copy the pool's used parts into; NULL (errno set) if
 * there is none.
 */
void *backing_anon_create(const backing_t *b);
/* size bytes of anonymous memory (a multiple of 2 MiB, aligned to it),
 * private, committed as it is written: libvmmalloc's DRAM tier; NULL
 * (errno set) if there is none */
void *backing_anon_map(size_t size);
/* gives back a copy from backing_anon_create (the parent, after fork) */
void backing_anon_destroy(const backing_t *b, void *copy);
/* moves copy over b's mapping, at the same address, and makes b plain
 * memory (BACKING_REGION) from then on: the child, after fork; -1 (errno
 * set) if it cannot */
int backing_anon_adopt(backing_t *b, void *copy);

/*
 * Maps the device DAX at path (st its stat) as a pool: the whole device
 * when size is 0 or larger than it, else size rounded up to the device's
 * alignment; MAP_SHARED at an address of that alignment. The device is
 * locked (flock) while the pool lives: a second pool on it fails with
 * EBUSY. EINVAL when the device (or size) is below VMEM_MIN_POOL or its
 * size or alignment cannot be read.
 */
int backing_devdax_create(backing_t *b, const char *path,
		const struct stat *st, size_t size);

/*
 * True if this process alone sees the pool's memory: a region (the
 * caller's memory, which the caller shares or not), a file remapped
 * private, or a file or device mapped by this very process. False in a
 * fork child for a pool whose shared mapping it inherited: that memory is
 * still the parent's pool.
 */
bool backing_is_own(const backing_t *b);

/* unmaps and closes what backing_file_create made */
void backing_destroy(backing_t *b);

/* a printable name of the kind */
const char *backing_kind_name(enum backing_kind_e kind);

/*
 * The same from libdaxctl (daxctl.c), when it is installed and lists the
 * device; -1 otherwise (nothing reported: the caller falls back to sysfs).
 */
int devdax_geometry_daxctl(const struct stat *st, size_t *size,
		size_t *align);

/*
 * The size and alignment (bytes) of the device DAX st describes, from
 * sysfs_root/dev/char/MAJ:MIN/size and .../align, or, where the device
 * has no align attribute (kernels before 5.10), its region's
 * .../device/dax_region/align. -1 (errno set, message) if unreadable.
 */
int devdax_geometry(const char *sysfs_root, const struct stat *st,
		size_t *size, size_t *align);

/*
 * 1 if the character device st describes is a device DAX (its sysfs
 * subsystem is "dax"), 0 if not. sysfs_root is "/sys" outside tests.
 */
int devdax_is_dax(const char *sysfs_root, const struct stat *st);

#endif /* VM_DAX_H */
