/*
 * pool.h -- the pool layer: the pool object and the libvmem API on top of
 * the slab and large layers. The interposer (src/interpose) includes this
 * header only.
 *
 *   vmem.h      the pool header (struct vmem) and what the pool's files
 *               share: creation, the registry of live pools, fork
 *               handlers, usage totals
 *   fastpath.h  malloc's and free's fast paths, inline for both libvmem's
 *               API and libvmmalloc's malloc family
 * Owns nothing: it only gathers the headers of this folder.
 * Thread safety: see each header.
 */
#ifndef VM_POOL_H
#define VM_POOL_H

#include "pool/vmem.h"
#include "pool/fastpath.h"

#endif /* VM_POOL_H */
