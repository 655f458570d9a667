/*
 * Threads: their life cycle (init, suspend, resume, finalise, cancelling
 * whatever they are blocked in) and the TCB invocations.
 *
 * Priorities are bounded by MCP: a thread may give any thread a priority or
 * MCP up to its own authority TCB's MCP and no higher, so no thread can raise
 * itself (or a helper) above what it was granted.
 */
#include <kaal/abi/faults.h>
#include <kaal/abi/syscalls.h>
#include <kaal/core/cdt.h>
#include <kaal/core/cspace.h>
#include <kaal/core/delete.h>
#include <kaal/core/ipc.h>
#include <kaal/core/kernel.h>
#include <kaal/core/sched.h>
#include <kaal/core/syscall.h>

#define IPC_BUFFER_ALIGN_BITS 10u /* 1 KiB: the 576-byte buffer never straddles a page */

void tcb_init(struct tcb *t)
{
    t->state = THREAD_INACTIVE;
    t->timeslice = SCHED_TIMESLICE_TICKS;
}

void tcb_cancel_ipc(struct tcb *t)
{
    /*
     * Blocked in a syscall: it runs again. Delivering an unknown-syscall fault
     * too: its pc is past the syscall, and re-running it raises the fault again.
     */
    bool in_syscall = thread_is_blocked(t) && (t->fault.type == 0 || t->fault.type == KAAL_FAULT_UNKNOWN_SYSCALL);
    switch (t->state) {
    case THREAD_BLOCKED_SEND:
    case THREAD_BLOCKED_RECV:
        queue_remove(&((struct endpoint *)(uintptr_t)t->blocked_on)->queue, t);
        break;
    case THREAD_BLOCKED_NOTIFICATION:
        queue_remove(&((struct notification *)(uintptr_t)t->blocked_on)->waiters, t);
        break;
    case THREAD_BLOCKED_REPLY:
        if (t->reply_held_at != NULL) {
            struct slot *reply = t->reply_held_at;
            t->reply_held_at = NULL;
            cdt_remove(reply);
        }
        break;
    default:
        return;
    }
    t->blocked_on = 0;
    t->fault.type = 0; /* a pending fault is raised again when the instruction re-runs */
    t->state = THREAD_INACTIVE;
    if (in_syscall)
        hal_ctx_restart_syscall(&t->ctx);
}

void tcb_suspend(struct tcb *t)
{
    tcb_cancel_ipc(t);
    if (t->state == THREAD_RUNNING)
        sched_dequeue(t);
    t->state = THREAD_INACTIVE;
}

void tcb_resume(struct tcb *t)
{
    if (t->state == THREAD_INACTIVE) {
        t->stopped_by_fault = false;
        sched_enqueue(t);
    }
}

void tcb_finalise(struct tcb *t)
{
    tcb_suspend(t);
    if (t->bound_notification != NULL)
        notification_unbind(t->bound_notification);
    if (ks.current == t)
        ks.current = NULL;
}

enum configure_arg { CFG_BUFFER_OFFSET, CFG_FAULT_EP, CFG_ARGS };
enum configure_cap { CFG_CSPACE, CFG_VSPACE, CFG_BUFFER, CFG_CAPS };

enum install_result { INSTALLED, INSTALL_PREEMPTED, INSTALL_THREAD_GONE };

/* Put a copy of src into one of t's own slots, replacing what was there. */
static enum install_result install(const struct invocation *inv, struct tcb *t, enum tcb_slot which,
                                   struct slot *src)
{
    struct slot *dst = &t->slots[which];
    if (cap_delete(dst))
        return INSTALL_PREEMPTED; /* the syscall restarts and carries on */
    /*
     * Deleting the old cap can, rarely, have deleted the thread itself (its last TCB cap lived in
     * the old CSpace): then nothing may go into its slots. The invoked cap still being there
     * proves the TCB is alive.
     */
    if (inv->slot->cap.type != CAP_TCB || tcb_of(&inv->slot->cap) != t)
        return INSTALL_THREAD_GONE;
    /* It can also have deleted the source (it lived in the old CSpace). */
    if (src != NULL && !slot_is_empty(src))
        cdt_insert(src, dst, &src->cap);
    return INSTALLED;
}

static enum kaal_error configure(const struct invocation *inv, struct tcb *t, struct syscall_error *err)
{
    if (inv_require(inv, CFG_ARGS, CFG_CAPS, err) != KAAL_OK)
        return err->code;
    struct slot *cspace = inv->caps[CFG_CSPACE], *vspace = inv->caps[CFG_VSPACE], *buffer = inv->caps[CFG_BUFFER];
    word_t offset = inv_arg(inv, CFG_BUFFER_OFFSET);
    word_t fault_cptr = inv_arg(inv, CFG_FAULT_EP);

