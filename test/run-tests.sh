#!/usr/bin/env bash
# run-tests.sh VARIANT PROGRAM... -- runs each test program (a PROGRAM may
# carry arguments, as one word with spaces), shows its output,
# and ends with one summary line "VARIANT: N passed, N failed".
# A program passes when it exits 0; Check programs exit non-zero on any
# failing test case.
set -u
variant=$1; shift
pass=0; fail=0; failed=()
for t in "$@"; do
	printf '== %s\n' "$t"
	if $t; then	# unquoted: an entry may carry arguments
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); failed+=("$t")
	fi
done
for t in "${failed[@]+"${failed[@]}"}"; do printf 'FAILED: %s\n' "$t"; done
printf '%s: %d passed, %d failed\n' "$variant" "$pass" "$fail"
[ "$fail" -eq 0 ]
