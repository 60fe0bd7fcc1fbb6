/*
 * fatal.c -- libvmmalloc's fatal errors: one line on stderr, then exit
 * status 1. Used before the pool exists (a bad environment) and in a fork
 * child that cannot have its pool; writes with write(2), so it neither
 * allocates nor depends on stdio.
 *
 * Owns no state.
 */
#include <string.h>
#include <unistd.h>

#include "interpose/interpose.h"

static void
put(const char *s)
{
	vm_write_all(STDERR_FILENO, s, strlen(s));
}

void
vmm_fatal(const char *what, const char *detail)
{
	put("libvmmalloc: ");
	put(what);
	if (detail != NULL && detail[0] != '\0') {
		put(" ");
		put(detail);
	}
	put("\n");
	_exit(1);
}
