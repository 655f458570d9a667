/*
 * The invariant checker (debug builds; tests and fuzzers call it after every
 * step). It walks the whole CDT from the sentinel, checks each node against
 * its neighbours and its object, then walks every live container and checks
 * that its occupied slots are exactly the nodes of the tree; then it checks
 * the scheduler's queues and bitmaps and every thread, endpoint and
 * notification reached through a cap.
 *
 * It trusts nothing: every walk is bounded, so a corrupted tree or queue is
 * reported, never looped over forever. The two quadratic checks (objects
 * pairwise apart, the last-cap test against a full count) run while the tree
 * has at most QUADRATIC_LIMIT caps, which covers the property tests and the
 * fuzzer; beyond that the linear checks still run.
 */
#include <kaal/core/cdt.h>
#include <kaal/core/invariants.h>
#include <kaal/core/ipc.h>
#include <kaal/core/kernel.h>
#include <kaal/core/untyped.h>

#ifdef KAAL_DEBUG

#define WALK_LIMIT (1u << 22) /* more nodes (or queue entries) than this: there is a cycle */
#define QUADRATIC_LIMIT 512u

#define FAIL(msg, slot) return (struct invariant_report){(msg), (slot)}
#define CHECK(call)                                                                                                \
    do {                                                                                                           \
        struct invariant_report r_ = (call);                                                                       \
        if (r_.what != NULL)                                                                                       \
            return r_;                                                                                             \
    } while (0)
#define OK ((struct invariant_report){0})

static const struct slot *next_preorder(const struct slot *n)
{
    return cdt_next_preorder(&ks.cdt_root, n);
}

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
    return OK;
}

static bool within(word_t obj, unsigned bits, word_t base, word_t size)
{
    return obj >= base && obj - base <= size && size - (obj - base) >= BIT(bits);
}

static struct invariant_report check_zombie(const struct slot *n)
{
    const struct cap *c = &n->cap;
    if (c->size_bits != CAP_CNODE && c->size_bits != CAP_TCB)
        FAIL("zombie of something that is not a container", n);
    struct slot *first;
    word_t count;
    container_slots(c, &first, &count);
    if (c->aux > count)
        FAIL("zombie counts more slots than its container has", n);
    const struct slot *waiting = (const struct slot *)(uintptr_t)c->data;
    if (waiting != NULL && waiting->cap.type != CAP_ZOMBIE)
        FAIL("zombie chain leads to a slot without a zombie", n);
    return OK;
}

/* A mapping record names an ASID (never 0) and a page-aligned address. */
static struct invariant_report check_mapping_record(const struct slot *n)
{
    const struct cap *c = &n->cap;
    if (c->data != 0 && cap_mapping_asid(c) == 0)
        FAIL("mapping record without an ASID", n);
    return OK;
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
        if (c->data != 0 && !IS_ALIGNED(cap_mapping_vaddr(c), c->size_bits))
            FAIL("frame mapped at an address not aligned to its size", n);
        CHECK(check_mapping_record(n));
        break;
    case CAP_VSPACE:
        if (c->data == 0 || c->data >= KAAL_ASID_COUNT || ks.asid_roots[c->data] != c->obj)
            FAIL("VSpace cap whose ASID does not name it", n);
        break;
    case CAP_PAGE_UPPER_DIR:
    case CAP_PAGE_DIR:
    case CAP_PAGE_TABLE:
        CHECK(check_mapping_record(n));
        break;
    case CAP_REPLY: {
        const struct tcb *caller = tcb_of(c);
        if (caller->reply_held_at != n || caller->state != THREAD_BLOCKED_REPLY)
            FAIL("reply cap for a thread that is not waiting for it", n);
        break;
    }
    case CAP_IRQ_HANDLER:
        if (c->obj >= ks.irq_count || !ks.irq_issued[c->obj])
            FAIL("IRQHandler cap for a line that is not issued", n);
        break;
    case CAP_ZOMBIE:
        CHECK(check_zombie(n));
        break;
    case CAP_TCB:
    case CAP_ENDPOINT:
    case CAP_NOTIFICATION:
    case CAP_IRQ_CONTROL:
    case CAP_MACHINE:
        break;
    default:
        FAIL("cap of unknown type in the tree", n);
    }
    if (c->rights & ~KAAL_RIGHTS_ALL)
        FAIL("cap with unknown rights bits", n);
    if (!cap_has_rights(c->type) && c->rights != KAAL_RIGHTS_ALL && c->type != CAP_ZOMBIE)
        FAIL("rights reduced on a cap type that has none", n);
    if (cap_is_memory_object(c) && !IS_ALIGNED(c->obj, cap_object_bits(c)))
        FAIL("object not aligned to its size", n);
    bool has_data = c->type == CAP_ENDPOINT || c->type == CAP_NOTIFICATION || c->type == CAP_UNTYPED ||
                    c->type == CAP_CNODE || c->type == CAP_ZOMBIE || c->type == CAP_VSPACE ||
                    cap_is_mappable(c->type);
    if (!has_data && c->data != 0)
        FAIL("data set on a cap type that has none", n);
    return OK;
}

