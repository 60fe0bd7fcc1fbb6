/*
 * registry.c -- the set of live pools: an interval treap keyed by each
 * pool's address, whose nodes are the pools' own headers.
 *
 * Answers in O(log n): is this handle a live pool (vmem_check -1), and
 * which live pools overlap a range (vmem_create_in_region must not build a
 * pool over a live one). Every node carries the highest end address in its
 * subtree, so an overlap query skips subtrees that end before the range.
 * Live pools are disjoint or nested (a pool inside another's large
 * object), so few pools ever overlap one range.
 *
 * Invariants: BST order by base; priority(parent) >= priority(child) with
 * priority a hash of the base; max_end == max(end, children's max_end).
 * Thread safety: registry_lock (rank 1) guards all of it; the fork
 * handlers hold it across fork().
 */
#include "pool/vmem.h"

vm_lock_t registry_lock = VM_LOCK_INITIALIZER_RANKED(VM_RANK_REGISTRY,
		"the registry lock");
static struct vmem *root;

static uint64_t
priority(const struct vmem *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p >> VM_PAGE_SHIFT;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static uintptr_t
end_of(const struct vmem *p)
{
	return p->region.base + p->region.size;
}

static void
update(struct vmem *p)
{
	uintptr_t m = end_of(p);
	if (p->reg_left != NULL && p->reg_left->reg_max_end > m)
		m = p->reg_left->reg_max_end;
	if (p->reg_right != NULL && p->reg_right->reg_max_end > m)
		m = p->reg_right->reg_max_end;
	p->reg_max_end = m;
}

/* t -> bases below key (*l), the rest (*r) */
static void
split(struct vmem *t, uintptr_t key, struct vmem **l, struct vmem **r)
{
	if (t == NULL) {
		*l = *r = NULL;
	} else if ((uintptr_t)t < key) {
		split(t->reg_right, key, &t->reg_right, r);
		*l = t;
		update(t);
	} else {
		split(t->reg_left, key, l, &t->reg_left);
		*r = t;
		update(t);
	}
}

static struct vmem *
merge(struct vmem *a, struct vmem *b)
{
	if (a == NULL)
		return b;
	if (b == NULL)
		return a;
	if (priority(a) > priority(b)) {
		a->reg_right = merge(a->reg_right, b);
		update(a);
		return a;
	}
	b->reg_left = merge(a, b->reg_left);
	update(b);
	return b;
}

void
registry_add(VMEM *vmp)
{
	vmp->reg_left = vmp->reg_right = NULL;
	update(vmp);
	struct vmem *l, *r;
	split(root, (uintptr_t)vmp, &l, &r);
	root = merge(merge(l, vmp), r);
}

bool
registry_has(const VMEM *vmp)
{
	for (struct vmem *t = root; t != NULL;) {
		if (t == vmp)
			return true;
		t = (uintptr_t)vmp < (uintptr_t)t ? t->reg_left : t->reg_right;
	}
	return false;
}

bool
registry_remove(VMEM *vmp)
{
	if (!registry_has(vmp))
		return false;
	struct vmem *l, *mid, *r;
	split(root, (uintptr_t)vmp, &l, &r);
	split(r, (uintptr_t)vmp + 1, &mid, &r);
	root = merge(l, r);
	return true;
}

static bool
overlaps(struct vmem *t, uintptr_t start, uintptr_t end,
		bool (*allowed)(VMEM *, uintptr_t, uintptr_t))
{
	if (t == NULL || t->reg_max_end <= start)
		return false;
	if (overlaps(t->reg_left, start, end, allowed))
		return true;
	if ((uintptr_t)t >= end)
		return false;	/* t and everything right of it start later */
	if (end_of(t) > start && !allowed(t, start, end))
		return true;
	return overlaps(t->reg_right, start, end, allowed);
}

bool
registry_overlaps(uintptr_t start, uintptr_t end,
		bool (*allowed)(VMEM *, uintptr_t, uintptr_t))
{
	return overlaps(root, start, end, allowed);
}

static void
foreach(struct vmem *t, void (*fn)(VMEM *))
{
	if (t == NULL)
		return;
	foreach(t->reg_left, fn);
	fn(t);
	foreach(t->reg_right, fn);
}

void
registry_foreach(void (*fn)(VMEM *))
{
	foreach(root, fn);
}

/* the pools of t that keep() takes, onto list (linked through reg_left);
 * a node's links are read before it is written, and only taken nodes are */
static void
collect(struct vmem *t, bool (*keep)(VMEM *), struct vmem **list)
{
	if (t == NULL)
		return;
	struct vmem *l = t->reg_left, *r = t->reg_right;
	collect(l, keep, list);
	collect(r, keep, list);
	if (keep(t)) {
		t->reg_left = *list;
		*list = t;
	}
}

void
registry_keep(bool (*keep)(VMEM *))
{
	struct vmem *list = NULL;
	collect(root, keep, &list);
	root = NULL;
	while (list != NULL) {
		struct vmem *next = list->reg_left;
		registry_add(list);
		list = next;
	}
}
