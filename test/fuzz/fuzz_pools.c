/*
 * fuzz_pools.c -- a libFuzzer target for the object API: each input is a
 * short program of calls on two or three pools, run against a model that
 * knows what every call must do.
 *
 * Owns the model, in static arrays reset for every input: the pools (made
 * for the input with vmem_create_in_region, the third one possibly nested
 * in a large object of pool 0, all deleted at its end), the live objects
 * (pool, address, requested and usable size, the seed of the pattern each
 * holds) and the objects freed lately (for double frees); and the memory
 * of the pools, mapped once and made to read as new, all zeros, after
 * every input (map_reset), so that nothing crosses from one input to the
 * next.
 *
 * Input: a header of 5 bytes, then operations until the bytes run out
 * (reads past the end give zeros); test/fuzz/make_corpus.py writes the
 * same encoding.
 *   header  flags: bit 0 a third pool, bit 1 the third nested in a large
 *           object of pool 0, bits 2-3 (2, 3) the first 256 KiB or 1 MiB
 *           of each mapping filled with the garbage byte before the pool
 *           is made, bit 4 free every object before the pools are
 *           deleted; the garbage byte; a size code for each of pools 0,
 *           1, 2
 *   op      one byte, taken modulo OP_COUNT, then its arguments (run_op)
 *   size    a kind byte, then the bytes that kind needs (take_size)
 *
 * What is checked (man/vmem_malloc.3, man/vmem_create.3): contents are kept
 * until free and across realloc (up to the lesser size; every byte of the
 * first 16 KiB and the last 4 KiB of an object, 8 in every 16 KiB between
 * them); calloc zeroes;
 * usable size: the exact size class of a small request, whole pages for a
 * large one (less than a tenth more up to 256 KiB), at least what was asked
 * for after realloc or aligned_alloc; alignment; no two live objects of a
 * pool overlap and each lies inside its pool; a request larger than the
 * pool fails with ENOMEM, a bad alignment with EINVAL, an overflowing
 * calloc with ENOMEM; any other failure is ENOMEM in a pool that is far
 * from empty (alloc_failed), and an emptied pool has room for a quarter
 * of itself; a shrinking realloc never fails; a small object's
 * realloc within its class and a large one's shrink stay in place; every
 * failure changes vmem_errormsg(); a pointer that is not a live object
 * (interior, another pool's, freed, on the stack, in static data, in the
 * system heap, anywhere else in or near the pool) is refused: free does
 * nothing and leaves errno alone, realloc returns NULL with EINVAL,
 * usable_size returns 0, the message names the pointer and the pool, the
 * pool's statistics are unchanged, vmem_check says 1 and every object
 * still holds its pattern; regions overlapping a pool are refused unless
 * inside one of its large objects; vmem_delete and vmem_check of a handle
 * that is not a pool. A mismatch prints what differed and aborts, which
 * libFuzzer reports as a crash.
 *
 * The model writes nothing into a freed object and forgets a freed
 * address once a new object covers it (man/vmem_malloc.3, BUGS).
 * FUZZ_POOLS_TRACE=1 prints every operation as it runs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <wchar.h>

#include <libvmem.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MIB		((size_t)1 << 20)
#define PAGE		((size_t)4096)
#define SMALL_MAX	((size_t)16384)
#define MAX_POOLS	3
#define MAX_LIVE	1024
#define MAX_FREED	64
#define MAX_OPS		4096
#define MSG_MAX		512

/* ---- the input --------------------------------------------------------- */

static const uint8_t *in_data;
static size_t in_len, in_pos;

static uint8_t
get8(void)
{
	return in_pos < in_len ? in_data[in_pos++] : 0;
}

static uint16_t
get16(void)
{
	uint16_t lo = get8();
	return (uint16_t)(lo | (uint16_t)get8() << 8);
}

static uint32_t
get32(void)
{
	uint32_t lo = get16();
	return lo | (uint32_t)get16() << 16;
}

/* ---- reporting --------------------------------------------------------- */

static bool tracing;
static unsigned op_no;		/* operation number within the input */
static const char *op_name = "setup";

#define TRACE(...) do { if (tracing) fprintf(stderr, __VA_ARGS__); } while (0)

__attribute__((noreturn, format(printf, 1, 2))) static void
fail(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "fuzz_pools: model mismatch in op %u (%s): ", op_no,
			op_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nfuzz_pools: vmem_errormsg(): %s\n", vmem_errormsg());
	abort();
}

/* ---- the pattern objects hold ------------------------------------------ */

/*
 * Which bytes of an object of req bytes hold it: the first PAT_HEAD and
 * the last PAT_TAIL, and between them the first 8 of every PAT_STRIDE,
 * so that a large object costs the model a few of its pages, not all.
 */
#define PAT_HEAD	((size_t)16 * 1024)
#define PAT_TAIL	((size_t)4096)
#define PAT_STRIDE	((size_t)16 * 1024)

/* the model's own loops: no coverage or sanitizer checks, for speed (the
 * library's code is what is being fuzzed) */
#define MODEL_HOT	__attribute__((no_sanitize("coverage", "address")))

/* word j of the pattern of seed: every word differs, and so do seeds */
MODEL_HOT static uint64_t
pat_word(uint64_t seed, size_t j)
{
	uint64_t w = (seed + j) * 0x9e3779b97f4a7c15ULL;
	return w ^ (w >> 29);
}

MODEL_HOT static unsigned char
pat_byte(uint64_t seed, size_t i)
{
	uint64_t w = pat_word(seed, i >> 3);
	unsigned char b[8];
	memcpy(b, &w, sizeof(b));
	return b[i & 7];
}

/* writes (check false) or compares (true) bytes [from, to) of p, all of
 * them; the first that differs, or SIZE_MAX */
MODEL_HOT static size_t
pat_run(unsigned char *p, uint64_t seed, size_t from, size_t to, bool check)
{
	size_t i = from;
	for (; i < to && (i & 7) != 0; i++) {
		if (!check)
			p[i] = pat_byte(seed, i);
		else if (p[i] != pat_byte(seed, i))
			return i;
	}
	for (; i + 8 <= to; i += 8) {
		uint64_t w = pat_word(seed, i >> 3);
		if (!check)
			*(uint64_t *)(void *)(p + i) = w;
		else if (*(const uint64_t *)(const void *)(p + i) != w)
			break;
	}
	for (; i < to; i++) {
		if (!check)
			p[i] = pat_byte(seed, i);
		else if (p[i] != pat_byte(seed, i))
			return i;
	}
	return SIZE_MAX;
}

/* pat_run over the bytes of [from, to) that hold the pattern of an
 * object of req bytes */
