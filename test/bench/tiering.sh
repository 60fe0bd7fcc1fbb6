#!/usr/bin/env bash
# tiering.sh BUILD -- the tiering row of `make bench`: one program
# (tiering.c: 200000 live objects of 16..4096 bytes, 4 M random
# replacements) with a DRAM tier and a far tier that is a file in the same
# directory, under
#   vmem      libvmmalloc, VMMALLOC_DRAM_RATIO=D:P (its pool: the far tier)
#   memtier   memkind's libmemtier, KIND:DRAM and KIND:FS_DAX in the same
#             directory, RATIO D and P, POLICY:DYNAMIC_THRESHOLD (the
#             moving threshold, as vmem's) and POLICY:STATIC_RATIO
# in interleaved rounds; prints each one's median steps per second and
# the DRAM share of the live bytes it reached, and vmem against memtier.
#
# Environment: BENCH_DIR (default /dev/shm), BENCH_TIERING_RATIO (1:4),
# BENCH_TIERING_ROUNDS (5). memtier comes with Debian's libmemkind0
# (test/bench/deps.sh); without it only vmem runs, and it says so.
set -u
build=${1:?usage: tiering.sh BUILD}
prog=$build/bench/tiering
lib=$(cd "$build" && pwd)/libvmmalloc.so.1
ratio=${BENCH_TIERING_RATIO:-1:4}
rounds=${BENCH_TIERING_ROUNDS:-5}
d=${ratio%:*} p=${ratio#*:}
memtier=$(ldconfig -p | awk '/libmemtier\.so\.0 / { print $NF; exit }')
dir=$(mktemp -d "${BENCH_DIR:-/dev/shm}/tiering.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT

run() {	# run NAME: one run, appends "NAME steps/s share" to $dir/results
	local out
	case $1 in
	vmem)
		out=$(env VMMALLOC_POOL_DIR="$dir" VMMALLOC_POOL_SIZE=2G \
			VMMALLOC_DRAM_RATIO="$ratio" LD_PRELOAD="$lib" \
			"$prog" "$dir") ;;
	memtier-*)
		out=$(env LD_PRELOAD="$memtier" MEMKIND_MEM_TIERS="KIND:DRAM,RATIO:$d;KIND:FS_DAX,PATH:$dir,RATIO:$p;POLICY:${1#memtier-}" \
			"$prog" "$dir") ;;
	esac
	local rate share
	rate=$(sed -n 's/.*: \([0-9]*\) steps\/s.*/\1/p' <<< "$out")
	share=$(sed -n 's/.*DRAM share \([0-9.]*\)%.*/\1/p' <<< "$out")
	if [ -z "$rate" ]; then
		echo "tiering: $1 did not run: $out" >&2
		return
	fi
	echo "$1 $rate $share" >> "$dir/results"
}

names=(vmem)
if [ -n "$memtier" ]; then
	names+=(memtier-DYNAMIC_THRESHOLD memtier-STATIC_RATIO)
else
	echo "tiering: libmemtier.so.0 is not installed (Debian's libmemkind0): vmem alone"
fi
for r in $(seq "$rounds"); do
	for k in $(seq 0 $((${#names[@]} - 1))); do
		run "${names[(k + r) % ${#names[@]}]}"
	done
done

echo
echo "Tiering (tiering.c, DRAM:far $ratio, far tier a file in ${BENCH_DIR:-/dev/shm}; median of $rounds interleaved rounds):"
echo
echo "| allocator | steps/s | DRAM share of live bytes | asked |"
echo "| --- | --- | --- | --- |"
python3 - "$dir/results" "$d" "$p" <<'PY'
import statistics as st, sys, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    n, rate, share = line.split()
    rows[n].append((float(rate), float(share)))
asked = 100.0 * int(sys.argv[2]) / (int(sys.argv[2]) + int(sys.argv[3]))
med = {}
for n in sorted(rows):
    rate = st.median(r for r, _ in rows[n])
    share = st.median(s for _, s in rows[n])
    med[n] = rate
    print("| %s | %.2f M | %.1f%% | %.1f%% |" % (n, rate / 1e6, share, asked))
for n in sorted(med):
    if n != "vmem":
        print("\nvmem / %s: %.2f x" % (n, med["vmem"] / med[n]), end="")
print()
PY
