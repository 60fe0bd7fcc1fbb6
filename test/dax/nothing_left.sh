#!/bin/sh
# nothing_left.sh -- run in the guest by run-vm.sh (tests-fsdax.txt), after
# the other tests: the DAX directory $DIR holds no file (every pool file
# had no name; lost+found is ext4's own), and its file system has all the
# free space it had when it was mounted ($DIR_FREE_KB, df -k) again,
# within 1 MiB (waited for up to 10 s: xfs frees the blocks of a closed
# unnamed file in the background).
set -u
fail() { echo "FAIL nothing left: $*"; exit 1; }
left=$(ls -A "$DIR" | grep -vx lost+found)
i=0
while :; do
	sync
	free=$(df -k "$DIR" | awk 'NR == 2 { print $4 }')
	[ "$free" -ge $((DIR_FREE_KB - 1024)) ] || [ $i -ge 100 ] && break
	i=$((i + 1))
	sleep 0.1
done
echo "info: $DIR: ${left:-no files}; $free KiB free, $DIR_FREE_KB KiB when mounted"
[ -z "$left" ] || fail "files left in $DIR: $(echo $left)"
[ "$free" -ge $((DIR_FREE_KB - 1024)) ] ||
	fail "$free KiB free, $DIR_FREE_KB KiB when it was mounted"
echo "PASS nothing left: no file in $DIR, all its space free again"
