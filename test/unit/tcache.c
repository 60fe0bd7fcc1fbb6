/*
 * tcache.c -- the threads' caches and their lifecycles: a thread's caches
 * go back at exit; deleting a pool while other threads hold caches of it
 * is safe; a full pool takes back what every thread's cache holds;
 * vmem_check verifies cached objects; the bins' transfer stacks; many
 * pools from many threads; fork while four threads allocate.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "unit.h"
#include "pool/vmem.h"

static uint64_t
cached_objects(VMEM *vmp)
{
	uint64_t n = 0;
	caches_freeze(&vmp->slabs);
	for (uint32_t i = 1; i <= vmp->slabs.tc_top; i++) {
		tcache_t *tc = tc_real(atomic_load(&vmp->slabs.tcaches[i]));
		for (unsigned c = 0; tc != NULL && c < SC_NCLASSES; c++)
			n += vm_stack_count(&tc->bins[c]);
	}
	for (unsigned c = 0; c < SC_NCLASSES; c++)
		n += vmp->slabs.bins[c].nxfer;	/* parked by flushes */
	caches_thaw(&vmp->slabs);
	return n;
}

/* fills this thread's cache: objects of every class, freed again */
static void
fill_cache(VMEM *vmp)
{
	for (unsigned c = 0; c < SC_NCLASSES; c++) {
		void *p[64];
		unsigned n = tcache_cap(c);
		for (unsigned i = 0; i < n; i++)
			ck_assert_ptr_nonnull(p[i] = vmem_malloc(vmp,
					sc_table[c].size));
		for (unsigned i = 0; i < n; i++)
			vmem_free(vmp, p[i]);
	}
}

static void *
fill_and_exit(void *arg)
{
	fill_cache(arg);
	return (void *)(uintptr_t)vm_tindex;
}

START_TEST(test_thread_exit_returns_cache)
{
	VMEM *vmp = unit_region_pool(64 * TU_MIB);
	pthread_t t;
	void *idx;
	ck_assert_int_eq(pthread_create(&t, NULL, fill_and_exit, vmp), 0);
	ck_assert_int_eq(pthread_join(t, &idx), 0);
	ck_assert_uint_ne((uintptr_t)idx, 0);
	/* the cache is gone and its objects are back in their slabs, but
	 * for those its flushes left on the bins' transfer stacks */
	ck_assert_ptr_eq(atomic_load(&vmp->slabs.tcaches[(uintptr_t)idx]), &tc_none);
	ck_assert_uint_eq(vmp->slabs.ncaches, 0);
	uint64_t parked = 0;
	for (unsigned c = 0; c < SC_NCLASSES; c++) {
		ck_assert_uint_eq(bin_curobjs(&vmp->slabs.bins[c]),
				vmp->slabs.bins[c].nxfer);
		parked += vmp->slabs.bins[c].nxfer;
	}
	ck_assert_uint_eq(cached_objects(vmp), parked);
	ck_assert_int_eq(vmem_check(vmp), 1);
	/* a full pool's reclaim empties the stacks too */
	ck_assert_uint_ge(pool_reclaim(vmp), parked);
	for (unsigned c = 0; c < SC_NCLASSES; c++) {
		ck_assert_uint_eq(vmp->slabs.bins[c].nxfer, 0);
		ck_assert_uint_eq(bin_curobjs(&vmp->slabs.bins[c]), 0);
	}
	ck_assert_int_eq(vmem_check(vmp), 1);
	unit_region_pool_delete(vmp, 64 * TU_MIB);
}
END_TEST

struct two_pools {
	VMEM *first, *second;
	pthread_barrier_t *go;
};

static void *
use_then_switch(void *arg)
{
	struct two_pools *tp = arg;
	fill_cache(tp->first);
	pthread_barrier_wait(tp->go);	/* main deletes the first pool */
	pthread_barrier_wait(tp->go);	/* ... and makes the second */
	fill_cache(tp->second);
	for (int i = 0; i < 1000; i++)
		vmem_free(tp->second, vmem_malloc(tp->second, 8 + i % 500));
	return NULL;
}

