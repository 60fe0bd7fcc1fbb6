/*
 * pools.c -- how many pools one process holds at once (PMDK's libvmem 1.8
 * stopped at 32768): makes N pools of VMEM_MIN_POOL in one reserved
 * address range with vmem_create_in_region, puts an object in each,
 * checks a hundred of them, reports the peak resident memory and deletes
 * them all.
 *
 *   build/bench/pools N
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <libvmem.h>

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 40000;
	size_t size = VMEM_MIN_POOL;
	char *area = mmap(NULL, (size_t)n * size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	VMEM **pools = calloc((size_t)n, sizeof(*pools));
	if (n <= 0 || area == MAP_FAILED || pools == NULL) {
		fprintf(stderr, "pools: cannot reserve %d pools\n", n);
		return 2;
	}
	for (int i = 0; i < n; i++) {
		pools[i] = vmem_create_in_region(area + (size_t)i * size, size);
		if (pools[i] == NULL || vmem_malloc(pools[i], 100) == NULL) {
			printf("pools: pool %d failed: %s\n", i, vmem_errormsg());
			return 1;
		}
	}
	int checked = 0, consistent = 0;
	for (int i = 0; i < n; i += n / 100 + 1, checked++)
		consistent += vmem_check(pools[i]) == 1;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("pools: %d pools live at once, each with an object; %d of %d "
			"checked consistent; peak resident %ld MiB\n", n,
			consistent, checked, ru.ru_maxrss / 1024);
	for (int i = 0; i < n; i++)
		vmem_delete(pools[i]);
	return consistent == checked ? 0 : 1;
}
