#!/usr/bin/env bash
# bad_env.sh BUILD -- libvmmalloc's environment, with real programs
# (/bin/echo hello; inpool size BYTES to see the pool's length):
#
#  - refused, by the release and the debug library alike: VMMALLOC_POOL_DIR
#    or VMMALLOC_POOL_SIZE (or both) missing; a size that is empty,
#    unparsable, negative, zero, below 14 MiB (VMMALLOC_MIN_POOL), beyond
#    2^64 with or without a suffix, or too big for the file system (1 PiB
#    on tmpfs); a directory that is empty, does not exist, is a regular file,
#    is not writable (as root: as user nobody via setpriv, and a read-only
#    bind mount via unshare -m when allowed); VMMALLOC_FORK not one of
#    0..3; a pool larger than the file size limit (ulimit -f: EFBIG,
#    never SIGXFSZ); and, by the debug library, a VMMALLOC_LOG_FILE that
#    cannot be opened and VMMALLOC_LOG_LEVEL other than 0..4; the DRAM
#    tier's: a ratio that is not D:P of numbers 1..1000000, a threshold
#    that is not a size, 0 or larger than the pool, a DRAM cap below
#    14 MiB or without a policy, both policies at once (accepted: the
#    smallest cap, the widest ratio). Refused means: exit status exactly 1 (not a signal, not 0),
#    nothing on stdout (main never ran: no "hello"), exactly one line on
#    stderr, starting "libvmmalloc: ". And no file left in the directory.
#  - accepted: sizes in bytes, with K, M, G (powers of 1024), the minimum
#    (14M and 14680064), a size that is not a multiple of the page (rounded
#    up); a directory with a trailing slash or given as "."; VMMALLOC_FORK
#    0..3. Accepted means: status 0, "hello" on stdout, nothing on stderr,
#    and the pool mapping is exactly the size asked for, page-rounded.
#  - lower-case suffixes (k, m, g): libvmmalloc(7) names K, M, G only, so
#    either answer passes, but a refusal must be the proper one line.
source "$(dirname "$0")/helpers.bash" "$@"

# refused LIB LABEL VAR=VALUE...: the environment stops the program
refused() {
	local lib=$1 label=$2; shift 2
	local which=release
	[ "$lib" = "$DLIB" ] && which=debug
	vrun bad LD_PRELOAD="$lib" "$@" -- /bin/echo hello
	local out=$SCRATCH/bad.out err=$SCRATCH/bad.err why="" lines
	local -a l=()
	[ "$RC" -eq 1 ] || why+=" $(rc_text "$RC"), want exit status 1;"
	[ ! -s "$out" ] || why+=" the program ran (stdout: $(head -c 60 "$out"));"
	lines=$(wc -l < "$err")
	mapfile -t l < "$err"
	[ "$lines" -eq 1 ] && [ "${#l[@]}" -eq 1 ] ||
		why+=" $lines newline(s), ${#l[@]} line(s) on stderr, want exactly one line;"
	[[ "${l[0]:-}" == "libvmmalloc: "* ]] || why+=" stderr does not start with 'libvmmalloc: ';"
	if [ -z "$why" ]; then
		ok "$which refuses $label: ${l[0]}"
	else
		fail "$which, $label ($*):$why"
		show "$err"
	fi
}

# accepted LIB LABEL BYTES VAR=VALUE...: the program runs, on a pool of
# BYTES (rounded up to a page): inpool checks the mapping's length; with
# BYTES "-", /bin/echo hello is run instead
accepted() {
	local lib=$1 label=$2 bytes=$3; shift 3
	local which=release why=""
	[ "$lib" = "$DLIB" ] && which=debug
	if [ "$bytes" = - ]; then
		vrun good LD_PRELOAD="$lib" "$@" -- /bin/echo hello
		[ "$(cat "$SCRATCH/good.out")" = hello ] || why+=" stdout is not 'hello';"
	else
		vrun good LD_PRELOAD="$lib" "$@" -- "$TBIN/inpool" size "$bytes"
		why+=$(grep -m1 FAIL "$SCRATCH/good.err")
	fi
	[ "$RC" -eq 0 ] || why+=" $(rc_text "$RC");"
	[ ! -s "$SCRATCH/good.err" ] || why+=" stderr not empty;"
	if [ -z "$why" ]; then
		ok "$which accepts $label"
	else
		fail "$which, $label ($*):$why"
		show "$SCRATCH/good.err"
	fi
}

