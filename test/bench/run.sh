#!/usr/bin/env bash
# run.sh BUILD -- runs the libvmem benchmark (BUILD/bench/bench) and prints
# the machine, a throughput table (malloc+free operations per second of
# vmem against the system's malloc and other malloc implementations) and a
# capacity table (how much of a VMEM_MIN_POOL pool the objects can fill).
# Raw numbers go to BUILD/bench/results.csv (a chart of them to
# BUILD/bench/throughput.png when gnuplot is installed), the program's messages to
# BUILD/bench/bench.log. See test/bench/README.md.
#
# Other allocators run in the same program in "system" mode (plain
# malloc/free) with their library in LD_PRELOAD; each run checks that
# malloc() really comes from that library.
#
# Environment (all optional):
#   BENCH_DIR=/dev/shm        where vmem_create() makes its pools
#   BENCH_ALLOCATORS="..."    only these (names from the list below)
#   BENCH_STEPS_SMALL=10M     operations per thread, small workloads
#   BENCH_STEPS_MIXED=2M      operations per thread, mixed and large workloads
#   BENCH_SLOTS=4096          slots per thread
#   BENCH_ROUNDS=5            rounds: each runs every allocator once per
#                             workload, starting one further along the list
#                             each time; an allocator's best round counts
#   BENCH_REPS=2              repetitions inside each run (the best counts)
#   BENCH_MAX_SECONDS=8       no new repetition once the reps took this long
#   BENCH_TIMEOUT=120         a run taking longer is killed and reported
#   BENCH_POOL_SIZE=1G        size of the throughput pools
#
# Exits non-zero only when a vmem run broke (crash, timeout, vmem_create or
# vmem_check failing, LD_PRELOAD not taking effect), after printing all.
set -u
export LC_ALL=C

build=${1:-build}
bin=$build/bench/bench
csv=$build/bench/results.csv
log=$build/bench/bench.log

dir=${BENCH_DIR:-/dev/shm}
steps_small=${BENCH_STEPS_SMALL:-10M}
steps_mixed=${BENCH_STEPS_MIXED:-2M}
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
# is a file-backed heap in the same directory as vmem's pool, which the
# program loads itself) and a substring of the file malloc() must come
# from (checked by the program).
ALLOCATORS=(
	"vmem      -                                -"
	"glibc     -                                libc.so"
	"jemalloc  $libdir/libjemalloc.so.2         libjemalloc"
	"mimalloc  $libdir/libmimalloc.so.2         libmimalloc"
	"tcmalloc  $libdir/libtcmalloc_minimal.so.4 libtcmalloc"
	"memkind   $libdir/libmemkind.so.0          -"
)

# The throughput workloads: size distribution, threads, variant.
WORKLOADS=(
	"small 1"
	"small 2"
	"small 2 cross"
	"mixed 1"
	"mixed 2"
	"mixed 2 cross"
	"large 1"
)

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

# one run of allocator NAME on workload WL ("size threads [cross]")
run_one() {
	local name=$1 wl=$2 size threads cross args steps key pre
	read -r size threads cross <<<"$wl"
	steps=$steps_small
	[ "$size" = small ] || steps=$steps_mixed
	args=(throughput --workload "$size" --threads "$threads"
		--steps "$steps" --slots "$slots" --reps "$reps"
		--max-seconds "$max_seconds" --label "$name")
	[ -n "$cross" ] && args+=(--cross)
	if [ "$name" = vmem ] || [ "$name" = memkind ]; then
		args+=(--alloc "$name" --dir "$dir" --pool-size "$pool_size")
	else
		args+=(--alloc system --expect-lib "${expect[$name]}")
	fi
	key="$name/$size${cross:+-$cross}/$threads"
	printf '  %-9s %-12s %s thread(s)\n' "$name" \
		"$size${cross:+-$cross}" "$threads" >&2
	pre=${lib[$name]}
	[ "$name" = memkind ] && pre=-	# loaded by the program
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
		'BEGIN { printf "%.2f%s%s", v / 1e6, (b > 0 ? "!" : ""),
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
	local wl size threads cross w name line
	printf 'Throughput: malloc+free calls per second, millions (best of %s interleaved rounds)\n' \
		"$rounds"
	line=$(printf '%-12s %3s' workload thr)
	for name in "${names[@]}"; do line+=$(printf ' %10s' "$name"); done
	for name in "${names[@]}"; do
		[ "$name" = vmem ] || line+=$(printf ' %14s' "vmem/$name")
	done
	printf '%s\n' "$line"
	for wl in "${WORKLOADS[@]}"; do
		read -r size threads cross <<<"$wl"
		w=$size${cross:+-$cross}
		line=$(printf '%-12s %3s' "$w" "$threads")
		for name in "${names[@]}"; do
			line+=$(printf ' %10s' "$(cell "$name" "$w" "$threads")")
		done
		for name in "${names[@]}"; do
			[ "$name" = vmem ] ||
				line+=$(printf ' %14s' "$(ratio "$name" "$w" "$threads")")
		done
		printf '%s\n' "$line"
	done
	printf '  small: 8-512 B uniform; mixed: 8 B-256 KiB log-uniform; large: 16-256 KiB\n'
	printf '  log-uniform (the part of mixed above the small classes); %s slots/thread;\n' \
		"$slots"
	printf '  %s (small) / %s (mixed, large) operations per thread; cross: every free is\n' \
		"$steps_small" "$steps_mixed"
	printf '  of an object the other thread allocated. *: some allocations returned NULL.\n'
	print_breakages
	echo
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
	local wl size threads cross w name v col
	command -v gnuplot >/dev/null 2>&1 || {
		printf 'no gnuplot: no plot (apt-get install gnuplot-nox)\n'
		return 0
	}
	{
		printf 'workload'
		for name in "${names[@]}"; do printf ' %s' "$name"; done
		printf '\n'
		for wl in "${WORKLOADS[@]}"; do
			read -r size threads cross <<<"$wl"
			w=$size${cross:+-$cross}
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
		set terminal pngcairo size 1100,500 font ",10"
		set output "$png"
		set title "malloc+free throughput, millions of calls per second ($(nproc) CPUs, best of $rounds rounds)"
		set style data histograms
		set style histogram clustered gap 1
		set style fill solid 0.9 border -1
		set datafile missing "?"
		set key top right
		set grid ytics
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
	return "$broken"
}

main
