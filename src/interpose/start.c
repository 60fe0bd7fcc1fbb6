/*
 * start.c -- libvmmalloc's one pool: made at the first allocation or in the
 * constructor, whichever comes first, from the environment (env.c).
 *
 * Owns: the pool handle and its address range (see interpose.h), the
 * start-up state, and the bootstrap arena. While one thread makes the pool,
 * allocations that thread makes from inside the start-up (pthread_atfork,
 * the dynamic loader, anything vmem_create reaches) come from the arena, a
 * bump allocator in static storage whose blocks are never reused; other
 * threads wait for the pool. The pool is never unmapped: after the
 * destructor has run, the program's last free() calls still find it.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "interpose/interpose.h"

VMEM *_Atomic vmm_pool;
uintptr_t vmm_base;
size_t vmm_size;

enum { START_NONE, START_RUNNING, START_DONE };
static atomic_int start_state;
static VM_TLS bool starting_here;	/* this thread is making the pool */
static bool log_stats;

/* ---- the bootstrap arena ------------------------------------------------ */
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

/* ---- fatal errors ---------------------------------------------------------- */
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

/* ---- start-up --------------------------------------------------------------- */
static void
make_pool(void)
{
	static char dir[PATH_MAX];
	struct vmm_config cfg;
	vm_log_init();
	vmm_config_read(&cfg);
	if (strlen(cfg.dir) >= sizeof(dir))
		vmm_fatal("VMMALLOC_POOL_DIR is too long:", cfg.dir);
	strcpy(dir, cfg.dir);
	VMEM *vmp = pool_create_lazy(dir, cfg.size);
	if (vmp == NULL)
		vmm_fatal("cannot make the pool (VMMALLOC_POOL_DIR, "
				"VMMALLOC_POOL_SIZE):", vmem_errormsg());
	log_stats = cfg.log_stats;
	if (log_stats || vm_log_level() > 0)
		vm_log_keep_stderr();
	vmm_base = vmp->region.base;
	vmm_size = vmp->region.size;
	vmm_fork_init(cfg.fork_mode, dir);
	vm_log(2, "pool of %zu bytes at %p in %s, VMMALLOC_FORK=%d",
			vmm_size, (void *)vmm_base, dir, cfg.fork_mode);
	atomic_store_explicit(&vmm_pool, vmp, memory_order_release);
}

bool
vmm_start(void)
{
	if (atomic_load_explicit(&start_state, memory_order_acquire) ==
			START_DONE)
		return true;
	int expected = START_NONE;
	if (atomic_compare_exchange_strong(&start_state, &expected,
			START_RUNNING)) {
		starting_here = true;
		make_pool();
		starting_here = false;
		atomic_store_explicit(&start_state, START_DONE,
				memory_order_release);
		return true;
	}
	if (starting_here)
		return false;
	while (atomic_load_explicit(&start_state, memory_order_acquire) !=
			START_DONE)
		sched_yield();
	return true;
}

__attribute__((constructor)) static void
vmm_constructor(void)
{
	(void)vmm_start();
}

__attribute__((destructor)) static void
vmm_destructor(void)
{
	VMEM *vmp = atomic_load(&vmm_pool);
	vm_log(2, "the program ends; the pool stays mapped to the last free");
	if (log_stats && vmp != NULL)
		vmem_stats_print(vmp, NULL);
}
