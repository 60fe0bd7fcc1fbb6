#!/usr/bin/env bash
# run.sh BUILD -- the libvmmalloc integration suite, run by
# `make check-vmmalloc` after it has built BUILD/libvmmalloc.so.1 (release),
# BUILD/debug/libvmmalloc.so.1 (debug) and every test/vmmalloc/*.c
# (programs in BUILD/test/vmmalloc/; linked_*.c linked with -lvmmalloc;
# lib_*.c as shared libraries).
#
# It runs, each under `timeout` so that a hang fails instead of blocking:
#  - inpool (every malloc-family call lands in the pool, threads, fork;
#    modes 2 and 3 say once in the debug log that a fork with other
#    threads running copies a heap they may still write)
#    with the release and the debug library, VMMALLOC_FORK 0..3 (mode 0
#    without fork: libvmmalloc(7) leaves it undefined), on tmpfs; on the
#    disk (${TMPDIR:-/tmp}) in modes 2 and 3; and mode 3 where the copy
#    cannot be made (a 48 MiB tmpfs mounted in a private mount namespace
#    with unshare -m, when allowed), which must fall back to mode 1;
#  - deepbind with both libraries (libc's pointers handed to libvmmalloc);
#  - linked_basic (-lvmmalloc, no LD_PRELOAD) with a good environment, and
#    with two bad ones (one line on stderr, exit status 1, main never runs);
#  - any other program built from test/vmmalloc/*.c, under the release
#    library (linked_*: linked), which must exit 0;
#  - every test/vmmalloc/*.sh script but this one, as `bash SCRIPT BUILD`;
#    the prog_*.sh scripts (real programs) a second time with a DRAM tier
#    (VMMTEST_TIERS: a ratio of 1:3 and a 16 MiB cap).
# Each program run gets a fresh pool directory, which must be empty
# afterwards (the pool file is unnamed).
#
# Prints "PASS name" or "FAIL name" (with the tail of the test's output)
# per test and ends with "vmmalloc: N passed, M failed"; exit status 1 if
# anything failed. Full logs: BUILD/test/vmmalloc/log/NAME.log.
# Pools live in one `mktemp -d` directory under /dev/shm (under TMPDIR if
# /dev/shm is missing or has less than 1.5 GiB free, with a note) and one
# under ${TMPDIR:-/tmp}; both are removed at exit.
set -u
BUILD=${1:?usage: test/vmmalloc/run.sh BUILD}
BUILD=$(cd "$BUILD" && pwd) || exit 1
HERE=$(cd "$(dirname "$0")" && pwd)
LIB=$BUILD/libvmmalloc.so.1
DLIB=$BUILD/debug/libvmmalloc.so.1
TBIN=$BUILD/test/vmmalloc
LOGS=$TBIN/log
unset LD_PRELOAD VMMALLOC_POOL_DIR VMMALLOC_POOL_SIZE VMMALLOC_FORK \
	VMMALLOC_LOG_STATS VMMALLOC_LOG_LEVEL VMMALLOC_LOG_FILE

rm -rf "$LOGS"
mkdir -p "$LOGS" || exit 1

shm=/dev/shm
avail=$(df -P -m "$shm" 2>/dev/null | awk 'NR == 2 { print $4 }')
if [ -z "$avail" ] || [ "$avail" -lt 1536 ]; then
	echo "note: /dev/shm has ${avail:-no} MiB free (< 1536): tmpfs pools go to ${TMPDIR:-/tmp}"
	shm=${TMPDIR:-/tmp}
fi
VMMTEST_SHM=$(mktemp -d "$shm/vmmalloc-suite.XXXXXX") || exit 1
VMMTEST_DISK=$(mktemp -d "${TMPDIR:-/tmp}/vmmalloc-suite.XXXXXX") || exit 1
export VMMTEST_SHM VMMTEST_DISK
# bad_env.sh runs programs as user nobody in a directory below VMMTEST_SHM
chmod 755 "$VMMTEST_SHM"
cleanup() {
	chmod -R u+rwx "$VMMTEST_SHM" "$VMMTEST_DISK" 2>/dev/null
	rm -rf "$VMMTEST_SHM" "$VMMTEST_DISK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

npass=0
nfail=0
# report NAME STATUS [WHY]: one line per test, the log's tail on failure
report() {
	if [ "$2" -eq 0 ]; then
		echo "PASS $1"
		npass=$((npass + 1))
	else
		echo "FAIL $1${3:+ ($3)}"
		tail -n 15 "$LOGS/$1.log" | sed 's/^/    /'
		echo "    (full log: $LOGS/$1.log)"
		nfail=$((nfail + 1))
	fi
}

rc_text() {
	case $1 in
	124|137) echo "timed out: hung?" ;;
	*) if [ "$1" -gt 128 ]; then
		echo "killed by signal $(($1 - 128)) ($(kill -l $(($1 - 128)) 2>/dev/null))"
	   else
		echo "exit status $1"
	   fi ;;
	esac
}

