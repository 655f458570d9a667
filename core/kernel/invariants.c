/*
 * The invariant checker (debug builds; tests and fuzzers call it after every
 * step). It walks the whole CDT from the sentinel, checks each node against
 * its neighbours and its object, then walks every live container and checks
 * that its occupied slots are exactly the nodes of the tree.
 *
 * It trusts nothing: every walk is bounded, so a corrupted tree is reported,
 * never looped over forever. The two quadratic checks (objects pairwise
 * apart, the last-cap test against a full count) run while the tree has at
 * most QUADRATIC_LIMIT caps, which covers the property tests and the fuzzer;
 * beyond that the linear checks still run.
 */
#include <kaal/core/cdt.h>
#include <kaal/core/invariants.h>
#include <kaal/core/kernel.h>
#include <kaal/core/untyped.h>

#ifdef KAAL_DEBUG

#define WALK_LIMIT (1u << 22)      /* more nodes than this: the tree must be cyclic */
#define QUADRATIC_LIMIT 512u

static const struct slot *next_preorder(const struct slot *n)
{
    return cdt_next_preorder(&ks.cdt_root, n);
}

#define FAIL(msg, slot) return (struct invariant_report){(msg), (slot)}

static struct invariant_report check_links(const struct slot *n)
{
    if (n->parent == NULL)
        FAIL("cap in the tree without a parent", n);
    if (n->prev == NULL ? n->parent->first_child != n : (n->prev->next != n || n->prev->parent != n->parent))
        FAIL("sibling links are inconsistent", n);
    if (n->next != NULL && n->next->prev != n)
        FAIL("next sibling does not point back", n);
    if (n->first_child != NULL && n->first_child->parent != n)
        FAIL("first child does not point back to its parent", n);
    return (struct invariant_report){0};
}

static bool within(word_t obj, unsigned bits, word_t base, word_t size)
{
    return obj >= base && obj - base <= size && size - (obj - base) >= BIT(bits);
}

static struct invariant_report check_cap(const struct slot *n)
{
    const struct cap *c = &n->cap;
    switch (c->type) {
    case CAP_UNTYPED:
        if (c->size_bits < KAAL_UNTYPED_MIN_BITS || c->size_bits > KAAL_UNTYPED_MAX_BITS)
            FAIL("untyped size out of range", n);
        if (c->data > BIT(c->size_bits))
            FAIL("untyped watermark beyond its end", n);
        if (untyped_has_copy_child(n) && n->first_child->next != NULL)
            FAIL("untyped with a copy child has other children", n);
        break;
    case CAP_CNODE:
        if (c->size_bits < KAAL_CNODE_MIN_RADIX || c->size_bits > KAAL_CNODE_MAX_RADIX ||
            c->size_bits + c->guard_bits > KAAL_WORD_BITS)
            FAIL("CNode radix and guard out of range", n);
        if (c->guard_bits < KAAL_WORD_BITS && (c->data >> c->guard_bits) != 0)
            FAIL("CNode guard wider than its guard bits", n);
        break;
    case CAP_FRAME:
        if (c->size_bits != KAAL_FRAME_BITS_SMALL && c->size_bits != KAAL_FRAME_BITS_LARGE &&
            c->size_bits != KAAL_FRAME_BITS_HUGE)
            FAIL("frame of an unsupported size", n);
        break;
    case CAP_TCB:
    case CAP_ENDPOINT:
    case CAP_NOTIFICATION:
    case CAP_VSPACE:
    case CAP_PAGE_UPPER_DIR:
    case CAP_PAGE_DIR:
    case CAP_PAGE_TABLE:
        break;
    case CAP_ZOMBIE:
        FAIL("zombie left after a syscall", n);
    default:
        FAIL("cap of unknown type in the tree", n);
    }
    if (c->rights & ~KAAL_RIGHTS_ALL)
        FAIL("cap with unknown rights bits", n);
    if (!cap_has_rights(c->type) && c->rights != KAAL_RIGHTS_ALL)
        FAIL("rights reduced on a cap type that has none", n);
    if (!IS_ALIGNED(c->obj, cap_object_bits(c)))
        FAIL("object not aligned to its size", n);
    if ((c->type == CAP_ENDPOINT || c->type == CAP_NOTIFICATION || c->type == CAP_UNTYPED ||
         c->type == CAP_CNODE) == false &&
        c->data != 0)
        FAIL("data set on a cap type that has none", n);
    return (struct invariant_report){0};
}

/* What a cap may be derived from, and what that implies. */
static struct invariant_report check_derivation(const struct slot *n)
{
    const struct slot *p = n->parent;
    if (p == &ks.cdt_root)
        return (struct invariant_report){0};
    if (cap_same_object(&p->cap, &n->cap)) {
        if (n->cap.rights & ~p->cap.rights)
            FAIL("rights grew along a derivation", n);
        if ((n->cap.type == CAP_ENDPOINT || n->cap.type == CAP_NOTIFICATION) && p->cap.data != 0 &&
            n->cap.data != p->cap.data)
            FAIL("badge changed along a derivation", n);
        return (struct invariant_report){0};
    }
    if (p->cap.type != CAP_UNTYPED)
        FAIL("cap derived from a cap to a different object that is not Untyped", n);
    if (!within(n->cap.obj, cap_object_bits(&n->cap), p->cap.obj, p->cap.data))
        FAIL("object outside its untyped's used range", n);
    if (p->cap.aux != 0 && !(n->cap.type == CAP_FRAME || n->cap.type == CAP_UNTYPED))
        FAIL("device memory holds a kernel object", n);
    if ((n->cap.type == CAP_FRAME || n->cap.type == CAP_UNTYPED) && n->cap.aux != p->cap.aux)
        FAIL("device flag differs from the parent untyped", n);
    return (struct invariant_report){0};
}

