/*
 * start.c -- libvmmalloc's one pool: made at the first allocation or in the
 * constructor, whichever comes first, from the environment (env.c).
 *
 * Owns: the pool handle and its address range (see interpose.h) and the
 * start-up state. While one thread makes the pool, allocations that
 * thread makes from inside the start-up come from the bootstrap arena
 * (boot.c); other threads wait for the pool. The pool is never unmapped:
 * after the destructor has run, the program's last free() calls still
 * find it.
 */
#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "interpose/interpose.h"

VMEM *_Atomic vmm_pool;
uintptr_t vmm_base;
size_t vmm_size;

enum { START_NONE, START_RUNNING, START_DONE };
static atomic_int start_state;
static VM_TLS bool starting_here;	/* this thread is making the pool */
static int log_stats;		/* VMM_STATS_* */

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
	if (log_stats != VMM_STATS_NONE || vm_log_level() > 0)
		vm_log_keep_stderr();
	mc_quiet();	/* the pool's header, inaccessible under memcheck */
	vmm_base = vmp->region.base;
	vmm_size = vmp->region.size;
	mc_loud();
	vmm_tiers_start(&cfg, vmp);
	vmm_fork_init(vmp, cfg.fork_mode, dir);
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
	if (log_stats != VMM_STATS_NONE && vmp != NULL)
		vmm_stats_print(vmp, log_stats == VMM_STATS_JSON);
}

void
vmm_stats_print(VMEM *vmp, bool json)
{
	if (!json) {
		vmem_stats_print(vmp, NULL);
		if (vmm_tiered) {
			vm_out("The DRAM tier:\n");
			vmem_stats_print(vmm_dram, NULL);
			vmm_tiers_print(false);
		}
		return;
	}
	/* one document: the pool's, the DRAM tier's, the tiers' */
	vm_out("{\"pool\": ");
	vmem_stats_print(vmp, "J");
	if (vmm_tiered) {
		vm_out(", \"dram_tier\": ");
		vmem_stats_print(vmm_dram, "J");
		vm_out(", \"tiers\": ");
		vmm_tiers_print(true);
	}
	vm_out("}\n");
}
