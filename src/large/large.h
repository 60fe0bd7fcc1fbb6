/*
 * large.h -- the large layer: page runs, the page map that finds them,
 * and the best-fit extent manager that hands them out for large objects
 * and slabs. Higher layers include this header only.
 *
 *   run.h          the run record: what is known about one run of pages
 *   pagemap.h      the radix-tree page map: page -> run, lock-free reads
 *   region.h       the layout of a pool's region: metadata, then data pages
 *   extent.h       the extent manager: runs handed out and taken back
 *   extent_tree.h  its treap of free extents
 *   purge.h        freed memory kept for reuse or given back to the
 *                  system, and taken again
 *   lcache.h       a thread's cache of large runs, by length
 *   object.h       large objects: one run each
 *
 * The page map and the run records live here, not in a floor of their
 * own: they describe page runs, and this layer writes every one of them
 * (a slab's record is written by the slab layer only inside a run this
 * layer handed it). The large layer sits on dax (the memory behind the
 * pool, where purged chunks go back) and base.
 * Owns nothing: it only gathers the headers of this folder.
 * Thread safety: see each header (the extent lock, extent.h).
 */
#ifndef VM_LARGE_H
#define VM_LARGE_H

#include "base/base.h"
#include "dax/dax.h"
#include "large/run.h"
#include "large/pagemap.h"
#include "large/region.h"
#include "large/extent.h"
#include "large/extent_tree.h"
#include "large/purge.h"
#include "large/lcache.h"
#include "large/object.h"

#endif /* VM_LARGE_H */