/* threads keep caches of a pool that is deleted, and a new pool is made
 * in the same memory: nothing stale is ever touched */
START_TEST(test_delete_with_live_caches)
{
	size_t size = 64 * TU_MIB;
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(m, MAP_FAILED);
	pthread_barrier_t go;
	pthread_barrier_init(&go, NULL, 5);
	struct two_pools tp = { vmem_create_in_region(m, size), NULL, &go };
	ck_assert_ptr_nonnull(tp.first);
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, use_then_switch,
				&tp), 0);
	pthread_barrier_wait(&go);
	ck_assert_uint_eq(tp.first->slabs.ncaches, 4);
	vmem_delete(tp.first);
	memset(m, 0x5c, size);		/* what was the pool is garbage now */
	tp.second = vmem_create_in_region(m, size);
	ck_assert_ptr_eq(tp.second, m);
	ck_assert_uint_eq(tp.second->slabs.ncaches, 0);
	pthread_barrier_wait(&go);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	ck_assert_uint_eq(tp.second->slabs.ncaches, 0);	/* gone at exit */
	ck_assert_int_eq(vmem_check(tp.second), 1);
	vmem_delete(tp.second);
	munmap(m, size);
	pthread_barrier_destroy(&go);
}
END_TEST

struct hoarder {
	VMEM *vmp;
	pthread_barrier_t *go;
};

static void *
hoard(void *arg)
{
	struct hoarder *h = arg;
	fill_cache(h->vmp);
	pthread_barrier_wait(h->go);	/* cache full, thread idle */
	pthread_barrier_wait(h->go);	/* main has filled the pool */
	return NULL;
}

static size_t
fill_pool(VMEM *vmp, size_t size)
{
	size_t n = 0;
	while (vmem_malloc(vmp, size) != NULL)
		n++;
	ck_assert_int_eq(errno, ENOMEM);
	return n;
}

/* a pool full from one thread's view is really full: the idle threads'
 * cached objects are taken back before malloc says ENOMEM */
START_TEST(test_exhaustion_takes_back_caches)
{
	/* the same pool twice: alone, and with three threads hoarding */
	size_t alone, with_hoards;
	VMEM *vmp = unit_region_pool(VMEM_MIN_POOL);
	vmem_free(vmp, vmem_malloc(vmp, 64));	/* this thread's cache */
	alone = fill_pool(vmp, 4096);
	unit_region_pool_delete(vmp, VMEM_MIN_POOL);

	vmp = unit_region_pool(VMEM_MIN_POOL);
	vmem_free(vmp, vmem_malloc(vmp, 64));
	pthread_barrier_t go;
	pthread_barrier_init(&go, NULL, 4);
	struct hoarder h = { vmp, &go };
	pthread_t t[3];
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, hoard, &h), 0);
	pthread_barrier_wait(&go);
	uint64_t hoarded = cached_objects(vmp);
	with_hoards = fill_pool(vmp, 4096);
	uint64_t left = cached_objects(vmp);
	pthread_barrier_wait(&go);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	printf("tcache: 4 KiB objects in a full pool: %zu alone, %zu with 3 "
			"idle threads that had %llu objects cached (%llu left)\n",
			alone, with_hoards, (unsigned long long)hoarded,
			(unsigned long long)left);
	ck_assert_uint_gt(hoarded, 1000);	/* ~1000 pages of objects */
	ck_assert_uint_eq(left, 0);
	/* missing may be only the three caches' own pages (short slabs use
	 * every hole a full-size slab would not fit) */
	size_t cache_pages = VM_PAGES(tcache_bytes());
	ck_assert_uint_ge(with_hoards + 3 * cache_pages, alone);
	ck_assert_int_eq(vmem_check(vmp), 1);
	unit_region_pool_delete(vmp, VMEM_MIN_POOL);
	pthread_barrier_destroy(&go);
}
END_TEST

