#!/bin/sh
# preload_ndctl.sh -- run in the guest by run-vm.sh (tests.txt,
# tests-fsdax.txt): ndctl (the host's, unmodified; json-c and libkmod
# allocate for it) under libvmmalloc with the device DAX as its pool (or,
# with DEV a directory of a DAX file system and ALIGN_BYTES 4096, a pool
# file there) prints what it prints without the preload, and its
# statistics at exit show a pool of VMMALLOC_POOL_SIZE (rounded up to the
# alignment). Needs $DEV, $VMMALLOC and $ALIGN_BYTES.
set -u
fail() { echo "FAIL ndctl: $*"; exit 1; }
ndctl list -BDRNiv > /tmp/ndctl.plain 2>&1 || fail "ndctl list without the preload failed"
LD_PRELOAD=$VMMALLOC VMMALLOC_POOL_DIR=$DEV VMMALLOC_POOL_SIZE=32M VMMALLOC_LOG_STATS=1 \
	ndctl list -BDRNiv > /tmp/ndctl.dax 2> /tmp/ndctl.err
rc=$?
[ $rc -eq 0 ] || { cat /tmp/ndctl.err; fail "ndctl under libvmmalloc exited with $rc"; }
cmp /tmp/ndctl.plain /tmp/ndctl.dax || {
	diff /tmp/ndctl.plain /tmp/ndctl.dax | head -20
	fail "the output differs from ndctl without the preload"
}
pool=$(grep '^pool:' /tmp/ndctl.err)
echo "info: ndctl's statistics: $pool; $(grep 'allocated:' /tmp/ndctl.err | head -1)"
want=$(( (33554432 + ALIGN_BYTES - 1) / ALIGN_BYTES * ALIGN_BYTES ))
case "$pool" in
*" $want bytes"*) ;;
*) fail "expected a pool of $want bytes in its statistics, got '$pool'" ;;
esac
echo "PASS ndctl: ndctl list with its heap on $DEV, the same as without the preload"
