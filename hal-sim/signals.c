/*
 * The sim's signal plumbing: installing the fault and preemption handlers
 * for a run and putting the previous ones back, each component thread's
 * signal stack, and reading the interrupted pc from a ucontext. The handlers
 * themselves are in fault.c and preempt.c; docs/sim.md tells the design.
 *
 * Principle: the handlers run with SA_ONSTACK on a stack of the engine's own
 * per component thread (the kernel runs there when a handler enters it, and
 * a thread parks there), and every thread puts back the signal stack it had
 * before it ends: the sanitizers give each thread a stack of their own and
 * unmap it when the thread ends, so ours must never be the one registered
 * then.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <kaal/sim/engine.h>

#include "sim_internal.h"

/* The signal stack: the kernel, park and, for a fault the sim passes on, the sanitizer's report run on it. */
#define SIGNAL_STACK_BYTES (256u << 10)

_Atomic uint64_t sim_stat_kicks, sim_stat_preemptions, sim_stat_deferred, sim_stat_vm_faults, sim_stat_chained;

static struct sigaction previous_segv, previous_bus, previous_preempt;

/* Per thread: the signal stack it had before (restored at its end), and the mapping of ours (a guard page first). */
static __thread stack_t previous_stack;
static __thread void *own_stack;

static size_t page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096u;
}

static void install(int sig, void (*handler)(int, siginfo_t *, void *), int flags, struct sigaction *previous)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | flags;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIM_PREEMPT_SIGNAL);
    if (sigaction(sig, &sa, previous) != 0) {
        fprintf(stderr, "kaal-sim: cannot install the handler of signal %d\n", sig);
        abort();
    }
}

void sim_signals_install(void)
{
    atomic_store(&sim_stat_kicks, 0);
    atomic_store(&sim_stat_preemptions, 0);
    atomic_store(&sim_stat_deferred, 0);
    atomic_store(&sim_stat_vm_faults, 0);
    atomic_store(&sim_stat_chained, 0);
    /*
     * SA_NODEFER on the faults: a fault inside the fault handler (a kernel
     * bug while it handles one) reaches the handler again, which passes it
     * on, so the sanitizer reports it instead of the host killing the
     * process silently. SA_RESTART on the preemption signal: a host syscall
     * it interrupts (a component's write, a futex) goes on; nanosleep and a
     * few others still give EINTR (docs/sim.md).
     */
    install(SIGSEGV, sim_fault_handler, SA_NODEFER, &previous_segv);
    install(SIGBUS, sim_fault_handler, SA_NODEFER, &previous_bus);
    install(SIM_PREEMPT_SIGNAL, sim_preempt_handler, SA_RESTART, &previous_preempt);
}

void sim_signals_restore(void)
{
    sigaction(SIGSEGV, &previous_segv, NULL);
    sigaction(SIGBUS, &previous_bus, NULL);
    sigaction(SIM_PREEMPT_SIGNAL, &previous_preempt, NULL);
}

const struct sigaction *sim_signals_previous(int sig)
{
    return sig == SIGSEGV ? &previous_segv : sig == SIGBUS ? &previous_bus : &previous_preempt;
}

void sim_signals_thread_start(void)
{
    size_t page = page_size();
    void *base = mmap(NULL, SIGNAL_STACK_BYTES + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                      -1, 0);
    if (base == MAP_FAILED) {
        fprintf(stderr, "kaal-sim: cannot map a signal stack\n");
        abort();
    }
    mprotect(base, page, PROT_NONE); /* a guard: an overflow faults with no stack left, the host kills the process */
    stack_t ss = {.ss_sp = (char *)base + page, .ss_size = SIGNAL_STACK_BYTES, .ss_flags = 0};
    if (sigaltstack(&ss, &previous_stack) != 0) {
        fprintf(stderr, "kaal-sim: cannot set a signal stack\n");
        abort();
    }
    own_stack = base;
    /* A thread made inside a handler inherits the handler's mask: unblock what the sim needs. */
    sigset_t needed;
    sigemptyset(&needed);
    sigaddset(&needed, SIGSEGV);
    sigaddset(&needed, SIGBUS);
    sigaddset(&needed, SIM_PREEMPT_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &needed, NULL);
}

void sim_signals_thread_end(void)
{
    stack_t back = previous_stack;
    back.ss_flags &= SS_DISABLE; /* SS_ONSTACK is an answer, not a request */
    sigaltstack(&back, NULL);
    munmap(own_stack, SIGNAL_STACK_BYTES + page_size());
    own_stack = NULL;
}

uintptr_t sim_signal_pc(const void *ucontext)
{
    const ucontext_t *uc = ucontext;
#if defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (uintptr_t)uc->uc_mcontext.pc;
#else
    (void)uc;
    return 0; /* unknown: no pc is in component code, so preemption waits for kernel entries */
#endif
}

void sim_signal_stats(struct sim_signal_stats *out)
{
    out->kicks = atomic_load(&sim_stat_kicks);
    out->preemptions = atomic_load(&sim_stat_preemptions);
    out->deferred = atomic_load(&sim_stat_deferred);
    out->vm_faults = atomic_load(&sim_stat_vm_faults);
    out->chained = atomic_load(&sim_stat_chained);
}
