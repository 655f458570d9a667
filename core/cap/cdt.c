/*
 * The capability derivation tree: insert, remove, move, and the O(1) test
 * for the last cap to an object.
 *
 * Principle: the caps to one object form one contiguous group, the children
 * of a cap to a non-Untyped object are caps to the same object, and new
 * children go to the head of their parent's list. So the group of a cap is
 * always reachable through its parent, its adjacent siblings or its first
 * child, and none of these operations splits a group.
 */
#include <kaal/core/cdt.h>
#include <kaal/core/kmem.h>

_Static_assert(sizeof(struct cap) == 3 * sizeof(word_t) && sizeof(struct slot) == 8 * sizeof(word_t),
               "slot_clear clears every byte only if struct cap and struct slot have no padding");

/* Every byte of the slot zero, field by field: a few stores rather than a kmem_zero loop. */
static void slot_clear(struct slot *s)
{
    s->cap = (struct cap){0};
    s->parent = s->first_child = s->prev = s->next = NULL;
    s->reserved = 0;
}

void cdt_insert(struct slot *parent, struct slot *dst, const struct cap *cap)
{
    dst->cap = *cap;
    /* A mapping belongs to the one cap that made it: a derived cap starts unmapped. */
    if (cap_is_mappable(cap->type))
        dst->cap.data = 0;
    dst->parent = parent;
    dst->first_child = NULL;
    dst->prev = NULL;
    dst->next = parent->first_child;
    if (dst->next != NULL)
        dst->next->prev = dst;
    parent->first_child = dst;
}

void cdt_remove(struct slot *s)
{
    struct slot *parent = s->parent;
    struct slot *first = s->first_child;
    struct slot *after = first; /* what follows s->prev once s is gone */
    struct slot *last = s->prev; /* what precedes s->next once s is gone */

    if (first != NULL) {
        for (struct slot *c = first; c != NULL; c = c->next) {
            c->parent = parent;
            last = c;
        }
        first->prev = s->prev;
        last->next = s->next;
    } else {
        after = s->next;
    }
    if (s->prev != NULL)
        s->prev->next = after;
    else
        parent->first_child = after;
    if (s->next != NULL)
        s->next->prev = last;
    slot_clear(s);
}

void cdt_move(struct slot *src, struct slot *dst)
{
    kmem_copy(dst, src, sizeof *dst);
    if (dst->prev != NULL)
        dst->prev->next = dst;
    else
        dst->parent->first_child = dst;
    if (dst->next != NULL)
        dst->next->prev = dst;
    for (struct slot *c = dst->first_child; c != NULL; c = c->next)
        c->parent = dst;
    slot_clear(src);
}

bool cdt_is_final(const struct slot *s)
{
    const struct cap *c = &s->cap;
    if (cap_same_object(&s->parent->cap, c))
        return false;
    if (s->prev != NULL && cap_same_object(&s->prev->cap, c))
        return false;
    if (s->next != NULL && cap_same_object(&s->next->cap, c))
        return false;
    if (s->first_child != NULL && cap_same_object(&s->first_child->cap, c))
        return false;
    return true;
}

const struct slot *cdt_next_preorder(const struct slot *root, const struct slot *n)
{
    if (n->first_child != NULL)
        return n->first_child;
    while (n != root) {
        if (n->next != NULL)
            return n->next;
        n = n->parent;
    }
    return NULL;
}

bool cdt_can_derive(const struct slot *s)
{
    switch (s->cap.type) {
    case CAP_UNTYPED:
        return !cdt_has_children(s);
    case CAP_NULL:
    case CAP_ZOMBIE:
    case CAP_REPLY:
    case CAP_IRQ_CONTROL:
    /* One cap per table, so a table is entered in at most one place (docs/memory.md). */
    case CAP_PAGE_UPPER_DIR:
    case CAP_PAGE_DIR:
    case CAP_PAGE_TABLE:
        return false;
    default:
        return true;
    }
}
