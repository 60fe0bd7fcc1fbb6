# helpers.bash -- sourced by the test/vmmalloc/*.sh scripts (it is not a
# test itself, hence not *.sh). After `source helpers.bash BUILD`:
#
#   LIB, DLIB    absolute paths of the release and debug libvmmalloc.so.1
#   TBIN         build/test/vmmalloc (the test programs)
#   TSRC         test/vmmalloc (this directory)
#   SCRATCH      a fresh directory on tmpfs (/dev/shm), removed at exit
#   DISK         a fresh directory on the disk (${TMPDIR:-/tmp}), removed too
#   newdir [DISK]   a fresh empty pool directory under SCRATCH (or DISK)
#   vrun NAME [VAR=VALUE...] -- CMD ARGS...
#                runs CMD with only the given libvmmalloc variables (all
#                inherited VMMALLOC_* and LD_PRELOAD are removed first),
#                under `timeout` (VRUN_TIMEOUT seconds, default 60);
#                stdout -> $SCRATCH/NAME.out, stderr -> $SCRATCH/NAME.err,
#                status -> $RC. VRUN_PREFIX (an array) goes before `env`,
#                e.g. (setpriv --reuid=65534 ...) to drop privileges first.
#   rc_text RC   "exit status 1", "killed by signal 11 (SEGV)", "timed out"
#   fail MSG / ok MSG / finish   count and report; finish exits 1 if any
#                check failed, else 0
#   show FILE    its first lines, indented (for a failure report)
#   empty_dir DIR WHAT   fails unless DIR is empty (the pool is unnamed)
#   need PROG PACKAGE    fails the script (no skip) if PROG is missing
#   same LABEL MODE SIZE -- CMD...   CMD prints and exits the same under
#                libvmmalloc as on glibc's malloc (see below)
#
# The scratch directories go under $VMMTEST_SHM / $VMMTEST_DISK when run.sh
# exports them (so that its trap removes everything), else directly under
# /dev/shm and ${TMPDIR:-/tmp}.
set -u

BUILD=${1:?usage: $0 BUILD}
BUILD=$(cd "$BUILD" && pwd) || exit 1
LIB=$BUILD/libvmmalloc.so.1
DLIB=$BUILD/debug/libvmmalloc.so.1
TBIN=$BUILD/test/vmmalloc
TSRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ORIG_PWD=$PWD

nfail=0
fail() { printf 'FAIL: %s\n' "$*"; nfail=$((nfail + 1)); }
ok() { printf 'ok: %s\n' "$*"; }
finish() {
	if [ "$nfail" -eq 0 ]; then
		echo "all checks passed"
		exit 0
	fi
	echo "$nfail check(s) failed"
	exit 1
}

SCRATCH=$(mktemp -d "${VMMTEST_SHM:-/dev/shm}/vmmtest.XXXXXX") || exit 1
DISK=$(mktemp -d "${VMMTEST_DISK:-${TMPDIR:-/tmp}}/vmmtest.XXXXXX") || exit 1
# SCRATCH may be read by an unprivileged user in bad_env.sh
chmod 755 "$SCRATCH"
cleanup() { chmod -R u+rwx "$SCRATCH" "$DISK" 2>/dev/null; rm -rf "$SCRATCH" "$DISK"; }
trap cleanup EXIT

newdir() {
	if [ "${1:-}" = DISK ]; then
		mktemp -d "$DISK/pool.XXXXXX"
	else
		mktemp -d "$SCRATCH/pool.XXXXXX"
	fi
}

VRUN_PREFIX=()
RC=0
vrun() {
	local name=$1; shift
	local vars=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do vars+=("$1"); shift; done
	shift
	"${VRUN_PREFIX[@]+"${VRUN_PREFIX[@]}"}" \
	timeout -k 5 "${VRUN_TIMEOUT:-60}" env -u LD_PRELOAD \
		-u VMMALLOC_POOL_DIR -u VMMALLOC_POOL_SIZE -u VMMALLOC_FORK \
		-u VMMALLOC_LOG_STATS -u VMMALLOC_LOG_LEVEL -u VMMALLOC_LOG_FILE \
		-u VMMALLOC_DRAM_THRESHOLD -u VMMALLOC_DRAM_RATIO \
		-u VMMALLOC_DRAM_MAX \
		"${vars[@]+"${vars[@]}"}" "$@" \
		>"$SCRATCH/$name.out" 2>"$SCRATCH/$name.err" </dev/null
	RC=$?
}

rc_text() {
	case $1 in
	124|137) echo "timed out (hung?)" ;;
	0) echo "exit status 0" ;;
	*)
		if [ "$1" -gt 128 ]; then
			echo "killed by signal $(($1 - 128)) ($(kill -l $(($1 - 128)) 2>/dev/null))"
		else
			echo "exit status $1"
		fi ;;
	esac
}

