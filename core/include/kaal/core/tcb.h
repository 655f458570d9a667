/*
 * Thread control blocks.
 *
 * A TCB holds caps of its own in slots inside the object (its CSpace root,
 * VSpace root, IPC buffer frame, fault endpoint, and the reply cap of the
 * last Call it received), so deleting the last cap to a TCB deletes those
 * like the contents of a CNode.
 */
#ifndef KAAL_CORE_TCB_H
#define KAAL_CORE_TCB_H

#include <kaal/abi/message.h>
#include <kaal/core/cap.h>
#include <kaal/hal/context.h>

enum tcb_slot {
    TCB_SLOT_CSPACE = 0,
    TCB_SLOT_VSPACE = 1,
    TCB_SLOT_IPC_BUFFER = 2,
    TCB_SLOT_FAULT_EP = 3,
    TCB_SLOT_REPLY = 4,
    TCB_SLOT_COUNT
};

enum thread_state {
    THREAD_INACTIVE = 0,     /* not scheduled: new, suspended, or stopped by a fault */
    THREAD_RUNNING,          /* runnable: in a ready queue */
    THREAD_BLOCKED_SEND,     /* queued on an endpoint to send (or to deliver a fault) */
    THREAD_BLOCKED_RECV,     /* queued on an endpoint to receive */
    THREAD_BLOCKED_REPLY,    /* waiting for the reply to a Call (or to a fault) */
    THREAD_BLOCKED_NOTIFICATION, /* queued on a notification */
    THREAD_IDLE,             /* the kernel's idle thread, never in a queue */
};

/* What a thread blocked in Send is sending. */
struct ipc_send {
    word_t badge;
    bool can_grant;       /* the endpoint cap had Grant: extra caps may go */
    bool can_grant_reply; /* the endpoint cap had GrantReply: the reply may carry caps */
    bool is_call;         /* wait for a reply after the message is taken */
};

/* A fault waiting to be delivered or answered. */
struct pending_fault {
    word_t type; /* enum kaal_fault, 0: none */
    word_t words[KAAL_MSG_REGISTERS + 6];
    word_t length;
};

struct tcb {
    struct slot slots[TCB_SLOT_COUNT];
    struct hal_context ctx;
    word_t ipc_buffer_offset; /* where the buffer starts inside the IPC buffer frame */

    uint8_t state;    /* enum thread_state */
    uint8_t priority;
    uint8_t mcp;      /* the highest priority this thread may give any thread */
    uint8_t timeslice; /* ticks left */
    bool stopped_by_fault; /* INACTIVE because of a fault (no handler, or the handler refused); cleared by Resume */

    struct tcb *sched_prev, *sched_next; /* ready queue of its priority */
    struct tcb *queue_prev, *queue_next; /* endpoint or notification queue */
    word_t blocked_on;                   /* the endpoint or notification it is queued on */
    struct ipc_send send;
    struct pending_fault fault;
    struct slot *reply_held_at;          /* where the reply cap for this caller is, or NULL */
    struct notification *bound_notification;
};

_Static_assert(sizeof(struct tcb) <= BIT(KAAL_TCB_BITS), "struct tcb must fit its object size");

static inline struct tcb *tcb_of(const struct cap *c) { return (struct tcb *)(uintptr_t)c->obj; }

/*
 * The thread's IPC buffer, or NULL. Derived from the frame cap in the TCB
 * every time, so a deleted frame can never be written through a stale pointer.
 */
static inline struct kaal_ipc_buffer *tcb_ipc_buffer(const struct tcb *t)
{
    const struct cap *frame = &t->slots[TCB_SLOT_IPC_BUFFER].cap;
    if (frame->type != CAP_FRAME)
        return NULL;
    return (struct kaal_ipc_buffer *)(uintptr_t)(frame->obj + t->ipc_buffer_offset);
}

static inline bool thread_is_blocked(const struct tcb *t)
{
    return t->state >= THREAD_BLOCKED_SEND && t->state <= THREAD_BLOCKED_NOTIFICATION;
}

/* The debug name of a thread in log lines: its TCB address. */
#define TCB_FMT "tcb %p"

/* Initial state of a TCB made by Retype: inactive, priority 0, MCP 0. */
void tcb_init(struct tcb *t);

/*
 * Stop whatever t is blocked in (queue, reply wait) so that nothing refers to
 * it any more; if it was inside a syscall, that syscall restarts when t runs
 * again. Leaves t INACTIVE.
 */
void tcb_cancel_ipc(struct tcb *t);

/* Suspend: out of every queue, INACTIVE. */
void tcb_suspend(struct tcb *t);

/* Make an INACTIVE thread runnable (a no-op for any other state). */
void tcb_resume(struct tcb *t);

/* The TCB's last cap is gone: take it out of everything. */
void tcb_finalise(struct tcb *t);

#endif
