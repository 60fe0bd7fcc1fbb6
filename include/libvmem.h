/*
 * libvmem.h -- the public interface of libvmem: volatile memory pools carved
 * out of memory-mapped files, device DAX, or a region the caller mapped.
 *
 * Source compatible with libvmem 1.1 of PMDK. Usable from C99 (-pedantic)
 * and C++. Every function is thread safe.
 */
#ifndef LIBVMEM_H
#define LIBVMEM_H 1

#include <stddef.h>
#include <wchar.h>

#ifdef __cplusplus
extern "C" {
#endif

/* the version this header describes */
#define VMEM_MAJOR_VERSION 1
#define VMEM_MINOR_VERSION 1

/* the smallest pool vmem_create() and vmem_create_in_region() accept */
#define VMEM_MIN_POOL ((size_t)(1024 * 1024 * 14))

typedef struct vmem VMEM;	/* an opaque pool handle */

/* pools */
VMEM *vmem_create(const char *dir, size_t size);
VMEM *vmem_create_in_region(void *addr, size_t size);
void vmem_delete(VMEM *vmp);
int vmem_check(VMEM *vmp);
void vmem_stats_print(VMEM *vmp, const char *opts);

/* objects */
void *vmem_malloc(VMEM *vmp, size_t size);
void vmem_free(VMEM *vmp, void *ptr);
void *vmem_calloc(VMEM *vmp, size_t nmemb, size_t size);
void *vmem_realloc(VMEM *vmp, void *ptr, size_t size);
void *vmem_aligned_alloc(VMEM *vmp, size_t alignment, size_t size);
char *vmem_strdup(VMEM *vmp, const char *s);
wchar_t *vmem_wcsdup(VMEM *vmp, const wchar_t *s);
size_t vmem_malloc_usable_size(VMEM *vmp, void *ptr);

/* the library */
const char *vmem_check_version(unsigned major_required,
		unsigned minor_required);
void vmem_set_funcs(
		void *(*malloc_func)(size_t size),
		void (*free_func)(void *ptr),
		void *(*realloc_func)(void *ptr, size_t size),
		char *(*strdup_func)(const char *s),
		void (*print_func)(const char *s));
const char *vmem_errormsg(void);

#ifdef __cplusplus
}
#endif

#endif /* LIBVMEM_H */
