#!/bin/bash
# run.sh BUILD -- the fault-injection test: every system call the library
# makes through VM_SYS (src/base/fault.h) is made to fail in turn, and each
# failure must give a clean error.
#
# For each case: one run with VMEM_FAULT_AT=0 learns K, the calls the run
# makes (the "vmem-fault: K calls" line; the largest, when a fork child
# tells its own), then N = 1..K each fail the N-th call, and N = K+1 must
# fail none (the count is exact). A program that closes its stderr before
# it exits (/bin/echo) cannot tell K: there N goes up until a run fails no
# call. Every run must end by itself (a timeout is a hang), show the
# "vmem-fault: failing call N," line when N names a call, and leave the
# pool directory empty; then, by case:
#   api SCENARIO   BUILD/test/fault/fault_api SCENARIO DIR (the libvmem
#                  API): exit status 0, its own checks held (fault_api.c)
#   vmm ...        a program under BUILD/fault/libvmmalloc.so.1 (preloaded,
#                  pool of 64 MiB in DIR): its normal output and status 0;
#                  or status 1, no output, and exactly one stderr line
#                  (besides vmem-fault's), starting "libvmmalloc: "; for
#                  fault_vmm, a child that exited 1 also needs exactly one
#                  "libvmmalloc: fork:" line, and one that exited 0 none
# The cases: fault_api's scenarios create, region, threads and fork;
# region with VMEM_LOG_FILE (the log file opened at load); create in
# /dev/shm when the pools are elsewhere (a pool on tmpfs is mapped
# ahead); /bin/echo under libvmmalloc, and again with VMMALLOC_LOG_FILE
# and VMMALLOC_LOG_STATS=1; fault_vmm under libvmmalloc with
# VMMALLOC_FORK=2 (the child's copy of the pool file), 1 (the pool
# remapped private) and 3 (a copy, else private).
# Prints one line per case and "fault: N passed, M failed" (runs); exits
# 1 if any run failed. The output of a failed run is printed after it.
# Owns its temporary directories, removed when it exits.
#
# Environment: TMPDIR (where pool directories go, default /tmp),
# FAULT_TIMEOUT (seconds per run, default 60), FAULT_ONLY (run only the
# cases whose name contains it).
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD" >&2
	exit 2
fi
B=$(cd "$1" && pwd) || exit 2
API=$B/test/fault/fault_api
VMM=$B/test/fault/fault_vmm
LIB=$B/fault/libvmmalloc.so.1
TIMEOUT=${FAULT_TIMEOUT:-60}
ONLY=${FAULT_ONLY:-}
for f in "$API" "$VMM" "$LIB"; do
	if [ ! -e "$f" ]; then
		echo "run.sh: $f is missing (make BUILD=$1 check-fault)" >&2
		exit 2
	fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/vmem-fault.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
pool=$work/pool		# the pool directory of every run
logs=$work/logs		# a log file's directory, apart from the pools
mkdir "$pool" "$logs" || exit 2

passed=0
failed=0
case_failed=0

# the command of the current case, set by the case functions
kind=
cmd=()
envs=()