MODEL_HOT static size_t
pat_span(unsigned char *p, uint64_t seed, size_t from, size_t to,
		size_t req, bool check)
{
	size_t tail = req > PAT_TAIL ? req - PAT_TAIL : 0;
	size_t head = PAT_HEAD < tail ? PAT_HEAD : tail;
	size_t bad = SIZE_MAX;
	if (from < head)
		bad = pat_run(p, seed, from, to < head ? to : head, check);
	for (size_t s = (from > head ? from : head) & ~(PAT_STRIDE - 1);
			s < tail && s < to && bad == SIZE_MAX;
			s += PAT_STRIDE) {
		size_t a = s < from ? from : s, e = s + 8;
		e = e < to ? e : to;
		e = e < tail ? e : tail;
		if (a < e)
			bad = pat_run(p, seed, a, e, check);
	}
	if (bad == SIZE_MAX && to > tail)
		bad = pat_run(p, seed, from > tail ? from : tail, to, check);
	return bad;
}

/* an object of req bytes gets the pattern of seed */
static void
pat_fill(unsigned char *p, uint64_t seed, size_t req)
{
	pat_span(p, seed, 0, req, req, false);
}

/* the first byte of [from, to) of an object of req bytes that differs
 * from the pattern of seed, or SIZE_MAX */
static size_t
pat_find_bad(const unsigned char *p, uint64_t seed, size_t from, size_t to,
		size_t req)
{
	return pat_span((unsigned char *)p, seed, from, to, req, true);
}

/* ---- the model --------------------------------------------------------- */

struct pool {
	VMEM *vmp;
	bool mapped;		/* in maps[] (see map_of), not nested */
	uintptr_t lo, hi;	/* its region */
};

struct obj {
	unsigned char *p;
	size_t req;		/* bytes asked for: these hold the pattern */
	size_t usable;
	uint64_t seed;
	unsigned pool;
	bool small;		/* known to be a slab object */
	bool large;		/* known to be a page run */
	bool host;		/* holds a nested pool: not written or freed */
};

struct freed {
	unsigned pool;
	unsigned char *p;
};

static struct pool pools[MAX_POOLS];
static unsigned npools;
static struct obj live[MAX_LIVE];
static unsigned nlive;
static struct freed freed[MAX_FREED];
static unsigned nfreed;
static uint64_t seed_counter;

static uint64_t
new_seed(void)
{
	uint64_t z = ++seed_counter * 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	return z ^ (z >> 31);
}

static void
freed_add(unsigned pi, unsigned char *p)
{
	if (nfreed == MAX_FREED) {
		memmove(freed, freed + 1, sizeof(freed[0]) * (MAX_FREED - 1));
		nfreed--;
	}
	freed[nfreed++] = (struct freed){ .pool = pi, .p = p };
}

/* a new object covers [p, p + len): freed addresses there may be live
 * again, or inside something live; forget them */
static void
freed_forget(unsigned pi, const unsigned char *p, size_t len)
{
	for (unsigned i = 0; i < nfreed; ) {
		if (freed[i].pool == pi && freed[i].p >= p &&
				freed[i].p < p + len) {
			freed[i] = freed[--nfreed];
			continue;
		}
		i++;
	}
}

static size_t
pool_live_bytes(unsigned pi, unsigned *count)
{
	size_t sum = 0;
	*count = 0;
	for (unsigned i = 0; i < nlive; i++)
		if (live[i].pool == pi) {
			sum += live[i].usable;
			(*count)++;
		}
	return sum;
}

static void
verify_obj(const struct obj *o, bool whole, const char *when)
{
	if (o->host)
		return;
	size_t bad;
	if (whole || o->req <= 64) {
		bad = pat_find_bad(o->p, o->seed, 0, o->req, o->req);
	} else {
		bad = pat_find_bad(o->p, o->seed, 0, 32, o->req);
		if (bad == SIZE_MAX)
			bad = pat_find_bad(o->p, o->seed, o->req - 32, o->req,
					o->req);
	}
	if (bad != SIZE_MAX)
		fail("%s: object %p of pool %u (%zu bytes asked, %zu "
				"usable) changed at byte %zu", when,
				(void *)o->p, o->pool, o->req, o->usable, bad);
}

static void
verify_all(bool whole, const char *when)
{
	for (unsigned i = 0; i < nlive; i++)
		verify_obj(&live[i], whole, when);
}

/* the index of the live object n picks (hosts left out), or -1 */
static int
pick_live(uint16_t n)
{
	if (nlive == 0)
		return -1;
	unsigned i = n % nlive;
	return live[i].host ? -1 : (int)i;
}

static void
forget_live(unsigned i)
{
	live[i] = live[--nlive];
}

/* ---- sizes ------------------------------------------------------------- */

static size_t
pages_of(size_t n)
{
	return n == 0 ? 1 : (n + PAGE - 1) / PAGE;
}

/* the object size of a small request, from the classes the manual gives:
 * 16-byte steps to 128, then an eighth of each power of two */
static size_t
class_size(size_t n)
{
	if (n <= 128)
		return n == 0 ? 16 : (n + 15) & ~(size_t)15;
	unsigned k = 63u - (unsigned)__builtin_clzll(
			(unsigned long long)(n - 1));
	size_t step = (size_t)1 << (k - 3);
	return (n + step - 1) & ~(step - 1);
}

/* the most a large run of n bytes may hold: a tenth more pages, rounded */
static size_t
large_bound(size_t n)
{
	size_t need = pages_of(n);
	return (need + need / 10 + 1) * PAGE;
}

enum shape {
	SHAPE_EXACT,	/* malloc's sizes: exact class, whole pages */
	SHAPE_LOOSE,	/* aligned_alloc, realloc: at least asked, bounded */
	SHAPE_KEPT,	/* realloc in place, not larger: at least asked */
};

static void
check_usable(size_t req, size_t usable, enum shape shape)
{
	if (usable < req)
		fail("usable size %zu below the %zu bytes asked", usable, req);
	if (shape == SHAPE_KEPT)
		return;
	if (shape == SHAPE_LOOSE) {
		size_t most = large_bound(req);
		if (req <= SMALL_MAX && class_size(req) > most)
			most = class_size(req);
		if (usable > most)
			fail("usable size %zu for %zu bytes, more than %zu",
					usable, req, most);
		return;
	}
	if (req <= SMALL_MAX) {
		if (usable != class_size(req))
			fail("usable size %zu for %zu bytes: the class is %zu",
					usable, req, class_size(req));
		return;
	}
	size_t need = pages_of(req);
	if (usable % PAGE != 0)
		fail("large object of %zu bytes has %zu usable: not whole "
				"pages", req, usable);
	if (need <= 64 ? usable / PAGE * 10 >= need * 11 :
			usable != need * PAGE)
		fail("large object of %zu bytes (%zu pages) has %zu usable",
				req, need, usable);
}

/* ---- messages and statistics ------------------------------------------- */

static char msg_before[MSG_MAX];
static unsigned marker_count;

