/*
 * libvmmalloc.h -- the malloc family of a program, served from one volatile
 * memory pool in a mapped file (libvmmalloc(7)).
 *
 * A program needs this header only to see the version and the minimum pool
 * size: the functions below are the standard ones, and libvmmalloc provides
 * them in place of the C library's, either preloaded
 * (LD_PRELOAD=libvmmalloc.so.1) or linked (-lvmmalloc). The pool is set up
 * from VMMALLOC_POOL_DIR and VMMALLOC_POOL_SIZE before main() runs.
 */
#ifndef LIBVMMALLOC_H
#define LIBVMMALLOC_H 1

#include <stddef.h>
#ifdef __cplusplus
#include <cstdlib>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define VMMALLOC_MAJOR_VERSION 1
#define VMMALLOC_MINOR_VERSION 1

/* the smallest VMMALLOC_POOL_SIZE accepted */
#define VMMALLOC_MIN_POOL ((size_t)(1024 * 1024 * 14))

#ifndef __cplusplus
/* the standard declarations (C++ takes them from its own headers, whose
 * exception specifications a plain redeclaration would contradict) */
void *malloc(size_t size);
void free(void *ptr);
void *calloc(size_t nmemb, size_t size);
void *realloc(void *ptr, size_t size);
int posix_memalign(void **memptr, size_t alignment, size_t size);
void *aligned_alloc(size_t alignment, size_t size);
void *memalign(size_t alignment, size_t size);
void *valloc(size_t size);
void *pvalloc(size_t size);
size_t malloc_usable_size(void *ptr);
#endif
/* cfree: free under its old name, kept for programs that still call it */
void cfree(void *ptr);

#ifdef __cplusplus
}
#endif

#endif /* libvmmalloc.h */
