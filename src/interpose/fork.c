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
 *
 * The hooks run from the core's fork handlers with every pool lock held,
 * so the copy is of a heap no thread is changing, and only what the heap
 * uses is copied. Owns the mode, the pool
 * directory (copies are made there) and the copy between prepare and the
 * child.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "interpose/interpose.h"
#include "pool/fmt.h"
#include "pool/log.h"

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
 * The child's pool file: the metadata and every run that is not free (the
 * contents of a free run do not matter, and the new file reads as zeros).
 * The extent lock is held, so the runs stand still.
 */
static int
copy_pool(const backing_t *b)
{
	int fd = backing_copy_create(b, pool_dir);
	if (fd < 0)
		return -1;
	const region_t *rg = &((VMEM *)atomic_load(&vmm_pool))->region;
	size_t used_from = 0;	/* the start of the pages to copy */
	uint32_t page = rg->data_first;
	while (page < rg->npages) {
		const run_t *run = region_run(rg, page);
		uint32_t next = page + (run->npages != 0 ? run->npages : 1);
		if (run->kind == RUN_FREE || next >= rg->npages) {
			size_t end = (size_t)(run->kind == RUN_FREE ? page :
					rg->npages) << VM_PAGE_SHIFT;
			if (end > used_from && backing_copy_range(b, fd,
					used_from, end - used_from) != 0) {
				int e = errno;
				close(fd);
				errno = e;
				return -1;
			}
			used_from = (size_t)next << VM_PAGE_SHIFT;
		}
		page = next;
	}
	return fd;
}

static void
prepare(void)
{
	backing_t *b = backing();
	copy_fd = -1;
	copy_errno = 0;
	if (mode == 1 || b->private_map) {
		if (backing_remap_private(b) != 0)
			copy_errno = errno;
		return;
	}
	copy_fd = copy_pool(b);
	if (copy_fd >= 0)
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
	if (copy_fd >= 0) {
		if (backing_adopt_file(backing(), copy_fd) != 0)
			vmm_fatal("fork: cannot map the child's copy of the pool:",
					vm_strerror(errno));
		copy_fd = -1;
		return;
	}
	if (copy_errno != 0)
		vmm_fatal(mode == 1 ? "fork: cannot remap the pool private:" :
				"fork: cannot copy the pool for the child "
				"(VMMALLOC_FORK=2):", vm_strerror(copy_errno));
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
