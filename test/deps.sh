#!/usr/bin/env bash
# deps.sh -- makes sure what `make check` needs is installed, from Debian's
# packages: Check and pkg-config for the unit tests; python3, perl, git and
# gcc, the real programs test/vmmalloc runs under libvmmalloc; man-db, whose
# man --warnings checks the manual pages; clang-14 with its runtimes
# (libclang-rt-14-dev: libFuzzer and the sanitizers) and llvm-14 (symbolized
# stacks) for test/fuzz; valgrind (its headers too: the library makes its
# client requests) for test/valgrind. Installs them when missing (as root,
# or through sudo); otherwise says what to install and fails.
set -eu
pkgs=()
command -v pkg-config >/dev/null 2>&1 || pkgs+=(pkg-config)
if ! pkg-config --exists check 2>/dev/null; then pkgs+=(check); fi
command -v python3 >/dev/null 2>&1 || pkgs+=(python3)
command -v perl >/dev/null 2>&1 || pkgs+=(perl)
command -v git >/dev/null 2>&1 || pkgs+=(git)
command -v gcc >/dev/null 2>&1 || pkgs+=(gcc)
command -v man >/dev/null 2>&1 || pkgs+=(man-db)
command -v clang-14 >/dev/null 2>&1 || pkgs+=(clang-14)
ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a \
	>/dev/null 2>&1 || pkgs+=(libclang-rt-14-dev)
[ -x /usr/lib/llvm-14/bin/llvm-symbolizer ] || pkgs+=(llvm-14)
{ command -v valgrind >/dev/null 2>&1 &&
	[ -f /usr/include/valgrind/memcheck.h ]; } || pkgs+=(valgrind)
exec "$(dirname "$0")/apt-install.sh" "make check" ${pkgs[@]+"${pkgs[@]}"}
