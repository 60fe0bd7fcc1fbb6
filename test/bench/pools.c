/*
 * pools.c -- how many pools one process holds at once (PMDK's libvmem 1.8
 * stopped at 32768): makes N pools of VMEM_MIN_POOL in one reserved
 * address range with vmem_create_in_region, puts an object in each,
 * checks a hundred of them, reports the peak resident memory and deletes
 * them all. It also times the creations in batches of 1000 and reports
 * how much slower the last batches were than the first: creating a pool
 * should not cost more with more pools alive (the registry is a treap, so
 * the cost grows with log n). The fastest of five batches at each end is
 * compared, because a batch that met the machine's other work tells
 * nothing.
 *
 *   build/bench/pools N
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

#include <libvmem.h>

#define BATCH	1000
#define ENDS	5	/* batches compared at each end */

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
			(double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static double
fastest(const double *secs, int n)
{
	double best = secs[0];
	for (int i = 1; i < n; i++)
		best = secs[i] < best ? secs[i] : best;
	return best;
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 40000;
	size_t size = VMEM_MIN_POOL;
	char *area = mmap(NULL, (size_t)n * size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	VMEM **pools = calloc((size_t)n, sizeof(*pools));
	int nbatches = n / BATCH;
	double *batch = calloc((size_t)nbatches + 1, sizeof(*batch));
	if (batch == NULL || n <= 0 || area == MAP_FAILED || pools == NULL) {
		fprintf(stderr, "pools: cannot reserve %d pools\n", n);
		return 2;
	}
	struct timespec tb;
	clock_gettime(CLOCK_MONOTONIC, &tb);
	for (int i = 0; i < n; i++) {
		pools[i] = vmem_create_in_region(area + (size_t)i * size, size);
		if (pools[i] == NULL || vmem_malloc(pools[i], 100) == NULL) {
			printf("pools: pool %d failed: %s\n", i, vmem_errormsg());
			return 1;
		}
		if (i % BATCH == BATCH - 1) {
			batch[i / BATCH] = seconds_since(&tb);
			clock_gettime(CLOCK_MONOTONIC, &tb);
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
	if (nbatches >= 2 * ENDS) {
		double first = fastest(batch, ENDS);
		double last = fastest(batch + nbatches - ENDS, ENDS);
		printf("pools: %d creations took %.1f ms among the first pools, "
				"%.1f ms among the last (%.2f x)\n", BATCH,
				first * 1e3, last * 1e3, last / first);
	}
	for (int i = 0; i < n; i++)
		vmem_delete(pools[i]);
	free(batch);
	free(pools);
	munmap(area, (size_t)n * size);
	return consistent == checked ? 0 : 1;
}
