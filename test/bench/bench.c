/*
 * bench.c -- the throughput and capacity benchmark of libvmem.
 *
 *   bench throughput --alloc vmem|system|memkind
 *                    --workload small|mixed|large|huge
 *                    [--threads N] [--cross] [--steps N] [--slots N]
 *                    [--reps N] [--max-seconds S] [--dir DIR]
 *                    [--pool-size BYTES] [--label NAME] [--expect-lib SUBSTR]
 *
 *	Measures malloc+free operations per second. Each thread owns an array
 *	of slots; every step picks a slot with a xorshift PRNG and frees the
 *	object in it, or, if the slot is empty, allocates an object of a
 *	random size and writes one byte into it (huge: one byte in each 4 KiB
 *	page of it, as a program that fills a buffer touches every page of
 *	it, so that an allocator that gives freed memory back pays the page
 *	faults of taking it again). "--alloc vmem" allocates
 *	from one pool made by vmem_create() in DIR; "--alloc system" calls
 *	plain malloc()/free(), i.e. glibc, or whatever allocator run.sh put
 *	in front of it with LD_PRELOAD ("--expect-lib" checks which one
 *	really provides malloc). With "--cross" thread t allocates into its
 *	own slot array and frees only objects that thread t+1 allocated, so
 *	every timed free is a cross-thread free. The best of --reps
 *	repetitions counts; --max-seconds bounds the time a slow allocator
 *	can take (a repetition stops early, reporting the rate it had).
 *
 *   bench capacity --size BYTES [--threads N] [--dir DIR]
 *
 *	Makes a pool of exactly VMEM_MIN_POOL bytes and allocates objects of
 *	one size until vmem_malloc() returns NULL (each thread until its own
 *	first NULL); reports the bytes obtained as a share of the pool. With
 *	one thread it then frees everything and fills the pool again.
 *
 * Results go to stdout as CSV rows "section,label,workload,threads,metric,
 * value" (no header); progress and warnings go to stderr. The exit status
 * is 0 unless something broke (a pool could not be made, vmem_check failed,
 * the expected allocator was not the one in use, bad arguments).
 */
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvmem.h>

#define MAX_THREADS	64
#define MAX_REPS	20
#define CLOCK_EVERY	0xffff	/* look at the clock every 64 Ki steps */

enum workload { WL_SMALL, WL_MIXED, WL_LARGE, WL_HUGE };

/* everything the command line sets */
struct config {
	const char *mode;	/* "throughput" or "capacity" */
	bool use_vmem;
	bool use_memkind;
	enum workload workload;
	unsigned threads;
	bool cross;
	uint64_t steps;		/* operations (or failed mallocs) per thread */
	size_t slots;		/* per thread */
	unsigned reps;
	double max_seconds;	/* a rep ends after this long (rate still
				 * valid), and none starts after the reps
				 * took this long together */
	const char *dir;
	size_t pool_size;
	size_t obj_size;	/* capacity */
	const char *label;
	const char *expect_lib;
};

/* ---- small helpers ------------------------------------------------------ */

