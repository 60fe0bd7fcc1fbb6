#!/usr/bin/env bash
# run.sh BUILD -- pools under Valgrind. Runs vg_pool (the libvmem API)
# and vg_heap (libvmmalloc, through vmmalloc --valgrind) in each mode of
# vg_objects.c under memcheck, helgrind and drd, and checks each report:
# its kind, the frame that made the error, the block's size and state,
# the error count and the exit status (--error-exitcode). A check fails
# with the log's name and the line it did not find.
# Needs valgrind (test/deps.sh installs it) and a library built with its
# headers (the strings "compiled with support for Valgrind ...").
set -u
build=${1:-build}
dir=$build/test/valgrind
pool=$dir/vg_pool
heap=$dir/vg_heap
launcher=$build/vmmalloc
pool_dir=${VG_POOL_DIR:-/dev/shm}
export VG_POOL_DIR=$pool_dir
passed=0
failed=0

command -v valgrind >/dev/null || {
	echo "run.sh: valgrind is not installed (test/deps.sh installs it)" >&2
	exit 1
}
for lib in "$build/libvmem.so.1" "$build/libvmmalloc.so.1"; do
	for tool in memcheck helgrind drd; do
		if ! grep -aq "compiled with support for Valgrind $tool" "$lib"; then
			echo "run.sh: $lib has no Valgrind $tool support (built" \
				"before valgrind was installed?)" >&2
			exit 1
		fi
	done
done

memcheck_opts="--leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99"
thread_opts="--error-exitcode=99"

# vg NAME TOOL WHICH MODE [launcher options]: WHICH is pool or heap; the
# log goes to $dir/NAME.log, the exit status to $rc
vg() {
	local name=$1 tool=$2 which=$3 mode=$4
	shift 4
	local opts=$thread_opts
	[ "$tool" = memcheck ] && opts=$memcheck_opts
	rm -f "$dir/$name.log"
	if [ "$which" = pool ]; then
		valgrind --tool="$tool" $opts --log-file="$dir/$name.log" \
			"$pool" "$mode" >"$dir/$name.out" 2>&1
	else
		VALGRIND_OPTS="$opts --log-file=$dir/$name.log" \
			"$launcher" --dir "$pool_dir" --size 128M "$@" \
			--valgrind="$tool" -- "$heap" "$mode" \
			>"$dir/$name.out" 2>&1
	fi
	rc=$?
}

# check NAME WANT_RC PATTERN...: the exit status, and each extended
# regular expression found in the log, in order (each after the last);
# a pattern that starts with ! must match no line of the log
check() {
	local name=$1 want=$2 log=$dir/$1.log
	shift 2
	local bad=""
	[ "$rc" = "$want" ] || bad="exit status $rc, not $want"
	local from=1 pat
	for pat in "$@"; do
		[ -n "$bad" ] && break
		if [ "${pat:0:1}" = '!' ]; then
			grep -qE -- "${pat:1}" "$log" && bad="a line matches: ${pat:1}"
			continue
		fi
		local at
		at=$(tail -n "+$from" "$log" 2>/dev/null | grep -nE -m1 -- "$pat" |
			cut -d: -f1)
		if [ -z "$at" ]; then
			bad="no line matching: $pat"
		else
			from=$((from + at))
		fi
	done
	if [ -z "$bad" ]; then
		passed=$((passed + 1))
		echo "ok    $name"
	else
		failed=$((failed + 1))
		echo "FAIL  $name: $bad (log: $log)"
		sed 's/^/      /' "$log" 2>/dev/null | head -40
	fi
}

