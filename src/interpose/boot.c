/*
 * boot.c -- the bootstrap arena: where allocations made while the pool is
 * being made come from (pthread_atfork, the dynamic loader, anything
 * vmem_create reaches, from the thread that makes the pool).
 *
 * Owns the arena: a bump allocator in static storage whose blocks are
 * never reused, each with its size just before it. Static storage is
 * zero, so a block is zero too (calloc needs nothing more).
 * Thread safety: lock-free (one compare-and-swap per block).
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "interpose/interpose.h"

#define BOOT_BYTES	((size_t)256 << 10)
#define BOOT_HEADER	16	/* a block's size, kept just before it */
static _Alignas(4096) unsigned char boot_arena[BOOT_BYTES];
static atomic_size_t boot_top;

void *
vmm_boot_alloc(size_t size, size_t align)
{
	if (align < BOOT_HEADER)
		align = BOOT_HEADER;
	size_t top = atomic_load_explicit(&boot_top, memory_order_relaxed);
	for (;;) {
		if (size > BOOT_BYTES || align > BOOT_BYTES / 2) {
			errno = ENOMEM;
			return NULL;
		}
		size_t start = VM_ALIGN_UP(top + BOOT_HEADER, align);
		if (start + size > BOOT_BYTES) {
			errno = ENOMEM;
			return NULL;
		}
		if (atomic_compare_exchange_weak(&boot_top, &top,
				start + size)) {
			memcpy(boot_arena + start - sizeof(size_t), &size,
					sizeof(size));
			return boot_arena + start;
		}
	}
}

bool
vmm_boot_owns(const void *ptr)
{
	return (uintptr_t)ptr - (uintptr_t)boot_arena < BOOT_BYTES;
}

size_t
vmm_boot_size(const void *ptr)
{
	size_t size;
	memcpy(&size, (const unsigned char *)ptr - sizeof(size_t),
			sizeof(size));
	return size;
}
