/*
 * lib_deepbind.c -- a shared library for deepbind.c, which loads it with
 * dlopen(RTLD_NOW | RTLD_DEEPBIND). Deep binding makes this library's own
 * references to malloc, calloc, posix_memalign and free resolve in its own
 * dependencies first, that is in libc: the pointers it returns come from
 * libc's malloc, not from the libvmmalloc pool, and the program then hands
 * them to libvmmalloc's free, realloc and malloc_usable_size.
 *
 * Every block is filled with a byte pattern the caller can check.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1	/* also given by the Makefile */
#endif
#include <stdlib.h>
#include <string.h>

/* n bytes from this library's malloc, each byte (i * 13 + 1) */
void *
db_malloc(size_t n)
{
	unsigned char *p = malloc(n);
	if (p != NULL)
		for (size_t i = 0; i < n; i++)
			p[i] = (unsigned char)(i * 13 + 1);
	return p;
}

/* n zeroed bytes from this library's calloc */
void *
db_calloc(size_t n)
{
	return calloc(1, n);
}

/* n bytes aligned to align from this library's posix_memalign, pattern */
void *
db_memalign(size_t align, size_t n)
{
	void *p = NULL;
	if (posix_memalign(&p, align, n) != 0)
		return NULL;
	for (size_t i = 0; i < n; i++)
		((unsigned char *)p)[i] = (unsigned char)(i * 13 + 1);
	return p;
}

/* frees, with this library's free, a block this library allocated */
void
db_free(void *p)
{
	free(p);
}