/* What a cap may be derived from, and what that implies. */
static struct invariant_report check_derivation(const struct slot *n)
{
    const struct slot *p = n->parent;
    if (p == &ks.cdt_root)
        return OK;
    if (cap_same_object(&p->cap, &n->cap)) {
        if (n->cap.rights & ~p->cap.rights)
            FAIL("rights grew along a derivation", n);
        if (cap_is_mappable(n->cap.type) && n->cap.type != CAP_FRAME)
            FAIL("a page-table cap was copied (a table must have one cap)", n);
        if ((n->cap.type == CAP_ENDPOINT || n->cap.type == CAP_NOTIFICATION) && p->cap.data != 0 &&
            n->cap.data != p->cap.data)
            FAIL("badge changed along a derivation", n);
        return OK;
    }
    if (n->cap.type == CAP_IRQ_HANDLER && p->cap.type == CAP_IRQ_CONTROL)
        return OK;
    if (p->cap.type != CAP_UNTYPED || !cap_is_memory_object(&n->cap))
        FAIL("cap derived from a cap to a different object that is not Untyped", n);
    if (!within(n->cap.obj, cap_object_bits(&n->cap), p->cap.obj, p->cap.data))
        FAIL("object outside its untyped's used range", n);
    if (p->cap.aux != 0 && !(n->cap.type == CAP_FRAME || n->cap.type == CAP_UNTYPED))
        FAIL("device memory holds a kernel object", n);
    if ((n->cap.type == CAP_FRAME || n->cap.type == CAP_UNTYPED) && n->cap.aux != p->cap.aux)
        FAIL("device flag differs from the parent untyped", n);
    return OK;
}

/* The first cap of an object's group among its siblings. */
static bool leads_siblings(const struct slot *n)
{
    return n->prev == NULL || !cap_same_object(&n->prev->cap, &n->cap);
}

/* The one cap of each object the checker looks at the object through. */
static bool is_leader(const struct slot *n)
{
    return !cap_same_object(&n->parent->cap, &n->cap) && leads_siblings(n);
}

/* Objects made from one untyped (or at boot) never overlap. */
static struct invariant_report check_children_apart(const struct slot *u)
{
    for (const struct slot *a = u->first_child; a != NULL; a = a->next) {
        if (!cap_is_memory_object(&a->cap) || cap_same_object(&a->cap, &u->cap) || !leads_siblings(a))
            continue;
        word_t a_end = a->cap.obj + BIT(cap_object_bits(&a->cap));
        for (const struct slot *b = a->next; b != NULL; b = b->next) {
            if (!cap_is_memory_object(&b->cap) || !leads_siblings(b))
                continue;
            word_t b_end = b->cap.obj + BIT(cap_object_bits(&b->cap));
            if (a->cap.obj < b_end && b->cap.obj < a_end)
                FAIL("two objects from one untyped overlap", b);
        }
    }
    return OK;
}

static word_t brute_force_same_object(const struct slot *n)
{
    word_t count = 0;
    for (const struct slot *m = next_preorder(&ks.cdt_root); m != NULL; m = next_preorder(m))
        count += cap_same_object(&m->cap, &n->cap);
    return count;
}

/* One slot of a live container or of the kernel's IRQ table. */
static struct invariant_report check_held_slot(const struct slot *s, word_t *occupied)
{
    if (slot_is_empty(s)) {
        if (s->parent != NULL || s->first_child != NULL || s->prev != NULL || s->next != NULL)
            FAIL("empty slot with tree links", s);
        return OK;
    }
    if (s->parent == NULL || (s->prev == NULL ? s->parent->first_child != s : s->prev->next != s))
        FAIL("occupied slot not linked into the tree", s);
    (*occupied)++;
    return OK;
}

static struct invariant_report check_container(const struct slot *n, word_t *occupied)
{
    struct slot *first;
    word_t count;
    container_slots(&n->cap, &first, &count);
    for (word_t i = 0; i < count; i++)
        CHECK(check_held_slot(&first[i], occupied));
    return OK;
}

static struct invariant_report check_irq_table(word_t *occupied)
{
    for (unsigned line = 0; line < KERNEL_MAX_IRQS; line++) {
        const struct slot *s = &ks.irq_slots[line];
        CHECK(check_held_slot(s, occupied));
        if (!slot_is_empty(s) && (s->cap.type != CAP_NOTIFICATION || !ks.irq_issued[line]))
            FAIL("IRQ table slot holds something other than a bound notification", s);
        if (ks.irq_issued[line] && line >= ks.irq_count)
            FAIL("IRQ line issued beyond the controller's lines", NULL);
    }
    return OK;
}

