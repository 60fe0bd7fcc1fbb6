#!/usr/bin/env bash
# apt-install.sh WHAT PKG... -- installs the Debian packages PKG..., which
# WHAT ("make check", "make deb") needs: as root, or through sudo;
# otherwise says what to install and fails. Used by test/deps.sh and
# test/deb/deps.sh once they know what is missing.
set -eu
what=$1
shift
[ $# -eq 0 ] && exit 0
echo "$what needs: $* (Debian packages); installing them" >&2
if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
	echo "not root and no sudo: run  apt-get install $*  as root" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq "$@" >/dev/null