    if (cspace->cap.type != CAP_CNODE)
        return REJECT(err_invalid_cap(err, KAAL_ARG_CAP(CFG_CSPACE)), "TCB_Configure: CSpace root is a %s cap",
                      cap_type_name(cspace->cap.type));
    if (vspace->cap.type != CAP_VSPACE)
        return REJECT(err_invalid_cap(err, KAAL_ARG_CAP(CFG_VSPACE)), "TCB_Configure: VSpace root is a %s cap",
                      cap_type_name(vspace->cap.type));
    if (buffer->cap.type != CAP_FRAME || buffer->cap.aux != 0)
        return REJECT(err_invalid_cap(err, KAAL_ARG_CAP(CFG_BUFFER)),
                      "TCB_Configure: the IPC buffer must be a RAM frame, not a %s%s cap",
                      buffer->cap.aux ? "device " : "", cap_type_name(buffer->cap.type));
    /* The kernel writes answers into the buffer: a read-only frame (a boot module) must stay so. */
    if (!(buffer->cap.rights & KAAL_RIGHT_WRITE))
        return REJECT(err_invalid_cap(err, KAAL_ARG_CAP(CFG_BUFFER)),
                      "TCB_Configure: the IPC buffer frame cap has no Write right");
    if (!IS_ALIGNED(offset, IPC_BUFFER_ALIGN_BITS))
        return REJECT(err_alignment(err, CFG_BUFFER_OFFSET, IPC_BUFFER_ALIGN_BITS),
                      "TCB_Configure: IPC buffer offset 0x%lx is not 1 KiB aligned", offset);
    word_t frame_size = BIT(buffer->cap.size_bits);
    if (offset > frame_size - sizeof(struct kaal_ipc_buffer))
        return REJECT(err_range(err, CFG_BUFFER_OFFSET, 0, frame_size - sizeof(struct kaal_ipc_buffer)),
                      "TCB_Configure: IPC buffer at 0x%lx does not fit the frame", offset);
    struct slot *fault_ep = NULL;
    if (fault_cptr != 0) {
        fault_ep = lookup_cap(&inv->caller->slots[TCB_SLOT_CSPACE].cap, fault_cptr, CFG_FAULT_EP, err);
        if (fault_ep == NULL)
            return err->code;
        if (fault_ep->cap.type != CAP_ENDPOINT)
            return REJECT(err_invalid_cap(err, CFG_FAULT_EP), "TCB_Configure: fault endpoint is a %s cap",
                          cap_type_name(fault_ep->cap.type));
    }

    /* Perform. Deleting an old cap may be long: each step is restartable. */
    static const enum tcb_slot order[] = {TCB_SLOT_CSPACE, TCB_SLOT_VSPACE, TCB_SLOT_IPC_BUFFER,
                                          TCB_SLOT_FAULT_EP};
    struct slot *sources[] = {cspace, vspace, buffer, fault_ep};
    for (unsigned i = 0; i < ARRAY_SIZE(order); i++) {
        enum install_result done = install(inv, t, order[i], sources[i]);
        if (done == INSTALL_PREEMPTED)
            err->preempted = true;
        if (done != INSTALLED)
            return KAAL_OK;
    }
    t->ipc_buffer_offset = offset;
    return KAAL_OK;
}

static enum kaal_error read_registers(const struct invocation *inv, struct tcb *t, struct syscall_error *err)
{
    if (inv_require(inv, 1, 0, err) != KAAL_OK)
        return err->code;
    word_t count = inv_arg(inv, 0);
    if (count < 1 || count > HAL_CTX_WORDS)
        return REJECT(err_range(err, 0, 1, HAL_CTX_WORDS), "TCB_ReadRegisters: count %lu", count);
    for (word_t i = 0; i < count; i++)
        inv_answer(inv, err, i, hal_ctx_word(&t->ctx, (unsigned)i));
    return KAAL_OK;
}

static enum kaal_error write_registers(const struct invocation *inv, struct tcb *t, struct syscall_error *err)
{
    if (inv_require(inv, 2, 0, err) != KAAL_OK)
        return err->code;
    word_t resume = inv_arg(inv, 0), count = inv_arg(inv, 1);
    if (resume > 1)
        return REJECT(err_invalid_argument(err, 0), "TCB_WriteRegisters: resume flag %lu is not 0 or 1", resume);
    if (count < 1 || count > HAL_CTX_WORDS)
        return REJECT(err_range(err, 1, 1, HAL_CTX_WORDS), "TCB_WriteRegisters: count %lu", count);
    if (inv_require(inv, 2 + count, 0, err) != KAAL_OK)
        return err->code;
    for (word_t i = 0; i < count; i++)
        hal_ctx_set_word(&t->ctx, (unsigned)i, inv_arg(inv, 2 + i));
    if (resume)
        tcb_resume(t);
    return KAAL_OK;
}

