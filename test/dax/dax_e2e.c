/*
 * dax_e2e.c -- libvmem on a real device DAX, end to end. Run by run-vm.sh
 * inside a QEMU guest whose emulated NVDIMM is /dev/dax0.0 (any alignment);
 * needs nothing but the device and the static libvmem it is linked with.
 *
 * Checks, one line each ("PASS name" or "FAIL name: expected ..., got ..."):
 *  - vmem_create(dev, 0) makes a pool of the whole device: one MAP_SHARED
 *    mapping of the device in /proc/self/maps, as long as the device
 *    (sysfs size), starting at a multiple of the device's alignment (sysfs
 *    align); a single object of 90% of the device fits;
 *  - objects of 16 B .. 64 MiB (malloc, calloc, realloc, aligned_alloc)
 *    all land in the mapping, do not overlap, keep their contents while
 *    others are freed and allocated, and vmem_check returns 1;
 *  - while the pool lives, a second vmem_create on the device fails with
 *    EBUSY, in this process and in another one, and the live pool is
 *    untouched; vmem_delete unmaps the device, and a new pool works;
 *  - vmem_create(dev, 32 MiB) maps only 32 MiB (rounded up to the
 *    alignment: 1 GiB of a 1 GiB device): 8 MiB more does not fit
 *    (ENOMEM), half of it does; a size above the device's is the whole
 *    device;
 *  - a character device that is not DAX (/dev/zero) -> EINVAL; a missing
 *    path -> ENOENT.
 * libvmem reads the device's geometry with libdaxctl when it can load it,
 * from sysfs when not: the first line says which the run exercises
 * (run-vm.sh runs this program both ways).
 *
 * usage: dax_e2e DEVICE [NOT-DAX-CHAR-DEVICE]     exit 0 if all passed
 *        dax_e2e --try-create DEVICE   (internal) exit status: the errno of
 *                                      vmem_create(DEVICE, 0), 0 if it made
 *                                      a pool, 100 if it failed with errno 0
 */
#include <dlfcn.h>
#include <libvmem.h>
#include <sys/wait.h>

#include "devmap.h"
#include "objects.h"

static const char *dev;		/* the device DAX under test */
static struct devgeo geo;	/* its size and alignment */

/* what vmem_create left: "errno EBUSY (message)" */
static const char *
failure(int e)
{
	static char buf[600];
	const char *msg = vmem_errormsg();
	snprintf(buf, sizeof(buf), "errno %s (\"%s\")", errname(e),
			msg != NULL ? msg : "");
	return buf;
}

/*
 * The one mapping of the device, checked: exactly one, shared, starting at
 * a multiple of the device alignment, `want` bytes long. Prefix names the
 * checks. Returns false (and *m undefined) if there is not exactly one.
 */
static bool
check_mapping(const char *prefix, size_t want, struct devmap *m)
{
	char name[128];
	struct devmap maps[DM_MAX];
	int n = devmap_find(geo.path, maps, DM_MAX);
	snprintf(name, sizeof(name), "%s: one mapping of the device", prefix);
	if (!check(n == 1, name, "expected 1 mapping of %s in /proc/self/maps, "
			"got %d", geo.path, n))
		return false;
	*m = maps[0];
	size_t len = m->end - m->start;
	snprintf(name, sizeof(name), "%s: mapping is %s", prefix, human(want));
	check(len == want, name, "expected %zu bytes (%s), got %zu (%s) at "
			"%#" PRIxPTR "-%#" PRIxPTR, want, human(want), len,
			human(len), m->start, m->end);
	snprintf(name, sizeof(name), "%s: mapping aligned to %s", prefix,
			human(geo.align));
	check(m->start % geo.align == 0, name, "expected a start address "
			"that is a multiple of %#zx, got %#" PRIxPTR
			" (%#" PRIxPTR " past it)", geo.align, m->start,
			m->start % geo.align);
	snprintf(name, sizeof(name), "%s: mapping shared", prefix);
	check(m->perms[3] == 's', name, "expected MAP_SHARED (\"rw-s\"), got "
			"\"%s\"", m->perms);
	return true;
}

/* ---- a second pool on the device ---------------------------------------- */