/* vmem_check finds an object cached twice and a cached object that is
 * free in its slab */
START_TEST(test_check_verifies_caches)
{
	VMEM *vmp = unit_region_pool(64 * TU_MIB);
	void *a = vmem_malloc(vmp, 100), *b = vmem_malloc(vmp, 100);
	vmem_free(vmp, a);
	ck_assert_int_eq(vmem_check(vmp), 1);
	tcache_t *tc = tc_real(atomic_load(&vmp->slabs.tcaches[vm_tindex]));
	ck_assert_ptr_nonnull(tc);
	vm_stack_t *bin = &tc->bins[sc_class(100)];
	ck_assert_uint_ge(vm_stack_count(bin), 1);
	*bin->top++ = bin->objs[0];		/* cached twice */
	ck_assert_int_eq(vmem_check(vmp), 0);
	ck_assert_ptr_nonnull(strstr(vmem_errormsg(), "twice"));
	bin->top--;
	ck_assert_int_eq(vmem_check(vmp), 1);
	*bin->top++ = (char *)b + 8;	/* not an object */
	ck_assert_int_eq(vmem_check(vmp), 0);
	bin->top--;
	ck_assert_int_eq(vmem_check(vmp), 1);
	/* the marks the walk made are all gone */
	vmem_free(vmp, b);
	ck_assert_int_eq(vmem_check(vmp), 1);
	unit_region_pool_delete(vmp, 64 * TU_MIB);
}
END_TEST

/*
 * A flush parks objects of another thread's slabs on the bin's transfer
 * stack; another thread's refill takes them from there, without their
 * slab bits changing; a
 * double free of a parked object is refused; vmem_check and the
 * statistics count parked objects as cached, and a mark vmem_check
 * would find twice (an object parked and cached at once) is an error.
 */
struct xfer_arg {
	VMEM *vmp;
	void *objs[256];
	unsigned n;
};

static void *
allocate_n(void *arg)
{
	struct xfer_arg *x = arg;
	for (unsigned i = 0; i < x->n; i++)
		ck_assert_ptr_nonnull(x->objs[i] = vmem_malloc(x->vmp, 48));
	return NULL;
}