static _Noreturn void
die(const char *what)
{
	fprintf(stderr, "bench: %s\n", what);
	exit(2);
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);
	if (p == NULL)
		die("out of memory (harness)");
	return p;
}

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* xorshift64*: fast, good enough to pick slots and sizes */
static inline uint64_t
rnd_next(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* a number in [0, n) from the high 32 bits of r, without a division */
static inline uint64_t
rnd_range(uint64_t r, uint64_t n)
{
	return ((r >> 32) * n) >> 32;
}

/* small: uniform in [8, 512] */
static inline size_t
size_small(uint64_t r)
{
	return 8 + (size_t)rnd_range(r, 505);
}

/*
 * mixed: log-uniform in [8, 256 KiB): a power of two 2^k, k uniform in
 * [3, 17], plus a uniform offset below 2^k. Half the objects are <= 1 KiB,
 * one in fifteen is >= 128 KiB.
 */
static inline size_t
size_mixed(uint64_t r)
{
	unsigned k = 3 + (unsigned)(((r & 0xffffffffu) * 15) >> 32);
	size_t base = (size_t)1 << k;
	return base + (size_t)rnd_range(r, base);
}

/*
 * large: log-uniform in [16 KiB, 256 KiB), the part of mixed above the
 * small size classes: 2^k, k uniform in [14, 17], plus a uniform offset
 * below 2^k.
 */
static inline size_t
size_large(uint64_t r)
{
	unsigned k = 14 + (unsigned)(((r & 0xffffffffu) * 4) >> 32);
	size_t base = (size_t)1 << k;
	return base + (size_t)rnd_range(r, base);
}

/*
 * huge: log-uniform in [1 MiB, 32 MiB): 2^k, k uniform in [20, 24], plus
 * a uniform offset below 2^k (the buffers mimalloc-bench's malloc-large
 * and the users of far memory allocate); run with a few slots.
 */
static inline size_t
size_huge(uint64_t r)
{
	unsigned k = 20 + (unsigned)(((r & 0xffffffffu) * 5) >> 32);
	size_t base = (size_t)1 << k;
	return base + (size_t)rnd_range(r, base);
}

static inline size_t
pick_size(enum workload wl, uint64_t r)
{
	return wl == WL_SMALL ? size_small(r) : wl == WL_MIXED ?
			size_mixed(r) : wl == WL_LARGE ? size_large(r) :
			size_huge(r);
}

/*
 * memkind's PMEM kind (Debian libmemkind0), the other file-backed heap:
 * loaded with dlopen for "--alloc memkind", so that building the
 * benchmark does not need it.
 */
static void *mk_kind;
static void *(*mk_malloc)(void *kind, size_t size);
static void (*mk_free)(void *kind, void *ptr);

static void
memkind_load(const char *dir, size_t size)
{
	void *lib = dlopen("libmemkind.so.0", RTLD_NOW);
	if (lib == NULL)
		die("--alloc memkind: cannot load libmemkind.so.0");
	int (*create)(const char *, size_t, void **) =
			(int (*)(const char *, size_t, void **))dlsym(lib,
			"memkind_create_pmem");
	mk_malloc = (void *(*)(void *, size_t))dlsym(lib, "memkind_malloc");
	mk_free = (void (*)(void *, void *))dlsym(lib, "memkind_free");
	if (create == NULL || mk_malloc == NULL || mk_free == NULL)
		die("--alloc memkind: libmemkind lacks the PMEM kind functions");
	int err = create(dir, size, &mk_kind);
	if (err != 0 || mk_kind == NULL) {
		fprintf(stderr, "bench: memkind_create_pmem(%s, %zu): %d\n",
				dir, size, err);
		exit(2);
	}
}

/* the allocator under test: a pool, memkind, or malloc() */
static inline void *
obj_alloc(VMEM *vmp, size_t size)
{
	if (vmp != NULL)
		return vmem_malloc(vmp, size);
	if (mk_kind != NULL)
		return mk_malloc(mk_kind, size);
	return malloc(size);
}

static inline void
obj_free(VMEM *vmp, void *p)
{
	if (vmp != NULL)
		vmem_free(vmp, p);
	else if (mk_kind != NULL)
		mk_free(mk_kind, p);
	else
		free(p);
}

/* the write that makes the allocator hand out memory that really works */
static inline void
touch(void *p, uint64_t r)
{
	*(volatile unsigned char *)p = (unsigned char)r;
}

/* a huge object: one byte in each 4 KiB page of its size bytes */
static void
touch_pages(void *p, size_t size, uint64_t r)
{
	for (size_t off = 0; off < size; off += 4096)
		((volatile unsigned char *)p)[off] = (unsigned char)r;
}

/* an object of the workload, touched as it says */
static void *
obj_alloc_touch(const struct config *c, VMEM *vmp, uint64_t r)
{
	size_t size = pick_size(c->workload, r);
	void *p = obj_alloc(vmp, size);
	if (p == NULL)
		return NULL;
	if (c->workload == WL_HUGE)
		touch_pages(p, size, r);
	else
		touch(p, r);
	return p;
}

static void
csv_row(const struct config *c, const char *workload, const char *metric,
		double value)
{
	printf("%s,%s,%s,%u,%s,%.10g\n", c->mode, c->label, workload,
			c->threads, metric, value);
}

static VMEM *
pool_create(const char *dir, size_t size)
{
	VMEM *vmp = vmem_create(dir, size);
	if (vmp == NULL) {
		const char *msg = vmem_errormsg();
		fprintf(stderr, "bench: vmem_create(\"%s\", %zu) failed: %s\n",
				dir, size, msg != NULL ? msg : "(no message)");
		exit(2);
	}
	return vmp;
}

/* vmem_check() returns 1 for a consistent pool; anything else is a bug */
static bool
pool_check(VMEM *vmp)
{
	int ret = vmem_check(vmp);
	if (ret != 1) {
		fprintf(stderr, "bench: vmem_check() returned %d: %s\n", ret,
				vmem_errormsg() ? vmem_errormsg() : "");
		return false;
	}
	return true;
}

/* the file that provides the malloc() this process calls */
static const char *
malloc_provider(void)
{
	Dl_info info;
	void *sym = dlsym(RTLD_DEFAULT, "malloc");
	if (sym == NULL || dladdr(sym, &info) == 0 || info.dli_fname == NULL)
		return "(unknown)";
	return info.dli_fname;
}

/* ---- throughput ----------------------------------------------------------- */

struct worker {
	pthread_t tid;
	unsigned index;
	const struct config *cfg;
	VMEM *vmp;
	pthread_barrier_t *start;
	atomic_uint *ended;		/* threads that are done */
	void **slots;			/* private mode */
	_Atomic(void *) *own;		/* cross mode: I allocate into these */
	_Atomic(void *) *other;		/* cross mode: I free from these */
	uint64_t rng;
	/* results */
	uint64_t ops;
	uint64_t failed;
	uint64_t idle;			/* cross mode: iterations without an op */
	bool truncated;			/* stopped at the deadline */
	double t0, t1;
};

/* a repetition running past --max-seconds ends early, at a slower rate */
static bool
past_deadline(struct worker *w)
{
	if (now() < w->t0 + w->cfg->max_seconds)
		return false;
	w->truncated = true;
	return true;
}

/* one thread, private slots: free what is there, else allocate */
static void
run_private(struct worker *w)
{
	const struct config *c = w->cfg;
	VMEM *vmp = w->vmp;
	void **slots = w->slots;
	uint64_t rng = w->rng, ops = 0, failed = 0;

	for (uint64_t i = 0; i < c->steps; i++) {
		if ((i & CLOCK_EVERY) == CLOCK_EVERY && past_deadline(w))
			break;
		uint64_t r = rnd_next(&rng);
		void **slot = &slots[rnd_range(r, c->slots)];
		if (*slot != NULL) {
			obj_free(vmp, *slot);
			*slot = NULL;
			ops++;
			continue;
		}
		void *p = obj_alloc_touch(c, vmp, rnd_next(&rng));
		if (p == NULL) {
			failed++;
			continue;
		}
		*slot = p;
		ops++;
	}
	w->rng = rng;
	w->ops = ops;
	w->failed = failed;
}

/*
 * one thread, cross frees: an iteration frees the other thread's object in
 * slot i (if any), then fills its own slot i (if empty); one that does
 * neither is idle (the other thread lags) and is not an operation. The run
 * ends after "steps" operations, or at an idle iteration once another
 * thread has ended (it would wait for ever). Only the owner fills a slot of
 * "own" and only when it is empty, so the consumer's exchange is the only
 * read-modify-write needed; the release store publishes the touched object.
 */
static void
run_cross(struct worker *w)
{
	const struct config *c = w->cfg;
	VMEM *vmp = w->vmp;
	uint64_t rng = w->rng, ops = 0, failed = 0, idle = 0;

	for (uint64_t i = 0; ops + failed < c->steps; i++) {
		if ((i & CLOCK_EVERY) == CLOCK_EVERY && past_deadline(w))
			break;
		uint64_t r = rnd_next(&rng);
		size_t idx = (size_t)rnd_range(r, c->slots);
		bool did = false;
		if (atomic_load_explicit(&w->other[idx],
				memory_order_relaxed) != NULL) {
			void *p = atomic_exchange_explicit(&w->other[idx],
					NULL, memory_order_acquire);
			obj_free(vmp, p);
			ops++;
			did = true;
		}
		if (atomic_load_explicit(&w->own[idx],
				memory_order_relaxed) == NULL) {
			void *q = obj_alloc_touch(c, vmp, rnd_next(&rng));
			if (q != NULL) {
				atomic_store_explicit(&w->own[idx], q,
						memory_order_release);
				ops++;
			} else {
				failed++;
			}
			did = true;
		}
		if (!did) {
			idle++;
			if (atomic_load_explicit(w->ended,
					memory_order_relaxed) != 0)
				break;
		}
	}
	w->rng = rng;
	w->ops = ops;
	w->failed = failed;
	w->idle = idle;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	pthread_barrier_wait(w->start);
	w->t0 = now();
	if (w->cfg->cross)
		run_cross(w);
	else
		run_private(w);
	w->t1 = now();
	atomic_fetch_add(w->ended, 1);
	return NULL;
}

/* one slot array per thread: plain pointers, or atomics in cross mode */
static void
slots_alloc(struct worker *ws, const struct config *c)
{
	for (unsigned t = 0; t < c->threads; t++) {
		if (c->cross)
			ws[t].own = xcalloc(c->slots, sizeof(*ws[t].own));
		else
			ws[t].slots = xcalloc(c->slots, sizeof(void *));
	}
	if (c->cross)
		for (unsigned t = 0; t < c->threads; t++)
			ws[t].other = ws[(t + 1) % c->threads].own;
}

/* frees the objects left in the slots (untimed) and the arrays */
static void
slots_release(struct worker *ws, const struct config *c, VMEM *vmp)
{
	for (unsigned t = 0; t < c->threads; t++) {
		for (size_t i = 0; i < c->slots; i++) {
			void *p = c->cross ? atomic_load(&ws[t].own[i])
					: ws[t].slots[i];
			if (p != NULL)
				obj_free(vmp, p);
		}
		free(c->cross ? (void *)ws[t].own : (void *)ws[t].slots);
	}
}

/*
 * One repetition: worker 0 runs on the calling thread (so a 1-thread run
 * never creates a thread), the others on new threads; all start at a
 * barrier. Returns the wall time from the first start to the last end.
 */
struct rep_result {
	double secs;		/* first start to last end */
	uint64_t ops;
	uint64_t failed;
	uint64_t idle;
	unsigned truncated;	/* threads that stopped at the deadline */
};

static struct rep_result
run_rep(const struct config *c, VMEM *vmp, unsigned rep)
{
	struct worker ws[MAX_THREADS];
	pthread_barrier_t start;
	atomic_uint ended = 0;
	struct rep_result res = { 0, 0, 0, 0, 0 };

	memset(ws, 0, sizeof(ws));
	pthread_barrier_init(&start, NULL, c->threads);
	slots_alloc(ws, c);
	for (unsigned t = 0; t < c->threads; t++) {
		ws[t].index = t;
		ws[t].cfg = c;
		ws[t].vmp = vmp;
		ws[t].start = &start;
		ws[t].ended = &ended;
		/* the same seeds for every allocator: the same sequence */
		ws[t].rng = 0x9E3779B97F4A7C15ULL * (t + 1) + rep;
	}
	for (unsigned t = 1; t < c->threads; t++)
		if (pthread_create(&ws[t].tid, NULL, worker_main, &ws[t]) != 0)
			die("pthread_create failed");
	worker_main(&ws[0]);
	for (unsigned t = 1; t < c->threads; t++)
		pthread_join(ws[t].tid, NULL);

	double first = ws[0].t0, last = ws[0].t1;
	for (unsigned t = 0; t < c->threads; t++) {
		first = ws[t].t0 < first ? ws[t].t0 : first;
		last = ws[t].t1 > last ? ws[t].t1 : last;
		res.ops += ws[t].ops;
		res.failed += ws[t].failed;
		res.idle += ws[t].idle;
		res.truncated += ws[t].truncated;
	}
	res.secs = last - first;
	slots_release(ws, c, vmp);
	pthread_barrier_destroy(&start);
	return res;
}

static const char *
workload_name(const struct config *c)
{
	if (c->workload == WL_SMALL)
		return c->cross ? "small-cross" : "small";
	if (c->workload == WL_LARGE)
		return c->cross ? "large-cross" : "large";
	if (c->workload == WL_HUGE)
		return c->cross ? "huge-cross" : "huge";
	return c->cross ? "mixed-cross" : "mixed";
}

/* the rows every run reports once, after its repetitions */
static void
report_summary(const struct config *c, const char *wl,
		const struct rep_result *best, double worst_rate,
		unsigned reps_done, uint64_t failed_total)
{
	csv_row(c, wl, "ops_per_s_best", (double)best->ops / best->secs);
	csv_row(c, wl, "ops_per_s_worst", worst_rate);
	csv_row(c, wl, "ops_in_best_rep", (double)best->ops);
	csv_row(c, wl, "reps", reps_done);
	csv_row(c, wl, "steps_per_thread", (double)c->steps);
	csv_row(c, wl, "slots_per_thread", (double)c->slots);
	csv_row(c, wl, "failed_allocs", (double)failed_total);
	if (c->cross)
		csv_row(c, wl, "idle_iterations_best_rep", (double)best->idle);
	if (failed_total != 0)
		fprintf(stderr, "bench: %s %s %u thr: %llu allocations "
				"returned NULL (pool of %zu bytes)\n",
				c->label, wl, c->threads,
				(unsigned long long)failed_total,
				c->pool_size);
}

static int
cmd_throughput(const struct config *c)
{
	const char *wl = workload_name(c);
	const char *lib = c->use_vmem ? "libvmem" : c->use_memkind ?
			"libmemkind" : malloc_provider();
	struct rep_result best = { 1, 0, 0, 0, 0 };
	double worst = 0, spent = 0;
	uint64_t failed_total = 0;
	unsigned reps_done = 0, truncated = 0;
	int status = 0;

	if (c->use_memkind)
		memkind_load(c->dir, c->pool_size);
	if (!c->use_vmem && !c->use_memkind && c->expect_lib != NULL &&
			strstr(lib, c->expect_lib) == NULL) {
		fprintf(stderr, "bench: malloc() comes from %s, expected %s: "
				"LD_PRELOAD did not take effect\n",
				lib, c->expect_lib);
		return 3;
	}
	VMEM *vmp = c->use_vmem ? pool_create(c->dir, c->pool_size) : NULL;

	while (reps_done < c->reps && spent < c->max_seconds) {
		struct rep_result res = run_rep(c, vmp, reps_done);
		double rate = (double)res.ops / res.secs;
		char metric[32];

		snprintf(metric, sizeof(metric), "ops_per_s_rep%u",
				reps_done + 1);
		csv_row(c, wl, metric, rate);
		if (rate > (double)best.ops / best.secs)
			best = res;
		worst = (reps_done == 0 || rate < worst) ? rate : worst;
		failed_total += res.failed;
		truncated += res.truncated != 0;
		spent += res.secs;
		reps_done++;
		fprintf(stderr, "  %-9s %-12s %u thr  rep %u: %8.3f Mops/s "
				"(%.2f s)%s%s\n", c->label, wl, c->threads,
				reps_done, rate / 1e6, res.secs,
				res.failed ? "  ALLOCATION FAILURES" : "",
				res.truncated ? "  cut at --max-seconds" : "");
	}
	report_summary(c, wl, &best, worst, reps_done, failed_total);
	csv_row(c, wl, "reps_cut_at_max_seconds", truncated);
	if (vmp != NULL) {
		if (!pool_check(vmp))
			status = 4;
		vmem_delete(vmp);
	}
	return status;
}

/* ---- capacity ------------------------------------------------------------- */

struct filler {
	pthread_t tid;
	VMEM *vmp;
	size_t size;
	size_t max;		/* room in objs */
	void **objs;
	size_t count;
	pthread_barrier_t *start;
	pthread_barrier_t *done;	/* every thread has had its NULL: one
					 * that ended sooner would give its cache's
					 * memory back to the others */
	atomic_size_t *all;	/* objects all threads got so far */
	size_t all_at_null;	/* *all when this thread got its NULL */
};

/*
 * allocates objects until the first NULL. Nothing is freed meanwhile, so
 * an object another thread gets after this thread's NULL shows that the
 * NULL came while the pool still had room (say, held in another thread's
 * cache).
 */
static void
fill(struct filler *f)
{
	while (f->count < f->max) {
		void *p = vmem_malloc(f->vmp, f->size);
		if (p == NULL) {
			f->all_at_null = atomic_load(f->all);
			return;
		}
		atomic_fetch_add_explicit(f->all, 1, memory_order_relaxed);
		touch(p, f->count);
		f->objs[f->count++] = p;
	}
	fprintf(stderr, "bench: capacity: more than %zu objects of %zu bytes "
			"in a pool of %zu bytes?\n", f->max, f->size,
			VMEM_MIN_POOL);
}

static void *
filler_main(void *arg)
{
	struct filler *f = arg;
	pthread_barrier_wait(f->start);
	fill(f);
	pthread_barrier_wait(f->done);
	return NULL;
}

static void
empty(struct filler *f)
{
	for (size_t i = 0; i < f->count; i++)
		vmem_free(f->vmp, f->objs[i]);
	f->count = 0;
}

static double
percent(size_t count, size_t size)
{
	return 100.0 * (double)count * (double)size / (double)VMEM_MIN_POOL;
}

/* all threads fill the pool at once; returns the total object count */
static size_t
fill_concurrently(struct filler *fs, unsigned n)
{
	size_t total = 0;
	for (unsigned t = 1; t < n; t++)
		if (pthread_create(&fs[t].tid, NULL, filler_main, &fs[t]) != 0)
			die("pthread_create failed");
	filler_main(&fs[0]);
	for (unsigned t = 1; t < n; t++)
		pthread_join(fs[t].tid, NULL);
	for (unsigned t = 0; t < n; t++)
		total += fs[t].count;
	return total;
}

/* per thread counts, and how many objects came after the first NULL */
static void
report_threads(const struct config *c, const char *wl,
		const struct filler *fs, size_t total)
{
	size_t first_null = total;
	for (unsigned t = 0; t < c->threads; t++) {
		char metric[32];
		snprintf(metric, sizeof(metric), "objects_thread%u", t);
		csv_row(c, wl, metric, (double)fs[t].count);
		if (fs[t].count < fs[t].max && fs[t].all_at_null < first_null)
			first_null = fs[t].all_at_null;
	}
	csv_row(c, wl, "objects_after_first_null",
			(double)(total - first_null));
}

static int
cmd_capacity(const struct config *c)
{
	struct filler fs[MAX_THREADS];
	pthread_barrier_t start, done;
	atomic_size_t all = 0;
	char wl[32];
	int status = 0;

	snprintf(wl, sizeof(wl), "%zu", c->obj_size);
	VMEM *vmp = pool_create(c->dir, VMEM_MIN_POOL);
	pthread_barrier_init(&start, NULL, c->threads);
	pthread_barrier_init(&done, NULL, c->threads);
	memset(fs, 0, sizeof(fs));
	for (unsigned t = 0; t < c->threads; t++) {
		fs[t].vmp = vmp;
		fs[t].size = c->obj_size;
		fs[t].max = VMEM_MIN_POOL / c->obj_size + 1;
		fs[t].objs = xcalloc(fs[t].max, sizeof(void *));
		fs[t].start = &start;
		fs[t].done = &done;
		fs[t].all = &all;
	}

	size_t total = fill_concurrently(fs, c->threads);
	csv_row(c, wl, "objects", (double)total);
	csv_row(c, wl, "fill_pct", percent(total, c->obj_size));
	if (c->threads > 1)
		report_threads(c, wl, fs, total);
	fprintf(stderr, "  capacity %zu B x %u thr: %zu objects, %.1f%%\n",
			c->obj_size, c->threads, total,
			percent(total, c->obj_size));

	if (c->threads == 1) {
		/* everything freed must be usable again */
		empty(&fs[0]);
		fill(&fs[0]);
		csv_row(c, wl, "refill_pct",
				percent(fs[0].count, c->obj_size));
	}
	for (unsigned t = 0; t < c->threads; t++) {
		empty(&fs[t]);
		free(fs[t].objs);
	}
	if (!pool_check(vmp))
		status = 4;
	vmem_delete(vmp);
	pthread_barrier_destroy(&start);
	pthread_barrier_destroy(&done);
	return status;
}

/* ---- command line --------------------------------------------------------- */

static _Noreturn void
usage(void)
{
	fprintf(stderr,
"usage: bench throughput --alloc vmem|system|memkind --workload small|mixed|large|huge\n"
"             [--threads N] [--cross] [--steps N] [--slots N] [--reps N]\n"
"             [--max-seconds S] [--dir DIR] [--pool-size BYTES]\n"
"             [--label NAME] [--expect-lib SUBSTRING]\n"
"       bench capacity --size BYTES [--threads N] [--dir DIR]\n");
	exit(2);
}

static unsigned long long
parse_num(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno != 0 || end == s)
		usage();
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end != '\0')
		usage();
	return v;
}

