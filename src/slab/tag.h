/*
 * tag.h -- the tag every free small object carries.
 *
 * Every free object carries the tag in its second word, wherever it is:
 * in its slab (written when the slab is made, or by a free that bypasses
 * the caches), in a thread's cache or on a transfer stack (written by
 * free). malloc clears it when it hands the object out. So free's fast
 * path tells a double free from a free of a live object by the tag alone,
 * without the slab's bitmap.
 *
 * Owns no state; the key is the pool's (slabs.h: tag_key).
 * Thread safety: a tag is written by the object's owner (the thread
 * freeing it, or the bin under its lock) and read by free without a
 * lock: a racing double free is settled by the slow path.
 */
#ifndef VM_TAG_H
#define VM_TAG_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The tag of a free small object: key ^ its address, in its second word
 * (every class is at least 16 bytes), key being the pool's tag_key
 * (~large_key, so a tag never equals a cached large run's mark). A free
 * that finds it has met a double free (of an object in a slab, in any
 * thread's cache, however deep, or on a transfer stack), or a program that
 * stored that very value: the slow path settles which, by the bitmap and
 * a look through the caches. A free object whose tag the program
 * overwrote (a write after free) and then freed again is not caught.
 */
static inline uint64_t
slab_tag(uint64_t key, const void *addr)
{
	return key ^ (uint64_t)(uintptr_t)addr;
}

static inline bool
slab_tagged(uint64_t key, const void *addr)
{
	return ((const uint64_t *)addr)[1] == slab_tag(key, addr);
}

static inline void
slab_tag_set(uint64_t key, void *addr)
{
	((uint64_t *)addr)[1] = slab_tag(key, addr);
}

static inline void
slab_tag_clear(void *addr)
{
	((uint64_t *)addr)[1] = 0;
}

#endif /* VM_TAG_H */
