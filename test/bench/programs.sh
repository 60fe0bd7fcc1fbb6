#!/usr/bin/env bash
# programs.sh BUILD -- times real allocation-heavy programs, unchanged,
# under each malloc: glibc's, and jemalloc, mimalloc, tcmalloc and
# libvmmalloc (BUILD/libvmmalloc.so.1) in LD_PRELOAD, libvmmalloc once with
# its pool on /dev/shm and once on a disk file system. Prints a table of
# wall times (best of BENCH_PROG_REPS), each allocator's speed against
# glibc's as a geometric mean over the programs, and whether libvmmalloc
# on /dev/shm is at least as fast as the fastest of the others. Raw
# numbers go to BUILD/bench/programs.csv, what the programs said on stderr
# to BUILD/bench/programs.log. Called by run.sh (make bench); see
# test/bench/README.md.
#
# The programs (test/bench/programs/): python3 and perl scripts, sort of a
# generated file, gcc -O2 -c of a generated C file, git init+add+commit of
# a generated tree, and churn.c (ours, 2 threads), which this script
# builds into BUILD/bench/programs/. Debian's programs are run from
# /usr/bin, not from PATH (which may hold shims that are shell scripts).
#
# Every run's output (stdout, plus the object file for gcc) must match the
# checksum of an untimed glibc run made first; a run that differs, fails
# or times out is marked in its cell, never dropped silently. The
# allocators run round-robin (each repetition goes through all of them,
# starting one further along each time), and the best wall time, measured
# by bash's EPOCHREALTIME around the command, is reported.
#
# Environment (all optional):
#   BENCH_PROGRAMS="..."        only these programs (names from PROGRAMS)
#   BENCH_PROG_REPS=5           repetitions per program and allocator
#   BENCH_PROG_TIMEOUT=60       seconds before a command is killed
#   BENCH_PROG_SHM_DIR=/dev/shm pool directory of "vmmalloc shm"
#   BENCH_PROG_DISK_DIR=...     pool directory of "vmmalloc disk" (default
#                               $TMPDIR or /tmp, else /var/tmp: the first
#                               that is not tmpfs/ramfs)
#   BENCH_PROG_WORK_DIR=/dev/shm  where inputs and outputs go (else $TMPDIR
#                               or /tmp)
#
# Exits 1 when a libvmmalloc run broke (crash, timeout, output unlike
# glibc's, the preload not taking effect) or churn.c did not build, after
# printing everything; a peer that breaks is shown in its cell only.
set -u
export LC_ALL=C

build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
progdir=$here/programs
csv=$build/bench/programs.csv
log=$build/bench/programs.log
reps=${BENCH_PROG_REPS:-5}
run_timeout=${BENCH_PROG_TIMEOUT:-60}
shm_dir=${BENCH_PROG_SHM_DIR:-/dev/shm}
vmmlib=$(cd "$build" 2>/dev/null && pwd)/libvmmalloc.so.1
churn=$build/bench/programs/churn

multiarch=$(${CC:-cc} -print-multiarch 2>/dev/null)
libdir=/usr/lib/${multiarch:-x86_64-linux-gnu}

# The allocators, in table order: name, column heading, library to
# LD_PRELOAD ("-": none) and, for libvmmalloc, where its pool goes.
ALLOCATORS=(
	"glibc     glibc_s        -                                -"
	"jemalloc  jemalloc       $libdir/libjemalloc.so.2         -"
	"mimalloc  mimalloc       $libdir/libmimalloc.so.2         -"
	"tcmalloc  tcmalloc       $libdir/libtcmalloc_minimal.so.4 -"
	"vmm-shm   vmmalloc_shm   $vmmlib                          shm"
	"vmm-disk  vmmalloc_disk  $vmmlib                          disk"
)

