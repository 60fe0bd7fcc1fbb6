/*
 * library.c -- the library-wide functions: version check, error message,
 * and the functions the caller may substitute.
 *
 * libvmem keeps all of a pool's bookkeeping inside the pool and never calls
 * the system malloc, so of the functions vmem_set_funcs takes only
 * print_func has a use (it receives vmem_stats_print output); the memory
 * functions are accepted for source compatibility and not called.
 */
#include "pool/vmem.h"

VM_EXPORT const char *
vmem_check_version(unsigned major_required, unsigned minor_required)
{
	static VM_TLS char msg[128];
	if (major_required != VMEM_MAJOR_VERSION) {
		vm_fmt(msg, sizeof(msg), "libvmem major version mismatch "
				"(need %u, found %u)", major_required,
				VMEM_MAJOR_VERSION);
		vm_err("%s", msg);
		return msg;
	}
	if (minor_required > VMEM_MINOR_VERSION) {
		vm_fmt(msg, sizeof(msg), "libvmem minor version mismatch "
				"(need %u, found %u)", minor_required,
				VMEM_MINOR_VERSION);
		vm_err("%s", msg);
		return msg;
	}
	return NULL;
}

VM_EXPORT void
vmem_set_funcs(void *(*malloc_func)(size_t size),
		void (*free_func)(void *ptr),
		void *(*realloc_func)(void *ptr, size_t size),
		char *(*strdup_func)(const char *s),
		void (*print_func)(const char *s))
{
	(void)malloc_func;
	(void)free_func;
	(void)realloc_func;
	(void)strdup_func;
	vm_set_print(print_func);
}

VM_EXPORT const char *
vmem_errormsg(void)
{
	return vm_errmsg();
}
