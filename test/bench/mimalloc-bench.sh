#!/usr/bin/env bash
# mimalloc-bench.sh -- runs the benchmark programs of mimalloc-bench
# (https://github.com/daanx/mimalloc-bench) with the arguments and input
# files its bench.sh gives them, unchanged, under several mallocs: glibc's,
# and jemalloc, mimalloc, tcmalloc and libvmmalloc in LD_PRELOAD
# (libvmmalloc once with its pool on tmpfs, once on the root file system).
# Prints markdown tables (median time and peak RSS per test and allocator,
# vmem against the best of the other four, a summary) to paste into a note,
# and writes every run to a CSV file.
#
# Usage:
#   test/bench/mimalloc-bench.sh [--rounds N] [--build-dir DIR]
#       [--tests "list"] [--allocators "list"] [--vmmalloc LIB] [--out CSV]
#       [--src DIR] [--timeout S] [--pool-size SIZE] [--tmpfs-dir DIR]
#       [--ext4-dir DIR] [--list]
#
#   --rounds N       rounds (default 3). Each round runs every test under
#                    every allocator, the allocators of one test back to
#                    back, starting one further along the list each round.
#   --build-dir DIR  where the programs are built and run (default
#                    /tmp/mimalloc-bench-build); nothing is written to the
#                    vmem tree. DIR/src: the sources, DIR/bin: programs,
#                    DIR/logs: each run's stdout/stderr, DIR/run: the
#                    programs' working directory.
#   --src DIR        a mimalloc-bench checkout (holding bench/) to build
#                    from, instead of extracting bench/ from the git mirror
#                    (MB_MIRROR, default /work/.mirror/daanx+mimalloc-bench/repo).
#   --tests "..."    rows to run, by row name (cfrac, larsonN, mstress1, ...)
#                    or group (larson, mstress, rptest, alloc-test, cscratch,
#                    cthrash, mleak, glibc, sh6bench, sh8bench, rbstress...);
#                    default all. --list prints rows and commands.
#   --allocators ".." from: glibc jemalloc mimalloc tcmalloc vmem-tmpfs
#                    vmem-ext4 (default all; one whose library is missing
#                    is skipped with a note).
#   --vmmalloc LIB   libvmmalloc to preload (default build/libvmmalloc.so.1
#                    of the tree holding this script).
#   --out CSV        the CSV of every run (default DIR/results.csv); columns
#                    test,allocator,round,seconds,maxrss_kb,status,wall_seconds
#   --timeout S      seconds before a run is killed (default 300).
#   --pool-size SIZE VMMALLOC_POOL_SIZE (default 16G).
#   --tmpfs-dir DIR  pool directory of vmem-tmpfs (default /dev/shm).
#   --ext4-dir DIR   pool directory of vmem-ext4 (default /var/tmp/vmem-mb,
#                    created if missing; should be on a disk file system).
#
# Needs: bash, gcc and g++ (programs built with -O2 and the defines and
# flags of mimalloc-bench's bench/CMakeLists.txt, compiled directly: its
# CMakeLists cannot be configured without the shbench sources, which are
# not in the repository), GNU time as /usr/bin/time (Debian package `time`),
# timeout (coreutils), awk; git to extract the sources from the mirror;
# the allocators' libraries (Debian libjemalloc2, libmimalloc2.0,
# libtcmalloc-minimal4; libvmmalloc from `make`). ruby for rbstress (run
# only when ruby is installed). The shbench programs (sh6benchN, sh8benchN)
# are built only if --src holds the patched sh6bench-new.c/sh8bench-new.c
# that mimalloc-bench's build-bench-env.sh downloads and patches; else
# they are listed as not built.
#
# What a run measures: wall time and peak RSS from /usr/bin/time -f
# "%e %M". For the four tests that run for a fixed time and report a
# throughput (larson*, rptest*, xmalloc-testN, glibc-thread), wall time
# says nothing, so "seconds" is the relative time bench.sh derives from
# the program's output instead (larson: its "relative time"; rptest:
# 2000000 / memory ops per CPU second; xmalloc-test: its "rtime";
# glibc-thread: 1e9 / iterations); the wall time is kept in the CSV's last
# column, and these rows are marked with "*". The table shows the median
# over rounds. A run that exits non-zero, dies of a signal, times out, or
# does not print what the program prints when it completes, is a failure:
# its cell shows the failure, never a time. (espresso, glibc-simple,
# malloc-large and the cache-* programs print nothing; for them the exit
# status is the check: espresso verifies its result and exits non-zero
# when it is wrong, mstress aborts on a corrupted block.)
#
# mstress1 and rptest1 (1-thread variants) are not in bench.sh; they use
# bench.sh's arguments with a thread count of 1. All other rows are
# bench.sh's commands, with N = number of CPUs (nproc).
#
# The machine may be shared: the times of a few rounds are indicative.
# Exit status: 0, or 1 when a vmem run failed or a vmem allocator could
# not be used (its preload not taking effect).
set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

