#!/usr/bin/env bash
# prog_git.sh BUILD -- git (unmodified; every git command, the bash that
# runs them and the processes git starts are under libvmmalloc) builds a
# repository with commits, a tag, a branch and a merge, and prints log
# --stat, diffs, the tree, fsck before and after gc, object counts and a
# checksum of git archive (git_work.bash): the same output, byte for byte
# (hashes included: authors and dates are fixed), as on glibc's malloc.
# VMMALLOC_FORK 1 and 2 (git forks for gc, repack, pack-objects, hooks).
source "$(dirname "$0")/helpers.bash" "$@"
need git git

for mode in 1 2; do
	same "git (init, commit, merge, log --stat, fsck, gc), VMMALLOC_FORK=$mode" \
		"$mode" 64M -- bash "$TSRC/git_work.bash"
done
finish