/* the child of check_busy_elsewhere: the errno of vmem_create as status */
static int
try_create(const char *path)
{
	errno = 0;
	VMEM *vmp = vmem_create(path, 0);
	if (vmp != NULL) {
		vmem_delete(vmp);
		return 0;
	}
	dm_line("info: another process: vmem_create(%s, 0): %s", path,
			failure(errno));
	return errno != 0 && errno < 100 ? errno : 100;
}

/* another process (a new program image, no state shared) tries the device */
static void
check_busy_elsewhere(void)
{
	const char *name = "busy: vmem_create in another process -> EBUSY";
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", "dax_e2e", "--try-create", geo.path,
				(char *)NULL);
		_exit(101);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid) {
		check(false, name, "could not run the other process: %s",
				strerror(errno));
		return;
	}
	if (!WIFEXITED(st)) {
		check(false, name, "expected exit status %d (EBUSY), the "
				"other process died of signal %d", EBUSY,
				WTERMSIG(st));
		return;
	}
	int code = WEXITSTATUS(st);
	check(code == EBUSY, name, "expected vmem_create = NULL with EBUSY, "
			"got %s", code == 0 ? "a pool" : code == 101 ?
			"no exec of /proc/self/exe" : errname(code));
}

/* two ways to ask for the device again while vmp lives */
static void
check_busy(VMEM *vmp, const struct devmap *m)
{
	/* a live object that must come through unchanged */
	unsigned char *canary = vmem_malloc(vmp, 3 * MIB);
	if (canary != NULL)
		fill(canary, 3 * MIB, 0x5eed);
	static const size_t again[] = { 0, 32 * MIB };
	for (size_t i = 0; i < 2; i++) {
		char name[128];
		snprintf(name, sizeof(name), "busy: vmem_create(dev, %s) while "
				"a pool lives -> EBUSY",
				again[i] ? human(again[i]) : "0");
		errno = 0;
		VMEM *second = vmem_create(dev, again[i]);
		int e = errno;
		if (second != NULL) {
			check(false, name, "expected NULL with EBUSY, got a "
					"second pool %p", (void *)second);
			vmem_delete(second);
		} else {
			check(e == EBUSY, name, "expected EBUSY, got %s",
					failure(e));
		}
	}
	check_busy_elsewhere();
	struct devmap maps[DM_MAX];
	int n = devmap_find(geo.path, maps, DM_MAX);
	check(n == 1 && maps[0].start == m->start && maps[0].end == m->end,
			"busy: the live pool's mapping unchanged",
			"expected one mapping %#" PRIxPTR "-%#" PRIxPTR
			", got %d mappings, the first %#" PRIxPTR "-%#" PRIxPTR,
			m->start, m->end, n, n > 0 ? maps[0].start : 0,
			n > 0 ? maps[0].end : 0);
	size_t at = canary != NULL ? verify(canary, 3 * MIB, 0x5eed) : 0;
	int c = vmem_check(vmp);
	check(canary != NULL && at == 3 * MIB && c == 1,
			"busy: the live pool untouched (contents, vmem_check)",
			"expected the 3 MiB object intact and vmem_check 1, got "
			"%s, vmem_check %d", canary == NULL ? "no object" :
			at == 3 * MIB ? "intact" : "changed", c);
	vmem_free(vmp, canary);
}

/* ---- the scenarios ------------------------------------------------------ */

static const char *const whole_dependents[] = {
	"whole: mapping (one, device size, aligned, shared)",
	"whole: an object of 90% of the device",
	"whole: vmem_stats_print names device DAX and alignment",
	"objects: (all object checks)",
	"busy: (all checks of a second pool)",
	"delete: the device is unmapped",
};

/* what vmem_stats_print printed (vmem_set_funcs' print function) */
static char stats_text[8192];
static size_t stats_len;

static void
stats_sink(const char *s)
{
	size_t n = strlen(s);
	if (n > sizeof(stats_text) - 1 - stats_len)
		n = sizeof(stats_text) - 1 - stats_len;
	memcpy(stats_text + stats_len, s, n);
	stats_len += n;
	stats_text[stats_len] = '\0';
}