rounds=3
build=/tmp/mimalloc-bench-build
src=""
mirror=${MB_MIRROR:-/work/.mirror/daanx+mimalloc-bench/repo}
tests_arg=""
allocs_arg="glibc jemalloc mimalloc tcmalloc vmem-tmpfs vmem-ext4"
vmmlib=$root/build/libvmmalloc.so.1
out=""
run_timeout=300
pool_size=16G
tmpfs_dir=/dev/shm
ext4_dir=/var/tmp/vmem-mb
list_only=0

die() { echo "mimalloc-bench.sh: $*" >&2; exit 2; }
need_arg() { [ $# -ge 2 ] || die "$1 needs a value"; }

while [ $# -gt 0 ]; do
	case $1 in
	--rounds) need_arg "$@"; rounds=$2; shift ;;
	--build-dir) need_arg "$@"; build=$2; shift ;;
	--src) need_arg "$@"; src=$2; shift ;;
	--tests) need_arg "$@"; tests_arg=$2; shift ;;
	--allocators) need_arg "$@"; allocs_arg=$2; shift ;;
	--vmmalloc) need_arg "$@"; vmmlib=$2; shift ;;
	--out) need_arg "$@"; out=$2; shift ;;
	--timeout) need_arg "$@"; run_timeout=$2; shift ;;
	--pool-size) need_arg "$@"; pool_size=$2; shift ;;
	--tmpfs-dir) need_arg "$@"; tmpfs_dir=$2; shift ;;
	--ext4-dir) need_arg "$@"; ext4_dir=$2; shift ;;
	--list) list_only=1 ;;
	-h|--help) sed -n '2,/^set -u$/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$1' (--help lists them)" ;;
	esac
	shift
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive integer"
[[ $run_timeout =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a positive integer"

mkdir -p "$build" || die "cannot create $build"
build=$(cd "$build" && pwd)
case $build/ in "$root"/*) die "--build-dir must be outside the vmem tree ($root)" ;; esac
out=${out:-$build/results.csv}
vmmlib=$(readlink -f "$vmmlib" 2>/dev/null || echo "$vmmlib")

procs=$(nproc 2>/dev/null || echo 1)
procs_x2=$((procs * 2))
procs_max16=$((procs > 16 ? 16 : procs))

# ---------------------------------------------------------------------
# Sources

srcdir=$build/src
mb_commit=unknown
if [ -n "$src" ]; then
	[ -d "$src/bench" ] || die "--src $src has no bench/ directory"
	srcdir=$(cd "$src" && pwd)
	mb_commit=$(git -C "$srcdir" rev-parse --short=12 HEAD 2>/dev/null || echo "unknown (not a git checkout)")
else
	[ -d "$mirror" ] || die "no mimalloc-bench mirror at $mirror (give --src DIR)"
	mb_commit=$(git --git-dir="$mirror" rev-parse --short=12 HEAD) || die "cannot read $mirror"
	if [ "$(cat "$srcdir/.commit" 2>/dev/null)" != "$mb_commit" ]; then
		rm -rf "$srcdir" && mkdir -p "$srcdir" &&
			git --git-dir="$mirror" archive HEAD bench | tar -x -C "$srcdir" &&
			echo "$mb_commit" >"$srcdir/.commit" ||
			die "cannot extract bench/ from $mirror"
	fi
fi
bdir=$srcdir/bench

# ---------------------------------------------------------------------
# The tests: row name, program, arguments, stdin, what its stdout must
# match (ERE, "" = nothing to check), how its time is taken, origin.

declare -A t_prog t_args t_in t_check t_metric t_note
rows=()
row() { # NAME PROGRAM ARGS STDIN CHECK METRIC [NOTE]
	rows+=("$1")
	t_prog[$1]=$2 t_args[$1]=$3 t_in[$1]=$4 t_check[$1]=$5 t_metric[$1]=$6
	t_note[$1]=${7:-}
}
# order of bench.sh's test lists
row cfrac         cfrac "17545186520507317056371138836327483792789528" /dev/null \
	'^17545186520507317056371138836327483792789528 = ' wall
row espresso      espresso "$bdir/espresso/largest.espresso" /dev/null '' wall
row barnes        barnes "" "$bdir/barnes/input" '^COMPUTEEND' wall
row larsonN-sized larson-sized "5 8 1000 5000 100 4141 $procs" /dev/null 'relative time: [0-9.]+s' larson
row mstressN      mstress "$procs 50 25" /dev/null '^start with [0-9]+ threads' wall
row mstress1      mstress "1 50 25" /dev/null '^start with [0-9]+ threads' wall "not in bench.sh: mstressN's arguments, 1 thread"
row rptestN       rptest "$procs 0 1 2 500 1000 100 8 16000" /dev/null '[0-9]+ memory ops/CPU second' rptest
row rptest1       rptest "1 0 1 2 500 1000 100 8 16000" /dev/null '[0-9]+ memory ops/CPU second' rptest "not in bench.sh: rptestN's arguments, 1 thread"
row alloc-test1   alloc-test "1" /dev/null 'threads made [0-9]+ alloc/dealloc operations' wall
row alloc-testN   alloc-test "$procs_max16" /dev/null 'threads made [0-9]+ alloc/dealloc operations' wall
row sh6benchN     sh6bench "$procs_x2" /dev/null '' wall
row sh8benchN     sh8bench "$procs_x2" /dev/null '' wall
row xmalloc-testN xmalloc-test "-w $procs -t 5 -s 64" /dev/null '^rtime: [0-9.]+' xmalloc
row cache-scratch1 cache-scratch "1 1000 1 2000000 $procs" /dev/null '' wall
row cache-scratchN cache-scratch "$procs 1000 1 2000000 $procs" /dev/null '' wall
row glibc-simple  glibc-simple "" /dev/null '' wall
row glibc-thread  glibc-thread "$procs" /dev/null '^[0-9]+ iterations$' glibc-thread
row larsonN       larson "5 8 1000 5000 100 4141 $procs" /dev/null 'relative time: [0-9.]+s' larson
row malloc-large  malloc-large "" /dev/null '' wall
row mleak10       mleak "5" /dev/null '^Using [0-9]+ threads' wall
row mleak100      mleak "50" /dev/null '^Using [0-9]+ threads' wall
row rbstress1     ruby "$bdir/rbstress/stress_mem.rb 1" /dev/null '' wall
row rbstressN     ruby "$bdir/rbstress/stress_mem.rb $procs" /dev/null '' wall
row cache-thrash1 cache-thrash "1 1000 1 2000000 $procs" /dev/null '' wall
row cache-thrashN cache-thrash "$procs 1000 1 2000000 $procs" /dev/null '' wall

# groups accepted by --tests (bench.sh's test names and a few more)
group_rows() {
	case $1 in
	larson) echo larsonN ;;
	larson-sized|larsonN-sized) echo larsonN-sized ;;
	mstress) echo mstressN mstress1 ;;
	rptest) echo rptestN rptest1 ;;
	alloc-test) echo alloc-test1 alloc-testN ;;
	sh6bench) echo sh6benchN ;;
	sh8bench) echo sh8benchN ;;
	xmalloc-test|xmalloc) echo xmalloc-testN ;;
	cscratch|cache-scratch) echo cache-scratch1 cache-scratchN ;;
	cthrash|cache-thrash) echo cache-thrash1 cache-thrashN ;;
	mleak) echo mleak10 mleak100 ;;
	glibc) echo glibc-simple glibc-thread ;;
	rbstress) echo rbstress1 rbstressN ;;
	*) return 1 ;;
	esac
}

declare -A wanted
if [ -z "$tests_arg" ]; then
	for t in "${rows[@]}"; do wanted[$t]=1; done
else
	for t in $tests_arg; do
		if [ -n "${t_prog[$t]+x}" ]; then
			wanted[$t]=1
		elif g=$(group_rows "$t"); then
			for x in $g; do wanted[$x]=1; done
		else
			die "unknown test '$t' (--list shows them)"
		fi
	done
fi
tests=()
for t in "${rows[@]}"; do
	[ -n "${wanted[$t]-}" ] || continue
	# with one CPU the N rows repeat the 1-thread rows (bench.sh skips them)
	if [ "$procs" -eq 1 ]; then
		case $t in alloc-testN|cache-scratchN|cache-thrashN|rbstressN|mstress1|rptest1) continue ;; esac
	fi
	tests+=("$t")
done
[ ${#tests[@]} -gt 0 ] || die "no tests selected"

if [ "$list_only" = 1 ]; then
	for t in "${tests[@]}"; do
		in=${t_in[$t]}; [ "$in" = /dev/null ] && in="" || in=" < $in"
		printf '%-15s %s %s%s%s\n' "$t" "${t_prog[$t]}" "${t_args[$t]}" "$in" \
			"${t_note[$t]:+   (${t_note[$t]})}"
	done
	exit 0
fi

for tool in gcc g++ timeout awk; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done
[ -x /usr/bin/time ] || die "/usr/bin/time is missing: apt-get install time"

# ---------------------------------------------------------------------
# Build (flags and defines as bench/CMakeLists.txt, -O2 instead of
# CMake's Release -O3)

bin=$build/bin
blog=$build/logs/build
mkdir -p "$bin" "$blog" "$build/logs" "$build/run"
CWARN="-w -Wno-implicit-function-declaration -Wno-implicit-int -Wno-int-conversion -Wno-incompatible-pointer-types"
CF="-O2 -DNDEBUG $CWARN"
CXXF="-O2 -DNDEBUG -std=gnu++17 $CWARN"

declare -A not_built  # program -> reason

# compile PROGRAM DRIVER FLAGS... -- SOURCES... -- LIBS...
compile() {
	local prog=$1 cc=$2 flags=() srcs=() libs=() f
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do flags+=("$1"); shift; done
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do srcs+=("$bdir/$1"); shift; done
	shift
	libs=("$@")
	for f in "${srcs[@]}"; do
		if [ ! -f "$f" ]; then
			not_built[$prog]="source ${f#"$srcdir"/} is missing"
			return 1
		fi
	done
	# up to date?
	if [ -x "$bin/$prog" ] && [ -z "$(find "${srcs[@]%/*}" -newer "$bin/$prog" -type f 2>/dev/null | head -1)" ]; then
		return 0
	fi
	if ! "$cc" "${flags[@]}" -o "$bin/$prog" "${srcs[@]}" "${libs[@]}" >"$blog/$prog.log" 2>&1; then
		rm -f "$bin/$prog"
		not_built[$prog]="$cc failed: $(grep -m1 -E 'error|Error' "$blog/$prog.log" | cut -c1-160) (see $blog/$prog.log)"
		return 1
	fi
}

# shellcheck disable=SC2046,SC2086  # word splitting wanted: flag and file lists
build_prog() {
	local p=$1
	case $p in
	cfrac) compile cfrac gcc $CF -std=gnu89 -DNOMEMOPT=1 -- \
		$(printf 'cfrac/%s ' cfrac.c pops.c pconst.c pio.c pabs.c pneg.c pcmp.c podd.c \
			phalf.c padd.c psub.c pmul.c pdivmod.c psqrt.c ppowmod.c atop.c ptoa.c \
			itop.c utop.c ptou.c errorp.c pfloat.c pidiv.c pimod.c picmp.c primes.c \
			pcfrac.c pgcd.c) -- -lm ;;
	espresso) compile espresso gcc $CF -std=gnu89 -- \
		$(printf 'espresso/%s ' cofactor.c cols.c compl.c contain.c cubestr.c cvrin.c \
			cvrm.c cvrmisc.c cvrout.c dominate.c equiv.c espresso.c essen.c exact.c \
			expand.c gasp.c getopt.c gimpel.c globals.c hack.c indep.c irred.c main.c \
			map.c matrix.c mincov.c opo.c pair.c part.c primes.c reduce.c rows.c set.c \
			setc.c sharp.c sminterf.c solution.c sparse.c unate.c utility.c verify.c) -- -lm ;;
	barnes) compile barnes gcc $CF -std=gnu89 -- \
		$(printf 'barnes/%s ' code.c code_io.c load.c grav.c getparam.c util.c) -- -lm ;;
	larson) compile larson g++ $CXXF -Wno-unused-result -DCPP=1 -- larson/larson.cpp -- -pthread ;;
	larson-sized) compile larson-sized g++ $CXXF -Wno-unused-result -fsized-deallocation \
		-DCPP=1 -DSIZED=1 -- larson/larson.cpp -- -pthread ;;
	alloc-test) compile alloc-test g++ $CXXF -DBENCH=4 -- \
		alloc-test/test_common.cpp alloc-test/allocator_tester.cpp -- -pthread ;;
	sh6bench) compile sh6bench gcc $CF -DBENCH=1 -DSYS_MULTI_THREAD=1 -- shbench/sh6bench-new.c -- -pthread ;;
	sh8bench) compile sh8bench gcc $CF -DBENCH=1 -DSYS_MULTI_THREAD=1 -- shbench/sh8bench-new.c -- -pthread ;;
	cache-scratch) compile cache-scratch g++ $CXXF -- cache-scratch/cache-scratch.cpp -- -pthread ;;
	cache-thrash) compile cache-thrash g++ $CXXF -- cache-thrash/cache-thrash.cpp -- -pthread ;;
	xmalloc-test) compile xmalloc-test gcc $CF -- xmalloc-test/xmalloc-test.c -- -pthread ;;
	malloc-large) compile malloc-large g++ $CXXF -- malloc-large/malloc-large.cpp -- -pthread ;;
	mstress) compile mstress gcc $CF -- mstress/mstress.c -- -pthread ;;
	mleak) compile mleak gcc $CF -- mleak/mleak.c -- -pthread ;;
	rptest) compile rptest gcc $CF -fpermissive -I"$bdir/rptest" -- \
		rptest/rptest.c rptest/thread.c rptest/timer.c -- -pthread -lm ;;
	glibc-simple) compile glibc-simple gcc $CF -- glibc-bench/bench-malloc-simple.c -- -pthread ;;
	glibc-thread) compile glibc-thread gcc $CF -- glibc-bench/bench-malloc-thread.c -- -pthread ;;
	ruby) # rbstress is a ruby script: nothing to build, but ruby is needed
		if ! command -v ruby >/dev/null; then
			not_built[ruby]="needs ruby, which is not installed"
			return 1
		fi
		[ -f "$bdir/rbstress/stress_mem.rb" ] ||
			{ not_built[ruby]="bench/rbstress/stress_mem.rb is missing"; return 1; } ;;
	esac
}

echo "building in $build/bin ..." >&2
declare -A tried
for t in "${tests[@]}"; do
	p=${t_prog[$t]}
	[ -n "${tried[$p]-}" ] && continue
	tried[$p]=1
	build_prog "$p"
done
# shbench: say where its source comes from
for p in sh6bench sh8bench; do
	if [ -n "${not_built[$p]-}" ] && [[ ${not_built[$p]} == *missing* ]]; then
		not_built[$p]="source not in the repository (build-bench-env.sh downloads it from microquill.com and patches it; give --src a checkout where that was done)"
	fi
done

runnable=()
for t in "${tests[@]}"; do
	[ -z "${not_built[${t_prog[$t]}]-}" ] && runnable+=("$t")
done

# a program of ours that says which library malloc comes from
cat >"$build/which-malloc.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
/* prints the file of the malloc this process calls */
int main(void)
{
	void *(*volatile m)(size_t) = malloc;
	Dl_info info;
	void *p = m(100);
	if (p == NULL || !dladdr((void *)m, &info) || info.dli_fname == NULL)
		return 1;
	free(p);
	puts(info.dli_fname);
	return 0;
}
EOF
gcc -O2 -o "$build/which-malloc" "$build/which-malloc.c" -ldl 2>"$blog/which-malloc.log" ||
	die "cannot build $build/which-malloc (see $blog/which-malloc.log)"

# ---------------------------------------------------------------------
# Allocators

libdir=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
declare -A a_lib a_dir
allocs=()
notes=()
vmem_broken=0
for a in $allocs_arg; do
	case $a in
	glibc) a_lib[$a]=- ;;
	jemalloc) a_lib[$a]=$libdir/libjemalloc.so.2 ;;
	mimalloc) a_lib[$a]=$libdir/libmimalloc.so.2 ;;
	tcmalloc) a_lib[$a]=$libdir/libtcmalloc_minimal.so.4 ;;
	vmem-tmpfs) a_lib[$a]=$vmmlib a_dir[$a]=$tmpfs_dir ;;
	vmem-ext4) a_lib[$a]=$vmmlib a_dir[$a]=$ext4_dir ;;
	*) die "unknown allocator '$a' (glibc jemalloc mimalloc tcmalloc vmem-tmpfs vmem-ext4)" ;;
	esac
	if [ "${a_lib[$a]}" != - ] && [ ! -e "${a_lib[$a]}" ]; then
		notes+=("$a: skipped, ${a_lib[$a]} is missing")
		[[ $a == vmem-* ]] && vmem_broken=1
		continue
	fi
	if [ -n "${a_dir[$a]-}" ]; then
		mkdir -p "${a_dir[$a]}" 2>/dev/null
		if [ ! -d "${a_dir[$a]}" ] || [ ! -w "${a_dir[$a]}" ]; then
			notes+=("$a: skipped, pool directory ${a_dir[$a]} is not writable")
			vmem_broken=1
			continue
		fi
	fi
	allocs+=("$a")
