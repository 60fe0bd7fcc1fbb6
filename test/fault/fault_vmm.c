/*
 * fault_vmm.c -- a program run.sh runs under the fault-injection build of
 * libvmmalloc (LD_PRELOAD, VMMALLOC_FORK=2) while VMEM_FAULT_AT=N makes
 * one system call of the library fail: it mallocs, reallocs and frees
 * objects of every kind, in a thread of its own too (a thread cache: its
 * room in the pool is reserved when it is first used), forks (the child
 * gets a copy of the pool file: its creation, copy_file_range, its
 * mapping), and the child and the parent go on allocating.
 *
 * It checks what the program can see: every object keeps its contents
 * (the child's too, in its copy); a malloc that fails returns NULL with
 * ENOMEM, and none fails with no fault injected; at most one fails per
 * process with one; the parent has the same descriptors after the fork
 * as before it, and the child as many (its pool file is another). It
 * prints on stdout
 *   child: exit S        (or "child: signal S")
 *   fault_vmm: ok, F allocation(s) failed
 * and exits 0; run.sh matches the child's status with libvmmalloc's
 * "libvmmalloc: fork:" line (a child whose copy failed exits 1 with it).
 * Its own findings go to stderr, "fault_vmm: ...", with exit status 2
 * (3 from the child), apart from libvmmalloc's status 1.
 *
 * Owns all its state.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static bool faulting;	/* VMEM_FAULT_AT names a call */
static int findings;
static int failures;	/* allocations that returned NULL */
static const char *who = "parent";

static void
finding(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "fault_vmm (%s): %s\n", who, line);
	findings++;
}

/* a NULL from an allocating call: ENOMEM, under a fault, once */
static void
failed(const char *what, size_t size, int err)
{
	failures++;
	if (!faulting)
		finding("%s(%zu) failed with no fault injected (%s)", what,
				size, strerror(err));
	else if (failures > 1)
		finding("%s(%zu) failed: failure %d from one injected fault",
				what, size, failures);
	if (err != ENOMEM)
		finding("%s(%zu) failed with errno %d (%s), not ENOMEM", what,
				size, err, strerror(err));
}

/* "fd -> target" of the open descriptors, one a line, and their number */
static int
list_fds(char *out, size_t cap)
{
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL) {
		finding("cannot list /proc/self/fd: %s", strerror(errno));
		return -1;
	}
	size_t o = 0;
	int n = 0;
	out[0] = '\0';
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		char target[PATH_MAX];
		ssize_t t = readlinkat(dirfd(d), e->d_name, target,
				sizeof(target) - 1);
		target[t < 0 ? 0 : t] = '\0';
		int w = snprintf(out + o, cap - o, "%s -> %s\n", e->d_name,
				target);
		if (w > 0 && (size_t)w < cap - o)
			o += (size_t)w;
		n++;
	}
	closedir(d);
	return n;
}

static char fds_before[8192];
static int nfds_before;

struct obj {
	unsigned char *p;
	size_t size;
	unsigned seed;
};

static void
fill(struct obj *o)
{
	for (size_t i = 0; i < o->size; i++)
		o->p[i] = (unsigned char)(i * 13 + o->seed);
}

static void
verify(const struct obj *o, size_t n, const char *when)
{
	for (size_t i = 0; i < n; i++)
		if (o->p[i] != (unsigned char)(i * 13 + o->seed)) {
			finding("%s: object of %zu bytes changed at byte %zu",
					when, o->size, i);
			return;
		}
}

static unsigned seeds = 1;

static bool
alloc(struct obj *o, size_t size)
{
	errno = 0;
	void *p = malloc(size);
	if (p == NULL) {
		failed("malloc", size, errno);
		o->p = NULL;
		return false;
	}
	*o = (struct obj){ p, size, seeds++ };
	fill(o);
	return true;
}

static void
grow(struct obj *o, size_t size)
{
	if (o->p == NULL)
		return;
	errno = 0;
	void *p = realloc(o->p, size);
	if (p == NULL) {
		failed("realloc", size, errno);
		verify(o, o->size, "a failed realloc");
		return;
	}
	o->p = p;
	verify(o, o->size < size ? o->size : size, "realloc");
	o->size = size;
	fill(o);
}

static void
release(struct obj *o)
{
	if (o->p == NULL)
		return;
	verify(o, o->size, "free");
	free(o->p);
	o->p = NULL;
}

#define NOBJS 24

/* objects from 8 B to 4 MiB; some grown, every other one freed */
static void
work(struct obj *objs)
{
	for (int i = 0; i < NOBJS; i++)
		alloc(&objs[i], (size_t)8 << (i % 20));
	for (int i = 0; i < NOBJS; i += 5)
		grow(&objs[i], objs[i].size * 3 + 7);
	for (int i = 1; i < NOBJS; i += 2)
		release(&objs[i]);
}

/* a thread's objects, made and freed in it before it exits */
static void *
thread_main(void *arg)
{
	struct obj *objs = arg;
	work(objs);
	for (int i = 0; i < NOBJS; i++)
		release(&objs[i]);
	return NULL;
}

static int
child(struct obj *objs)
{
	who = "child";
	failures = 0;
	findings = 0;
	for (int i = 0; i < NOBJS; i++)
		if (objs[i].p != NULL)
			verify(&objs[i], objs[i].size, "the child's copy");
	struct obj more[NOBJS];
	work(more);
	for (int i = 0; i < NOBJS; i++) {
		release(&more[i]);
		release(&objs[i]);
	}
	char fds[8192];
	int nfds = list_fds(fds, sizeof(fds));
	if (nfds != nfds_before)
		finding("%d descriptors after the fork, %d before:\n%s--\n%s",
				nfds, nfds_before, fds, fds_before);
	return findings == 0 ? 0 : 3;
}

int
main(void)
{
	const char *at = getenv("VMEM_FAULT_AT");
	faulting = at != NULL && strtoul(at, NULL, 10) != 0;
	static struct obj objs[NOBJS], more[NOBJS], theirs[NOBJS];
	work(objs);
	pthread_t tid;
	int e = pthread_create(&tid, NULL, thread_main, theirs);
	if (e != 0)
		finding("pthread_create: %s", strerror(e));
	else
		pthread_join(tid, NULL);
	nfds_before = list_fds(fds_before, sizeof(fds_before));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		finding("fork: %s", strerror(errno));
	} else if (pid == 0) {
		exit(child(objs));
	} else {
		int st;
		if (waitpid(pid, &st, 0) != pid)
			finding("waitpid: %s", strerror(errno));
		else if (WIFSIGNALED(st))
			printf("child: signal %d\n", WTERMSIG(st));
		else
			printf("child: exit %d\n", WEXITSTATUS(st));
		char fds[8192];
		list_fds(fds, sizeof(fds));
		if (strcmp(fds, fds_before) != 0)
			finding("the descriptors changed across the fork:\n"
					"%s--\n%s", fds, fds_before);
	}
	work(more);
	for (int i = 0; i < NOBJS; i++) {
		release(&objs[i]);
		release(&more[i]);
	}
	if (findings != 0)
		return 2;
	printf("fault_vmm: ok, %d allocation(s) failed\n", failures);
	return 0;
}