[ -x "$TBIN/inpool" ] || { fail "$TBIN/inpool is not built"; finish; }
for lib in "$LIB" "$DLIB"; do
	[ -f "$lib" ] || { fail "$lib is not built"; continue; }
	dir=$(newdir)
	file=$SCRATCH/regular-file
	: > "$file"

	# what is missing
	refused "$lib" "no VMMALLOC_POOL_DIR" VMMALLOC_POOL_SIZE=64M
	refused "$lib" "no VMMALLOC_POOL_SIZE" VMMALLOC_POOL_DIR="$dir"
	refused "$lib" "neither variable"

	# sizes
	for s in "" abc 12X -64M M 64MM 64M64 0 0M 0G 1K 13M 14335K 14680063 \
		18446744073709551616 99999999999999999999999 17179869184G \
		18014398509481984K 18446744073709551615; do
		refused "$lib" "VMMALLOC_POOL_SIZE='$s'" VMMALLOC_POOL_DIR="$dir" \
			VMMALLOC_POOL_SIZE="$s"
	done
	# the message names every suffix it takes (T too)
	vrun bad LD_PRELOAD="$lib" VMMALLOC_POOL_DIR="$dir" \
		VMMALLOC_POOL_SIZE=abc -- /bin/echo hello
	if grep -q "K, M, G or T" "$SCRATCH/bad.err"; then
		ok "the size message names K, M, G and T"
	else
		fail "the size message does not name T: $(cat "$SCRATCH/bad.err")"
	fi
	# 1 PiB: more than any tmpfs here holds (tmpfs fails fallocate at once;
	# not tried on the disk, where a file system might start allocating)
	if [ "$(stat -f -c %T "$dir")" = tmpfs ]; then
		refused "$lib" "VMMALLOC_POOL_SIZE=1048576G on tmpfs" \
			VMMALLOC_POOL_DIR="$dir" VMMALLOC_POOL_SIZE=1048576G
	else
		echo "note: $dir is not on tmpfs: the 1 PiB case is not run"
	fi

	# the DRAM tier's variables (tiers.c)
	for r in abc 1 1: :3 0:1 1:0 1:3:4 1:3x -1:3 1000001:1 1:99999999999; do
		refused "$lib" "VMMALLOC_DRAM_RATIO='$r'" VMMALLOC_POOL_DIR="$dir" \
			VMMALLOC_POOL_SIZE=64M VMMALLOC_DRAM_RATIO="$r"
	done
	for t in abc 0 12X 65M 1G; do
		refused "$lib" "VMMALLOC_DRAM_THRESHOLD='$t' (a 64M pool)" \
			VMMALLOC_POOL_DIR="$dir" VMMALLOC_POOL_SIZE=64M \
			VMMALLOC_DRAM_THRESHOLD="$t"
	done
	for m in abc 13M 14335K; do
		refused "$lib" "VMMALLOC_DRAM_MAX='$m'" VMMALLOC_POOL_DIR="$dir" \
			VMMALLOC_POOL_SIZE=64M VMMALLOC_DRAM_RATIO=1:4 \
			VMMALLOC_DRAM_MAX="$m"
	done
	refused "$lib" "VMMALLOC_DRAM_MAX without a policy" \
		VMMALLOC_POOL_DIR="$dir" VMMALLOC_POOL_SIZE=64M VMMALLOC_DRAM_MAX=16M
	refused "$lib" "both VMMALLOC_DRAM_THRESHOLD and VMMALLOC_DRAM_RATIO" \
		VMMALLOC_POOL_DIR="$dir" VMMALLOC_POOL_SIZE=64M \
		VMMALLOC_DRAM_THRESHOLD=1K VMMALLOC_DRAM_RATIO=1:4
	accepted "$lib" "VMMALLOC_DRAM_THRESHOLD=1K, VMMALLOC_DRAM_MAX=14M" - \
		VMMALLOC_POOL_DIR="$dir" VMMALLOC_POOL_SIZE=64M \
		VMMALLOC_DRAM_THRESHOLD=1K VMMALLOC_DRAM_MAX=14M
	accepted "$lib" "VMMALLOC_DRAM_RATIO=1:1000000" - \
		VMMALLOC_POOL_DIR="$dir" VMMALLOC_POOL_SIZE=64M \
		VMMALLOC_DRAM_RATIO=1:1000000

	# directories
	refused "$lib" "VMMALLOC_POOL_DIR=''" VMMALLOC_POOL_DIR= VMMALLOC_POOL_SIZE=64M
	refused "$lib" "a directory that does not exist" \
		VMMALLOC_POOL_DIR="$SCRATCH/no/such/dir" VMMALLOC_POOL_SIZE=64M
	refused "$lib" "a regular file as the directory" \
		VMMALLOC_POOL_DIR="$file" VMMALLOC_POOL_SIZE=64M

	# fork modes
	for f in 4 -1 x "" 12 1x; do
		refused "$lib" "VMMALLOC_FORK='$f'" VMMALLOC_POOL_DIR="$dir" \
			VMMALLOC_POOL_SIZE=64M VMMALLOC_FORK="$f"
	done
	# the log (the debug library's: the release one writes no log)
	if [ "$lib" = "$DLIB" ]; then
		refused "$lib" "a VMMALLOC_LOG_FILE that cannot be opened" \
			VMMALLOC_POOL_DIR="$dir" VMMALLOC_POOL_SIZE=64M \
			VMMALLOC_LOG_FILE="$SCRATCH/no/such/dir/log"
		for l in abc 9 -1 5 " 1" 1x; do
			refused "$lib" "VMMALLOC_LOG_LEVEL='$l'" \
				VMMALLOC_POOL_DIR="$dir" VMMALLOC_POOL_SIZE=64M \
				VMMALLOC_LOG_LEVEL="$l"
		done
	fi

	# a file size limit below the pool: EFBIG, not death by SIGXFSZ
	VRUN_PREFIX=(sh -c 'ulimit -f 32768 && exec "$@"' sh)
	refused "$lib" "a pool above the file size limit (ulimit -f 32768)" \
		VMMALLOC_POOL_DIR="$dir" VMMALLOC_POOL_SIZE=64M
	VRUN_PREFIX=()
	empty_dir "$dir" "after the refused runs"

	# what is accepted
	for spec in 14680064:14680064 14M:14680064 67108865:67108865 \
		67108864:67108864 64M:67108864 65536K:67108864 1G:1073741824; do
		accepted "$lib" "VMMALLOC_POOL_SIZE=${spec%%:*}" "${spec#*:}" \
			VMMALLOC_POOL_DIR="$dir" VMMALLOC_POOL_SIZE="${spec%%:*}"
	done
	accepted "$lib" "the directory with a trailing slash" 16777216 \
		VMMALLOC_POOL_DIR="$dir/" VMMALLOC_POOL_SIZE=16M
	cd "$dir" || exit 1
	accepted "$lib" "the directory given as '.'" 16777216 \
		VMMALLOC_POOL_DIR=. VMMALLOC_POOL_SIZE=16M
	cd - >/dev/null || exit 1
	for f in 0 1 2 3; do
		accepted "$lib" "VMMALLOC_FORK=$f" - VMMALLOC_POOL_DIR="$dir" \
			VMMALLOC_POOL_SIZE=16M VMMALLOC_FORK="$f"
	done
	for l in 0 ""; do
		accepted "$lib" "VMMALLOC_LOG_LEVEL='$l'" - VMMALLOC_POOL_DIR="$dir" \
			VMMALLOC_POOL_SIZE=16M VMMALLOC_LOG_LEVEL="$l"
	done
	VRUN_PREFIX=(sh -c 'ulimit -f 32768 && exec "$@"' sh)
	accepted "$lib" "a pool within the file size limit (ulimit -f 32768)" - \
		VMMALLOC_POOL_DIR="$dir" VMMALLOC_POOL_SIZE=16M
	VRUN_PREFIX=()
	empty_dir "$dir" "after the accepted runs"

	# lower case: either way, but properly
	for spec in 16m:16777216 16384k:16777216 1g:1073741824; do
		vrun lower LD_PRELOAD="$lib" VMMALLOC_POOL_DIR="$dir" \
			VMMALLOC_POOL_SIZE="${spec%%:*}" -- /bin/true
		if [ "$RC" -eq 0 ]; then
			accepted "$lib" "VMMALLOC_POOL_SIZE=${spec%%:*} (lower case)" \
				"${spec#*:}" VMMALLOC_POOL_DIR="$dir" \
				VMMALLOC_POOL_SIZE="${spec%%:*}"
		else
			refused "$lib" "VMMALLOC_POOL_SIZE=${spec%%:*} (lower case, not in libvmmalloc(7))" \
				VMMALLOC_POOL_DIR="$dir" VMMALLOC_POOL_SIZE="${spec%%:*}"
		fi
	done
