/*
 * Endpoints, notifications, replies, and moving messages between threads.
 */
#ifndef KAAL_CORE_IPC_H
#define KAAL_CORE_IPC_H

#include <kaal/core/tcb.h>

/* A FIFO of blocked threads, linked through tcb.queue_prev/queue_next. */
struct tcb_queue {
    struct tcb *head, *tail;
};

/* An endpoint is only its queue: all senders or all receivers. */
struct endpoint {
    struct tcb_queue queue;
};

struct notification {
    word_t word;              /* badges signalled and not yet taken */
    struct tcb_queue waiters;
    struct tcb *bound;        /* the TCB this notification is bound to, or NULL */
};

_Static_assert(sizeof(struct endpoint) <= BIT(KAAL_ENDPOINT_BITS), "endpoint size");
_Static_assert(sizeof(struct notification) <= BIT(KAAL_NOTIFICATION_BITS), "notification size");

static inline struct endpoint *endpoint_of(const struct cap *c) { return (struct endpoint *)(uintptr_t)c->obj; }
static inline struct notification *notification_of(const struct cap *c)
{
    return (struct notification *)(uintptr_t)c->obj;
}

void queue_append(struct tcb_queue *q, struct tcb *t);
void queue_remove(struct tcb_queue *q, struct tcb *t);

/*
 * Send the message in sender's registers (or its pending fault) through the
 * endpoint cap ep_cap. A waiting receiver takes it at once; otherwise the
 * sender queues (blocking) or the message is dropped (non-blocking).
 */
void endpoint_send(const struct cap *ep_cap, struct tcb *sender, bool blocking, bool is_call);

/* Receive on the endpoint cap ep_cap: take a queued sender's message, or queue (blocking). */
void endpoint_recv(const struct cap *ep_cap, struct tcb *receiver, bool blocking);

/* The endpoint's last cap is gone: every queued thread restarts its syscall. */
void endpoint_finalise(struct endpoint *ep);

/* Answer the caller whose reply cap sits in replier's reply slot (if any). */
void do_reply(struct tcb *replier);

/* The reply cap for caller was deleted: the caller stays blocked, unanswerable. */
void reply_finalise(struct tcb *caller);

void notification_signal(struct notification *n, word_t badge);
void notification_wait(const struct cap *ntfn_cap, struct tcb *t, bool blocking);
void notification_finalise(struct notification *n);
void notification_bind(struct notification *n, struct tcb *t);
void notification_unbind(struct notification *n);

/*
 * Deliver sender's message (registers, IPC buffer, extra caps) to receiver.
 * badge goes to the receiver's CPTR register; ep is the endpoint it travels
 * through (caps to it are unwrapped to their badge), NULL for a reply.
 */
void ipc_transfer(struct tcb *sender, struct tcb *receiver, word_t badge, bool can_grant, const struct endpoint *ep);

/* Deliver a notification word to a thread (its CPTR register; an empty message). */
void ipc_deliver_signal(struct tcb *t, word_t word);

#endif
