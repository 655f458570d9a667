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
 * Preemption: after each cap deleted there is a preemption point. If an
 * interrupt is pending, cap_delete returns with the zombie in s recording
 * the progress (its count of slots left, its chain of waiting zombies); the
 * syscall restarts later and cap_delete(s) carries on from the zombie. A
 * zombie is never a CNode cap, so nothing can be looked up through it in
 * between, and the CNode invocations refuse to copy or move it.
 */
#include <kaal/core/cdt.h>
#include <kaal/core/delete.h>
#include <kaal/core/ipc.h>
#include <kaal/core/irq.h>
#include <kaal/core/kernel.h>
#include <kaal/core/preempt.h>
#include <kaal/core/untyped.h>

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
    default: /* memory only: Untyped, Frame, page tables */
        break;
    }
}

/* Unlink one cap that needs no container work, finalising its object if it was the last cap. */
static void delete_simple(struct slot *s)
{
    if (cdt_is_final(s))
        finalise_object(&s->cap);
    if (s->cap.type == CAP_UNTYPED)
        untyped_before_delete(s);
    cdt_remove(s);
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
}

/* A container's caps are all deleted: release the rest of it. */
static void finalise_container(const struct cap *zombie)
{
    if (zombie->size_bits == CAP_TCB)
        tcb_finalise((struct tcb *)(uintptr_t)zombie->obj);
}

/* The next occupied slot of the zombie's container, skipping the zombie's own slot. */
static struct slot *zombie_next(struct slot *s)
{
    struct slot *first;
    word_t count;
    container_slots(&s->cap, &first, &count);
    while (s->cap.aux > 0) {
        struct slot *t = first + s->cap.aux - 1;
        if (t != s && !slot_is_empty(t))
            return t;
        s->cap.aux--;
    }
    return NULL;
}

static void swap_slots(struct slot *a, struct slot *b)
{
    cdt_move(a, &ks.swap_slot);
    cdt_move(b, a);
    cdt_move(&ks.swap_slot, b);
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
    }
    /* s holds a zombie: fresh, or left by a preempted earlier call. */
    for (;;) {
        struct slot *t = zombie_next(s);
        if (t == NULL) {
            struct slot *waiting = (struct slot *)(uintptr_t)s->cap.data;
            finalise_container(&s->cap);
            cdt_remove(s);
            if (waiting == NULL)
                return false;
            cdt_move(waiting, s);
        } else if (needs_dismantling(t)) {
            swap_slots(s, t);
            zombify(s, t);
        } else {
            delete_simple(t);
            if (preemption_point())
                return true;
        }
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
