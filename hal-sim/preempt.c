/*
 * Preemption of component code by signal (docs/sim.md, "Preemption").
 *
 * An interrupt line raised while a component runs is taken at its next
 * kernel entry. A component that makes none (a busy loop) would keep the
 * CPU for ever, so when a line stays pending for SIM_PREEMPT_GRACE_NS the
 * hardware loop sends SIM_PREEMPT_SIGNAL to the baton holder (engine.c,
 * watch_pending), and again every SIM_PREEMPT_RETRY_NS while it stays
 * pending.
 *
 * The safe-point rule: the handler takes the interrupt only if the
 * interrupted pc is in a component's code (sim_in_component_code) and the
 * thread runs user code (not the kernel, not the engine). Then the kernel
 * runs right there; if it picks another thread, this one parks inside the
 * handler and returns from it when the kernel picks it again. Anywhere else
 * (libc, the sanitizer runtime, libkaal's host side, the engine, the kernel)
 * the handler does nothing: that code may hold a lock or be half-way
 * through something, and the interrupt waits for the thread's next kernel
 * entry or the next signal.
 */
#include <errno.h>
#include <stdatomic.h>

#include <kaal/sim/component.h>

#include "sim_internal.h"

void sim_preempt_kick(pthread_t holder)
{
    atomic_fetch_add(&sim_stat_kicks, 1);
    pthread_kill(holder, SIM_PREEMPT_SIGNAL);
}

void sim_preempt_handler(int sig, siginfo_t *info, void *ucontext)
{
    (void)sig, (void)info;
    int saved_errno = errno;
    uintptr_t pc = sim_signal_pc(ucontext);
    if (!sim_signal_claim()) {
        atomic_fetch_add(&sim_stat_deferred, 1); /* the kernel, the engine, or no component thread */
    } else if (!sim_in_component_code(pc)) {
        sim_signal_unclaim(); /* libc, the vDSO, libkaal's host side, the sanitizer runtime */
        atomic_fetch_add(&sim_stat_deferred, 1);
    } else {
        atomic_fetch_add(&sim_stat_preemptions, 1);
        sim_enter_preempted(pc);
    }
    errno = saved_errno;
}