START_TEST(test_transfer_stack)
{
	VMEM *vmp = unit_region_pool(64 * TU_MIB);
	unsigned c = sc_class(48);
	bin_t *bin = &vmp->slabs.bins[c];
	struct xfer_arg x = { .vmp = vmp, .n = 4 * tcache_cap(c) };
	ck_assert_uint_le(x.n, VM_ARRAY_LEN(x.objs));
	/* this thread has its cache (and index) first: else it would get
	 * the other's index after it exited, and with it the home of the
	 * other's slabs, whose objects would then be its own */
	vmem_free(vmp, vmem_malloc(vmp, 8));
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, allocate_n, &x), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	/* another thread's objects, freed here: the cache overflows */
	for (unsigned i = 0; i < x.n; i++)
		vmem_free(vmp, x.objs[i]);
	ck_assert_uint_gt(bin->nxfer, 0);
	ck_assert_uint_le(bin->nxfer, bin->xfer_cap);
	ck_assert_int_eq(vmem_check(vmp), 1);
	/* a parked object is in use in its slab and carries the tag */
	void *parked = bin->xfer[0];
	run_t *run = region_lookup(&vmp->region,
			region_page(&vmp->region, parked));
	unsigned idx;
	ck_assert(slab_index(&vmp->region, run, parked, &idx));
	ck_assert(!slab_obj_is_free(run, idx));
	ck_assert(slab_tagged(vmp->slabs.tag_key, parked));
	/* freeing it again is refused, and it stays parked once */
	unsigned before = bin->nxfer;
	vmem_free(vmp, parked);
	ck_assert_ptr_nonnull(strstr(vmem_errormsg(), "freed twice"));
	ck_assert_uint_eq(bin->nxfer, before);
	ck_assert(bin_xfer_holds(bin, parked));
	/* a refill takes the parked objects before any slab's */
	uint64_t nmalloc = bin->nmalloc;
	unsigned want = bin->nxfer < 8 ? bin->nxfer : 8;
	void *out[8];
	ck_assert_uint_eq(bin_malloc_batch(bin, &vmp->region,
			&vmp->extents, out, want, 0), want);
	ck_assert_uint_eq(bin->nmalloc, nmalloc);	/* no slab touched */
	ck_assert_uint_eq(bin->nxfer, before - want);
	/* out of the stack, not yet in any cache: put them back */
	ck_assert_uint_eq(bin_flush_batch(bin, &vmp->region,
			&vmp->extents, out, want, vm_tindex), 0);
	ck_assert_int_eq(vmem_check(vmp), 1);
	/* a parked object also in a cache: vmem_check finds it twice */
	void *one = vmem_malloc(vmp, 48);	/* room in this cache */
	tcache_t *tc = tc_real(atomic_load(&vmp->slabs.tcaches[vm_tindex]));
	vm_stack_t *b = &tc->bins[c];
	ck_assert_uint_lt(vm_stack_count(b), b->cap);
	*b->top++ = bin->xfer[0];
	ck_assert_int_eq(vmem_check(vmp), 0);
	ck_assert_ptr_nonnull(strstr(vmem_errormsg(), "twice"));
	b->top--;
	ck_assert_int_eq(vmem_check(vmp), 1);
	vmem_free(vmp, one);
	unit_region_pool_delete(vmp, 64 * TU_MIB);
}
END_TEST

/* the memory of a thread cache is no object: freeing it is refused,
 * though the run is a large one of a cached length */
/*
 * Slab homes: two threads that each allocate and free their own objects
 * get them from slabs of their own, so no cache line holds objects of
 * both; a thread's flush gives its own objects back to its slabs (not to
 * the transfer stack), and once it has exited its slabs have no home and
 * another thread's refills take from them.
 */
struct homes_arg {
	VMEM *vmp;
	void *objs[512];
	unsigned n;
	uint32_t index;		/* the thread's cache index */
	pthread_barrier_t *both;
};

static void *
allocate_own(void *arg)
{
	struct homes_arg *h = arg;
	h->index = 0;
	for (unsigned i = 0; i < h->n; i++) {
		ck_assert_ptr_nonnull(h->objs[i] = vmem_malloc(h->vmp, 24));
		memset(h->objs[i], 0x3d, 24);
	}
	h->index = vm_tindex;
	pthread_barrier_wait(h->both);	/* both allocated */
	pthread_barrier_wait(h->both);	/* and checked */
	/* freeing all overflows the cache: its own go back to its slabs */
	for (unsigned i = 0; i < h->n; i++)
		vmem_free(h->vmp, h->objs[i]);
	pthread_barrier_wait(h->both);	/* both freed: checked meanwhile */
	pthread_barrier_wait(h->both);
	return NULL;
}