static void
check_whole(void)
{
	errno = 0;
	VMEM *vmp = vmem_create(dev, 0);
	int e = errno;
	if (!check(vmp != NULL, "whole: vmem_create(dev, 0)",
			"expected a pool, got NULL, %s", failure(e))) {
		for (size_t i = 0; i < sizeof(whole_dependents) /
				sizeof(*whole_dependents); i++)
			skip(whole_dependents[i], "vmem_create(dev, 0) failed");
		return;
	}
	struct devmap m;
	if (!check_mapping("whole", geo.size, &m)) {
		for (size_t i = 1; i < sizeof(whole_dependents) /
				sizeof(*whole_dependents); i++)
			skip(whole_dependents[i], "no single mapping");
		vmem_delete(vmp);
		return;
	}
	size_t big = geo.size / 10 * 9;
	errno = 0;
	unsigned char *p = vmem_malloc(vmp, big);
	e = errno;
	if (p != NULL) {
		p[0] = 1;
		p[big - 1] = 2;
	}
	check(p != NULL && inside(&m, p, big),
			"whole: an object of 90% of the device",
			"expected vmem_malloc(%zu) (%zu MiB) in %#" PRIxPTR
			"-%#" PRIxPTR ", got %p, errno %s", big, big / MIB,
			m.start, m.end, (void *)p, errname(e));
	vmem_free(vmp, p);

	/* the statistics name the backing and its alignment */
	stats_len = 0;
	vmem_set_funcs(NULL, NULL, NULL, NULL, stats_sink);
	vmem_stats_print(vmp, "mabl");
	vmem_set_funcs(NULL, NULL, NULL, NULL, NULL);
	char want[64];
	snprintf(want, sizeof(want), "device DAX, alignment %zu", geo.align);
	check(strstr(stats_text, want) != NULL,
			"whole: vmem_stats_print names device DAX and alignment",
			"expected \"%s\" in: %.200s", want, stats_text);

	check_objects(vmp, &m);
	check_busy(vmp, &m);

	vmem_delete(vmp);
	struct devmap maps[DM_MAX];
	int n = devmap_find(geo.path, maps, DM_MAX);
	check(n == 0, "delete: the device is unmapped", "expected no mapping "
			"of %s after vmem_delete, got %d", geo.path, n);
}

static void
check_again(void)
{
	errno = 0;
	VMEM *vmp = vmem_create(dev, 0);
	int e = errno;
	if (!check(vmp != NULL, "again: vmem_create(dev, 0) after vmem_delete",
			"expected a pool, got NULL, %s", failure(e)))
		return;
	struct devmap maps[DM_MAX];
	int n = devmap_find(geo.path, maps, DM_MAX);
	unsigned char *p = vmem_malloc(vmp, 5 * MIB);
	if (p != NULL)
		fill(p, 5 * MIB, 77);
	bool ok = n == 1 && p != NULL && inside(&maps[0], p, 5 * MIB) &&
		verify(p, 5 * MIB, 77) == 5 * MIB;
	int c = vmem_check(vmp);
	check(ok && c == 1, "again: the new pool allocates in the device",
			"expected one mapping, a 5 MiB object in it and "
			"vmem_check 1, got %d mappings, object %p, vmem_check %d",
			n, (void *)p, c);
	vmem_free(vmp, p);
	vmem_delete(vmp);
}

