/*
 * info.c -- malloc_info(3): glibc's XML document, with the figures of
 * libvmmalloc's pool (heap 0) and of its DRAM tier (heap 1, when there is
 * one), so that a program or a tool that reads glibc's document reads
 * the pool's. glibc lists the free chunks of each arena by size; here a
 * heap's <sizes> lists its free objects by size class and, last, its free
 * extents; "rest" totals them ("fast" is always 0: there are no
 * fastbins); "system current" is the data area the system holds for the
 * pool now, "max" and "aspace" the whole data area.
 * Owns no state: each call reads the pools' counters anew, then writes
 * (stdio may allocate from the pool: no lock is held while it does).
 * Lines are formatted with vm_fmt and written with fputs: the library
 * imports no printf.
 */
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

#include "interpose/interpose.h"

/* one formatted piece of the document to fp */
static VM_FORMAT(2, 3) void
put(FILE *fp, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vm_vfmt(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fputs(buf, fp);
}

struct heap_totals {
	uint64_t count, bytes, current, total;
};

/* one <heap> of pool vmp, number nr; adds its figures to t */
static void
print_heap(FILE *fp, VMEM *vmp, unsigned nr, struct heap_totals *t)
{
	struct pool_free_sizes sizes[SC_NCLASSES + 1];
	uint64_t mapped;
	unsigned n = pool_free_sizes(vmp, sizes, &mapped);
	struct pool_usage u;
	pool_usage(vmp, &u);
	uint64_t count = 0, bytes = 0;
	put(fp, "<heap nr=\"%u\">\n<sizes>\n", nr);
	for (unsigned i = 0; i < n; i++) {
		put(fp, "  <size from=\"%zu\" to=\"%zu\" total=\"%llu\" "
				"count=\"%llu\"/>\n", sizes[i].from, sizes[i].to,
				(unsigned long long)sizes[i].bytes,
				(unsigned long long)sizes[i].count);
		count += sizes[i].count;
		bytes += sizes[i].bytes;
	}
	put(fp, "</sizes>\n<total type=\"fast\" count=\"0\" size=\"0\"/>\n"
			"<total type=\"rest\" count=\"%llu\" size=\"%llu\"/>\n"
			"<system type=\"current\" size=\"%llu\"/>\n"
			"<system type=\"max\" size=\"%llu\"/>\n"
			"<aspace type=\"total\" size=\"%llu\"/>\n"
			"<aspace type=\"mprotect\" size=\"%llu\"/>\n</heap>\n",
			(unsigned long long)count, (unsigned long long)bytes,
			(unsigned long long)mapped,
			(unsigned long long)u.data_bytes,
			(unsigned long long)u.data_bytes,
			(unsigned long long)u.data_bytes);
	t->count += count;
	t->bytes += bytes;
	t->current += mapped;
	t->total += u.data_bytes;
}

VMM_PUBLIC int
malloc_info(int options, FILE *fp)
{
	if (options != 0) {
		errno = EINVAL;
		return -1;
	}
	VMEM *vmp = atomic_load_explicit(&vmm_pool, memory_order_acquire);
	struct heap_totals t = { 0, 0, 0, 0 };
	put(fp, "<malloc version=\"1\">\n");
	if (vmp != NULL) {
		print_heap(fp, vmp, 0, &t);
		if (vmm_tiered)
			print_heap(fp, vmm_dram, 1, &t);
	}
	put(fp, "<total type=\"fast\" count=\"0\" size=\"0\"/>\n"
			"<total type=\"rest\" count=\"%llu\" size=\"%llu\"/>\n"
			"<total type=\"mmap\" count=\"0\" size=\"0\"/>\n"
			"<system type=\"current\" size=\"%llu\"/>\n"
			"<system type=\"max\" size=\"%llu\"/>\n"
			"<aspace type=\"total\" size=\"%llu\"/>\n"
			"<aspace type=\"mprotect\" size=\"%llu\"/>\n</malloc>\n",
			(unsigned long long)t.count, (unsigned long long)t.bytes,
			(unsigned long long)t.current,
			(unsigned long long)t.total,
			(unsigned long long)t.total,
			(unsigned long long)t.total);
	return 0;
}