done
[ ${#allocs[@]} -gt 0 ] || die "no allocator to run"

# aenv: the environment of allocator $1 (after env -u LD_PRELOAD)
alloc_env() {
	aenv=()
	case $1 in
	glibc) ;;
	vmem-*) aenv=(LD_PRELOAD="${a_lib[$1]}" VMMALLOC_POOL_DIR="${a_dir[$1]}"
		VMMALLOC_POOL_SIZE="$pool_size") ;;
	*) aenv=(LD_PRELOAD="${a_lib[$1]}") ;;
	esac
}

# does malloc really come from the library?
ok_allocs=()
declare -A a_from
for a in "${allocs[@]}"; do
	alloc_env "$a"
	got=$(timeout 60 env -u LD_PRELOAD "${aenv[@]}" "$build/which-malloc" 2>"$build/logs/which-malloc.$a.err")
	want=libc.so.6
	[ "${a_lib[$a]}" != - ] && want=$(basename "${a_lib[$a]}")
	if [ "$(basename "${got:-?}")" != "$want" ]; then
		notes+=("$a: skipped, malloc did not come from $want but from '${got:-?}' (see $build/logs/which-malloc.$a.err)")
		[[ $a == vmem-* ]] && vmem_broken=1
		continue
	fi
	a_from[$a]=$got
	ok_allocs+=("$a")