static void
parse_option(struct config *c, int opt, const char *arg)
{
	switch (opt) {
	case 'a':
		if (strcmp(arg, "vmem") != 0 && strcmp(arg, "system") != 0 &&
				strcmp(arg, "memkind") != 0)
			usage();
		c->use_vmem = strcmp(arg, "vmem") == 0;
		c->use_memkind = strcmp(arg, "memkind") == 0;
		break;
	case 'w':
		if (strcmp(arg, "small") == 0)
			c->workload = WL_SMALL;
		else if (strcmp(arg, "mixed") == 0)
			c->workload = WL_MIXED;
		else if (strcmp(arg, "large") == 0)
			c->workload = WL_LARGE;
		else if (strcmp(arg, "huge") == 0)
			c->workload = WL_HUGE;
		else
			usage();
		break;
	case 't': c->threads = (unsigned)parse_num(arg); break;
	case 'x': c->cross = true; break;
	case 'n': c->steps = parse_num(arg); break;
	case 's': c->slots = (size_t)parse_num(arg); break;
	case 'r': c->reps = (unsigned)parse_num(arg); break;
	case 'm': c->max_seconds = strtod(arg, NULL); break;
	case 'd': c->dir = arg; break;
	case 'p': c->pool_size = (size_t)parse_num(arg); break;
	case 'z': c->obj_size = (size_t)parse_num(arg); break;
	case 'l': c->label = arg; break;
	case 'e': c->expect_lib = arg; break;
	default: usage();
	}
}

