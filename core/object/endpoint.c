/*
 * Endpoints and replies: synchronous IPC.
 *
 * An endpoint is a queue of threads that all want the same thing (to send,
 * or to receive). A thread arriving for the other side takes the head.
 * Call = Send + wait for a reply: the receiver gets a one-shot reply cap in
 * its TCB's reply slot, and Reply (or the reply half of ReplyRecv) uses it
 * up. When the sender blocks and the receiver wakes, the receiver runs next
 * among its equals: the CPU follows the message.
 */
#include <kaal/core/delete.h>
#include <kaal/core/cdt.h>
#include <kaal/core/fault.h>
#include <kaal/core/ipc.h>
#include <kaal/core/kernel.h>
#include <kaal/core/sched.h>

/* Block t on a queue in state. */
static void block_on(struct tcb *t, struct tcb_queue *q, word_t object, enum thread_state state)
{
    if (t->state == THREAD_RUNNING)
        sched_dequeue(t);
    t->state = (uint8_t)state;
    t->blocked_on = object;
    queue_append(q, t);
}

/* caller waits for receiver's reply: the reply cap goes into receiver's reply slot. */
static void reply_setup(struct tcb *receiver, struct tcb *caller, bool can_grant)
{
    struct slot *slot = &receiver->slots[TCB_SLOT_REPLY];
    if (!slot_is_empty(slot))
        cap_delete(slot); /* an unanswered earlier caller stays blocked: as after a lost reply */
    struct cap reply = {.obj = (word_t)(uintptr_t)caller, .type = CAP_REPLY, .rights = KAAL_RIGHTS_ALL,
                        .aux = can_grant};
    cdt_insert(&ks.cdt_root, slot, &reply);
    if (caller->state == THREAD_RUNNING)
        sched_dequeue(caller);
    caller->state = THREAD_BLOCKED_REPLY;
    caller->blocked_on = 0;
    caller->reply_held_at = slot;
}

void endpoint_send(const struct cap *ep_cap, struct tcb *sender, bool blocking, bool is_call)
{
    struct endpoint *ep = endpoint_of(ep_cap);
    struct tcb *r = ep->queue.head;
    bool call = is_call || sender->fault.type != 0;

    if (r != NULL && r->state == THREAD_BLOCKED_RECV) {
        queue_remove(&ep->queue, r);
        r->blocked_on = 0;
        ipc_transfer(sender, r, ep_cap->data, (ep_cap->rights & KAAL_RIGHT_GRANT) != 0, ep);
        if (call) {
            reply_setup(r, sender, (ep_cap->rights & KAAL_RIGHT_GRANT_REPLY) != 0);
            sched_enqueue_first(r);
        } else {
            sched_enqueue(r);
        }
        return;
    }
    if (!blocking)
        return;
    sender->send = (struct ipc_send){
        .badge = ep_cap->data,
        .can_grant = (ep_cap->rights & KAAL_RIGHT_GRANT) != 0,
        .can_grant_reply = (ep_cap->rights & KAAL_RIGHT_GRANT_REPLY) != 0,
        .is_call = call,
    };
    block_on(sender, &ep->queue, ep_cap->obj, THREAD_BLOCKED_SEND);
}

void endpoint_recv(const struct cap *ep_cap, struct tcb *receiver, bool blocking)
{
    struct notification *bound = receiver->bound_notification;
    if (bound != NULL && bound->word != 0) {
        ipc_deliver_signal(receiver, bound->word);
        bound->word = 0;
        return;
    }

    struct endpoint *ep = endpoint_of(ep_cap);
    struct tcb *s = ep->queue.head;
    if (s != NULL && s->state == THREAD_BLOCKED_SEND) {
        queue_remove(&ep->queue, s);
        s->blocked_on = 0;
        ipc_transfer(s, receiver, s->send.badge, s->send.can_grant, ep);
        if (s->send.is_call)
            reply_setup(receiver, s, s->send.can_grant_reply);
        else
            sched_enqueue(s);
        return;
    }
    if (!blocking) {
        ipc_deliver_signal(receiver, 0); /* nothing there: badge 0, empty message */
        return;
    }
    block_on(receiver, &ep->queue, ep_cap->obj, THREAD_BLOCKED_RECV);
}

void endpoint_finalise(struct endpoint *ep)
{
    /* Each queued thread restarts its syscall, which then finds its cap gone. */
    while (ep->queue.head != NULL) {
        struct tcb *t = ep->queue.head;
        tcb_cancel_ipc(t);
        sched_enqueue(t);
    }
}

void do_reply(struct tcb *replier)
{
    struct slot *slot = &replier->slots[TCB_SLOT_REPLY];
    if (slot->cap.type != CAP_REPLY)
        return; /* nobody to answer: Reply is a no-op, as documented */
    struct tcb *caller = tcb_of(&slot->cap);
    bool can_grant = slot->cap.aux != 0;
    caller->reply_held_at = NULL;
    cdt_remove(slot);

    if (caller->fault.type != 0) {
        fault_reply(replier, caller);
        return;
    }
    ipc_transfer(replier, caller, 0, can_grant, NULL);
    sched_enqueue(caller);
}

void reply_finalise(struct tcb *caller)
{
    caller->reply_held_at = NULL;
}
