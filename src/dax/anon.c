/*
 * anon.c -- anonymous memory for a pool of its own: libvmmalloc's DRAM
 * tier (interpose/tiers.c), made with vmem_create_in_region over it.
 *
 * Owns nothing once it has returned: the mapping is the caller's, and is
 * never unmapped (libvmmalloc's pools live as long as the process).
 * Invariant: what it returns is 2 MiB aligned, so the tier's chunks line
 * up with transparent huge pages.
 */
#include <errno.h>
#include <sys/mman.h>

#include "dax/dax.h"

void *
backing_anon_map(size_t size)
{
	size_t align = (size_t)2 << 20;
	size_t span = size + align;	/* room to slide to a 2 MiB boundary */
	char *area = span < size ? MAP_FAILED : VM_SYS("mmap", ENOMEM,
			MAP_FAILED, mmap(NULL, span, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
	if (area == MAP_FAILED)
		return NULL;
	char *start = (char *)VM_ALIGN_UP((uintptr_t)area, align);
	if (start > area)
		munmap(area, (size_t)(start - area));
	if (start + size < area + span)
		munmap(start + size, (size_t)(area + span - (start + size)));
	/* huge pages where the system gives them on request: a fault per
	 * 2 MiB rather than per page (advice only: no error if not) */
	(void)madvise(start, size, MADV_HUGEPAGE);
	return start;
}
