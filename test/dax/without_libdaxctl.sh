#!/bin/sh
# without_libdaxctl.sh CMD [ARG...] -- run in the guest by run-vm.sh
# (tests.txt): CMD with libdaxctl.so.1 out of the dynamic loader's reach
# (moved aside and put back afterwards), so that libvmem, which loads it
# with dlopen when it can, reads the device's geometry from sysfs instead.
# Exits with CMD's status.
set -u
mkdir -p /tmp/hidden
moved=""
for f in $(find / -xdev -name 'libdaxctl.so*' ! -type d 2> /dev/null); do
	mv "$f" "/tmp/hidden/$(echo "$f" | tr / %)" && moved="$moved $f"
done
[ -n "$moved" ] && echo "info: moved aside:$moved"
"$@"
rc=$?
for f in $moved; do
	mv "/tmp/hidden/$(echo "$f" | tr / %)" "$f"
done
exit $rc
