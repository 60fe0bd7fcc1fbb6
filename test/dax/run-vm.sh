#!/usr/bin/env bash
# run-vm.sh -- the DAX end-to-end tests: boots a Linux guest under QEMU
# (software emulation) with an emulated NVDIMM and, once per MODE asked
# for, makes it a device DAX or a DAX file system with ndctl and runs a
# list of commands in it against libvmem and libvmmalloc of a build.
#
# usage: test/dax/run-vm.sh [-b BUILD] [MODE...]
#   MODE  4K, 2M, 1G   a device DAX, /dev/dax0.0 (ndctl create-namespace
#                      --mode=devdax --align=MODE); runs tests.txt
#         fsdax-ext4   an fsdax namespace, /dev/pmem0 (ndctl
#         fsdax-xfs    create-namespace --mode=fsdax), made ext4
#                      (mkfs.ext4 -b 4096) or xfs (mkfs.xfs -d su=2m,sw=1,
#                      the stripe unit libvmem's manual advises, and
#                      -m reflink=0, see below) and mounted on /pmem with
#                      -o dax (xfs: -o dax=always); the boot fails as a
#                      harness failure unless a file made there has
#                      STATX_ATTR_DAX and /proc/mounts shows dax; runs
#                      tests-fsdax.txt
#         fsdax-xfs-reflink   the same with mkfs.xfs's default reflink=1.
#                      On Debian 12's kernel (6.1), a VMMALLOC_FORK=2
#                      copy of the pool file made with copy_file_range,
#                      which shares the blocks there (reflink), made the
#                      kernel warn (fs/dax.c dax_insert_entry,
#                      dax_disassociate_entry) at the next page faults,
#                      then hang or oops (clear_inode) at exit: the
#                      library now copies a DAX pool file with read and
#                      write (src/dax/backing_fork.c), and this mode
#                      checks that it does
#   (default build/, and the modes 2M 4K fsdax-ext4 fsdax-xfs
#   fsdax-xfs-reflink: one boot each)
#
# A test fails, whatever its exit status, if the guest's kernel logs a
# WARNING, BUG or Oops while it runs (those lines are printed).
#
# Needs, from BUILD (make lib dax-tests): libvmmalloc.so.1, and for a
# device DAX test/dax/dax_e2e and test/dax/dax_vmmalloc, for a file system
# test/dax/fsdax_e2e, test/dax/fsdax_vmmalloc and test/dax/fsdax_stat.
# Whatever else is missing on the host is installed from Debian's packages
# with apt-get (as root, or with sudo): qemu-system-x86, busybox-static,
# ndctl, daxctl, cpio, kmod, and for the fsdax modes e2fsprogs and
# xfsprogs (their mke2fs and mkfs.xfs go into the guest); Debian's kernel
# package (linux-image-amd64's) is downloaded with apt-get download and
# unpacked with dpkg -x, never installed. The kernel, the modules the
# guest needs (the NVDIMM's, ext4's and xfs's) and the guest's base
# initramfs are cached (see DAX_CACHE).
#
# Prints each test's output and a line per test, then, last,
#   dax: N passed, M failed
# (N and M count test commands over all modes). Exit status: 0 if all
# passed, 1 if any test failed, 2 if the harness could not run them (no
# build, no packages, the guest did not boot, could not make the device or
# the DAX file system, lost it, a test never finished); the reason is
# printed, and the console's tail.
#
# Environment (defaults):
#   DAX_CACHE=${TMPDIR:-/tmp}/vmem-dax   kernel, modules, base initramfs,
#                        and each boot's NVDIMM image (removed after it)
#   DAX_SIZE=512M        the emulated NVDIMM (a multiple of 2M; 1G
#                        alignment needs at least 2G, xfs about 320M)
#   DAX_MEM=512M         guest memory
#   DAX_TIMEOUT=300      seconds for one boot and its tests; then QEMU is
#                        killed and the boot counts as a harness failure
#   DAX_TEST_TIMEOUT=150 seconds for one test command in the guest
#   DAX_TESTS=test/dax/tests.txt   the commands to run on a device DAX
#   DAX_FSDAX_TESTS=test/dax/tests-fsdax.txt   ... on a DAX file system
#   DAX_VERBOSE=0        1: also print the whole guest console
#   DAX_KEEP=0           1: keep each boot's directory (console log, initrd)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=$root/build
while getopts b:h opt; do
	case $opt in
	b) BUILD=$(cd "$OPTARG" 2>/dev/null && pwd) || {
		echo "run-vm: no build directory $OPTARG" >&2; exit 2; } ;;
	*) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
