#!/usr/bin/env bash
# prog_gcc.sh BUILD -- gcc (unmodified; the driver spawns cc1, as, collect2
# and ld, each under libvmmalloc) compiles a small C program with -O2:
#  - gcc -O2 -Wall -c: the same messages and status as on glibc's malloc,
#    and a byte-identical object (on a difference, the nm outputs are
#    compared), VMMALLOC_FORK 1 and 2;
#  - gcc -O2 compiling and linking: an identical executable, which prints
#    the same under libvmmalloc as on glibc's malloc (VMMALLOC_FORK 2).
source "$(dirname "$0")/helpers.bash" "$@"
need gcc gcc
need nm binutils

src=$(mktemp -d "$SCRATCH/src.XXXXXX")
cat > "$src/prog.c" <<'CEOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry { char key[24]; unsigned long value; struct entry *next; };

static unsigned long
hash(const char *s)
{
	unsigned long h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static int
cmp_ul(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
	return x < y ? -1 : x > y;
}

static unsigned long
fib(unsigned n, unsigned long *memo)
{
	if (n < 2)
		return n;
	if (memo[n] == 0)
		memo[n] = fib(n - 1, memo) + fib(n - 2, memo);
	return memo[n];
}

static const char *
kind(unsigned long v)
{
	switch (v % 7) {
	case 0: return "zero";
	case 1: case 2: return "small";
	case 3: return "three";
	case 4: case 5: return "mid";
	default: return "six";
	}
}

int
main(void)
{
	enum { N = 20000, BUCKETS = 1021 };
	static struct entry *table[BUCKETS];
	struct entry *pool = calloc(N, sizeof(*pool));
	if (pool == NULL)
		return 1;
	for (unsigned i = 0; i < N; i++) {
		snprintf(pool[i].key, sizeof(pool[i].key), "key-%u", i * 7919u % N);
		pool[i].value = i;
		unsigned long b = hash(pool[i].key) % BUCKETS;
		pool[i].next = table[b];
		table[b] = &pool[i];
	}
	unsigned longest = 0;
	for (unsigned b = 0; b < BUCKETS; b++) {
		unsigned len = 0;
		for (struct entry *e = table[b]; e; e = e->next)
			len++;
		if (len > longest)
			longest = len;
	}
	unsigned long *v = malloc(N * sizeof(*v));
	for (unsigned i = 0; i < N; i++)
		v[i] = hash(pool[i].key) ^ (i * 2654435761u);
	qsort(v, N, sizeof(*v), cmp_ul);
	char *sieve = calloc(100000, 1);
	unsigned primes = 0;
	for (unsigned i = 2; i < 100000; i++) {
		if (sieve[i])
			continue;
		primes++;
		for (unsigned j = 2 * i; j < 100000; j += i)
			sieve[j] = 1;
	}
	unsigned long memo[90] = { 0 };
	double acc = 0;
	for (unsigned i = 1; i < 1000; i++)
		acc += 1.0 / ((double)i * i);
	printf("longest chain %u, min %lu, max %lu\n", longest, v[0], v[N - 1]);
	printf("primes below 100000: %u\n", primes);
	printf("fib(89) = %lu, %s\n", fib(89, memo), kind(fib(89, memo)));
	printf("sum 1/i^2 = %.9f\n", acc);
	free(sieve);
	free(v);
	free(pool);
	return 0;
}
CEOF
SAME_SRC=$src
SAME_ENV=(LC_ALL=C)
for mode in 1 2; do
	same "gcc -O2 -c, VMMALLOC_FORK=$mode" "$mode" 128M -- \
		bash -c 'gcc -O2 -Wall -Wextra -c prog.c -o prog.o && echo compiled'
	if ! cmp -s "$REF_WD/prog.o" "$PRE_WD/prog.o"; then
		fail "gcc -O2 -c, VMMALLOC_FORK=$mode: the object differs from glibc's"
		diff <(nm "$REF_WD/prog.o" 2>&1) <(nm "$PRE_WD/prog.o" 2>&1) | head -n 8 | sed 's/^/    | /'
	else
		ok "gcc -O2 -c, VMMALLOC_FORK=$mode: identical object ($(nm "$REF_WD/prog.o" | wc -l) symbols)"
	fi
done

same "gcc -O2 (compile and link), VMMALLOC_FORK=2" 2 128M -- \
	bash -c 'gcc -O2 prog.c -o prog && ./prog'
if cmp -s "$REF_WD/prog" "$PRE_WD/prog"; then
	ok "gcc -O2: identical executable"
else
	fail "gcc -O2: the executable differs from glibc's"
fi
finish
