/*
 * See kernel_driver.h.
 */
#include "kernel_driver.h"

#include <string.h>

#include <kaal/core/kernel.h>
#include <kaal/core/syscall.h>

struct kd_result kd_syscall(kaal_word_t sysno, kaal_word_t cptr, kaal_word_t msginfo, const kaal_word_t *args,
                            unsigned nargs, const kaal_word_t *caps, unsigned ncaps)
{
    struct kd_result r = {0};
    struct tcb *t = ks.current;
    if (t == NULL)
        return r;
    struct kaal_ipc_buffer *buf = tcb_ipc_buffer(t);
    memset(&t->ctx, 0, sizeof t->ctx);
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

    if (ks.current != t)
        return r;
    r.answered = true;
    kaal_word_t info = hal_ctx_get(&t->ctx, HAL_REG_MSGINFO);
    r.code = (enum kaal_error)kaal_msginfo_label(info);
    r.count = kaal_msginfo_length(info);
    buf = tcb_ipc_buffer(t);
    for (kaal_word_t i = 0; i < r.count && i < KD_MAX_DETAIL; i++)
        r.mr[i] = i < KAAL_MSG_REGISTERS ? hal_ctx_get(&t->ctx, (enum hal_reg)(HAL_REG_MR0 + i)) : buf->msg[i];
    return r;
}
