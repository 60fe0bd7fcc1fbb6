/*
 * stats_dump.c -- prints a pool's statistics for test/stats/check.py, as
 * text and as JSON, around a known set of objects:
 *
 *   stats_dump pool DIR      (libvmem) a 64 MiB pool in DIR holding 1000
 *                            objects of 64 bytes and 3 of 1 MiB, then
 *                            vmem_stats_print(vmp, NULL), a line "@@JSON",
 *                            vmem_stats_print(vmp, "J"), a line "@@JSON-gb"
 *                            and vmem_stats_print(vmp, "Jgb")
 *   stats_dump heap          (under libvmmalloc) the same objects with
 *                            malloc, then malloc_info(0, stdout); and
 *                            malloc_info(1, stdout) must fail with EINVAL
 * All output goes to stdout, through vmem_set_funcs's print function for
 * the pool. Exit status 0 unless a call failed.
 */
#include <errno.h>
#include <libvmem.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
print(const char *s)
{
	fputs(s, stdout);
}

int
main(int argc, char **argv)
{
	static void *small[1000], *large[3];
	if (argc >= 3 && strcmp(argv[1], "pool") == 0) {
		VMEM *vmp = vmem_create(argv[2], 64 << 20);
		if (vmp == NULL)
			return 1;
		for (int i = 0; i < 1000; i++)
			if ((small[i] = vmem_malloc(vmp, 64)) == NULL)
				return 1;
		for (int i = 0; i < 3; i++)
			if ((large[i] = vmem_malloc(vmp, 1 << 20)) == NULL)
				return 1;
		vmem_set_funcs(NULL, NULL, NULL, NULL, print);
		vmem_stats_print(vmp, NULL);
		print("@@JSON\n");
		vmem_stats_print(vmp, "J");
		print("@@JSON-gb\n");
		vmem_stats_print(vmp, "Jgb");
		fflush(stdout);
		vmem_delete(vmp);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "heap") == 0) {
		for (int i = 0; i < 1000; i++)
			if ((small[i] = malloc(64)) == NULL)
				return 1;
		for (int i = 0; i < 3; i++)
			if ((large[i] = malloc(1 << 20)) == NULL)
				return 1;
		if (malloc_info(0, stdout) != 0)
			return 1;
		errno = 0;
		if (malloc_info(1, stdout) != -1 || errno != EINVAL)
			return 1;
		fflush(stdout);
		return 0;
	}
	fprintf(stderr, "usage: stats_dump pool DIR | heap\n");
	return 2;
}
