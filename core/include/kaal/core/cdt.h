/*
 * The capability derivation tree.
 *
 * Explicit tree: parent, first child, doubly linked siblings. Caps to one
 * object always form one contiguous group (a run of adjacent siblings and
 * their subtrees), which makes "is this the last cap to the object" an O(1)
 * look at the neighbours. Every operation here preserves that.
 */
#ifndef KAAL_CORE_CDT_H
#define KAAL_CORE_CDT_H

#include <kaal/core/cap.h>

/* Put cap into the empty slot dst as the first child of parent. */
void cdt_insert(struct slot *parent, struct slot *dst, const struct cap *cap);

/*
 * Take s out of the tree and empty it. Its children take its place among its
 * siblings, in order, so the groups stay contiguous. O(number of children).
 */
void cdt_remove(struct slot *s);

/* Move the cap and its tree position from src to the empty slot dst. */
void cdt_move(struct slot *src, struct slot *dst);

/* Is s the only cap in the tree to its object? */
bool cdt_is_final(const struct slot *s);

/*
 * The node after n in a preorder walk of the subtree under root (root itself
 * excluded), or NULL at the end. Walks without a stack, by parent links.
 */
const struct slot *cdt_next_preorder(const struct slot *root, const struct slot *n);

/* Does s have children in the tree? */
static inline bool cdt_has_children(const struct slot *s) { return s->first_child != NULL; }

/*
 * May the cap in s be copied (CNode Copy/Mint, cap transfer in IPC)? Not an
 * Untyped with children (its memory is in use), nor a zombie, a reply cap or
 * the IRQControl cap.
 */
bool cdt_can_derive(const struct slot *s);

#endif
