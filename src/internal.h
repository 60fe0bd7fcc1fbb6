/*
 * internal.h -- what every module of the core shares: compiler attributes,
 * leveled assertions, page arithmetic, small bit helpers and the two
 * compiler hints of the fast paths.
 *
 * Owns nothing: nothing here allocates or keeps state, so any thread may
 * use all of it. Public declarations live in include/; each layer's
 * interface is the one header of its directory (src/X/X.h).
 *
 * Debug levels (VM_DEBUG, set by the Makefile):
 *   0  release: no assertions
 *   1  vm_assert: cheap checks of the caller's contract
 *   2  vm_assert_internal: the allocator's own invariants
 *   3  vm_assert_expensive: whole-structure validation on every operation
 */
#ifndef VM_INTERNAL_H
#define VM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef VM_DEBUG
#define VM_DEBUG 0
#endif

/* the API of libvmem; libvmmalloc (VM_INTERPOSE) exports none of it */
#if defined(VM_INTERPOSE) && VM_INTERPOSE
#define VM_EXPORT
#else
#define VM_EXPORT	__attribute__((visibility("default")))
#endif
#define VM_NOINLINE	__attribute__((noinline))
#define VM_COLD		__attribute__((cold))
#define VM_INLINE	static inline __attribute__((always_inline))
#define VM_TLS		__thread __attribute__((tls_model("initial-exec")))
#define VM_FORMAT(a, b)	__attribute__((format(printf, a, b)))
#define vm_likely(x)	__builtin_expect(!!(x), 1)
#define vm_unlikely(x)	__builtin_expect(!!(x), 0)

/* true in builds with assertions: lets debug code compile in every build */
static const bool config_debug = VM_DEBUG > 0;

/* failed assertion: prints with write(2) (never allocates), then aborts */
VM_COLD __attribute__((noreturn)) void vm_assert_fail(const char *expr,
		const char *file, int line);

#define vm_assert_level(lvl, e) do { \
	if (VM_DEBUG >= (lvl) && vm_unlikely(!(e))) \
		vm_assert_fail(#e, __FILE__, __LINE__); \
} while (0)
#define vm_assert(e)		vm_assert_level(1, e)
#define vm_assert_internal(e)	vm_assert_level(2, e)
#define vm_assert_expensive(e)	vm_assert_level(3, e)

/* the allocator's page: the unit of the page map and of every extent */
#define VM_PAGE_SHIFT	12
#define VM_PAGE		((size_t)1 << VM_PAGE_SHIFT)
#define VM_PAGE_MASK	(VM_PAGE - 1)

/* the alignment every object gets */
#define VM_MIN_ALIGN	((size_t)16)

#define VM_ALIGN_UP(x, a)	(((x) + ((a) - 1)) & ~((a) - 1))
#define VM_ALIGN_DOWN(x, a)	((x) & ~((a) - 1))
#define VM_IS_POW2(x)		((x) != 0 && ((x) & ((x) - 1)) == 0)
#define VM_PAGES(bytes)		(((bytes) + VM_PAGE_MASK) >> VM_PAGE_SHIFT)
#define VM_ARRAY_LEN(a)		(sizeof(a) / sizeof((a)[0]))

/* index of the highest set bit; x != 0 */
static inline unsigned
vm_log2(uint64_t x)
{
	return 63u - (unsigned)__builtin_clzll(x);
}

/*
 * Starts fetching the cache line at p for writing (PREFETCHW: the line
 * comes exclusive, so the store that follows the load needs no second
 * transfer when another core wrote it last; a no-op where the CPU lacks
 * it). GCC emits PREFETCHW for __builtin_prefetch(p, 1) only when built
 * for such a CPU, hence the asm on x86-64.
 */
static inline __attribute__((always_inline)) void
vm_prefetch_write(const void *p)
{
#if defined(__x86_64__)
	__asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
#else
	__builtin_prefetch(p, 1);
#endif
}

/* makes the compiler hold p's value in a register from here on, where it
 * would otherwise recompute it for each use in another address mode */
#define vm_materialize(p)	__asm__("" : "+r"(p))

#endif /* VM_INTERNAL_H */
