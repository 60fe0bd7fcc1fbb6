/*
 * stack.h -- a bounded stack of pointers in slots its owner provides: the
 * stacks of a thread's cache, of small objects by class (slab/tcache.h)
 * and of large runs by length (large/lcache.h).
 *
 *   objs[0] ... objs[n - 1] | free slots ... |
 *   ^ objs                  ^ top            ^ end = objs + cap
 *
 * The fast paths compare top with objs (empty) and with end (full), with
 * no count to keep: objs <= top <= end.
 * Thread safety: none; its owner's (the thread cache's owner protocol).
 * Owns: nothing beyond the vm_stack_t and the slots it is given.
 */
#ifndef VM_STACK_H
#define VM_STACK_H

#include <stdint.h>

typedef struct vm_stack_s {
	void **top;		/* the next free slot */
	void **end;		/* objs + cap */
	void **objs;		/* the bottom: objs[0 .. top - objs) */
	uint32_t cap;
	uint32_t pad;
} vm_stack_t;

_Static_assert(sizeof(vm_stack_t) == 32, "free's fast path indexes by 32");

/* pointers on the stack (a huge number if top is below objs: corrupt) */
static inline uint64_t
vm_stack_count(const vm_stack_t *s)
{
	return ((uintptr_t)s->top - (uintptr_t)s->objs) / sizeof(void *);
}

static inline void
vm_stack_set_count(vm_stack_t *s, uint32_t n)
{
	s->top = s->objs + n;
}

/* an empty stack of cap slots from slot on; returns the slot after them */
static inline void **
vm_stack_init(vm_stack_t *s, void **slot, uint32_t cap)
{
	s->objs = s->top = slot;
	s->end = slot + cap;
	s->cap = cap;
	s->pad = 0;
	return s->end;
}

#endif /* VM_STACK_H */
