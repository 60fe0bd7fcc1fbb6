/*
 * bench.c -- the throughput and capacity benchmark of libvmem.
 *
 *   bench throughput --alloc vmem|system|memkind|mi-arena
 *                    --workload small|mixed|large|huge|server|prodcons|
 *                               cache-thrash|cache-scratch|churn
 *                    [--threads N] [--cross] [--steps N] [--slots N]
 *                    [--handoff N] [--writes N]
 *                    [--reps N] [--max-seconds S] [--dir DIR]
 *                    [--pool-size BYTES] [--label NAME] [--expect-lib SUBSTR]
 *
 *	Measures how fast an allocator serves a workload; one operation is
 *	what the workload counts (see below). The best of --reps repetitions
 *	counts; --max-seconds bounds the time a slow allocator can take (a
 *	repetition stops early, reporting the rate it had). The seeds are
 *	fixed: every allocator gets the same sequence of requests.
 *
 *	small, mixed, large, huge: malloc+free calls. Each thread owns an
 *	array of slots; every step picks a slot with a xorshift PRNG and frees
 *	the object in it, or, if the slot is empty, allocates an object of a
 *	random size and writes one byte into it (huge: one byte in each 4 KiB
 *	page of it, as a program that fills a buffer touches every page of
 *	it, so that an allocator that gives freed memory back pays the page
 *	faults of taking it again). With "--cross" thread t allocates into its
 *	own slot array and frees only objects that thread t+1 allocated, so
 *	every timed free is a cross-thread free.
 *
 *	server (like larson): each thread keeps --slots live objects of
 *	16-1024 B; a step frees a random one and puts a new object in its
 *	place (one operation: an object replaced). After --handoff steps the
 *	thread starts a new thread, hands it its array and ends; the new
 *	thread goes on, freeing objects its predecessors allocated. --steps
 *	counts the steps of a chain of threads; there are --threads chains.
 *
 *	prodcons (like xmalloc-test): half the threads produce objects of
 *	8-512 B (--steps each) in batches of PC_BATCH through a locked queue,
 *	the other half free them. One operation: an object allocated and freed.
 *
 *	cache-thrash, cache-scratch (like Hoard's tests of the same names):
 *	each thread allocates an 8-byte object, writes all its bytes --writes
 *	times, frees it and starts again, --steps writes in all; one
 *	operation: the object written once. cache-scratch first gives each
 *	thread an object the main thread allocated, which the thread frees
 *	before it starts: an allocator that hands that memory back to the
 *	thread puts neighbouring threads' objects in one cache line.
 *
 *	churn (like mstress): each thread's live set grows to --slots objects
 *	of 8 B-64 KiB and shrinks to 1/8 of that, again and again; one step in
 *	eight reallocates a live object to a new random size, one in eight
 *	frees an object another thread sent; a quarter of the objects a
 *	shrinking thread lets go are sent to the next thread instead of freed.
 *	One operation: a malloc, free or realloc call; --steps steps a thread.
 *
 *	"--alloc vmem" allocates from one pool made by vmem_create() in DIR;
 *	"--alloc system" calls plain malloc()/free(), i.e. glibc, or whatever
 *	allocator run.sh put in front of it with LD_PRELOAD ("--expect-lib"
 *	checks which one really provides malloc); "--alloc memkind" uses
 *	memkind's PMEM kind in DIR, "--alloc mi-arena" per-thread mimalloc
 *	heaps in an exclusive arena on a file in DIR (both loaded with dlopen).
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
 * is 0 unless something broke: 2 a pool or arena could not be made (or the
 * arena did not serve an object), bad arguments; 3 the expected allocator
 * was not the one in use; 4 vmem_check failed or a realloc lost an
 * object's contents.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <libvmem.h>

#define MAX_THREADS	64
#define MAX_REPS	20
#define CLOCK_EVERY	0xffff	/* look at the clock every 64 Ki steps */
#define IDLE_YIELD	1023	/* cross: yield after this many idle turns */
#define PC_BATCH	256	/* prodcons: objects in a batch */
#define PC_QUEUED	16	/* prodcons: full batches queued at most */
#define CACHE_OBJ	8	/* cache-thrash, cache-scratch: object size */
#define CHURN_INBOX	64	/* churn: slots of a thread's inbox */

enum workload {
	WL_SMALL, WL_MIXED, WL_LARGE, WL_HUGE,	/* slots: malloc or free */
	WL_SERVER, WL_PRODCONS, WL_THRASH, WL_SCRATCH, WL_CHURN,
};

static const char *const workload_names[] = {
	[WL_SMALL] = "small", [WL_MIXED] = "mixed", [WL_LARGE] = "large",
	[WL_HUGE] = "huge", [WL_SERVER] = "server", [WL_PRODCONS] = "prodcons",
	[WL_THRASH] = "cache-thrash", [WL_SCRATCH] = "cache-scratch",
	[WL_CHURN] = "churn",
};

enum alloc_kind { ALLOC_VMEM, ALLOC_SYSTEM, ALLOC_MEMKIND, ALLOC_MIARENA };

static const char *const alloc_names[] = {
	[ALLOC_VMEM] = "vmem", [ALLOC_SYSTEM] = "system",
	[ALLOC_MEMKIND] = "memkind", [ALLOC_MIARENA] = "mi-arena",
};