/* leaves a message of its own, so that the next failure must change it;
 * a bad alignment must fail with EINVAL on its own account too */
static void
set_marker(unsigned pi)
{
	size_t align = 3 + 2 * (size_t)(marker_count++ % 100000);
	errno = 0;
	void *p = vmem_aligned_alloc(pools[pi].vmp, align, 1);
	if (p != NULL || errno != EINVAL)
		fail("aligned_alloc with alignment %zu: %p, errno %d", align, p,
				errno);
	snprintf(msg_before, sizeof(msg_before), "%s", vmem_errormsg());
}

static bool
msg_changed(void)
{
	return strcmp(vmem_errormsg(), msg_before) != 0;
}

/* true if the message is new and names ptr and pool pi as %p prints them */
static bool
msg_names(const void *ptr, unsigned pi)
{
	char a[32], b[32];
	const char *m = vmem_errormsg();
	snprintf(a, sizeof(a), "%p", ptr);
	snprintf(b, sizeof(b), "%p", (void *)pools[pi].vmp);
	return msg_changed() && strstr(m, a) != NULL && strstr(m, b) != NULL;
}

static uint64_t stats_hash;
static size_t stats_bytes;
static bool stats_begun;

static void
stats_sink(const char *s)
{
	if (strstr(s, "Begin libvmem statistics") != NULL)
		stats_begun = true;
	for (; *s != '\0'; s++) {
		stats_hash = (stats_hash ^ (unsigned char)*s) *
				0x100000001b3ULL;
		stats_bytes++;
	}
}

/* the whole report of pool pi, as a hash */
static uint64_t
stats_of(unsigned pi, const char *opts)
{
	stats_hash = 0xcbf29ce484222325ULL;
	stats_bytes = 0;
	stats_begun = false;
	vmem_stats_print(pools[pi].vmp, opts);
	return stats_hash;
}

static void
check_pool(unsigned pi, const char *when)
{
	if (vmem_check(pools[pi].vmp) != 1)
		fail("%s: vmem_check of pool %u is not 1", when, pi);
}

/* ---- new objects ------------------------------------------------------- */

/*
 * Takes p, just returned for req bytes by pool pi, into the model after
 * checking where it lies and its usable size; it gets a new pattern
 * unless it is to hold a pool (fill false).
 */
static void
adopt(unsigned pi, void *ptr, size_t req, size_t align, enum shape shape,
		bool fill, bool small, bool large)
{
	unsigned char *p = ptr;
	const struct pool *pl = &pools[pi];
	size_t usable = vmem_malloc_usable_size(pl->vmp, p);
	if (align < 16)
		align = 16;
	if ((uintptr_t)p % align != 0)
		fail("%p is not aligned to %zu", ptr, align);
	if (large && (uintptr_t)p % PAGE != 0)
		fail("large object %p is not page aligned", ptr);
	check_usable(req, usable, shape);
	if ((uintptr_t)p < pl->lo + PAGE || (uintptr_t)p + usable > pl->hi ||
			(uintptr_t)p + usable < (uintptr_t)p)
		fail("object %p + %zu outside pool %u [%#lx, %#lx)", ptr,
				usable, pi, (unsigned long)pl->lo,
				(unsigned long)pl->hi);
	for (unsigned i = 0; i < nlive; i++) {
		const struct obj *o = &live[i];
		if (o->pool == pi && p < o->p + o->usable && o->p < p + usable)
			fail("object %p + %zu overlaps live %p + %zu", ptr,
					usable, (void *)o->p, o->usable);
	}
	freed_forget(pi, p, usable);
	if (nlive == MAX_LIVE)
		fail("model full (the caller must keep room)");
	uint64_t seed = new_seed();
	if (fill)
		pat_fill(p, seed, req);
	live[nlive++] = (struct obj){ .p = p, .req = req, .usable = usable,
			.seed = seed, .pool = pi, .small = small,
			.large = large };
}

/*
 * A request of req bytes (align, 0 for none) failed in pool pi: it must
 * say ENOMEM with a new message, and may fail only in a pool with little
 * room. A pool holding at most 8 objects in less than a quarter of it has
 * room for a slab; at most 2 in less than a quarter, for a run of a
 * sixteenth (its free space is in a few pieces).
 */
static void
alloc_failed(unsigned pi, const char *what, size_t req, size_t align)
{
	if (errno != ENOMEM)
		fail("%s(%zu) failed with errno %d, not ENOMEM", what, req,
				errno);
	if (!msg_changed())
		fail("%s(%zu) failed and left the message as it was", what,
				req);
	unsigned count;
	size_t used = pool_live_bytes(pi, &count);
	size_t len = pools[pi].hi - pools[pi].lo;
	if (align > PAGE || used >= len / 4)
		return;
	if ((req <= SMALL_MAX && align <= 16 && count <= 8) ||
			(req <= len / 16 && count <= 2 && used + req < len / 4))
		fail("%s(%zu) failed in pool %u holding %u objects of "
				"%zu bytes in %zu", what, req, pi, count, used,
				len);
}

/* ---- the size argument ------------------------------------------------- */

static const size_t edge_sizes[] = {
	0, 1, 15, 16, 17, 127, 128, 129, 255, 256, 257, 1023, 1024, 1025,
	4095, 4096, 4097, 8192, 12288, 14336, 14337, 16383, 16384, 16385,
	20480, 20481, 65536, 65537, 135168, 262143, 262144, 262145,
	2 * 1024 * 1024 - 1, 2 * 1024 * 1024, 2 * 1024 * 1024 + 1,
};

/* requests no pool can hold */
static size_t
huge_size(unsigned pi, uint8_t k)
{
	switch (k % 8) {
	case 0: return SIZE_MAX;
	case 1: return SIZE_MAX - PAGE + 1;
	case 2: return SIZE_MAX - PAGE;
	case 3: return SIZE_MAX / 2 + 1;
	case 4: return (size_t)1 << 40;
	case 5: return (size_t)UINT32_MAX * PAGE;
	case 6: return SIZE_MAX - 2 * PAGE - 15;
	default: return pools[pi].hi - pools[pi].lo + 1 + (size_t)k * 977;
	}
}

/* a size for pool pi; *must_fail when the pool cannot hold it */
static size_t
take_size(unsigned pi, bool *must_fail)
{
	uint8_t kind = get8();
	size_t len = pools[pi].hi - pools[pi].lo;
	*must_fail = false;
	if (kind < 112)
		return get8();
	if (kind < 184)
		return get16() % (SMALL_MAX + 1);
	if (kind < 216) {	/* up to 4 MiB more, mostly far less */
		unsigned bits = 12 + get8() % 11;
		return SMALL_MAX + 1 + get32() % ((size_t)1 << bits);
	}
	if (kind < 240)
		return edge_sizes[get8() % (sizeof(edge_sizes) /
				sizeof(edge_sizes[0]))];
	if (kind < 250) {
		size_t n = 4 * MIB + get32() % len;
		*must_fail = n >= len;
		return n;
	}
	*must_fail = true;
	return huge_size(pi, get8());
}