START_TEST(test_slab_homes)
{
	VMEM *vmp = unit_region_pool(64 * TU_MIB);
	unsigned c = sc_class(24);
	bin_t *bin = &vmp->slabs.bins[c];
	pthread_barrier_t both;
	ck_assert_int_eq(pthread_barrier_init(&both, NULL, 3), 0);
	static struct homes_arg h[2];
	pthread_t t[2];
	for (int i = 0; i < 2; i++) {
		h[i] = (struct homes_arg){ .vmp = vmp, .n = 512, .both = &both };
		ck_assert_int_eq(pthread_create(&t[i], NULL, allocate_own, &h[i]),
				0);
	}
	pthread_barrier_wait(&both);
	/* no 64-byte line holds objects of both threads: every object's
	 * slab has its thread's home */
	for (int i = 0; i < 2; i++) {
		ck_assert_uint_ne(h[i].index, 0);
		for (unsigned k = 0; k < h[i].n; k++) {
			run_t *run = region_lookup(&vmp->region,
					region_page(&vmp->region, h[i].objs[k]));
			ck_assert_uint_eq(run->home, h[i].index);
		}
	}
	pthread_barrier_wait(&both);
	pthread_barrier_wait(&both);
	/* their own objects went back to their slabs, none parked */
	ck_assert_uint_eq(bin->nxfer, 0);
	ck_assert_int_eq(vmem_check(vmp), 1);
	pthread_barrier_wait(&both);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	/* gone: their slabs have no home, and this thread's refills take
	 * from them before making a slab */
	uint32_t nslabs = bin->nslabs;
	ck_assert_uint_gt(nslabs, 0);
	for (uint32_t p = bin->list.head; p != 0;
			p = region_run(&vmp->region, p)->u.list.next)
		ck_assert_uint_eq(region_run(&vmp->region, p)->home, 0);
	void *mine = vmem_malloc(vmp, 24);
	ck_assert_ptr_nonnull(mine);
	ck_assert_uint_eq(bin->nslabs, nslabs);
	run_t *run = region_lookup(&vmp->region, region_page(&vmp->region,
			mine));
	ck_assert_uint_eq(run->home, vm_tindex);
	ck_assert_int_eq(vmem_check(vmp), 1);
	vmem_free(vmp, mine);
	pthread_barrier_destroy(&both);
	vmem_delete(vmp);
}
END_TEST

/* a cache's first refills of a class take an eighth, a quarter, a half
 * of a full refill (half the stack), then a full one */
START_TEST(test_refill_ramp)
{
	VMEM *vmp = unit_region_pool(64 * TU_MIB);
	unsigned c = sc_class(256);
	void *first = vmem_malloc(vmp, 256);
	ck_assert_ptr_nonnull(first);
	tcache_t *tc = tc_real(atomic_load(&vmp->slabs.tcaches[vm_tindex]));
	ck_assert_ptr_nonnull(tc);
	vm_stack_t *b = &tc->bins[c];
	unsigned full = b->cap / 2;
	for (unsigned k = 0; k <= TC_REFILL_RAMP; k++) {
		unsigned want = k < TC_REFILL_RAMP ?
				full >> (TC_REFILL_RAMP - k) : full;
		if (k > 0) {	/* empty the stack: the next malloc refills */
			while (vm_stack_count(b) > 0)
				ck_assert_ptr_nonnull(vmem_malloc(vmp, 256));
			ck_assert_ptr_nonnull(vmem_malloc(vmp, 256));
		}
		ck_assert_uint_eq(vm_stack_count(b), want - 1);
	}
	ck_assert_int_eq(vmem_check(vmp), 1);
	vmem_delete(vmp);
}
END_TEST

/*
 * Frees this thread's cache tc of the 64 MiB region pool vmp as if it were
 * an object: refused with a message saying why, the cache still in place,
 * usable size 0; then frees the object a and deletes the pool.
 */
static void
assert_cache_not_an_object(VMEM *vmp, tcache_t *tc, void *a, const char *why)
{
	vmem_free(vmp, tc);
	ck_assert_msg(strstr(vmem_errormsg(), why) != NULL, "\"%s\" does not "
			"say \"%s\"", vmem_errormsg(), why);
	ck_assert_ptr_eq(atomic_load(&vmp->slabs.tcaches[vm_tindex]), tc);
	ck_assert_ptr_null(vmem_malloc_usable_size(vmp, tc) ? tc : NULL);
	vmem_free(vmp, a);
	ck_assert_int_eq(vmem_check(vmp), 1);
	unit_region_pool_delete(vmp, 64 * TU_MIB);
}

