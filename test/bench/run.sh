#!/usr/bin/env bash
# run.sh BUILD -- runs the libvmem benchmark (BUILD/bench/bench) and prints
# the machine, a throughput table (operations per second of vmem against
# the system's malloc, other malloc implementations and the other heaps in
# a file, on workloads like those of mimalloc-bench) and a capacity table
# (how much of a VMEM_MIN_POOL pool the objects can fill).
# Raw numbers go to BUILD/bench/results.csv (a chart of them to
# BUILD/bench/throughput.png when gnuplot is installed), the program's messages to
# BUILD/bench/bench.log. See test/bench/README.md.
#
# Other allocators run in the same program in "system" mode (plain
# malloc/free) with their library in LD_PRELOAD; each run checks that
# malloc() really comes from that library. memkind and mi-arena, heaps in
# a file as vmem's pool is, are loaded by the program itself.
#
# Environment (all optional):
#   BENCH_DIR=/dev/shm        where vmem_create() makes its pools
#   BENCH_ALLOCATORS="..."    only these (names from the list below)
#   BENCH_WORKLOADS="..."     only these throughput rows, by the name in the
#                             table's first column ("small-cross churn")
#   BENCH_STEPS_SMALL=10M     operations per thread, small workloads (the
#                             4- and 8-thread rows take a fraction of it)
#   BENCH_STEPS_MIXED=2M      operations per thread, mixed and large workloads
#                             (likewise)
#   BENCH_STEPS_SERVER=1M     objects replaced per chain of threads, server
#   BENCH_STEPS_PRODCONS=512K objects per producer, prodcons
#   BENCH_STEPS_CACHE=20M     writes per thread, cache-thrash, cache-scratch
#   BENCH_STEPS_CHURN=100K    steps per thread, churn
#   BENCH_STEPS_HUGE=64       operations, huge (1 thread, 16 slots, 1 rep)
#   BENCH_SLOTS=4096          slots per thread (server, churn: live objects)
#   BENCH_ROUNDS=5            rounds: each runs every allocator once per
#                             workload, starting one further along the list
#                             each time; an allocator's best round counts
#   BENCH_REPS=2              repetitions inside each run (the best counts)
#   BENCH_MAX_SECONDS=8       no new repetition once the reps took this long
#   BENCH_TIMEOUT=120         a run taking longer is killed and reported
#   BENCH_POOL_SIZE=1G        size of the throughput pools
#
# Exits non-zero only when a vmem run broke (crash, timeout, vmem_create or
# vmem_check failing, a vmem_realloc losing an object's contents), after
# printing all.
set -u
export LC_ALL=C

build=${1:-build}
bin=$build/bench/bench
csv=$build/bench/results.csv
log=$build/bench/bench.log

dir=${BENCH_DIR:-/dev/shm}
steps_small=${BENCH_STEPS_SMALL:-10M}
steps_mixed=${BENCH_STEPS_MIXED:-2M}
steps_server=${BENCH_STEPS_SERVER:-1M}
steps_prodcons=${BENCH_STEPS_PRODCONS:-512K}
steps_cache=${BENCH_STEPS_CACHE:-20M}
steps_churn=${BENCH_STEPS_CHURN:-100K}
steps_huge=${BENCH_STEPS_HUGE:-64}
handoff=100000		# server: steps of a thread before its successor
writes=10000		# cache-*: writes of one object
slots=${BENCH_SLOTS:-4096}
rounds=${BENCH_ROUNDS:-5}
reps=${BENCH_REPS:-2}
max_seconds=${BENCH_MAX_SECONDS:-8}
run_timeout=${BENCH_TIMEOUT:-120}
pool_size=${BENCH_POOL_SIZE:-1G}

multiarch=$(${CC:-cc} -print-multiarch 2>/dev/null)
libdir=/usr/lib/${multiarch:-x86_64-linux-gnu}

