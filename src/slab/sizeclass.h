/*
 * sizeclass.h -- the size classes of small objects and the table that
 * describes each one.
 *
 * Classes go in 16-byte steps up to 128 B, then eight per doubling up to
 * SC_SMALL_MAX, so every class is a multiple of 16 and no request above
 * 128 B wastes more than 1/9 of its object:
 *
 *   16 32 48 ... 128 | 144 160 ... 256 | 288 320 ... 512 | ... | ... 16384
 *
 * Owns sc_table and sc_lookup (sizeclass.c), filled once by sc_init and
 * only read afterwards, so readers take no lock.
 * Thread safety: sc_init may run in any thread, any number of times
 * (pthread_once); the tables are read without a lock after it.
 */
#ifndef VM_SIZECLASS_H
#define VM_SIZECLASS_H

#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

#define SC_NCLASSES	64
#define SC_SMALL_MAX	((size_t)16384)

/*
 * divc turns a byte offset n < 2^32 into an object index and tells
 * whether an object starts there with one 64 x 64 -> 128-bit multiply
 * (Lemire, Kaser and Kurz, "Faster remainder by direct computation",
 * 2019): n / size is the product's high half, and size divides n exactly
 * when its low half is below divc.
 */
typedef struct sc_info_s {
	uint64_t divc;		/* ceil(2^64 / size) */
	uint32_t size;		/* object size */
	uint16_t nobjs;		/* objects per slab */
	uint16_t npages;	/* pages per slab */
} sc_info_t;

_Static_assert(sizeof(sc_info_t) == 16, "16 x class is a table offset");
/* (hidden: the fast paths reach them PC-relative, not through the GOT) */
extern sc_info_t sc_table[SC_NCLASSES] __attribute__((visibility("hidden")));
/* the class of sizes up to 1 KiB, by (size + 15) / 16 */
extern uint8_t sc_lookup[1024 / 16 + 1];

/* fills sc_table; idempotent and thread safe */
void sc_init(void);

/* the class of a request of size bytes, from the formula */
static inline unsigned
sc_class_compute(size_t size)
{
	if (size <= 128)
		return size == 0 ? 0 : (unsigned)((size + 15) >> 4) - 1;
	unsigned k = vm_log2(size - 1);	/* size - 1 in [2^k, 2^(k+1)) */
	return 8 + (k - 7) * 8 + (unsigned)((size - 1) >> (k - 3)) - 8;
}

/* the class of a request of size bytes; size <= SC_SMALL_MAX */
static inline unsigned
sc_class(size_t size)
{
	if (vm_likely(size <= 1024))
		return sc_lookup[(size + 15) >> 4];
	return sc_class_compute(size);
}

/* the object size of class cls, from the formula (used to fill the table) */
static inline size_t
sc_class_size(unsigned cls)
{
	if (cls < 8)
		return (size_t)(cls + 1) * 16;
	return (size_t)((cls - 8) % 8 + 9) << ((cls - 8) / 8 + 4);
}

/* true if an object of the class whose number times 16 is cls16
 * (pagemap_slab_cls16) starts rel bytes into its slab: free's fast path,
 * which needs no index and reads no run record */
static inline bool
sc_starts_object16(size_t cls16, uint64_t rel)
{
	uint64_t divc = *(const uint64_t *)((const char *)sc_table + cls16 +
			offsetof(sc_info_t, divc));
	return rel * divc < divc;
}

/* the same by class number */
static inline bool
sc_starts_object(unsigned cls, uint64_t rel)
{
	return sc_starts_object16((size_t)cls * sizeof(sc_info_t), rel);
}

#endif /* VM_SIZECLASS_H */
