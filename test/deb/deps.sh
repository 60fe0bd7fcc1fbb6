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
[ ${#pkgs[@]} -eq 0 ] && exit 0
echo "make deb needs: ${pkgs[*]} (Debian packages); installing them" >&2
if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
	echo "not root and no sudo: run  apt-get install ${pkgs[*]}  as root" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
