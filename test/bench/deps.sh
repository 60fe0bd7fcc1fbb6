#!/usr/bin/env bash
# deps.sh -- installs, from Debian's packages, the allocators make bench
# compares vmem with (jemalloc, mimalloc, tcmalloc's minimal library and
# memkind, whose PMEM kind is the other heap in a file) and gnuplot, which
# draws the chart, when they are missing (as root, or through sudo). It
# never fails the benchmark: without root or sudo, or without the network,
# it says what is missing and the tables show those columns as skipped.
set -u
libdir=/usr/lib/$(${CC:-cc} -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
pkgs=()
[ -e "$libdir/libjemalloc.so.2" ] || pkgs+=(libjemalloc2)
[ -e "$libdir/libmimalloc.so.2" ] || pkgs+=(libmimalloc2.0)
[ -e "$libdir/libtcmalloc_minimal.so.4" ] || pkgs+=(libtcmalloc-minimal4)
[ -e "$libdir/libmemkind.so.0" ] || pkgs+=(libmemkind0)
command -v gnuplot >/dev/null 2>&1 || pkgs+=(gnuplot-nox)
[ ${#pkgs[@]} -eq 0 ] && exit 0
echo "make bench compares with: ${pkgs[*]} (Debian packages); installing them" >&2
if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
	echo "not root and no sudo: run  apt-get install ${pkgs[*]}  as root;" \
		"going on without them" >&2
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! { "${sudo[@]}" apt-get update -qq &&
	"${sudo[@]}" apt-get install -y -qq --no-install-recommends \
		"${pkgs[@]}" >/dev/null; }; then
	echo "could not install ${pkgs[*]}; going on without them" >&2
fi
exit 0
