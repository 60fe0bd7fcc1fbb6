#!/usr/bin/env bash
# launcher.sh BUILD -- checks BUILD/vmmalloc, the launcher of libvmmalloc,
# without needing the interposer to work: PROGRAM is env(1) or sh(1), and
# VMMALLOC_LIB names a symbolic link to the C library (a valid library to
# preload; empty files when the C library cannot be found, whose loader
# warnings are then ignored). Checks that
#  - every variable is exported as documented, in every option form;
#  - LD_PRELOAD keeps what was there; --debug picks debug/ beside the library;
#  - the defaults: TMPDIR or /tmp, a size of whole MiB, at least the minimum;
#  - every wrong command line exits 2, every unusable directory or library
#    exits 1, each with one line on stderr starting "vmmalloc: ";
#  - PROGRAM not found exits 127, not executable 126, like a shell.
# Prints "ok - ..." or "not ok - ..." per check; exits 1 if any failed.
set -u
build=${1:?usage: launcher.sh BUILD}
vmmalloc=$(cd "$build" && pwd)/vmmalloc
header=$(cd "$(dirname "$0")/../.." && pwd)/include/libvmmalloc.h
if [ ! -x "$vmmalloc" ]; then
	echo "not ok - $vmmalloc is not built (make $build/vmmalloc)"
	exit 1
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
tmp=$(cd "$tmp" && pwd -P)	# the launcher resolves symbolic links in --dir
pool=$tmp/pool
mkdir -p "$pool" "$tmp/lib/debug" "$tmp/nodebug"
min=$(sed -n 's/.*define VMMALLOC_MIN_POOL ((size_t)(\(.*\)))$/\1/p' "$header")
min=$((min))	# "1024 * 1024 * 14"
major=$(sed -n 's/.*define VMMALLOC_MAJOR_VERSION \([0-9]*\).*/\1/p' "$header")
minor=$(sed -n 's/.*define VMMALLOC_MINOR_VERSION \([0-9]*\).*/\1/p' "$header")

# stand-ins for the library, its debug build and a library already preloaded
libc=$(ldd "$(command -v env)" 2>/dev/null | awk '$1 ~ /^libc\.so/ { print $3 }')
for f in lib/libvmmalloc.so.1 lib/debug/libvmmalloc.so.1 lib/other.so \
		nodebug/libvmmalloc.so.1; do
	if [ -n "$libc" ] && [ -f "$libc" ]; then
		ln -s "$libc" "$tmp/$f"
	else
		: > "$tmp/$f"
	fi
done
lib=$tmp/lib/libvmmalloc.so.1
other=$tmp/lib/other.so
: > "$tmp/noexec"	# a program that is not executable

fail=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fail=1; }
check() {	# check DESCRIPTION COMMAND...
	local desc=$1; shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# run [-u NAME]... [NAME=VALUE]... -- ARGS...: runs the launcher in $tmp
# with VMMALLOC_LIB=$lib, TMPDIR=$pool, none of the other VMMALLOC_*
# variables and no LD_PRELOAD, then the given changes (-u unsets NAME);
# sets out, err (its stderr without loader warnings) and rc.
run() {
	local unset=() set=(VMMALLOC_LIB="$lib" TMPDIR="$pool") i
	while [ "$1" != -- ]; do
		case $1 in
		-u)
			unset+=(-u "$2")
			for i in "${!set[@]}"; do
				[ "${set[i]%%=*}" = "$2" ] && unset 'set[i]'
			done
			shift 2 ;;
		*) set+=("$1"); shift ;;
		esac
	done
	shift
	out=$(cd "$tmp" && env -u LD_PRELOAD -u VMMALLOC_POOL_DIR \
		-u VMMALLOC_POOL_SIZE -u VMMALLOC_FORK -u VMMALLOC_LOG_STATS \
		${unset[@]+"${unset[@]}"} ${set[@]+"${set[@]}"} \
		"$vmmalloc" "$@" 2>"$tmp/stderr")
	rc=$?
	err=$(grep -v 'from LD_PRELOAD cannot be preloaded' "$tmp/stderr")
}

# value NAME: NAME's value in the environment env printed to $out
value() { printf '%s\n' "$out" | sed -n "s/^$1=//p"; }
has() { printf '%s\n' "$out" | grep -q "^$1="; }