# The programs: name, libvmmalloc pool size (VMMALLOC_POOL_SIZE; every
# process gets a pool of that size), the smallest pool the program ran
# in (found by hand in 4-8 MiB steps; 14M is VMMALLOC_MIN_POOL), what
# runs. A pool is about 1.3-1.7 x that smallest one, rounded to 8 MiB, and
# no more: on tmpfs, making a pool costs about 0.1 s per 256 MiB, and gcc
# and git make one in each of their 3 and 5 processes. Each program runs
# 0.3-1.5 s under glibc.
PROGRAMS=(
	"python3  64M   44M   python3 objects.py: dicts, lists, strings, tuples"
	"perl     224M  160M  perl hashsort.pl: a 200000-key hash, sorted, regrouped, rewritten"
	"sort     192M  144M  sort -S 128M of 1.5 M generated lines (29 MB), 2 threads"
	"gcc      24M   14M   gcc -O2 -c of a generated 2800-line C file (gcc, cc1, as)"
	"git      16M   14M   git init; add; commit (it starts git maintenance); rev-parse: 5000 files"
	"churn    32M   24M   ours (churn.c): 2 threads, tree/list churn, realloc, cross-thread frees"
)

declare -A lib=() heading=() pool=() minpool=() what=() best=() status=() \
	ref=() checks=() cost=()
names=()	# allocators that run
progs=()	# programs that run
broken=0
failures=0	# timed runs that failed
work=

note() { printf '  %s\n' "$*"; }
logf() { printf '%s\n' "$*" >>"$log"; }

# seconds since EPOCH as a number with a point, whatever the locale
now() { local t=$EPOCHREALTIME; printf '%s' "${t/,/.}"; }

# CPU seconds (user + system) of all the children this shell waited for,
# into VAR (times must run in this shell: a subshell's children are not
# this shell's)
child_cpu() {
	times >"$work/times"
	printf -v "$1" '%s' "$(awk 'NR == 2 { split($1, u, /[ms]/)
		split($2, s, /[ms]/); printf "%.3f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' \
		"$work/times")"
}

# ---- the programs: setup_NAME (untimed, once), pre_NAME (untimed, before
# every run), run_NAME (timed; stdout is checked), extra_NAME (files whose
# contents are checked too). x runs one command under the allocator. ----

PY=/usr/bin/python3
PERL=/usr/bin/perl
SORT=/usr/bin/sort
GCC=/usr/bin/gcc
GIT=/usr/bin/git

setup_python3() { [ -x "$PY" ]; }
run_python3() { x "$PY" "$progdir/objects.py" 10; }

setup_perl() { [ -x "$PERL" ]; }
run_perl() { x "$PERL" "$progdir/hashsort.pl" 200000; }

setup_sort() {
	[ -x "$SORT" ] || return 1
	awk 'BEGIN {
		srand(7)
		for (i = 0; i < 1500000; i++) {
			n = int(rand() * 4) + 1; s = ""
			for (j = 0; j < n; j++)
				s = s sprintf("%c%c%c%c ", 97 + int(rand() * 26),
					97 + int(rand() * 26), 97 + int(rand() * 26),
					97 + int(rand() * 26))
			printf "%s%d\n", s, int(rand() * 1000000)
		}
	}' >"$work/lines.txt"
}
run_sort() { x "$SORT" -S 128M "$work/lines.txt"; }

setup_gcc() {
	[ -x "$GCC" ] && [ -x "$PY" ] &&
		"$PY" "$progdir/gencode.py" 40 >"$work/big.c"
}
pre_gcc() { rm -f "$work/big.o"; }
run_gcc() { x "$GCC" -O2 -c "$work/big.c" -o "$work/big.o"; }
extra_gcc() { echo "$work/big.o"; }

