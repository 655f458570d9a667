/*
 * Delete and Revoke.
 *
 * Principle of operation: deleting a cap that is not the last one to its
 * object only unlinks it. Deleting the last cap to a container (CNode, TCB)
 * must first delete every cap the container holds, and those may be last caps
 * to further containers, in chains or cycles of any length. There is no
 * kernel heap and only one small kernel stack, so this is a loop, not a
 * recursion:
 *
 *   - the slot being deleted (s) turns into a Zombie: same object, same CDT
 *     position, plus a count of container slots not yet known to be empty;
 *   - the loop deletes the container's caps from the last slot down;
 *   - when one of them is itself the last cap to another container, the two
 *     caps swap places: the inner container's cap comes into s (and becomes
 *     the zombie being worked on), our zombie waits in the inner slot, and
 *     the new zombie remembers where (its chain link);
 *   - when a zombie's container is empty, the zombie is removed and the one
 *     waiting on the chain comes back into s.
 *
 * A zombie never waits inside the container being emptied (the cap found
 * there was the last one to that container, and a waiting zombie counts as
 * a cap to its own container), so no slot is visited twice. Kernel memory
 * stays untouched apart from the slots themselves, and a container's memory
 * is only handed out again when its Untyped is reset, which needs no caps
 * left in it.
 *
 * Preemption: after each step (a cap deleted, a slot found empty, a swap, a
 * container finished) there is a preemption point. If an interrupt is
 * pending, cap_delete returns with the zombie in s recording the progress
 * (its count of slots left, its chain of waiting zombies); the syscall
 * restarts later and cap_delete(s) carries on from the zombie. A
 * zombie is never a CNode cap, so nothing can be looked up through it in
 * between, and the CNode invocations refuse to copy or move it. The one
 * exception: once s itself lies in a container being dismantled, no restart
 * could reach it, so the call runs to the end.
 */
#include <kaal/core/cdt.h>
#include <kaal/core/delete.h>
#include <kaal/core/ipc.h>
#include <kaal/core/irq.h>
#include <kaal/core/kernel.h>
#include <kaal/core/preempt.h>
#include <kaal/core/untyped.h>
#include <kaal/core/vspace.h>

/* The last cap to a non-container object goes: release what the object holds. */
static void finalise_object(const struct cap *c)
{
    switch (c->type) {
    case CAP_ENDPOINT:
        endpoint_finalise(endpoint_of(c));
        break;
    case CAP_NOTIFICATION:
        notification_finalise(notification_of(c));
        break;
    case CAP_REPLY:
        reply_finalise(tcb_of(c));
        break;
    case CAP_IRQ_HANDLER:
        irq_handler_finalise((unsigned)c->obj);
        break;
    case CAP_VSPACE:
        vspace_finalise(c);
        break;
    default: /* memory only: Untyped, Frame, page tables */
        break;
    }
}

/* Unlink one cap that needs no container work, finalising its object if it was the last cap. */
static void delete_simple(struct slot *s)
{
    if (cap_is_mapped(&s->cap))
        vspace_unmap_cap(&s->cap); /* a mapping belongs to its cap, final or not */
    if (cdt_is_final(s))
        finalise_object(&s->cap);
    if (s->cap.type == CAP_UNTYPED)
        untyped_before_delete(s);
    cdt_remove(s);
}

static void swap_slots(struct slot *a, struct slot *b)
{
    cdt_move(a, &ks.swap_slot);
    cdt_move(b, a);
    cdt_move(&ks.swap_slot, b);
}

/*
 * The chain links of zombies. A zombie's cap data is the slot of the zombie
 * that resumes once it is done (its outer one), or NULL. A waiting zombie's
 * slot.reserved is the slot of the zombie it waits for (the one whose chain
 * leads to it); 0 for a zombie being worked on. The back link lets anyone who
 * reaches a waiting zombie some other way (Revoke of an ancestor, the delete
 * of the container around a stopped delete) take it over without leaving the
 * other zombie's chain pointing at a slot that no longer holds it.
 */
static struct slot *chain_of(const struct slot *z) { return (struct slot *)(uintptr_t)z->cap.data; }
static struct slot *waiting_for(const struct slot *z) { return (struct slot *)(uintptr_t)z->reserved; }

/* The zombie in z waits for the one in inner (NULL: for none). */
static void set_waiting_for(struct slot *z, struct slot *inner) { z->reserved = (word_t)(uintptr_t)inner; }

/* The zombie whose chain is z now lies in a different slot: tell the zombie waiting in z. */
static void zombie_moved_to(struct slot *z)
{
    if (chain_of(z) != NULL)
        set_waiting_for(chain_of(z), z);
}

