/*
 * small.h -- small objects of a pool: malloc's and free's fast paths
 * (inline), and the slow paths with every check that a pointer is a live
 * small object (small.c).
 *
 * A pointer reaches a cache only if the page map names a slab, it starts
 * an object there (the class table's divc, sizeclass.h) and it carries
 * no tag of a free object (tag.h). A tagged one goes to the slow path,
 * which tells a double free (the object sits in a thread's cache, on its
 * bin's transfer stack or free in its slab) from a live object whose
 * program stored the tag's very value.
 * The fast paths take no lock and no atomic read-modify-write (the
 * stealer handshake is a store and a load, tcache.h); the slow paths take
 * the locks of caches.h and bin.h.
 * Functions that refuse a pointer leave the reason in vm_err (base/log.h)
 * and change nothing.
 * Owns no state.
 * Thread safety: any thread; see above for the locks.
 */
#ifndef VM_SMALL_H
#define VM_SMALL_H

#include "slab/caches.h"

/*
 * True if ptr, at byte off of the region, whose page's entry less
 * RUN_SLAB is slab (a slab's entry: its low bits then clear), starts an
 * object of that slab and carries no tag (with key, the pool's tag_key)
 * of a free object: free's test that ptr is live, realloc's too.
 */
VM_INLINE bool
small_ptr_live(uint64_t key, uint64_t slab, uintptr_t off, const void *ptr)
{
	return sc_starts_object16(pagemap_slab_cls16(slab),
			off - pagemap_slab_start(slab)) &&
			!slab_tagged(key, ptr);
}

/*
 * malloc's fast path: pops an object of class cls from the cache tc (this
 * thread's, or tc_none) into *out, its tag cleared; false, with nothing
 * done, when the stack is empty or a stealer holds the cache.
 */
VM_INLINE bool
small_malloc_fast(tcache_t *tc, unsigned cls, void **out)
{
	vm_stack_t *b = &tc->bins[cls];
	vm_materialize(b);
	tc_enter(tc);
	void **top;
	if (vm_likely(!tc_stolen(tc)) &&
			vm_likely((top = b->top) != b->objs)) {
		void *p = top[-1];
		b->top = top - 1;
		tc_exit(tc);
		slab_tag_clear(p);
		*out = p;
		return true;
	}
	tc_exit(tc);
	return false;
}

/*
 * The end of free when the stack of cls is full: half of it goes back to
 * the bin, then ptr (checked) is pushed; called inside the cache
 * (tc_enter), leaves it. With tc_none (whose stacks are all full) it
 * leaves and frees ptr through small_free, which makes this thread a
 * cache. (It returns nothing, so free's fast path needs no register
 * kept across the call.)
 */
void small_free_full(slabs_t *s, tcache_t *tc, unsigned cls, void *ptr);

/*
 * free's fast path for a small object: ptr, at byte off of the region,
 * whose page's entry e names a slab, into this thread's cache tc after
 * the checks above; false, with nothing done, when the fast path cannot
 * take it (then the caller's slow path decides).
 */
VM_INLINE bool
small_free_fast(slabs_t *s, tcache_t *tc, uint64_t e, uintptr_t off,
		void *ptr)
{
	/* a slab's entry less RUN_SLAB has its low bits clear, and holds
	 * the slab's first byte and its class (large/pagemap.h) */
	uint64_t slab = e - RUN_SLAB;
	/* a tagged one may have been freed twice: the slow path looks */
	uint64_t key = s->tag_key;
	if (vm_unlikely(!small_ptr_live(key, slab, off, ptr)))
		return false;
	size_t cls16 = pagemap_slab_cls16(slab);
	/* &tc->bins[class], a vm_stack_t being 32 bytes */
	vm_stack_t *b = (vm_stack_t *)((char *)tc->bins + cls16 * 2);
	tc_enter(tc);
	if (vm_likely(!tc_stolen(tc))) {
		void **top = b->top;
		if (vm_unlikely(top == b->end)) {
			small_free_full(s, tc, (unsigned)(cls16 / 16), ptr);
			return true;
		}
		/* tagged while no stealer can hand it out */
		slab_tag_set(key, ptr);
		*top = ptr;
		b->top = top + 1;
		tc_exit(tc);
		return true;
	}
	tc_exit(tc);
	return false;
}

/* ---- small.c: the slow paths ------------------------------------------ */
/* an object of class cls through this thread's cache (a refill), else
 * one from the bin; NULL when the pool has no room for it */
void *small_malloc(slabs_t *s, unsigned cls);
/* one object of class cls from the bin, past the caches; NULL if no room */
void *small_malloc_uncached(slabs_t *s, unsigned cls);

/*
 * Frees ptr, a pointer into the slab run, after every check: it starts an
 * object, which is in no thread's cache, on no transfer stack and not
 * free in its slab. It goes to this thread's cache, or, for a thread that
 * can have none, back to its slab.
 */
void small_free(slabs_t *s, run_t *run, void *ptr);

/*
 * The slab of ptr if ptr starts a small object that free's fast path
 * would take as live (the page map names a slab, ptr starts an object of
 * it that carries no tag); NULL otherwise, and then the caller's general
 * path decides. realloc's first test.
 */
run_t *small_live(slabs_t *s, const void *ptr);
/* true unless ptr, a pointer into the slab run, is not the start of an
 * object, or it is free in its slab or in a thread's cache: realloc's
 * and malloc_usable_size's full test */
bool small_unfreed(slabs_t *s, run_t *run, const void *ptr);

/* the usable bytes of an object of the slab run */
static inline size_t
small_size(const run_t *run)
{
	return sc_table[run->cls].size;
}

#endif /* VM_SMALL_H */