static void
check_sized(void)
{
	const size_t size = 32 * MIB;
	errno = 0;
	VMEM *vmp = vmem_create(dev, size);
	int e = errno;
	if (!check(vmp != NULL, "sized: vmem_create(dev, 32 MiB)",
			"expected a pool, got NULL, %s", failure(e))) {
		skip("sized: (mapping, 40 MiB -> ENOMEM, 16 MiB fits)",
				"vmem_create(dev, 32 MiB) failed");
		return;
	}
	/* 32 MiB, unless the alignment (1 GiB) rounds it up */
	size_t want = (size + geo.align - 1) / geo.align * geo.align;
	struct devmap m;
	bool mapped = check_mapping("sized", want, &m);
	size_t over = want + 8 * MIB, half = want / 2;
	char name[128];
	snprintf(name, sizeof(name), "sized: %s -> NULL, ENOMEM", human(over));
	errno = 0;
	void *p = vmem_malloc(vmp, over);
	e = errno;
	check(p == NULL && e == ENOMEM, name, "expected NULL with ENOMEM, got "
			"%p, errno %s", p, errname(e));
	if (p != NULL)
		vmem_free(vmp, p);
	snprintf(name, sizeof(name), "sized: %s fits, in the mapping",
			human(half));
	errno = 0;
	unsigned char *q = vmem_malloc(vmp, half);
	e = errno;
	if (q != NULL)
		fill(q, half, 16);
	check(q != NULL && (!mapped || inside(&m, q, half)) &&
			verify(q, half, 16) == half, name,
			"expected an object in %#" PRIxPTR "-%#" PRIxPTR
			", got %p, errno %s", mapped ? m.start : 0,
			mapped ? m.end : 0, (void *)q, errname(e));
	vmem_free(vmp, q);
	int c = vmem_check(vmp);
	check(c == 1, "sized: vmem_check = 1", "expected 1, got %d (%s)", c,
			vmem_errormsg());
	vmem_delete(vmp);
}

static void
check_oversized(void)
{
	size_t size = geo.size * 2;
	errno = 0;
	VMEM *vmp = vmem_create(dev, size);
	int e = errno;
	if (!check(vmp != NULL, "oversized: vmem_create(dev, 2 x device)",
			"expected a pool of the whole device, got NULL, %s",
			failure(e)))
		return;
	struct devmap m;
	check_mapping("oversized", geo.size, &m);
	vmem_delete(vmp);
}

static void
check_not_dax(const char *other)
{
	static const size_t try_sizes[] = { 32 * MIB, 0 };
	for (size_t i = 0; i < 2; i++) {
		char name[160];
		snprintf(name, sizeof(name), "not dax: vmem_create(%s, %s) -> "
				"EINVAL", other, try_sizes[i] ?
				human(try_sizes[i]) : "0");
		errno = 0;
		VMEM *vmp = vmem_create(other, try_sizes[i]);
		int e = errno;
		if (vmp != NULL) {
			check(false, name, "expected NULL with EINVAL, got a "
					"pool %p", (void *)vmp);
			vmem_delete(vmp);
		} else {
			check(e == EINVAL, name, "expected EINVAL, got %s",
					failure(e));
		}
	}
	errno = 0;
	VMEM *vmp = vmem_create("/dev/no-such-dax", 32 * MIB);
	int e = errno;
	check(vmp == NULL && e == ENOENT, "missing: vmem_create(/dev/no-such-dax,"
			" 32 MiB) -> ENOENT", "expected NULL with ENOENT, got %p, "
			"%s", (void *)vmp, failure(e));
	if (vmp != NULL)
		vmem_delete(vmp);
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--try-create") == 0)
		return try_create(argv[2]);
	if (argc < 2 || argc > 3 || argv[1][0] == '-') {
		fprintf(stderr, "usage: %s DEVICE [NOT-DAX-CHAR-DEVICE]\n",
				argv[0]);
		return 2;
	}
	dev = argv[1];
	const char *other = argc > 2 ? argv[2] : "/dev/zero";
	setvbuf(stdout, NULL, _IOLBF, 0);

	char why[PATH_MAX + 128];
	if (!check(devgeo_read(dev, &geo, why, sizeof(why)) == 0,
			"device: size and alignment from sysfs", "%s", why))
		return dm_status("dax_e2e");
	dm_line("info: %s (%u:%u): size %zu (%s), alignment %s (%s)",
			geo.path, geo.maj, geo.min, geo.size, human(geo.size),
			human(geo.align), geo.align_from);
	void *daxctl = dlopen("libdaxctl.so.1", RTLD_LAZY | RTLD_LOCAL);
	dm_line("info: libdaxctl.so.1 %s", daxctl != NULL ?
			"loads: libvmem reads the geometry with it" :
			"does not load: libvmem reads the geometry from sysfs");
	if (daxctl != NULL)
		dlclose(daxctl);

	check_whole();
	check_again();
	check_sized();
	check_oversized();
	check_not_dax(other);
	return dm_status("dax_e2e");
}