static void
parse_args(struct config *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "alloc", required_argument, NULL, 'a' },
		{ "workload", required_argument, NULL, 'w' },
		{ "threads", required_argument, NULL, 't' },
		{ "cross", no_argument, NULL, 'x' },
		{ "steps", required_argument, NULL, 'n' },
		{ "slots", required_argument, NULL, 's' },
		{ "reps", required_argument, NULL, 'r' },
		{ "max-seconds", required_argument, NULL, 'm' },
		{ "dir", required_argument, NULL, 'd' },
		{ "pool-size", required_argument, NULL, 'p' },
		{ "size", required_argument, NULL, 'z' },
		{ "label", required_argument, NULL, 'l' },
		{ "expect-lib", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	if (argc < 2)
		usage();
	*c = (struct config){
		.mode = argv[1], .use_vmem = true, .workload = WL_SMALL,
		.threads = 1, .steps = 5000000, .slots = 4096, .reps = 3,
		.max_seconds = 1e9, .dir = "/dev/shm",
		.pool_size = (size_t)1 << 30, .obj_size = 4096,
		.label = NULL, .expect_lib = NULL,
	};
	optind = 2;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		parse_option(c, opt, optarg);
	if (optind != argc || c->threads < 1 || c->threads > MAX_THREADS ||
			c->slots < 1 || c->slots > UINT32_MAX ||
			c->reps < 1 || c->reps > MAX_REPS ||
			c->obj_size < 1 || (c->cross && c->threads < 2))
		usage();
	if (c->label == NULL)
		c->label = c->use_vmem ? "vmem" : "system";
}

int
main(int argc, char **argv)
{
	struct config c;

	parse_args(&c, argc, argv);
	if (strcmp(c.mode, "throughput") == 0)
		return cmd_throughput(&c);
	if (strcmp(c.mode, "capacity") == 0)
		return cmd_capacity(&c);
	usage();
}
