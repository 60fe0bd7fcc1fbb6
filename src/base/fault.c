/*
 * fault.c -- the count of fault injection (see fault.h); empty unless the
 * build sets VM_FAULT_INJECT=1.
 *
 * Owns the process's count of VM_SYS calls and the settings read from the
 * environment at the first call (getenv only: this runs inside malloc in
 * libvmmalloc, and must not allocate).
 */
#include "internal.h"
#include "base/fault.h"

#if VM_FAULT_INJECT
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fmt.h"

static atomic_ulong ncalls;
static unsigned long fail_at;	/* 0: none */
static const char *only;	/* NULL: every call counts */
static atomic_int settings_read;

static void
read_settings(void)
{
	const char *at = getenv("VMEM_FAULT_AT");
	unsigned long n = 0;
	for (; at != NULL && *at >= '0' && *at <= '9'; at++)
		n = n * 10 + (unsigned long)(*at - '0');
	fail_at = n;
	only = getenv("VMEM_FAULT_CALL");
	if (only != NULL && *only == '\0')
		only = NULL;
}

static void
say(const char *fmt, unsigned long n, const char *call)
{
	char buf[160];
	int len = vm_fmt(buf, sizeof(buf), fmt, n, call);
	if (len > 0)
		(void)!write(STDERR_FILENO, buf, (size_t)len < sizeof(buf) ?
				(size_t)len : sizeof(buf) - 1);
}

bool
vm_fault_now(const char *call)
{
	/* racing first calls read the same settings: harmless */
	if (!atomic_load_explicit(&settings_read, memory_order_acquire)) {
		read_settings();
		atomic_store_explicit(&settings_read, 1, memory_order_release);
	}
	if (only != NULL && strcmp(only, call) != 0)
		return false;
	unsigned long n = atomic_fetch_add(&ncalls, 1) + 1;
	if (n != fail_at)
		return false;
	say("vmem-fault: failing call %lu, %s\n", n, call);
	return true;
}

/* with no call chosen to fail: how many there were, for the test that
 * then runs the program through each */
__attribute__((destructor)) static void
tell_count(void)
{
	if (atomic_load(&settings_read) && fail_at == 0)
		say("vmem-fault: %lu calls (%s)\n", atomic_load(&ncalls),
				only != NULL ? only : "all");
}
#endif