# The allocators, one line each: name, library to LD_PRELOAD ("-": none;
# vmem uses its pool API, glibc is the default malloc; memkind's PMEM kind
# and mi-arena, mimalloc's heaps in an exclusive arena on a file mapped
# shared, are file-backed heaps in the same directory as vmem's pool,
# which the program loads itself: their library is only checked for) and
# a substring of the file malloc() must come from (checked by the program).
ALLOCATORS=(
	"vmem      -                                -"
	"glibc     -                                libc.so"
	"jemalloc  $libdir/libjemalloc.so.2         libjemalloc"
	"mimalloc  $libdir/libmimalloc.so.2         libmimalloc"
	"tcmalloc  $libdir/libtcmalloc_minimal.so.4 libtcmalloc"
	"memkind   $libdir/libmemkind.so.0          -"
	"mi-arena  $libdir/libmimalloc.so.2         -"
)

# the allocators that the program drives through their own API (a pool,
# a kind, an arena) rather than through malloc()
pool_style() {
	case $1 in vmem | memkind | mi-arena) return 0 ;; esac
	return 1
}

# "10M" -> 10485760, as the program reads it
to_num() {
	local n=${1%[kKmMgG]}
	case $1 in
	*[kK]) echo $((n << 10)) ;;
	*[mM]) echo $((n << 20)) ;;
	*[gG]) echo $((n << 30)) ;;
	*) echo "$n" ;;
	esac
}

# 10485760 -> "10M"
to_human() {
	if [ $(($1 % (1 << 20))) -eq 0 ]; then echo "$(($1 >> 20))M"
	elif [ $(($1 % 1024)) -eq 0 ]; then echo "$(($1 >> 10))K"
	else echo "$1"; fi
}

# Operations per thread. The rows with 4 and 8 threads (more threads
# than this machine's CPUs) do a fraction of the steps of the 1- and
# 2-thread rows, so that each takes about as long as one of those (mixed
# with 8 threads, and cross, are slower per operation for every peer).
small=$(to_num "$steps_small")
mixed=$(to_num "$steps_mixed")
small4=$((small / 10)) small8=$((small / 20))
small_cross4=$((small / 20)) small_cross8=$((small / 40))
mixed4=$((mixed / 8)) mixed8=$((mixed / 32))
mixed_cross4=$((mixed / 32)) mixed_cross8=$((mixed / 64))

# The throughput workloads: workload, threads, variant ("-" or "cross"),
# operations (steps) per thread, further options.
WORKLOADS=(
	"small         1 -     $small"
	"small         2 -     $small"
	"small         2 cross $small"
	"mixed         1 -     $mixed"
	"mixed         2 -     $mixed"
	"mixed         2 cross $mixed"
	"large         1 -     $mixed"
	"small         4 -     $small4"
	"small         8 -     $small8"
	"small         4 cross $small_cross4"
	"small         8 cross $small_cross8"
	"mixed         4 -     $mixed4"
	"mixed         8 -     $mixed8"
	"mixed         4 cross $mixed_cross4"
	"mixed         8 cross $mixed_cross8"
	"huge          1 -     $steps_huge --slots 16 --reps 1"
	"server        2 -     $steps_server --handoff $handoff"
	"prodcons      2 -     $steps_prodcons"
	"cache-thrash  2 -     $steps_cache --writes $writes"
	"cache-scratch 2 -     $steps_cache --writes $writes"
	"churn         2 -     $steps_churn"
)

# what one operation of a workload is, as the table's unit column says it
unit() {
	case $1 in
	huge) echo call/s ;;
	server | prodcons) echo Mobj/s ;;
	cache-*) echo Mwrite/s ;;
	*) echo Mcall/s ;;
	esac
}

# the unit's divisor
unit_scale() {
	case $(unit "$1") in M*) echo 1e6 ;; *) echo 1 ;; esac
}

# The capacity runs: object size, threads.
CAPACITY=(
	"64 1"
	"4096 1"
	"102400 1"
	"4096 2"
)

declare -A lib expect status succeeded failures failure_kind
names=()	# allocators that run, in table order
broken=0

die() { printf 'run.sh: %s\n' "$*" >&2; exit 2; }