/* a cache in the pool's spare area is not an object */
START_TEST(test_free_of_a_slot_cache_refused)
{
	VMEM *vmp = unit_region_pool(64 * TU_MIB);
	void *a = vmem_malloc(vmp, 100);
	tcache_t *tc = tc_real(atomic_load(&vmp->slabs.tcaches[vm_tindex]));
	ck_assert_ptr_nonnull(tc);
	ck_assert_int_eq(caches_slot_of(&vmp->slabs, tc), 0);
	ck_assert_uint_lt((uintptr_t)tc, vmp->region.data_start);
	assert_cache_not_an_object(vmp, tc, a, "not an object");
}
END_TEST

/* a cache in a run of the data area (once the slots are taken: here the
 * pool is told it has none) is refused too, though its run is large */
START_TEST(test_free_of_a_cache_refused)
{
	VMEM *vmp = unit_region_pool(64 * TU_MIB);
	vmp->slabs.nslots = 0;
	void *a = vmem_malloc(vmp, 100);
	tcache_t *tc = tc_real(atomic_load(&vmp->slabs.tcaches[vm_tindex]));
	ck_assert_ptr_nonnull(tc);
	run_t *run = region_lookup(&vmp->region,
			region_page(&vmp->region, tc));
	ck_assert_uint_eq(run->kind, RUN_LARGE);
	ck_assert_uint_eq(run->cls, RUN_CLS_TCACHE);
	ck_assert_uint_ge(run->npages, LCACHE_MIN_PAGES);
	ck_assert_uint_le(run->npages, LCACHE_MAX_PAGES);
	/* cut from the top of the pool */
	ck_assert_uint_eq(region_run_page(&vmp->region, run) + run->npages,
			vmp->region.npages);
	ck_assert_uint_eq(vmp->slabs.ncache_runs, 1);
	assert_cache_not_an_object(vmp, tc, a, "not the start of a live object");
}
END_TEST

/* large runs: a freed one is reused, a double free of a cached one is
 * refused, and vmem_check verifies the marks */
START_TEST(test_large_runs_cached)
{
	VMEM *vmp = unit_region_pool(64 * TU_MIB);
	char *p = vmem_malloc(vmp, 100000);	/* 25 pages */
	ck_assert_ptr_nonnull(p);
	run_t *run = region_run(&vmp->region, region_page(&vmp->region, p));
	vmem_free(vmp, p);
	ck_assert_uint_eq(run->kind, RUN_LARGE);
	ck_assert(lcache_marked(vmp->slabs.large_key, p));
	ck_assert_uint_eq(run->cls, 0);	/* the record is not written */
	ck_assert_int_eq(vmem_check(vmp), 1);
	ck_assert_uint_eq(run->cls, 0);	/* nor left changed by the check */
	/* freed twice while cached: refused, nothing changes */
	vmem_free(vmp, p);
	ck_assert_ptr_nonnull(strstr(vmem_errormsg(), "not the start of a live"));
	ck_assert_int_eq(vmem_check(vmp), 1);
	ck_assert_uint_eq(vmem_malloc_usable_size(vmp, p), 0);
	ck_assert_ptr_null(vmem_realloc(vmp, p, 200000));
	/* a cached run that lost its mark is corruption */
	uint64_t mark = *(uint64_t *)p;
	*(uint64_t *)p = 0;
	ck_assert_int_eq(vmem_check(vmp), 0);
	*(uint64_t *)p = mark;
	ck_assert_int_eq(vmem_check(vmp), 1);
	/* a request its bucket covers gets it back, unmarked */
	char *q = vmem_malloc(vmp, 99000);
	ck_assert_ptr_eq(q, p);
	ck_assert(!lcache_marked(vmp->slabs.large_key, q));
	ck_assert_uint_ge(vmem_malloc_usable_size(vmp, q), 100000);
	memset(q, 1, 100000);
	vmem_free(vmp, q);
	ck_assert_int_eq(vmem_check(vmp), 1);
	unit_region_pool_delete(vmp, 64 * TU_MIB);
}
END_TEST

