/*
 * base.h -- the floor of the core: what every layer uses and no layer
 * owns. Higher layers include this header only.
 *
 *   internal.h  (src/) attributes, leveled assertions, page arithmetic
 *   lock.h      the one lock type of the core, and the lock order
 *   log.h       error messages, the debug log, the output sink
 *   fmt.h       formatting that never allocates
 *   stack.h     a bounded stack of pointers (the thread caches' stacks)
 *   fault.h     fault injection of system calls, in test builds only
 *   vg.h        Valgrind: which tool runs, and the requests made to it
 *
 * Nothing here knows about pools, runs or objects.
 * Owns nothing: it only gathers the headers of this folder.
 * Thread safety: see each header.
 */
#ifndef VM_BASE_H
#define VM_BASE_H

#include "internal.h"
#include "base/lock.h"
#include "base/log.h"
#include "base/fmt.h"
#include "base/stack.h"
#include "base/fault.h"
#include "base/vg.h"

#endif /* VM_BASE_H */
