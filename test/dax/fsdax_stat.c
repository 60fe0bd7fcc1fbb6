/*
 * fsdax_stat.c -- whether files are DAX, as statx(2) tells
 * (STATX_ATTR_DAX, Linux 5.8 and later). Run inside the QEMU guest of
 * run-vm.sh: by its /init, on a file it made in the freshly mounted DAX
 * file system (the boot fails as a harness failure unless it is DAX), and
 * by preload_sort.sh, on the pool file of a program under libvmmalloc
 * (/proc/PID/fd/N).
 *
 * usage: fsdax_stat FILE...
 * Prints, for each FILE, one line:
 *   FILE: dax 1 size S blocks B (N KiB) ino I dev MAJ:MIN
 * and exits 0 if every FILE is DAX, 1 if one is not (or the kernel does not
 * report the attribute), 2 if one cannot be looked at.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX 0x00200000
#endif

int
main(int argc, char *argv[])
{
	int status = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: fsdax_stat FILE...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct statx stx;
		if (statx(AT_FDCWD, argv[i], 0, STATX_BASIC_STATS, &stx) != 0) {
			printf("%s: %s\n", argv[i], strerror(errno));
			status = 2;
			continue;
		}
		int known = (stx.stx_attributes_mask & STATX_ATTR_DAX) != 0;
		int dax = (stx.stx_attributes & STATX_ATTR_DAX) != 0;
		printf("%s: dax %s size %llu blocks %llu (%llu KiB) ino %llu "
				"dev %u:%u\n", argv[i], !known ? "unknown" :
				dax ? "1" : "0",
				(unsigned long long)stx.stx_size,
				(unsigned long long)stx.stx_blocks,
				(unsigned long long)stx.stx_blocks / 2,
				(unsigned long long)stx.stx_ino,
				stx.stx_dev_major, stx.stx_dev_minor);
		if (!dax && status == 0)
			status = 1;
	}
	return status;
}