# prints the header: machine, date, versions
print_machine() {
	local cpu glibc jem
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
	glibc=$(ldd --version 2>/dev/null | head -n1 | awk '{print $NF}')
	jem=$(dpkg-query -W -f '${Version}' libjemalloc2 2>/dev/null)
	printf 'libvmem benchmark  %s\n' "$(date '+%Y-%m-%d %H:%M:%S %Z')"
	printf 'machine: %s CPUs (nproc), %s\n' "$(nproc)" "${cpu:-unknown CPU}"
	printf 'kernel %s, glibc %s, jemalloc %s\n' "$(uname -r)" \
		"${glibc:-?}" "${jem:-?}"
	printf 'pools in %s (%s)\n\n' "$dir" \
		"$(stat -f -c %T "$dir" 2>/dev/null || echo '?')"
}

# fills names/lib/expect from ALLOCATORS, noting those not installed
select_allocators() {
	local line name path exp
	for line in "${ALLOCATORS[@]}"; do
		read -r name path exp <<<"$line"
		if [ -n "${BENCH_ALLOCATORS:-}" ] &&
			[[ " $BENCH_ALLOCATORS " != *" $name "* ]]; then
			continue
		fi
		if [ "$path" != - ] && [ ! -e "$path" ]; then
			printf '%-9s not installed (no %s): skipped\n' \
				"$name" "$path"
			continue
		fi
		names+=("$name")
		lib[$name]=$path
		expect[$name]=$exp
	done
	echo
}

# describes an exit status: "" for success
describe_rc() {
	local rc=$1
	case $rc in
	0) ;;
	124) echo TIMEOUT ;;
	2) echo ERROR ;;
	3) echo NO-PRELOAD ;;
	4) echo CHECK-FAIL ;;
	*) if [ "$rc" -gt 128 ]; then echo "SIG$((rc - 128))"
	   else echo "EXIT$rc"; fi ;;
	esac
}