/* A thread queue (endpoint or notification): links, length, and every member blocked on it. */
static struct invariant_report check_queue(const struct slot *n, const struct tcb_queue *q, word_t object,
                                           unsigned state_a, unsigned state_b)
{
    word_t steps = 0;
    const struct tcb *prev = NULL;
    for (const struct tcb *t = q->head; t != NULL; prev = t, t = t->queue_next) {
        if (++steps > WALK_LIMIT)
            FAIL("a thread queue does not end (a cycle)", n);
        if (t->queue_prev != prev)
            FAIL("thread queue links are inconsistent", n);
        if (t->blocked_on != object || (t->state != state_a && t->state != state_b))
            FAIL("a queued thread is not blocked on this object", n);
        if (t->state != q->head->state)
            FAIL("an endpoint queue mixes senders and receivers", n);
    }
    if (q->tail != prev)
        FAIL("thread queue tail is wrong", n);
    return OK;
}

static struct invariant_report check_thread(const struct slot *n, const struct tcb *t)
{
    switch (t->state) {
    case THREAD_INACTIVE:
        if (t->sched_prev != NULL || t->sched_next != NULL || t->queue_prev != NULL || t->queue_next != NULL)
            FAIL("an inactive thread is still linked into a queue", n);
        break;
    case THREAD_RUNNING:
        if (t->sched_prev == NULL ? ks.ready[t->priority].head != t : t->sched_prev->sched_next != t)
            FAIL("a runnable thread is not in the ready queue of its priority", n);
        break;
    case THREAD_BLOCKED_SEND:
    case THREAD_BLOCKED_RECV:
    case THREAD_BLOCKED_NOTIFICATION: {
        if (t->blocked_on == 0)
            FAIL("a blocked thread is not queued anywhere", n);
        const struct tcb_queue *q = t->state == THREAD_BLOCKED_NOTIFICATION
                                        ? &((const struct notification *)(uintptr_t)t->blocked_on)->waiters
                                        : &((const struct endpoint *)(uintptr_t)t->blocked_on)->queue;
        if (t->queue_prev == NULL ? q->head != t : t->queue_prev->queue_next != t)
            FAIL("a blocked thread is not in the queue it is blocked on", n);
        break;
    }
    case THREAD_BLOCKED_REPLY:
        if (t->reply_held_at != NULL &&
            (t->reply_held_at->cap.type != CAP_REPLY || tcb_of(&t->reply_held_at->cap) != t))
            FAIL("a caller's reply cap is not where it says", n);
        break;
    default:
        FAIL("a thread in an unknown state", n);
    }
    if (t->state != THREAD_RUNNING && (t->sched_prev != NULL || t->sched_next != NULL))
        FAIL("a thread that cannot run is in a ready queue", n);
    if (t->bound_notification != NULL && t->bound_notification->bound != t)
        FAIL("thread and notification disagree about their binding", n);
    if (t->fault.type != 0 && t->state != THREAD_BLOCKED_SEND && t->state != THREAD_BLOCKED_REPLY)
        FAIL("a fault is pending on a thread that is not delivering it", n);
    if (t->stopped_by_fault && t->state != THREAD_INACTIVE)
        FAIL("a thread marked as stopped by a fault is not inactive", n);
    return OK;
}

static struct invariant_report check_object(const struct slot *n, word_t *occupied)
{
    const struct cap *c = &n->cap;
    switch (c->type) {
    case CAP_CNODE:
    case CAP_ZOMBIE:
        return check_container(n, occupied);
    case CAP_TCB:
        CHECK(check_container(n, occupied));
        return check_thread(n, tcb_of(c));
    case CAP_ENDPOINT:
        return check_queue(n, &endpoint_of(c)->queue, c->obj, THREAD_BLOCKED_SEND, THREAD_BLOCKED_RECV);
    case CAP_NOTIFICATION: {
        const struct notification *ntfn = notification_of(c);
        CHECK(check_queue(n, &ntfn->waiters, c->obj, THREAD_BLOCKED_NOTIFICATION, THREAD_BLOCKED_NOTIFICATION));
        if (ntfn->waiters.head != NULL && ntfn->word != 0)
            FAIL("a notification has both waiters and a pending word", n);
        if (ntfn->bound != NULL && ntfn->bound->bound_notification != ntfn)
            FAIL("thread and notification disagree about their binding", n);
        return OK;
    }
    default:
        return OK;
    }
}

