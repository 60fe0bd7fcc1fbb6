/*
 * lock.c -- the slow path of vm_lock (see lock.h): spin on a plain load
 * with a pause, yield after a while, and try again; and, in builds with
 * assertions, the lock-order witness.
 *
 * Owns, in those builds, each thread's list of the locks it holds
 * (held_locks, thread-local: no lock guards it). Invariant: a lock is on
 * its thread's list from just after it is taken to just before it is
 * released, at most WITNESS_MAX of them at a time.
 */
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"
#include "base/lock.h"
#include "base/fmt.h"

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

#if VM_DEBUG
/* the most locks one thread holds: fork's handlers hold every lock of
 * every pool (2 + SC_NCLASSES each) and the registry's. The list is
 * thread-local in the general model, not VM_TLS's initial-exec: 8 KiB
 * would not fit the static TLS room of a debug libvmem loaded with
 * dlopen (a preloaded libvmmalloc's TLS is static anyway, so reaching it
 * never allocates) */
#define WITNESS_MAX	1024

static __thread const vm_lock_t *held_locks[WITNESS_MAX];
static __thread unsigned nheld;

/* one line on stderr, then abort (as a failed assertion) */
static VM_COLD __attribute__((noreturn)) void
witness_fail(const char *what, const vm_lock_t *l, const vm_lock_t *h)
{
	char buf[512];
	int n;
	if (h != NULL)
		n = vm_fmt(buf, sizeof(buf), "vmem: lock order: %s %s (rank "
				"%u, order %u, pool %p) while holding %s (rank "
				"%u, order %u, pool %p)\n", what,
				l->name ? l->name : "?", l->rank, l->order,
				l->domain, h->name ? h->name : "?", h->rank,
				h->order, h->domain);
	else
		n = vm_fmt(buf, sizeof(buf), "vmem: lock order: %s %s (rank "
				"%u, pool %p)\n", what, l->name ? l->name : "?",
				l->rank, l->domain);
	if (n > 0)
		(void)!write(STDERR_FILENO, buf, (size_t)n < sizeof(buf) ?
				(size_t)n : sizeof(buf) - 1);
	abort();
}

/* may l be taken while h is held? */
static bool
order_ok(const vm_lock_t *l, const vm_lock_t *h)
{
	if (h->rank == VM_RANK_NONE)
		return true;
	if (l->domain != NULL && h->domain != NULL && l->domain != h->domain)
		return true;	/* locks of two pools: fork's walk */
	if (l->rank != h->rank)
		return l->rank > h->rank;
	return l->order != 0 && l->order > h->order;
}

void
vm_lock_witness_check(const vm_lock_t *l)
{
	if (l->rank == VM_RANK_NONE)
		return;
	for (unsigned i = 0; i < nheld; i++) {
		if (held_locks[i] == l)
			witness_fail("taking again", l, held_locks[i]);
		if (!order_ok(l, held_locks[i]))
			witness_fail("taking", l, held_locks[i]);
	}
}

void
vm_lock_witness_push(const vm_lock_t *l)
{
	if (l->rank == VM_RANK_NONE)
		return;
	if (nheld == WITNESS_MAX)
		witness_fail("too many locks held, taking", l, NULL);
	held_locks[nheld++] = l;
}

void
vm_lock_witness_pop(const vm_lock_t *l)
{
	if (l->rank == VM_RANK_NONE)
		return;
	for (unsigned i = nheld; i-- > 0;) {
		if (held_locks[i] == l) {
			memmove(&held_locks[i], &held_locks[i + 1],
					(nheld - i - 1) * sizeof(held_locks[0]));
			nheld--;
			return;
		}
	}
	witness_fail("releasing a lock this thread does not hold:", l, NULL);
}
#endif

void
vm_lock_witness_reset(void)
{
#if VM_DEBUG
	nheld = 0;
#endif
}
