/*
 * tiering.c -- the program of the tiering row (tiering.sh): an ordinary
 * malloc/free program, run under libvmmalloc with a DRAM tier and under
 * memkind's libmemtier, each with the far tier a file in DIR.
 *
 *   tiering DIR [STEPS [LIVE]]
 *
 * It fills LIVE slots (default 200000) with objects of sizes spread evenly
 * over 16..4096 bytes, then for STEPS steps (default 4000000) frees a slot
 * picked at random and puts a new object of a random size there, writing
 * its first 16 bytes each time. It prints one line:
 *   tiering: STEPS steps in S s: N steps/s; DRAM share X.X% of B bytes
 * the share being that of the live objects' requested bytes that are not
 * in a mapping of a file in DIR (the far tier) at the end.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct map {
	uintptr_t lo, hi;
};

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng = 88172645463325252ull;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* the mappings of files in dir: the far tier */
static int
far_maps(const char *dir, struct map *m, int max)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[1024];
	int n = 0;
	while (f != NULL && n < max && fgets(line, sizeof(line), f) != NULL) {
		unsigned long lo, hi;
		int path = 0;
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi,
				&path) >= 2 && path > 0 &&
				strncmp(line + path, dir, strlen(dir)) == 0)
			m[n++] = (struct map){ lo, hi };
	}
	if (f != NULL)
		fclose(f);
	return n;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: tiering DIR [STEPS [LIVE]]\n");
		return 2;
	}
	const char *dir = argv[1];
	long steps = argc > 2 ? atol(argv[2]) : 4000000;
	long live = argc > 3 ? atol(argv[3]) : 200000;
	char **obj = calloc((size_t)live, sizeof(*obj));
	size_t *size = calloc((size_t)live, sizeof(*size));
	if (obj == NULL || size == NULL)
		return 1;
	for (long i = 0; i < live; i++) {
		size[i] = 16 + next() % 4081;
		if ((obj[i] = malloc(size[i])) == NULL)
			return 1;
		memset(obj[i], (int)i, 16);
	}
	double t0 = now();
	for (long s = 0; s < steps; s++) {
		long i = (long)(next() % (uint64_t)live);
		free(obj[i]);
		size[i] = 16 + next() % 4081;
		if ((obj[i] = malloc(size[i])) == NULL) {
			fprintf(stderr, "tiering: malloc failed at step %ld\n", s);
			return 1;
		}
		memset(obj[i], (int)s, 16);
	}
	double t = now() - t0;
	static struct map maps[4096];
	int nmaps = far_maps(dir, maps, 4096);
	uint64_t near = 0, total = 0;
	for (long i = 0; i < live; i++) {
		uintptr_t a = (uintptr_t)obj[i];
		int far = 0;
		for (int k = 0; k < nmaps && !far; k++)
			far = a >= maps[k].lo && a < maps[k].hi;
		total += size[i];
		if (!far)
			near += size[i];
	}
	printf("tiering: %ld steps in %.3f s: %.0f steps/s; DRAM share %.1f%% "
			"of %llu bytes\n", steps, t, (double)steps / t,
			100.0 * (double)near / (double)total,
			(unsigned long long)total);
	fflush(stdout);	/* (libmemtier tears its heaps down before stdio's
			 * own flush at exit: the line would be lost) */
	for (long i = 0; i < live; i++)
		free(obj[i]);
	free(obj);
	free(size);
	return 0;
}