/* Every ASID in use belongs to exactly one live VSpace (each VSpace cap checked its own). */
static struct invariant_report check_asid_table(word_t vspaces)
{
    if (ks.asid_roots[0] != 0)
        FAIL("ASID 0 is in use", NULL);
    word_t used = 0;
    for (word_t asid = 1; asid < KAAL_ASID_COUNT; asid++)
        used += ks.asid_roots[asid] != 0;
    if (used + ks.asids_free != KAAL_ASID_COUNT - 1)
        FAIL("the count of free ASIDs is wrong", NULL);
    if (used != vspaces)
        FAIL("ASIDs in use and live VSpaces differ in number", NULL);
    if (ks.asid_next == 0 || ks.asid_next >= KAAL_ASID_COUNT)
        FAIL("the ASID search starts outside the table", NULL);
    return OK;
}

static struct invariant_report check_scheduler(void)
{
    uint64_t l1 = 0;
    for (unsigned p = 0; p < KAAL_PRIORITIES; p++) {
        const struct ready_queue *q = &ks.ready[p];
        bool bit = (ks.ready_l2[p / 64] >> (p % 64)) & 1;
        if (bit != (q->head != NULL))
            FAIL("ready bitmap disagrees with the ready queue", NULL);
        if (q->head != NULL)
            l1 |= BIT(p / 64);
        word_t steps = 0;
        const struct tcb *prev = NULL;
        for (const struct tcb *t = q->head; t != NULL; prev = t, t = t->sched_next) {
            if (++steps > WALK_LIMIT)
                FAIL("a ready queue does not end (a cycle)", NULL);
            if (t->sched_prev != prev || t->state != THREAD_RUNNING || t->priority != p)
                FAIL("a ready queue holds a thread that is not runnable at that priority", NULL);
        }
        if (q->tail != prev)
            FAIL("ready queue tail is wrong", NULL);
    }
    if (l1 != ks.ready_l1)
        FAIL("the top-level ready bitmap is wrong", NULL);
    if (ks.current != &ks.idle && (ks.current == NULL || ks.current->state != THREAD_RUNNING))
        FAIL("the current thread is not runnable", NULL);
    if (ks.idle.state != THREAD_IDLE)
        FAIL("the idle thread has been changed", NULL);
    return OK;
}

struct invariant_report kernel_check_invariants(void)
{
    word_t nodes = 0, occupied = 0, vspaces = 0;

    if (!slot_is_empty(&ks.swap_slot) || ks.swap_slot.parent != NULL)
        FAIL("the swap slot is in use between syscalls", &ks.swap_slot);
    if (ks.cdt_root.parent != NULL || ks.cdt_root.prev != NULL || ks.cdt_root.next != NULL ||
        !slot_is_empty(&ks.cdt_root))
        FAIL("the CDT sentinel has been written", &ks.cdt_root);
    if (ks.cdt_root.first_child != NULL && ks.cdt_root.first_child->parent != &ks.cdt_root)
        FAIL("first child does not point back to its parent", &ks.cdt_root);
    CHECK(check_scheduler());

    for (const struct slot *n = next_preorder(&ks.cdt_root); n != NULL; n = next_preorder(n)) {
        if (++nodes > WALK_LIMIT)
            FAIL("the derivation tree does not end (a cycle)", n);
        CHECK(check_links(n));
        CHECK(check_cap(n));
        CHECK(check_derivation(n));
        if (is_leader(n))
            CHECK(check_object(n, &occupied));
        if (is_leader(n) && n->cap.type == CAP_VSPACE)
            vspaces++;
    }
    CHECK(check_irq_table(&occupied));
    CHECK(check_asid_table(vspaces));
    if (occupied != nodes)
        FAIL("caps in the tree and occupied container slots differ in number", NULL);

    if (nodes <= QUADRATIC_LIMIT) {
        for (const struct slot *n = next_preorder(&ks.cdt_root); n != NULL; n = next_preorder(n)) {
            if (cdt_is_final(n) != (brute_force_same_object(n) == 1))
                FAIL("the last-cap test disagrees with a full count (group not contiguous)", n);
        }
        CHECK(check_children_apart(&ks.cdt_root));
        for (const struct slot *n = next_preorder(&ks.cdt_root); n != NULL; n = next_preorder(n)) {
            if (n->cap.type == CAP_UNTYPED)
                CHECK(check_children_apart(n));
        }
    }
    if (ks.current != NULL && ks.current != &ks.idle) {
        /* The running thread's TCB must be alive: some cap to it is in the tree. */
        bool alive = false;
        for (const struct slot *n = next_preorder(&ks.cdt_root); n != NULL && !alive; n = next_preorder(n))
            alive = n->cap.type == CAP_TCB && tcb_of(&n->cap) == ks.current;
        if (!alive)
            FAIL("the current thread has no TCB cap left", NULL);
    }
    return OK;
}

#else

struct invariant_report kernel_check_invariants(void)
{
    return (struct invariant_report){0};
}

#endif
