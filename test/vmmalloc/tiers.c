/*
 * tiers.c -- libvmmalloc's two tiers seen from a program, run by tiers.sh
 * with the tier variables set: where each object lands is read from
 * /proc/self/maps (the DRAM tier is an anonymous mapping of 14 MiB or
 * more, the pool a mapping of its file in $VMMALLOC_POOL_DIR).
 *
 *   tiers place T     (VMMALLOC_DRAM_THRESHOLD=T) objects below T bytes in
 *                     DRAM and the rest in the pool, through every
 *                     function of the family; realloc across T moves the
 *                     object to the other tier with its contents, both ways
 *   tiers ratio D P   (VMMALLOC_DRAM_RATIO=D:P) 160000 objects of sizes
 *                     spread evenly over 16..4096 bytes, then 640000 of
 *                     them replaced at random: DRAM's share of the live
 *                     bytes is within 3 points of D/(D+P)
 *   tiers spill       (a threshold of 4K, VMMALLOC_DRAM_MAX=16M) 1 KiB
 *                     objects beyond the cap land in the pool and are all
 *                     usable; once they are freed, DRAM takes new ones
 *   tiers none        (no tier variable) every object is in the pool
 * Prints one line per failure and exits 1, else a summary and 0.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum where { NOWHERE, DRAM, POOL };

struct range {
	uintptr_t lo, hi;
	enum where w;
};
static struct range ranges[256];
static int nranges;
static int failures;

static void
bad(const char *what, size_t size, const char *detail)
{
	printf("FAIL: %s (%zu bytes): %s\n", what, size, detail);
	failures++;
}

/* reads the mappings: the pool file's and the big anonymous ones */
static void
read_maps(void)
{
	const char *dir = getenv("VMMALLOC_POOL_DIR");
	FILE *f = fopen("/proc/self/maps", "r");
	char line[1024];
	nranges = 0;
	while (f != NULL && fgets(line, sizeof(line), f) != NULL &&
			nranges < 256) {
		unsigned long lo, hi;
		int path = 0;
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi,
				&path) < 2)
			continue;
		const char *p = line + path;
		enum where w = NOWHERE;
		if (dir != NULL && strncmp(p, dir, strlen(dir)) == 0)
			w = POOL;
		else if ((*p == '\n' || *p == '\0') && hi - lo >= (14 << 20))
			w = DRAM;
		ranges[nranges++] = (struct range){ lo, hi, w };
	}
	if (f != NULL)
		fclose(f);
}

static enum where
where(const void *ptr)
{
	uintptr_t a = (uintptr_t)ptr;
	for (int i = 0; i < nranges; i++)
		if (a >= ranges[i].lo && a < ranges[i].hi)
			return ranges[i].w;
	return NOWHERE;
}

static const char *
name(enum where w)
{
	return w == DRAM ? "DRAM" : w == POOL ? "the pool" : "neither tier";
}

/* ptr (of size bytes) must be in tier want */
static void
expect(const char *what, size_t size, const void *ptr, enum where want)
{
	if (ptr == NULL) {
		bad(what, size, "NULL");
		return;
	}
	enum where w = where(ptr);
	if (w != want) {
		char msg[128];
		snprintf(msg, sizeof(msg), "in %s, not %s", name(w), name(want));
		bad(what, size, msg);
	}
}

static void
fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 7);
}

static int
same_fill(const unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(seed + i * 7))
			return 0;
	return 1;
}

/* every function of the family, on both sides of the threshold t */
static void
place(size_t t)
{
	size_t below = t / 2, above = t * 2;
	void *objs[16];
	int n = 0;
	objs[n++] = malloc(below);
	objs[n++] = malloc(above);
	objs[n++] = calloc(1, below);
	objs[n++] = calloc(1, above);
	objs[n++] = aligned_alloc(64, below);
	objs[n++] = aligned_alloc(64, above);
	void *m1 = NULL, *m2 = NULL;
	if (posix_memalign(&m1, 128, below) != 0 ||
			posix_memalign(&m2, 128, above) != 0)
		bad("posix_memalign", below, "failed");
	objs[n++] = m1;
	objs[n++] = m2;
	objs[n++] = memalign(256, below);
	objs[n++] = memalign(256, above);
	read_maps();
	const char *what[] = { "malloc", "malloc", "calloc", "calloc",
		"aligned_alloc", "aligned_alloc", "posix_memalign",
		"posix_memalign", "memalign", "memalign" };
	for (int i = 0; i < n; i++)
		expect(what[i], i % 2 ? above : below, objs[i],
				i % 2 ? POOL : DRAM);
	for (int i = 0; i < n; i++)
		if (objs[i] != NULL && malloc_usable_size(objs[i]) <
				(i % 2 ? above : below))
			bad(what[i], i % 2 ? above : below,
					"malloc_usable_size too small");
	for (int i = 0; i < n; i++)
		free(objs[i]);

	/* realloc across the threshold, up and down, contents kept */
	unsigned char *p = malloc(below);
	fill(p, below, 3);
	unsigned char *q = realloc(p, above);
	read_maps();
	expect("realloc up across the threshold", above, q, POOL);
	if (q != NULL && !same_fill(q, below, 3))
		bad("realloc up across the threshold", above,
				"contents changed");
	unsigned char *r = realloc(q, below / 2);
	read_maps();
	expect("realloc down across the threshold", below / 2, r, DRAM);
	if (r != NULL && !same_fill(r, below / 2, 3))
		bad("realloc down across the threshold", below / 2,
				"contents changed");
	/* realloc within a tier stays there */
	unsigned char *s = realloc(r, below - 1);
	read_maps();
	expect("realloc within DRAM", below - 1, s, DRAM);
	free(s);
	printf("place: threshold %zu, %d objects checked\n", t, n + 3);
}