/* a live large object that holds the mark's value by chance is still a
 * live object: usable, reallocated, freed and cached again */
START_TEST(test_large_mark_collision)
{
	VMEM *vmp = unit_region_pool(64 * TU_MIB);
	uint64_t *p = vmem_malloc(vmp, 30000);	/* 8 pages */
	ck_assert_ptr_nonnull(p);
	*p = lcache_mark(vmp->slabs.large_key, p);
	ck_assert_uint_ge(vmem_malloc_usable_size(vmp, p), 30000);
	ck_assert_int_eq(vmem_check(vmp), 1);
	vmem_free(vmp, p);			/* slow path: not cached */
	ck_assert_int_eq(vmem_check(vmp), 1);
	uint64_t *q = vmem_malloc(vmp, 30000);
	ck_assert_ptr_nonnull(q);
	*q = lcache_mark(vmp->slabs.large_key, q);
	q = vmem_realloc(vmp, q, 60000);
	ck_assert_ptr_nonnull(q);
	vmem_free(vmp, q);
	ck_assert_int_eq(vmem_check(vmp), 1);
	unit_region_pool_delete(vmp, 64 * TU_MIB);
}
END_TEST

#define NPOOLS 8
#define NTHREADS 8
static VMEM *pools[NPOOLS];
static _Atomic(void *) handoff[NPOOLS][64];

static void *
many_pools(void *arg)
{
	uint64_t x = (uintptr_t)arg * 2654435761u + 1;
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		unsigned p = (unsigned)(x % NPOOLS), s = (unsigned)(x >> 8) % 64;
		void *old = atomic_exchange(&handoff[p][s], NULL);
		if (old != NULL) {
			ck_assert_uint_eq(*(unsigned char *)old, p);
			vmem_free(pools[p], old);	/* often another's */
		} else {
			unsigned char *q = vmem_malloc(pools[p], 1 + x % 3000);
			ck_assert_ptr_nonnull(q);
			*q = (unsigned char)p;
			if ((q = atomic_exchange(&handoff[p][s], q)) != NULL)
				vmem_free(pools[p], q);
		}
	}
	return NULL;
}

START_TEST(test_many_pools_many_threads)
{
	for (int p = 0; p < NPOOLS; p++)
		pools[p] = unit_region_pool(32 * TU_MIB);
	pthread_t t[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, many_pools,
				(void *)(uintptr_t)i), 0);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	for (int p = 0; p < NPOOLS; p++) {
		ck_assert_int_eq(vmem_check(pools[p]), 1);
		ck_assert_uint_eq(pools[p]->slabs.ncaches, 0);	/* all exited */
		for (int s = 0; s < 64; s++)
			vmem_free(pools[p], atomic_exchange(&handoff[p][s], NULL));
		/* nothing is in use but what this thread's cache holds */
		uint64_t in_use = 0;
		for (unsigned c = 0; c < SC_NCLASSES; c++)
			in_use += bin_curobjs(&pools[p]->slabs.bins[c]);
		ck_assert_uint_eq(in_use, cached_objects(pools[p]));
		ck_assert_int_eq(vmem_check(pools[p]), 1);
		unit_region_pool_delete(pools[p], 32 * TU_MIB);
	}
}
END_TEST

static atomic_int stop;

static void *
allocate_until_stopped(void *arg)
{
	VMEM *vmp = arg;
	void *keep[32] = { 0 };
	for (unsigned i = 0; !atomic_load(&stop); i++) {
		vmem_free(vmp, keep[i % 32]);
		keep[i % 32] = vmem_malloc(vmp, 8 + (i * 37) % 4000);
	}
	for (int i = 0; i < 32; i++)
		vmem_free(vmp, keep[i]);
	return NULL;
}

