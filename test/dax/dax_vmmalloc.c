/*
 * dax_vmmalloc.c -- libvmmalloc on a real device DAX. Run by run-vm.sh
 * inside the QEMU guest as
 *
 *   LD_PRELOAD=libvmmalloc.so.1 VMMALLOC_POOL_DIR=/dev/dax0.0 \
 *   VMMALLOC_POOL_SIZE=64M dax_vmmalloc
 *
 * and checks, one line each, that the process heap is the device: one
 * MAP_SHARED mapping of the device, VMMALLOC_POOL_SIZE (rounded up to the
 * device alignment) long, at a multiple of the alignment; that malloc,
 * calloc, realloc, posix_memalign, aligned_alloc, strdup and the FILE of
 * fopen land in it (also from a second thread) and keep their contents;
 * that a request larger than the pool fails with ENOMEM; and that a fork
 * gives the child a private copy of the heap that is not the device (the
 * device stays the parent's: a child writing to it would corrupt the
 * parent's heap), with the objects made before the fork, in which it
 * allocates while the parent's objects stay as they were.
 * Plain C on the malloc family only: it does not know libvmem.
 */
#include <malloc.h>
#include <pthread.h>
#include <sys/wait.h>

#include "devmap.h"
#define WHERE "the device"
#include "vmm_checks.h"

static struct devgeo geo;	/* the device */

/* in the child of check_fork: its own checks; exits 0 if they passed */
static void
fork_child(unsigned char *keep, size_t n)
{
	int failed_before = atomic_load(&dm_failed);
	size_t at = pattern_differs(keep, n, 9);
	check(at == n, "vmmalloc fork child: sees the parent's objects",
			"expected the 1 MiB object as before the fork, byte %zu "
			"differs", at);
	struct devmap maps[DM_MAX];
	int nmaps = devmap_find(geo.path, maps, DM_MAX);
	check(nmaps == 0, "vmmalloc fork child: the device is not mapped",
			"expected the heap moved off %s, got %d mappings of it",
			geo.path, nmaps);
	pattern(keep, n, 10);
	unsigned char *p = malloc(2 * MIB);
	bool ok = p != NULL && (uintptr_t)p >= pool.start &&
		(uintptr_t)p + 2 * MIB <= pool.end;
	if (ok) {
		pattern(p, 2 * MIB, 11);
		ok = pattern_differs(p, 2 * MIB, 11) == 2 * MIB;
	}
	check(ok, "vmmalloc fork child: allocates in its copy of the heap",
			"expected a 2 MiB object in %#" PRIxPTR "-%#" PRIxPTR
			", got %p", pool.start, pool.end, (void *)p);
	free(p);
	/* the child's heap is anonymous memory now: it forks like any
	 * other process, and its child allocates too */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		void *q = malloc(64 * 1024);
		_exit(q != NULL && (uintptr_t)q >= pool.start &&
				(uintptr_t)q < pool.end ? 0 : 1);
	}
	int st = 0;
	bool waited = pid > 0 && waitpid(pid, &st, 0) == pid;
	check(waited && WIFEXITED(st) && WEXITSTATUS(st) == 0,
			"vmmalloc fork child: forks again, the grandchild "
			"allocates", "expected exit status 0, got %#x", st);
	free(keep);
	exit(atomic_load(&dm_failed) == failed_before ? 0 : 1);
}

static void
check_fork(void)
{
	size_t n = MIB;
	unsigned char *keep = malloc(n);
	if (keep == NULL) {
		check(false, "vmmalloc: fork", "malloc(1 MiB) failed");
		return;
	}
	pattern(keep, n, 9);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		fork_child(keep, n);
	int st = 0;
	bool waited = pid > 0 && waitpid(pid, &st, 0) == pid;
	check(waited && WIFEXITED(st) && WEXITSTATUS(st) == 0,
			"vmmalloc: fork, the child's checks passed",
			"expected exit status 0, got %s %d", !waited ? "no child" :
			WIFEXITED(st) ? "exit status" : "signal",
			!waited ? 0 : WIFEXITED(st) ? WEXITSTATUS(st) :
			WTERMSIG(st));
	size_t at = pattern_differs(keep, n, 9);
	check(at == n, "vmmalloc: fork, the parent's objects unchanged",
			"expected the 1 MiB object as before the fork, byte %zu "
			"differs (the child wrote to the parent's heap)", at);
	struct devmap maps[DM_MAX];
	int nmaps = devmap_find(geo.path, maps, DM_MAX);
	check(nmaps == 1 && maps[0].start == pool.start &&
			maps[0].end == pool.end,
			"vmmalloc: fork, the parent keeps the device",
			"expected one mapping %#" PRIxPTR "-%#" PRIxPTR ", got %d",
			pool.start, pool.end, nmaps);
	unsigned char *p = malloc(4096);
	check(p != NULL && inside(&pool, p, 4096), "vmmalloc: fork, the "
			"parent allocates in the device", "got %p", (void *)p);
	free(p);
	free(keep);
}

int
main(void)
{
	const char *dir = getenv("VMMALLOC_POOL_DIR");
	size_t size = parse_size(getenv("VMMALLOC_POOL_SIZE"));
	if (dir == NULL || size == 0) {
		fprintf(stderr, "dax_vmmalloc: run with VMMALLOC_POOL_DIR (a "
				"device DAX) and VMMALLOC_POOL_SIZE set\n");
		return 2;
	}
	char why[PATH_MAX + 128];
	if (!check(devgeo_read(dir, &geo, why, sizeof(why)) == 0,
			"vmmalloc: device size and alignment from sysfs", "%s",
			why))
		return dm_status("dax_vmmalloc");
	size_t want = (size + geo.align - 1) / geo.align * geo.align;
	if (want > geo.size)
		want = geo.size;

	struct devmap maps[DM_MAX];
	int n = devmap_find(geo.path, maps, DM_MAX);
	if (!check(n == 1, "vmmalloc: one mapping of the device", "expected 1 "
			"mapping of %s in /proc/self/maps, got %d (is "
			"libvmmalloc preloaded?)", geo.path, n))
		return dm_status("dax_vmmalloc");
	pool = maps[0];
	size_t len = pool.end - pool.start;
	dm_line("info: pool %#" PRIxPTR "-%#" PRIxPTR " (%s) on %s, "
			"alignment %s", pool.start, pool.end, human(len),
			geo.path, human(geo.align));
	char name[128];
	snprintf(name, sizeof(name), "vmmalloc: mapping is %s", human(want));
	check(len == want, name, "expected %zu bytes (VMMALLOC_POOL_SIZE %s "
			"rounded up to %s), got %zu (%s)", want, human(size),
			human(geo.align), len, human(len));
	check(pool.start % geo.align == 0, "vmmalloc: mapping aligned to the "
			"device", "expected a multiple of %#zx, got %#" PRIxPTR,
			geo.align, pool.start);
	check(pool.perms[3] == 's', "vmmalloc: mapping shared",
			"expected \"rw-s\", got \"%s\"", pool.perms);

	check_malloc();
	check_calloc_realloc();
	check_aligned();
	check_libc();
	check_thread();
	check_exhaustion(len);
	check_fork();
	return dm_status("dax_vmmalloc");
}