# git: a fixed identity and dates (the commit id is then always the same),
# no system or global configuration, no automatic gc
setup_git() {
	[ -x "$GIT" ] && [ -x "$PY" ] &&
		"$PY" "$progdir/files.py" "$work/tree" 50 100
}
pre_git() { rm -rf "$work/repo.git"; }
run_git() {
	local g=("$GIT" --git-dir="$work/repo.git" --work-tree="$work/tree")
	x "${g[@]}" init -q && x "${g[@]}" add -A &&
		x "${g[@]}" -c gc.auto=0 commit -q -m generated &&
		x "${g[@]}" rev-parse HEAD
}
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com \
	GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com \
	GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' \
	GIT_COMMITTER_DATE='2026-01-01T00:00:00Z' \
	GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

setup_churn() { [ -x "$churn" ]; }	# built by main
run_churn() { x "$churn" 2 1500000; }

build_churn() {
	local src=$progdir/churn.c
	if [ ! -x "$churn" ] || [ "$src" -nt "$churn" ]; then
		mkdir -p "$(dirname "$churn")"
		${CC:-cc} -std=c11 -O2 -Wall -Wextra -pthread "$src" \
			-o "$churn" -ldl 2>>"$log" || return 1
	fi
}

# ---- running ----

# the environment of the current allocator, set by use_allocator
aenv=()

# use_allocator NAME [stats]: sets aenv for x
use_allocator() {
	local name=$1 dir
	aenv=(LD_PRELOAD=)
	case $name in
	glibc) ;;
	vmm-*)
		dir=$shm_dir
		[ "$name" = vmm-disk ] && dir=$disk_dir
		aenv=(LD_PRELOAD="${lib[$name]}" VMMALLOC_POOL_DIR="$dir"
			VMMALLOC_POOL_SIZE="${pool[$prog]}")
		if [ "${2:-}" = stats ]; then
			aenv+=(VMMALLOC_LOG_STATS=1
				VMMALLOC_LOG_FILE="$work/stats/$prog-")
		fi ;;
	*) aenv=(LD_PRELOAD="${lib[$name]}") ;;
	esac
}

# x COMMAND...: runs one command under the allocator. timeout and env are
# not preloaded (LD_PRELOAD is only in env's arguments), so the only extra
# cost, two small execs, is the same for every allocator.
x() { timeout -k 5 "$run_timeout" env "${aenv[@]}" "$@"; }

# checksum of a run's output
output_sum() {
	local files=("$work/out")
	declare -F "extra_$prog" >/dev/null && mapfile -t -O 1 files < <("extra_$prog")
	cat "${files[@]}" 2>/dev/null | md5sum | cut -d' ' -f1
}

describe_rc() {
	case $1 in
	0) ;;
	124) echo TIMEOUT ;;
	*) if [ "$1" -gt 128 ]; then echo "SIG$(($1 - 128))"
	   else echo "EXIT$1"; fi ;;
	esac
}

# run_once: one run of $prog under $name; sets secs (wall time), cpu
# (user + system time of its processes) and st ("" or why it failed)
run_once() {
	local t0 t1 c0 c1 rc sum
	declare -F "pre_$prog" >/dev/null && "pre_$prog"
	rm -f "$work/out" "$work/err"
	child_cpu c0
	t0=$(now)
	"run_$prog" >"$work/out" 2>"$work/err"
	rc=$?
	t1=$(now)
	child_cpu c1
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
	cpu=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", b - a }')
	st=$(describe_rc "$rc")
	sum=$(output_sum)
	[ -z "$st" ] && [ -n "${ref[$prog]-}" ] && [ "$sum" != "${ref[$prog]}" ] &&
		st=DIFF
	if [ -n "$st" ] || [ -s "$work/err" ]; then
		logf "== $prog under $name: ${st:-ok} (${secs} s, output $sum)"
		logf "   environment: ${aenv[*]}; command: $(declare -f "run_$prog" |
			sed -n '3,$p' | tr -s '\t\n' '  ')"
		head -c 2000 "$work/err" >>"$log"
	fi
}