/* 100 forks while four threads allocate: each child allocates, checks
 * its pool and exits cleanly; nothing hangs */
START_TEST(test_fork_while_four_threads_allocate)
{
	VMEM *vmp = unit_region_pool(64 * TU_MIB);
	atomic_store(&stop, 0);
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL,
				allocate_until_stopped, vmp), 0);
	int rounds = TU_SANITIZED ? 20 : 100;
	for (int r = 0; r < rounds; r++) {
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			alarm(20);
			void *p[1000];
			for (int i = 0; i < 1000; i++)
				if ((p[i] = vmem_malloc(vmp, 1 + i * 13 % 5000)) == NULL)
					_exit(2);
			for (int i = 0; i < 1000; i++)
				vmem_free(vmp, p[i]);
			_exit(vmem_check(vmp) == 1 ? 0 : 3);
		}
		int status;
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
				"round %d: child status %#x", r, status);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ck_assert_int_eq(vmem_check(vmp), 1);
	unit_region_pool_delete(vmp, 64 * TU_MIB);
}
END_TEST

/* a file pool is mapped shared: after fork it is still the parent's,
 * whose threads go on using it. The child must find it gone (vmem_check
 * -1, vmem_delete refused) and must not write into it: the parent's pool
 * stays consistent over 100 forks while three threads allocate. */
START_TEST(test_fork_leaves_shared_pool_to_parent)
{
	char dir[PATH_MAX];
	tu_mkdtemp(dir, sizeof(dir), NULL);
	VMEM *vmp = vmem_create(dir, 64 * TU_MIB);
	ck_assert_ptr_nonnull(vmp);
	VMEM *own = unit_region_pool(32 * TU_MIB);	/* private: the child's too */
	atomic_store(&stop, 0);
	pthread_t t[3];
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL,
				allocate_until_stopped, vmp), 0);
	int rounds = TU_SANITIZED ? 20 : 100;
	for (int r = 0; r < rounds; r++) {
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			alarm(20);
			if (vmem_check(vmp) != -1)
				_exit(2);
			vmem_delete(vmp);	/* refused: not a pool here */
			void *p = vmem_malloc(own, 1000);
			if (p == NULL)
				_exit(3);
			vmem_free(own, p);
			VMEM *fresh = vmem_create(dir, 16 * TU_MIB);
			if (fresh == NULL || vmem_check(fresh) != 1)
				_exit(4);
			vmem_delete(fresh);
			_exit(vmem_check(own) == 1 ? 0 : 5);
		}
		int status;
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
				"round %d: child status %#x", r, status);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	ck_assert_int_eq(vmem_check(vmp), 1);
	ck_assert_int_eq(vmem_check(own), 1);
	vmem_delete(vmp);
	unit_region_pool_delete(own, 32 * TU_MIB);
	tu_rmdir(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tcache");
	TCase *tc = tu_tcase(s, "lifecycle", 120);
	tcase_add_test(tc, test_thread_exit_returns_cache);
	tcase_add_test(tc, test_delete_with_live_caches);
	tcase_add_test(tc, test_exhaustion_takes_back_caches);
	tcase_add_test(tc, test_check_verifies_caches);
	tcase_add_test(tc, test_large_runs_cached);
	tcase_add_test(tc, test_large_mark_collision);
	tcase_add_test(tc, test_many_pools_many_threads);
	tcase_add_test(tc, test_fork_while_four_threads_allocate);
	tcase_add_test(tc, test_free_of_a_slot_cache_refused);
	tcase_add_test(tc, test_free_of_a_cache_refused);
	tcase_add_test(tc, test_transfer_stack);
	tcase_add_test(tc, test_slab_homes);
	tcase_add_test(tc, test_refill_ramp);
	tcase_add_test(tc, test_fork_leaves_shared_pool_to_parent);
	return tu_run(s);
}
