/*
 * The syscall primitive on the sim: a call into the execution engine, which
 * enters the kernel on this thread's own stack.
 */
#include <kaal/kaal.h>
#include <kaal/sim/engine.h>

struct kaal_ipc_buffer *kaal_ipc_buffer(void)
{
    return sim_ipc_buffer();
}

kaal_word_t kaal_syscall(kaal_word_t sysno, kaal_cptr_t cap, kaal_word_t info, kaal_word_t *badge)
{
    struct kaal_ipc_buffer *buf = kaal_ipc_buffer();
    struct sim_syscall_regs regs = {.cptr = cap, .msginfo = info};
    if (buf != NULL) {
        for (unsigned i = 0; i < KAAL_MSG_REGISTERS; i++)
            regs.mr[i] = buf->msg[i];
    }
    sim_syscall(sysno, &regs);
    buf = kaal_ipc_buffer(); /* the thread may have changed its buffer meanwhile */
    if (buf != NULL) {
        for (unsigned i = 0; i < KAAL_MSG_REGISTERS; i++)
            buf->msg[i] = regs.mr[i];
    }
    if (badge != NULL)
        *badge = regs.cptr;
    return regs.msginfo;
}
