#!/usr/bin/env bash
# prog_bash.sh BUILD -- bash (unmodified) forks for every pipeline and
# command substitution: `for i in $(seq 200); do echo $((i*i)) | cat; done
# | sha256sum`, all of it (bash, its forked children, seq, cat, sha256sum)
# under libvmmalloc, prints the same checksum as on glibc's malloc, in
# VMMALLOC_FORK 1, 2 and 3 (3: the copy succeeds on tmpfs; 100 rounds).
source "$(dirname "$0")/helpers.bash" "$@"

for mode in 1 2; do
	same "bash fork loop (200 rounds), VMMALLOC_FORK=$mode" "$mode" 16M -- \
		bash -c 'for i in $(seq 200); do echo $((i*i)) | cat; done | sha256sum'
done
same "bash fork loop (100 rounds), VMMALLOC_FORK=3" 3 16M -- \
	bash -c 'for i in $(seq 100); do echo $((i*i)) | cat; done | sha256sum'
finish
