/*
 * fork.c -- VMMALLOC_FORK: what happens to the pool when the program forks.
 *
 *   0  nothing: parent and child share the pool file and will corrupt
 *      each other's heap as soon as both allocate (documented as unsafe)
 *   1  before the first fork the pool is remapped MAP_PRIVATE, so both
 *      sides go on copy-on-write (the default)
 *   2  the pool file is copied and the child maps its copy in place; if
 *      the copy fails the child cannot safely use the heap, so it says
 *      so and exits with status 1 (the parent goes on)
 *   3  as 2, but a failed copy falls back to 1 (and stays there: once
 *      private, the file no longer holds the whole heap)
 * A pool on a device DAX can be neither remapped private nor copied as a
 * file: in modes 1-3 the child gets the used parts of the pool in
 * anonymous memory at the same address (copied before the fork).
 *
 * The hooks run from the core's fork handlers with every pool lock held,
 * so the copy is of a heap no thread is changing, and only what the heap
 * uses is copied (extents_used_ranges). The memory and the files are
 * src/dax's to map and make (backing_*); this file decides what happens.
 * Modes 2 and 3 copy the heap before fork() while the program's other
 * threads may still write to their objects: the child's heap can then be
 * older than the rest of its memory (only mode 1's copy-on-write is a
 * snapshot of the instant of the fork). The first such fork with other
 * threads alive says so in the debug log (level 1), once per process:
 * the program's own stderr is left alone.
 *
 * Owns the mode, the pool, its directory (copies are made there), the copy
 * between prepare and the child, and whether the warning was given.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "interpose/interpose.h"

static VMEM *pool;
static int mode;
static const char *pool_dir;
static int copy_fd = -1;	/* prepare -> child: the child's pool file */
static int copy_errno;		/* prepare -> child: why there is none */
static void *anon_copy;		/* prepare -> child: a device DAX's copy */

static int
copy_to_file(void *arg, size_t off, size_t len)
{
	(void)arg;
	return backing_copy_range(&pool->backing, copy_fd, off, len);
}

/* the child's pool file (mode 2) into copy_fd, or -1 */
static int
copy_pool(const backing_t *b)
{
	copy_fd = backing_copy_create(b, pool_dir);
	if (copy_fd < 0)
		return -1;
	if (extents_used_ranges(&pool->region, copy_to_file, NULL) != 0 ||
			caches_slot_ranges(&pool->slabs, copy_to_file,
				NULL) != 0) {
		int e = errno;
		backing_copy_close(copy_fd);
		copy_fd = -1;
		errno = e;
		return -1;
	}
	return copy_fd;
}

/*
 * A device DAX can be neither remapped private nor copied as a file: the
 * child gets the used parts in anonymous memory, made before the fork (so
 * no thread changes the heap meanwhile) and moved over the device's
 * mapping in the child.
 */
static int
copy_to_anon(void *arg, size_t off, size_t len)
{
	(void)arg;
	memcpy((char *)anon_copy + off, (const char *)pool->backing.addr + off,
			len);
	return 0;
}

static int
copy_devdax(const backing_t *b)
{
	anon_copy = backing_anon_create(b);
	if (anon_copy == NULL)
		return -1;
	if (extents_used_ranges(&pool->region, copy_to_anon, NULL) != 0)
		return -1;
	return caches_slot_ranges(&pool->slabs, copy_to_anon, NULL);
}

static bool warned_threads;

/* the threads of this process, from /proc/self/status (0 if unknown);
 * reads with read(2): this runs inside fork's handlers */
static long
threads_alive(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	const char *t = strstr(buf, "\nThreads:");
	if (t == NULL)
		return 0;
	t += strlen("\nThreads:");
	while (*t == ' ' || *t == '\t')
		t++;
	long count = 0;
	for (; *t >= '0' && *t <= '9'; t++)
		count = count * 10 + (*t - '0');
	return count;
}

/* a copy of the file is made while other threads run: say it once */
static void
warn_threads_once(void)
{
	if (vm_log_level() < 1 || warned_threads)
		return;
	long n = threads_alive();
	if (n <= 1)
		return;
	warned_threads = true;
	vm_log(1, "VMMALLOC_FORK=%d: fork() while %ld other threads run: the "
			"child's heap is copied before the fork and may miss "
			"their last writes (VMMALLOC_FORK=1 gives an exact copy)",
			mode, n - 1);
}

/* the pool's memory was mapped anew: memcheck must be told again */
static void
remapped(void)
{
	if (VM_VALGRIND && vm_vg_memcheck)
		mc_pool_remapped(pool);
}

static void
prepare(void)
{
	backing_t *b = &pool->backing;
	copy_fd = -1;
	copy_errno = 0;
	anon_copy = NULL;
	if (b->kind == BACKING_DEVDAX) {
		if (copy_devdax(b) != 0)
			copy_errno = errno;
		return;
	}
	if (b->kind == BACKING_REGION)
		return;	/* anonymous memory (a device DAX child's copy):
			 * fork itself makes it copy-on-write */
	if (mode == 1 || b->private_map) {
		bool was_private = b->private_map;
		if (backing_remap_private(b) != 0)
			copy_errno = errno;
		else if (!was_private)
			remapped();
		return;
	}
	warn_threads_once();
	if (copy_pool(b) >= 0)
		return;
	copy_errno = errno;
	vm_log(1, "cannot copy the pool for the child: %s",
			vm_strerror(copy_errno));
	if (mode == 3 && backing_remap_private(b) == 0) {
		copy_errno = 0;
		remapped();
	}
}

static void
parent(void)
{
	if (anon_copy != NULL)
		backing_anon_destroy(&pool->backing, anon_copy);
	anon_copy = NULL;
	vm_log(2, "fork: parent goes on (%s)", copy_fd >= 0 ?
			"the child has a copy of the pool" :
			"the pool is copy-on-write");
	if (copy_fd >= 0)
		backing_copy_close(copy_fd);
	copy_fd = -1;
}

static void
child(void)
{
	backing_t *b = &pool->backing;
	vm_log(2, "fork: child (VMMALLOC_FORK=%d)", mode);
	if (anon_copy != NULL) {
		/* the anonymous copy takes the device's place */
		if (backing_anon_adopt(b, anon_copy) != 0)
			vmm_fatal("fork: cannot give the child its copy of the "
					"device DAX pool:", vm_strerror(errno));
		anon_copy = NULL;
		remapped();
		return;
	}
	if (copy_fd >= 0) {
		if (backing_adopt_file(b, copy_fd) != 0)
			vmm_fatal("fork: cannot map the child's copy of the pool:",
					vm_strerror(errno));
		copy_fd = -1;
		remapped();
		return;
	}
	if (copy_errno != 0)
		vmm_fatal(b->kind == BACKING_DEVDAX ?
				"fork: cannot copy the device DAX pool for the "
				"child:" : mode == 1 ?
				"fork: cannot remap the pool private:" :
				"fork: cannot copy the pool for the child:",
				vm_strerror(copy_errno));
}

static const struct fork_hooks hooks = { prepare, parent, child };

void
vmm_fork_init(VMEM *vmp, int fork_mode, const char *dir)
{
	pool = vmp;
	mode = fork_mode;
	pool_dir = dir;
	if (mode != 0)
		fork_set_hooks(&hooks);
}
