#!/usr/bin/env bash
# prog_sort.sh BUILD -- GNU sort (unmodified) on a generated file of 200000
# lines prints what it prints on glibc's malloc: sort -n (in memory, threads);
# sort -u on a key; and an external sort (-S 1M: temporary files merged)
# that forks gzip for each temporary file (--compress-program), in
# VMMALLOC_FORK 1 and 2.
source "$(dirname "$0")/helpers.bash" "$@"
need sort coreutils
need gzip gzip

in=$SCRATCH/numbers.txt
awk 'BEGIN { x = 12345; for (i = 0; i < 200000; i++) {
	x = (x * 69069 + 1) % 4294967296	# exact in doubles (mawk)
	printf "%d,%d,w%x\n", x % 1000000, i % 977, x } }' > "$in"
[ "$(wc -l < "$in")" -eq 200000 ] || fail "the input was not generated"
tmp=$(mktemp -d "$SCRATCH/sorttmp.XXXXXX")

SAME_ENV=(LC_ALL=C)
same "sort -n" 1 128M -- sort -n "$in"
same "sort -u -t, -k2,2n" 1 128M -- sort -u -t, -k2,2n "$in"
for mode in 1 2; do
	same "sort -S 1M --compress-program=gzip, VMMALLOC_FORK=$mode" "$mode" 64M -- \
		sort -S 1M -T "$tmp" --compress-program=gzip --parallel=2 \
		-t, -k2,2n -k1,1nr "$in"
done
finish