# runs the current case with VMEM_FAULT_AT=$1; leaves $work/out, $work/err
# and the status in $rc
run_once() {
	rm -rf "${pool:?}"/* "${pool:?}"/.[!.]* "${logs:?}"/* 2>/dev/null
	timeout -k 5 "$TIMEOUT" env VMEM_FAULT_AT="$1" "${envs[@]}" \
		"${cmd[@]}" >"$work/out" 2>"$work/err" </dev/null
	rc=$?
}

# why the run just made is wrong ("" if it is right); $1 = N, $2 = yes
# if the N-th call must have failed, no if none may have, any
judge() {
	local n=$1 expect=$2 why=
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "hung (killed after ${TIMEOUT}s)"
		return
	fi
	if [ "$rc" -gt 128 ]; then
		echo "died of signal $((rc - 128))"
		return
	fi
	case $expect in
	yes)	grep -q "^vmem-fault: failing call $n, " "$work/err" ||
			why="no \"vmem-fault: failing call $n\" line; " ;;
	no)	! grep -q "^vmem-fault: failing call" "$work/err" ||
			why="a call failed beyond those counted; " ;;
	esac
	# a run in which no call failed must simply work
	if [ "$rc" -ne 0 ] && ! grep -q "^vmem-fault: failing call" "$work/err"; then
		why+="exit status $rc with no call failed; "
	fi
	if [ -n "$(ls -A "$pool")" ]; then
		why+="left in the pool directory: $(ls -A "$pool" | tr '\n' ' '); "
	fi
	# stderr without the lines of the fault injection
	local rest nrest
	rest=$(grep -v '^vmem-fault: ' "$work/err")
	nrest=$(printf '%s' "$rest" | grep -c '')
	case $kind in
	api)
		# libvmem tells a log file it cannot open, and goes on
		rest=$(grep -v '^libvmem: cannot open VMEM_LOG_FILE .* (ignored)$' <<<"$rest")
		[ "$rc" -eq 0 ] || why+="exit status $rc; "
		[ -z "$rest" ] || [ "$rc" -ne 0 ] || why+="unexpected stderr; "
		;;
	vmm-*)
		if [ "$rc" -eq 1 ]; then
			[ -s "$work/out" ] && why+="status 1 after output; "
			if [ "$nrest" -ne 1 ] || ! grep -q '^libvmmalloc: ' <<<"$rest"; then
				why+="status 1 without exactly one \"libvmmalloc: \" line; "
			fi
		elif [ "$rc" -eq 0 ]; then
			why+=$(judge_output "$rest" "$nrest")
		else
			why+="exit status $rc; "
		fi
		;;
	esac
	echo "$why"
}

# the output of a successful vmm run, and its stderr ($1, $2 lines)
judge_output() {
	local rest=$1 nrest=$2
	case $kind in
	vmm-echo)
		[ "$(cat "$work/out")" = hello ] || echo -n "output is not hello; "
		[ "$nrest" -eq 0 ] || echo -n "unexpected stderr; "
		;;
	vmm-prog)
		grep -q '^fault_vmm: ok' "$work/out" || echo -n "no \"fault_vmm: ok\"; "
		if grep -qx 'child: exit 0' "$work/out"; then
			[ "$nrest" -eq 0 ] || echo -n "unexpected stderr; "
		elif grep -qx 'child: exit 1' "$work/out"; then
			if [ "$nrest" -ne 1 ] || ! grep -q '^libvmmalloc: fork: ' <<<"$rest"; then
				echo -n "child exited 1 without exactly one \"libvmmalloc: fork:\" line; "
			fi
		else
			echo -n "child: $(grep '^child:' "$work/out"); "
		fi
		;;
	esac
}

# the call that failed in the last run (for the report)
failing_call() {
	sed -n 's/^vmem-fault: failing call [0-9]*, \(.*\)/\1/p' "$work/err" |
		sort -u | tr '\n' ' '
}

# runs and judges VMEM_FAULT_AT=$2 of case $1 ($3: as judge's $2),
# counting the result; returns 0 if the run was right
check_run() {
	local name=$1 n=$2 why
	run_once "$n"
	why=$(judge "$n" "$3")
	if [ -z "$why" ]; then
		passed=$((passed + 1))
		return 0
	fi
	failed=$((failed + 1))
	case_failed=$((case_failed + 1))
	echo "FAIL $name, VMEM_FAULT_AT=$n ($(failing_call)): $why"
	sed 's/^/    | /' "$work/out" "$work/err" | head -40
	return 1
}

# the whole case: $1 its name; kind, cmd and envs set
run_case() {
	local name=$1 k n
	[[ $name == *$ONLY* ]] || return 0
	case_failed=0
	check_run "$name" 0 no
	k=$(sed -n 's/^vmem-fault: \([0-9]*\) calls.*/\1/p' "$work/err" |
		sort -n | tail -1)
	if [ -n "$k" ]; then
		for ((n = 1; n <= k; n++)); do
			check_run "$name" "$n" yes
		done
		check_run "$name" $((k + 1)) no
	else
		# no count told: up to the first N that fails no call
		for ((n = 1; n <= 10000; n++)); do
			check_run "$name" "$n" any
			grep -q "^vmem-fault: failing call $n, " "$work/err" ||
				break
		done
		k=$((n - 1))
	fi
	printf 'fault: %-40s %4d faults injected, %s\n' "$name" "$k" \
		"$([ $case_failed -eq 0 ] && echo ok || echo "$case_failed FAILED")"
}

# ---- libvmem API ------------------------------------------------------------
kind=api
envs=()
for sc in create region threads fork; do
	cmd=("$API" "$sc" "$pool")
	run_case "api $sc"
done
# a log file to open at load (VMEM_LOG_FILE)
envs=("VMEM_LOG_FILE=$logs/vmem.log")
cmd=("$API" region "$pool")
run_case "api region, VMEM_LOG_FILE"
# pools on tmpfs, where chunks are mapped ahead, if TMPDIR is elsewhere
if [ -d /dev/shm ] && [ -w /dev/shm ] &&
		[ "$(stat -f -c %T /dev/shm)" != "$(stat -f -c %T "$pool")" ]; then
	shm=$(mktemp -d /dev/shm/vmem-fault.XXXXXX) || exit 2
	trap 'rm -rf "$work" "$shm"' EXIT
	envs=()
	cmd=("$API" create "$shm")
	saved_pool=$pool
	pool=$shm
	run_case "api create on tmpfs"
	pool=$saved_pool
else
	echo "fault: api create on tmpfs: not run (no /dev/shm apart from $pool)"
fi

# ---- libvmmalloc ------------------------------------------------------------
vmm_env=("LD_PRELOAD=$LIB" "VMMALLOC_POOL_DIR=$pool" "VMMALLOC_POOL_SIZE=64M")
kind=vmm-echo
envs=("${vmm_env[@]}")
cmd=(/bin/echo hello)
run_case "libvmmalloc /bin/echo"
envs=("${vmm_env[@]}" "VMMALLOC_LOG_FILE=$logs/vmm.log" VMMALLOC_LOG_STATS=1)
run_case "libvmmalloc /bin/echo, log file, stats"
kind=vmm-prog
cmd=("$VMM")
for mode in 2 1 3; do
	envs=("${vmm_env[@]}" "VMMALLOC_FORK=$mode")
	run_case "libvmmalloc fault_vmm, VMMALLOC_FORK=$mode"
done

echo "fault: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
