#!/usr/bin/env bash
# check.sh BUILD -- the packages of BUILD/deb, as a user gets them:
#  - lintian: no error and no warning (overrides, each with its reason,
#    are in debian/*.lintian-overrides);
#  - dpkg -i of every package, then: the example (test/example/wordfreq.c)
#    compiled with `pkg-config --cflags --libs libvmem` against the
#    installed files and run on a pool; a program linked with
#    `pkg-config --libs libvmmalloc`; the installed launcher running a
#    program with its heap in a pool (release and --debug); the manual
#    pages there (man -w);
#  - dpkg -P of every package, after which none is known to dpkg and no
#    file of theirs is left (the list taken before the purge).
# Needs root (dpkg; sudo when not root). Prints "ok ..." / "FAIL ..."; exit status 1 on a
# failure.
set -u
build=$(cd "${1:-build}" && pwd)
sudo=()
debs=("$build"/deb/*.deb)
fails=0
ok() { echo "ok    $*"; }
fail() { echo "FAIL  $*"; fails=$((fails + 1)); }
# dpkg -i and -P need root: sudo when not root
if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
	echo "check.sh: dpkg needs root (or sudo)" >&2; exit 1
fi
[ -e "${debs[0]}" ] || { echo "check.sh: no packages in $build/deb" >&2; exit 1; }

if lintian --fail-on error,warning "$build"/deb/vmem_*.changes \
		> "$build/deb/lintian.txt" 2>&1; then
	ok "lintian: no error, no warning ($(grep -c '^I:' "$build/deb/lintian.txt") notes)"
else
	fail "lintian:"
	grep -E '^(E|W):' "$build/deb/lintian.txt" | sed 's/^/      /'
fi

pkgs=()
for d in "${debs[@]}"; do pkgs+=("$(dpkg-deb -f "$d" Package)"); done
files=$(for d in "${debs[@]}"; do dpkg-deb -c "$d"; done |
	awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' | sort -u)
if "${sudo[@]}" dpkg -i "${debs[@]}" > "$build/deb/install.log" 2>&1; then
	ok "dpkg -i: ${pkgs[*]}"
else
	fail "dpkg -i"; tail -5 "$build/deb/install.log"
fi

work=$(mktemp -d)
pool=$(mktemp -d /dev/shm/vmemdeb.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$work" "$pool"' EXIT
src=$(dirname "$0")/../example/wordfreq.c
# shellcheck disable=SC2046
if cc -std=c11 -D_GNU_SOURCE -o "$work/wordfreq" "$src" \
		$(pkg-config --cflags --libs libvmem) 2> "$work/cc.err"; then
	ok "the example builds with pkg-config libvmem: $(pkg-config --libs libvmem)"
else
	fail "the example does not build against the installed files"; cat "$work/cc.err"
fi
if [ -x "$work/wordfreq" ] && ldd "$work/wordfreq" | grep -qE 'libvmem.so.1 => /(usr/)?lib/' &&
		"$work/wordfreq" "$pool" "$src" > "$work/wf.out" 2>&1 &&
		grep -q "pool consistent: yes" "$work/wf.out"; then
	ok "the example runs on the installed libvmem: $(tail -n 1 "$work/wf.out")"
else
	fail "the example does not run: $(tail -n 3 "$work/wf.out" 2>/dev/null)"
fi
printf '#include <stdlib.h>\n#include <libvmmalloc.h>\nint main(void) { return malloc(10) == NULL; }\n' > "$work/linked.c"
# shellcheck disable=SC2046
if cc -o "$work/linked" "$work/linked.c" $(pkg-config --cflags --libs libvmmalloc) &&
		VMMALLOC_POOL_DIR=$pool VMMALLOC_POOL_SIZE=16M "$work/linked"; then
	ok "a program linked with pkg-config libvmmalloc runs on a pool"
else
	fail "a program linked with -lvmmalloc"
fi
for dbg in "" --debug; do
	out=$(/usr/bin/vmmalloc --dir "$pool" --size 64M $dbg --stats -- \
		/bin/echo hello 2> "$work/stats")
	if [ "$out" = hello ] && grep -q "Begin libvmem statistics" "$work/stats"; then
		ok "the installed launcher ${dbg:+($dbg) }runs a program on a pool"
	else
		fail "the installed launcher ${dbg}: '$out'"; head -3 "$work/stats"
	fi
done
for page in libvmem.7 vmem_malloc.3 vmem_free.3 libvmmalloc.7 vmmalloc.1; do
	man -w "${page%.*}" > /dev/null 2>&1 || fail "man page $page not found"
done
ok "the manual pages are installed"

if "${sudo[@]}" dpkg -P "${pkgs[@]}" > "$build/deb/purge.log" 2>&1; then
	ok "dpkg -P: ${pkgs[*]}"
else
	fail "dpkg -P"; tail -5 "$build/deb/purge.log"
fi
known=$(dpkg-query -W -f '${Package} ${Status}\n' "${pkgs[@]}" 2>/dev/null |
	grep -v "not-installed" || true)
[ -z "$known" ] || fail "still known to dpkg: $known"
left=$(for f in $files; do [ -e "$f" ] || [ -L "$f" ] && echo "$f"; done)
[ -z "$left" ] && ok "nothing left of $(echo "$files" | wc -l) files" ||
	fail "left behind: $left"
echo "deb: $([ "$fails" -eq 0 ] && echo all passed || echo "$fails failed")"
[ "$fails" -eq 0 ]
