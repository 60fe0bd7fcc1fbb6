/*
 * vg.h -- Valgrind's client requests: whether the process runs under a
 * Valgrind tool, and the requests the layers above make to it.
 *
 * Built with Debian's valgrind headers when they are there (VM_VALGRIND
 * 1), without them otherwise (every request is then a no-op and every
 * test below is false at compile time). Which tool runs is decided once,
 * when the library is loaded (vm_vg_init; the pool functions call it
 * again, which only reads), from requests only that tool answers:
 * memcheck, helgrind or drd. Outside
 * Valgrind each hook below costs a test of one byte, and only the slow
 * paths and the lock functions have one: the fast paths of malloc and
 * free are turned away by the data they already read (pool/vmem.h's
 * fast_size, slab/caches.h's vm_tfast), never by a test of their own.
 *
 * Memcheck's requests are inline (the pool layer makes them with the pool
 * in hand: pool/mc_*.c). Helgrind's and drd's are out of line
 * (vg.c): vmem's lock is a word of its own, so each lock and release is
 * announced, and the few hand-overs that no lock orders (a thread cache
 * taken by a stealer, slab/caches.c) are announced as happens-before
 * edges. Words that threads read without a lock on purpose are marked
 * as such (vm_vg_benign) so that the tools look past them.
 * Owns: vm_vg_memcheck and vm_vg_sync, written once per process.
 * Thread safety: any thread; vm_vg_init may race with itself harmlessly
 * (every caller computes the same values).
 */
#ifndef VM_VG_H
#define VM_VG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef VM_VALGRIND
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>) && \
		__has_include(<valgrind/helgrind.h>) && \
		__has_include(<valgrind/drd.h>)
#define VM_VALGRIND 1
#endif
#endif
#endif
#ifndef VM_VALGRIND
#define VM_VALGRIND 0
#endif

#if VM_VALGRIND
#include <valgrind/memcheck.h>
#endif

/* the thread checkers, in vm_vg_sync */
#define VM_VG_HELGRIND	1
#define VM_VG_DRD	2

/* (hidden: one RIP-relative load tests them, not a load of the address
 * first) */
#define VM_VG_HIDDEN	__attribute__((visibility("hidden")))

/* the process runs under memcheck (1) or not (0) */
extern uint8_t vm_vg_memcheck VM_VG_HIDDEN;
/* the process runs under helgrind (VM_VG_HELGRIND), drd (VM_VG_DRD) or
 * neither (0) */
extern uint8_t vm_vg_sync VM_VG_HIDDEN;
/* the process runs under one of those three tools: the allocator then
 * takes its slow paths only, where it tells the tool what it does (any
 * other tool, callgrind say, sees it as it runs outside Valgrind) */
extern uint8_t vm_vg_any VM_VG_HIDDEN;

/* decides the three above (idempotent) */
void vm_vg_init(void);

/* ---- memcheck (callers test vm_vg_memcheck first) ------------------------- */
#if VM_VALGRIND
/* this thread's errors are not reported until vm_vg_loud (nests): the
 * allocator's own accesses to its metadata and to free objects, which
 * memcheck sees as inaccessible */
#define vm_vg_quiet()		VALGRIND_DISABLE_ERROR_REPORTING
#define vm_vg_loud()		VALGRIND_ENABLE_ERROR_REPORTING
#define vm_vg_noaccess(p, n)	((void)VALGRIND_MAKE_MEM_NOACCESS(p, n))
#define vm_vg_defined(p, n)	((void)VALGRIND_MAKE_MEM_DEFINED(p, n))
#define vm_vg_undefined(p, n)	((void)VALGRIND_MAKE_MEM_UNDEFINED(p, n))
/* a block of n bytes at p (undefined, or defined if zeroed), allocated
 * here: memcheck records this thread's stack */
#define vm_vg_block_new(p, n, zeroed) \
		VALGRIND_MALLOCLIKE_BLOCK(p, n, 0, zeroed)
/* the block at p is freed (memcheck reports it if there is none) */
#define vm_vg_block_free(p)	VALGRIND_FREELIKE_BLOCK(p, 0)
/* the block at p of old bytes now has new bytes (exactly old, or
 * memcheck ignores it) */
#define vm_vg_block_resize(p, old, new) \
		VALGRIND_RESIZEINPLACE_BLOCK(p, old, new, 0)
#else
#define vm_vg_quiet()			((void)0)
#define vm_vg_loud()			((void)0)
#define vm_vg_noaccess(p, n)		((void)(p), (void)(n))
#define vm_vg_defined(p, n)		((void)(p), (void)(n))
#define vm_vg_undefined(p, n)		((void)(p), (void)(n))
#define vm_vg_block_new(p, n, zeroed)	((void)(p), (void)(n), (void)(zeroed))
#define vm_vg_block_free(p)		((void)(p))
#define vm_vg_block_resize(p, old, new)	((void)(p), (void)(old), (void)(new))
#endif

/*
 * How many of the n bytes from p are addressable before the first that is
 * not (n if all are): the size memcheck knows a block by. Call it quiet
 * (vm_vg_quiet): the request reports the bytes it finds inaccessible.
 */
static inline size_t
vm_vg_addressable(const void *p, size_t n)
{
#if VM_VALGRIND
	uintptr_t bad = (uintptr_t)VALGRIND_CHECK_MEM_IS_ADDRESSABLE(p, n);
	return bad == 0 ? n : bad - (uintptr_t)p;
#else
	(void)p;
	return n;
#endif
}

/* ---- helgrind and drd (out of line; callers test vm_vg_sync first) ------- */
/* the lock at l was taken / is about to be released by this thread */
void vm_vg_acquired(const void *l);
void vm_vg_releasing(const void *l);
/* what this thread did so far happens before whatever a thread does after
 * vm_vg_after(obj) once it has seen this thread's next store to obj */
void vm_vg_before(const void *obj);
void vm_vg_after(const void *obj);
/* the n bytes at p are read and written by several threads without a
 * lock, on purpose (atomics whose order the code argues): not checked */
void vm_vg_benign(const void *p, size_t n);

#endif /* VM_VG_H */
