/*
 * The syscall primitive on aarch64 (docs/ABI.md, "Registers"): x7 number,
 * x0 cap (badge back), x1 message info, x2..x5 MR0..MR3; SVC #0.
 *
 * Each thread's IPC buffer address is the first word of its thread control
 * block, the 16 bytes TPIDR_EL0 points to (docs/aarch64.md, "EL0 programs"):
 * the AArch64 TLS ABI (variant 1) puts the thread-local data of a static
 * local-exec program right after those 16 bytes and leaves them to the
 * runtime, so picolibc's TLS (errno) and the IPC buffer live side by side.
 * The thread's start code sets both (src/crt0_aarch64.S); the kernel keeps
 * TPIDR_EL0 per thread.
 */
#include <kaal/kaal.h>

struct kaal_ipc_buffer *kaal_ipc_buffer(void)
{
    struct kaal_ipc_buffer *const *tcb;
    __asm__ volatile("mrs %0, tpidr_el0" : "=r"(tcb));
    return *tcb;
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