done
allocs=("${ok_allocs[@]}")
[ ${#allocs[@]} -gt 0 ] || die "no allocator could be used: ${notes[*]}"

# ---------------------------------------------------------------------
# Running

fstype() { awk -v d="$(df -P "$1" 2>/dev/null | awk 'NR == 2 { print $6 }')" \
	'$2 == d { t = $3 } END { print t }' /proc/mounts; }

# run_one TEST ALLOCATOR ROUND: one run; appends a CSV line
run_one() {
	local t=$1 a=$2 r=$3 base tf rc st secs rss wall line metric x cmd
	base=$build/logs/$t.$a.$r
	tf=$base.time
	alloc_env "$a"
	cmd=${t_prog[$t]}
	[ "$cmd" = ruby ] && cmd=$(command -v ruby) || cmd=$bin/$cmd
	rm -f "$tf"
	# shellcheck disable=SC2086  # the arguments are words
	(cd "$build/run" && ulimit -c 0 &&
		/usr/bin/time -f '%e %M' -o "$tf" \
			timeout -k 10 "$run_timeout" env -u LD_PRELOAD "${aenv[@]}" \
			"$cmd" ${t_args[$t]} <"${t_in[$t]}" >"$base.out" 2>"$base.err")
	rc=$?
	line=$(tail -n 1 "$tf" 2>/dev/null)
	wall=${line%% *} rss=${line##* }
	[[ $wall =~ ^[0-9.]+$ ]] || wall=""
	[[ $rss =~ ^[0-9]+$ ]] || rss=""
	st=ok
	if [ "$rc" -eq 124 ] || { [ "$rc" -eq 137 ] && ! grep -q 'signal 9' "$tf" 2>/dev/null; }; then
		st="timeout(${run_timeout}s)"
	elif x=$(grep -o 'terminated by signal [0-9]*' "$tf" 2>/dev/null); then
		x=${x##* }
		st="signal:$(kill -l "$x" 2>/dev/null || echo "$x")"
	elif [ "$rc" -ne 0 ]; then
		st="exit:$rc"
	elif [ -n "${t_check[$t]}" ] && ! grep -Eq -- "${t_check[$t]}" "$base.out"; then
		st="bad-output"
	fi
	secs=$wall
	metric=${t_metric[$t]}
	if [ "$st" = ok ] && [ "$metric" != wall ]; then
		case $metric in
		larson) x=$(sed -n 's/.*relative time: \([0-9.]*\)s.*/\1/p' "$base.out" | tail -n 1)
			[ -n "$x" ] && secs=$x || secs="" ;;
		xmalloc) x=$(sed -n 's/^rtime: \([0-9.]*\).*/\1/p' "$base.out" | tail -n 1)
			[ -n "$x" ] && secs=$x || secs="" ;;
		rptest) x=$(sed -n 's/.*[^0-9]\([0-9][0-9]*\) memory ops\/CPU second.*/\1/p;s/^\([0-9][0-9]*\) memory ops\/CPU second.*/\1/p' "$base.out" | tail -n 1)
			secs=$(awk -v o="$x" 'BEGIN { if (o > 0) printf "%.3f", 2000000 / o }') ;;
		glibc-thread) x=$(sed -n 's/^\([0-9][0-9]*\) iterations$/\1/p' "$base.out" | tail -n 1)
			secs=$(awk -v o="$x" 'BEGIN { if (o > 0) printf "%.3f", 1000000000 / o }') ;;
		esac
		[ -n "$secs" ] || st="bad-output"
	fi
	if [ "$st" = ok ] && { [ -z "$secs" ] || [ -z "$rss" ]; }; then
		st="no-measurement"
	fi
	[ "$st" = ok ] || secs=""
	echo "$t,$a,$r,$secs,${rss:-},$st,${wall:-}" >>"$out"
	printf '  %-15s %-11s round %d: %s\n' "$t" "$a" "$r" \
		"$([ "$st" = ok ] && echo "$secs s, $rss KiB" || echo "FAILED: $st (see $base.err)")" >&2
	if [ "$st" != ok ] && [[ $a == vmem-* ]]; then vmem_broken=1; fi
}