# prog NAME TIMEOUT [VAR=VALUE...] -- CMD ARGS...: runs CMD with the given
# environment and a fresh pool directory ($POOLDIR in the arguments is
# replaced by it) under timeout; passes when it exits 0 and leaves the
# directory empty
prog() {
	local name=$1 secs=$2; shift 2
	local dir vars=() args=() rc left
	dir=$(mktemp -d "${POOLBASE:-$VMMTEST_SHM}/$name.XXXXXX")
	while [ "$1" != -- ]; do vars+=("${1//\$POOLDIR/$dir}"); shift; done
	shift
	for a in "$@"; do args+=("${a//\$POOLDIR/$dir}"); done
	"${PREFIX[@]+"${PREFIX[@]}"}" timeout -k 5 "$secs" \
		env "${vars[@]+"${vars[@]}"}" "${args[@]}" \
		> "$LOGS/$name.log" 2>&1 < /dev/null
	rc=$?
	left=$(ls -A "$dir" 2>/dev/null)
	if [ -n "$left" ]; then
		echo "left in the pool directory: $left" >> "$LOGS/$name.log"
		[ "$rc" -eq 0 ] && rc=1
	fi
	rm -rf "$dir"
	report "$name" "$rc" "$([ "$rc" -ne 0 ] && rc_text "$rc")"
}

# refused NAME [VAR=VALUE...] -- CMD...: libvmmalloc must stop CMD before
# main: exit status 1, nothing on stdout, one line "libvmmalloc: ..." on stderr
refused() {
	local name=$1; shift
	local vars=()
	while [ "$1" != -- ]; do vars+=("$1"); shift; done
	shift
	timeout -k 5 30 env "${vars[@]+"${vars[@]}"}" "$@" \
		> "$LOGS/$name.out" 2> "$LOGS/$name.err" < /dev/null
	local rc=$? why="" lines
	local -a l=()
	lines=$(wc -l < "$LOGS/$name.err")
	mapfile -t l < "$LOGS/$name.err"
	[ "$rc" -eq 1 ] || why+=" $(rc_text "$rc"), want exit status 1;"
	[ ! -s "$LOGS/$name.out" ] || why+=" main ran (stdout not empty);"
	[ "$lines" -eq 1 ] && [ "${#l[@]}" -eq 1 ] || why+=" $lines line(s) on stderr, want one;"
	[[ "${l[0]:-}" == "libvmmalloc: "* ]] || why+=" stderr does not start with 'libvmmalloc: ';"
	{
		echo "stdout:"; cat "$LOGS/$name.out"
		echo "stderr:"; cat "$LOGS/$name.err"
		[ -z "$why" ] || echo "wrong:$why"
	} > "$LOGS/$name.log"
	rm -f "$LOGS/$name.out" "$LOGS/$name.err"
	report "$name" "$([ -z "$why" ]; echo $?)" "${why:+${why# }}"
}

# ---- the libraries and the programs exist --------------------------------
for f in "$LIB" "$DLIB"; do
	if [ ! -f "$f" ]; then
		echo "$f is not built (make lib)" > "$LOGS/library.log"
		report library 1 "not built"
		break
	fi
