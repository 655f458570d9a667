/*
 * SIGSEGV and SIGBUS as VM faults (docs/sim.md, "Faults").
 *
 * A component's stray access raises the signal on its own host thread. If
 * that thread carries a TCB and runs user code (not the kernel, not the
 * engine), the handler makes it a VM fault: address = the user address when
 * the host address lies in the thread's VSpace window, else the host address
 * as it is; access = write or read (or exec) from the hardware's fault
 * status; code = si_code. The thread then parks inside the handler, as a
 * syscall parks; the handler returns (the access is retried) when the fault
 * handler's RESUME runs it again, or the thread starts over at a new pc
 * (RESUME_AT). A thread with no fault handler is stopped by the kernel and
 * stays parked until the teardown.
 *
 * Everything else goes to the handler that was there before: a fault on a
 * thread that is not a component thread (the launcher, the test's own
 * threads, the sanitizers'), inside the kernel or the engine, or a SIGSEGV
 * sent by kill(). So ASan still reports real bugs and a kernel bug still
 * crashes loudly.
 *
 * A host syscall given a bad pointer fails with EFAULT and raises no signal:
 * such a fault never reaches this file. libkaal touches buffers itself
 * before it hands them to the host.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__aarch64__)
#include <asm/sigcontext.h>
#endif

#include <kaal/abi/faults.h>
#include <kaal/sim/bus.h>
#include <kaal/sim/engine.h>

#include "sim_internal.h"

#if defined(__x86_64__)
/* The page-fault error code the host kernel puts in the frame: bit 1 write, bit 4 instruction fetch. */
static kaal_word_t access_of(const ucontext_t *uc)
{
    unsigned long err = (unsigned long)uc->uc_mcontext.gregs[REG_ERR];
    if (err & 0x10u)
        return KAAL_VM_ACCESS_EXEC;
    return err & 0x2u ? KAAL_VM_ACCESS_WRITE : KAAL_VM_ACCESS_READ;
}
#elif defined(__aarch64__)
/* ESR_EL1 from the frame's esr_context record: EC 0x20 instruction abort, 0x24 data abort with WnR (bit 6). */
static kaal_word_t access_of(const ucontext_t *uc)
{
    const unsigned char *p = uc->uc_mcontext.__reserved;
    const unsigned char *end = p + sizeof uc->uc_mcontext.__reserved;
    while (p + sizeof(struct _aarch64_ctx) <= end) {
        const struct _aarch64_ctx *h = (const struct _aarch64_ctx *)(const void *)p;
        if (h->magic == 0 || h->size == 0)
            break;
        if (h->magic == ESR_MAGIC) {
            unsigned long esr = (unsigned long)((const struct esr_context *)(const void *)p)->esr;
            unsigned long ec = esr >> 26;
            if (ec == 0x20u)
                return KAAL_VM_ACCESS_EXEC;
            if (ec == 0x24u && (esr & (1ul << 6)))
                return KAAL_VM_ACCESS_WRITE;
            return KAAL_VM_ACCESS_READ;
        }
        p += h->size;
    }
    return KAAL_VM_ACCESS_READ;
}
#else
static kaal_word_t access_of(const ucontext_t *uc)
{
    (void)uc;
    return KAAL_VM_ACCESS_READ; /* a host whose fault status the sim does not read */
}
#endif

/* Hand the signal to the handler that was there before sim_run. */
static void pass_on(int sig, siginfo_t *info, void *ucontext)
{
    atomic_fetch_add(&sim_stat_chained, 1);
    const struct sigaction *prev = sim_signals_previous(sig);
    if (prev->sa_flags & SA_SIGINFO) {
        prev->sa_sigaction(sig, info, ucontext);
        return;
    }
    if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
        prev->sa_handler(sig);
        return;
    }
    if (prev->sa_handler == SIG_IGN && info->si_code <= 0)
        return; /* an ignored signal sent by kill() */
    /* The default action: put it back and let the fault happen again (or the signal come again), unhandled. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    if (info->si_code <= 0)
        raise(sig);
}

void sim_fault_handler(int sig, siginfo_t *info, void *ucontext)
{
    int saved_errno = errno;
    /* si_code > 0: raised by the host kernel for an access, not sent by kill() or raise(). */
    if (info->si_code <= 0 || !sim_signal_claim()) {
        pass_on(sig, info, ucontext);
        errno = saved_errno;
        return;
    }
    atomic_fetch_add(&sim_stat_vm_faults, 1);
    uintptr_t host = (uintptr_t)info->si_addr;
    kaal_word_t address;
    if (!sim_window_address(sim_self_tcb(), host, &address))
        address = (kaal_word_t)host;
    kaal_word_t code = (kaal_word_t)info->si_code | (sig == SIGBUS ? SIM_VM_FAULT_SIGBUS : 0);
    /* A device register touched with a plain load or store: say which, the fault follows as for any access. */
    char why[160];
    int len = sim_mmio_describe(host, why, sizeof why - 1);
    if (len > 0) {
        why[len] = '\n';
        ssize_t written = write(STDERR_FILENO, why, (size_t)len + 1); /* async-signal-safe, unlike stdio */
        (void)written;
    }
    sim_enter_vm_fault(sim_signal_pc(ucontext), address, access_of(ucontext), code);
    errno = saved_errno;
}
