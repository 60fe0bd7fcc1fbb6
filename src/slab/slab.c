/*
 * slab.c -- one slab: its objects and their free bitmap (see slab.h).
 *
 * Owns run_t.bitmap and run_t.nfree of RUN_SLAB runs. Invariant:
 * nfree == popcount(bitmap), and no bit at or above nobjs is set.
 */
#include "slab/slab.h"

void
slab_init(run_t *run, unsigned cls)
{
	unsigned nobjs = sc_table[cls].nobjs;
	run->cls = (uint8_t)cls;
	run->nfree = (uint16_t)nobjs;
	run->in_list = 0;
	run->u.list.prev = 0;
	run->u.list.next = 0;
	for (unsigned w = 0; w < SLAB_MAX_OBJS / 64; w++) {
		unsigned lo = w * 64;
		if (nobjs >= lo + 64)
			run->bitmap[w] = UINT64_MAX;
		else if (nobjs > lo)
			run->bitmap[w] = ((uint64_t)1 << (nobjs - lo)) - 1;
		else
			run->bitmap[w] = 0;
	}
}

unsigned
slab_take(run_t *run)
{
	vm_assert_internal(run->nfree > 0);
	for (unsigned w = 0;; w++) {
		uint64_t bits = run->bitmap[w];
		if (bits != 0) {
			unsigned bit = (unsigned)__builtin_ctzll(bits);
			run->bitmap[w] = bits & (bits - 1);
			run->nfree--;
			return w * 64 + bit;
		}
		vm_assert_internal(w + 1 < SLAB_MAX_OBJS / 64);
	}
}

bool
slab_put(run_t *run, unsigned idx)
{
	uint64_t mask = (uint64_t)1 << (idx % 64);
	if (run->bitmap[idx / 64] & mask)
		return false;
	run->bitmap[idx / 64] |= mask;
	run->nfree++;
	return true;
}

bool
slab_index(const region_t *rg, const run_t *run, const void *ptr,
		unsigned *idx)
{
	const sc_info_t *sc = &sc_table[run->cls];
	uintptr_t start = (uintptr_t)region_addr(rg, region_run_page(rg, run));
	uint64_t off = (uintptr_t)ptr - start;
	uint64_t i = (off * sc->recip) >> 32;
	if (i * sc->size != off || i >= sc->nobjs)
		return false;
	*idx = (unsigned)i;
	return true;
}
