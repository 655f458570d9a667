/*
 * The syscall primitive on aarch64 (docs/ABI.md, "Registers"): x7 number,
 * x0 cap (badge back), x1 message info, x2..x5 MR0..MR3; SVC #0. Each
 * thread's IPC buffer address is in TPIDR_EL0, which the thread's start code
 * sets and the kernel keeps per thread (docs/aarch64.md).
 */
#include <kaal/kaal.h>

struct kaal_ipc_buffer *kaal_ipc_buffer(void)
{
    struct kaal_ipc_buffer *b;
    __asm__ volatile("mrs %0, tpidr_el0" : "=r"(b));
    return b;
}

kaal_word_t kaal_syscall(kaal_word_t sysno, kaal_cptr_t cap, kaal_word_t info, kaal_word_t *badge)
{
    struct kaal_ipc_buffer *buf = kaal_ipc_buffer();
    register kaal_word_t x0 __asm__("x0") = cap;
    register kaal_word_t x1 __asm__("x1") = info;
    register kaal_word_t x2 __asm__("x2") = buf->msg[0];
    register kaal_word_t x3 __asm__("x3") = buf->msg[1];
    register kaal_word_t x4 __asm__("x4") = buf->msg[2];
    register kaal_word_t x5 __asm__("x5") = buf->msg[3];
    register kaal_word_t x7 __asm__("x7") = sysno;
    __asm__ volatile("svc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5)
                     : "r"(x7)
                     : "memory");
    buf = kaal_ipc_buffer();
    buf->msg[0] = x2;
    buf->msg[1] = x3;
    buf->msg[2] = x4;
    buf->msg[3] = x5;
    if (badge != 0)
        *badge = x0;
    return x1;
}