done

# a directory this process cannot write
ro=$(newdir)
chmod 555 "$ro"
if [ "$(id -u)" -ne 0 ]; then
	for lib in "$LIB" "$DLIB"; do
		refused "$lib" "a directory without write permission" \
			VMMALLOC_POOL_DIR="$ro" VMMALLOC_POOL_SIZE=64M
	done
elif command -v setpriv >/dev/null; then
	# root writes anywhere: run the program as nobody, with copies of the
	# libraries nobody can read wherever the build tree is
	rw=$(newdir)
	chmod 777 "$rw"
	mkdir -p "$SCRATCH/release" "$SCRATCH/debug"
	cp "$LIB" "$SCRATCH/release/" && cp "$DLIB" "$SCRATCH/debug/" || exit 1
	chmod -R a+rX "$SCRATCH/release" "$SCRATCH/debug"
	saved=("$LIB" "$DLIB")
	LIB=$SCRATCH/release/libvmmalloc.so.1
	DLIB=$SCRATCH/debug/libvmmalloc.so.1
	VRUN_PREFIX=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	for lib in "$LIB" "$DLIB"; do
		# as nobody, a writable directory works: the refusal below is
		# about the permission, not about the user
		accepted "$lib" "a writable directory, as user nobody" - \
			VMMALLOC_POOL_DIR="$rw" VMMALLOC_POOL_SIZE=64M
		refused "$lib" "a directory without write permission (as nobody)" \
			VMMALLOC_POOL_DIR="$ro" VMMALLOC_POOL_SIZE=64M
	done
	VRUN_PREFIX=()
	LIB=${saved[0]}
	DLIB=${saved[1]}
else
	fail "running as root without setpriv: cannot try a directory without write permission"
fi
# root ignores permissions, not a read-only file system
if [ "$(id -u)" -eq 0 ]; then
	rodir=$(newdir)
	if unshare -m sh -c 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0"' \
			"$rodir" 2>/dev/null; then
		VRUN_PREFIX=(unshare -m sh -c
			'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
			"$rodir")
		for lib in "$LIB" "$DLIB"; do
			refused "$lib" "a directory on a read-only mount" \
				VMMALLOC_POOL_DIR="$rodir" VMMALLOC_POOL_SIZE=64M
		done
		VRUN_PREFIX=()
	else
		echo "note: unshare -m / mount not permitted here: read-only mount case not run"
	fi
fi
finish