# setup, and the untimed glibc run whose output is the reference (it also
# brings the program's files into the page cache)
prepare_programs() {
	local line p size min desc
	for line in "${PROGRAMS[@]}"; do
		read -r p size min desc <<<"$line"
		if [ -n "${BENCH_PROGRAMS:-}" ] &&
			[[ " $BENCH_PROGRAMS " != *" $p "* ]]; then
			continue
		fi
		prog=$p
		pool[$p]=$size
		minpool[$p]=$min
		what[$p]=$desc
		if ! "setup_$p" 2>>"$log"; then
			note "$p: setup failed or the program is not installed: skipped"
			continue
		fi
		name=glibc
		use_allocator glibc
		run_once
		if [ -n "$st" ]; then
			note "$p: the reference run under glibc failed ($st, see $log): skipped"
			continue
		fi
		ref[$p]=$(output_sum)
		progs+=("$p")
		echo "setup,$p,glibc,reference_md5,${ref[$p]}" >>"$csv"
		echo "setup,$p,vmmalloc,pool_size,$size" >>"$csv"
	done
}

# the disk directory: TMPDIR or /tmp, else /var/tmp, not tmpfs or ramfs
pick_disk_dir() {
	local d t
	for d in ${BENCH_PROG_DISK_DIR:-${TMPDIR:-/tmp} /var/tmp}; do
		t=$(stat -f -c %T "$d" 2>/dev/null) || continue
		case $t in tmpfs | ramfs) continue ;; esac
		[ -w "$d" ] || continue
		disk_dir=$d
		return 0
	done
	disk_dir=
	return 1
}

# "ext4 on /dev/vda (mounted on /)"
describe_fs() {
	df --output=fstype,source,target "$1" 2>/dev/null | awk 'NR == 2 {
		printf "%s on %s (mounted on %s)", $1, $2, $3 }'
}

select_allocators() {
	local line n h l w got
	for line in "${ALLOCATORS[@]}"; do
		read -r n h l w <<<"$line"
		if [ "$l" != - ] && [ ! -e "$l" ]; then
			case $n in
			vmm-*) note "$h: no $l (make lib builds it): skipped" ;;
			*) note "$h: not installed (no $l): skipped" ;;
			esac
			continue
		fi
		if [ "$w" = disk ] && [ -z "$disk_dir" ]; then
			note "$h: no pool directory that is not tmpfs: skipped"
			continue
		fi
		if [ "$w" = shm ] && [ ! -d "$shm_dir" ]; then
			note "$h: no $shm_dir: skipped"
			continue
		fi
		# does malloc really come from the library? churn --which says
		if [ "$l" != - ] && [ -x "$churn" ]; then
			prog=churn pool[churn]=${pool[churn]:-32M}
			lib[$n]=$l
			use_allocator "$n"
			got=$(x "$churn" --which 2>>"$log")
			if [[ "$got" != *"$(basename "$l")" ]]; then
				note "$h: LD_PRELOAD did not take effect (malloc from '$got'): skipped"
				[[ $n == vmm-* ]] && broken=1
				continue
			fi
			checks[$n]="malloc from $got"
		fi
		names+=("$n")
		lib[$n]=$l
		heading[$n]=${h//_/ }
	done
}

