/*
 * Raising faults and taking the handler's answer (see fault.h).
 */
#include <kaal/core/fault.h>
#include <kaal/core/ipc.h>
#include <kaal/core/kernel.h>
#include <kaal/core/klog.h>
#include <kaal/core/sched.h>

static const char *fault_name(word_t type)
{
    switch (type) {
    case KAAL_FAULT_CAP: return "capability fault";
    case KAAL_FAULT_UNKNOWN_SYSCALL: return "unknown syscall";
    case KAAL_FAULT_USER_EXCEPTION: return "user exception";
    case KAAL_FAULT_VM: return "VM fault";
    default: return "fault";
    }
}

static void stop(struct tcb *t)
{
    if (t->state == THREAD_RUNNING)
        sched_dequeue(t);
    t->state = THREAD_INACTIVE;
    t->fault.type = 0;
    t->stopped_by_fault = true; /* TCB_GetInfo says so until the thread is resumed */
}

void fault_raise(struct tcb *t, word_t type, const word_t *words, word_t count)
{
    t->fault.type = type;
    t->fault.length = count;
    for (word_t i = 0; i < count; i++)
        t->fault.words[i] = words[i];

    const struct cap *handler = &t->slots[TCB_SLOT_FAULT_EP].cap;
    if (handler->type == CAP_ENDPOINT && (handler->rights & KAAL_RIGHT_WRITE)) {
        endpoint_send(handler, t, true, true);
        return;
    }
    kprintf("kaal: " TCB_FMT ": %s at pc 0x%lx (word 0x%lx): no fault handler, thread stopped\n", (void *)t,
            fault_name(type), hal_ctx_pc(&t->ctx), count > 1 ? words[1] : 0);
    stop(t);
}

void fault_cap(struct tcb *t, word_t cptr, bool receiving, const struct syscall_error *lookup)
{
    bool is_lookup = lookup != NULL && lookup->code == KAAL_ERR_FAILED_LOOKUP;
    word_t words[KAAL_FAULT_CAP_WORDS] = {
        [KAAL_FAULT_CAP_PC] = hal_ctx_pc(&t->ctx),
        [KAAL_FAULT_CAP_CPTR] = cptr,
        [KAAL_FAULT_CAP_RECEIVING] = receiving,
        [KAAL_FAULT_CAP_KIND] = is_lookup ? lookup->detail[1] : 0,
        [KAAL_FAULT_CAP_BITS_LEFT] = is_lookup ? lookup->detail[2] : 0,
        [KAAL_FAULT_CAP_DETAIL] = is_lookup ? lookup->detail[3] : 0,
    };
    /* The handler's reply makes the thread try the syscall again. */
    hal_ctx_restart_syscall(&t->ctx);
    fault_raise(t, KAAL_FAULT_CAP, words, KAAL_FAULT_CAP_WORDS);
}

void fault_reply(struct tcb *replier, struct tcb *t)
{
    word_t info = hal_ctx_get(&replier->ctx, HAL_REG_MSGINFO);
    word_t label = kaal_msginfo_label(info);
    t->fault.type = 0;
    if (label == KAAL_FAULT_RESUME_AT && kaal_msginfo_length(info) >= 2) {
        hal_ctx_set_pc(&t->ctx, hal_ctx_get(&replier->ctx, HAL_REG_MR0));
        hal_ctx_set_sp(&t->ctx, hal_ctx_get(&replier->ctx, HAL_REG_MR1));
    } else if (label != KAAL_FAULT_RESUME) {
        KLOG(TCB_FMT ": fault handler answered label %lu: thread stays stopped", (void *)t, label);
        stop(t);
        return;
    }
    sched_enqueue(t);
}
