/*
 * small.c -- the slow paths of small objects (see small.h): a refill of
 * this thread's cache, a full stack, and every check of a pointer that
 * the fast paths leave to them.
 *
 * Owns no state. A pointer is refused with a message naming the pool
 * (whose handle is the first byte of its region). The checks that look
 * through the threads' caches take them from their owners (caches.h), so
 * they must not run inside this thread's cache (tc_enter).
 */
#include "slab/small.h"

/* the pool's handle, for messages */
static void *
pool_of(const slabs_t *s)
{
	return (void *)s->rg->base;
}

void *
small_malloc(slabs_t *s, unsigned cls)
{
	tcache_t *tc = caches_enter(s);
	if (tc != NULL) {
		void *p = tcache_refill(tc, cls, &s->bins[cls], s->rg, s->ex);
		caches_leave(tc);
		if (vm_likely(p != NULL)) {
			slab_tag_clear(p);
			return p;
		}
	}
	/* no cache, or no room for a batch: one object */
	return small_malloc_uncached(s, cls);
}

void *
small_malloc_uncached(slabs_t *s, unsigned cls)
{
	void *p = bin_malloc(&s->bins[cls], s->rg, s->ex);
	if (p != NULL)
		slab_tag_clear(p);
	return p;
}

VM_NOINLINE void
small_free_full(slabs_t *s, tcache_t *tc, unsigned cls, void *ptr)
{
	if (vm_unlikely(tc == &tc_none)) {	/* no cache yet */
		caches_leave(tc);
		small_free(s, region_lookup(s->rg, region_page(s->rg, ptr)),
				ptr);
		return;
	}
	vm_stack_t *b = &tc->bins[cls];
	unsigned refused = tcache_flush(tc, cls, b->cap / 2, &s->bins[cls],
			s->rg, s->ex);
	slab_tag_set(s->tag_key, ptr);
	*b->top++ = ptr;
	caches_leave(tc);
	if (refused != 0)
		vm_err("%u objects of %u bytes were freed twice", refused,
				sc_table[cls].size);
}

/*
 * True if the small object ptr of class cls, which carries the tag of a
 * cached object, sits in a thread's cache or on its bin's transfer stack:
 * a look through every cache, taken from its owner for the moment, and
 * the stack (while the caches are taken, so nothing moves between them).
 */
static bool
in_cache(slabs_t *s, unsigned cls, const void *ptr)
{
	caches_freeze(s);
	bool held = caches_hold_small(s, cls, ptr) ||
			bin_xfer_holds(&s->bins[cls], ptr);
	caches_thaw(s);
	return held;
}

/* ptr, object idx of the slab run, to this thread's cache; false if the
 * thread has none. A double free found here is reported (true then) */
static bool
cache_free(slabs_t *s, run_t *run, unsigned idx, void *ptr)
{
	tcache_t *tc = caches_enter(s);
	if (tc == NULL)
		return false;
	unsigned cls = run->cls;
	vm_stack_t *b = &tc->bins[cls];
	if (slab_obj_is_free_nolock(run, idx)) {
		caches_leave(tc);
		vm_err("%p is not a live object of pool %p (double free?)",
				ptr, pool_of(s));
		return true;
	}
	if (b->top == b->end) {
		small_free_full(s, tc, cls, ptr);
		return true;
	}
	*b->top++ = ptr;
	slab_tag_set(s->tag_key, ptr);
	caches_leave(tc);
	return true;
}

void
small_free(slabs_t *s, run_t *run, void *ptr)
{
	unsigned idx;
	if (!slab_index(s->rg, run, ptr, &idx)) {
		vm_err("%p is not a live object of pool %p (not the start of "
				"an object)", ptr, pool_of(s));
		return;
	}
	/* only now is ptr known to start an object with a second word */
	if (slab_tagged(s->tag_key, ptr) && in_cache(s, run->cls, ptr)) {
		vm_err("%p is not a live object of pool %p (freed twice: it "
				"is in a thread's cache)", ptr, pool_of(s));
		return;
	}
	if (cache_free(s, run, idx, ptr))
		return;
	if (!bin_free(&s->bins[run->cls], run, ptr, s->rg, s->ex))
		vm_err("%p is not a live object of pool %p (double free?)",
				ptr, pool_of(s));
}

run_t *
small_live(slabs_t *s, const void *ptr)
{
	const region_t *rg = s->rg;
	uintptr_t off = (uintptr_t)ptr - rg->base;
	if (off >= rg->size)
		return NULL;
	uint64_t e = pagemap_get_at(&rg->pagemap, off);
	if (!pagemap_entry_is_slab(e) ||
			!small_ptr_live(s->tag_key, e - RUN_SLAB, off, ptr))
		return NULL;
	return region_run(rg, pagemap_slab_page(e));
}

/*
 * The bitmap is read without the bin lock, but, as in free, inside this
 * thread's cache, where vmem_check's marks (made with every cache taken)
 * cannot be under way.
 */
bool
small_unfreed(slabs_t *s, run_t *run, const void *ptr)
{
	unsigned idx;
	bool freed = !slab_index(s->rg, run, ptr, &idx);
	if (!freed) {
		tcache_t *tc = caches_enter(s);
		if (tc != NULL) {
			freed = slab_obj_is_free_nolock(run, idx);
			caches_leave(tc);
		} else {
			freed = !bin_owns(&s->bins[run->cls], run, ptr, s->rg);
		}
	}
	if (!freed && slab_tagged(s->tag_key, ptr))
		freed = in_cache(s, run->cls, ptr);
	if (!freed)
		return true;
	vm_err("%p is not a live object of pool %p", ptr, pool_of(s));
	return false;
}

