/*
 * slab.h -- the slab layer: small objects (up to SC_SMALL_MAX) and the
 * threads' caches. Higher layers include this header only.
 *
 *   sizeclass.h  the size classes and their table
 *   tag.h        the tag every free small object carries
 *   slab_run.h   one slab: its objects and its free bitmap
 *   bin.h        the slabs of one class of one pool, and its transfer stack
 *   tcache.h     one thread's cache of one pool
 *   slabs.h      the slab layer's part of one pool (slabs_t)
 *   caches.h     the threads' caches of a pool, and thread indices
 *   small.h      small objects: the fast paths, and the checks of the
 *                slow paths (object start, tag, double free, cached)
 *
 * The slab layer sits on the large layer (large/large.h), which gives it
 * the pages of its slabs and the page map that finds them again. The
 * threads' caches keep short large runs too (large/lcache.h): the cache
 * is per thread, whatever it holds.
 * Owns nothing: it only gathers the headers of this folder.
 * Thread safety: see each header.
 */
#ifndef VM_SLAB_H
#define VM_SLAB_H

#include "large/large.h"
#include "slab/sizeclass.h"
#include "slab/tag.h"
#include "slab/slab_run.h"
#include "slab/bin.h"
#include "slab/tcache.h"
#include "slab/slabs.h"
#include "slab/caches.h"
#include "slab/small.h"

#endif /* VM_SLAB_H */
