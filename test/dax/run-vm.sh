#!/usr/bin/env bash
# run-vm.sh -- the device DAX end-to-end tests: boots a Linux guest under
# QEMU (software emulation) with an emulated NVDIMM, makes it a device DAX
# (/dev/dax0.0) with ndctl at each alignment asked for, and runs the
# commands of tests.txt in it against libvmem and libvmmalloc of a build.
#
# usage: test/dax/run-vm.sh [-b BUILD] [ALIGN...]     ALIGN: 4K, 2M, 1G
#        (default build/, and the alignments 2M and 4K: one boot each)
#
# Needs, from BUILD: test/dax/dax_e2e, test/dax/dax_vmmalloc (make
# dax-tests) and libvmmalloc.so.1. Whatever else is missing on the host is
# installed from Debian's packages with apt-get (as root, or with sudo):
# qemu-system-x86, busybox-static, ndctl, daxctl, cpio, kmod; Debian's
# kernel package (linux-image-amd64's) is downloaded with apt-get download
# and unpacked with dpkg -x, never installed. The kernel, the modules the
# guest needs and the guest's base initramfs are cached (see DAX_CACHE).
#
# Prints each test's output and a line per test, then, last,
#   dax: N passed, M failed
# (N and M count test commands over all alignments). Exit status: 0 if all
# passed, 1 if any test failed, 2 if the harness could not run them (no
# build, no packages, the guest did not boot or lost the device, a test
# never finished); the reason is printed, and the console's tail.
#
# Environment (defaults):
#   DAX_CACHE=${TMPDIR:-/tmp}/vmem-dax   kernel, modules, base initramfs,
#                        and each boot's NVDIMM image (removed after it)
#   DAX_SIZE=512M        the emulated NVDIMM (a multiple of 2M; 1G
#                        alignment needs at least 2G)
#   DAX_MEM=512M         guest memory
#   DAX_TIMEOUT=300      seconds for one boot and its tests; then QEMU is
#                        killed and the boot counts as a harness failure
#   DAX_TEST_TIMEOUT=150 seconds for one test command in the guest
#   DAX_TESTS=test/dax/tests.txt   the commands to run
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
ALIGNS=("$@")
[ ${#ALIGNS[@]} -gt 0 ] || ALIGNS=(2M 4K)

CACHE=${DAX_CACHE:-${TMPDIR:-/tmp}/vmem-dax}
SIZE=${DAX_SIZE:-512M}
MEM=${DAX_MEM:-512M}
TIMEOUT=${DAX_TIMEOUT:-300}
TEST_TIMEOUT=${DAX_TEST_TIMEOUT:-150}
TESTS=${DAX_TESTS:-$here/tests.txt}
VERBOSE=${DAX_VERBOSE:-0}
KEEP=${DAX_KEEP:-0}
# the modules behind an ACPI NVDIMM turned device DAX; their dependencies
# come along from modules.dep
MODULES="libnvdimm nfit nd_pmem nd_btt device_dax dax_pmem"

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
for a in "${ALIGNS[@]}"; do
	to_bytes "$a" > /dev/null || broken "bad alignment '$a' (4K, 2M or 1G)"
done

# ---- what the guest runs, from the build --------------------------------
PROGS=("$BUILD/test/dax/dax_e2e" "$BUILD/test/dax/dax_vmmalloc")
VMMLIB=$BUILD/libvmmalloc.so.1
for f in "${PROGS[@]}" "$VMMLIB"; do
	[ -f "$f" ] || broken "missing $f (build it first: make lib dax-tests)"
done
[ -r "$TESTS" ] || broken "no test list $TESTS"

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
	[ -s "$VMLINUZ" ] && [ -s "$KMODS/modules.dep" ] && return 0

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
	for m in $MODULES; do
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
# It reads /test/env (ALIGN, ALIGN_BYTES, TEST_TIMEOUT) and /test/list.
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

export DEV=/dev/dax0.0 ALIGN ALIGN_BYTES VMMALLOC=/test/lib/libvmmalloc.so.1
cd /test
while read -r name cmd; do
	case $name in ''|'#'*) continue ;; esac
	echo "@@dax run $name"
	t0=$(cut -d' ' -f1 /proc/uptime)
	timeout $TEST_TIMEOUT sh -c "$cmd" < /dev/null 2>&1
	rc=$?
	t1=$(cut -d' ' -f1 /proc/uptime)
	echo "@@dax result $name $rc $(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.1f", b - a }')"
	cd /test
done < /test/list
stop
EOF
}

# ---- one boot ------------------------------------------------------------
# boot ALIGN: runs the tests at that alignment; adds to passed and failed;
# returns 1 if the harness failed (the reason in $why).
boot() {
	local align=$1 dir log rc t0
	dir=$(mktemp -d "$CACHE/boot-$align.XXXXXX")
	scratch+=("$dir")
	mkdir -p "$dir/o/test/bin" "$dir/o/test/lib"
	{
		echo "ALIGN=$align"
		echo "ALIGN_BYTES=$(to_bytes "$align")"
		echo "TEST_TIMEOUT=$TEST_TIMEOUT"
		echo "MODULES='$MODULES'"
	} > "$dir/o/test/env"
	cp "$TESTS" "$dir/o/test/list"
	cp "${PROGS[@]}" "$dir/o/test/bin/"
	cp "$VMMLIB" "$dir/o/test/lib/"
	cp "$here"/*.sh "$dir/o/test/"
	rm -f "$dir/o/test/run-vm.sh"
	# our programs' libraries (glibc: the base has it from ndctl's list,
	# but a build may need more), and GNU sort for preload_sort.sh
	copy_with_libs "$dir/o" "${PROGS[@]}" "$VMMLIB" /usr/bin/sort || {
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
		"@@dax device "*) echo "[$align] ${line#@@dax }" ;;
		"@@dax run "*) current=${line#@@dax run }; echo "[$align] --- $current" ;;
		"@@dax result "*)
			read -r name code took <<< "${line#@@dax result }"
			results=$((results + 1))
			current=""
			if [ "$code" = 0 ]; then
				passed=$((passed + 1)); echo "[$align] ok   $name (${took}s)"
			else
				failed=$((failed + 1))
				local what="exit status $code"
				[ "$code" = 124 ] || [ "$code" = 143 ] && what="timed out after ${TEST_TIMEOUT}s"
				echo "[$align] FAIL $name ($what, ${took}s)"
			fi ;;
		"@@dax "*) ;;
		*) [ -n "$current" ] && echo "[$align]      $line" ;;
		esac
	done < "$log.txt"
	say "alignment $align: boot and $results tests in ${secs}s"

	why=""
	if grep -q '^@@dax setup-failed' "$log.txt"; then
		why="the guest could not make the device DAX at $align: $(sed -n 's/^@@dax setup-failed //p' "$log.txt")"
	elif ! grep -q '^@@dax end' "$log.txt"; then
		if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
			why="the guest at $align did not finish in ${TIMEOUT}s (DAX_TIMEOUT)"
		else
			why="the guest at $align stopped before the end (qemu exit status $rc)"
		fi
		[ -n "$current" ] && { failed=$((failed + 1)); echo "[$align] FAIL $current (did not finish)"; }
	fi
	if [ -n "$why" ]; then
		say "console of the guest at $align (last 30 lines):"
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
say "kernel $KVER, NVDIMM $SIZE, alignments ${ALIGNS[*]} (setup $(elapsed "$started")s)"

harness=""
for a in "${ALIGNS[@]}"; do
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
