#!/usr/bin/env bash
# tiers.sh BUILD -- libvmmalloc's DRAM tier (tiers.c in src/interpose),
# through tiers.c here: objects below VMMALLOC_DRAM_THRESHOLD land in the
# DRAM tier's anonymous mapping and the rest in the pool file's, through
# every function of the family, with the release and the debug library;
# realloc across the threshold moves an object with its contents, both
# ways; VMMALLOC_DRAM_RATIO keeps DRAM's share of the live bytes within 3
# points of D/(D+P) for three ratios on a spread of sizes; a DRAM cap
# reached mid-run sends the rest to the pool; without a policy everything
# is in the pool; VMMALLOC_LOG_STATS prints the tiers' figures; the
# launcher's --dram-* options set the variables; a program that forks
# runs with two tiers in each VMMALLOC_FORK mode.
source "$(dirname "$0")/helpers.bash" "$@"

# tier NAME LIB VARS... -- ARGS: tiers ARGS in a fresh pool directory
tier() {
	local name=$1 lib=$2; shift 2
	local vars=()
	while [ "$1" != -- ]; do vars+=("$1"); shift; done
	shift
	local dir
	dir=$(newdir)
	vrun "$name" LD_PRELOAD="$lib" VMMALLOC_POOL_DIR="$dir" \
		VMMALLOC_POOL_SIZE=512M "${vars[@]}" -- "$TBIN/tiers" "$@"
	if [ "$RC" -eq 0 ]; then
		ok "$name: $(tail -n 1 "$SCRATCH/$name.out")"
	else
		fail "$name: $(rc_text "$RC")"
		show "$SCRATCH/$name.out"
		show "$SCRATCH/$name.err"
	fi
	empty_dir "$dir" "$name"
}

for lib in "$LIB" "$DLIB"; do
	which=release
	[ "$lib" = "$DLIB" ] && which=debug
	tier "$which none" "$lib" -- none
	tier "$which place 1K" "$lib" VMMALLOC_DRAM_THRESHOLD=1K -- place 1024
	tier "$which place 64K" "$lib" VMMALLOC_DRAM_THRESHOLD=64K -- place 65536
	tier "$which spill" "$lib" VMMALLOC_DRAM_THRESHOLD=4K \
		VMMALLOC_DRAM_MAX=16M -- spill
done
for r in 1:3 1:1 3:1; do
	tier "ratio $r" "$LIB" VMMALLOC_DRAM_RATIO=$r -- ratio ${r%:*} ${r#*:}
done

# the statistics at exit name both tiers and the share reached
tier "statistics" "$LIB" VMMALLOC_DRAM_RATIO=1:3 VMMALLOC_LOG_STATS=1 -- \
	ratio 1 3
for want in "___ libvmmalloc tiers ___" "policy: DRAM:pool bytes 1:3" \
		"DRAM share of the bytes in use: " "asked for: 25.0%" \
		"The DRAM tier:"; do
	grep -qF "$want" "$SCRATCH/statistics.err" ||
		fail "VMMALLOC_LOG_STATS=1 does not print '$want'"
done

# the launcher's options become the variables
vrun launcher -- "$BUILD/vmmalloc" --dir "$(newdir)" --size 64M \
	--dram-ratio 2:5 --dram-max 32MiB -- env
grep -qx "VMMALLOC_DRAM_RATIO=2:5" "$SCRATCH/launcher.out" &&
	grep -qx "VMMALLOC_DRAM_MAX=33554432" "$SCRATCH/launcher.out" ||
	fail "vmmalloc --dram-ratio 2:5 --dram-max 32MiB did not set the variables"
vrun launcher -- "$BUILD/vmmalloc" --dir "$(newdir)" --size 64M \
	--dram-threshold 2K -- env
grep -qx "VMMALLOC_DRAM_THRESHOLD=2048" "$SCRATCH/launcher.out" ||
	fail "vmmalloc --dram-threshold 2K did not set the variable"
for bad in "--dram-ratio 1:0" "--dram-threshold 0" "--dram-max 1M --dram-ratio 1:2" \
		"--dram-max 16M" "--dram-ratio 1:2 --dram-threshold 1K"; do
	# shellcheck disable=SC2086
	vrun launcher -- "$BUILD/vmmalloc" $bad -- true
	[ "$RC" -eq 2 ] && grep -q "^vmmalloc: " "$SCRATCH/launcher.err" ||
		fail "vmmalloc $bad: $(rc_text "$RC"), want 2 and one line"
done

# a forking program with two tiers, each fork mode
for mode in 1 2 3; do
	same "bash forks, VMMALLOC_FORK=$mode, two tiers" "$mode" 64M -- \
		env VMMALLOC_DRAM_THRESHOLD=512 bash -c \
		'for i in 1 2 3; do x=$(echo "$i" | tr 0-9 a-j); echo "$x"; done'
done
finish
