/*
 * sizeclass.c -- the size class table (see sizeclass.h).
 *
 * Owns sc_table, filled once. The slab of a class is the smallest number of
 * pages (at most 32) whose tail waste is at most 1/64 of the slab and that
 * holds at least 32 objects or is at least 64 KiB, with at most
 * SLAB_MAX_OBJS objects.
 * Invariant: a slab holds every object its pages fit (nobjs == bytes /
 * size, never cut down to SLAB_MAX_OBJS), so a multiple of the size from a
 * slab's start inside its pages is an object, or else the start of the
 * slab's tail (index nobjs), shorter than an object: the tail carries the
 * free tag (slab_run.c) and slab_index_at refuses it.
 */
#include <pthread.h>

#include "large/large.h"
#include "slab/sizeclass.h"

sc_info_t sc_table[SC_NCLASSES];
uint8_t sc_lookup[1024 / 16 + 1];
static pthread_once_t sc_once = PTHREAD_ONCE_INIT;

static void
choose_slab(sc_info_t *sc)
{
	uint32_t best_pages = 1;
	uint64_t best_waste = UINT64_MAX;
	for (uint32_t pages = 1; pages <= 32; pages++) {
		uint64_t bytes = (uint64_t)pages << VM_PAGE_SHIFT;
		uint64_t objs = bytes / sc->size;
		if (objs > SLAB_MAX_OBJS)
			break;	/* longer slabs only hold more */
		if (objs == 0)
			continue;
		uint64_t waste = bytes - objs * sc->size;
		bool enough = objs >= 32 || objs == SLAB_MAX_OBJS ||
				bytes >= 65536;
		if (waste * 64 <= bytes && enough) {
			best_pages = pages;
			break;
		}
		/* remember the least wasteful in case none qualifies */
		if (waste * 1024 / bytes < best_waste) {
			best_waste = waste * 1024 / bytes;
			best_pages = pages;
		}
	}
	sc->npages = (uint16_t)best_pages;
	sc->nobjs = (uint16_t)(((uint64_t)best_pages << VM_PAGE_SHIFT) /
			sc->size);
}

static void
fill_table(void)
{
	for (unsigned c = 0; c < SC_NCLASSES; c++) {
		sc_info_t *sc = &sc_table[c];
		sc->size = (uint32_t)sc_class_size(c);
		sc->divc = UINT64_MAX / sc->size + 1;	/* ceil(2^64 / size) */
		choose_slab(sc);
	}
	for (size_t i = 0; i < VM_ARRAY_LEN(sc_lookup); i++)
		sc_lookup[i] = (uint8_t)sc_class_compute(i * 16);
}

void
sc_init(void)
{
	pthread_once(&sc_once, fill_table);
}