vmem_rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
vmem_dirty=$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null | head -1)
started=$(date '+%Y-%m-%d %H:%M:%S %Z')

echo "test,allocator,round,seconds,maxrss_kb,status,wall_seconds" >"$out"
nalloc=${#allocs[@]}
echo "running ${#runnable[@]} tests x $nalloc allocators x $rounds rounds (log: $build/logs)" >&2
for ((r = 1; r <= rounds; r++)); do
	for t in "${runnable[@]}"; do
		for ((i = 0; i < nalloc; i++)); do
			run_one "$t" "${allocs[$(((i + r - 1) % nalloc))]}" "$r"
		done
	done
done
# pool files a run left behind (libvmmalloc is expected to remove its own)
for a in "${allocs[@]}"; do
	[ -n "${a_dir[$a]-}" ] || continue
	left=$(find "${a_dir[$a]}" -maxdepth 1 -newer "$build/which-malloc" -type f 2>/dev/null | wc -l)
	[ "$left" -gt 0 ] && notes+=("$a: $left file(s) left in ${a_dir[$a]} after the runs")
done

# ---------------------------------------------------------------------
# Report

echo
echo "## mimalloc-bench programs under LD_PRELOAD"
echo
echo "- date: $started; vmem $vmem_rev${vmem_dirty:+ (with uncommitted changes)}; mimalloc-bench $mb_commit"
echo "- $procs CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), kernel $(uname -r), $(ldd --version 2>&1 | head -1), $(gcc --version | head -1), -O2"
echo "- $rounds round(s), median shown; timeout ${run_timeout}s; CSV: $out"
for a in "${allocs[@]}"; do
	case $a in
	glibc) echo "- glibc: nothing preloaded (malloc from ${a_from[$a]})" ;;
	vmem-*) echo "- $a: LD_PRELOAD=${a_lib[$a]} VMMALLOC_POOL_DIR=${a_dir[$a]} ($(fstype "${a_dir[$a]}")) VMMALLOC_POOL_SIZE=$pool_size" ;;
	*) echo "- $a: LD_PRELOAD=${a_lib[$a]}" ;;
	esac
