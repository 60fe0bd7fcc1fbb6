#!/usr/bin/env bash
# startup.sh BUILD -- what a pool costs a program that barely uses it:
# the wall time of /bin/true started through the launcher (BUILD/vmmalloc)
# with pools of 1 GiB, 16 GiB and 1 TiB, against /bin/true alone, with the
# pool on /dev/shm (tmpfs) and on a disk file system; and the blocks the
# pool file holds while a program that allocates nothing runs (sleep).
# Called by run.sh (make bench); see test/bench/README.md.
#
# The time of a row is the median of BENCH_START_REPS runs (bash's
# EPOCHREALTIME around the command, so fork and exec are in every row;
# compare rows with the "no pool" row of the same run). A pool size the
# directory's file system has no room for is shown as "no room": the
# launcher refuses it at start-up (ENOSPC), which is not a time.
#
# Environment (all optional):
#   BENCH_START_REPS=21          runs per row
#   BENCH_START_SHM_DIR=/dev/shm the tmpfs directory
#   BENCH_START_DISK_DIR=...     the disk directory (default $TMPDIR or
#                                /tmp, else /var/tmp: the first that is
#                                not tmpfs)
#
# Exits 1 when a run with a pool the file system has room for fails.
set -u
export LC_ALL=C

build=${1:-build}
launcher=$build/vmmalloc
reps=${BENCH_START_REPS:-21}
shm_dir=${BENCH_START_SHM_DIR:-/dev/shm}
sizes=(1G 16G 1T)
broken=0

# the first candidate directory that is not on tmpfs (or ramfs)
disk_dir() {
	local d
	for d in ${BENCH_START_DISK_DIR:-} ${TMPDIR:-} /tmp /var/tmp; do
		[ -d "$d" ] && [ -w "$d" ] || continue
		case $(stat -f -c %T "$d" 2>/dev/null) in
		tmpfs | ramfs) continue ;;
		esac
		echo "$d"
		return
	done
}

# bytes free in directory $1
room() {
	stat -f -c '%a %S' "$1" | awk '{ printf "%.0f", $1 * $2 }'
}

# bytes of "1G", "16G", "1T"
bytes() {
	local n=${1%[GT]}
	case $1 in
	*T) echo $((n << 40)) ;;
	*G) echo $((n << 30)) ;;
	esac
}

# median wall milliseconds of $reps runs of the command "$@"
median_ms() {
	local i t0 t1 times=()
	for ((i = 0; i < reps; i++)); do
		t0=$EPOCHREALTIME
		"$@" >/dev/null 2>&1 || return 1
		t1=$EPOCHREALTIME
		times+=("$(awk -v a="$t0" -v b="$t1" \
			'BEGIN { printf "%.3f", (b - a) * 1000 }')")
	done
	printf '%s\n' "${times[@]}" | sort -n |
		awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] }'
}

# KiB of blocks of the pool file of a process that allocates nothing
# (sleep under the launcher), read from its file descriptors
pool_kib() {
	local dir=$1 size=$2 pid fd kib=
	"$launcher" --dir "$dir" --size "$size" -- sleep 1 &
	pid=$!
	sleep 0.3
	for fd in /proc/$pid/fd/*; do
		case $(readlink "$fd") in
		"$dir"/*) kib=$(stat -L -c '%b %B' "$fd" |
			awk '{ printf "%.0f", $1 * $2 / 1024 }') ;;
		esac
	done
	wait "$pid"
	echo "${kib:-?}"
}

main() {
	local disk name dir size ms kib base
	disk=$(disk_dir)
	[ -x "$launcher" ] || { echo "startup.sh: no $launcher" >&2; exit 1; }
	printf 'Start-up: /bin/true through the launcher, median of %s runs (ms),\n' "$reps"
	printf 'and the pool file of a process that allocates nothing (KiB of blocks)\n'
	base=$(median_ms /bin/true)
	printf '%-24s %8s %10s\n' "pool" "ms" "file KiB"
	printf '%-24s %8s %10s\n' "none" "$base" "-"
	for name in shm disk; do
		dir=$shm_dir
		[ "$name" = disk ] && dir=$disk
		[ -n "$dir" ] || continue
		for size in "${sizes[@]}"; do
			local label="$size in $dir"
			if [ "$(bytes "$size")" -gt "$(room "$dir")" ]; then
				printf '%-24s %8s %10s\n' "$label" "no room" "-"
				continue
			fi
			if ! ms=$(median_ms "$launcher" --dir "$dir" \
					--size "$size" -- /bin/true); then
				printf '%-24s %8s %10s\n' "$label" "FAILED" "-"
				broken=1
				continue
			fi
			kib=$(pool_kib "$dir" "$size")
			printf '%-24s %8s %10s\n' "$label" "$ms" "$kib"
		done
	done
	echo
}

main
exit "$broken"