done
for src in "$HERE"/*.c; do
	name=$(basename "$src" .c)
	bin=$TBIN/$name
	[[ $name == lib_* ]] && bin=$TBIN/$name.so
	if [ ! -f "$bin" ]; then
		echo "$bin is not built: run make check-vmmalloc" > "$LOGS/build-$name.log"
		report "build-$name" 1 "not built"
	elif [ "$bin" -ot "$src" ]; then
		echo "$bin is older than $src: run make check-vmmalloc" > "$LOGS/build-$name.log"
		report "build-$name" 1 "stale"
	fi
done

# ---- inpool --------------------------------------------------------------
expect=(none private copy copy)	# what VMMALLOC_FORK 0..3 promise on tmpfs
for variant in release debug; do
	lib=$LIB
	[ "$variant" = debug ] && lib=$DLIB
	for mode in 0 1 2 3; do
		prog "inpool-$variant-fork$mode" 60 LD_PRELOAD="$lib" \
			VMMALLOC_POOL_DIR='$POOLDIR' VMMALLOC_POOL_SIZE=64M \
			VMMALLOC_FORK="$mode" -- "$TBIN/inpool" "${expect[$mode]}"
	done
done
# inpool forks while two threads allocate: modes 2 and 3 copy the heap
# before fork() and must say so once in the debug log (libvmmalloc(7));
# mode 1 is exact and says nothing
for mode in 1 2 3; do
	name=inpool-debug-fork$mode-log1
	prog "$name" 60 LD_PRELOAD="$DLIB" VMMALLOC_LOG_LEVEL=1 \
		VMMALLOC_POOL_DIR='$POOLDIR' VMMALLOC_POOL_SIZE=64M \
		VMMALLOC_FORK="$mode" -- "$TBIN/inpool" "${expect[$mode]}"
	want=$((mode == 1 ? 0 : 1))
	n=$(grep -c "VMMALLOC_FORK=$mode: fork() while [0-9]* other threads run" \
		"$LOGS/$name.log")
	report "$name-says-it-once" "$([ "$n" -eq "$want" ]; echo $?)" \
		"$n warning line(s), want $want"
done
# on the disk file system
POOLBASE=$VMMTEST_DISK
for mode in 2 3; do
	prog "inpool-release-disk-fork$mode" 60 LD_PRELOAD="$LIB" \
		VMMALLOC_POOL_DIR='$POOLDIR' VMMALLOC_POOL_SIZE=64M \
		VMMALLOC_FORK="$mode" -- "$TBIN/inpool" copy
done
unset POOLBASE
# mode 3 without room for the copy: a 48 MiB tmpfs holds the 32 MiB pool
# but not a second one, so the child must get mode 1 (MAP_PRIVATE)
small=$(mktemp -d "$VMMTEST_SHM/small.XXXXXX")
if unshare -m sh -c 'mount -t tmpfs -o size=48m tmpfs "$0"' "$small" 2>/dev/null; then
	PREFIX=(unshare -m sh -c
		'mount -t tmpfs -o size=48m tmpfs "$0" && mkdir "$0/pool" && exec "$@"'
		"$small")
	prog inpool-release-fork3-fallback 60 LD_PRELOAD="$LIB" \
		VMMALLOC_POOL_DIR="$small/pool" VMMALLOC_POOL_SIZE=32M \
		VMMALLOC_FORK=3 -- "$TBIN/inpool" private
	PREFIX=()
else
	echo "SKIP inpool-release-fork3-fallback (mounting a small tmpfs with unshare -m is not permitted here)"
fi

# a hugetlbfs of 2 MiB pages as the pool directory (VMEM_TEST_HUGETLBFS;
# .ci/run mounts one when the machine lets it): the pool is a whole number
# of huge pages, and fork (mode 1) maps it private
if [ -n "${VMEM_TEST_HUGETLBFS:-}" ] && [ -w "$VMEM_TEST_HUGETLBFS" ]; then
	POOLBASE=$VMEM_TEST_HUGETLBFS
	prog inpool-release-hugetlbfs 60 LD_PRELOAD="$LIB" \
		VMMALLOC_POOL_DIR='$POOLDIR' VMMALLOC_POOL_SIZE=31M \
		VMMALLOC_FORK=1 -- "$TBIN/inpool" private
	unset POOLBASE
else
	echo "SKIP inpool-release-hugetlbfs (no VMEM_TEST_HUGETLBFS: no hugetlbfs of 2 MiB pages set up)"
fi

# ---- deepbind, linked ------------------------------------------------------
for variant in release debug; do
	lib=$LIB
	[ "$variant" = debug ] && lib=$DLIB
	prog "deepbind-$variant" 30 LD_PRELOAD="$lib" \
		VMMALLOC_POOL_DIR='$POOLDIR' VMMALLOC_POOL_SIZE=64M -- \
		"$TBIN/deepbind" "$TBIN/lib_deepbind.so"
done
prog linked_basic 30 VMMALLOC_POOL_DIR='$POOLDIR' VMMALLOC_POOL_SIZE=32M -- \
	"$TBIN/linked_basic"
refused linked_basic-nodir VMMALLOC_POOL_DIR="$VMMTEST_SHM/no/such/dir" \
	VMMALLOC_POOL_SIZE=32M -- "$TBIN/linked_basic"
refused linked_basic-smallpool VMMALLOC_POOL_DIR="$VMMTEST_SHM" \
	VMMALLOC_POOL_SIZE=1M -- "$TBIN/linked_basic"

# ---- other programs --------------------------------------------------------
for src in "$HERE"/*.c; do
	name=$(basename "$src" .c)
	case $name in
	inpool|deepbind|linked_basic|tiers|lib_*) continue ;;
	linked_*)
		prog "$name" 60 VMMALLOC_POOL_DIR='$POOLDIR' VMMALLOC_POOL_SIZE=64M -- \
			"$TBIN/$name" ;;
	*)
		prog "$name" 60 LD_PRELOAD="$LIB" VMMALLOC_POOL_DIR='$POOLDIR' \
			VMMALLOC_POOL_SIZE=64M -- "$TBIN/$name" ;;
	esac
done

# ---- the scripts -----------------------------------------------------------
for script in "$HERE"/*.sh; do
	name=$(basename "$script" .sh)
	[ "$name" = run ] && continue
	timeout -k 5 300 bash "$script" "$BUILD" > "$LOGS/$name.log" 2>&1 < /dev/null
	rc=$?
	report "$name" "$rc" "$([ "$rc" -ne 0 ] && rc_text "$rc")"
	# the real programs again with a DRAM tier: a ratio, and a cap
	# small enough that the bigger ones spill into the pool
	case $name in prog_*) ;; *) continue ;; esac
	VMMTEST_TIERS="VMMALLOC_DRAM_RATIO=1:3 VMMALLOC_DRAM_MAX=16M" \
		timeout -k 5 300 bash "$script" "$BUILD" \
		> "$LOGS/$name-tiers.log" 2>&1 < /dev/null
	rc=$?
	report "$name-tiers" "$rc" "$([ "$rc" -ne 0 ] && rc_text "$rc")"
done

echo "vmmalloc: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
