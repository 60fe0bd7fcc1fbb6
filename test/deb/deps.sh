#!/usr/bin/env bash
# deps.sh -- what `make deb` needs, from Debian's packages: dpkg-dev,
# debhelper and fakeroot to build, lintian to check. Installs what is
# missing (as root, or through sudo); otherwise says what to install.
set -eu
pkgs=()
command -v dpkg-buildpackage >/dev/null 2>&1 || pkgs+=(dpkg-dev)
command -v dh >/dev/null 2>&1 || pkgs+=(debhelper)
command -v fakeroot >/dev/null 2>&1 || pkgs+=(fakeroot)
command -v lintian >/dev/null 2>&1 || pkgs+=(lintian)
exec "$(dirname "$0")/../apt-install.sh" "make deb" ${pkgs[@]+"${pkgs[@]}"}
