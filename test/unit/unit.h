/*
 * unit.h -- a bare region for unit tests of the core's lower layers: an
 * anonymous mapping laid out like a pool's region (header, page map, run
 * records, data), without a pool on top.
 */
#ifndef VM_TEST_UNIT_H
#define VM_TEST_UNIT_H

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "testutil.h"
#include "large/large.h"
#include "slab/slab.h"

struct bare {
	region_t rg;
	extents_t ex;
	void *map;
	size_t size;
};

/* a region of npages pages (+ 2 MiB of slack for alignment tests) */
static inline void
bare_init(struct bare *b, uint32_t npages)
{
	b->size = (size_t)npages * VM_PAGE;
	b->map = mmap(NULL, b->size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ck_assert_ptr_ne(b->map, MAP_FAILED);
	sc_init();
	region_init(&b->rg, (uintptr_t)b->map, npages, VM_PAGE, 0);
	extents_init(&b->ex, &b->rg, NULL);
}

static inline void
bare_fini(struct bare *b)
{
	munmap(b->map, b->size);
}

static inline uint32_t
bare_page(struct bare *b, const run_t *run)
{
	return region_run_page(&b->rg, run);
}

/* walks the runs: checks the tiling, returns free runs, *free_pages */
static inline uint32_t
bare_walk(struct bare *b, uint64_t *free_pages)
{
	uint32_t nfree = 0;
	uint64_t fp = 0;
	bool prev_free = false;
	for (uint32_t p = b->rg.data_first; p < b->rg.npages;) {
		run_t *r = region_run(&b->rg, p);
		ck_assert_uint_ne(r->kind, RUN_NONE);
		ck_assert_uint_gt(r->npages, 0);
		ck_assert_ptr_eq(region_lookup(&b->rg, p), r);
		ck_assert_ptr_eq(region_lookup(&b->rg, p + r->npages - 1), r);
		if (r->kind == RUN_FREE) {
			ck_assert_msg(!prev_free, "free runs touch at %u", p);
			nfree++;
			fp += r->npages;
		}
		prev_free = r->kind == RUN_FREE;
		p += r->npages;
	}
	ck_assert_uint_eq(nfree, b->ex.nfree_runs);
	ck_assert_uint_eq(fp, b->ex.free_pages);
	if (free_pages != NULL)
		*free_pages = fp;
	return nfree;
}

/* a pool in an anonymous region of size bytes (touched only where used) */
static inline VMEM *
unit_region_pool(size_t size)
{
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ck_assert_ptr_ne(m, MAP_FAILED);
	VMEM *vmp = vmem_create_in_region(m, size);
	ck_assert_ptr_nonnull(vmp);
	return vmp;
}

/* deletes a pool of unit_region_pool and unmaps its region */
static inline void
unit_region_pool_delete(VMEM *vmp, size_t size)
{
	vmem_delete(vmp);
	munmap(vmp, size);
}

/*
 * Runs fn(arg) in a child with stderr on a pipe: asserts that it died of
 * SIGABRT (a failed check of the core stopped it) and that what it wrote
 * names every string of want (a NULL-ended list).
 */
static inline void
unit_assert_stops(void (*fn)(void *), void *arg, const char *const *want)
{
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		fn(arg);
		_exit(0);	/* not stopped: the parent sees status 0 */
	}
	close(fds[1]);
	char buf[2048];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(buf) - 1 &&
			(n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fds[0]);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
			"not stopped (status %#x); it said: %s", status, buf);
	for (; *want != NULL; want++)
		ck_assert_msg(strstr(buf, *want) != NULL, "the message \"%s\" "
				"does not name \"%s\"", buf, *want);
	printf("stopped: %s", buf);
}

#endif /* VM_TEST_UNIT_H */
