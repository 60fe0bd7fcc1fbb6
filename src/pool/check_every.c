/*
 * check_every.c -- debug level 3: the whole of vmem_check every N
 * operations, N from VMEM_CHECK_EVERY (libvmmalloc: VMMALLOC_CHECK_EVERY),
 * unset or 0 for never. A pool found inconsistent stops the program at
 * that operation, with vmem_check's message: the damage is caught near the
 * call that did it rather than at a crash much later.
 *
 * Owns the count of operations (one for the process, every pool and
 * thread adding to it) and N, read once.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "pool/vmem.h"
#include "pool/fastpath.h"

#if defined(VM_INTERPOSE) && VM_INTERPOSE
#define CHECK_EVERY_VAR	"VMMALLOC_CHECK_EVERY"
#else
#define CHECK_EVERY_VAR	"VMEM_CHECK_EVERY"
#endif

static uint64_t every;
static _Atomic uint64_t ops;
static pthread_once_t read_once = PTHREAD_ONCE_INIT;

/* N: decimal digits only; anything else (or too large) is 0, never */
static void
read_every(void)
{
	const char *v = getenv(CHECK_EVERY_VAR);
	uint64_t n = 0;
	for (; v != NULL && *v >= '0' && *v <= '9'; v++)
		if (__builtin_mul_overflow(n, 10, &n) ||
				__builtin_add_overflow(n, (uint64_t)(*v - '0'),
				&n))
			return;
	if (v != NULL && *v == '\0')
		every = n;
}

void
pool_check_tick(VMEM *vmp)
{
	pthread_once(&read_once, read_every);
	if (every == 0 ||
			(atomic_fetch_add_explicit(&ops, 1, memory_order_relaxed) +
			1) % every != 0)
		return;
	if (vmem_check(vmp) == 1)
		return;
	char buf[VM_ERRMSG_MAX + 128];
	int n = vm_fmt(buf, sizeof(buf), "vmem: " CHECK_EVERY_VAR "=%llu: "
			"pool %p is damaged after %llu operations: %s\n",
			(unsigned long long)every, (void *)vmp,
			(unsigned long long)atomic_load(&ops), vm_errmsg());
	if (n > 0)
		(void)!write(STDERR_FILENO, buf, (size_t)n < sizeof(buf) ?
				(size_t)n : sizeof(buf) - 1);
	abort();
}
