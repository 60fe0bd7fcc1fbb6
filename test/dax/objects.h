/*
 * objects.h -- the object checks shared by the end-to-end programs of
 * libvmem (dax_e2e.c on a device DAX, fsdax_e2e.c in a directory of a DAX
 * file system), which run inside the QEMU guest of run-vm.sh.
 *
 * check_objects(vmp, m): objects of 16 B .. 64 MiB (malloc, calloc,
 * realloc, aligned_alloc) all land in the pool's mapping m, do not
 * overlap, keep their contents while others are freed and allocated, and
 * vmem_check returns 1 with them live and after they are all freed. The
 * pool needs room for about 220 MiB of them at once (and for the 64 MiB
 * object in one piece).
 * fill() and verify() write and check a pattern, for the programs' own
 * checks. Include after devmap.h and libvmem.h. For one thread.
 */
#ifndef OBJECTS_H
#define OBJECTS_H 1

struct obj {
	unsigned char *p;
	size_t n;
	uint64_t seed;
};

#define MAX_OBJS 2048
static struct obj objs[MAX_OBJS];
static int nobjs;

static void
fill(unsigned char *p, size_t n, uint64_t seed)
{
	uint64_t *w = (uint64_t *)(void *)p;
	size_t words = n / 8;
	for (size_t i = 0; i < words; i++)
		w[i] = seed ^ (i * 0x9E3779B97F4A7C15ULL);
	for (size_t j = words * 8; j < n; j++)
		p[j] = (unsigned char)(seed >> (j % 8 * 8)) ^ (unsigned char)j;
}

/* the offset of the first byte that is not what fill() wrote, or n */
static size_t
verify(const unsigned char *p, size_t n, uint64_t seed)
{
	const uint64_t *w = (const uint64_t *)(const void *)p;
	size_t words = n / 8;
	for (size_t i = 0; i < words; i++)
		if (w[i] != (seed ^ (i * 0x9E3779B97F4A7C15ULL)))
			return i * 8;
	for (size_t j = words * 8; j < n; j++)
		if (p[j] != ((unsigned char)(seed >> (j % 8 * 8)) ^
				(unsigned char)j))
			return j;
	return n;
}

static const size_t sizes[] = {
	16, 24, 40, 64, 100, 128, 250, 512, 1000, 2048, 4095, 4096, 4097,
	8192, 12000, 32768, 65536, 100000, 262144, MIB - 1, MIB,
	2 * MIB - 16, 2 * MIB, 2 * MIB + 1, 3 * MIB + 5, 8 * MIB,
	16 * MIB + 4096, 64 * MIB,
};
#define NSIZES (sizeof(sizes) / sizeof(*sizes))

/* how many objects of size n each round makes */
static int
copies(size_t n)
{
	return n <= 65536 ? 32 : n <= 4 * MIB ? 3 : n <= 16 * MIB + 4096 ? 2 : 1;
}

/* state of the object checks: the first failure of each kind */
struct objreport {
	int made, failed_alloc, outside, short_usable, bad_contents;
	char alloc_msg[200], outside_msg[200], usable_msg[200];
	char contents_msg[200];
};

/* makes one round of objects of every size; every other one if half */
static void
make_objects(VMEM *vmp, const struct devmap *m, struct objreport *r,
		uint64_t round, bool half)
{
	for (size_t s = 0; s < NSIZES; s++) {
		int k = copies(sizes[s]);
		for (int c = 0; c < k; c++) {
			if (half && c % 2 == 1)
				continue;
			if (nobjs == MAX_OBJS)
				return;
			size_t n = sizes[s];
			unsigned char *p = vmem_malloc(vmp, n);
			if (p == NULL) {
				if (r->failed_alloc++ == 0)
					snprintf(r->alloc_msg,
						sizeof(r->alloc_msg),
						"vmem_malloc(%zu) = NULL, "
						"errno %s", n, errname(errno));
				continue;
			}
			r->made++;
			if (!inside(m, p, n) && r->outside++ == 0)
				snprintf(r->outside_msg, sizeof(r->outside_msg),
					"vmem_malloc(%zu) = %p, the pool is "
					"mapped at %#" PRIxPTR "-%#" PRIxPTR,
					n, (void *)p, m->start, m->end);
			size_t u = vmem_malloc_usable_size(vmp, p);
			if (u < n && r->short_usable++ == 0)
				snprintf(r->usable_msg, sizeof(r->usable_msg),
					"vmem_malloc_usable_size of a %zu-byte "
					"object = %zu", n, u);
			uint64_t seed = (round << 48) ^ ((uint64_t)nobjs << 20)
				^ n;
			fill(p, n, seed);
			objs[nobjs++] = (struct obj){ p, n, seed };
		}
	}
}

/* checks the contents of every live object; counts into r */
static void
verify_objects(struct objreport *r)
{
	for (int i = 0; i < nobjs; i++) {
		size_t at = verify(objs[i].p, objs[i].n, objs[i].seed);
		if (at != objs[i].n && r->bad_contents++ == 0)
			snprintf(r->contents_msg, sizeof(r->contents_msg),
				"object %p of %zu bytes differs at offset %zu",
				(void *)objs[i].p, objs[i].n, at);
	}
}

static int
by_address(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct obj *)a)->p;
	uintptr_t y = (uintptr_t)((const struct obj *)b)->p;
	return x < y ? -1 : x > y;
}

/* frees the objects of odd index, keeping the others in order */
static void
free_every_other(VMEM *vmp)
{
	int kept = 0;
	for (int i = 0; i < nobjs; i++) {
		if (i % 2 == 1)
			vmem_free(vmp, objs[i].p);
		else
			objs[kept++] = objs[i];
	}
	nobjs = kept;
}

