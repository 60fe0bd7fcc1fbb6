/*
 * fault.h -- fault injection for tests: in a build made with
 * VM_FAULT_INJECT=1 (make fault: build/fault), every call the core makes
 * into the system through VM_SYS counts, and one of them fails as the
 * system would have failed it, errno and all:
 *   VMEM_FAULT_AT=N     the N-th call counted fails (1 is the first);
 *                       0 or unset: none, and the count is told at exit
 *   VMEM_FAULT_CALL=name  count only calls of that name (the first
 *                       argument of VM_SYS: open, mmap, fallocate, ...)
 * The call that fails says so on stderr in one line starting
 * "vmem-fault: ", so a test that runs a program through every N knows
 * when N has passed the last call (no such line). In every other build
 * VM_SYS is its expression and costs nothing.
 *
 * Owns the count and the settings (fault.c), read once.
 * Thread safety: the count is atomic; the N-th call of the process fails,
 * whichever thread makes it.
 */
#ifndef VM_FAULT_H
#define VM_FAULT_H

#include <errno.h>
#include <stdbool.h>

#ifndef VM_FAULT_INJECT
#define VM_FAULT_INJECT 0
#endif

#if VM_FAULT_INJECT
/* true if this call, named call, is the one to fail */
bool vm_fault_now(const char *call);
/* expr, or (errno = err, fail) for the call chosen to fail */
#define VM_SYS(call, err, fail, expr) \
	(vm_fault_now(call) ? (errno = (err), (fail)) : (expr))
/* the same for calls that return an errno value (posix_fallocate) */
#define VM_SYS_ERRNO(call, err, expr) \
	(vm_fault_now(call) ? (err) : (expr))
#else
#define VM_SYS(call, err, fail, expr)	(expr)
#define VM_SYS_ERRNO(call, err, expr)	(expr)
#endif

#endif /* VM_FAULT_H */