static unsigned
take_pool(void)
{
	return get8() % npools;
}

/* ---- operations -------------------------------------------------------- */

enum {
	OP_MALLOC, OP_CALLOC, OP_REALLOC, OP_ALIGNED, OP_STRDUP, OP_WCSDUP,
	OP_FREE, OP_USABLE, OP_CHECK, OP_STATS, OP_BAD, OP_BAD_ALIGN,
	OP_FREE_ALL, OP_REGION, OP_NOT_POOL, OP_NULL, OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
	"malloc", "calloc", "realloc", "aligned_alloc", "strdup", "wcsdup",
	"free", "usable_size", "check", "stats_print", "bad pointer",
	"bad alignment", "free all", "region", "not a pool", "null pointer",
};

static void
op_malloc(void)
{
	unsigned pi = take_pool();
	bool must_fail;
	size_t n = take_size(pi, &must_fail);
	if (nlive == MAX_LIVE)
		return;
	set_marker(pi);
	errno = 0;
	void *p = vmem_malloc(pools[pi].vmp, n);
	TRACE("  malloc(pool %u, %zu) = %p\n", pi, n, p);
	if (p == NULL) {
		alloc_failed(pi, "malloc", n, 0);
		return;
	}
	if (must_fail)
		fail("malloc(%zu) succeeded in a pool of %zu bytes", n,
				pools[pi].hi - pools[pi].lo);
	adopt(pi, p, n, 0, SHAPE_EXACT, true, n <= SMALL_MAX,
			n > SMALL_MAX);
}

