/*
 * The syscall entry and the other kernel entry points.
 *
 * Each syscall looks up the cap it names and lets the cap's type decide what
 * the syscall means: IPC on an endpoint, Signal/Wait/Poll on a notification,
 * an invocation on any other object. Call always gets an answer, so a cap it
 * cannot use is answered with an error; the other syscalls have no answer
 * to carry an error, so there it is a capability fault.
 *
 * Call and ReplyRecv first try the fastpath (fastpath.c), which completes the
 * common IPC case with the same result as the code here, or changes nothing
 * and hands the syscall to slowpath_syscall().
 */
#include <kaal/abi/syscalls.h>
#include <kaal/core/cspace.h>
#include <kaal/core/entry.h>
#include <kaal/core/fastpath.h>
#include <kaal/core/fault.h>
#include <kaal/core/ipc.h>
#include <kaal/core/irq.h>
#include <kaal/core/kernel.h>
#include <kaal/core/sched.h>
#include <kaal/core/syscall.h>
#include <kaal/hal/irq.h>

struct kernel_state ks;

word_t inv_arg(const struct invocation *inv, word_t i)
{
    if (i < KAAL_MSG_REGISTERS)
        return hal_ctx_get(&inv->caller->ctx, (enum hal_reg)(HAL_REG_MR0 + i));
    return inv->buffer->msg[i];
}

void inv_answer(const struct invocation *inv, struct syscall_error *err, word_t i, word_t value)
{
    if (i < KAAL_MSG_REGISTERS)
        hal_ctx_set(&inv->caller->ctx, (enum hal_reg)(HAL_REG_MR0 + i), value);
    else if (inv->buffer != NULL && i < KAAL_MSG_MAX_WORDS)
        inv->buffer->msg[i] = value;
    if (err->count < i + 1)
        err->count = (unsigned)(i + 1);
}

enum kaal_error inv_require(const struct invocation *inv, word_t words, word_t caps, struct syscall_error *err)
{
    if (inv->length < words || inv->extra_caps < caps)
        return REJECT(err_truncated(err, words, caps),
                      "%s label %lu: needs %lu words and %lu caps, got %lu and %lu",
                      cap_type_name(inv->slot->cap.type), inv->label, words, caps, inv->length,
                      inv->extra_caps);
    return KAAL_OK;
}

static word_t min_word(word_t a, word_t b) { return a < b ? a : b; }

static const struct cap *cspace_root(const struct tcb *t) { return &t->slots[TCB_SLOT_CSPACE].cap; }

/* Decode and perform an invocation of a kernel object (not an endpoint or notification). */
static enum kaal_error invoke(struct tcb *t, struct slot *slot, struct syscall_error *err)
{
    struct invocation inv = {.caller = t, .slot = slot, .buffer = tcb_ipc_buffer(t)};

    /* Words and caps beyond what the thread can supply are not there: truncate, as documented. */
    word_t info = hal_ctx_get(&t->ctx, HAL_REG_MSGINFO);
    inv.label = kaal_msginfo_label(info);
    inv.length = min_word(kaal_msginfo_length(info), KAAL_MSG_MAX_WORDS);
    inv.extra_caps = kaal_msginfo_extra_caps(info);
    if (inv.buffer == NULL) {
        inv.length = min_word(inv.length, KAAL_MSG_REGISTERS);
        inv.extra_caps = 0;
    }
    for (word_t i = 0; i < inv.extra_caps; i++) {
        inv.caps[i] = lookup_cap(cspace_root(t), inv.buffer->caps_or_badges[i], KAAL_ARG_CAP(i), err);
        if (inv.caps[i] == NULL)
            return err->code;
    }

    switch (slot->cap.type) {
    case CAP_UNTYPED:
        return untyped_invoke(&inv, err);
    case CAP_CNODE:
        return cnode_invoke(&inv, err);
    case CAP_TCB:
        return tcb_invoke(&inv, err);
    case CAP_IRQ_CONTROL:
    case CAP_IRQ_HANDLER:
        return irq_invoke(&inv, err);
    case CAP_MACHINE:
        return machine_invoke(&inv, err);
    case CAP_FRAME:
    case CAP_PAGE_UPPER_DIR:
    case CAP_PAGE_DIR:
    case CAP_PAGE_TABLE:
        return vspace_invoke(&inv, err);
    case CAP_ZOMBIE:
        return REJECT(err_illegal(err, KAAL_ILLEGAL_BEING_DELETED), "the cap is being deleted");
    default:
        return REJECT(err_illegal(err, KAAL_ILLEGAL_LABEL), "%s caps have no operations (label %lu)",
                      cap_type_name(slot->cap.type), inv.label);
    }
}