#define RATIO_OBJS	160000

/* a spread of sizes, all live: the share DRAM holds of their bytes */
static void
ratio(unsigned d, unsigned p)
{
	static void *objs[RATIO_OBJS];
	unsigned seed = 12345;
	for (int i = 0; i < RATIO_OBJS; i++) {
		seed = seed * 1103515245u + 12345u;
		size_t size = 16 + (seed >> 8) % 4081;
		objs[i] = malloc(size);
		if (objs[i] == NULL) {
			bad("malloc", size, "NULL");
			return;
		}
		memset(objs[i], 1, 16);
	}
	/* then a program's steady state: objects replaced at random */
	for (int s = 0; s < 4 * RATIO_OBJS; s++) {
		seed = seed * 1103515245u + 12345u;
		int i = (int)((seed >> 8) % RATIO_OBJS);
		free(objs[i]);
		seed = seed * 1103515245u + 12345u;
		size_t size = 16 + (seed >> 8) % 4081;
		if ((objs[i] = malloc(size)) == NULL) {
			bad("malloc", size, "NULL");
			return;
		}
		memset(objs[i], 1, 16);
	}
	read_maps();
	unsigned long long bytes[3] = { 0, 0, 0 };
	for (int i = 0; i < RATIO_OBJS; i++)
		bytes[where(objs[i])] += malloc_usable_size(objs[i]);
	if (bytes[NOWHERE] != 0)
		bad("ratio", 0, "objects outside both tiers");
	double share = 100.0 * (double)bytes[DRAM] /
			(double)(bytes[DRAM] + bytes[POOL]);
	double want = 100.0 * d / (d + p);
	printf("ratio %u:%u: DRAM holds %.1f%% of the bytes (asked %.1f%%)\n",
			d, p, share, want);
	if (share < want - 3 || share > want + 3)
		bad("ratio", 0, "DRAM's share is more than 3 points off");
	for (int i = 0; i < RATIO_OBJS; i++)
		free(objs[i]);
}

#define SPILL_OBJS	32768	/* 32 MiB of 1 KiB objects */

/* the cap reached: the rest in the pool; freed: DRAM again */
static void
spill(void)
{
	static unsigned char *objs[SPILL_OBJS];
	for (int i = 0; i < SPILL_OBJS; i++) {
		objs[i] = malloc(1024);
		if (objs[i] == NULL) {
			bad("malloc past the cap", 1024, "NULL");
			return;
		}
		fill(objs[i], 1024, (unsigned)i);
	}
	read_maps();
	int in[3] = { 0, 0, 0 };
	for (int i = 0; i < SPILL_OBJS; i++)
		in[where(objs[i])]++;
	for (int i = 0; i < SPILL_OBJS; i++)
		if (!same_fill(objs[i], 1024, (unsigned)i))
			bad("an object past the cap", 1024, "contents changed");
	printf("spill: %d objects in DRAM, %d in the pool\n", in[DRAM],
			in[POOL]);
	if (in[DRAM] < SPILL_OBJS / 4 || in[POOL] < SPILL_OBJS / 4 ||
			in[NOWHERE] != 0)
		bad("spill", 1024, "want the first in DRAM, the rest in the "
				"pool");
	if (where(objs[0]) != DRAM || where(objs[SPILL_OBJS - 1]) != POOL)
		bad("spill", 1024, "the first object not in DRAM or the last "
				"not in the pool");
	for (int i = 0; i < SPILL_OBJS; i++)
		free(objs[i]);
	void *again = malloc(1024);
	read_maps();
	expect("malloc after the DRAM tier emptied", 1024, again, DRAM);
	free(again);
}

static void
none(void)
{
	void *a = malloc(16), *b = malloc(100000);
	read_maps();
	expect("malloc without tiers", 16, a, POOL);
	expect("malloc without tiers", 100000, b, POOL);
	free(a);
	free(b);
}

int
main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "place") == 0)
		place(strtoul(argv[2], NULL, 0));
	else if (argc >= 4 && strcmp(argv[1], "ratio") == 0)
		ratio((unsigned)atoi(argv[2]), (unsigned)atoi(argv[3]));
	else if (argc >= 2 && strcmp(argv[1], "spill") == 0)
		spill();
	else if (argc >= 2 && strcmp(argv[1], "none") == 0)
		none();
	else
		bad("usage", 0, "tiers place T | ratio D P | spill | none");
	return failures == 0 ? 0 : 1;
}
