#!/usr/bin/env bash
# install.sh BUILD -- `make install` into a temporary DESTDIR, then, using
# nothing but what was installed and pkg-config:
#  - exactly the expected files are there (libraries with their soname
#    links, debug builds in lib/vmem_debug, headers, pkg-config files, the
#    launcher, every manual page of man/);
#  - test/example/wordfreq.c builds with `pkg-config --cflags --libs
#    libvmem` and runs on the installed library (ldd says which), and on
#    the installed debug build, whose log it writes;
#  - a program built with `pkg-config --libs libvmmalloc` gets its malloc
#    from a pool; the installed launcher names the installed library and
#    runs a program on it;
#  - the manual pages are found through MANPATH, .so links included;
# then `make uninstall` leaves no file behind.
set -u
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd)
fail=0
no() { echo "install: FAIL: $*"; fail=1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest
prefix=/usr/local
pool=$(mktemp -d "${TMPDIR:-/tmp}/vmem-install.XXXXXX")
trap 'rm -rf "$tmp" "$pool"' EXIT

make -s -C "$root" --no-print-directory BUILD="$build" DESTDIR="$dest" \
	PREFIX="$prefix" install > "$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; no "make install failed"; exit 1; }

# the expected files
want=$tmp/want
{
	for d in lib lib/vmem_debug; do
		for l in libvmem libvmmalloc; do
			printf '%s\n' "$prefix/$d/$l.so.1" "$prefix/$d/$l.so" "$prefix/$d/$l.a"
		done
	done
	printf '%s\n' "$prefix/include/libvmem.h" "$prefix/include/libvmmalloc.h" \
		"$prefix/lib/pkgconfig/libvmem.pc" "$prefix/lib/pkgconfig/libvmmalloc.pc" \
		"$prefix/bin/vmmalloc"
	for p in "$root"/man/*.[137]; do
		[ -e "$p" ] || continue
		s=${p##*.}
		echo "$prefix/share/man/man$s/${p##*/}"
	done
} | sort > "$want"
(cd "$dest" && find . -type f -o -type l | sed 's/^\.//' | sort) > "$tmp/got"
if diff -u "$want" "$tmp/got" > "$tmp/diff"; then
	echo "install: $(wc -l < "$want") files, as expected"
else
	no "installed files differ from the expected list:"; cat "$tmp/diff"
fi
for l in libvmem libvmmalloc; do
	[ "$(readlink "$dest$prefix/lib/$l.so")" = "$l.so.1" ] || no "$l.so is not a link to $l.so.1"
	soname=$(readelf -d "$dest$prefix/lib/$l.so.1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
	[ "$soname" = "$l.so.1" ] || no "$l.so.1 has soname '$soname'"
done

# pkg-config alone, as on a system where it is installed under DESTDIR
export PKG_CONFIG_PATH=$dest$prefix/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
export PKG_CONFIG_LIBDIR=$dest$prefix/lib/pkgconfig
cflags=$(pkg-config --cflags libvmem) && libs=$(pkg-config --libs libvmem) ||
	no "pkg-config does not know libvmem"
cc -std=c11 -O2 $cflags "$root/test/example/wordfreq.c" -o "$tmp/wordfreq" $libs ||
	no "wordfreq does not build with pkg-config's flags ($cflags $libs)"
lib=$dest$prefix/lib
if [ -x "$tmp/wordfreq" ]; then
	used=$(LD_LIBRARY_PATH=$lib ldd "$tmp/wordfreq" | awk '/libvmem/ {print $3}')
	[ "$used" = "$lib/libvmem.so.1" ] || no "wordfreq loads '$used', not the installed library"
	out=$(LD_LIBRARY_PATH=$lib "$tmp/wordfreq" "$pool" "$root/LICENSE" 2>&1)
	grep -q "pool consistent: yes" <<< "$out" && echo "install: wordfreq built with pkg-config runs on $lib" ||
		no "wordfreq on the installed library: $out"
	LD_LIBRARY_PATH=$lib/vmem_debug VMEM_LOG_LEVEL=3 VMEM_LOG_FILE="$tmp/log" \
		"$tmp/wordfreq" "$pool" "$root/LICENSE" > /dev/null 2>&1
	grep -qs "vmem_create" "$tmp/log" && echo "install: the debug build in vmem_debug/ logs" ||
		no "the installed debug build wrote no log"
fi

# -lvmmalloc through pkg-config
cat > "$tmp/linked.c" <<'PROG'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libvmmalloc.h>
int main(void)
{
	char *p = malloc(100);
	strcpy(p, "in the pool");
	printf("%s %d\n", p, VMMALLOC_MAJOR_VERSION);
	free(p);
	return 0;
}
PROG
cc -std=c11 -O2 $(pkg-config --cflags libvmmalloc) "$tmp/linked.c" -o "$tmp/linked" \
	$(pkg-config --libs libvmmalloc) || no "a -lvmmalloc program does not build with pkg-config"
if [ -x "$tmp/linked" ]; then
	out=$(LD_LIBRARY_PATH=$lib VMMALLOC_POOL_DIR=$pool VMMALLOC_POOL_SIZE=16M \
		VMMALLOC_LOG_STATS=1 "$tmp/linked" 2>&1)
	grep -q "in the pool 1" <<< "$out" && grep -q "allocated:" <<< "$out" &&
		echo "install: a program linked with -lvmmalloc runs on a pool" ||
		no "-lvmmalloc program: $out"
fi

# the launcher knows where it was installed
help=$("$dest$prefix/bin/vmmalloc" --help)
grep -q "$prefix/lib/libvmmalloc.so.1" <<< "$help" && grep -q "vmem_debug/" <<< "$help" ||
	no "the installed launcher does not name $prefix/lib/libvmmalloc.so.1 and vmem_debug/"
out=$(VMMALLOC_LIB=$lib/libvmmalloc.so.1 "$dest$prefix/bin/vmmalloc" --dir "$pool" \
	--size 16M -- /bin/echo launched 2>&1)
[ "$out" = launched ] && echo "install: the launcher runs a program on the installed library" ||
	no "installed launcher: $out"

# manual pages through MANPATH, links too
if command -v man > /dev/null && ls "$root"/man/*.3 > /dev/null 2>&1; then
	for page in vmem_create vmem_malloc vmem_free libvmmalloc; do
		MANPATH=$dest$prefix/share/man man -w "$page" > /dev/null 2>&1 ||
			no "man -w $page finds nothing in the installed pages"
		MANPATH=$dest$prefix/share/man MANWIDTH=80 man "$page" 2> /dev/null | grep -q "NAME" ||
			no "man $page does not render"
	done
	echo "install: manual pages found and rendered through MANPATH"
fi

make -s -C "$root" --no-print-directory BUILD="$build" DESTDIR="$dest" \
	PREFIX="$prefix" uninstall > "$tmp/uninstall.log" 2>&1 || no "make uninstall failed"
left=$(cd "$dest" && find . -type f -o -type l)
[ -z "$left" ] && echo "install: make uninstall removed every file" ||
	no "left after make uninstall: $(echo $left)"
exit $fail
