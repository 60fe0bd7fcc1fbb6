/*
 * devdax.c -- unit tests of device DAX detection (src/dax/devdax.c) on
 * sysfs layouts built as fixture directories, and of vmem_create's answer
 * for a character device that is not a device DAX.
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
	errno = 0;
	ck_assert_ptr_null(vmem_create("/dev/null", VMEM_MIN_POOL));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(vmem_errormsg(), "not a device DAX"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("devdax");
	TCase *tc = tu_tcase(s, "detect", 30);
	tcase_add_test(tc, test_detection);
	tcase_add_test(tc, test_real_dev_null);
	return tu_run(s);
}