/* SetPriority and SetMCPriority: the value, bounded by the authority TCB's MCP. */
static enum kaal_error set_priority(const struct invocation *inv, struct tcb *t, bool mcp, struct syscall_error *err)
{
    if (inv_require(inv, 1, 1, err) != KAAL_OK)
        return err->code;
    if (inv->caps[0]->cap.type != CAP_TCB)
        return REJECT(err_invalid_cap(err, KAAL_ARG_CAP(0)), "TCB: authority is a %s cap, not a TCB",
                      cap_type_name(inv->caps[0]->cap.type));
    word_t value = inv_arg(inv, 0);
    word_t limit = tcb_of(&inv->caps[0]->cap)->mcp;
    if (value > limit)
        return REJECT(err_range(err, 0, 0, limit), "TCB: %s %lu is above the authority's MCP %lu",
                      mcp ? "MCP" : "priority", value, limit);
    if (mcp)
        t->mcp = (uint8_t)value;
    else
        sched_set_priority(t, (uint8_t)value);
    return KAAL_OK;
}

static enum kaal_error bind_notification(const struct invocation *inv, struct tcb *t, struct syscall_error *err)
{
    if (inv_require(inv, 0, 1, err) != KAAL_OK)
        return err->code;
    const struct cap *c = &inv->caps[0]->cap;
    if (c->type != CAP_NOTIFICATION || !(c->rights & KAAL_RIGHT_READ))
        return REJECT(err_invalid_cap(err, KAAL_ARG_CAP(0)), "TCB_BindNotification: need a readable notification");
    struct notification *n = notification_of(c);
    if (t->bound_notification != NULL || n->bound != NULL || n->waiters.head != NULL)
        return REJECT(err_illegal(err, KAAL_ILLEGAL_ALREADY_BOUND),
                      "TCB_BindNotification: the thread or the notification is already bound or in use");
    notification_bind(n, t);
    return KAAL_OK;
}

/* The ABI's view of a thread state (core's enum is not the ABI). */
static const uint8_t abi_thread_state[] = {
    [THREAD_INACTIVE] = KAAL_THREAD_INACTIVE,
    [THREAD_RUNNING] = KAAL_THREAD_RUNNING,
    [THREAD_BLOCKED_SEND] = KAAL_THREAD_BLOCKED_SEND,
    [THREAD_BLOCKED_RECV] = KAAL_THREAD_BLOCKED_RECV,
    [THREAD_BLOCKED_REPLY] = KAAL_THREAD_BLOCKED_REPLY,
    [THREAD_BLOCKED_NOTIFICATION] = KAAL_THREAD_BLOCKED_NOTIFICATION,
    [THREAD_IDLE] = KAAL_THREAD_RUNNING, /* never asked: no cap names the idle thread */
};
_Static_assert(ARRAY_SIZE(abi_thread_state) == THREAD_IDLE + 1, "every thread state has an ABI value");

/* GetInfo: state, priority, MCP, and whether a fault is pending or stopped the thread. */
static enum kaal_error get_info(const struct invocation *inv, const struct tcb *t, struct syscall_error *err)
{
    inv_answer(inv, err, 0, abi_thread_state[t->state]);
    inv_answer(inv, err, 1, t->priority);
    inv_answer(inv, err, 2, t->mcp);
    inv_answer(inv, err, 3, t->fault.type != 0 || t->stopped_by_fault);
    return KAAL_OK;
}

enum kaal_error tcb_invoke(const struct invocation *inv, struct syscall_error *err)
{
    struct tcb *t = tcb_of(&inv->slot->cap);
    bool self = t == inv->caller;
    switch (inv->label) {
    case KAAL_TCB_CONFIGURE:
        return configure(inv, t, err);
    case KAAL_TCB_READ_REGISTERS:
    case KAAL_TCB_WRITE_REGISTERS:
        if (self)
            return REJECT(err_illegal(err, KAAL_ILLEGAL_SELF), "TCB: a thread cannot read or write its own registers");
        return inv->label == KAAL_TCB_READ_REGISTERS ? read_registers(inv, t, err) : write_registers(inv, t, err);
    case KAAL_TCB_RESUME:
        tcb_resume(t);
        return KAAL_OK;
    case KAAL_TCB_SUSPEND:
        tcb_suspend(t);
        return KAAL_OK;
    case KAAL_TCB_SET_PRIORITY:
        return set_priority(inv, t, false, err);
    case KAAL_TCB_SET_MC_PRIORITY:
        return set_priority(inv, t, true, err);
    case KAAL_TCB_BIND_NOTIFICATION:
        return bind_notification(inv, t, err);
    case KAAL_TCB_UNBIND_NOTIFICATION:
        if (t->bound_notification == NULL)
            return REJECT(err_illegal(err, KAAL_ILLEGAL_NOT_BOUND), "TCB_UnbindNotification: nothing is bound");
        notification_unbind(t->bound_notification);
        return KAAL_OK;
    case KAAL_TCB_GET_INFO:
        return get_info(inv, t, err);
    default:
        return REJECT(err_illegal(err, KAAL_ILLEGAL_LABEL), "TCB: label %lu is not a TCB operation", inv->label);
    }
}
