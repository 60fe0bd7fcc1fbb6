#!/usr/bin/env bash
# prog_python.sh BUILD -- python3 (unmodified) under libvmmalloc prints what
# it prints on glibc's malloc (threads.py: 4 threading.Thread workers
# building dicts, lists, strings, bytes at once, then os.fork() with a child
# that works and reports through a pipe):
#  - PYTHONMALLOC=malloc (every object from malloc), VMMALLOC_FORK 1 and 2;
#    there threads.py also checks that its objects, in every thread and in
#    the child, lie in the pool (VMMTEST_POOLCHECK=1, libvmmalloc run only);
#  - Python's own small-object allocator (the default), VMMALLOC_FORK=1.
source "$(dirname "$0")/helpers.bash" "$@"
need python3 python3
# the interpreter itself, not a wrapper script (pyenv shims are bash)
py=$(python3 -c 'import sys; print(sys.executable)') || { fail "python3 does not run"; finish; }

SAME_ENV=(PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 PYTHONMALLOC=malloc)
SAME_PRE_ENV=(VMMTEST_POOLCHECK=1)
for mode in 1 2; do
	same "python3 threads.py --fork, PYTHONMALLOC=malloc, VMMALLOC_FORK=$mode" \
		"$mode" 256M -- "$py" "$TSRC/threads.py" --fork
done
SAME_ENV=(PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1)
SAME_PRE_ENV=()
same "python3 threads.py, pymalloc" 1 256M -- "$py" "$TSRC/threads.py"
finish