/* everything the command line sets */
struct config {
	const char *mode;	/* "throughput" or "capacity" */
	enum alloc_kind alloc;
	enum workload workload;
	unsigned threads;
	bool cross;
	uint64_t steps;		/* operations (or failed mallocs) per thread */
	size_t slots;		/* per thread */
	uint64_t handoff;	/* server: steps of a thread before the next */
	uint64_t writes;	/* cache-*: writes of one object */
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
 * log-uniform in [2^lo, 2^(lo+n)): a power of two 2^k, k uniform in
 * [lo, lo+n), plus a uniform offset below 2^k
 */
static inline size_t
size_log(uint64_t r, unsigned lo, unsigned n)
{
	unsigned k = lo + (unsigned)(((r & 0xffffffffu) * n) >> 32);
	size_t base = (size_t)1 << k;
	return base + (size_t)rnd_range(r, base);
}

/*
 * mixed: log-uniform in [8, 256 KiB): k in [3, 17]. Half the objects are
 * <= 1 KiB, one in fifteen is >= 128 KiB.
 */
static inline size_t
size_mixed(uint64_t r)
{
	return size_log(r, 3, 15);
}

/*
 * large: log-uniform in [16 KiB, 256 KiB), the part of mixed above the
 * small size classes: k in [14, 17].
 */
static inline size_t
size_large(uint64_t r)
{
	return size_log(r, 14, 4);
}

/*
 * huge: log-uniform in [1 MiB, 32 MiB): k in [20, 24] (the buffers
 * mimalloc-bench's malloc-large and the users of far memory allocate);
 * run with a few slots.
 */
static inline size_t
size_huge(uint64_t r)
{
	return size_log(r, 20, 5);
}

/* server: uniform in [16, 1024], the objects of larson-sized */
static inline size_t
size_server(uint64_t r)
{
	return 16 + (size_t)rnd_range(r, 1009);
}

/* churn: log-uniform in [8, 64 KiB): k in [3, 15] */
static inline size_t
size_churn(uint64_t r)
{
	return size_log(r, 3, 13);
}

static inline size_t
pick_size(enum workload wl, uint64_t r)
{
	return wl == WL_SMALL ? size_small(r) : wl == WL_MIXED ?
			size_mixed(r) : wl == WL_LARGE ? size_large(r) :
			size_huge(r);
}

/* ---- the allocators ------------------------------------------------------ */

static enum alloc_kind alloc_kind;
static VMEM *pool;		/* --alloc vmem */

/*
 * memkind's PMEM kind (Debian libmemkind0), the other file-backed heap:
 * loaded with dlopen for "--alloc memkind", so that building the
 * benchmark does not need it.
 */
static void *mk_kind;
static void *(*mk_malloc)(void *kind, size_t size);
static void *(*mk_realloc)(void *kind, void *ptr, size_t size);
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
	mk_realloc = (void *(*)(void *, void *, size_t))dlsym(lib,
			"memkind_realloc");
	mk_free = (void (*)(void *, void *))dlsym(lib, "memkind_free");
	if (create == NULL || mk_malloc == NULL || mk_realloc == NULL ||
			mk_free == NULL)
		die("--alloc memkind: libmemkind lacks the PMEM kind functions");
	int err = create(dir, size, &mk_kind);
	if (err != 0 || mk_kind == NULL) {
		fprintf(stderr, "bench: memkind_create_pmem(%s, %zu): %d\n",
				dir, size, err);
		exit(2);
	}
}

/*
 * mimalloc's arena heaps (Debian libmimalloc2.0, loaded with dlopen, so
 * the process's malloc stays glibc's): a file of the pool size in the
 * pool directory, reserved whole with posix_fallocate as vmem_create
 * reserves its pool, mapped MAP_SHARED at a boundary of mimalloc's arena
 * block (its 32 MiB segment, the alignment segments need), and given to
 * mimalloc as an exclusive arena; every thread allocates from a heap of
 * its own in that arena (a mimalloc heap belongs to the thread that made
 * it), and any thread frees with mi_free. The prototypes are those of
 * mimalloc 2.0.9's mimalloc.h (mi_arena_id_t is an int). Every pointer
 * the heaps return is checked to lie in the mapping. mimalloc has no call
 * that gives an arena back, so the mapping stays until the process ends.
 */
#define MIA_BLOCK	((size_t)32 << 20)

static struct {
	uintptr_t base;		/* the mapping */
	size_t size;
	bool (*manage)(void *start, size_t size, bool is_committed,
			bool is_large, bool is_zero, int numa_node,
			bool exclusive, int *arena_id);
	void *(*heap_new)(int arena_id);
	void *(*heap_malloc)(void *heap, size_t size);
	void *(*heap_realloc)(void *heap, void *p, size_t size);
	void (*free_fn)(void *p);
	int arena;
} mia;

static _Thread_local void *mia_heap;	/* this thread's heap in the arena */