static void
free_all(VMEM *vmp)
{
	for (int i = 0; i < nobjs; i++)
		vmem_free(vmp, objs[i].p);
	nobjs = 0;
}

static void
check_objects(VMEM *vmp, const struct devmap *m)
{
	struct objreport r;
	memset(&r, 0, sizeof(r));
	nobjs = 0;
	make_objects(vmp, m, &r, 1, false);
	free_every_other(vmp);
	make_objects(vmp, m, &r, 2, true);
	verify_objects(&r);
	int expected = 0;
	for (size_t s = 0; s < NSIZES; s++)
		expected += copies(sizes[s]) + (copies(sizes[s]) + 1) / 2;
	check(r.failed_alloc == 0, "objects: 16 B .. 64 MiB all allocated",
			"expected %d objects, %d failed, the first: %s",
			expected, r.failed_alloc, r.alloc_msg);
	check(r.made > 0 && r.outside == 0,
			"objects: all inside the pool's mapping",
			"%d of %d outside, the first: %s", r.outside, r.made,
			r.made > 0 ? r.outside_msg : "no objects");
	check(r.short_usable == 0, "objects: usable size >= request",
			"%d too short, the first: %s", r.short_usable,
			r.usable_msg);
	check(r.made > 0 && r.bad_contents == 0,
			"objects: contents survive frees and new allocations",
			"%d objects changed, the first: %s", r.bad_contents,
			r.made > 0 ? r.contents_msg : "no objects");

	/* no two live objects overlap (by usable size) */
	qsort(objs, (size_t)nobjs, sizeof(*objs), by_address);
	int overlaps = 0;
	char omsg[200] = "";
	for (int i = 0; i + 1 < nobjs; i++) {
		size_t u = vmem_malloc_usable_size(vmp, objs[i].p);
		if (objs[i].p + u > objs[i + 1].p && overlaps++ == 0)
			snprintf(omsg, sizeof(omsg), "%p (usable %zu) runs "
					"into %p", (void *)objs[i].p, u,
					(void *)objs[i + 1].p);
	}
	check(overlaps == 0, "objects: no two overlap", "%d overlaps, the "
			"first: %s", overlaps, omsg);

	/* calloc over reused memory, realloc across sizes, aligned_alloc */
	bool zero = true;
	size_t calloc_sizes[] = { 24, 4096, 3 * MIB };
	char cmsg[200] = "";
	for (size_t i = 0; i < 3; i++) {
		unsigned char *p = vmem_calloc(vmp, 1, calloc_sizes[i]);
		if (p == NULL || !inside(m, p, calloc_sizes[i])) {
			zero = false;
			snprintf(cmsg, sizeof(cmsg), "vmem_calloc(1, %zu) = %p, "
					"errno %s", calloc_sizes[i], (void *)p,
					errname(errno));
			break;
		}
		for (size_t j = 0; j < calloc_sizes[i] && zero; j++)
			if (p[j] != 0) {
				zero = false;
				snprintf(cmsg, sizeof(cmsg), "byte %zu of a "
						"%zu-byte calloc is %#x", j,
						calloc_sizes[i], p[j]);
			}
		vmem_free(vmp, p);
	}
	check(zero, "objects: calloc zeroed, in the mapping", "%s", cmsg);

	bool kept = true;
	char rmsg[200] = "";
	size_t steps[] = { 100, 5000, 300000, 5 * MIB, 20 * MIB, 1000, 64 };
	unsigned char *p = NULL;
	size_t have = 0;
	for (size_t i = 0; i < sizeof(steps) / sizeof(*steps) && kept; i++) {
		unsigned char *q = vmem_realloc(vmp, p, steps[i]);
		if (q == NULL || !inside(m, q, steps[i])) {
			snprintf(rmsg, sizeof(rmsg), "vmem_realloc(%zu -> %zu) "
					"= %p, errno %s", have, steps[i],
					(void *)q, errname(errno));
			kept = false;
			break;
		}
		size_t same = have < steps[i] ? have : steps[i];
		size_t at = verify(q, same, 0xabcdef);
		if (at != same) {
			snprintf(rmsg, sizeof(rmsg), "after realloc %zu -> %zu "
					"byte %zu changed", have, steps[i], at);
			kept = false;
		}
		p = q;
		have = steps[i];
		fill(p, have, 0xabcdef);
	}
	vmem_free(vmp, p);
	check(kept, "objects: realloc keeps contents, in the mapping", "%s",
			rmsg);

	bool aligned = true;
	char amsg[200] = "";
	size_t aligns[] = { 64, 4096, 65536, 2 * MIB };
	for (size_t i = 0; i < 4; i++) {
		void *q = vmem_aligned_alloc(vmp, aligns[i], 3 * aligns[i] + 8);
		if (q == NULL || (uintptr_t)q % aligns[i] != 0 ||
				!inside(m, q, 3 * aligns[i] + 8)) {
			snprintf(amsg, sizeof(amsg), "vmem_aligned_alloc(%zu, "
					"%zu) = %p, errno %s", aligns[i],
					3 * aligns[i] + 8, q, errname(errno));
			aligned = false;
		}
		vmem_free(vmp, q);
	}
	check(aligned, "objects: aligned_alloc up to 2 MiB aligned, in the "
			"mapping", "%s", amsg);

	int c = vmem_check(vmp);
	check(c == 1, "objects: vmem_check = 1 with objects live",
			"expected 1, got %d (%s)", c, vmem_errormsg());
	free_all(vmp);
	c = vmem_check(vmp);
	check(c == 1, "objects: vmem_check = 1 after freeing all",
			"expected 1, got %d (%s)", c, vmem_errormsg());
}

#endif /* OBJECTS_H */
