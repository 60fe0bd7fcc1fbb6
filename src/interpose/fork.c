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
 * uses is copied. Owns the mode, the pool
 * directory (copies are made there) and the copy between prepare and the
 * child.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "interpose/interpose.h"

static int mode;
static const char *pool_dir;
static int copy_fd = -1;	/* prepare -> child: the child's pool file */
static int copy_errno;		/* prepare -> child: why there is none */

static backing_t *
backing(void)
{
	return &((VMEM *)atomic_load(&vmm_pool))->backing;
}

/*
 * Calls copy(off, len) for the parts of the pool that matter to a child:
 * the metadata and every run that is not free (the contents of a free run
 * do not). The extent lock is held, so the runs stand still.
 */
static int
for_used_ranges(const region_t *rg, int (*copy)(size_t off, size_t len))
{
	size_t used_from = 0;	/* the start of the pages to copy */
	uint32_t page = rg->data_first;
	while (page < rg->npages) {
		const run_t *run = region_run(rg, page);
		uint32_t next = page + (run->npages != 0 ? run->npages : 1);
		if (run->kind == RUN_FREE || next >= rg->npages) {
			size_t end = (size_t)(run->kind == RUN_FREE ? page :
					rg->npages) << VM_PAGE_SHIFT;
			if (end > used_from && copy(used_from,
					end - used_from) != 0)
				return -1;
			used_from = (size_t)next << VM_PAGE_SHIFT;
		}
		page = next;
	}
	return 0;
}

static const region_t *
region(void)
{
	return &((VMEM *)atomic_load(&vmm_pool))->region;
}

static int
copy_to_file(size_t off, size_t len)
{
	return backing_copy_range(backing(), copy_fd, off, len);
}

/* the child's pool file (mode 2) into copy_fd, or -1 */
static int
copy_pool(const backing_t *b)
{
	copy_fd = backing_copy_create(b, pool_dir);
	if (copy_fd < 0)
		return -1;
	if (for_used_ranges(region(), copy_to_file) != 0) {
		int e = errno;
		close(copy_fd);
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
static void *anon_copy;		/* prepare -> child */

static int
copy_to_anon(size_t off, size_t len)
{
	memcpy((char *)anon_copy + off, (const char *)backing()->addr + off,
			len);
	return 0;
}

static int
copy_devdax(const backing_t *b)
{
	anon_copy = mmap(NULL, b->size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (anon_copy == MAP_FAILED) {
		anon_copy = NULL;
		return -1;
	}
	return for_used_ranges(region(), copy_to_anon);
}

/* in the child: the anonymous copy takes the device's place */
static void
adopt_devdax(backing_t *b)
{
	void *p = mremap(anon_copy, b->size, b->size,
			MREMAP_MAYMOVE | MREMAP_FIXED, b->addr);
	if (p == MAP_FAILED)
		vmm_fatal("fork: cannot give the child its copy of the device "
				"DAX pool:", vm_strerror(errno));
	close(b->fd);
	b->fd = -1;
	b->kind = BACKING_REGION;	/* plain memory from now on */
	anon_copy = NULL;
}

static void
prepare(void)
{
	backing_t *b = backing();
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
		if (backing_remap_private(b) != 0)
			copy_errno = errno;
		return;
	}
	if (copy_pool(b) >= 0)
		return;
	copy_errno = errno;
	vm_log(1, "cannot copy the pool for the child: %s",
			vm_strerror(copy_errno));
	if (mode == 3 && backing_remap_private(b) == 0)
		copy_errno = 0;
}

static void
parent(void)
{
	if (anon_copy != NULL)
		munmap(anon_copy, backing()->size);
	anon_copy = NULL;
	vm_log(2, "fork: parent goes on (%s)", copy_fd >= 0 ?
			"the child has a copy of the pool" :
			"the pool is copy-on-write");
	if (copy_fd >= 0)
		close(copy_fd);
	copy_fd = -1;
}

static void
child(void)
{
	vm_log(2, "fork: child (VMMALLOC_FORK=%d)", mode);
	if (anon_copy != NULL) {
		adopt_devdax(backing());
		return;
	}
	if (copy_fd >= 0) {
		if (backing_adopt_file(backing(), copy_fd) != 0)
			vmm_fatal("fork: cannot map the child's copy of the pool:",
					vm_strerror(errno));
		copy_fd = -1;
		return;
	}
	if (copy_errno != 0)
		vmm_fatal(backing()->kind == BACKING_DEVDAX ?
				"fork: cannot copy the device DAX pool for the "
				"child:" : mode == 1 ?
				"fork: cannot remap the pool private:" :
				"fork: cannot copy the pool for the child:",
				vm_strerror(copy_errno));
}

static const struct fork_hooks hooks = { prepare, parent, child };

void
vmm_fork_init(int fork_mode, const char *dir)
{
	mode = fork_mode;
	pool_dir = dir;
	if (mode != 0)
		fork_set_hooks(&hooks);
}
