#!/usr/bin/env bash
# abi.sh BUILD -- checks the binary interface of the built libraries:
#  - soname libvmem.so.1; exactly the 16 API functions exported, each at
#    version LIBVMEM_1.0, nothing else (release and debug builds);
#  - the library imports none of the system malloc family, nor printf or
#    strerror (whose implementations may allocate);
#  - libvmmalloc.so.1 (release and debug): soname, exactly the malloc
#    family and glibc's internal names, unversioned (so they interpose
#    libc's), nothing of the core; it imports no malloc and no stdio
#    formatting (its text is formatted without allocating);
#  - the debug build honours VMEM_LOG_LEVEL and VMEM_LOG_FILE (a trailing
#    '-' appends the PID); the release build writes no trace, but its
#    vmem_stats_print output goes to VMEM_LOG_FILE.
set -u
build=${1:-build}
fail=0
no() { echo "abi: FAIL: $*"; fail=1; }

api="vmem_aligned_alloc vmem_calloc vmem_check vmem_check_version vmem_create
vmem_create_in_region vmem_delete vmem_errormsg vmem_free vmem_malloc
vmem_malloc_usable_size vmem_realloc vmem_set_funcs vmem_stats_print
vmem_strdup vmem_wcsdup"
want=$(for f in $api; do echo "$f@@LIBVMEM_1.0"; done | sort)

for lib in "$build/libvmem.so.1" "$build/debug/libvmem.so.1"; do
	soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
	[ "$soname" = libvmem.so.1 ] || no "$lib: soname '$soname'"
	got=$(nm -D --defined-only "$lib" | awk '$2 != "A" {print $3}' | sort)
	[ "$got" = "$want" ] || no "$lib exports: $(echo $got)"
	bad=$(nm -D --undefined-only "$lib" | awk '{print $2}' | sed 's/@.*//' |
		grep -xE 'malloc|calloc|realloc|free|posix_memalign|memalign|aligned_alloc|valloc|pvalloc|strdup|strndup|wcsdup|reallocarray|.*printf|strerror|strerror_r' || true)
	[ -z "$bad" ] && echo "abi: $lib: 16 functions at LIBVMEM_1.0, no malloc imported" ||
		no "$lib imports: $(echo $bad)"
done

vmm_api="__libc_calloc __libc_free __libc_malloc __libc_memalign __libc_pvalloc
__libc_realloc __libc_valloc aligned_alloc calloc cfree free mallinfo mallinfo2
malloc malloc_info malloc_stats malloc_trim malloc_usable_size mallopt memalign
posix_memalign pvalloc realloc reallocarray valloc"
vmm_want=$(printf '%s\n' $vmm_api | sort)
for lib in "$build/libvmmalloc.so.1" "$build/debug/libvmmalloc.so.1"; do
	soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
	[ "$soname" = libvmmalloc.so.1 ] || no "$lib: soname '$soname'"
	got=$(nm -D --defined-only "$lib" | awk '$2 != "A" {print $3}' | sort)
	[ "$got" = "$vmm_want" ] || no "$lib exports: $(echo $got)"
	versioned=$(nm -D --defined-only "$lib" | awk '$3 ~ /@/' | head -3)
	[ -z "$versioned" ] || no "$lib: versioned exports: $versioned"
	bad=$(nm -D --undefined-only "$lib" | awk '{print $2}' | sed 's/@.*//' |
		grep -xE 'malloc|calloc|realloc|free|posix_memalign|memalign|aligned_alloc|valloc|pvalloc|strdup|reallocarray|.*printf|strerror|strerror_r' || true)
	[ -z "$bad" ] && echo "abi: $lib: $(echo "$got" | wc -l) unversioned malloc-family symbols, no malloc or printf imported" ||
		no "$lib imports: $(echo $bad)"
done

# the debug log: one line per malloc at level 4, into a per-PID file
demo="$build/wordfreq"
if [ -x "$demo" ]; then
	tmp=$(mktemp -d)
	LD_LIBRARY_PATH="$build/debug" VMEM_LOG_LEVEL=4 VMEM_LOG_FILE="$tmp/log-" \
		"$demo" "$tmp" LICENSE >/dev/null 2>&1 || no "demo on the debug library failed"
	logs=("$tmp"/log-[0-9]*)
	if [ -f "${logs[0]}" ] && grep -q "<4>.*size" "${logs[0]}" && grep -q "<3>.*vmem_create" "${logs[0]}"; then
		echo "abi: debug log written to ${logs[0]##*/} ($(wc -l < "${logs[0]}") lines)"
	else
		no "no debug log in $tmp (VMEM_LOG_LEVEL=4, VMEM_LOG_FILE=log-)"
	fi
	rm -f "$tmp"/log-*
	VMEM_LOG_LEVEL=4 VMEM_LOG_FILE="$tmp/log-" "$demo" "$tmp" LICENSE >/dev/null 2>&1
	# release: the statistics the demo prints go to the file, traces never
	if grep -qs "<libvmem>" "$tmp"/log-*; then no "the release library traced"; fi
	grep -qs "Merged statistics" "$tmp"/log-* ||
		no "release: vmem_stats_print output did not go to VMEM_LOG_FILE"
	rm -rf "$tmp"
else
	no "$demo not built"
fi
exit $fail