MODEL_HOT static bool
all_zero(const unsigned char *p, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8)
		if (*(const uint64_t *)(const void *)(p + i) != 0)
			return false;
	for (; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

static void
op_calloc(void)
{
	unsigned pi = take_pool();
	uint8_t mode = get8();
	size_t nmemb, size;
	bool must_fail = false, overflow = false;
	switch (mode % 8) {
	case 5:		/* a zero product */
		nmemb = get8() & 1 ? 0 : get16();
		size = nmemb == 0 ? get16() : 0;
		break;
	case 6: {	/* a product that overflows */
		size_t a = 2 + get8();
		nmemb = SIZE_MAX / a + 1 + get8();
		size = a;
		overflow = true;
		break;
	}
	case 7:
		nmemb = 2 + get8();
		size = SIZE_MAX / nmemb + 1 + get16();
		overflow = true;
		break;
	default:
		nmemb = 1 + get8() % 16;
		size = take_size(pi, &must_fail) / (1 + mode % 4);
		must_fail = false;	/* decided by the product below */
		break;
	}
	size_t total = 0;
	if (!overflow && __builtin_mul_overflow(nmemb, size, &total))
		overflow = true;
	if (!overflow && total >= pools[pi].hi - pools[pi].lo)
		must_fail = true;
	if (nlive == MAX_LIVE)
		return;
	set_marker(pi);
	errno = 0;
	unsigned char *p = vmem_calloc(pools[pi].vmp, nmemb, size);
	TRACE("  calloc(pool %u, %zu, %zu) = %p\n", pi, nmemb, size, (void *)p);
	if (p == NULL) {
		alloc_failed(pi, "calloc", overflow ? SIZE_MAX : total, 0);
		return;
	}
	if (overflow || must_fail)
		fail("calloc(%zu, %zu) succeeded", nmemb, size);
	if (!all_zero(p, total))
		fail("calloc(%zu, %zu) = %p is not all zeros", nmemb, size,
				(void *)p);
	adopt(pi, p, total, 0, SHAPE_EXACT, true,
			total <= SMALL_MAX, total > SMALL_MAX);
}

/* realloc of the live object i to n bytes */
static void
realloc_live(unsigned i, size_t n, bool must_fail)
{
	struct obj o = live[i];
	VMEM *vmp = pools[o.pool].vmp;
	verify_obj(&o, true, "before realloc");
	set_marker(o.pool);
	errno = 0;
	unsigned char *q = vmem_realloc(vmp, o.p, n);
	TRACE("  realloc(pool %u, %p [%zu of %zu], %zu) = %p\n", o.pool,
			(void *)o.p, o.req, o.usable, n, (void *)q);
	if (n == 0) {
		if (q != NULL)
			fail("realloc(%p, 0) returned %p", (void *)o.p,
					(void *)q);
		forget_live(i);
		freed_add(o.pool, o.p);
		return;
	}
	if (q == NULL) {
		if (n <= o.usable)
			fail("realloc(%p, %zu) of an object of %zu usable "
					"bytes failed", (void *)o.p, n,
					o.usable);
		if (errno != ENOMEM || !msg_changed())
			fail("realloc(%p, %zu) failed with errno %d, message "
					"\"%s\"", (void *)o.p, n, errno,
					vmem_errormsg());
		verify_obj(&o, true, "after a failed realloc");
		return;
	}
	if (must_fail)
		fail("realloc(%zu) succeeded in a pool of %zu bytes", n,
				pools[o.pool].hi - pools[o.pool].lo);
	size_t keep = o.req < n ? o.req : n;
	size_t bad = pat_find_bad(q, o.seed, 0, keep, o.req);
	if (bad != SIZE_MAX)
		fail("realloc(%p [%zu], %zu) = %p lost byte %zu", (void *)o.p,
				o.req, n, (void *)q, bad);
	if (o.small && n <= SMALL_MAX && class_size(n) == o.usable && q != o.p)
		fail("realloc of a small object within its class moved it");
	if (o.large && n > SMALL_MAX && n <= o.usable && q != o.p)
		fail("a large object that stays large moved when shrinking");
	forget_live(i);
	/* in place within what it had: the same class, a large object cut
	 * down, or a shrink with no room for a copy (which keeps its size) */
	bool kept = q == o.p && n <= o.usable;
	bool small = q == o.p ? o.small && n <= SMALL_MAX &&
			class_size(n) == o.usable : n <= SMALL_MAX;
	bool large = q == o.p ? o.large && n > SMALL_MAX : n > SMALL_MAX;
	if (q != o.p)
		freed_add(o.pool, o.p);
	adopt(o.pool, q, n, 0, kept ? SHAPE_KEPT : SHAPE_LOOSE, true, small,
			large);
	if (kept && live[nlive - 1].usable > o.usable)
		fail("realloc(%p, %zu) in place grew it from %zu to %zu "
				"usable", (void *)o.p, n, o.usable,
				live[nlive - 1].usable);
}

static void
op_realloc(void)
{
	uint8_t mode = get8();
	uint16_t pick = get16();
	int i = pick_live(pick);
	bool must_fail;
	unsigned pi = i >= 0 ? live[i].pool : pick % npools;
	size_t n = take_size(pi, &must_fail);
	switch (mode % 8) {
	case 4:
		n = 0;
		must_fail = false;
		break;
	case 5: {	/* a NULL pointer: malloc */
		if (nlive == MAX_LIVE)
			return;
		set_marker(pi);
		errno = 0;
		void *p = vmem_realloc(pools[pi].vmp, NULL, n);
		TRACE("  realloc(pool %u, NULL, %zu) = %p\n", pi, n, p);
		if (p == NULL) {
			if (n != 0)
				alloc_failed(pi, "realloc(NULL)", n, 0);
			return;
		}
		if (must_fail)
			fail("realloc(NULL, %zu) succeeded", n);
		adopt(pi, p, n, 0, SHAPE_EXACT, true, n <= SMALL_MAX,
				n > SMALL_MAX);
		return;
	}
	case 6:		/* shrink */
		if (i >= 0) {
			size_t r = live[i].req, k = pick >> 8;
			n = r / 256 * k + r % 256 * k / 256;
			must_fail = false;
		}
		break;
	case 7:		/* a little more: often the same class */
		if (i >= 0) {
			n = live[i].req + (pick >> 10);
			must_fail = false;
		}
		break;
	default:
		break;
	}
	if (i >= 0)
		realloc_live((unsigned)i, n, must_fail);
}

static void
op_aligned(void)
{
	unsigned pi = take_pool();
	unsigned shift = get8() % 64;
	bool must_fail;
	size_t n = take_size(pi, &must_fail);
	size_t align = (size_t)1 << shift;
	if (nlive == MAX_LIVE)
		return;
	set_marker(pi);
	errno = 0;
	void *p = vmem_aligned_alloc(pools[pi].vmp, align, n);
	TRACE("  aligned_alloc(pool %u, %zu, %zu) = %p\n", pi, align, n, p);
	if (p == NULL) {
		alloc_failed(pi, "aligned_alloc", n, align);
		return;
	}
	if (must_fail)
		fail("aligned_alloc(%zu, %zu) succeeded", align, n);
	adopt(pi, p, n, align, SHAPE_LOOSE, true,
			align <= 16 && n <= SMALL_MAX, n > SMALL_MAX);
}

static char str_buf[40001];

static void
op_strdup(void)
{
	unsigned pi = take_pool();
	uint16_t code = get16();
	uint8_t ch = get8();
	size_t len = code & 0x8000 ? (code & 0x7fff) % (sizeof(str_buf) - 1) :
			code % 256;
	for (size_t k = 0; k < len; k++)
		str_buf[k] = (char)(1 + (ch + k * 7) % 255);
	str_buf[len] = '\0';
	if (nlive == MAX_LIVE)
		return;
	set_marker(pi);
	errno = 0;
	char *p = vmem_strdup(pools[pi].vmp, str_buf);
	TRACE("  strdup(pool %u, %zu chars) = %p\n", pi, len, (void *)p);
	if (p == NULL) {
		alloc_failed(pi, "strdup", len + 1, 0);
		return;
	}
	if (strcmp(p, str_buf) != 0)
		fail("strdup of %zu chars: the copy differs", len);
	adopt(pi, p, len + 1, 0, SHAPE_EXACT, true,
			len + 1 <= SMALL_MAX, len + 1 > SMALL_MAX);
}

static void
op_wcsdup(void)
{
	static wchar_t wbuf[300];
	unsigned pi = take_pool();
	size_t len = get8();
	uint8_t ch = get8();
	for (size_t k = 0; k < len; k++)
		wbuf[k] = (wchar_t)(1 + (ch * 0x1f1 + k * 0x3b9) % 0x10fffd);
	wbuf[len] = L'\0';
	size_t bytes = (len + 1) * sizeof(wchar_t);
	if (nlive == MAX_LIVE)
		return;
	set_marker(pi);
	errno = 0;
	wchar_t *p = vmem_wcsdup(pools[pi].vmp, wbuf);
	TRACE("  wcsdup(pool %u, %zu chars) = %p\n", pi, len, (void *)p);
	if (p == NULL) {
		alloc_failed(pi, "wcsdup", bytes, 0);
		return;
	}
	if (wcscmp(p, wbuf) != 0)
		fail("wcsdup of %zu chars: the copy differs", len);
	adopt(pi, p, bytes, 0, SHAPE_EXACT, true, bytes <= SMALL_MAX,
			bytes > SMALL_MAX);
}

static void
free_live(unsigned i)
{
	struct obj o = live[i];
	verify_obj(&o, true, "before free");
	vmem_free(pools[o.pool].vmp, o.p);
	TRACE("  free(pool %u, %p [%zu])\n", o.pool, (void *)o.p, o.req);
	forget_live(i);
	freed_add(o.pool, o.p);
}

static void
op_free(void)
{
	int i = pick_live(get16());
	if (i >= 0)
		free_live((unsigned)i);
}

static void
op_usable(void)
{
	int i = pick_live(get16());
	if (i < 0)
		return;
	const struct obj *o = &live[i];
	size_t u = vmem_malloc_usable_size(pools[o->pool].vmp, o->p);
	TRACE("  usable_size(pool %u, %p) = %zu\n", o->pool, (void *)o->p, u);
	if (u != o->usable)
		fail("usable size of %p is %zu, was %zu", (void *)o->p, u,
				o->usable);
}

static void
op_check(void)
{
	unsigned pi = take_pool();
	TRACE("  check(pool %u)\n", pi);
	check_pool(pi, "check");
	for (unsigned i = 0; i < nlive; i++)
		if (live[i].pool == pi)
			verify_obj(&live[i], true, "check");
}

static void
op_stats(void)
{
	unsigned pi = take_pool();
	uint8_t bits = get8();
	char opts[8];
	unsigned k = 0;
	for (unsigned b = 0; b < 5; b++)
		if (bits & (1u << b))
			opts[k++] = "gmabl"[b];
	if (bits & 0x20)
		opts[k++] = 'x';	/* ignored */
	opts[k] = '\0';
	const char *o = bits & 0x80 ? NULL : opts;
	stats_of(pi, o);
	TRACE("  stats_print(pool %u, \"%s\") = %zu bytes\n", pi,
			o ? o : "(null)", stats_bytes);
	if (strchr(o ? o : "", 'g') == NULL && !stats_begun)
		fail("stats_print(\"%s\") printed no beginning",
				o ? o : "(null)");
	if (o != NULL && strcmp(o, "gmabl") == 0 && stats_bytes != 0)
		fail("stats_print(\"gmabl\") printed %zu bytes", stats_bytes);
}

/* ---- bad pointers ------------------------------------------------------ */

static const char static_data[64] __attribute__((aligned(16))) = "static";
static unsigned char *heap_block;	/* from the system malloc */

/* true if p starts a live object of pool pi */
static bool
starts_live(unsigned pi, const void *p)
{
	for (unsigned i = 0; i < nlive; i++)
		if (live[i].pool == pi && live[i].p == p)
			return true;
	return false;
}

/*
 * Hands ptr, which is no live object of pool pi, to free, realloc or
 * usable_size (call 0, 1, 2): refused, with the pool as it was.
 */
static void
bad_call(unsigned pi, void *ptr, unsigned call, size_t n, const char *what)
{
	VMEM *vmp = pools[pi].vmp;
	set_marker(pi);
	uint64_t before = stats_of(pi, NULL);
	errno = EDOM;
	switch (call % 3) {
	case 0:
		vmem_free(vmp, ptr);
		TRACE("  free(pool %u, %p: %s)\n", pi, ptr, what);
		if (errno != EDOM)
			fail("free of %s %p changed errno to %d", what, ptr,
					errno);
		break;
	case 1: {
		void *q = vmem_realloc(vmp, ptr, n);
		TRACE("  realloc(pool %u, %p: %s, %zu) = %p\n", pi, ptr, what,
				n, q);
		if (q != NULL || errno != EINVAL)
			fail("realloc of %s %p: %p, errno %d", what, ptr, q,
					errno);
		break;
	}
	default: {
		size_t u = vmem_malloc_usable_size(vmp, ptr);
		TRACE("  usable_size(pool %u, %p: %s) = %zu\n", pi, ptr, what,
				u);
		if (u != 0 || errno != EDOM)
			fail("usable_size of %s %p: %zu, errno %d", what, ptr,
					u, errno);
		break;
	}
	}
	/* all three told apart in one report: a call that was not refused
	 * shows as an old message, other statistics and a damaged pool */
	char msg[MSG_MAX];
	bool named = msg_names(ptr, pi);
	snprintf(msg, sizeof(msg), "%s", vmem_errormsg());
	bool same = stats_of(pi, NULL) == before;
	int check = vmem_check(vmp);
	if (!named || !same || check != 1)
		fail("%s of %s %p in pool %u was not refused cleanly: message "
				"\"%s\"%s; statistics %s; vmem_check %d (%s)",
				call % 3 == 0 ? "free" : call % 3 == 1 ?
				"realloc" : "usable_size", what, ptr, pi, msg,
				named ? "" : " (not new, or not naming both)",
				same ? "unchanged" : "changed", check,
				check == 1 ? "" : vmem_errormsg());
	verify_all(false, "after a bad pointer");
}

static void
op_bad(void)
{
	uint8_t kind = get8();
	uint8_t call = get8();
	uint16_t a = get16();
	uint16_t b = get16();
	unsigned char on_stack[64] __attribute__((aligned(16)));
	size_t n = b % 3 == 0 ? 0 : b;
	memset(on_stack, 0x5a, sizeof(on_stack));
	switch (kind % 8) {
	case 0: {	/* inside a live object */
		int i = pick_live(a);
		if (i < 0 || live[i].usable < 2)
			return;
		struct obj *o = &live[i];
		size_t off = 1 + b % (o->usable - 1);
		bad_call(o->pool, o->p + off, call, n, "an interior pointer");
		return;
	}
	case 1: {	/* another pool's object */
		int i = pick_live(a);
		if (i < 0)
			return;
		unsigned pi = (live[i].pool + 1 + b % (npools - 1)) % npools;
		bad_call(pi, live[i].p, call, n, "another pool's object");
		return;
	}
	case 2: {	/* freed already */
		if (nfreed == 0)
			return;
		struct freed *f = &freed[a % nfreed];
		bad_call(f->pool, f->p, call, n, "a freed object");
		return;
	}
	case 3:
		bad_call(a % npools, on_stack + 16 * (b % 4), call, n,
				"a stack address");
		return;
	case 4: {	/* anywhere in or just beyond a pool */
		unsigned pi = a % npools;
		size_t len = pools[pi].hi - pools[pi].lo;
		size_t off = ((size_t)b << 8 | (a >> 8)) * 16 %
				(len + 64 * PAGE);
		if (call & 0x80)
			off += 8;
		unsigned char *p = (unsigned char *)pools[pi].lo + off;
		if (starts_live(pi, p))
			return;
		bad_call(pi, p, call, n, "a pointer into the pool");
		return;
	}
	case 5: {	/* outside every pool */
		unsigned pi = a % npools;
		uintptr_t v;
		switch (b % 5) {
		case 0: v = 16; break;
		case 1: v = UINTPTR_MAX - 15; break;
		case 2: v = pools[pi].lo - 16; break;
		case 3: v = pools[pi].hi; break;
		default: v = pools[pi].lo - PAGE; break;
		}
		bad_call(pi, (void *)v, call, n, "an address outside");
		return;
	}
	case 6:
		bad_call(a % npools, (void *)static_data, call, n,
				"static data");
		return;
	default:
		bad_call(a % npools, heap_block + 16 * (b % 4), call, n,
				"the system heap");
		return;
	}
}

static void
op_bad_align(void)
{
	static const size_t aligns[] = {
		0, 3, 5, 6, 7, 12, 24, 48, 96, 4097, 6144, 3 << 20,
		SIZE_MAX, ((size_t)1 << 63) + 1, ((size_t)1 << 63) | 4096,
		SIZE_MAX - 1,
	};
	unsigned pi = take_pool();
	uint8_t k = get8();
	uint32_t v = get32();
	size_t align = k < 128 ?
			aligns[k % (sizeof(aligns) / sizeof(aligns[0]))] :
			(size_t)v;
	if (align != 0 && (align & (align - 1)) == 0)
		align |= 3;	/* 3, or a power of two (4 or more) plus 3 */
	size_t n = get16();
	set_marker(pi);
	errno = 0;
	void *p = vmem_aligned_alloc(pools[pi].vmp, align, n);
	TRACE("  aligned_alloc(pool %u, %zu, %zu) = %p\n", pi, align, n, p);
	if (p != NULL || errno != EINVAL || !msg_changed())
		fail("aligned_alloc(%zu, %zu): %p, errno %d", align, n, p,
				errno);
}

static void
op_free_all(void)
{
	unsigned pi = take_pool();
	bool hosts = false;
	TRACE("  free all of pool %u\n", pi);
	for (unsigned i = 0; i < nlive; ) {
		if (live[i].pool != pi) {
			i++;
		} else if (live[i].host) {
			hosts = true;
			i++;
		} else {
			free_live(i);
		}
	}
	check_pool(pi, "after freeing everything");
	if (hosts)
		return;
	/* an empty pool has room for a quarter of itself in one piece */
	size_t n = (pools[pi].hi - pools[pi].lo) / 4;
	set_marker(pi);
	void *p = vmem_malloc(pools[pi].vmp, n);
	TRACE("  malloc(pool %u, %zu) = %p in the empty pool\n", pi, n, p);
	if (p == NULL)
		fail("an empty pool of %zu bytes has no room for %zu",
				pools[pi].hi - pools[pi].lo, n);
	if (nlive == MAX_LIVE) {
		vmem_free(pools[pi].vmp, p);
		return;
	}
	adopt(pi, p, n, 0, SHAPE_EXACT, true, false, true);
	free_live(nlive - 1);
}

/* ---- regions ----------------------------------------------------------- */

/* a live large object of pool pi holds [a, e) */
static bool
inside_large(unsigned pi, uintptr_t a, uintptr_t e)
{
	for (unsigned i = 0; i < nlive; i++) {
		const struct obj *o = &live[i];
		if (o->pool == pi && o->usable > SMALL_MAX &&
				(uintptr_t)o->p <= a &&
				e <= (uintptr_t)o->p + o->usable)
			return true;
	}
	return false;
}

/* a pool made in a large object: used a little, checked, deleted */
static void
region_accepted(VMEM *vmp, uintptr_t a, size_t len)
{
	void *p = vmem_malloc(vmp, 100);
	if (p == NULL || (uintptr_t)p < a || (uintptr_t)p + 100 > a + len)
		fail("the pool in a large object gave %p", p);
	if (vmem_check(vmp) != 1)
		fail("vmem_check of the pool in a large object");
	vmem_free(vmp, p);
	vmem_delete(vmp);
	if (vmem_check(vmp) != -1)
		fail("vmem_check of a deleted pool is not -1");
	/* its host's bytes are gone: they hold a new pattern */
	for (unsigned i = 0; i < nlive; i++) {
		struct obj *o = &live[i];
		if (!o->host && (uintptr_t)o->p < a + len &&
				a < (uintptr_t)o->p + o->usable) {
			o->seed = new_seed();
			pat_fill(o->p, o->seed, o->req);
		}
	}
}

static void
op_region(void)
{
	uint8_t mode = get8();
	unsigned pi = mode / 4 % npools;
	uint16_t a = get16();
	uint16_t b = get16();
	uintptr_t addr;
	size_t len = VMEM_MIN_POOL + (size_t)(b % 4) * PAGE;
	switch (mode % 4) {
	case 0: {	/* in a large object that may hold a pool */
		int pick = -1;
		for (unsigned k = 0; k < nlive; k++) {
			unsigned i = (a + k) % nlive;
			if (!live[i].host && live[i].usable >= VMEM_MIN_POOL) {
				pick = (int)i;
				break;
			}
		}
		if (pick < 0)
			return;
		const struct obj *o = &live[pick];
		size_t room = (o->usable - VMEM_MIN_POOL) / PAGE;
		size_t off = room == 0 ? 0 : (b % (room + 1)) * PAGE;
		addr = (uintptr_t)o->p + off;
		len = VMEM_MIN_POOL + (o->usable - VMEM_MIN_POOL - off) *
				(b >> 15);
		break;
	}
	case 1: {	/* somewhere over a pool */
		size_t npages = (pools[pi].hi - pools[pi].lo) / PAGE;
		addr = pools[pi].lo + (a % (npages + 64)) * PAGE - 32 * PAGE;
		break;
	}
	case 2:		/* not page aligned */
		addr = pools[pi].lo + (size_t)a * 16 + 16 * (1 + b % 255);
		break;
	default:	/* too small */
		addr = pools[pi].lo;
		len = VMEM_MIN_POOL - 1 - b;
		break;
	}
	bool overlaps = false, ok = addr % PAGE == 0 && len >= VMEM_MIN_POOL;
	for (unsigned k = 0; k < npools; k++) {
		if (addr < pools[k].hi && pools[k].lo < addr + len) {
			overlaps = true;
			ok = ok && inside_large(k, addr, addr + len);
		}
	}
	if (!overlaps && ok)
		return;		/* unmapped memory: it would be used */
	uint64_t before = stats_of(pi, NULL);
	set_marker(pi);
	errno = 0;
	VMEM *vmp = vmem_create_in_region((void *)addr, len);
	TRACE("  create_in_region(%#lx, %zu) = %p (expected %s)\n",
			(unsigned long)addr, len, (void *)vmp,
			ok ? "a pool" : "EINVAL");
	if (ok) {
		if (vmp == NULL)
			fail("a region in a large object was refused");
		region_accepted(vmp, addr, len);
	} else {
		if (vmp != NULL)
			fail("region %#lx + %zu over a pool was accepted",
					(unsigned long)addr, len);
		if (errno != EINVAL || !msg_changed())
			fail("refused region: errno %d, message \"%s\"", errno,
					vmem_errormsg());
		if (stats_of(pi, NULL) != before)
			fail("a refused region changed pool %u", pi);
	}
	for (unsigned k = 0; k < npools; k++)
		check_pool(k, "after a region");
	verify_all(false, "after a region");
}

/* vmem_delete and vmem_check of a handle that is no pool */
static void
op_not_pool(void)
{
	uint8_t k = get8();
	uint16_t a = get16();
	unsigned char on_stack[32];
	void *h;
	memset(on_stack, 0, sizeof(on_stack));
	switch (k % 4) {
	case 0: h = NULL; break;
	case 1: h = on_stack; break;
	case 2: {
		int i = pick_live(a);
		if (i < 0)
			return;
		h = live[i].p;
		break;
	}
	default:
		h = (void *)(pools[a % npools].lo + PAGE);
		break;
	}
	set_marker(0);
	vmem_delete(h);
	TRACE("  delete(%p), not a pool\n", h);
	if (!msg_changed())
		fail("vmem_delete(%p) of no pool left no message", h);
	if (vmem_check(h) != -1)
		fail("vmem_check(%p) of no pool is not -1", h);
	for (unsigned i = 0; i < npools; i++)
		check_pool(i, "after deleting no pool");
	verify_all(false, "after deleting no pool");
}

static void
op_null(void)
{
	unsigned pi = take_pool();
	uint8_t call = get8();
	VMEM *vmp = pools[pi].vmp;
	if (call % 2 == 0) {
		uint64_t before = stats_of(pi, NULL);
		errno = EDOM;
		vmem_free(vmp, NULL);
		TRACE("  free(pool %u, NULL)\n", pi);
		if (errno != EDOM || stats_of(pi, NULL) != before)
			fail("free(NULL) did something");
	} else {
		errno = EDOM;
		size_t u = vmem_malloc_usable_size(vmp, NULL);
		TRACE("  usable_size(pool %u, NULL) = %zu\n", pi, u);
		if (u != 0 || errno != EDOM)
			fail("usable_size(NULL) = %zu, errno %d", u, errno);
	}
}

static void
run_op(uint8_t code)
{
	unsigned op = code % OP_COUNT;
	op_name = op_names[op];
	TRACE("op %u: %s\n", op_no, op_name);
	switch (op) {
	case OP_MALLOC: op_malloc(); break;
	case OP_CALLOC: op_calloc(); break;
	case OP_REALLOC: op_realloc(); break;
	case OP_ALIGNED: op_aligned(); break;
	case OP_STRDUP: op_strdup(); break;
	case OP_WCSDUP: op_wcsdup(); break;
	case OP_FREE: op_free(); break;
	case OP_USABLE: op_usable(); break;
	case OP_CHECK: op_check(); break;
	case OP_STATS: op_stats(); break;
	case OP_BAD: op_bad(); break;
	case OP_BAD_ALIGN: op_bad_align(); break;
	case OP_FREE_ALL: op_free_all(); break;
	case OP_REGION: op_region(); break;
	case OP_NOT_POOL: op_not_pool(); break;
	default: op_null(); break;
	}
}

/* ---- pools of an input ------------------------------------------------- */

static size_t
pool_size(uint8_t code)
{
	return 14 * MIB + (size_t)(code % 7) * 3 * MIB +
			(size_t)(code >> 3) * 272;
}

/*
 * The memory of the mapped pools: one mapping per slot, made at its first
 * use and kept, 2 MiB aligned and advised MADV_HUGEPAGE, because a page
 * touched for the first time costs a page fault, tens of microseconds in
 * a VM, and a pool is mostly new pages: with transparent huge pages
 * (enabled=madvise or always) one fault maps 2 MiB. After each input the
 * mapping is dropped with MADV_DONTNEED, so that the next reads all zeros,
 * as a new mapping would, and sees nothing of the one before.
 */
#define MAP_LEN		(34 * MIB)	/* the largest pool, 2 MiB aligned */

static unsigned char *maps[MAX_POOLS];

static unsigned char *
map_of(unsigned pi)
{
	if (maps[pi] == NULL) {
		void *m = mmap(NULL, MAP_LEN + 2 * MIB, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				-1, 0);
		if (m == MAP_FAILED) {
			perror("fuzz_pools: mmap");
			abort();
		}
		maps[pi] = (unsigned char *)(((uintptr_t)m + 2 * MIB - 1) &
				~(uintptr_t)(2 * MIB - 1));
		/* without transparent huge pages: small pages, slower */
		(void)madvise(maps[pi], MAP_LEN, MADV_HUGEPAGE);
	}
	return maps[pi];
}

static void
map_reset(unsigned pi)
{
	if (maps[pi] != NULL &&
			madvise(maps[pi], MAP_LEN, MADV_DONTNEED) != 0) {
		perror("fuzz_pools: madvise");
		abort();
	}
}

static void
make_mapped_pool(unsigned pi, size_t size, unsigned garbage, uint8_t byte)
{
	unsigned char *m = map_of(pi);
	if (garbage >= 2)
		memset(m, byte, garbage == 2 ? 256 * 1024 : MIB);
	VMEM *vmp = vmem_create_in_region(m, size);
	TRACE("pool %u: create_in_region(%p, %zu) = %p\n", pi, (void *)m,
			size, (void *)vmp);
	if (vmp == NULL)
		fail("vmem_create_in_region(%p, %zu) failed", (void *)m, size);
	pools[pi] = (struct pool){ .vmp = vmp, .mapped = true,
			.lo = (uintptr_t)m,
			.hi = (uintptr_t)m + (size & ~(PAGE - 1)) };
}

/* pool 2 in a large object of pool 0 */
static void
make_nested_pool(uint8_t code)
{
	size_t size = VMEM_MIN_POOL + (size_t)(code % 8) * 64 * 1024 +
			(code & 8 ? 100 : 0);
	size_t align = code & 16 ? 2 * MIB : PAGE;
	void *host = vmem_aligned_alloc(pools[0].vmp, align, size);
	TRACE("pool 2: host aligned_alloc(pool 0, %zu, %zu) = %p\n", align,
			size, host);
	if (host == NULL)
		fail("no room for a pool of %zu bytes in a fresh pool", size);
	adopt(0, host, size, align, SHAPE_LOOSE, false, false, true);
	live[nlive - 1].host = true;
	VMEM *vmp = vmem_create_in_region(host, size);
	if (vmp == NULL)
		fail("no pool in a large object of pool 0");
	pools[2] = (struct pool){ .vmp = vmp, .lo = (uintptr_t)host,
			.hi = (uintptr_t)host + (size & ~(PAGE - 1)) };
}

static void
setup(void)
{
	uint8_t flags = get8(), byte = get8();
	uint8_t sizes[MAX_POOLS] = { get8(), get8(), get8() };
	bool nested = (flags & 3) == 3;
	npools = flags & 1 ? 3 : 2;
	for (unsigned pi = 0; pi < npools; pi++) {
		if (pi == 2 && nested)
			make_nested_pool(sizes[2]);
		else
			make_mapped_pool(pi, pi == 0 && nested ? 32 * MIB :
					pool_size(sizes[pi]), flags >> 2 & 3,
					byte);
	}
	/* every pool has a thread cache and an object from the start */
	for (unsigned pi = 0; pi < npools; pi++) {
		void *p = vmem_malloc(pools[pi].vmp, 24);
		if (p == NULL)
			fail("malloc(24) in a new pool failed");
		adopt(pi, p, 24, 0, SHAPE_EXACT, true, true, false);
	}
}

static void
teardown(bool free_first)
{
	op_name = "teardown";
	verify_all(true, "at the end");
	for (unsigned pi = 0; pi < npools; pi++)
		check_pool(pi, "at the end");
	if (free_first) {
		for (unsigned pi = npools; pi-- > 0; )
			for (unsigned i = 0; i < nlive; )
				if (live[i].pool == pi && !live[i].host)
					free_live(i);
				else
					i++;
		for (unsigned pi = 0; pi < npools; pi++)
			check_pool(pi, "after freeing everything");
	}
	for (unsigned pi = npools; pi-- > 0; ) {
		vmem_delete(pools[pi].vmp);
		if (vmem_check(pools[pi].vmp) != -1)
			fail("vmem_check of deleted pool %u is not -1", pi);
		if (pools[pi].mapped)
			map_reset(pi);
	}
	memset(pools, 0, sizeof(pools));
	nlive = nfreed = npools = 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *t = getenv("FUZZ_POOLS_TRACE");
	tracing = t != NULL && *t != '\0' && *t != '0';
	vmem_set_funcs(NULL, NULL, NULL, NULL, stats_sink);
	heap_block = malloc(64);
	if (heap_block == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	in_data = data;
	in_len = size;
	in_pos = 0;
	op_no = 0;
	op_name = "setup";
	bool free_first = size > 0 && (data[0] & 16) != 0;
	setup();
	for (; in_pos < in_len && op_no < MAX_OPS; op_no++)
		run_op(get8());
	teardown(free_first);
	return 0;
}