# the same errors through both ways in
for which in pool heap; do
	vg "$which-leak" memcheck "$which" leak
	check "$which-leak" 99 \
		'^==[0-9]+== 100 bytes in 1 blocks are definitely lost' \
		'by 0x[0-9A-F]+: leak_small \(vg_objects.c:' \
		'^==[0-9]+== 100,000 bytes in 1 blocks are definitely lost' \
		'by 0x[0-9A-F]+: leak_large \(vg_objects.c:' \
		'definitely lost: 100,100 bytes in 2 blocks' \
		'ERROR SUMMARY: 2 errors from 2 contexts'

	vg "$which-overrun" memcheck "$which" overrun
	check "$which-overrun" 99 \
		'^==[0-9]+== Invalid write of size 1$' \
		'at 0x[0-9A-F]+: write_past_end \(vg_objects.c:' \
		'Address 0x[0-9a-f]+ is 0 bytes after a block of size 100 alloc.d$' \
		'by 0x[0-9A-F]+: write_past_end \(vg_objects.c:' \
		'ERROR SUMMARY: 1 errors from 1 contexts'

	vg "$which-after-free" memcheck "$which" after-free
	check "$which-after-free" 99 \
		'^==[0-9]+== Invalid read of size 1$' \
		'at 0x[0-9A-F]+: read_after_free \(vg_objects.c:' \
		'Address 0x[0-9a-f]+ is 10 bytes inside a block of size 100 free.d$' \
		'by 0x[0-9A-F]+: read_after_free \(vg_objects.c:' \
		'Block was alloc.d at' \
		'by 0x[0-9A-F]+: read_after_free \(vg_objects.c:' \
		'ERROR SUMMARY: 1 errors from 1 contexts'

	vg "$which-uninit" memcheck "$which" uninit
	check "$which-uninit" 99 \
		'^==[0-9]+== Conditional jump or move depends on uninitialised value\(s\)$' \
		'at 0x[0-9A-F]+: branch_on_uninit \(vg_objects.c:' \
		'ERROR SUMMARY: 1 errors from 1 contexts'

	vg "$which-double-free" memcheck "$which" double-free
	check "$which-double-free" 99 \
		'^==[0-9]+== Invalid free\(\) / delete / delete\[\] / realloc\(\)$' \
		'by 0x[0-9A-F]+: free_twice \(vg_objects.c:' \
		'Address 0x[0-9a-f]+ is 0 bytes inside a block of size 100 free.d$' \
		'ERROR SUMMARY: 1 errors from 1 contexts'

	vg "$which-shrink-overrun" memcheck "$which" shrink-overrun
	check "$which-shrink-overrun" 99 \
		'^==[0-9]+== Invalid write of size 1$' \
		'at 0x[0-9A-F]+: shrink_then_overrun \(vg_objects.c:' \
		'Address 0x[0-9a-f]+ is 0 bytes after a block of size 97 alloc.d$' \
		'ERROR SUMMARY: 1 errors from 1 contexts'

	vg "$which-clean" memcheck "$which" clean
	check "$which-clean" 0 \
		'!definitely lost: [1-9]|indirectly lost: [1-9]|possibly lost: [1-9]' \
		'ERROR SUMMARY: 0 errors from 0 contexts'

	for tool in memcheck helgrind drd; do
		vg "$which-threads-$tool" "$tool" "$which" threads
		check "$which-threads-$tool" 0 \
			'ERROR SUMMARY: 0 errors from 0 contexts'
	done
done

# the pool's metadata and free memory are no one's to read
vg pool-stray memcheck pool stray
check pool-stray 99 \
	'^==[0-9]+== Invalid read of size 1$' \
	'at 0x[0-9A-F]+: read_metadata_and_free \(vg_objects.c:' \
	'Address 0x[0-9a-f]+ is in a rw- mapped file .* segment' \
	'^==[0-9]+== Invalid read of size 1$' \
	'at 0x[0-9A-F]+: read_metadata_and_free \(vg_objects.c:' \
	'Address 0x[0-9a-f]+ is in a rw- mapped file .* segment' \
	'ERROR SUMMARY: 2 errors from 2 contexts'

# pools deleted with objects in them (vg_pool's, and one in a region):
# their blocks went with them
vg pool-clean-deleted memcheck pool clean
check pool-clean-deleted 0 'in use at exit: 0 bytes in 0 blocks' \
	'total heap usage: ([0-9,]+) allocs, \1 frees'

# libvmmalloc with a DRAM tier: the small leak is in DRAM, the large one
# in the pool, both reported; the threaded program is clean
vg heap-leak-tiers memcheck heap leak --dram-threshold 1K
check heap-leak-tiers 99 \
	'^==[0-9]+== 100 bytes in 1 blocks are definitely lost' \
	'by 0x[0-9A-F]+: vmm_tier_malloc \(tiers.c:' \
	'by 0x[0-9A-F]+: leak_small \(vg_objects.c:' \
	'^==[0-9]+== 100,000 bytes in 1 blocks are definitely lost' \
	'definitely lost: 100,100 bytes in 2 blocks'
vg heap-overrun-tiers memcheck heap overrun --dram-threshold 1K
check heap-overrun-tiers 99 \
	'Address 0x[0-9a-f]+ is 0 bytes after a block of size 100 alloc.d$' \
	'ERROR SUMMARY: 1 errors from 1 contexts'
for tool in helgrind drd; do
	vg "heap-threads-tiers-$tool" "$tool" heap threads --dram-ratio 1:3
	check "heap-threads-tiers-$tool" 0 \
		'ERROR SUMMARY: 0 errors from 0 contexts'
done

# libvmmalloc's fork: the child's pool is mapped anew and marked again
vg heap-fork-overrun memcheck heap fork-overrun
check heap-fork-overrun 0 \
	'^==[0-9]+== Invalid write of size 1$' \
	'at 0x[0-9A-F]+: fork_then_overrun \(vg_objects.c:' \
	'Address 0x[0-9a-f]+ is 0 bytes after a block of size 50 alloc.d$'
# the debug build, with its assertions
vg heap-clean-debug memcheck heap clean --debug
check heap-clean-debug 0 'ERROR SUMMARY: 0 errors from 0 contexts'

# the launcher refuses a tool name it cannot pass on
"$launcher" --valgrind='bad tool' -- /bin/true 2>"$dir/launcher.err"
rc=$?
if [ "$rc" = 2 ] && grep -q "^vmmalloc: --valgrind 'bad tool': not a valgrind tool" \
		"$dir/launcher.err"; then
	rc=0
fi
check launcher-bad-tool 0

echo "valgrind: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