/* The first cap of an object's group among its siblings. */
static bool leads_siblings(const struct slot *n)
{
    return n->prev == NULL || !cap_same_object(&n->prev->cap, &n->cap);
}

/* Objects made from one untyped (or at boot) never overlap. */
static struct invariant_report check_children_apart(const struct slot *u)
{
    for (const struct slot *a = u->first_child; a != NULL; a = a->next) {
        if (cap_same_object(&a->cap, &u->cap) || !leads_siblings(a))
            continue;
        word_t a_end = a->cap.obj + BIT(cap_object_bits(&a->cap));
        for (const struct slot *b = a->next; b != NULL; b = b->next) {
            if (!leads_siblings(b))
                continue;
            word_t b_end = b->cap.obj + BIT(cap_object_bits(&b->cap));
            if (a->cap.obj < b_end && b->cap.obj < a_end)
                FAIL("two objects from one untyped overlap", b);
        }
    }
    return (struct invariant_report){0};
}

static word_t brute_force_same_object(const struct slot *n)
{
    word_t count = 0;
    for (const struct slot *m = next_preorder(&ks.cdt_root); m != NULL; m = next_preorder(m))
        count += cap_same_object(&m->cap, &n->cap);
    return count;
}

/* A live container's slots: occupied ones are linked into the tree, empty ones are clean. */
static struct invariant_report check_container(const struct slot *n, word_t *occupied)
{
    struct slot *first;
    word_t count;
    container_slots(&n->cap, &first, &count);
    for (word_t i = 0; i < count; i++) {
        const struct slot *s = &first[i];
        if (slot_is_empty(s)) {
            if (s->parent != NULL || s->first_child != NULL || s->prev != NULL || s->next != NULL)
                FAIL("empty slot with tree links", s);
            continue;
        }
        if (s->parent == NULL || (s->prev == NULL ? s->parent->first_child != s : s->prev->next != s))
            FAIL("occupied slot not linked into the tree", s);
        (*occupied)++;
    }
    return (struct invariant_report){0};
}

struct invariant_report kernel_check_invariants(void)
{
    struct invariant_report r = {0};
    word_t nodes = 0, occupied = 0;

    if (!slot_is_empty(&ks.swap_slot) || ks.swap_slot.parent != NULL)
        FAIL("the swap slot is in use between syscalls", &ks.swap_slot);
    if (ks.cdt_root.parent != NULL || ks.cdt_root.prev != NULL || ks.cdt_root.next != NULL ||
        !slot_is_empty(&ks.cdt_root))
        FAIL("the CDT sentinel has been written", &ks.cdt_root);
    if (ks.cdt_root.first_child != NULL && ks.cdt_root.first_child->parent != &ks.cdt_root)
        FAIL("first child does not point back to its parent", &ks.cdt_root);

    for (const struct slot *n = next_preorder(&ks.cdt_root); n != NULL; n = next_preorder(n)) {
        if (++nodes > WALK_LIMIT)
            FAIL("the derivation tree does not end (a cycle)", n);
        if ((r = check_links(n)).what || (r = check_cap(n)).what || (r = check_derivation(n)).what)
            return r;
        bool leader = !cap_same_object(&n->parent->cap, &n->cap) && leads_siblings(n);
        if (leader && cap_is_container(&n->cap) && (r = check_container(n, &occupied)).what)
            return r;
    }
    if (occupied != nodes)
        FAIL("caps in the tree and occupied container slots differ in number", NULL);

    if (nodes <= QUADRATIC_LIMIT) {
        for (const struct slot *n = next_preorder(&ks.cdt_root); n != NULL; n = next_preorder(n)) {
            if (cdt_is_final(n) != (brute_force_same_object(n) == 1))
                FAIL("the last-cap test disagrees with a full count (group not contiguous)", n);
        }
        if ((r = check_children_apart(&ks.cdt_root)).what)
            return r;
        for (const struct slot *n = next_preorder(&ks.cdt_root); n != NULL; n = next_preorder(n)) {
            if (n->cap.type == CAP_UNTYPED && (r = check_children_apart(n)).what)
                return r;
        }
    }
    if (ks.current != NULL) {
        /* The running thread's TCB must be alive: some cap to it is in the tree. */
        bool alive = false;
        for (const struct slot *n = next_preorder(&ks.cdt_root); n != NULL && !alive; n = next_preorder(n))
            alive = n->cap.type == CAP_TCB && tcb_of(&n->cap) == ks.current;
        if (!alive)
            FAIL("the current thread has no TCB cap left", NULL);
    }
    return r;
}

#else

struct invariant_report kernel_check_invariants(void)
{
    return (struct invariant_report){0};
}

#endif