/* an unnamed file of size bytes in dir, every block reserved */
static int
mia_file(const char *dir, size_t size)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/bench-mi-arena.XXXXXX", dir);
		fd = mkstemp(path);
		if (fd < 0) {
			fprintf(stderr, "bench: mi-arena: no file in %s: %s\n",
					dir, strerror(errno));
			exit(2);
		}
		unlink(path);
	}
	int err = posix_fallocate(fd, 0, (off_t)size);
	if (err != 0) {
		fprintf(stderr, "bench: mi-arena: posix_fallocate(%zu) in %s: "
				"%s\n", size, dir, strerror(err));
		exit(2);
	}
	return fd;
}

/* maps fd shared, size bytes at a multiple of MIA_BLOCK */
static void *
mia_map(int fd, size_t size)
{
	char *r = mmap(NULL, size + MIA_BLOCK, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		die("mi-arena: cannot reserve address space");
	uintptr_t a = ((uintptr_t)r + MIA_BLOCK - 1) & ~(MIA_BLOCK - 1);
	char *start = (char *)a;
	if (mmap(start, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			fd, 0) == MAP_FAILED)
		die("mi-arena: cannot map the arena file");
	if (start > r)
		munmap(r, (size_t)(start - r));
	if (start + size < r + size + MIA_BLOCK)
		munmap(start + size, (size_t)(r + size + MIA_BLOCK -
				(start + size)));
	return start;
}

static void
mia_load(const char *dir, size_t size)
{
	void *lib = dlopen("libmimalloc.so.2", RTLD_NOW);
	if (lib == NULL)
		die("--alloc mi-arena: cannot load libmimalloc.so.2");
	mia.manage = (bool (*)(void *, size_t, bool, bool, bool, int, bool,
			int *))dlsym(lib, "mi_manage_os_memory_ex");
	mia.heap_new = (void *(*)(int))dlsym(lib, "mi_heap_new_in_arena");
	mia.heap_malloc = (void *(*)(void *, size_t))dlsym(lib,
			"mi_heap_malloc");
	mia.heap_realloc = (void *(*)(void *, void *, size_t))dlsym(lib,
			"mi_heap_realloc");
	mia.free_fn = (void (*)(void *))dlsym(lib, "mi_free");
	int (*version)(void) = (int (*)(void))dlsym(lib, "mi_version");
	if (mia.manage == NULL || mia.heap_new == NULL ||
			mia.heap_malloc == NULL || mia.heap_realloc == NULL ||
			mia.free_fn == NULL || version == NULL)
		die("--alloc mi-arena: libmimalloc lacks the arena functions "
				"(mimalloc 2.0.9 or later has them)");

	size -= size % MIA_BLOCK;	/* mimalloc uses whole blocks only */
	if (size == 0)
		die("--alloc mi-arena: --pool-size below one arena block "
				"(32 MiB)");
	int fd = mia_file(dir, size);
	void *start = mia_map(fd, size);
	close(fd);
	if (!mia.manage(start, size, /* is_committed */ true,
			/* is_large */ false, /* is_zero */ true,
			/* numa_node */ -1, /* exclusive */ true, &mia.arena))
		die("mi-arena: mi_manage_os_memory_ex refused the mapping");
	mia.base = (uintptr_t)start;
	mia.size = size;
	fprintf(stderr, "  mi-arena: mimalloc %d, arena %d: %zu MiB at %p "
			"in %s\n", version(), mia.arena, size >> 20, start, dir);
}

static _Noreturn void
mia_outside(void *p)
{
	fprintf(stderr, "bench: mi-arena: the heap returned %p, outside the "
			"arena [%#lx, %#lx): the arena does not serve the "
			"objects\n", p, (unsigned long)mia.base,
			(unsigned long)(mia.base + mia.size));
	exit(2);
}

/* this thread's heap in the arena, made on the thread's first use */
static void *
mia_thread_heap(void)
{
	if (mia_heap == NULL) {
		mia_heap = mia.heap_new(mia.arena);
		if (mia_heap == NULL)
			die("mi-arena: mi_heap_new_in_arena failed");
	}
	return mia_heap;
}

static inline void *
mia_checked(void *p)
{
	if (p != NULL && (uintptr_t)p - mia.base >= mia.size)
		mia_outside(p);
	return p;
}

/* what a thread does before its timed part: mi-arena makes its heap */
static void
alloc_thread_start(void)
{
	if (alloc_kind == ALLOC_MIARENA)
		mia_thread_heap();
}

/* the allocator under test: a pool, memkind, an arena or malloc() */
static inline void *
obj_alloc(size_t size)
{
	switch (alloc_kind) {
	case ALLOC_VMEM:
		return vmem_malloc(pool, size);
	case ALLOC_MEMKIND:
		return mk_malloc(mk_kind, size);
	case ALLOC_MIARENA:
		return mia_checked(mia.heap_malloc(mia_thread_heap(), size));
	default:
		return malloc(size);
	}
}

static inline void *
obj_realloc(void *p, size_t size)
{
	switch (alloc_kind) {
	case ALLOC_VMEM:
		return vmem_realloc(pool, p, size);
	case ALLOC_MEMKIND:
		return mk_realloc(mk_kind, p, size);
	case ALLOC_MIARENA:
		return mia_checked(mia.heap_realloc(mia_thread_heap(), p,
				size));
	default:
		return realloc(p, size);
	}
}

static inline void
obj_free(void *p)
{
	switch (alloc_kind) {
	case ALLOC_VMEM:
		vmem_free(pool, p);
		break;
	case ALLOC_MEMKIND:
		mk_free(mk_kind, p);
		break;
	case ALLOC_MIARENA:
		mia.free_fn(p);
		break;
	default:
		free(p);
	}
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
obj_alloc_touch(const struct config *c, uint64_t r)
{
	size_t size = pick_size(c->workload, r);
	void *p = obj_alloc(size);
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

/* ---- throughput: the threads and what they share -------------------------- */

/* prodcons: a batch of objects on its way from a producer to a consumer */
struct batch {
	struct batch *next;
	unsigned n;
	void *obj[PC_BATCH];
};

/* what the threads of one repetition share */
struct rep_state {
	pthread_barrier_t start;
	atomic_uint ended;		/* threads that are done */
	pthread_mutex_t lock;		/* server, prodcons: the fields below */
	pthread_cond_t changed;		/* server: a chain ended; prodcons: a
					 * full batch, or a producer ended */
	pthread_cond_t spare;		/* prodcons: an empty batch */
	unsigned chains_done;		/* server */
	struct batch *head, *tail;	/* prodcons: full batches, FIFO */
	struct batch *empty;		/* prodcons: empty batches */
	struct batch *batches;		/* prodcons: all of them (harness) */
	unsigned producers_left;	/* prodcons */
	_Atomic(void *) *inbox;		/* churn: CHURN_INBOX per thread */
};

struct worker {
	pthread_t tid;
	unsigned index;
	const struct config *cfg;
	struct rep_state *rs;
	void **slots;			/* private mode, server, churn */
	_Atomic(void *) *own;		/* cross mode: I allocate into these */
	_Atomic(void *) *other;		/* cross mode: I free from these */
	unsigned char *tags;		/* churn: first byte of each object */
	size_t live;			/* churn: objects in slots */
	void *gift;			/* cache-scratch: the main thread's */
	pthread_t prev;			/* server: the thread before me */
	pthread_t last;			/* server: the chain's last thread */
	uint64_t rng;
	/* results */
	uint64_t ops;
	uint64_t failed;
	uint64_t idle;			/* cross mode: iterations without an op */
	uint64_t handoffs;		/* server: threads started */
	uint64_t corrupt;		/* churn: reallocs that lost the tag */
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

/* ---- small, mixed, large, huge: slots ------------------------------------ */

/* one thread, private slots: free what is there, else allocate */
static void
run_private(struct worker *w)
{
	const struct config *c = w->cfg;
	void **slots = w->slots;
	uint64_t rng = w->rng, ops = 0, failed = 0;

	for (uint64_t i = 0; i < c->steps; i++) {
		if ((i & CLOCK_EVERY) == CLOCK_EVERY && past_deadline(w))
			break;
		uint64_t r = rnd_next(&rng);
		void **slot = &slots[rnd_range(r, c->slots)];
		if (*slot != NULL) {
			obj_free(*slot);
			*slot = NULL;
			ops++;
			continue;
		}
		void *p = obj_alloc_touch(c, rnd_next(&rng));
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
 * thread has ended (it would wait for ever). A long run of idle iterations
 * yields the CPU: with more threads than CPUs the thread it waits for may
 * not be running. Only the owner fills a slot of "own" and only when it
 * is empty, so the consumer's exchange is the only read-modify-write
 * needed; the release store publishes the touched object.
 */
static void
run_cross(struct worker *w)
{
	const struct config *c = w->cfg;
	uint64_t rng = w->rng, ops = 0, failed = 0, idle = 0;
	unsigned idle_run = 0;

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
			obj_free(p);
			ops++;
			did = true;
		}
		if (atomic_load_explicit(&w->own[idx],
				memory_order_relaxed) == NULL) {
			void *q = obj_alloc_touch(c, rnd_next(&rng));
			if (q != NULL) {
				atomic_store_explicit(&w->own[idx], q,
						memory_order_release);
				ops++;
			} else {
				failed++;
			}
			did = true;
		}
		if (did) {
			idle_run = 0;
			continue;
		}
		idle++;
		if (atomic_load_explicit(&w->rs->ended,
				memory_order_relaxed) != 0)
			break;
		if (++idle_run > IDLE_YIELD) {
			idle_run = 0;
			sched_yield();
		}
	}
	w->rng = rng;
	w->ops = ops;
	w->failed = failed;
	w->idle = idle;
}

/* ---- server ---------------------------------------------------------------- */

/* n steps: free a random object of the array and allocate its successor */
static void
server_steps(struct worker *w, uint64_t n)
{
	const struct config *c = w->cfg;
	void **slots = w->slots;
	uint64_t rng = w->rng, ops = 0, failed = 0;

	for (uint64_t i = 0; i < n; i++) {
		if ((i & CLOCK_EVERY) == CLOCK_EVERY && past_deadline(w))
			break;
		uint64_t r = rnd_next(&rng);
		void **slot = &slots[rnd_range(r, c->slots)];
		if (*slot != NULL)
			obj_free(*slot);
		r = rnd_next(&rng);
		*slot = obj_alloc(size_server(r));
		if (*slot == NULL) {
			failed++;
			continue;
		}
		touch(*slot, r);
		ops++;
	}
	w->rng = rng;
	w->ops += ops;
	w->failed += failed;
}

/*
 * One thread of a chain. The first fills the array (untimed) and waits at
 * the barrier; a later one first joins its predecessor, the thread that
 * started it. Each does --handoff steps, then starts its successor with
 * the same worker (array, PRNG state, counts) and ends without touching
 * it again; the last one stops the clock and tells the main thread, which
 * joins it.
 */
static void *
server_thread(void *arg)
{
	struct worker *w = arg;
	const struct config *c = w->cfg;

	if (w->handoffs == 0) {
		alloc_thread_start();
		uint64_t rng = w->rng ^ 0x5555;
		for (size_t i = 0; i < c->slots; i++) {
			uint64_t r = rnd_next(&rng);
			w->slots[i] = obj_alloc(size_server(r));
			if (w->slots[i] != NULL)
				touch(w->slots[i], r);
		}
		pthread_barrier_wait(&w->rs->start);
		w->t0 = now();
	} else {
		pthread_join(w->prev, NULL);
		alloc_thread_start();
	}
	uint64_t done = w->ops + w->failed;
	uint64_t n = c->steps - done < c->handoff ? c->steps - done :
			c->handoff;
	server_steps(w, n);
	done = w->ops + w->failed;
	if (done < c->steps && !w->truncated && !past_deadline(w)) {
		pthread_t next;
		w->handoffs++;
		w->prev = pthread_self();
		if (pthread_create(&next, NULL, server_thread, w) != 0)
			die("pthread_create failed (server)");
		return NULL;
	}
	w->t1 = now();
	w->last = pthread_self();
	pthread_mutex_lock(&w->rs->lock);
	w->rs->chains_done++;
	pthread_cond_signal(&w->rs->changed);
	pthread_mutex_unlock(&w->rs->lock);
	return NULL;
}

/* the server's chains: started and waited for by the main thread */
static void
server_run(struct worker *ws, unsigned n)
{
	struct rep_state *rs = ws[0].rs;
	for (unsigned t = 0; t < n; t++) {
		pthread_t first;	/* joined by its successor */
		if (pthread_create(&first, NULL, server_thread, &ws[t]) != 0)
			die("pthread_create failed");
	}
	pthread_mutex_lock(&rs->lock);
	while (rs->chains_done < n)
		pthread_cond_wait(&rs->changed, &rs->lock);
	pthread_mutex_unlock(&rs->lock);
	for (unsigned t = 0; t < n; t++)
		pthread_join(ws[t].last, NULL);
}

/* ---- prodcons ---------------------------------------------------------------- */

/* threads 0 .. producers-1 produce, the others consume */
static unsigned
producers(const struct config *c)
{
	return c->threads / 2;
}

static void
produce(struct worker *w)
{
	const struct config *c = w->cfg;
	struct rep_state *rs = w->rs;
	uint64_t rng = w->rng, made = 0, failed = 0;

	while (made + failed < c->steps && !past_deadline(w)) {
		pthread_mutex_lock(&rs->lock);
		while (rs->empty == NULL)
			pthread_cond_wait(&rs->spare, &rs->lock);
		struct batch *b = rs->empty;
		rs->empty = b->next;
		pthread_mutex_unlock(&rs->lock);

		b->n = 0;
		while (b->n < PC_BATCH && made + failed < c->steps) {
			uint64_t r = rnd_next(&rng);
			void *p = obj_alloc(size_small(r));
			if (p == NULL) {
				failed++;
				continue;
			}
			touch(p, r);
			b->obj[b->n++] = p;
			made++;
		}
		b->next = NULL;
		pthread_mutex_lock(&rs->lock);
		if (rs->tail != NULL)
			rs->tail->next = b;
		else
			rs->head = b;
		rs->tail = b;
		pthread_cond_signal(&rs->changed);
		pthread_mutex_unlock(&rs->lock);
	}
	pthread_mutex_lock(&rs->lock);
	rs->producers_left--;
	pthread_cond_broadcast(&rs->changed);
	pthread_mutex_unlock(&rs->lock);
	w->rng = rng;
	w->failed = failed;
}

/* frees batches until the producers have ended and the queue is empty */
static void
consume(struct worker *w)
{
	struct rep_state *rs = w->rs;
	uint64_t freed = 0;

	for (;;) {
		pthread_mutex_lock(&rs->lock);
		while (rs->head == NULL && rs->producers_left > 0)
			pthread_cond_wait(&rs->changed, &rs->lock);
		struct batch *b = rs->head;
		if (b == NULL) {
			pthread_mutex_unlock(&rs->lock);
			break;
		}
		rs->head = b->next;
		if (rs->head == NULL)
			rs->tail = NULL;
		pthread_mutex_unlock(&rs->lock);

		for (unsigned i = 0; i < b->n; i++)
			obj_free(b->obj[i]);
		freed += b->n;

		pthread_mutex_lock(&rs->lock);
		b->next = rs->empty;
		rs->empty = b;
		pthread_cond_signal(&rs->spare);
		pthread_mutex_unlock(&rs->lock);
	}
	w->ops = freed;
}

/* ---- cache-thrash, cache-scratch ------------------------------------------- */

/*
 * an 8-byte object at a time, each byte incremented --writes times over
 * (cache-scratch: after freeing the main thread's object); --steps writes
 * of the whole object in all. The increments go through a volatile
 * pointer, so each is a load and a store on the object's cache line: a
 * line two threads write in turn moves between their caches (plain
 * stores barely showed it here: the store buffer merges them).
 */
static void
run_cache(struct worker *w)
{
	const struct config *c = w->cfg;
	uint64_t done = 0, failed = 0;

	if (w->gift != NULL) {
		obj_free(w->gift);
		w->gift = NULL;
	}
	while (done + failed < c->steps && !past_deadline(w)) {
		uint64_t n = c->steps - done - failed < c->writes ?
				c->steps - done - failed : c->writes;
		void *p = obj_alloc(CACHE_OBJ);
		if (p == NULL) {
			failed += n;
			continue;
		}
		volatile unsigned char *b = p;
		for (uint64_t j = 0; j < n; j++)
			for (unsigned k = 0; k < CACHE_OBJ; k++)
				b[k]++;
		done += n;
		obj_free(p);
	}
	w->ops = done;
	w->failed = failed;
}

/* ---- churn ------------------------------------------------------------------ */

/* hands p to the next thread's inbox; what was in that slot is freed */
static uint64_t
churn_send(struct worker *w, void *p, uint64_t r)
{
	const struct config *c = w->cfg;
	unsigned to = (w->index + 1) % c->threads;
	_Atomic(void *) *slot = &w->rs->inbox[to * CHURN_INBOX +
			rnd_range(r, CHURN_INBOX)];
	void *old = atomic_exchange_explicit(slot, p, memory_order_acq_rel);
	if (old == NULL)
		return 0;
	obj_free(old);
	return 1;
}

/* frees what another thread left in a slot of my inbox */
static uint64_t
churn_receive(struct worker *w, uint64_t r)
{
	_Atomic(void *) *slot = &w->rs->inbox[w->index * CHURN_INBOX +
			rnd_range(r, CHURN_INBOX)];
	if (atomic_load_explicit(slot, memory_order_relaxed) == NULL)
		return 0;
	void *p = atomic_exchange_explicit(slot, NULL, memory_order_acquire);
	if (p == NULL)
		return 0;
	obj_free(p);
	return 1;
}

/* a random live object gets a new random size; its first byte must stay */
static uint64_t
churn_realloc(struct worker *w, uint64_t r, uint64_t r2)
{
	size_t i = (size_t)rnd_range(r, w->live);
	unsigned char *q = obj_realloc(w->slots[i], size_churn(r2));
	if (q == NULL) {
		w->failed++;
		return 0;
	}
	if (q[0] != w->tags[i])
		w->corrupt++;
	w->slots[i] = q;
	return 1;
}

static void
run_churn(struct worker *w)
{
	const struct config *c = w->cfg;
	size_t low = c->slots / 8;
	uint64_t rng = w->rng, ops = 0;
	bool growing = true;

	for (uint64_t i = 0; i < c->steps; i++) {
		if ((i & CLOCK_EVERY) == CLOCK_EVERY && past_deadline(w))
			break;
		uint64_t r = rnd_next(&rng), r2 = rnd_next(&rng);
		unsigned what = (unsigned)(r & 7);
		if (what == 0 && w->live > 0) {
			ops += churn_realloc(w, r, r2);
		} else if (what == 1) {
			ops += churn_receive(w, r);
		} else if (growing) {
			unsigned char *p = obj_alloc(size_churn(r2));
			if (p == NULL) {
				w->failed++;
				continue;
			}
			p[0] = (unsigned char)(r >> 8);
			w->tags[w->live] = p[0];
			w->slots[w->live++] = p;
			ops++;
			growing = w->live < c->slots;
		} else {
			size_t k = (size_t)rnd_range(r, w->live);
			void *p = w->slots[k];
			w->live--;
			w->slots[k] = w->slots[w->live];
			w->tags[k] = w->tags[w->live];
			if ((r & 0x18) == 0)	/* one in four: sent */
				ops += churn_send(w, p, r2);
			else {
				obj_free(p);
				ops++;
			}
			growing = w->live <= low;
		}
	}
	w->rng = rng;
	w->ops = ops;
}

/* ---- throughput: a repetition ---------------------------------------------- */

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	const struct config *c = w->cfg;

	alloc_thread_start();
	pthread_barrier_wait(&w->rs->start);
	w->t0 = now();
	switch (c->workload) {
	case WL_PRODCONS:
		if (w->index < producers(c))
			produce(w);
		else
			consume(w);
		break;
	case WL_THRASH:
	case WL_SCRATCH:
		run_cache(w);
		break;
	case WL_CHURN:
		run_churn(w);
		break;
	default:
		if (c->cross)
			run_cross(w);
		else
			run_private(w);
	}
	w->t1 = now();
	atomic_fetch_add(&w->rs->ended, 1);
	return NULL;
}

/* the untimed set-up of a repetition: arrays, queue, gifts */
static void
rep_setup(struct rep_state *rs, struct worker *ws, const struct config *c)
{
	unsigned n = c->threads;

	pthread_barrier_init(&rs->start, NULL, n);
	pthread_mutex_init(&rs->lock, NULL);
	pthread_cond_init(&rs->changed, NULL);
	pthread_cond_init(&rs->spare, NULL);
	for (unsigned t = 0; t < n; t++) {
		if (c->cross)
			ws[t].own = xcalloc(c->slots, sizeof(*ws[t].own));
		else if (c->workload != WL_PRODCONS &&
				c->workload != WL_THRASH &&
				c->workload != WL_SCRATCH)
			ws[t].slots = xcalloc(c->slots, sizeof(void *));
		if (c->workload == WL_CHURN)
			ws[t].tags = xcalloc(c->slots, 1);
	}
	if (c->cross)
		for (unsigned t = 0; t < n; t++)
			ws[t].other = ws[(t + 1) % n].own;
	if (c->workload == WL_PRODCONS) {
		unsigned count = PC_QUEUED + n;
		rs->batches = xcalloc(count, sizeof(struct batch));
		for (unsigned i = 0; i < count; i++) {
			rs->batches[i].next = rs->empty;
			rs->empty = &rs->batches[i];
		}
		rs->producers_left = producers(c);
	}
	if (c->workload == WL_CHURN)
		rs->inbox = xcalloc((size_t)n * CHURN_INBOX,
				sizeof(*rs->inbox));
	if (c->workload == WL_SCRATCH) {
		/* one after the other, as neighbours, by the main thread */
		alloc_thread_start();
		for (unsigned t = 0; t < n; t++)
			if ((ws[t].gift = obj_alloc(CACHE_OBJ)) == NULL)
				die("cache-scratch: the first objects failed");
	}
}

/* frees what the repetition left (untimed) and the harness's memory */
static void
rep_teardown(struct rep_state *rs, struct worker *ws, const struct config *c)
{
	for (unsigned t = 0; t < c->threads; t++) {
		size_t n = c->workload == WL_CHURN ? ws[t].live : c->slots;
		for (size_t i = 0; ws[t].slots != NULL && i < n; i++)
			if (ws[t].slots[i] != NULL)
				obj_free(ws[t].slots[i]);
		for (size_t i = 0; ws[t].own != NULL && i < c->slots; i++) {
			void *p = atomic_load(&ws[t].own[i]);
			if (p != NULL)
				obj_free(p);
		}
		free(ws[t].slots);
		free((void *)ws[t].own);
		free(ws[t].tags);
	}
	if (rs->inbox != NULL) {
		for (size_t i = 0; i < (size_t)c->threads * CHURN_INBOX; i++) {
			void *p = atomic_load(&rs->inbox[i]);
			if (p != NULL)
				obj_free(p);
		}
		free((void *)rs->inbox);
	}
	free(rs->batches);	/* the consumers emptied them all */
	pthread_cond_destroy(&rs->spare);
	pthread_cond_destroy(&rs->changed);
	pthread_mutex_destroy(&rs->lock);
	pthread_barrier_destroy(&rs->start);
}

/*
 * One repetition: worker 0 runs on the calling thread (so a 1-thread run
 * never creates a thread), the others on new threads; all start at a
 * barrier (server: every chain runs on threads of its own). Returns the
 * wall time from the first start to the last end.
 */
struct rep_result {
	double secs;		/* first start to last end */
	uint64_t ops;
	uint64_t failed;
	uint64_t idle;
	uint64_t handoffs;
	uint64_t corrupt;
	unsigned truncated;	/* threads that stopped at the deadline */
};

static struct rep_result
run_rep(const struct config *c, unsigned rep)
{
	struct worker ws[MAX_THREADS];
	struct rep_state rs;
	struct rep_result res;

	memset(&res, 0, sizeof(res));
	memset(ws, 0, sizeof(ws));
	memset(&rs, 0, sizeof(rs));
	for (unsigned t = 0; t < c->threads; t++) {
		ws[t].index = t;
		ws[t].cfg = c;
		ws[t].rs = &rs;
		/* the same seeds for every allocator: the same sequence */
		ws[t].rng = 0x9E3779B97F4A7C15ULL * (t + 1) + rep;
	}
	rep_setup(&rs, ws, c);
	if (c->workload == WL_SERVER) {
		server_run(ws, c->threads);
	} else {
		for (unsigned t = 1; t < c->threads; t++)
			if (pthread_create(&ws[t].tid, NULL, worker_main,
					&ws[t]) != 0)
				die("pthread_create failed");
		worker_main(&ws[0]);
		for (unsigned t = 1; t < c->threads; t++)
			pthread_join(ws[t].tid, NULL);
	}

	double first = ws[0].t0, last = ws[0].t1;
	for (unsigned t = 0; t < c->threads; t++) {
		first = ws[t].t0 < first ? ws[t].t0 : first;
		last = ws[t].t1 > last ? ws[t].t1 : last;
		res.ops += ws[t].ops;
		res.failed += ws[t].failed;
		res.idle += ws[t].idle;
		res.handoffs += ws[t].handoffs;
		res.corrupt += ws[t].corrupt;
		res.truncated += ws[t].truncated;
	}
	res.secs = last - first;
	rep_teardown(&rs, ws, c);
	return res;
}

static const char *
workload_name(const struct config *c)
{
	static char name[32];
	snprintf(name, sizeof(name), "%s%s", workload_names[c->workload],
			c->cross ? "-cross" : "");
	return name;
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
	csv_row(c, wl, "seconds_best_rep", best->secs);
	csv_row(c, wl, "reps", reps_done);
	csv_row(c, wl, "steps_per_thread", (double)c->steps);
	csv_row(c, wl, "slots_per_thread", (double)c->slots);
	csv_row(c, wl, "failed_allocs", (double)failed_total);
	if (c->cross)
		csv_row(c, wl, "idle_iterations_best_rep", (double)best->idle);
	if (c->workload == WL_SERVER) {
		csv_row(c, wl, "handoff_steps", (double)c->handoff);
		csv_row(c, wl, "handoffs_best_rep", (double)best->handoffs);
	}
	if (c->workload == WL_PRODCONS)
		csv_row(c, wl, "batch_objects", PC_BATCH);
	if (c->workload == WL_THRASH || c->workload == WL_SCRATCH)
		csv_row(c, wl, "writes_per_object", (double)c->writes);
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
	const char *lib = malloc_provider();
	struct rep_result best = { .secs = 1 };
	double worst = 0, spent = 0;
	uint64_t failed_total = 0, corrupt_total = 0;
	unsigned reps_done = 0, truncated = 0;
	int status = 0;

	alloc_kind = c->alloc;
	if (c->alloc == ALLOC_SYSTEM && c->expect_lib != NULL &&
			strstr(lib, c->expect_lib) == NULL) {
		fprintf(stderr, "bench: malloc() comes from %s, expected %s: "
				"LD_PRELOAD did not take effect\n",
				lib, c->expect_lib);
		return 3;
	}
	if (c->alloc == ALLOC_MEMKIND)
		memkind_load(c->dir, c->pool_size);
	if (c->alloc == ALLOC_MIARENA)
		mia_load(c->dir, c->pool_size);
	if (c->alloc == ALLOC_VMEM)
		pool = pool_create(c->dir, c->pool_size);

	while (reps_done < c->reps && spent < c->max_seconds) {
		struct rep_result res = run_rep(c, reps_done);
		double rate = (double)res.ops / res.secs;
		char metric[32];

		snprintf(metric, sizeof(metric), "ops_per_s_rep%u",
				reps_done + 1);
		csv_row(c, wl, metric, rate);
		if (rate > (double)best.ops / best.secs)
			best = res;
		worst = (reps_done == 0 || rate < worst) ? rate : worst;
		failed_total += res.failed;
		corrupt_total += res.corrupt;
		truncated += res.truncated != 0;
		spent += res.secs;
		reps_done++;
		fprintf(stderr, "  %-9s %-13s %u thr  rep %u: %8.3f Mops/s "
				"(%.2f s)%s%s\n", c->label, wl, c->threads,
				reps_done, rate / 1e6, res.secs,
				res.failed ? "  ALLOCATION FAILURES" : "",
				res.truncated ? "  cut at --max-seconds" : "");
	}
	report_summary(c, wl, &best, worst, reps_done, failed_total);
	csv_row(c, wl, "reps_cut_at_max_seconds", truncated);
	if (c->workload == WL_CHURN) {
		csv_row(c, wl, "corrupt_reallocs", (double)corrupt_total);
		if (corrupt_total != 0) {
			fprintf(stderr, "bench: %s %s: %llu reallocs lost the "
					"object's first byte\n", c->label, wl,
					(unsigned long long)corrupt_total);
			status = 4;
		}
	}
	if (pool != NULL) {
		if (!pool_check(pool))
			status = 4;
		vmem_delete(pool);
		pool = NULL;
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
"usage: bench throughput --alloc vmem|system|memkind|mi-arena\n"
"             --workload small|mixed|large|huge|server|prodcons|\n"
"                        cache-thrash|cache-scratch|churn\n"
"             [--threads N] [--cross] [--steps N] [--slots N]\n"
"             [--handoff N] [--writes N] [--reps N]\n"
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

/* the index of name in names[n], or usage() */
static unsigned
parse_name(const char *name, const char *const *names, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	usage();
}

static void
parse_option(struct config *c, int opt, const char *arg)
{
	switch (opt) {
	case 'a':
		c->alloc = (enum alloc_kind)parse_name(arg, alloc_names,
				sizeof(alloc_names) / sizeof(alloc_names[0]));
		break;
	case 'w':
		c->workload = (enum workload)parse_name(arg, workload_names,
				sizeof(workload_names) /
				sizeof(workload_names[0]));
		break;
	case 't': c->threads = (unsigned)parse_num(arg); break;
	case 'x': c->cross = true; break;
	case 'n': c->steps = parse_num(arg); break;
	case 's': c->slots = (size_t)parse_num(arg); break;
	case 'h': c->handoff = parse_num(arg); break;
	case 'W': c->writes = parse_num(arg); break;
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
		{ "handoff", required_argument, NULL, 'h' },
		{ "writes", required_argument, NULL, 'W' },
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
		.mode = argv[1], .alloc = ALLOC_VMEM, .workload = WL_SMALL,
		.threads = 1, .steps = 5000000, .slots = 4096,
		.handoff = 100000, .writes = 10000, .reps = 3,
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
			c->obj_size < 1 || c->handoff < 1 || c->writes < 1 ||
			(c->cross && (c->threads < 2 ||
			c->workload > WL_HUGE)) ||
			(c->workload == WL_PRODCONS && c->threads < 2))
		usage();
	if (c->label == NULL)
		c->label = alloc_names[c->alloc];
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