/* Write an invocation's answer: label = code, then the detail (or answer) words. */
static void answer(struct tcb *t, enum kaal_error code, const struct syscall_error *err)
{
    struct kaal_ipc_buffer *buffer = tcb_ipc_buffer(t);
    word_t count = err->count;
    if (buffer == NULL)
        count = min_word(count, KAAL_MSG_REGISTERS);
    if (code != KAAL_OK) {
        for (word_t i = 0; i < count; i++) {
            if (i < KAAL_MSG_REGISTERS)
                hal_ctx_set(&t->ctx, (enum hal_reg)(HAL_REG_MR0 + i), err->detail[i]);
            else
                buffer->msg[i] = err->detail[i];
        }
    }
    hal_ctx_set(&t->ctx, HAL_REG_MSGINFO, kaal_msginfo(code, 0, 0, count));
}

static bool has_right(const struct cap *c, unsigned right) { return (c->rights & right) != 0; }

static void sys_call(struct tcb *t)
{
    struct syscall_error err = {0};
    enum kaal_error code;
    struct slot *slot = lookup_cap(cspace_root(t), hal_ctx_get(&t->ctx, HAL_REG_CPTR), KAAL_ARG_INVOKED, &err);
    if (slot == NULL) {
        code = err.code;
    } else if (slot->cap.type == CAP_ENDPOINT || slot->cap.type == CAP_NOTIFICATION) {
        if (!has_right(&slot->cap, KAAL_RIGHT_WRITE)) {
            code = REJECT(err_invalid_cap(&err, KAAL_ARG_INVOKED), "Call: the %s cap has no Write right",
                          cap_type_name(slot->cap.type));
        } else if (slot->cap.type == CAP_ENDPOINT) {
            endpoint_send(&slot->cap, t, true, true);
            return;
        } else {
            notification_signal(notification_of(&slot->cap), slot->cap.data);
            code = KAAL_OK;
        }
    } else {
        code = invoke(t, slot, &err);
        if (err.preempted) {
            hal_ctx_restart_syscall(&t->ctx);
            return;
        }
    }
    /* The caller may have deleted its own TCB; then nobody is there to answer. */
    if (ks.current == t)
        answer(t, code, &err);
}

static void sys_send(struct tcb *t, bool blocking)
{
    struct syscall_error err = {0};
    word_t cptr = hal_ctx_get(&t->ctx, HAL_REG_CPTR);
    struct slot *slot = lookup_cap(cspace_root(t), cptr, KAAL_ARG_INVOKED, &err);
    if (slot == NULL) {
        fault_cap(t, cptr, false, &err);
    } else if (slot->cap.type == CAP_ENDPOINT || slot->cap.type == CAP_NOTIFICATION) {
        if (!has_right(&slot->cap, KAAL_RIGHT_WRITE))
            fault_cap(t, cptr, false, NULL);
        else if (slot->cap.type == CAP_ENDPOINT)
            endpoint_send(&slot->cap, t, blocking, false);
        else
            notification_signal(notification_of(&slot->cap), slot->cap.data);
    } else {
        invoke(t, slot, &err); /* an invocation without an answer */
        if (err.preempted)
            hal_ctx_restart_syscall(&t->ctx);
    }
}

static void sys_recv(struct tcb *t, bool blocking)
{
    struct syscall_error err = {0};
    word_t cptr = hal_ctx_get(&t->ctx, HAL_REG_CPTR);
    struct slot *slot = lookup_cap(cspace_root(t), cptr, KAAL_ARG_INVOKED, &err);
    if (slot == NULL) {
        fault_cap(t, cptr, true, &err);
        return;
    }
    const struct cap *c = &slot->cap;
    if (c->type == CAP_ENDPOINT && has_right(c, KAAL_RIGHT_READ)) {
        endpoint_recv(c, t, blocking);
    } else if (c->type == CAP_NOTIFICATION && has_right(c, KAAL_RIGHT_READ) &&
               (notification_of(c)->bound == NULL || notification_of(c)->bound == t)) {
        notification_wait(c, t, blocking);
    } else {
        KLOG(TCB_FMT ": cannot receive on a %s cap (rights 0x%x)", (void *)t, cap_type_name(c->type), c->rights);
        fault_cap(t, cptr, true, NULL);
    }
}

