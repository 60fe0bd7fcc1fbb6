/*
 * pool.c -- making and deleting pools.
 *
 * Owns nothing: a pool is its region. Every live pool is in the registry
 * (registry.c) from the end of its creation to the start of its deletion.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pool/vmem.h"

bool
pool_is_live(const VMEM *vmp)
{
	vm_lock(&registry_lock);
	bool live = registry_has(vmp);
	vm_unlock(&registry_lock);
	return live;
}

/*
 * A new region [start, end) may overlap a live pool only inside one of its
 * large objects (a pool made in memory allocated from another pool).
 */
static bool
inside_large_object(VMEM *vmp, uintptr_t start, uintptr_t end)
{
	const region_t *rg = &vmp->region;
	if (!region_has_data(rg, (void *)start) ||
			!region_has_data(rg, (void *)(end - 1)))
		return false;
	bool inside = false;
	vm_lock(&vmp->extents.lock);
	/* the run holding start: walk back to a page with an entry */
	uint32_t first = region_page(rg, (void *)start);
	for (uint32_t pg = first; pg >= rg->data_first; pg--) {
		run_t *run = region_lookup(rg, pg);
		if (run == NULL)
			continue;
		uint32_t head = region_run_page(rg, run);
		inside = run->kind == RUN_LARGE && head <= first &&
				end <= (uintptr_t)region_addr(rg,
				head + run->npages);
		break;
	}
	vm_unlock(&vmp->extents.lock);
	return inside;
}

/*
 * The key that marks cached large runs (large/lcache.h; its complement
 * tags free small objects, slab/tag.h): random, so that no program
 * stores the mark by chance; from getrandom, else from the clock
 * and the address, mixed (splitmix64's finaliser).
 */
static uint64_t
cache_key(const VMEM *vmp)
{
	uint64_t k;
	if (VM_SYS("getrandom", EAGAIN, -1, getrandom(&k, sizeof(k),
			GRND_NONBLOCK)) != (ssize_t)sizeof(k)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		k = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
				(uint64_t)(uintptr_t)vmp;
	}
	k ^= k >> 30;
	k *= 0xbf58476d1ce4e5b9ULL;
	k ^= k >> 27;
	k *= 0x94d049bb133111ebULL;
	k ^= k >> 31;
	return k;
}

/* the largest pool: page numbers are 32 bits */
#define POOL_MAX_BYTES	((size_t)REGION_MAX_PAGES << VM_PAGE_SHIFT)

/* the locks of a new pool take their places in the lock order (lock.h) */
static void
rank_locks(VMEM *vmp)
{
	vm_lock_rank(&vmp->slabs.tc_lock, VM_RANK_CACHES, 0, vmp,
			"a pool's cache lock");
	for (unsigned c = 0; c < SC_NCLASSES; c++)
		vm_lock_rank(&vmp->slabs.bins[c].lock, VM_RANK_BIN, c + 1, vmp,
				"a pool's bin lock");
	vm_lock_rank(&vmp->extents.lock, VM_RANK_EXTENTS, 0, vmp,
			"a pool's extent lock");
}

/*
 * Builds a pool in [addr, addr + size); size is a multiple of VM_PAGE.
 * The caller puts it in the registry.
 */
