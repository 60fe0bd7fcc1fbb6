/*
 * extent_tree.c -- a treap of free runs ordered by (pages, first page).
 *
 * Nodes are run records (run_t.u.tree.left/right hold page numbers, 0 is
 * none). The heap order uses a hash of the node's first page, so the shape
 * is that of a random binary search tree: expected O(log n) depth for any
 * sequence of operations. All operations are iterative.
 *
 * Invariants (checked by vmem_check): in-order keys strictly increase;
 * priority(parent) >= priority(child); every node is a RUN_FREE run.
 * A node's key must not change while it is in the tree: remove, change,
 * insert.
 */
#include "large/extent_tree.h"

uint32_t
etree_priority(uint32_t page)
{
	uint32_t x = page * 0x9e3779b1u;
	x ^= x >> 16;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	return x;
}

/* key(a) < key(b) */
static bool
key_less(const region_t *rg, uint32_t a, uint32_t b)
{
	uint32_t na = region_run(rg, a)->npages;
	uint32_t nb = region_run(rg, b)->npages;
	return na < nb || (na == nb && a < b);
}

/* heap order, ties broken by page so it is a strict order */
static bool
prio_above(uint32_t a, uint32_t b)
{
	uint32_t pa = etree_priority(a), pb = etree_priority(b);
	return pa > pb || (pa == pb && a < b);
}

bool
etree_node_valid(const region_t *rg, uint32_t page)
{
	const run_t *run = region_run(rg, page);
	uint32_t l = run->u.tree.left, r = run->u.tree.right;
	return (l == 0 || (region_run(rg, l)->kind == RUN_FREE &&
			key_less(rg, l, page) && !prio_above(l, page))) &&
			(r == 0 || (region_run(rg, r)->kind == RUN_FREE &&
			key_less(rg, page, r) && !prio_above(r, page)));
}

static uint32_t *
left_of(const region_t *rg, uint32_t node)
{
	return &region_run(rg, node)->u.tree.left;
}

static uint32_t *
right_of(const region_t *rg, uint32_t node)
{
	return &region_run(rg, node)->u.tree.right;
}

/* splits subtree t into keys below x (*l) and keys above x (*r) */
static void
split(region_t *rg, uint32_t t, uint32_t x, uint32_t *l, uint32_t *r)
{
	while (t != 0) {
		if (key_less(rg, t, x)) {
			*l = t;
			l = right_of(rg, t);
			t = *l;
		} else {
			*r = t;
			r = left_of(rg, t);
			t = *r;
		}
	}
	*l = 0;
	*r = 0;
}

/* joins a and b, every key of a below every key of b */
static uint32_t
merge(region_t *rg, uint32_t a, uint32_t b)
{
	uint32_t result = 0;
	uint32_t *link = &result;
	while (a != 0 && b != 0) {
		if (prio_above(a, b)) {
			*link = a;
			link = right_of(rg, a);
			a = *link;
		} else {
			*link = b;
			link = left_of(rg, b);
			b = *link;
		}
	}
	*link = a != 0 ? a : b;
	return result;
}

void
etree_insert(region_t *rg, uint32_t *root, uint32_t page)
{
	uint32_t *link = root;
	while (*link != 0 && prio_above(*link, page))
		link = key_less(rg, page, *link) ? left_of(rg, *link) :
				right_of(rg, *link);
	split(rg, *link, page, left_of(rg, page), right_of(rg, page));
	*link = page;
}

void
etree_remove(region_t *rg, uint32_t *root, uint32_t page)
{
	uint32_t *link = root;
	while (*link != page) {
		vm_assert_internal(*link != 0);
		link = key_less(rg, page, *link) ? left_of(rg, *link) :
				right_of(rg, *link);
	}
	*link = merge(rg, *left_of(rg, page), *right_of(rg, page));
	*left_of(rg, page) = 0;
	*right_of(rg, page) = 0;
}

uint32_t
etree_lower_bound(const region_t *rg, uint32_t root, uint32_t npages,
		uint32_t min_page)
{
	uint32_t best = 0;
	uint32_t t = root;
	while (t != 0) {
		const run_t *r = region_run(rg, t);
		if (r->npages > npages || (r->npages == npages && t >= min_page)) {
			best = t;
			t = r->u.tree.left;
		} else {
			t = r->u.tree.right;
		}
	}
	return best;
}