done
for n in "${notes[@]}"; do echo "- note: $n"; done
declare -A nb_said
for t in "${tests[@]}"; do
	p=${t_prog[$t]}
	[ -n "${not_built[$p]-}" ] || continue
	[ -n "${nb_said[$p]-}" ] && continue
	nb_said[$p]=1
	these=""
	for u in "${tests[@]}"; do [ "${t_prog[$u]}" = "$p" ] && these+="$u "; done
	echo "- not built: ${these% } -- ${not_built[$p]}"
done
echo

# table rows: every selected test (not built ones say so)
not_built_rows=""
for t in "${tests[@]}"; do [ -n "${not_built[${t_prog[$t]}]-}" ] && not_built_rows+="$t "; done
metric_rows=""
for t in "${tests[@]}"; do [ "${t_metric[$t]}" != wall ] && metric_rows+="$t "; done

awk -F, -v tests="${tests[*]}" -v allocs="${allocs[*]}" -v nb="$not_built_rows" \
	-v mr="$metric_rows" -v rounds="$rounds" '
function isort(a, n,   i, j, v) {
	for (i = 2; i <= n; i++) {
		v = a[i]
		for (j = i - 1; j >= 1 && a[j] > v; j--) a[j + 1] = a[j]
		a[j + 1] = v
	}
}
function median(key, col,   n, k, v) {
	n = nok[key]
	if (n == 0) return ""
	for (k = 1; k <= n; k++) v[k] = val[key, col, k] + 0
	isort(v, n)
	return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function ratio(x, y) { return (x == "" || y == "" || y <= 0) ? "" : x / y }
function fmt_r(x) { return x == "" ? "n/a" : sprintf("%.2fx", x) }
NR == 1 { next }
{
	key = $1 SUBSEP $2
	if ($6 == "ok") {
		n = ++nok[key]
		val[key, "s", n] = $4
		val[key, "m", n] = $5
	} else {
		nfail[key]++
		if (!(key in why)) why[key] = $6
	}
	nrun[key]++
}
END {
	nt = split(tests, T, " ")
	na = split(allocs, A, " ")
	split(nb, NB, " "); for (i in NB) notbuilt[NB[i]] = 1
	split(mr, MR, " "); for (i in MR) ismetric[MR[i]] = 1
	for (j = 1; j <= na; j++)
		if (A[j] !~ /^vmem/) peer[A[j]] = 1
	for (i = 1; i <= nt; i++) {
		t = T[i]
		for (j = 1; j <= na; j++) {
			a = A[j]; key = t SUBSEP a
			if (nfail[key] > 0) { cell[t, a] = "fail"; continue }
			if (nok[key] == 0) { cell[t, a] = "none"; continue }
			cell[t, a] = "ok"
			ms[t, a] = median(key, "s")
			mm[t, a] = median(key, "m")
		}
	}
	for (pass = 1; pass <= 2; pass++) {
		col = pass == 1 ? "s" : "m"
		if (pass == 1)
			printf "### Time (seconds, median of %d; * = relative time from the program'"'"'s throughput, as bench.sh computes it)\n\n", rounds
		else
			printf "### Peak RSS (MiB, median of %d)\n\n", rounds
		hdr = "| test |"; sep = "|---|"
		for (j = 1; j <= na; j++) {
			hdr = hdr " " A[j] " |"; sep = sep "---:|"
			if (A[j] ~ /^vmem/) { hdr = hdr " " A[j] " / best peer |"; sep = sep "---:|" }
		}
		print hdr; print sep
		for (i = 1; i <= nt; i++) {
			t = T[i]
			line = "| " t (ismetric[t] ? " *" : "") " |"
			if (t in notbuilt) {
				for (j = 1; j <= na; j++) line = line " not built |" (A[j] ~ /^vmem/ ? " |" : "")
				print line; continue
			}
			best = ""; bestall = ""
			for (j = 1; j <= na; j++) {
				a = A[j]
				if (cell[t, a] != "ok") continue
				v = (col == "s") ? ms[t, a] : mm[t, a]
				if (bestall == "" || v < bestall) bestall = v
				if ((a in peer) && (best == "" || v < best)) best = v
			}
			bestpeer[t, col] = best
			for (j = 1; j <= na; j++) {
				a = A[j]; key = t SUBSEP a
				if (cell[t, a] == "fail")
					c = sprintf("FAIL %s (%d/%d)", why[key], nfail[key], nrun[key])
				else if (cell[t, a] == "none")
					c = "-"
				else {
					v = (col == "s") ? ms[t, a] : mm[t, a]
					c = (col == "s") ? sprintf("%.3f", v) : sprintf("%.1f", v / 1024)
					if (v == bestall) c = "**" c "**"
				}
				line = line " " c " |"
				if (a ~ /^vmem/) {
					r = (cell[t, a] == "ok") ? ratio(v, best) : ""
					rr = fmt_r(r)
					if (r != "" && ((col == "s" && r > 1.2) || (col == "m" && r > 1.1))) rr = "**" rr "**"
					line = line " " rr " |"
				}
			}
			print line
			if (col == "s" && !ismetric[t] && bestall != "" && bestall < 0.2) short = short (short == "" ? "" : ", ") t
		}
		print ""
		if (col == "s" && short != "")
			print "Under 0.2 s, a time is mostly process start-up and /usr/bin/time counts in 10 ms steps: " short ".\n"
	}
	print "### Summary"
	print ""
	print "Ratios are against the best (lowest) of " (length(peer) ? "the peers in this run (glibc/jemalloc/mimalloc/tcmalloc)" : "(no peers in this run)") " per test; geometric mean over the tests where both have a result."
	print ""
	print "| allocator | time geomean vs best peer | fastest in | RSS geomean vs lowest peer | lowest RSS in | tests with failed runs | time > 1.2x best peer | RSS > 1.1x lowest peer |"
	print "|---|---:|---:|---:|---:|---:|---|---|"
	for (j = 1; j <= na; j++) {
		a = A[j]
		for (pass = 1; pass <= 2; pass++) {
			col = pass == 1 ? "s" : "m"
			sl = 0; n = 0; nbest = 0; over = ""; nover = 0
			for (i = 1; i <= nt; i++) {
				t = T[i]
				if (cell[t, a] != "ok") continue
				v = (col == "s") ? ms[t, a] : mm[t, a]
				isbest = 1
				for (k = 1; k <= na; k++) {
					b = A[k]
					if (b == a || cell[t, b] != "ok") continue
					w = (col == "s") ? ms[t, b] : mm[t, b]
					if (w < v) { isbest = 0; break }
				}
				nbest += isbest
				r = ratio(v, bestpeer[t, col])
				if (r == "" || r <= 0) continue
				sl += log(r); n++
				if ((col == "s" && r > 1.2) || (col == "m" && r > 1.1)) {
					nover++; over = over (over == "" ? "" : ", ") sprintf("%s %.2fx", t, r)
				}
			}
			g[col] = n ? sprintf("%.3f (%d tests)", exp(sl / n), n) : "n/a"
			nb_[col] = nbest
			ov[col] = (a ~ /^vmem/) ? (nover ? nover ": " over : "0") : ""
		}
		nf = 0
		for (i = 1; i <= nt; i++) if (nfail[T[i] SUBSEP a] > 0) nf++
		printf "| %s | %s | %d | %s | %d | %d | %s | %s |\n", a, g["s"], nb_["s"], g["m"], nb_["m"], nf, ov["s"], ov["m"]
	}
	print ""
	print "Bold: fastest / smallest in the row; in the vmem ratio columns, worse than 1.2x (time) or 1.1x (RSS)."
}' "$out"

exit $((vmem_broken ? 1 : 0))