# expect NAME VALUE DESCRIPTION: after a run of env, NAME is VALUE
expect() {
	local got
	got=$(value "$1")
	if [ "$rc" -eq 0 ] && has "$1" && [ "$got" = "$2" ]; then
		ok "$3: $1=$2"
	else
		not_ok "$3: $1: want '$2', got '$got' (exit $rc, stderr '$err')"
	fi
}

# refused STATUS DESCRIPTION RUN-ARGUMENTS...: the launcher, run as by
# 'run', exits STATUS with one line on stderr starting "vmmalloc: " and
# runs nothing
refused() {
	local status=$1 desc=$2; shift 2
	run "$@"
	local lines
	lines=$(printf '%s' "$err" | grep -c '')
	if [ "$rc" -eq "$status" ] && [ "$lines" -eq 1 ] &&
			[ "${err#vmmalloc: }" != "$err" ] && [ -z "$out" ]; then
		ok "$desc: exit $status, $err"
	else
		not_ok "$desc: want exit $status and one 'vmmalloc: ' line," \
			"got exit $rc, stderr '$err', stdout '$out'"
	fi
}

# ---- --help and --version ------------------------------------------------
run -- --version
check "--version prints 'vmmalloc $major.$minor' and exits 0" \
	test "$rc" -eq 0 -a "$out" = "vmmalloc $major.$minor" -a -z "$err"
run -- --help
check "--help prints a usage text to stdout naming VMMALLOC_LIB, exits 0" \
	test "$rc" -eq 0 -a -z "$err" -a "${out#Usage: vmmalloc}" != "$out" \
	-a "${out#*VMMALLOC_LIB}" != "$out"
run -- --stats --help -- env
check "--help after other options exits 0" test "$rc" -eq 0 -a -z "$err"

# ---- every variable, in every option form --------------------------------
run -- --dir "$pool" --size 64M --fork 2 --stats -- env
check "a run with every option exits 0 and prints nothing" \
	test "$rc" -eq 0 -a -z "$err"
expect VMMALLOC_POOL_DIR "$pool" "--dir D"
expect VMMALLOC_POOL_SIZE 67108864 "--size 64M"
expect VMMALLOC_FORK 2 "--fork 2"
expect VMMALLOC_LOG_STATS 1 "--stats"
expect LD_PRELOAD "$lib" "the library preloaded"

run -- --dir="$pool" --size=1G --fork=0 env
expect VMMALLOC_POOL_DIR "$pool" "--dir=D"
expect VMMALLOC_POOL_SIZE 1073741824 "--size=1G"
expect VMMALLOC_FORK 0 "--fork=0"

run -- --size 15728640 env
expect VMMALLOC_POOL_SIZE 15728640 "without '--'"
check "no --fork: VMMALLOC_FORK not set" eval '! has VMMALLOC_FORK'
check "no --stats: VMMALLOC_LOG_STATS not set" eval '! has VMMALLOC_LOG_STATS'

run VMMALLOC_FORK=3 VMMALLOC_LOG_STATS=0 -- env
expect VMMALLOC_FORK 3 "no --fork: an inherited VMMALLOC_FORK kept"
expect VMMALLOC_LOG_STATS 0 "no --stats: an inherited VMMALLOC_LOG_STATS kept"

run -- --size 20M --fork 1 --size 32M --fork 3 env
expect VMMALLOC_POOL_SIZE 33554432 "the last --size wins"
expect VMMALLOC_FORK 3 "the last --fork wins"

for pair in 15728640:15728640 15728640B:15728640 16m:16777216 \
		16MiB:16777216 16mb:16777216 16384K:16777216 16384kib:16777216 \
		1g:1073741824 1GiB:1073741824 2GB:2147483648 \
		1t:1099511627776 1TiB:1099511627776 $min:$min; do
	run -- --size "${pair%%:*}" env
	expect VMMALLOC_POOL_SIZE "${pair#*:}" "--size ${pair%%:*}"
done

run -- sh -c 'printf "[%s]" "$@"' sh --help --size x -- y
check "arguments after PROGRAM are passed to it untouched" \
	test "$rc" -eq 0 -a "$out" = "[--help][--size][x][--][y]"
run -- sh -c 'exit 7'
check "PROGRAM's exit status is the launcher's" test "$rc" -eq 7