MODES=("$@")
[ ${#MODES[@]} -gt 0 ] || MODES=(2M 4K fsdax-ext4 fsdax-xfs fsdax-xfs-reflink)

CACHE=${DAX_CACHE:-${TMPDIR:-/tmp}/vmem-dax}
SIZE=${DAX_SIZE:-512M}
MEM=${DAX_MEM:-512M}
TIMEOUT=${DAX_TIMEOUT:-300}
TEST_TIMEOUT=${DAX_TEST_TIMEOUT:-150}
TESTS=${DAX_TESTS:-$here/tests.txt}
FSDAX_TESTS=${DAX_FSDAX_TESTS:-$here/tests-fsdax.txt}
VERBOSE=${DAX_VERBOSE:-0}
KEEP=${DAX_KEEP:-0}
# the modules behind an ACPI NVDIMM turned device DAX; their dependencies
# come along from modules.dep
MODULES="libnvdimm nfit nd_pmem nd_btt device_dax dax_pmem"
# and a DAX file system's (crc32c_generic first: ext4, jbd2 and libcrc32c
# ask the crypto API for crc32c, which busybox's modprobe cannot resolve,
# and the emulated CPU has no SSE 4.2 for crc32c-intel)
FS_MODULES_ext4="crc32c_generic ext4"
FS_MODULES_xfs="crc32c_generic xfs"
KERNEL_MODULES="$MODULES crc32c_generic ext4 xfs"

started=$(date +%s.%N)
# temporary directories, removed at exit (DAX_KEEP=1: kept and named)
scratch=()
cleanup() {
	local d
	for d in "${scratch[@]}"; do
		[ -d "$d" ] || continue
		if [ "$KEEP" = 1 ]; then say "kept $d"; else rm -rf "$d"; fi
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { echo "run-vm: $*" >&2; }
# a failure of the harness, not of a test
broken() {
	say "HARNESS FAILURE: $*"
	echo "dax: ${passed:-0} passed, ${failed:-0} failed (harness failure: $1)"
	exit 2
}
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# bytes of 4K, 2M, 1G
to_bytes() {
	case $1 in
	*[Kk]) echo $((${1%?} << 10)) ;;
	*[Mm]) echo $((${1%?} << 20)) ;;
	*[Gg]) echo $((${1%?} << 30)) ;;
	*[!0-9]*|'') return 1 ;;
	*) echo "$1" ;;
	esac
}
want_fsdax=0
for m in "${MODES[@]}"; do
	case $m in
	fsdax-ext4|fsdax-xfs|fsdax-xfs-reflink) want_fsdax=1 ;;
	*) to_bytes "$m" > /dev/null ||
		broken "bad mode '$m' (4K, 2M, 1G, fsdax-ext4, fsdax-xfs or fsdax-xfs-reflink)" ;;
	esac
done

# ---- what the guest runs, from the build --------------------------------
DEVDAX_PROGS=("$BUILD/test/dax/dax_e2e" "$BUILD/test/dax/dax_vmmalloc")
FSDAX_PROGS=("$BUILD/test/dax/fsdax_e2e" "$BUILD/test/dax/fsdax_vmmalloc"
	"$BUILD/test/dax/fsdax_stat")
VMMLIB=$BUILD/libvmmalloc.so.1
need_files=("$VMMLIB")
for m in "${MODES[@]}"; do
	case $m in
	fsdax-*) need_files+=("${FSDAX_PROGS[@]}")
		[ -r "$FSDAX_TESTS" ] || broken "no test list $FSDAX_TESTS" ;;
	*) need_files+=("${DEVDAX_PROGS[@]}")
		[ -r "$TESTS" ] || broken "no test list $TESTS" ;;
	esac
done
for f in "${need_files[@]}"; do
	[ -f "$f" ] || broken "missing $f (build it first: make lib dax-tests)"
done