static VMEM *
pool_init(void *addr, size_t size, const backing_t *backing)
{
	sc_init();
	uint64_t npages = size >> VM_PAGE_SHIFT;
	if (npages > REGION_MAX_PAGES) {	/* a device DAX, a rounded size */
		vm_err("pool size %zu larger than the largest pool, %zu bytes",
				size, POOL_MAX_BYTES);
		errno = EINVAL;
		return NULL;
	}
	size_t spare = slabs_spare_bytes((uint32_t)npages);
	if (region_layout((uint32_t)npages, sizeof(struct vmem), spare) == 0) {
		vm_err("pool size %zu is too small for its metadata", size);
		errno = EINVAL;
		return NULL;
	}
	VMEM *vmp = addr;
	memset(vmp, 0, offsetof(struct vmem, xfer));	/* xfer: see vmem.h */
	vmp->backing = *backing;
	region_init(&vmp->region, (uintptr_t)addr, (uint32_t)npages,
			sizeof(struct vmem), spare);
	extents_init(&vmp->extents, &vmp->region, &vmp->backing);
	slabs_init(&vmp->slabs, &vmp->region, &vmp->extents, cache_key(vmp),
			vmp->xfer);
	rank_locks(vmp);
	thread_hooks_init();
	vmp->fast_size = vm_vg_any ? 0 : vmp->region.size;
	vmp->magic = VMEM_MAGIC;
	vm_log(3, "pool %p: %zu bytes, data from page %u", (void *)vmp, size,
			vmp->region.data_first);
	return vmp;
}

/* false (errno EINVAL, message set) below the smallest pool or above the
 * largest: checked before anything touches a file system */
static bool
size_is_valid(size_t size)
{
	if (size < VMEM_MIN_POOL) {
		vm_err("size %zu smaller than %zu", size, VMEM_MIN_POOL);
		errno = EINVAL;
		return false;
	}
	if (size > POOL_MAX_BYTES) {
		vm_err("size %zu larger than the largest pool, %zu bytes "
				"(2^32 - 1 pages of %u bytes)", size,
				POOL_MAX_BYTES, (unsigned)VM_PAGE);
		errno = EINVAL;
		return false;
	}
	return true;
}

/*
 * Lazy reservation of the new pool file b: reserves what must be reserved
 * from the start (purge_lazy_reserve) and returns the chunks left for
 * later as [*first, *end) for purge_defer. -1 (message, errno set) if the
 * file system has no room for that.
 */
static int
reserve_metadata(const backing_t *b, uint32_t *first, uint32_t *end)
{
	uint64_t npages = b->size >> VM_PAGE_SHIFT;
	size_t spare = npages <= REGION_MAX_PAGES ?
			slabs_spare_bytes((uint32_t)npages) : 0;
	if (purge_lazy_reserve(b, sizeof(struct vmem), spare, first,
			end) != 0) {
		int e = errno;
		vm_err("cannot reserve the pool's metadata: %s", vm_strerror(e));
		errno = e;
		return -1;
	}
	return 0;
}

/* vmem_create; lazy: a pool file's blocks are reserved as they are used */
static VMEM *
pool_create(const char *dir, size_t size, bool lazy)
{
	vm_vg_init();
	if (dir == NULL) {
		vm_err("no directory given");
		errno = EINVAL;
		return NULL;
	}
	struct stat st;
	int stat_errno = VM_SYS("stat", EIO, -1, stat(dir, &st)) == 0 ? 0 :
			errno;
	bool dax = stat_errno == 0 && S_ISCHR(st.st_mode) &&
			devdax_is_dax("/sys", &st);
	/* a device DAX: size 0 means the whole device */
	if (!(dax && size == 0) && !size_is_valid(size))
		return NULL;
	if (stat_errno != 0) {
		int e = stat_errno;
		vm_err("cannot use %s: %s", dir, vm_strerror(e));
		errno = e;
		return NULL;
	}
	backing_t b;
	if (dax) {
		if (backing_devdax_create(&b, dir, &st, size) != 0)
			return NULL;
	} else if (S_ISCHR(st.st_mode)) {
		vm_err("%s is a character device but not a device DAX", dir);
		errno = EINVAL;
		return NULL;
	} else if (!S_ISDIR(st.st_mode)) {
		vm_err("%s is not a directory", dir);
		errno = ENOTDIR;
		return NULL;
	} else if (backing_file_create(&b, dir, size, lazy) != 0) {
		return NULL;
	}
	uint32_t first = 0, end = 0;
	VMEM *vmp = NULL;
	if (b.kind != BACKING_FILE || !lazy ||
			reserve_metadata(&b, &first, &end) == 0)
		vmp = pool_init(b.addr, b.size, &b);
	if (vmp == NULL) {
		int e = errno;
		backing_destroy(&b);
		errno = e;
		return NULL;
	}
	if (first != end)
		purge_defer(&vmp->extents, &vmp->region, first, end);
	/* a whole file on tmpfs: its chunks are mapped as they come in use */
	if (!lazy && vmp->backing.kind == BACKING_FILE &&
			vmp->backing.in_memory)
		purge_map_ahead_start(&vmp->extents);
	fork_handlers_init();
	mc_quiet();	/* the registry's links are in the pools' headers */
	vm_lock(&registry_lock);
	registry_add(vmp);
	vm_unlock(&registry_lock);
	mc_loud();
	if (VM_VALGRIND && vm_unlikely(vm_vg_memcheck))
		mc_pool_created(vmp);
	return vmp;
}

