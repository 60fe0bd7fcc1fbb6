/*
 * wordfreq.c -- the demo: counts the words of text files with a hash table
 * whose every node and string lives in a vmem pool, then prints the most
 * frequent words and what the pool holds.
 *
 *   wordfreq DIR FILE...     (DIR: where the pool's hidden file is made)
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvmem.h>

#define NBUCKETS 4096

struct word {
	struct word *next;
	unsigned long count;
	char *text;
};

static VMEM *pool;
static struct word **table;
static unsigned long nwords, ndistinct;

static unsigned
hash(const char *s)
{
	unsigned h = 2166136261u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % NBUCKETS;
}

static int
add_word(const char *text)
{
	struct word **slot = &table[hash(text)];
	for (struct word *w = *slot; w != NULL; w = w->next) {
		if (strcmp(w->text, text) == 0) {
			w->count++;
			nwords++;
			return 0;
		}
	}
	struct word *w = vmem_malloc(pool, sizeof(*w));
	if (w == NULL || (w->text = vmem_strdup(pool, text)) == NULL) {
		fprintf(stderr, "wordfreq: pool full: %s\n", vmem_errormsg());
		return -1;
	}
	w->count = 1;
	w->next = *slot;
	*slot = w;
	nwords++;
	ndistinct++;
	return 0;
}

static int
count_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "wordfreq: %s: %s\n", path, strerror(errno));
		return -1;
	}
	char buf[256];
	size_t len = 0;
	int c;
	while ((c = fgetc(f)) != EOF) {
		if (isalpha(c) && len < sizeof(buf) - 1) {
			buf[len++] = (char)tolower(c);
		} else if (len > 0) {
			buf[len] = '\0';
			len = 0;
			if (add_word(buf) != 0)
				break;
		}
	}
	fclose(f);
	return 0;
}

/* the n most frequent words, by a selection over the table */
static void
print_top(int n)
{
	unsigned long last = (unsigned long)-1;
	for (int i = 0; i < n; i++) {
		struct word *best = NULL;
		for (unsigned b = 0; b < NBUCKETS; b++)
			for (struct word *w = table[b]; w != NULL; w = w->next)
				if (w->count < last && (best == NULL ||
						w->count > best->count))
					best = w;
		if (best == NULL)
			break;
		printf("%8lu  %s\n", best->count, best->text);
		last = best->count;
	}
}

int
main(int argc, char *argv[])
{
	if (argc < 3) {
		fprintf(stderr, "usage: wordfreq DIR FILE...\n");
		return 2;
	}
	pool = vmem_create(argv[1], VMEM_MIN_POOL);
	if (pool == NULL) {
		fprintf(stderr, "wordfreq: vmem_create(%s): %s\n", argv[1],
				vmem_errormsg());
		return 1;
	}
	table = vmem_calloc(pool, NBUCKETS, sizeof(*table));
	if (table == NULL)
		return 1;
	for (int i = 2; i < argc; i++)
		count_file(argv[i]);
	printf("%lu words, %lu distinct; the most frequent:\n", nwords,
			ndistinct);
	print_top(10);
	int ok = vmem_check(pool);
	printf("pool consistent: %s\n", ok == 1 ? "yes" : "NO");
	fflush(stdout);
	vmem_stats_print(pool, "gabl");	/* the merged totals only */
	vmem_delete(pool);
	return ok == 1 ? 0 : 1;
}
