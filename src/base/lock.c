/*
 * lock.c -- the slow path of vm_lock (see lock.h): spin on a plain load
 * with a pause, yield after a while, and try again.
 */
#include "internal.h"
#include "base/lock.h"

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

VM_NOINLINE void
vm_lock_wait(vm_lock_t *l)
{
	for (unsigned spins = 0;; spins++) {
		while (atomic_load_explicit(&l->held, memory_order_relaxed)) {
			if (spins++ < 64)
				cpu_relax();
			else
				sched_yield();
		}
		if (atomic_exchange_explicit(&l->held, 1,
				memory_order_acquire) == 0)
			return;
	}
}