# ---- LD_PRELOAD and the library ------------------------------------------
run LD_PRELOAD="$other" -- env
expect LD_PRELOAD "$lib:$other" "an existing LD_PRELOAD kept after the library"
run LD_PRELOAD= -- env
expect LD_PRELOAD "$lib" "an empty LD_PRELOAD adds no ':'"
run -- --debug env
expect LD_PRELOAD "$tmp/lib/debug/libvmmalloc.so.1" "--debug"
run LD_PRELOAD="$other" -- --debug env
expect LD_PRELOAD "$tmp/lib/debug/libvmmalloc.so.1:$other" \
	"--debug keeps an existing LD_PRELOAD"
run VMMALLOC_LIB=lib/libvmmalloc.so.1 -- env
expect LD_PRELOAD "$lib" "a relative VMMALLOC_LIB made absolute"

# ---- defaults -------------------------------------------------------------
mkdir -p "$tmp/other-tmp"
run TMPDIR="$tmp/other-tmp" -- env
expect VMMALLOC_POOL_DIR "$tmp/other-tmp" "default dir: \$TMPDIR"
systmp=$(cd /tmp && pwd -P)
run -u TMPDIR -- env
expect VMMALLOC_POOL_DIR "$systmp" "default dir without TMPDIR"
run TMPDIR= -- env
expect VMMALLOC_POOL_DIR "$systmp" "default dir with an empty TMPDIR"
run -- --dir pool env
expect VMMALLOC_POOL_DIR "$pool" "a relative --dir made absolute"

# the default size, against the rule with 25% of slack for a busy machine
avail=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)	# KiB
space=$(stat -f -c '%a * %S' "$pool")
space=$((space))
run -- env
size=$(value VMMALLOC_POOL_SIZE)
if [ "$rc" -eq 0 ] && [ -n "$size" ]; then
	check "default size $size >= VMMALLOC_MIN_POOL ($min)" \
		test "$size" -ge "$min"
	check "default size $size is a multiple of 1 MiB" \
		test $((size % 1048576)) -eq 0
	check "default size $size <= half the free space of the directory" \
		test "$size" -eq "$min" -o $((size * 8)) -le $((space * 5))
	if [ -n "$avail" ]; then
		check "default size $size <= a quarter of MemAvailable" \
			test "$size" -eq "$min" -o $((size * 16)) -le $((avail * 1024 * 5))
	fi
else
	not_ok "default size: exit $rc, stderr '$err'"
fi

# ---- wrong command lines: exit 2 -------------------------------------------
for s in abc 12Q 0 1K 99999999999999999999G 20000000T "" -1 1.5G 0x10M \
		" 16M" "16 M" 16MiBx 16iB 16KK $((min - 1)); do
	refused 2 "--size '$s'" -- --size "$s" env
done
for f in 4 -1 "" 1x 3.0; do
	refused 2 "--fork '$f'" -- --fork "$f" env
done
refused 2 "no program" --
refused 2 "options but no program" -- --stats
refused 2 "'--' but no program" -- --size 16M --
refused 2 "unknown option" -- --frobnicate env
refused 2 "unknown short option" -- -x env
refused 2 "abbreviated option" -- --siz 16M env
refused 2 "a value given to a flag" -- --stats=1 env
refused 2 "--size without its value" -- --size
refused 2 "a bad option before a good PROGRAM" -- --fork 9 -- env

# ---- unusable directory or library: exit 1 ---------------------------------
refused 1 "missing --dir" -- --dir "$tmp/nonexistent" env
refused 1 "a regular file as --dir" -- --dir "$tmp/noexec" env
refused 1 "a missing \$TMPDIR" TMPDIR="$tmp/nonexistent" -- env
check "... and the message names TMPDIR" test "${err#vmmalloc: TMPDIR}" != "$err"
refused 1 "a missing library" VMMALLOC_LIB="$tmp/nonexistent.so" -- env
check "... and the message names its path" \
	test "${err#*"$tmp/nonexistent.so"}" != "$err"
refused 1 "a missing debug build" \
	VMMALLOC_LIB="$tmp/nodebug/libvmmalloc.so.1" -- --debug env
check "... and the message names its path" \
	test "${err#*"$tmp/nodebug/debug/libvmmalloc.so.1"}" != "$err"
refused 1 "a directory as the library" VMMALLOC_LIB="$tmp/lib" -- env

# ---- PROGRAM cannot run: 127, 126 ------------------------------------------
refused 127 "PROGRAM not in PATH" -- no-such-program-$$
refused 127 "PROGRAM path does not exist" -- ./no-such-program
refused 126 "PROGRAM not executable" -- "$tmp/noexec"
refused 126 "PROGRAM a directory" -- "$tmp/pool"

[ "$fail" -eq 0 ]
