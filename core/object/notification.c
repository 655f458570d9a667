/*
 * Notifications: a word of OR-ed badges, for signals that must not block the
 * signaller (interrupts, wake-ups).
 *
 * Signal ORs the badge into the word, or hands it straight to a waiter, or
 * to the bound thread if that thread waits on an endpoint. An unbadged cap
 * signals with 1, so a signal through it is never lost as an OR of zero.
 */
#include <kaal/core/ipc.h>
#include <kaal/core/kernel.h>
#include <kaal/core/sched.h>

void notification_signal(struct notification *n, word_t badge)
{
    if (badge == 0)
        badge = 1;
    struct tcb *w = n->waiters.head;
    if (w != NULL) {
        queue_remove(&n->waiters, w);
        w->blocked_on = 0;
        ipc_deliver_signal(w, badge);
        sched_enqueue(w);
        return;
    }
    struct tcb *b = n->bound;
    if (b != NULL && b->state == THREAD_BLOCKED_RECV) {
        queue_remove(&((struct endpoint *)(uintptr_t)b->blocked_on)->queue, b);
        b->blocked_on = 0;
        /* A word can be pending here (bound while already in Recv): it goes with this signal. */
        ipc_deliver_signal(b, n->word | badge);
        n->word = 0;
        sched_enqueue(b);
        return;
    }
    n->word |= badge;
}

void notification_wait(const struct cap *ntfn_cap, struct tcb *t, bool blocking)
{
    struct notification *n = notification_of(ntfn_cap);
    if (n->word != 0 || !blocking) {
        ipc_deliver_signal(t, n->word);
        n->word = 0;
        return;
    }
    if (t->state == THREAD_RUNNING)
        sched_dequeue(t);
    t->state = THREAD_BLOCKED_NOTIFICATION;
    t->blocked_on = ntfn_cap->obj;
    queue_append(&n->waiters, t);
}

void notification_bind(struct notification *n, struct tcb *t)
{
    n->bound = t;
    t->bound_notification = n;
}

void notification_unbind(struct notification *n)
{
    if (n->bound != NULL)
        n->bound->bound_notification = NULL;
    n->bound = NULL;
}

void notification_finalise(struct notification *n)
{
    while (n->waiters.head != NULL) {
        struct tcb *t = n->waiters.head;
        tcb_cancel_ipc(t);
        sched_enqueue(t);
    }
    notification_unbind(n);
}