# runs the program: run KEY [LD_PRELOAD] -- ARGS...; appends its CSV rows
# when it succeeds. A run of vmem that breaks marks its cell for good and
# fails the benchmark; a peer that breaks in some rounds keeps the best of
# the others, and the table says how often it broke.
run() {
	local key=$1 preload=$2 out rc why
	shift 3
	out=$(mktemp)
	printf '== %s\n' "$*" >>"$log"
	if [ "$preload" = - ]; then
		timeout "$run_timeout" "$bin" "$@" >"$out" 2>>"$log"
	else
		LD_PRELOAD=$preload timeout "$run_timeout" "$bin" "$@" \
			>"$out" 2>>"$log"
	fi
	rc=$?
	if [ "$rc" -eq 0 ]; then
		cat "$out" >>"$csv"
		succeeded[$key]=1
	else
		why=$(describe_rc "$rc")
		failures[$key]=$((${failures[$key]:-0} + 1))
		failure_kind[$key]=$why
		case $key in
		vmem/* | capacity/*) status[$key]=$why; broken=1 ;;
		esac
		printf '  %s: %s (see %s)\n' "$key" "$why" "$log" >&2
	fi
	rm -f "$out"
}

# true when KEY has a number for the table: it succeeded at least once
# and, for vmem, never broke
usable() {
	[ -z "${status[$1]-}" ] && [ -n "${succeeded[$1]-}" ]
}

# value of METRIC in the rows of SECTION,LABEL,WORKLOAD,THREADS: the
# largest when several rounds wrote one
value() {
	awk -F, -v s="$1" -v l="$2" -v w="$3" -v t="$4" -v m="$5" \
		'$1 == s && $2 == l && $3 == w && $4 == t && $5 == m &&
			(v == "" || $6 + 0 > v + 0) { v = $6 } END { print v }' \
		"$csv"
}

# "mixed 2 cross ..." -> "mixed-cross"
row_name() {
	local size threads variant
	read -r size threads variant _ <<<"$1"
	[ "$variant" = cross ] && size+=-cross
	echo "$size"
}

# drops the rows of WORKLOADS that BENCH_WORKLOADS does not name
select_workloads() {
	local wl kept=()
	[ -n "${BENCH_WORKLOADS:-}" ] || return 0
	for wl in "${WORKLOADS[@]}"; do
		[[ " $BENCH_WORKLOADS " == *" $(row_name "$wl") "* ]] &&
			kept+=("$wl")
	done
	[ ${#kept[@]} -gt 0 ] || die "BENCH_WORKLOADS names no row"
	WORKLOADS=("${kept[@]}")
}

# one run of allocator NAME on workload WL (a line of WORKLOADS)
run_one() {
	local name=$1 wl=$2 size threads variant steps extra args key pre w
	read -r size threads variant steps extra <<<"$wl"
	w=$(row_name "$wl")
	args=(throughput --workload "$size" --threads "$threads"
		--steps "$steps" --slots "$slots" --reps "$reps"
		--max-seconds "$max_seconds" --label "$name")
	[ "$variant" = cross ] && args+=(--cross)
	# shellcheck disable=SC2206	# the options, split on purpose
	[ -n "$extra" ] && args+=($extra)
	pre=${lib[$name]}
	if pool_style "$name"; then
		args+=(--alloc "$name" --dir "$dir" --pool-size "$pool_size")
		pre=-	# the program calls it (memkind, mi-arena: dlopen)
	else
		args+=(--alloc system --expect-lib "${expect[$name]}")
	fi
	key="$name/$w/$threads"
	printf '  %-9s %-14s %s thread(s)\n' "$name" "$w" "$threads" >&2
	run "$key" "$pre" -- "${args[@]}"
}

# every workload under every allocator, in rounds that interleave the
# allocators (a slow spell of the machine then hits them all alike)
run_throughput() {
	local r wl i n=${#names[@]}
	for ((r = 0; r < rounds; r++)); do
		printf ' round %d of %d\n' $((r + 1)) "$rounds" >&2
		for wl in "${WORKLOADS[@]}"; do
			for ((i = 0; i < n; i++)); do
				run_one "${names[(i + r) % n]}" "$wl"
			done
		done
	done
}

# 4096 -> "4 KiB"
human_size() {
	if [ $(($1 % 1024)) -eq 0 ]; then echo "$(($1 / 1024)) KiB"
	else echo "$1 B"; fi
}

run_capacity() {
	local c size threads
	for c in "${CAPACITY[@]}"; do
		read -r size threads <<<"$c"
		printf '  capacity  %-12s %s thread(s)\n' "$(human_size "$size")" \
			"$threads" >&2
		run "capacity/$size/$threads" - -- capacity --size "$size" \
			--threads "$threads" --dir "$dir"
	done
}

# one cell of the throughput table: Mops/s, or why there is none
cell() {
	local key=$1/$2/$3 v f
	if ! usable "$key"; then
		printf '%s' "${status[$key]:-${failure_kind[$key]:-n/a}}"
		return
	fi
	v=$(value throughput "$1" "$2" "$3" ops_per_s_best)
	f=$(value throughput "$1" "$2" "$3" failed_allocs)
	[ -z "$v" ] && { printf 'n/a'; return; }
	awk -v v="$v" -v f="${f:-0}" -v b="${failures[$key]:-0}" \
		-v s="$(unit_scale "${2%-cross}")" \
		'BEGIN { printf "%.2f%s%s", v / s, (b > 0 ? "!" : ""),
			(f > 0 ? "*" : "") }'
}

ratio() {
	local a b
	a=$(value throughput vmem "$2" "$3" ops_per_s_best)
	b=$(value throughput "$1" "$2" "$3" ops_per_s_best)
	if [ -z "$a" ] || [ -z "$b" ] || ! usable "vmem/$2/$3" ||
		! usable "$1/$2/$3"; then
		printf -- '-'
		return
	fi
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}

print_throughput() {
	local wl size threads w name line
	printf 'Throughput: operations per second, in the unit of each row (best of %s interleaved rounds)\n' \
		"$rounds"
	line=$(printf '%-14s %3s %-8s' workload thr unit)
	for name in "${names[@]}"; do line+=$(printf ' %10s' "$name"); done
	for name in "${names[@]}"; do
		[ "$name" = vmem ] || line+=$(printf ' %14s' "vmem/$name")
	done
	printf '%s\n' "$line"
	for wl in "${WORKLOADS[@]}"; do
		read -r size threads _ <<<"$wl"
		w=$(row_name "$wl")
		line=$(printf '%-14s %3s %-8s' "$w" "$threads" "$(unit "$size")")
		for name in "${names[@]}"; do
			line+=$(printf ' %10s' "$(cell "$name" "$w" "$threads")")
		done
		for name in "${names[@]}"; do
			[ "$name" = vmem ] ||
				line+=$(printf ' %14s' "$(ratio "$name" "$w" "$threads")")
		done
		printf '%s\n' "$line"
	done
	print_notes
	print_breakages
	echo
}

# what the rows do, under the table
print_notes() {
	printf '  units: (millions of) calls (malloc, free, realloc), objects (each allocated\n'
	printf '  and freed once) or writes (of an 8-byte object) per second.\n'
	printf '  small: 8-512 B uniform; mixed: 8 B-256 KiB log-uniform; large: 16-256 KiB\n'
	printf '  log-uniform (the part of mixed above the small classes); huge: 1-32 MiB\n'
	printf '  log-uniform, every page written, 16 slots, %s operations; %s slots/thread;\n' \
		"$steps_huge" "$slots"
	printf '  operations per thread: %s (small) / %s (mixed, large) with 1 and 2 threads;\n' \
		"$(to_human "$small")" "$(to_human "$mixed")"
	printf '  with 4 / 8 threads: small %s / %s, small-cross %s / %s, mixed %s / %s,\n' \
		"$(to_human $small4)" "$(to_human $small8)" \
		"$(to_human $small_cross4)" "$(to_human $small_cross8)" \
		"$(to_human $mixed4)" "$(to_human $mixed8)"
	printf '  mixed-cross %s / %s. cross: every free is of an object another thread\n' \
		"$(to_human $mixed_cross4)" "$(to_human $mixed_cross8)"
	printf '  allocated (thread t frees those of thread t+1).\n'
	printf '  server (larson): %s live objects of 16-1024 B per thread, each step replaces\n' \
		"$slots"
	printf '  one; every %s steps a new thread takes over the array; %s steps a chain.\n' \
		"$handoff" "$steps_server"
	printf '  prodcons (xmalloc-test): 1 thread allocates %s objects of 8-512 B, the other\n' \
		"$steps_prodcons"
	printf '  frees them; batches of 256 through a locked queue.\n'
	printf '  cache-thrash, cache-scratch (Hoard): 8-byte objects, each incremented %s times\n' \
		"$writes"
	printf '  then freed, %s writes a thread; scratch: each thread first frees an object the\n' \
		"$steps_cache"
	printf '  main thread allocated next to the others'"'"' (an allocator that hands it back to\n'
	printf '  that thread makes threads write one cache line: false sharing, a low figure).\n'
	printf '  churn (mstress): live sets grow to %s objects of 8 B-64 KiB and shrink to 1/8,\n' \
		"$slots"
	printf '  1/8 of the steps realloc, 1/4 of the freed objects go to the other thread; %s\n' \
		"$steps_churn"
	printf '  steps a thread. *: some allocations returned NULL.\n'
}

# the peers' runs that broke: "!" in their cells
print_breakages() {
	local key
	for key in $(printf '%s\n' "${!failures[@]}" | sort); do
		usable "$key" || continue
		printf '  !: %s broke (%s) in %s of %s rounds; the best of the others counts\n' \
			"$key" "${failure_kind[$key]}" "${failures[$key]}" "$rounds"
	done
}

# the throughput table as a bar chart, build/bench/throughput.png, when
# gnuplot (Debian gnuplot-nox) is installed
plot_throughput() {
	local png=$build/bench/throughput.png dat=$build/bench/throughput.dat i
	local wl size threads w name v col
	command -v gnuplot >/dev/null 2>&1 || {
		printf 'no gnuplot: no plot (apt-get install gnuplot-nox)\n'
		return 0
	}
	{
		printf 'workload'
		for name in "${names[@]}"; do printf ' %s' "$name"; done
		printf '\n'
		for wl in "${WORKLOADS[@]}"; do
			read -r size threads _ <<<"$wl"
			w=$(row_name "$wl")
			# one scale: the rows counted in millions of calls or objects
			case $(unit "$size") in Mcall/s | Mobj/s) ;; *) continue ;; esac
			printf '"%s, %s thr"' "$w" "$threads"
			for name in "${names[@]}"; do
				v=$(value throughput "$name" "$w" "$threads" ops_per_s_best)
				usable "$name/$w/$threads" || v=
				awk -v v="$v" 'BEGIN { printf " %s", v == "" ? "?" : v / 1e6 }'
			done
			printf '\n'
		done
	} >"$dat"
	col=""
	for ((i = 2; i <= ${#names[@]} + 1; i++)); do
		col+="${col:+, }'$dat' using $i:xtic(1) title columnheader($i)"
	done
	gnuplot <<-GP 2>>"$log" || { printf 'gnuplot failed (see %s)\n' "$log"; return 0; }
		set terminal pngcairo size 1800,560 font ",10"
		set output "$png"
		set title "throughput, millions of calls or objects per second ($(nproc) CPUs, best of $rounds rounds)"
		set style data histograms
		set style histogram clustered gap 1
		set style fill solid 0.9 border -1
		set datafile missing "?"
		set key top right
		set grid ytics
		set xtics rotate by -35
		set yrange [0:*]
		plot $col
	GP
	printf 'plot: %s\n' "$png"
}

print_capacity() {
	local c size threads st objs pct refill per late
	printf 'Capacity: a pool of VMEM_MIN_POOL (14 MiB) filled until vmem_malloc() returns NULL\n'
	printf '%-12s %3s %9s %9s %14s  %s\n' "object size" thr objects filled \
		"after refill" "objects per thread"
	for c in "${CAPACITY[@]}"; do
		read -r size threads <<<"$c"
		st=${status[capacity/$size/$threads]-}
		objs=$(value capacity vmem "$size" "$threads" objects)
		pct=$(value capacity vmem "$size" "$threads" fill_pct)
		refill=$(value capacity vmem "$size" "$threads" refill_pct)
		per=$(awk -F, -v w="$size" -v t="$threads" \
			'$1 == "capacity" && $3 == w && $4 == t &&
			 $5 ~ /^objects_thread/ { s = s (s ? " + " : "") $6 }
			 END { print s }' "$csv")
		late=$(value capacity vmem "$size" "$threads" \
			objects_after_first_null)
		[ -n "$late" ] && per+=" ($late after the first NULL)"
		[ -n "$pct" ] && pct=$(printf '%.1f%%' "$pct")
		[ -n "$refill" ] && refill=$(printf '%.1f%%' "$refill")
		printf '%-12s %3s %9s %9s %14s  %s\n' "$(human_size "$size")" \
			"$threads" \
			"${objs:-${st:-n/a}}" "${pct:-${st:-n/a}}" "${refill:--}" \
			"$per"
	done
	printf '  filled = objects x size / VMEM_MIN_POOL. PMDK libvmem: 56.5%% at 4 KiB; target >= 90%%.\n'
	printf '  after the first NULL: objects other threads still got once one thread got\n'
	printf '  NULL (0 or 1: fine; more: a NULL while the pool had room).\n'
}

main() {
	[ -x "$bin" ] || die "$bin not found: run 'make bench'"
	[ -d "$dir" ] || die "pool directory $dir does not exist"
	mkdir -p "$build/bench"
	echo 'section,label,workload,threads,metric,value' >"$csv"
	: >"$log"

	print_machine
	select_allocators
	select_workloads
	printf 'running (progress on stderr, messages in %s) ...\n' "$log"
	run_throughput
	run_capacity
	echo
	if grep -q '^bench: ' "$log"; then
		printf 'messages from the benchmark:\n'
		grep '^bench: ' "$log" | sed 's/^/  /'
		echo
	fi
	print_throughput
	print_capacity
	plot_throughput
	printf '\nraw numbers: %s\n' "$csv"
	# real programs under each malloc and libvmmalloc (see programs.sh)
	"$(dirname "$0")/programs.sh" "$build" || broken=1
	# what a pool costs a program that barely uses it (see startup.sh)
	"$(dirname "$0")/startup.sh" "$build" || broken=1
	# libvmmalloc's DRAM tier against memkind's memtier (see tiering.sh)
	"$(dirname "$0")/tiering.sh" "$build" || broken=1
	return "$broken"
}

main
