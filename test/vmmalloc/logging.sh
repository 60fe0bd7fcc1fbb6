#!/usr/bin/env bash
# logging.sh BUILD -- what libvmmalloc prints, with real programs:
#  - nothing in normal use: /bin/echo under the release and the debug
#    library writes "hello" and not a byte on stderr, also with
#    VMMALLOC_LOG_STATS=0;
#  - VMMALLOC_LOG_STATS=1: statistics on stderr when the process ends (the
#    word "statistics"), none on stdout, and the program's output unchanged
#    (release and debug), from bash and from coreutils' echo, which
#    closes its stderr at exit, before the library's destructor runs;
#  - debug library, VMMALLOC_LOG_LEVEL=2 ("a trace of basic operations",
#    libvmmalloc(7)): a trace on stderr without VMMALLOC_LOG_FILE; with
#    VMMALLOC_LOG_FILE=DIR/log- (levels 4 and 2) the trace goes to
#    DIR/log-<PID of the process> and nothing to stderr (the PID is the one
#    /bin/sh reports as $$); with a name without the trailing '-', exactly
#    that file;
#  - release library: VMMALLOC_LOG_LEVEL and VMMALLOC_LOG_FILE do nothing
#    (no file, nothing on stderr).
source "$(dirname "$0")/helpers.bash" "$@"

dir=$(newdir)
env=(VMMALLOC_POOL_DIR="$dir" VMMALLOC_POOL_SIZE=16M)
out=$SCRATCH/p.out
err=$SCRATCH/p.err

# quiet LABEL: the last run printed hello and nothing on stderr
quiet() {
	if [ "$RC" -ne 0 ] || [ "$(cat "$out")" != hello ] || [ -s "$err" ]; then
		fail "$1: $(rc_text "$RC"), stdout '$(head -c 40 "$out")', $(wc -c < "$err") bytes on stderr"
		show "$err"
	else
		ok "$1: quiet"
	fi
}

for lib in "$LIB" "$DLIB"; do
	which=release
	[ "$lib" = "$DLIB" ] && which=debug
	vrun p LD_PRELOAD="$lib" "${env[@]}" -- /bin/echo hello
	quiet "$which, normal use"
	vrun p LD_PRELOAD="$lib" "${env[@]}" VMMALLOC_LOG_STATS=0 -- /bin/echo hello
	quiet "$which, VMMALLOC_LOG_STATS=0"

	# bash ends with exit() and stderr open (dash would _exit: no
	# destructor, no statistics); coreutils' echo closes stderr at exit
	# (gnulib close_stdout) before the library's destructor runs, so there
	# the library must print through a descriptor of its own
	for cmd in "bash -c 'echo hello'" "/bin/echo hello"; do
		vrun p LD_PRELOAD="$lib" "${env[@]}" VMMALLOC_LOG_STATS=1 -- \
			bash -c "exec $cmd"
		if [ "$RC" -ne 0 ] || [ "$(cat "$out")" != hello ]; then
			fail "$which, VMMALLOC_LOG_STATS=1, $cmd: $(rc_text "$RC"), stdout '$(head -c 60 "$out")'"
		elif ! grep -qi statistics "$err"; then
			fail "$which, VMMALLOC_LOG_STATS=1, $cmd: no 'statistics' on stderr ($(wc -c < "$err") bytes)"
			show "$err"
		else
			ok "$which, VMMALLOC_LOG_STATS=1, $cmd: $(wc -l < "$err") lines of statistics on stderr"
		fi
	done
done

# the debug trace on stderr
vrun p LD_PRELOAD="$DLIB" "${env[@]}" VMMALLOC_LOG_LEVEL=2 -- /bin/echo hello
if [ "$RC" -eq 0 ] && [ "$(cat "$out")" = hello ] && [ -s "$err" ]; then
	ok "debug, VMMALLOC_LOG_LEVEL=2: $(wc -l < "$err") lines of trace on stderr"
else
	fail "debug, VMMALLOC_LOG_LEVEL=2: $(rc_text "$RC"), stdout '$(head -c 40 "$out")', $(wc -c < "$err") bytes on stderr (want a trace)"
fi

# into a file named with the PID; sh prints its PID, and sh is the process
# (it execs nothing, forks nothing for a builtin echo). Level 4 (every
# malloc) shows that the file and its name work; level 2 must trace too.
for level in 4 2; do
	logs=$(newdir)
	vrun p LD_PRELOAD="$DLIB" "${env[@]}" VMMALLOC_LOG_LEVEL=$level \
		VMMALLOC_LOG_FILE="$logs/log-" -- /bin/sh -c 'echo $$'
	pid=$(cat "$out")
	what="debug, VMMALLOC_LOG_LEVEL=$level VMMALLOC_LOG_FILE=DIR/log-"
	if [ "$RC" -ne 0 ] || ! [[ "$pid" =~ ^[0-9]+$ ]]; then
		fail "$what: sh -c 'echo \$\$': $(rc_text "$RC"), stdout '$pid'"
		show "$err"
	elif [ ! -s "$logs/log-$pid" ]; then
		fail "$what: no trace in log-$pid; the directory has: $(ls "$logs" | tr '\n' ' ')"
	elif [ -s "$err" ]; then
		fail "$what: the trace also went to stderr"
		show "$err"
	elif [ "$(ls "$logs")" != "log-$pid" ]; then
		fail "$what: other files than log-$pid: $(ls "$logs" | tr '\n' ' ')"
	else
		ok "$what: $(wc -l < "$logs/log-$pid") lines in log-$pid"
	fi
done

logs=$(newdir)
vrun p LD_PRELOAD="$DLIB" "${env[@]}" VMMALLOC_LOG_LEVEL=4 \
	VMMALLOC_LOG_FILE="$logs/trace.txt" -- /bin/echo hello
if [ "$RC" -eq 0 ] && [ -s "$logs/trace.txt" ] && [ "$(ls "$logs")" = trace.txt ] &&
		[ ! -s "$err" ]; then
	ok "debug, VMMALLOC_LOG_FILE=DIR/trace.txt: the trace is in that file"
else
	fail "debug, VMMALLOC_LOG_FILE=DIR/trace.txt: $(rc_text "$RC"); directory: $(ls "$logs" | tr '\n' ' '); $(wc -c < "$err") bytes on stderr"
fi

# the release library has no trace
logs=$(newdir)
vrun p LD_PRELOAD="$LIB" "${env[@]}" VMMALLOC_LOG_LEVEL=4 \
	VMMALLOC_LOG_FILE="$logs/log-" -- /bin/echo hello
quiet "release, VMMALLOC_LOG_LEVEL=4 (debug only)"
if [ -n "$(ls -A "$logs")" ]; then
	fail "release, VMMALLOC_LOG_FILE: wrote $(ls "$logs" | tr '\n' ' ') (debug only)"
else
	ok "release, VMMALLOC_LOG_FILE: no file"
fi
empty_dir "$dir" "logging"
finish
