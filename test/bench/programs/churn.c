/*
 * churn.c -- the "ours" program of test/bench/programs.sh: an
 * allocation-heavy program run unchanged under each malloc (LD_PRELOAD).
 *
 *   churn [THREADS [STEPS]]     (defaults: 2 threads, 1500000 steps each)
 *   churn --which               prints the file malloc() comes from
 *
 * Each thread keeps a binary search tree of nodes with random keys; every
 * node owns a payload of a mixed size (log-uniform 16 B-8 KiB, one in 256
 * of 8-64 KiB) filled with a byte derived from its key. A step inserts a
 * node, deletes one, or resizes a payload with realloc(). Half of the
 * deleted nodes (at most 64 per 256 steps) go on a list that is handed to
 * the next thread through a locked queue every 256 steps; that thread
 * checks and frees them: about half of all frees are of objects another
 * thread allocated (the output counts them). A thread that finds more
 * than 8 lists waiting in the next one's queue frees what waits in its
 * own and then waits, so the memory in use stays about the same however
 * the threads are scheduled (at most about 16 MB of objects at a time).
 *
 * Every payload is checked when it is freed and added to a checksum. The
 * seeds are fixed and the sum does not depend on scheduling or on
 * addresses, so the output is the same under every correct malloc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS	16
#define LIVE_KEYS	(1u << 13)	/* keys per thread: the tree's reach */
#define HANDOFF_EVERY	256		/* steps between two hand-offs */
#define HANDOFF_NODES	64		/* nodes per hand-off */
#define MAX_QUEUED	8		/* lists a queue holds before its
					   producer waits */

typedef struct node_s {
	struct node_s *left, *right;	/* tree links; right: list link */
	uint64_t key;
	size_t size;
	unsigned char *payload;
} node_t;

typedef struct batch_s {
	struct batch_s *next;
	node_t *nodes;			/* linked through right */
} batch_t;

typedef struct worker_s {
	pthread_t thread;
	unsigned id;
	unsigned long steps;
	uint64_t rng;
	node_t *root;
	uint64_t sum;			/* of the payloads this thread freed */
	unsigned long nodes_made, nodes_freed, reallocs, handed;
	/* the queue of batches handed to this thread, under queue_lock */
	batch_t *inbox;
	unsigned queued;		/* batches in inbox */
	int done;			/* the producer will send no more */
} worker_t;

static worker_t workers[MAX_THREADS];
static unsigned nthreads = 2;
/* one lock and condition for all queues: a hand-off is every 256 steps */
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_drained = PTHREAD_COND_INITIALIZER;

static void
die(const char *what)
{
	fprintf(stderr, "churn: %s\n", what);
	exit(1);
}

/* xorshift64* */
static uint64_t
next_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static size_t
pick_size(uint64_t *s)
{
	uint64_t r = next_rand(s);
	if ((r & 255) == 0)
		return 8192 + (size_t)((r >> 8) % (56 * 1024));
	unsigned shift = 4 + (unsigned)((r >> 8) % 9);	/* 16 B .. 4 KiB */
	return ((size_t)1 << shift) + (size_t)((r >> 16) % ((size_t)1 << shift));
}

static unsigned char
fill_byte(uint64_t key, size_t size)
{
	return (unsigned char)((key * 131u) ^ size ^ 0x5a);
}

static void
fill(node_t *n, size_t from)
{
	if (n->size > from)
		memset(n->payload + from, fill_byte(n->key, n->size),
				n->size - from);
}

/* checks a payload, adds it to the sum and frees the node */
static void
drop(worker_t *w, node_t *n)
{
	unsigned char b = fill_byte(n->key, n->size);
	for (size_t i = 0; i < n->size; i += 61)
		if (n->payload[i] != b)
			die("a payload changed under us (allocator bug)");
	if (n->payload[n->size - 1] != b)
		die("a payload's last byte changed (allocator bug)");
	w->sum += n->key * 3 + n->size * 7 + b;
	w->nodes_freed++;
	free(n->payload);
	free(n);
}

static node_t *
make_node(worker_t *w, uint64_t key)
{
	node_t *n = malloc(sizeof(*n));
	if (n == NULL)
		die("out of memory");
	n->left = n->right = NULL;
	n->key = key;
	n->size = pick_size(&w->rng);
	n->payload = malloc(n->size);
	if (n->payload == NULL)
		die("out of memory");
	fill(n, 0);
	w->nodes_made++;
	return n;
}

/* the link that holds KEY, or the NULL link where it would go */
static node_t **
find(node_t **link, uint64_t key)
{
	while (*link != NULL && (*link)->key != key)
		link = key < (*link)->key ? &(*link)->left : &(*link)->right;
	return link;
}

/* unlinks the node at LINK and returns it */
static node_t *
unlink_node(node_t **link)
{
	node_t *n = *link;
	if (n->left == NULL) {
		*link = n->right;
	} else if (n->right == NULL) {
		*link = n->left;
	} else {
		node_t **m = &n->right;	/* the successor takes its place */
		while ((*m)->left != NULL)
			m = &(*m)->left;
		node_t *s = *m;
		*m = s->right;
		s->left = n->left;
		s->right = n->right;
		*link = s;
	}
	n->left = n->right = NULL;
	return n;
}

/* takes W's queue; queue_lock held */
static batch_t *
take_inbox(worker_t *w)
{
	batch_t *b = w->inbox;
	w->inbox = NULL;
	w->queued = 0;
	pthread_cond_broadcast(&queue_drained);
	return b;
}

static void free_batches(worker_t *w, batch_t *b);

/*
 * Queues LIST for the next thread. While that queue is full, frees what
 * waits in W's own queue, then waits for the next thread to drain: two
 * threads can never both wait, as each empties its queue before it waits.
 */