static void unknown_syscall(struct tcb *t, word_t sysno)
{
    word_t words[KAAL_FAULT_SYSCALL_WORDS] = {
        [KAAL_FAULT_SYSCALL_PC] = hal_ctx_pc(&t->ctx),
        [KAAL_FAULT_SYSCALL_SP] = hal_ctx_sp(&t->ctx),
        [KAAL_FAULT_SYSCALL_NUMBER] = sysno,
    };
    for (unsigned i = 0; i < 6; i++)
        words[KAAL_FAULT_SYSCALL_ARG0 + i] = hal_ctx_get(&t->ctx, (enum hal_reg)(HAL_REG_CPTR + i));
    fault_raise(t, KAAL_FAULT_UNKNOWN_SYSCALL, words, KAAL_FAULT_SYSCALL_WORDS);
}

/* Take an interrupt that arrived during a long operation. */
static void take_pending_interrupt(void)
{
    unsigned line = hal_irq_pending();
    if (line != HAL_IRQ_NONE)
        irq_handle(line);
}

/* The slow path: every syscall, in full (fastpath.h). */
void slowpath_syscall(struct tcb *t, word_t sysno)
{
    switch (sysno) {
    case KAAL_SYS_CALL:
        sys_call(t);
        break;
    case KAAL_SYS_SEND:
    case KAAL_SYS_NB_SEND:
        sys_send(t, sysno == KAAL_SYS_SEND);
        break;
    case KAAL_SYS_RECV:
    case KAAL_SYS_NB_RECV:
        sys_recv(t, sysno == KAAL_SYS_RECV);
        break;
    case KAAL_SYS_REPLY:
        do_reply(t);
        break;
    case KAAL_SYS_REPLY_RECV:
        do_reply(t);
        sys_recv(t, true);
        break;
    case KAAL_SYS_YIELD:
        sched_yield_current();
        break;
    default:
        unknown_syscall(t, sysno);
        break;
    }
    if (ks.preempted) {
        ks.preempted = false;
        take_pending_interrupt();
    }
    ks.work_units = 0; /* each kernel entry starts a fresh budget */
    schedule();
}

void kernel_syscall(void)
{
    struct tcb *t = ks.current;
    word_t sysno = hal_ctx_get(&t->ctx, HAL_REG_SYSNO);

    /*
     * Call and ReplyRecv go to the fastpath first: it does the whole syscall, exactly as the slow
     * path would, or changes nothing and goes on into the slow path itself (a tail call, as here).
     */
    if (sysno == KAAL_SYS_CALL)
        fastpath_call(t);
    else if (sysno == KAAL_SYS_REPLY_RECV)
        fastpath_reply_recv(t);
    else
        slowpath_syscall(t, sysno);
}

void kernel_interrupt(void)
{
    take_pending_interrupt();
    schedule();
}

void kernel_vm_fault(word_t address, word_t access, word_t code)
{
    struct tcb *t = ks.current;
    word_t words[KAAL_FAULT_VM_WORDS] = {
        [KAAL_FAULT_VM_PC] = hal_ctx_pc(&t->ctx),
        [KAAL_FAULT_VM_ADDRESS] = address,
        [KAAL_FAULT_VM_ACCESS] = access,
        [KAAL_FAULT_VM_CODE] = code,
    };
    fault_raise(t, KAAL_FAULT_VM, words, KAAL_FAULT_VM_WORDS);
    schedule();
}

void kernel_user_exception(word_t code, word_t detail)
{
    struct tcb *t = ks.current;
    word_t words[KAAL_FAULT_EXCEPTION_WORDS] = {
        [KAAL_FAULT_EXCEPTION_PC] = hal_ctx_pc(&t->ctx),
        [KAAL_FAULT_EXCEPTION_SP] = hal_ctx_sp(&t->ctx),
        [KAAL_FAULT_EXCEPTION_CODE] = code,
        [KAAL_FAULT_EXCEPTION_DETAIL] = detail,
    };
    fault_raise(t, KAAL_FAULT_USER_EXCEPTION, words, KAAL_FAULT_EXCEPTION_WORDS);
    schedule();
}