# ---- host packages -------------------------------------------------------
as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"
	elif command -v sudo > /dev/null; then sudo -n "$@"
	else return 1; fi
}
install_missing() {
	local need=()
	command -v qemu-system-x86_64 > /dev/null || need+=(qemu-system-x86)
	[ -x /bin/busybox ] || need+=(busybox-static)
	command -v ndctl > /dev/null || need+=(ndctl)
	command -v daxctl > /dev/null || need+=(daxctl)
	command -v cpio > /dev/null || need+=(cpio)
	command -v depmod > /dev/null || need+=(kmod)
	[ -x /usr/bin/sort ] || need+=(coreutils)
	if [ "$want_fsdax" = 1 ]; then
		command -v mke2fs > /dev/null || need+=(e2fsprogs)
		command -v mkfs.xfs > /dev/null || need+=(xfsprogs)
	fi
	[ ${#need[@]} -eq 0 ] && return 0
	say "installing ${need[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq > /dev/null &&
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${need[@]}" > "$CACHE/apt.log" 2>&1 ||
		{ tail -n 20 "$CACHE/apt.log" >&2
		  broken "cannot install ${need[*]} (root or sudo needed)"; }
}

# the shared libraries (and the loader) a dynamic executable needs
libs_of() {
	ldd "$@" 2> /dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
		$1 ~ /^\// && $1 !~ /:$/ { print $1 }' | sort -u
}
# copy_with_libs DEST FILE... : each FILE and its libraries to the same
# absolute paths under DEST
copy_with_libs() {
	local dest=$1 f
	shift
	for f in "$@" $(libs_of "$@"); do
		mkdir -p "$dest$(dirname "$f")"
		cp -L "$f" "$dest$f" || return 1
	done
}

# ---- the kernel and its modules (cached) ---------------------------------
# Sets KVER, VMLINUZ and KMODS (a lib/modules/KVER tree with only the
# modules the guest loads, uncompressed, with its own modules.dep).
# true if the cached tree $KMODS has every module of KERNEL_MODULES
have_modules() {
	local m
	[ -s "$KMODS/modules.dep" ] || return 1
	for m in $KERNEL_MODULES; do
		grep -qE "(^|/)$m\.ko:" "$KMODS/modules.dep" || return 1
	done
}
get_kernel() {
	local pkg deb x
	pkg=$(apt-cache depends linux-image-amd64 2> /dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	if [ -z "$pkg" ]; then
		as_root apt-get update -qq > /dev/null 2>&1
		pkg=$(apt-cache depends linux-image-amd64 2> /dev/null |
			awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	fi
	if [ -z "$pkg" ]; then
		# offline: whatever kernel is cached already
		pkg=$(cd "$CACHE" && ls -d linux-image-* 2> /dev/null | tail -1)
		[ -n "$pkg" ] || broken "cannot tell which kernel package linux-image-amd64 depends on"
	fi
	KVER=${pkg#linux-image-}
	x=$CACHE/$pkg
	VMLINUZ=$x/vmlinuz
	KMODS=$x/lib/modules/$KVER
	[ -s "$VMLINUZ" ] && have_modules && return 0

	say "downloading $pkg"
	local tmp
	tmp=$(mktemp -d "$CACHE/kernel.XXXXXX")
	scratch+=("$tmp")
	( cd "$tmp" && apt-get download "$pkg" ) > "$tmp/download.log" 2>&1 ||
		{ cat "$tmp/download.log" >&2; broken "apt-get download $pkg failed"; }
	deb=$(ls "$tmp"/*.deb)
	dpkg -x "$deb" "$tmp/root" || broken "dpkg -x $deb failed"
	local src
	src=$(ls -d "$tmp"/root/lib/modules/"$KVER" "$tmp"/root/usr/lib/modules/"$KVER" 2> /dev/null | head -1)
	[ -n "$src" ] && [ -f "$tmp/root/boot/vmlinuz-$KVER" ] ||
		broken "$pkg has no vmlinuz-$KVER or modules"
	# the modules.dep of the whole package, to find what ours depend on
	mkdir -p "$tmp/full/lib/modules"
	mv "$src" "$tmp/full/lib/modules/$KVER"
	depmod -b "$tmp/full" "$KVER" || broken "depmod on $pkg failed"
	rm -rf "$x"
	mkdir -p "$x/lib/modules/$KVER"
	local m dep f
	for m in $KERNEL_MODULES; do
		dep=$(grep -E "(^|/)$m\.ko(\.xz|\.zst|\.gz)?:" "$tmp/full/lib/modules/$KVER/modules.dep") ||
			broken "no module $m in $pkg"
		for f in $(echo "$dep" | tr -d ':'); do
			mkdir -p "$x/lib/modules/$KVER/$(dirname "$f")"
			cp "$tmp/full/lib/modules/$KVER/$f" "$x/lib/modules/$KVER/$f"
		done
	done
	cp "$tmp/full/lib/modules/$KVER"/modules.{order,builtin,builtin.modinfo} \
		"$x/lib/modules/$KVER/" 2> /dev/null
	# busybox's modprobe reads plain .ko files: undo any compression
	find "$x/lib/modules/$KVER" -name '*.ko.xz' -exec xz -d {} + &&
	find "$x/lib/modules/$KVER" -name '*.ko.zst' -exec zstd -q -d --rm {} + &&
	find "$x/lib/modules/$KVER" -name '*.ko.gz' -exec gzip -d {} + ||
		broken "cannot decompress the modules of $pkg"
	depmod -b "$x" "$KVER" || broken "depmod on the guest's modules failed"
	cp "$tmp/root/boot/vmlinuz-$KVER" "$VMLINUZ"
	rm -rf "$tmp"
	# kernels of earlier Debian point releases are of no use any more
	ls -d "$CACHE"/linux-image-* | grep -vxF "$x" | xargs -r rm -rf
}

# ---- the guest's base initramfs (cached) ----------------------------------
# busybox, ndctl and daxctl with their libraries, the modules, and /init.
# Its name carries a hash of this script, the kernel and the tools, so a
# change to any of them makes a new one.
make_base() {
	local key
	key=$( { cat "$0"; echo "$KVER"; ls -lL /bin/busybox "$(command -v ndctl)" \
		"$(command -v daxctl)"; } | cksum | cut -d' ' -f1)
	BASE=$CACHE/base-$KVER-$key.cpio.gz
	[ -s "$BASE" ] && return 0
	say "making the guest's base initramfs"
	local r
	r=$(mktemp -d "$CACHE/base.XXXXXX")
	scratch+=("$r")
	mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,test}
	cp /bin/busybox "$r/bin/busybox"
	local a
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -s busybox "$r/bin/$a"
	done
	# a busybox that is not static brings its libraries along
	copy_with_libs "$r" "$(command -v ndctl)" "$(command -v daxctl)" ||
		broken "cannot copy ndctl and daxctl"
	ldd /bin/busybox > /dev/null 2>&1 && { copy_with_libs "$r" /bin/busybox ||
		broken "cannot copy busybox's libraries"; }
	mkdir -p "$r/lib/modules"
	cp -r "$KMODS" "$r/lib/modules/"
	guest_init > "$r/init"
	chmod 755 "$r/init"
	( cd "$r" && find . | cpio -o -H newc --quiet | gzip -1 ) > "$BASE.tmp" &&
		mv "$BASE.tmp" "$BASE" || broken "cannot write $BASE"
	rm -rf "$r"
	# older bases of other keys are of no use any more
	ls "$CACHE"/base-*.cpio.gz | grep -vxF "$BASE" | xargs -r rm -f
}

# The guest's /init (busybox sh). Lines for the host start with "@@dax ".
# It reads /test/env (MODE: devdax or fsdax; ALIGN, ALIGN_BYTES for a
# device DAX; FS, FS_MODULES, MKFS (the command) for a file system;
# TEST_TIMEOUT, MODULES) and /test/list.
guest_init() {
	cat << 'EOF'
#!/bin/sh
export PATH=/test/bin:/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
echo 1 > /proc/sys/kernel/printk
stop() { echo "@@dax end"; poweroff -f; sleep 10; }
setup_failed() { echo "@@dax setup-failed $*"; stop; }
. /test/env
for m in $MODULES; do modprobe $m || setup_failed "modprobe $m"; done
# the NVDIMM's namespace shows once nfit has probed it
i=0
until ndctl list -N 2> /dev/null | grep -q '"namespace0.0"'; do
	i=$((i + 1))
	[ $i -le 100 ] || { ndctl list -BDRNiv; setup_failed "no namespace0.0 after 10 s"; }
	sleep 0.1
done
if [ "$MODE" = devdax ]; then
	ndctl create-namespace -f -e namespace0.0 --mode=devdax --align=$ALIGN > /tmp/ns 2>&1 ||
		{ cat /tmp/ns; setup_failed "ndctl create-namespace --mode=devdax --align=$ALIGN failed"; }
	i=0
	until [ -c /dev/dax0.0 ]; do
		i=$((i + 1))
		[ $i -le 100 ] || { cat /tmp/ns; setup_failed "no /dev/dax0.0 after 10 s"; }
		sleep 0.1
	done
	sys=/sys/bus/dax/devices/dax0.0
	got=$(cat $sys/align 2> /dev/null || cat $sys/../dax_region/align 2> /dev/null)
	[ "$got" = "$ALIGN_BYTES" ] ||
		{ cat /tmp/ns; setup_failed "/dev/dax0.0 has alignment '$got', not $ALIGN_BYTES"; }
	echo "@@dax device /dev/dax0.0 size $(cat $sys/size) align $got"
	export DEV=/dev/dax0.0 ALIGN ALIGN_BYTES
else
	# a DAX file system: fsdax namespace, mkfs, mount -o dax, and proof
	# that files there really are DAX
	for m in $FS_MODULES; do modprobe $m || setup_failed "modprobe $m"; done
	ndctl create-namespace -f -e namespace0.0 --mode=fsdax > /tmp/ns 2>&1 ||
		{ cat /tmp/ns; setup_failed "ndctl create-namespace --mode=fsdax failed"; }
	i=0
	until [ -b /dev/pmem0 ]; do
		i=$((i + 1))
		[ $i -le 100 ] || { cat /tmp/ns; setup_failed "no /dev/pmem0 after 10 s"; }
		sleep 0.1
	done
	[ "$(cat /sys/block/pmem0/queue/dax 2> /dev/null)" = 1 ] ||
		{ cat /tmp/ns; setup_failed "/dev/pmem0 does not support DAX (queue/dax is not 1)"; }
	case $FS in
	ext4) opts=dax ;;
	xfs) opts=dax=always ;;
	*) setup_failed "no file system '$FS'" ;;
	esac
	$MKFS /dev/pmem0 > /tmp/mkfs 2>&1 ||
		{ cat /tmp/mkfs; setup_failed "$MKFS /dev/pmem0 failed"; }
	mkdir -p /pmem
	mount -t $FS -o $opts /dev/pmem0 /pmem > /tmp/mount 2>&1 ||
		{ cat /tmp/mount; dmesg | tail -n 5; setup_failed "mount -t $FS -o $opts /dev/pmem0 /pmem failed"; }
	line=$(grep '^/dev/pmem0 /pmem ' /proc/mounts)
	case ",$(echo "$line" | cut -d' ' -f4)," in
	*,dax,*|*,dax=always,*) ;;
	*) setup_failed "/proc/mounts shows no dax for /pmem: $line" ;;
	esac
	: > /pmem/.daxcheck
	fsdax_stat /pmem/.daxcheck > /tmp/statx 2>&1 ||
		{ cat /tmp/statx; setup_failed "a file in /pmem has no STATX_ATTR_DAX"; }
	rm -f /pmem/.daxcheck
	echo "@@dax device /dev/pmem0 size $(($(cat /sys/block/pmem0/size) * 512)) $FS ($MKFS) on /pmem: $line; $(df -k /pmem | awk 'NR == 2 { print $2 " KiB, " $4 " KiB free" }')"
	DIR_FREE_KB=$(df -k /pmem | awk 'NR == 2 { print $4 }')
	export PMEM=/dev/pmem0 DIR=/pmem FS DIR_FREE_KB
fi

export VMMALLOC=/test/lib/libvmmalloc.so.1
cd /test
# from here on the kernel's warnings reach the console, amid the tests'
# output (a test that hangs in the kernel shows why)
echo 5 > /proc/sys/kernel/printk
while read -r name cmd; do
	case $name in ''|'#'*) continue ;; esac
	echo "@@dax run $name"
	dmesg -c > /dev/null
	t0=$(cut -d' ' -f1 /proc/uptime)
	timeout $TEST_TIMEOUT sh -c "$cmd" < /dev/null 2>&1
	rc=$?
	t1=$(cut -d' ' -f1 /proc/uptime)
	# the kernel complained meanwhile (on the console, above): the test
	# fails (status 97)
	dmesg -c > /tmp/klog
	if grep -qE 'WARNING:|BUG:|kernel BUG|Oops|invalid opcode|general protection' /tmp/klog; then
		echo "the kernel logged a warning or an oops while the test ran (its exit status: $rc):"
		grep -E 'WARNING:|BUG:|kernel BUG|Oops|invalid opcode|general protection' /tmp/klog | head -n 10
		rc=97
	fi
	echo "@@dax result $name $rc $(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.1f", b - a }')"
	cd /test
done < /test/list
stop
EOF
}

# ---- one boot ------------------------------------------------------------
# boot MODE: runs the tests of that mode (an alignment of a device DAX, or
# fsdax-FS); adds to passed and failed; returns 1 if the harness failed
# (the reason in $why).
boot() {
	local mode=$1 dir log rc t0 progs list extra=()
	dir=$(mktemp -d "$CACHE/boot-$mode.XXXXXX")
	scratch+=("$dir")
	mkdir -p "$dir/o/test/bin" "$dir/o/test/lib"
	case $mode in
	fsdax-*)
		local fs mkfs v
		# full paths: busybox has a mke2fs of its own (ext2); xfs:
		# 2 AGs, for a log of 64 MiB (mkfs.xfs's minimum) to fit an
		# AG of a small NVDIMM
		case $mode in
		fsdax-ext4) fs=ext4
			mkfs="$(command -v mke2fs) -q -F -t ext4 -b 4096 -E nodiscard" ;;
		fsdax-xfs) fs=xfs
			mkfs="$(command -v mkfs.xfs) -q -f -K -d su=2m,sw=1,agcount=2 -l su=32k -m reflink=0" ;;
		fsdax-xfs-reflink) fs=xfs
			mkfs="$(command -v mkfs.xfs) -q -f -K -d su=2m,sw=1,agcount=2 -l su=32k" ;;
		esac
		v=FS_MODULES_$fs
		local fsmods=${!v}
		{
			echo "MODE=fsdax"
			echo "FS=$fs"
			echo "FS_MODULES='$fsmods'"
			echo "MKFS='$mkfs'"
		} > "$dir/o/test/env"
		progs=("${FSDAX_PROGS[@]}")
		list=$FSDAX_TESTS
		# mkfs for the guest (with mke2fs.conf, for the host's
		# defaults of ext4)
		extra=("$(command -v mke2fs)" "$(command -v mkfs.xfs)")
		mkdir -p "$dir/o/etc"
		cp /etc/mke2fs.conf "$dir/o/etc/" 2> /dev/null ;;
	*)
		{
			echo "MODE=devdax"
			echo "ALIGN=$mode"
			echo "ALIGN_BYTES=$(to_bytes "$mode")"
		} > "$dir/o/test/env"
		progs=("${DEVDAX_PROGS[@]}")
		list=$TESTS ;;
	esac
	{
		echo "TEST_TIMEOUT=$TEST_TIMEOUT"
		echo "MODULES='$MODULES'"
	} >> "$dir/o/test/env"
	cp "$list" "$dir/o/test/list"
	cp "${progs[@]}" "$dir/o/test/bin/"
	cp "$VMMLIB" "$dir/o/test/lib/"
	cp "$here"/*.sh "$dir/o/test/"
	rm -f "$dir/o/test/run-vm.sh"
	# our programs' libraries (glibc: the base has it from ndctl's list,
	# but a build may need more), GNU sort for preload_sort.sh, mkfs
	copy_with_libs "$dir/o" "${progs[@]}" "$VMMLIB" /usr/bin/sort "${extra[@]}" || {
		why="cannot copy the test programs' libraries"; return 1; }
	# the kernel unpacks concatenated archives in order, later files win
	( cd "$dir/o" && find . | cpio -o -H newc --quiet | gzip -1 ) > "$dir/overlay.cpio.gz"
	cat "$BASE" "$dir/overlay.cpio.gz" > "$dir/initrd.cpio.gz"
	truncate -s "$SIZE" "$dir/nvdimm.img"
	log=$dir/console.log
	t0=$(date +%s.%N)
	timeout -k 5 "$TIMEOUT" qemu-system-x86_64 -nodefaults -accel tcg \
		-machine pc,nvdimm=on -smp 1 -m "$MEM,slots=2,maxmem=16G" \
		-object memory-backend-file,id=nv0,share=on,mem-path="$dir/nvdimm.img",size="$SIZE",align=2M \
		-device nvdimm,id=nvdimm0,memdev=nv0 \
		-kernel "$VMLINUZ" -initrd "$dir/initrd.cpio.gz" \
		-append "console=ttyS0 panic=-1 quiet loglevel=3" \
		-display none -serial "file:$log" -no-reboot < /dev/null > "$dir/qemu.out" 2>&1
	rc=$?
	local secs
	secs=$(elapsed "$t0")
	tr -d '\r' < "$log" > "$log.txt" 2> /dev/null
	[ "$VERBOSE" = 1 ] && sed 's/^/  console| /' "$log.txt"
	rm -f "$dir/nvdimm.img"

	# the tests' output, with a line of our own per test
	local line name code took results=0 current=""
	while IFS= read -r line; do
		case $line in
		"@@dax device "*) echo "[$mode] ${line#@@dax }" ;;
		"@@dax run "*) current=${line#@@dax run }; echo "[$mode] --- $current" ;;
		"@@dax result "*)
			read -r name code took <<< "${line#@@dax result }"
			results=$((results + 1))
			current=""
			if [ "$code" = 0 ]; then
				passed=$((passed + 1)); echo "[$mode] ok   $name (${took}s)"
			else
				failed=$((failed + 1))
				local what="exit status $code"
				[ "$code" = 124 ] || [ "$code" = 143 ] && what="timed out after ${TEST_TIMEOUT}s"
				[ "$code" = 97 ] && what="the kernel logged a warning or oops"
				echo "[$mode] FAIL $name ($what, ${took}s)"
			fi ;;
		"@@dax "*) ;;
		*) [ -n "$current" ] && echo "[$mode]      $line" ;;
		esac
	done < "$log.txt"
	say "mode $mode: boot and $results tests in ${secs}s"

	why=""
	if grep -q '^@@dax setup-failed' "$log.txt"; then
		why="the guest could not set up $mode: $(sed -n 's/^@@dax setup-failed //p' "$log.txt")"
	elif ! grep -q '^@@dax end' "$log.txt"; then
		if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
			why="the guest of mode $mode did not finish in ${TIMEOUT}s (DAX_TIMEOUT)"
		else
			why="the guest of mode $mode stopped before the end (qemu exit status $rc)"
		fi
		[ -n "$current" ] && { failed=$((failed + 1)); echo "[$mode] FAIL $current (did not finish)"; }
	fi
	if [ -n "$why" ]; then
		say "console of the guest of mode $mode (last 30 lines):"
		tail -n 30 "$log.txt" | sed 's/^/  | /' >&2
		[ -s "$dir/qemu.out" ] && sed 's/^/  qemu| /' "$dir/qemu.out" >&2
	fi
	[ "$KEEP" = 1 ] || rm -rf "$dir"
	[ -z "$why" ]
}

# ---- main ----------------------------------------------------------------
mkdir -p "$CACHE" || broken "cannot make $CACHE"
passed=0
failed=0
# one setup at a time on a cache (CI may run two)
exec 9> "$CACHE/.lock"
flock 9 2> /dev/null || true
install_missing
get_kernel
make_base
flock -u 9 2> /dev/null || true
say "kernel $KVER, NVDIMM $SIZE, modes ${MODES[*]} (setup $(elapsed "$started")s)"

harness=""
for a in "${MODES[@]}"; do
	boot "$a" || harness="${harness:+$harness; }$why"
done
say "total $(elapsed "$started")s"
if [ -n "$harness" ]; then
	say "HARNESS FAILURE: $harness"
	echo "dax: $passed passed, $failed failed (harness failure)"
	exit 2
fi
echo "dax: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