VM_EXPORT VMEM *
vmem_create(const char *dir, size_t size)
{
	vm_log(3, "dir %s size %zu", dir ? dir : "(null)", size);
	return pool_create(dir, size, false);
}

VMEM *
pool_create_lazy(const char *dir, size_t size)
{
	vm_log(3, "dir %s size %zu, reserved as used", dir ? dir : "(null)",
			size);
	return pool_create(dir, size, true);
}

VM_EXPORT VMEM *
vmem_create_in_region(void *addr, size_t size)
{
	vm_log(3, "addr %p size %zu", addr, size);
	vm_vg_init();
	long sys_page = sysconf(_SC_PAGESIZE);
	size_t page = sys_page > 0 ? (size_t)sys_page : VM_PAGE;
	if (addr == NULL || ((uintptr_t)addr & (page - 1)) != 0 ||
			((uintptr_t)addr & VM_PAGE_MASK) != 0) {
		vm_err("region address %p is not page aligned", addr);
		errno = EINVAL;
		return NULL;
	}
	if (!size_is_valid(size))
		return NULL;
	if ((uintptr_t)addr + size < (uintptr_t)addr) {
		vm_err("region %p + %zu wraps around", addr, size);
		errno = EINVAL;
		return NULL;
	}
	size = VM_ALIGN_DOWN(size, VM_PAGE);
	backing_t b = {
		.kind = BACKING_REGION, .fd = -1, .addr = addr, .size = size,
	};
	/* checked and built under the registry lock: two threads cannot
	 * both build a pool over the same memory */
	fork_handlers_init();
	mc_quiet();
	vm_lock(&registry_lock);
	VMEM *vmp = NULL;
	if (registry_overlaps((uintptr_t)addr, (uintptr_t)addr + size,
			inside_large_object)) {
		vm_err("region %p + %zu overlaps a live pool", addr, size);
		errno = EINVAL;
	} else if ((vmp = pool_init(addr, size, &b)) != NULL) {
		registry_add(vmp);
	}
	vm_unlock(&registry_lock);
	mc_loud();
	if (VM_VALGRIND && vm_unlikely(vm_vg_memcheck) && vmp != NULL)
		mc_pool_created(vmp);
	return vmp;
}

VM_EXPORT void
vmem_delete(VMEM *vmp)
{
	vm_log(3, "vmp %p", (void *)vmp);
	mc_quiet();
	vm_lock(&registry_lock);
	bool found = vmp != NULL && registry_remove(vmp);
	vm_unlock(&registry_lock);
	mc_loud();
	if (!found) {
		vm_err("vmem_delete: %p is not a live pool", (void *)vmp);
		return;
	}
	if (VM_VALGRIND && vm_unlikely(vm_vg_memcheck))
		mc_pool_deleting(vmp);	/* its blocks go with it */
	mc_quiet();
	backing_t b = vmp->backing;
	vmp->magic = 0;
	backing_destroy(&b);
	mc_loud();
}

size_t
pool_reclaim(VMEM *vmp)
{
	return slabs_reclaim(&vmp->slabs);
}