static void
send_batch(worker_t *w, node_t *list)
{
	worker_t *to = &workers[(w->id + 1) % nthreads];
	batch_t *b = malloc(sizeof(*b));
	if (b == NULL)
		die("out of memory");
	b->nodes = list;
	pthread_mutex_lock(&queue_lock);
	b->next = to->inbox;
	to->inbox = b;
	to->queued++;
	while (to->queued > MAX_QUEUED) {
		batch_t *mine = take_inbox(w);
		if (mine != NULL) {
			pthread_mutex_unlock(&queue_lock);
			free_batches(w, mine);
			pthread_mutex_lock(&queue_lock);
			continue;
		}
		pthread_cond_wait(&queue_drained, &queue_lock);
	}
	pthread_mutex_unlock(&queue_lock);
}

/* frees what other threads sent; returns 1 once nothing more can come */
static int
drain(worker_t *w)
{
	pthread_mutex_lock(&queue_lock);
	int done = w->done;
	batch_t *b = take_inbox(w);
	pthread_mutex_unlock(&queue_lock);
	free_batches(w, b);
	return done;
}

static void
free_batches(worker_t *w, batch_t *b)
{
	while (b != NULL) {
		batch_t *next = b->next;
		for (node_t *n = b->nodes, *nx; n != NULL; n = nx) {
			nx = n->right;
			drop(w, n);
		}
		free(b);
		b = next;
	}
}

static void
free_tree(worker_t *w, node_t *n)
{
	while (n != NULL) {
		free_tree(w, n->left);
		node_t *r = n->right;
		drop(w, n);
		n = r;
	}
}

static void *
work(void *arg)
{
	worker_t *w = arg;
	node_t *list = NULL;
	unsigned listed = 0;
	for (unsigned long step = 0; step < w->steps; step++) {
		uint64_t r = next_rand(&w->rng);
		uint64_t key = (r >> 20) % LIVE_KEYS;
		node_t **link = find(&w->root, key);
		if (*link == NULL) {
			*link = make_node(w, key);
		} else if ((r & 7) == 0) {
			node_t *n = *link;	/* resize in place in the tree */
			size_t old = n->size;
			size_t size = pick_size(&w->rng);
			unsigned char *p = realloc(n->payload, size);
			if (p == NULL)
				die("out of memory");
			unsigned char b = fill_byte(n->key, old);
			for (size_t i = 0; i < (old < size ? old : size); i += 61)
				if (p[i] != b)
					die("realloc lost the contents (allocator bug)");
			n->payload = p;
			n->size = size;
			fill(n, 0);
			w->reallocs++;
		} else if (listed < HANDOFF_NODES && (r & 1)) {
			node_t *n = unlink_node(link);	/* to the hand-off list */
			n->right = list;
			list = n;
			listed++;
			w->handed++;
		} else {
			drop(w, unlink_node(link));
		}
		if (step % HANDOFF_EVERY == HANDOFF_EVERY - 1) {
			if (list != NULL)
				send_batch(w, list);
			list = NULL;
			listed = 0;
			drain(w);
		}
	}
	if (list != NULL)
		send_batch(w, list);
	free_tree(w, w->root);
	w->root = NULL;
	/* tell the next thread no more comes, then take what was sent here */
	worker_t *to = &workers[(w->id + 1) % nthreads];
	pthread_mutex_lock(&queue_lock);
	to->done = 1;
	pthread_mutex_unlock(&queue_lock);
	while (!drain(w))
		sched_yield();
	drain(w);
	return NULL;
}

int
main(int argc, char **argv)
{
	unsigned long steps = 1500000;
	if (argc > 1 && strcmp(argv[1], "--which") == 0) {
		Dl_info info;
		void *(*volatile m)(size_t) = malloc;
		if (dladdr((void *)m, &info) == 0 || info.dli_fname == NULL)
			die("dladdr cannot place malloc");
		printf("%s\n", info.dli_fname);
		return 0;
	}
	if (argc > 1)
		nthreads = (unsigned)strtoul(argv[1], NULL, 10);
	if (argc > 2)
		steps = strtoul(argv[2], NULL, 10);
	if (nthreads < 1 || nthreads > MAX_THREADS || steps == 0)
		die("usage: churn [THREADS (1-16) [STEPS]] | churn --which");

	for (unsigned t = 0; t < nthreads; t++) {
		worker_t *w = &workers[t];
		w->id = t;
		w->steps = steps;
		w->rng = 0x9E3779B97F4A7C15ULL * (t + 1);
	}
	if (nthreads == 1) {
		workers[0].done = 1;	/* it sends to itself */
		work(&workers[0]);
	} else {
		for (unsigned t = 0; t < nthreads; t++)
			if (pthread_create(&workers[t].thread, NULL, work,
					&workers[t]) != 0)
				die("pthread_create failed");
		for (unsigned t = 0; t < nthreads; t++)
			pthread_join(workers[t].thread, NULL);
	}

	uint64_t sum = 0;
	unsigned long made = 0, freed = 0, reallocs = 0, handed = 0;
	for (unsigned t = 0; t < nthreads; t++) {
		sum += workers[t].sum;
		made += workers[t].nodes_made;
		freed += workers[t].nodes_freed;
		reallocs += workers[t].reallocs;
		handed += workers[t].handed;
	}
	printf("churn: %u threads, %lu steps each: %lu nodes made, %lu freed "
			"(%lu by another thread), %lu reallocs, checksum %016"
			PRIx64 "\n", nthreads, steps, made, freed, handed,
			reallocs, sum);
	return made == freed ? 0 : 1;
}
