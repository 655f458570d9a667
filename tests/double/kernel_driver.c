/*
 * See kernel_driver.h.
 */
#include "kernel_driver.h"

#include <string.h>

#include <kaal/core/entry.h>
#include <kaal/core/kernel.h>

static kaal_word_t mr_of(const struct tcb *t, const struct kaal_ipc_buffer *buf, kaal_word_t i)
{
    if (i < KAAL_MSG_REGISTERS)
        return hal_ctx_get(&t->ctx, (enum hal_reg)(HAL_REG_MR0 + i));
    return buf != NULL ? buf->msg[i] : 0;
}

struct kd_result kd_syscall(kaal_word_t sysno, kaal_word_t cptr, kaal_word_t msginfo, const kaal_word_t *args,
                            unsigned nargs, const kaal_word_t *caps, unsigned ncaps)
{
    struct kd_result r = {0};
    struct tcb *t = ks.current;
    if (t == NULL || t == &ks.idle)
        return r;
    struct kaal_ipc_buffer *buf = tcb_ipc_buffer(t);
    for (unsigned i = 0; i < HAL_REG_COUNT; i++)
        hal_ctx_set(&t->ctx, (enum hal_reg)i, 0);
    t->ctx.restart = 0;
    hal_ctx_set(&t->ctx, HAL_REG_SYSNO, sysno);
    hal_ctx_set(&t->ctx, HAL_REG_CPTR, cptr);
    hal_ctx_set(&t->ctx, HAL_REG_MSGINFO, msginfo);
    for (unsigned i = 0; i < nargs && i < KAAL_MSG_MAX_WORDS; i++) {
        if (i < KAAL_MSG_REGISTERS)
            hal_ctx_set(&t->ctx, (enum hal_reg)(HAL_REG_MR0 + i), args[i]);
        else if (buf != NULL)
            buf->msg[i] = args[i];
    }
    for (unsigned i = 0; i < ncaps && i < KAAL_MSG_MAX_EXTRA_CAPS && buf != NULL; i++)
        buf->caps_or_badges[i] = caps[i];

    kernel_syscall();

    /* Answered: the thread still runs and its syscall is not waiting to restart. */
    if (t->state != THREAD_RUNNING || t->ctx.restart)
        return r;
    r.answered = true;
    kaal_word_t info = hal_ctx_get(&t->ctx, HAL_REG_MSGINFO);
    r.code = (enum kaal_error)kaal_msginfo_label(info);
    r.count = kaal_msginfo_length(info);
    buf = tcb_ipc_buffer(t);
    for (kaal_word_t i = 0; i < r.count && i < KD_MAX_DETAIL; i++)
        r.mr[i] = mr_of(t, buf, i);
    return r;
}

bool kd_act_as(struct tcb *t)
{
    if (t == NULL || t->state != THREAD_RUNNING)
        return false;
    ks.current = t;
    return true;
}

bool kd_restart(void)
{
    struct tcb *t = ks.current;
    if (t == NULL || t == &ks.idle || !t->ctx.restart)
        return false;
    t->ctx.restart = 0;
    kernel_syscall();
    return true;
}

struct kd_message kd_message(const struct tcb *t)
{
    struct kd_message m = {0};
    kaal_word_t info = hal_ctx_get(&t->ctx, HAL_REG_MSGINFO);
    const struct kaal_ipc_buffer *buf = tcb_ipc_buffer(t);
    m.label = kaal_msginfo_label(info);
    m.length = kaal_msginfo_length(info);
    m.extra_caps = kaal_msginfo_extra_caps(info);
    m.unwrapped = kaal_msginfo_unwrapped(info);
    m.badge = hal_ctx_get(&t->ctx, HAL_REG_CPTR);
    for (kaal_word_t i = 0; i < m.length && i < KD_MAX_DETAIL; i++)
        m.mr[i] = mr_of(t, buf, i);
    return m;
}
