/*
 * vg.c -- which Valgrind tool runs the process, and the out-of-line
 * requests to helgrind and drd (see vg.h).
 *
 * The tool is told apart by requests only it answers: memcheck returns
 * the V bits of a word (1: done; 0 from anyone else), drd its thread id
 * (0 from anyone else), helgrind how many of the word's bytes are
 * addressable (all of them; -2 from anyone else). Nothing is read from the environment.
 * Owns vm_vg_memcheck, vm_vg_sync, vm_vg_any (written once, when the
 * library is loaded) and the library's strings that say what it supports.
 */
#include "internal.h"
#include "base/vg.h"
#include "base/log.h"

#if VM_VALGRIND
#include <valgrind/helgrind.h>
#include <valgrind/drd.h>
#endif

uint8_t vm_vg_memcheck;
uint8_t vm_vg_sync;
uint8_t vm_vg_any;

#if VM_VALGRIND
/* in the library's strings, for the scripts that look for them (one
 * line each, as strings(1) prints them) */
__attribute__((used)) static const char vg_support[][48] = {
	"compiled with support for Valgrind memcheck",
	"compiled with support for Valgrind helgrind",
	"compiled with support for Valgrind drd",
};
#endif

/* decided at load, before the program can start a thread that uses a
 * pool (a later call only reads what this wrote) */
__attribute__((constructor)) static void
vg_load(void)
{
	vm_vg_init();
}

void
vm_vg_init(void)
{
#if VM_VALGRIND
	static uint8_t decided;
	if (decided)
		return;
	decided = 1;
	if (!RUNNING_ON_VALGRIND)
		return;
	static uint64_t probe;
	uint64_t vbits;
	if (VALGRIND_GET_VBITS(&probe, &vbits, sizeof(probe)) == 1)
		vm_vg_memcheck = 1;
	else if (DRD_GET_VALGRIND_THREADID != 0)
		vm_vg_sync = VM_VG_DRD;
	else if (VALGRIND_HG_GET_ABITS(&probe, NULL, sizeof(probe)) ==
			sizeof(probe))	/* (anyone else: -2, cut to 32 bits) */
		vm_vg_sync = VM_VG_HELGRIND;
	/* another tool (callgrind, cachegrind, massif) sees the allocator
	 * as it runs outside Valgrind: fast paths and all */
	vm_vg_any = vm_vg_memcheck || vm_vg_sync;
	vm_log(3, "%s, %s, %s; running under %s", vg_support[0],
			vg_support[1] + sizeof("compiled with support for "
			"Valgrind ") - 1, vg_support[2] +
			sizeof("compiled with support for Valgrind ") - 1,
			vm_vg_memcheck ? "memcheck" :
			vm_vg_sync == VM_VG_HELGRIND ? "helgrind" :
			vm_vg_sync == VM_VG_DRD ? "drd" : "another tool");
#endif
}

void
vm_vg_acquired(const void *l)
{
#if VM_VALGRIND
	if (vm_vg_sync == VM_VG_HELGRIND) {
		VALGRIND_HG_DISABLE_CHECKING(l, sizeof(int));
		VALGRIND_HG_MUTEX_LOCK_PRE(l, 0);
		VALGRIND_HG_MUTEX_LOCK_POST(l);
	} else {	/* drd: a lock it was not told to create is ignored,
			 * and a lock word may be reused: its order alone */
		vm_vg_benign(l, sizeof(int));
		vm_vg_after(l);
	}
#else
	(void)l;
#endif
}

void
vm_vg_releasing(const void *l)
{
#if VM_VALGRIND
	if (vm_vg_sync == VM_VG_HELGRIND) {
		VALGRIND_HG_MUTEX_UNLOCK_PRE(l);
		VALGRIND_HG_MUTEX_UNLOCK_POST(l);
	} else {
		vm_vg_before(l);
	}
#else
	(void)l;
#endif
}

#if VM_VALGRIND
/* one happens-before request: helgrind's code hg, or drd's code drd */
static void
order_request(const void *obj, unsigned hg, unsigned drd)
{
	VALGRIND_DO_CLIENT_REQUEST_STMT(vm_vg_sync == VM_VG_HELGRIND ? hg : drd,
			obj, 0, 0, 0, 0);
}
#endif

void
vm_vg_before(const void *obj)
{
#if VM_VALGRIND
	order_request(obj, _VG_USERREQ__HG_USERSO_SEND_PRE,
			VG_USERREQ__DRD_ANNOTATE_HAPPENS_BEFORE);
#else
	(void)obj;
#endif
}

void
vm_vg_after(const void *obj)
{
#if VM_VALGRIND
	order_request(obj, _VG_USERREQ__HG_USERSO_RECV_POST,
			VG_USERREQ__DRD_ANNOTATE_HAPPENS_AFTER);
#else
	(void)obj;
#endif
}

void
vm_vg_benign(const void *p, size_t n)
{
#if VM_VALGRIND
	if (vm_vg_sync == VM_VG_HELGRIND)
		VALGRIND_HG_DISABLE_CHECKING(p, n);
	else if (vm_vg_sync == VM_VG_DRD)
		VALGRIND_DO_CLIENT_REQUEST_STMT(
				VG_USERREQ__DRD_START_SUPPRESSION, p, n, 0,
				0, 0);
#else
	(void)p, (void)n;
#endif
}
