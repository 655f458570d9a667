/*
 * Thread control blocks.
 *
 * A TCB holds caps of its own (its CSpace root, VSpace root and IPC buffer
 * frame) in slots inside the object, so deleting the last cap to a TCB
 * deletes those like the contents of a CNode.
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
    TCB_SLOT_COUNT
};

enum thread_state {
    THREAD_INACTIVE = 0,
    THREAD_RUNNING,
};

struct tcb {
    struct slot slots[TCB_SLOT_COUNT];
    struct hal_context ctx;
    word_t ipc_buffer_offset; /* where the buffer starts inside the IPC buffer frame */
    word_t state;
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

#endif
