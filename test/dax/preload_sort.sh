#!/bin/sh
# preload_sort.sh [busy] -- run in the guest by run-vm.sh (tests.txt,
# tests-fsdax.txt): GNU sort (the host's, unmodified) under libvmmalloc
# with the device DAX $DEV, or a pool file in the directory $DIR of a DAX
# file system, as its pool. While it runs, its /proc/PID/maps shows the
# device, or the pool file (unnamed: "$DIR/#INODE (deleted)", which
# fsdax_stat finds DAX through /proc/PID/fd, and which ls does not show in
# $DIR); its output is the same as without the preload. With "busy" (a
# device only): while sort holds the device, another program under
# libvmmalloc on it does not start (exit status 1, one line on stderr,
# before main). Needs $VMMALLOC, and $DIR or $DEV.
set -u
mode=${1:-}
fail() { echo "FAIL sort${mode:+ $mode}: $*"; exit 1; }
DIR=${DIR:-}
POOL=${DIR:-${DEV:-}}
[ -n "$POOL" ] || fail "neither \$DIR nor \$DEV is set"
[ -n "$DIR" ] && [ "$mode" = busy ] && fail "busy is for a device DAX, not a directory"
SORT=/usr/bin/sort
[ -x "$SORT" ] || fail "no GNU sort at $SORT in the guest"
in=/tmp/sort.in
# 60000 lines of pseudo-random keys (exact in awk's doubles)
awk 'BEGIN { x = 12345; for (i = 0; i < 60000; i++) {
	x = (x * 69069 + 1) % 4294967296
	printf "%d,%d,w%d\n", x % 100000, i % 977, x } }' > "$in"
lines=$(wc -l < "$in")
[ "$lines" -eq 60000 ] || fail "the input has $lines lines, not 60000"
"$SORT" -t, -k2,2n -k1,1nr "$in" > /tmp/sort.plain || fail "sort without the preload failed"

# sort waits on a fifo, so that its maps can be read while it runs
rm -f /tmp/sort.fifo
mkfifo /tmp/sort.fifo || fail "mkfifo"
[ -n "$DIR" ] && ls -A "$DIR" > /tmp/sort.ls0
LD_PRELOAD=$VMMALLOC VMMALLOC_POOL_DIR=$POOL VMMALLOC_POOL_SIZE=64M \
	"$SORT" -t, -k2,2n -k1,1nr < /tmp/sort.fifo > /tmp/sort.dax 2> /tmp/sort.err &
pid=$!
exec 3> /tmp/sort.fifo
mapped=""
i=0
while [ $i -lt 100 ]; do
	if [ -n "$DIR" ]; then
		mapped=$(grep " $DIR/#[0-9]* (deleted)\$" /proc/$pid/maps 2>/dev/null)
	else
		mapped=$(grep " $DEV\$" /proc/$pid/maps 2>/dev/null)
	fi
	[ -n "$mapped" ] && break
	# gone, or a zombie: it will never map the device
	grep -q '^State:.*[ZX]' /proc/$pid/status 2> /dev/null && break
	[ -d /proc/$pid ] || break
	i=$((i + 1))
	sleep 0.1
done
# the pool file, while sort runs: DAX, and hidden from ls
file=""
if [ -n "$DIR" ] && [ -n "$mapped" ]; then
	path=$(echo "$mapped" | head -n 1 | grep -o "$DIR/#[0-9]* (deleted)\$")
	for f in /proc/$pid/fd/*; do
		[ "$(readlink "$f")" = "$path" ] || continue
		fsdax_stat "$f" > /tmp/sort.stat 2>&1
		src=$?
		echo "info: sort's pool file: $(cat /tmp/sort.stat)"
		[ $src -eq 0 ] || file="sort's pool file $path is not DAX: $(cat /tmp/sort.stat)"
		break
	done
	[ -s /tmp/sort.stat ] || file="no descriptor of $path in /proc/$pid/fd"
	ls -A "$DIR" > /tmp/sort.ls1
	cmp -s /tmp/sort.ls0 /tmp/sort.ls1 ||
		file="${file:+$file; }ls -A $DIR shows '$(cat /tmp/sort.ls1 | tr '\n' ' ')', before sort '$(cat /tmp/sort.ls0 | tr '\n' ' ')'"
fi
busy=""
if [ "$mode" = busy ] && [ -n "$mapped" ]; then
	LD_PRELOAD=$VMMALLOC VMMALLOC_POOL_DIR=$DEV VMMALLOC_POOL_SIZE=32M \
		"$SORT" --version > /tmp/busy.out 2> /tmp/busy.err
	brc=$?
	echo "info: a second program on the device: exit status $brc, stderr: $(cat /tmp/busy.err)"
	if [ $brc -ne 1 ] || [ -s /tmp/busy.out ] || [ "$(wc -l < /tmp/busy.err)" -ne 1 ]; then
		busy="expected exit status 1, no output and one line on stderr from a second program on the busy device, got status $brc, $(wc -c < /tmp/busy.out) bytes of output, $(wc -l < /tmp/busy.err) lines on stderr"
	fi
fi
cat "$in" >&3
exec 3>&-
wait $pid
rc=$?
[ -s /tmp/sort.err ] && { echo "sort's stderr:"; cat /tmp/sort.err; }
[ -n "$mapped" ] || fail "the pool ($POOL) never showed in sort's /proc/$pid/maps (exit status $rc)"
echo "info: sort's pool: $mapped"
[ $rc -eq 0 ] || fail "sort under libvmmalloc exited with $rc"
cmp /tmp/sort.plain /tmp/sort.dax || fail "the output differs from sort without the preload"
[ -z "$file" ] || fail "$file"
if [ "$mode" = busy ]; then
	[ -z "$busy" ] || fail "$busy"
	echo "PASS sort busy: a second program under libvmmalloc on the busy device stopped with one line"
	exit 0
fi
if [ -n "$DIR" ]; then
	echo "PASS sort: $lines lines sorted with the heap in an unnamed DAX file in $DIR, the same as without the preload"
else
	echo "PASS sort: $lines lines sorted on the device, the same as without the preload"
fi