/* s holds the last cap to a container: make it a zombie, and stop the thread if it is a TCB. */
static void zombify(struct slot *s, struct slot *chain)
{
    struct slot *first;
    word_t count;
    container_slots(&s->cap, &first, &count);
    if (s->cap.type == CAP_TCB)
        tcb_suspend(tcb_of(&s->cap));
    uint8_t radix = s->cap.type == CAP_CNODE ? s->cap.size_bits : 0;
    s->cap.size_bits = s->cap.type;
    s->cap.guard_bits = radix;
    s->cap.type = CAP_ZOMBIE;
    s->cap.aux = (uint32_t)count;
    s->cap.data = (word_t)(uintptr_t)chain;
    set_waiting_for(s, NULL);
    zombie_moved_to(s);
}

/*
 * The zombie in z is taken over where it is: if another zombie's chain leads to
 * it, that one no longer resumes it (it just ends when its own container is
 * done), and z is now worked on.
 */
static void take_over(struct slot *z)
{
    if (waiting_for(z) != NULL)
        waiting_for(z)->cap.data = 0;
    set_waiting_for(z, NULL);
}

/*
 * Dismantling found the zombie of another, stopped, delete in slot t of the
 * container the zombie in s empties: that work is ours now. It moves into s and
 * goes first; ours waits in t behind the last zombie of its chain.
 */
static void adopt(struct slot *s, struct slot *t)
{
    take_over(t);
    swap_slots(s, t);
    zombie_moved_to(s);
    zombie_moved_to(t);
    struct slot *last = s;
    while (chain_of(last) != NULL)
        last = chain_of(last);
    last->cap.data = (word_t)(uintptr_t)t;
    set_waiting_for(t, last);
}

/* A container's caps are all deleted: release the rest of it. */
static void finalise_container(const struct cap *zombie)
{
    if (zombie->size_bits == CAP_TCB)
        tcb_finalise((struct tcb *)(uintptr_t)zombie->obj);
}

/* The slot the zombie in s looks at next (its last slot not yet known empty), or NULL when none is left. */
static struct slot *zombie_next(struct slot *s)
{
    if (s->cap.aux == 0)
        return NULL;
    struct slot *first;
    word_t count;
    container_slots(&s->cap, &first, &count);
    return first + s->cap.aux - 1;
}

/* Is slot s one of the slots of the container that zombie dismantles? */
static bool inside(const struct cap *zombie, const struct slot *s)
{
    struct slot *first;
    word_t count;
    container_slots(zombie, &first, &count);
    return s >= first && s < first + count;
}

static bool needs_dismantling(const struct slot *s)
{
    return cap_is_container(&s->cap) && cdt_is_final(s);
}

bool cap_delete(struct slot *s)
{
    if (slot_is_empty(s))
        return false;
    if (s->cap.type != CAP_ZOMBIE) {
        if (!needs_dismantling(s)) {
            delete_simple(s);
            return false;
        }
        zombify(s, NULL);
    } else {
        take_over(s); /* a zombie left by a stopped delete, or one waiting in such a delete's chain */
    }
    /*
     * s holds a zombie: fresh, or left by a preempted earlier call. Every step is a unit of work
     * with a preemption point after it: a slot found empty, a cap deleted, a level down the
     * chain or back up, so neither a long chain nor a large empty CNode runs unbounded.
     *
     * Once s lies inside a container dismantled here, though, nothing can name s any more (the
     * container's last cap is, or was, the zombie in s) and, after that container is finalised,
     * s is a slot of a dead object: stopping there would strand the work where no restart finds
     * it. From then on this call finishes everything.
     */
    bool stranded = inside(&s->cap, s);
    for (;;) {
        struct slot *t = zombie_next(s);
        if (t == NULL) {
            struct slot *waiting = chain_of(s);
            finalise_container(&s->cap);
            cdt_remove(s);
            if (waiting == NULL)
                return false;
            cdt_move(waiting, s);
            set_waiting_for(s, NULL);
            zombie_moved_to(s);
        } else if (t == s || slot_is_empty(t)) {
            s->cap.aux--; /* known empty (or the zombie's own slot) */
        } else if (t->cap.type == CAP_ZOMBIE) {
            adopt(s, t);
            stranded = stranded || inside(&s->cap, s);
        } else if (needs_dismantling(t)) {
            swap_slots(s, t);
            zombie_moved_to(t);
            zombify(s, t);
            stranded = stranded || inside(&s->cap, s);
        } else {
            delete_simple(t);
            s->cap.aux--;
        }
        if (!stranded && preemption_point())
            return true;
    }
}

bool cap_revoke(struct slot *s)
{
    /*
     * Each delete removes one node and moves its children up to s, so this
     * visits every descendant once. If a delete empties s itself (s lived in
     * a container that died), the loop ends.
     */
    while (s->first_child != NULL) {
        if (cap_delete(s->first_child) || preemption_point())
            return true;
    }
    return false;
}