# the first lines of a file, indented, for a failure report
show() { sed -n '1,8s/^/    | /p' "$1"; }

# empty_dir DIR WHAT: the pool file is unnamed, nothing may stay behind
empty_dir() {
	local left
	left=$(ls -A "$1")
	[ -z "$left" ] || fail "$2: left in the pool directory: $left"
}

# need PROGRAM PACKAGE: a missing program fails the test, clearly
need() {
	command -v "$1" >/dev/null && return 0
	fail "'$1' is not installed (Debian package $2); this test needs it"
	finish
}

# same LABEL MODE SIZE -- CMD ARGS...: CMD, an unmodified program, prints
# the same on stdout and stderr and exits the same under libvmmalloc (the
# release library, a pool of SIZE in a fresh directory on tmpfs,
# VMMALLOC_FORK=MODE) as on glibc's malloc. The glibc run must succeed and
# print something (else the comparison proves nothing); afterwards the pool
# directory must be empty.
#   SAME_SRC      each run starts in its own copy of this directory; the
#                 two copies are $REF_WD and $PRE_WD afterwards
#   SAME_ENV      (array) variables for both runs
#   SAME_PRE_ENV  (array) variables for the libvmmalloc run only
#   VMMTEST_TIERS (exported by run.sh for a second pass of the prog_*
#                 scripts) a DRAM tier's variables for the libvmmalloc run,
#                 blank-separated; the label then says so
SAME_ENV=()
SAME_PRE_ENV=()
same() {
	local label=$1 mode=$2 size=$3; shift 4
	local dir t0 t1 t2 why=""
	local -a tiers=()
	if [ -n "${VMMTEST_TIERS:-}" ]; then
		read -ra tiers <<< "$VMMTEST_TIERS"
		label+=" [$VMMTEST_TIERS]"
	fi
	dir=$(newdir)
	REF_WD=$(mktemp -d "$SCRATCH/ref.XXXXXX")
	PRE_WD=$(mktemp -d "$SCRATCH/pre.XXXXXX")
	if [ -n "${SAME_SRC:-}" ]; then
		cp -a "$SAME_SRC/." "$REF_WD/" && cp -a "$SAME_SRC/." "$PRE_WD/" || exit 1
	fi
	t0=$EPOCHREALTIME
	cd "$REF_WD" || exit 1
	vrun ref "${SAME_ENV[@]+"${SAME_ENV[@]}"}" -- "$@"
	local ref_rc=$RC
	t1=$EPOCHREALTIME
	cd "$PRE_WD" || exit 1
	vrun pre "${SAME_ENV[@]+"${SAME_ENV[@]}"}" \
		"${SAME_PRE_ENV[@]+"${SAME_PRE_ENV[@]}"}" \
		"${tiers[@]+"${tiers[@]}"}" LD_PRELOAD="$LIB" \
		VMMALLOC_POOL_DIR="$dir" VMMALLOC_POOL_SIZE="$size" \
		VMMALLOC_FORK="$mode" -- "$@"
	t2=$EPOCHREALTIME
	cd "$ORIG_PWD" || exit 1
	local times
	times=$(awk -v a="$t0" -v b="$t1" -v c="$t2" \
		'BEGIN { printf "glibc %.1f s, pool %.1f s", b - a, c - b }')
	if [ "$ref_rc" -ne 0 ] || [ ! -s "$SCRATCH/ref.out" ]; then
		fail "$label: the reference run on glibc's malloc failed ($(rc_text "$ref_rc"), $(wc -c < "$SCRATCH/ref.out") bytes out): fix the test"
		show "$SCRATCH/ref.err"
		return
	fi
	[ "$RC" -eq "$ref_rc" ] || why+=" $(rc_text "$RC") (glibc: $(rc_text "$ref_rc"));"
	cmp -s "$SCRATCH/ref.out" "$SCRATCH/pre.out" || why+=" stdout differs;"
	cmp -s "$SCRATCH/ref.err" "$SCRATCH/pre.err" || why+=" stderr differs;"
	if [ -z "$why" ]; then
		ok "$label: same output ($(wc -l < "$SCRATCH/ref.out") lines; $times)"
	else
		fail "$label [VMMALLOC_POOL_SIZE=$size]:$why $times"
		if ! cmp -s "$SCRATCH/ref.out" "$SCRATCH/pre.out"; then
			echo "    stdout, glibc (<) vs pool (>):"
			diff "$SCRATCH/ref.out" "$SCRATCH/pre.out" | head -n 8 | sed 's/^/    | /'
		fi
		if ! cmp -s "$SCRATCH/ref.err" "$SCRATCH/pre.err"; then
			echo "    stderr, glibc (<) vs pool (>):"
			diff "$SCRATCH/ref.err" "$SCRATCH/pre.err" | head -n 8 | sed 's/^/    | /'
		fi
	fi
	empty_dir "$dir" "$label"
}
