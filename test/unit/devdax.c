/*
 * devdax.c -- unit tests of device DAX detection and geometry
 * (src/dax/devdax.c) on sysfs layouts built as fixture directories, and of
 * vmem_create's answer for character devices that are not a device DAX
 * (/dev/null, /dev/zero) and for sizes of 0 there.
 */
#include <errno.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "testutil.h"
#include "dax/dax.h"

static char root[256];

/* root/dev/char/MAJ:MIN/subsystem -> target */
static void
fixture(unsigned maj, unsigned min, const char *target)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/dev", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/dev/char", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/dev/char/%u:%u", root, maj, min);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/dev/char/%u:%u/subsystem", root, maj,
			min);
	ck_assert_int_eq(symlink(target, path), 0);
}

/* removes what fixture() made */
static void
remove_fixture(unsigned maj, unsigned min)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/dev/char/%u:%u/subsystem", root, maj,
			min);
	unlink(path);
	snprintf(path, sizeof(path), "%s/dev/char/%u:%u", root, maj, min);
	rmdir(path);
}

static struct stat
chardev(unsigned maj, unsigned min)
{
	struct stat st;
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFCHR | 0600;
	st.st_rdev = makedev(maj, min);
	return st;
}

START_TEST(test_detection)
{
	tu_mkdtemp(root, sizeof(root), NULL);
	fixture(251, 0, "../../../class/dax");
	fixture(251, 3, "../../../bus/dax");
	fixture(1, 3, "../../../class/mem");
	struct stat st = chardev(251, 0);
	ck_assert_int_eq(devdax_is_dax(root, &st), 1);
	st = chardev(251, 3);
	ck_assert_int_eq(devdax_is_dax(root, &st), 1);
	st = chardev(1, 3);		/* like /dev/null */
	ck_assert_int_eq(devdax_is_dax(root, &st), 0);
	st = chardev(9, 9);		/* no sysfs entry at all */
	ck_assert_int_eq(devdax_is_dax(root, &st), 0);
	st = chardev(251, 0);
	st.st_mode = S_IFBLK | 0600;	/* a block device is never one */
	ck_assert_int_eq(devdax_is_dax(root, &st), 0);
	remove_fixture(251, 0);
	remove_fixture(251, 3);
	remove_fixture(1, 3);
	char path[512];
	snprintf(path, sizeof(path), "%s/dev/char", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/dev", root);
	rmdir(path);
	ck_assert_int_eq(rmdir(root), 0);
}
END_TEST

START_TEST(test_real_dev_null)
{
	struct stat st;
	ck_assert_int_eq(stat("/dev/null", &st), 0);
	ck_assert_int_eq(devdax_is_dax("/sys", &st), 0);
	/* libdaxctl (when installed) lists no such device */
	size_t size, align;
	ck_assert_int_eq(devdax_geometry_daxctl(&st, &size, &align), -1);
	errno = 0;
	ck_assert_ptr_null(vmem_create("/dev/null", VMEM_MIN_POOL));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(vmem_errormsg(), "not a device DAX"));
}
END_TEST

/* root/dev/char/MAJ:MIN/REL holds text (directories made as needed) */
static void
attr(unsigned maj, unsigned min, const char *rel, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/dev/char/%u:%u/%s", root, maj, min,
			rel);
	for (char *slash = strchr(path + strlen(root) + 1, '/'); slash != NULL;
			slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(test_geometry)
{
	tu_mkdtemp(root, sizeof(root), NULL);
	size_t size = 0, align = 0;
	struct stat st;
	/* kernels from 5.10: size and align beside each other */
	attr(251, 0, "size", "1073741824\n");
	attr(251, 0, "align", "2097152\n");
	st = chardev(251, 0);
	ck_assert_int_eq(devdax_geometry(root, &st, &size, &align), 0);
	ck_assert_uint_eq(size, (size_t)1 << 30);
	ck_assert_uint_eq(align, (size_t)2 << 20);
	/* older ones: the alignment is the region's */
	attr(251, 1, "size", "34359738368\n");
	attr(251, 1, "device/dax_region/align", "4096\n");
	st = chardev(251, 1);
	ck_assert_int_eq(devdax_geometry(root, &st, &size, &align), 0);
	ck_assert_uint_eq(size, (size_t)32 << 30);
	ck_assert_uint_eq(align, 4096);
	/* a 1 GiB alignment, written in hex */
	attr(251, 2, "size", "0x80000000\n");
	attr(251, 2, "align", "0x40000000\n");
	st = chardev(251, 2);
	ck_assert_int_eq(devdax_geometry(root, &st, &size, &align), 0);
	ck_assert_uint_eq(size, (size_t)2 << 30);
	ck_assert_uint_eq(align, (size_t)1 << 30);
	/* no size; no alignment anywhere; a bad alignment; garbage */
	attr(251, 3, "align", "2097152\n");
	st = chardev(251, 3);
	errno = 0;
	ck_assert_int_eq(devdax_geometry(root, &st, &size, &align), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(vmem_errormsg(), "size"));
	attr(251, 4, "size", "1073741824\n");
	st = chardev(251, 4);
	ck_assert_int_eq(devdax_geometry(root, &st, &size, &align), -1);
	ck_assert_ptr_nonnull(strstr(vmem_errormsg(), "alignment"));
	attr(251, 5, "size", "1073741824\n");
	attr(251, 5, "align", "3000\n");
	st = chardev(251, 5);
	ck_assert_int_eq(devdax_geometry(root, &st, &size, &align), -1);
	attr(251, 6, "size", "12abc\n");
	attr(251, 6, "align", "4096\n");
	st = chardev(251, 6);
	ck_assert_int_eq(devdax_geometry(root, &st, &size, &align), -1);
	attr(251, 7, "size", "99999999999999999999999\n");
	attr(251, 7, "align", "4096\n");
	st = chardev(251, 7);
	ck_assert_int_eq(devdax_geometry(root, &st, &size, &align), -1);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* another character device that is not DAX, even with size 0 (the whole
 * device, for a DAX) */
START_TEST(test_real_dev_zero)
{
	errno = 0;
	ck_assert_ptr_null(vmem_create("/dev/zero", VMEM_MIN_POOL));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(vmem_create("/dev/zero", 0));
	ck_assert_int_eq(errno, EINVAL);
	/* and 0 is still too small for a directory */
	errno = 0;
	ck_assert_ptr_null(vmem_create("/tmp", 0));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("devdax");
	TCase *tc = tu_tcase(s, "detect", 30);
	tcase_add_test(tc, test_detection);
	tcase_add_test(tc, test_real_dev_null);
	tcase_add_test(tc, test_geometry);
	tcase_add_test(tc, test_real_dev_zero);
	return tu_run(s);
}
