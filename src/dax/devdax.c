/*
 * devdax.c -- recognising a device DAX (see dax.h).
 *
 * A character device is a device DAX when /sys/dev/char/MAJ:MIN/subsystem
 * is a link whose last component is "dax". Owns no state.
 */
#include <limits.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dax/dax.h"
#include "pool/fmt.h"

int
devdax_is_dax(const char *sysfs_root, const struct stat *st)
{
	if (!S_ISCHR(st->st_mode))
		return 0;
	char path[PATH_MAX], target[PATH_MAX];
	int n = vm_fmt(path, sizeof(path), "%s/dev/char/%u:%u/subsystem",
			sysfs_root, major(st->st_rdev), minor(st->st_rdev));
	if (n < 0 || (size_t)n >= sizeof(path))
		return 0;
	ssize_t len = readlink(path, target, sizeof(target) - 1);
	if (len < 0)
		return 0;
	target[len] = '\0';
	const char *last = strrchr(target, '/');
	last = last != NULL ? last + 1 : target;
	return strcmp(last, "dax") == 0;
}
