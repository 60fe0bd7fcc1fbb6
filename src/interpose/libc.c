/*
 * libc.c -- pointers that did not come from the pool go back to the C
 * library: those of a library that dlopen() bound to libc's malloc with
 * RTLD_DEEPBIND, or of anything allocated before libvmmalloc took over.
 *
 * Owns libc's free and malloc_usable_size, looked up in libc itself (not
 * through the global scope, where the names are ours) the first time a
 * foreign pointer shows up; by then the pool serves any allocation the
 * lookup makes. If they cannot be found the pointer is left alone: a leak
 * rather than a crash.
 */
#include <dlfcn.h>
#include <pthread.h>

#include "interpose/interpose.h"

static void (*libc_free)(void *);
static size_t (*libc_usable_size)(void *);
static pthread_once_t looked_up = PTHREAD_ONCE_INIT;

static void
look_up(void)
{
	void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	if (libc == NULL) {
		vm_log(1, "libc.so.6 is not loaded: foreign pointers leak");
		return;
	}
	libc_free = (void (*)(void *))dlsym(libc, "free");
	libc_usable_size = (size_t (*)(void *))dlsym(libc,
			"malloc_usable_size");
}

void
vmm_libc_free(void *ptr)
{
	pthread_once(&looked_up, look_up);
	if (libc_free != NULL)
		libc_free(ptr);
}

size_t
vmm_libc_usable_size(void *ptr)
{
	pthread_once(&looked_up, look_up);
	return libc_usable_size != NULL ? libc_usable_size(ptr) : 0;
}