run_all() {
	local r i k n count=${#names[@]} pi=0
	for ((r = 0; r < reps; r++)); do
		pi=0
		for prog in "${progs[@]}"; do
			for ((i = 0; i < count; i++)); do
				k=$(((i + r + pi) % count))
				name=${names[$k]}
				use_allocator "$name"
				run_once
				printf '  rep %d  %-8s %-9s %8s s %s\n' $((r + 1)) \
					"$prog" "$name" "$secs" "$st" >&2
				{
					echo "run,$prog,$name,rep$((r + 1))_s,$secs"
					echo "run,$prog,$name,rep$((r + 1))_cpu_s,$cpu"
					echo "run,$prog,$name,rep$((r + 1))_status,${st:-ok}"
				} >>"$csv"
				if [ -n "$st" ]; then
					failures=$((failures + 1))
					status[$prog/$name]+="${status[$prog/$name]:+,}$st"
					[[ $name == vmm-* ]] && broken=1
				else
					best[$prog/$name]=$(awk -v a="$secs" \
						-v b="${best[$prog/$name]:-}" \
						'BEGIN { print (b == "" || a < b) ? a : b }')
				fi
			done
			pi=$((pi + 1))
		done
	done
}

# one more run per program under vmmalloc (shm) with VMMALLOC_LOG_STATS=1:
# every process that used the pool writes statistics to its own file
check_vmmalloc() {
	local f nproc inuse handed a b
	[[ " ${names[*]} " == *" vmm-shm "* ]] || return 0
	mkdir -p "$work/stats"
	for prog in "${progs[@]}"; do
		name=vmm-shm
		use_allocator vmm-shm stats
		run_once
		nproc=0 inuse=0 handed=0
		for f in "$work/stats/$prog-"*; do
			[ -e "$f" ] || continue
			nproc=$((nproc + 1))
			read -r a b < <(awk '
				/^  allocated:/ { u += $7 + $12 }
				/^Bins:/ { bins = 1; next }
				/^Large objects:/ { bins = 0 }
				bins && $1 ~ /^[0-9]+$/ { h += $10 }
				/^  nmalloc:/ { sub(",", "", $2); h += $2 }
				END { print u + 0, h + 0 }' "$f")
			inuse=$((inuse + a)) handed=$((handed + b))
		done
		{
			echo "check,$prog,vmm-shm,stats_processes,$nproc"
			echo "check,$prog,vmm-shm,objects_in_use_at_exit,$inuse"
			echo "check,$prog,vmm-shm,objects_handed_out,$handed"
		} >>"$csv"
		if [ -n "$st" ] || [ "$nproc" -eq 0 ] || [ "$handed" -eq 0 ]; then
			checks[$prog]="FAILED: ${st:-no statistics, the preload did not take effect} (see $log)"
			broken=1
		else
			checks[$prog]="$nproc process(es) used a pool; $handed objects handed out, $inuse in use at exit"
		fi
	done
}

# the cost of making the pool alone: /bin/true under libvmmalloc (and,
# for comparison, without it)
pool_cost() {
	local n t0 t1
	use_allocator glibc
	t0=$(now)
	env "${aenv[@]}" /bin/true
	t1=$(now)
	cost[base]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	for n in vmm-shm vmm-disk; do
		[[ " ${names[*]} " == *" $n "* ]] || continue
		for prog in "${progs[@]}"; do
			use_allocator "$n"
			t0=$(now)
			env "${aenv[@]}" /bin/true 2>>"$log"
			t1=$(now)
			cost[$prog/$n]=$(awk -v a="$t0" -v b="$t1" \
				'BEGIN { printf "%.3f", b - a }')
			echo "check,$prog,$n,true_with_pool_s,${cost[$prog/$n]}" >>"$csv"
		done
	done
}

# cell: the best time, "*" if some runs failed; the failures if all did
cell() {
	local k=$1/$2
	if [ -n "${best[$k]-}" ]; then
		printf '%.3f%s' "${best[$k]}" "${status[$k]:+*}"
	else
		printf '%s' "${status[$k]:-n/a}" | cut -d, -f1
	fi
}

print_table() {
	local line n p o b bo sp t gm fastest fv vv others=()
	printf '\nPrograms under LD_PRELOAD: wall time in seconds, best of %s\n' "$reps"
	line=$(printf '%-8s %5s' program pool)
	for n in "${names[@]}"; do line+=$(printf ' %13s' "${heading[$n]}"); done
	line+=$(printf '  %s' 'vmmalloc(shm)/best')
	printf '%s\n' "$line"
	for n in "${names[@]}"; do
		case $n in vmm-*) ;; *) others+=("$n") ;; esac
	done
	for p in "${progs[@]}"; do
		line=$(printf '%-8s %5s' "$p" "${pool[$p]}")
		for n in "${names[@]}"; do
			line+=$(printf ' %13s' "$(cell "$p" "$n")")
		done
		# the fastest of the others, and vmmalloc(shm)'s speed against it
		b='' bo=''
		for o in "${others[@]}"; do
			t=${best[$p/$o]-}
			[ -z "$t" ] && continue
			if [ -z "$b" ] || awk -v a="$t" -v b="$b" 'BEGIN { exit !(a < b) }'; then
				b=$t bo=$o
			fi
		done
		t=${best[$p/vmm-shm]-}
		if [ -n "$b" ] && [ -n "$t" ]; then
			sp=$(awk -v a="$b" -v b="$t" 'BEGIN { printf "%.2f", a / b }')
			line+=$(printf '  %5s (vs %s)' "$sp" "$bo")
			echo "best,$p,vmm-shm,speed_vs_fastest_other,$sp" >>"$csv"
			echo "best,$p,$bo,fastest_other,1" >>"$csv"
		else
			line+='      -'
		fi
		printf '%s\n' "$line"
		for n in "${names[@]}"; do
			[ -n "${best[$p/$n]-}" ] &&
				echo "best,$p,$n,seconds,${best[$p/$n]}" >>"$csv"
		done
	done

	# geometric means of the speed against glibc, over the programs where
	# every allocator has a time
	local full=() missing=()
	for p in "${progs[@]}"; do
		local ok=1
		for n in "${names[@]}"; do [ -n "${best[$p/$n]-}" ] || ok=0; done
		if [ "$ok" = 1 ]; then full+=("$p"); else missing+=("$p"); fi
	done
	declare -A geo=()
	line=$(printf '%-14s' 'geomean x glibc')
	for n in "${names[@]}"; do
		gm=-
		if [ "${#full[@]}" -gt 0 ] && [ -n "${best[${full[0]}/glibc]-}" ]; then
			gm=$(for p in "${full[@]}"; do
				echo "${best[$p/glibc]} ${best[$p/$n]}"
			done | awk '{ s += log($1 / $2); n++ }
				END { printf "%.3f", exp(s / n) }')
			echo "summary,all,$n,geomean_speed_vs_glibc,$gm" >>"$csv"
		fi
		geo[$n]=$gm
		line+=$(printf ' %13s' "$gm")
	done
	printf '%s\n' "$line"
	printf '  speed against glibc = glibc time / time (above 1: faster), geometric mean\n'
	printf '  over %s program(s)' "${#full[@]}"
	[ "${#missing[@]}" -gt 0 ] &&
		printf ' (left out, a column has no time: %s)' "${missing[*]}"
	printf '.\n  vmmalloc(shm)/best: time of the fastest of the others / vmmalloc(shm) time.\n'
	[ "$failures" -gt 0 ] &&
		printf '  *: some runs of that cell failed (see %s).\n' "$log"

	fastest='' fv=''
	for o in "${others[@]}"; do
		[ "${geo[$o]:--}" = - ] && continue
		if [ -z "$fv" ] || awk -v a="${geo[$o]}" -v b="$fv" 'BEGIN { exit !(a > b) }'; then
			fastest=$o fv=${geo[$o]}
		fi
	done
	vv=${geo[vmm-shm]:--}
	if [ -n "$fastest" ] && [ "$vv" != - ]; then
		local r met
		r=$(awk -v a="$vv" -v b="$fv" 'BEGIN { printf "%.3f", a / b }')
		met=$(awk -v r="$r" 'BEGIN { print (r >= 1.0 ? "met" : "NOT met") }')
		local failed=()
		for p in "${progs[@]}"; do
			[ -n "${status[$p/vmm-shm]-}" ] && failed+=("$p")
		done
		[ "${#failed[@]}" -gt 0 ] &&
			met="NOT met: vmmalloc(shm) runs failed for ${failed[*]}"
		printf '\nvmmalloc(shm) against the fastest other on the geometric mean (%s, %s x glibc):\n' \
			"$fastest" "$fv"
		printf '  %s x -- target >= 1.0: %s\n' "$r" "$met"
		echo "summary,all,vmm-shm,geomean_vs_fastest_other($fastest),$r" >>"$csv"
	fi
}

print_checks() {
	local n p
	printf '\nChecks:\n'
	for n in "${names[@]}"; do
		[ -n "${checks[$n]-}" ] && note "${heading[$n]}: $(printf '%s' "${checks[$n]}")"
	done
	for p in "${progs[@]}"; do
		[ -n "${checks[$p]-}" ] && note "$p under vmmalloc shm, VMMALLOC_LOG_STATS=1: ${checks[$p]}"
	done
	[ -n "${cost[base]-}" ] &&
		note "/bin/true under libvmmalloc, with each program's pool (alone: ${cost[base]} s):"
	for p in "${progs[@]}"; do
		local s=${cost[$p/vmm-shm]-} d=${cost[$p/vmm-disk]-}
		[ -n "$s$d" ] && note "  $p, ${pool[$p]}: shm ${s:--} s, disk ${d:--} s"
	done
	printf '\nThe programs:\n'
	for p in "${progs[@]}"; do
		note "$p: ${what[$p]}; pool ${pool[$p]} (smallest that ran: ${minpool[$p]})"
	done
}

print_header() {
	local v
	printf '\nPrograms benchmark (test/bench/programs.sh)  %s\n' \
		"$(date '+%Y-%m-%d %H:%M:%S %Z')"
	printf 'load average at the start: %s (%s CPUs)\n' \
		"$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)"
	v="python $("$PY" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null)"
	v+=", perl $("$PERL" -e 'printf "%vd", $^V' 2>/dev/null)"
	v+=", gcc $("$GCC" -dumpfullversion 2>/dev/null)"
	v+=", $("$GIT" --version 2>/dev/null)"
	v+=", sort $("$SORT" --version 2>/dev/null | head -n1 | awk '{ print $NF }')"
	printf '%s\n' "$v"
	printf 'libvmmalloc pools: shm in %s (%s), disk in %s (%s)\n' \
		"$shm_dir" "$(describe_fs "$shm_dir")" "${disk_dir:-none}" \
		"$( [ -n "$disk_dir" ] && describe_fs "$disk_dir")"
	[ -e "$vmmlib" ] && printf 'libvmmalloc: %s, built %s\n' "$vmmlib" \
		"$(date -r "$vmmlib" '+%Y-%m-%d %H:%M:%S')"
	printf 'inputs and outputs in %s\n' "$work"
}

main() {
	local t_start t_end
	t_start=$(now)
	mkdir -p "$build/bench"
	echo 'section,program,allocator,metric,value' >"$csv"
	: >"$log"
	local wd=${BENCH_PROG_WORK_DIR:-/dev/shm}
	[ -d "$wd" ] && [ -w "$wd" ] || wd=${TMPDIR:-/tmp}
	work=$(mktemp -d "$wd/vmbench-programs.XXXXXX") ||
		{ echo "programs.sh: cannot make a work directory" >&2; return 1; }
	trap 'rm -rf "$work"' EXIT
	trap 'exit 130' INT TERM
	pick_disk_dir
	print_header
	build_churn || { note "churn.c did not build (see $log)"; broken=1; }
	prepare_programs
	select_allocators
	echo "setup,all,vmm-disk,pool_dir,$disk_dir" >>"$csv"
	printf 'running %s program(s) x %s allocator(s) x %s (progress on stderr) ...\n' \
		"${#progs[@]}" "${#names[@]}" "$reps"
	run_all
	check_vmmalloc
	pool_cost
	print_table
	print_checks
	t_end=$(now)
	printf '\nload average at the end: %s; the programs part took %s s\n' \
		"$(cut -d' ' -f1-3 /proc/loadavg)" \
		"$(awk -v a="$t_start" -v b="$t_end" 'BEGIN { printf "%.0f", b - a }')"
	printf 'raw numbers: %s\n' "$csv"
	return "$broken"
}

main
