/*
 * What the pieces of hal-sim share among themselves (not the HAL contract).
 */
#ifndef KAAL_HAL_SIM_INTERNAL_H
#define KAAL_HAL_SIM_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kaal/abi/types.h>

#define SIM_IRQ_LINES 64u
#define SIM_TIMER_LINE 27u /* as QEMU virt's virtual timer, so logs read alike */

/* Interrupt controller: any line pending and unmasked (safe from any thread). */
bool sim_intc_any_pending(void);
/* How many times the kernel acknowledged a line, ever (safe from any thread). */
uint64_t sim_intc_acks(void);
bool sim_intc_raise(unsigned line); /* true: the line was not pending before */
void sim_intc_lower(unsigned line);  /* a level dropped: the pending bit goes, no ack counted */
/* Wake the hardware-model loop if it waits while the system is idle (engine.c). */
void sim_engine_wake(void);
void sim_intc_reset(void);

/* The host's monotonic clock, whatever clock the kernel sees. */
uint64_t sim_wall_ns(void);
/* Deterministic runs: the kernel's clock is virtual (timer.c); only sim_time_advance moves it. */
void sim_time_use_virtual(bool on);
bool sim_time_is_virtual(void);

/* Timer: the deadline the kernel set (0: none), read by the hardware-model loop. */
uint64_t sim_timer_deadline(void);
void sim_timer_expire(void);
void sim_timer_reset(void);

/* Guest RAM (vspace.c): a memfd mapped at an address aligned to `align`; NULL with a message on failure. */
void *sim_ram_create(size_t bytes, size_t align);
/* Release guest RAM and every VSpace window. */
void sim_ram_destroy(void);

/*
 * The user address of a host address, if it lies in the window of t's
 * VSpace (vspace.c): true and *vaddr set; false for any other address (NULL,
 * the host's own memory, another VSpace's window).
 */
struct tcb;
bool sim_window_address(const struct tcb *t, uintptr_t host, kaal_word_t *vaddr);

/*
 * Signals (signals.c, fault.c, preempt.c; docs/sim.md, "Faults" and
 * "Preemption"). SIGURG preempts: ignored by default, so a stray one never
 * kills; a standard signal, so kicks that pile up while one is pending
 * coalesce; gdb passes it silently; the C library, the sanitizers and
 * common test programs leave it alone.
 */
#define SIM_PREEMPT_SIGNAL SIGURG
/* A line pending this long without being taken: the holder is signalled; then again at each retry. */
#define SIM_PREEMPT_GRACE_NS 1000000u
#define SIM_PREEMPT_RETRY_NS 250000u
/*
 * The hardware loop first looks this long after the grace: a holder that
 * took the tick meanwhile armed the next one a tick after taking it, so the
 * look and the next tick fall into one wake-up.
 */
#define SIM_PREEMPT_LOOK_SLACK_NS 100000u

/* sim_run installs the handlers at its start and puts the previous ones back at its end. */
void sim_signals_install(void);
void sim_signals_restore(void);
/* Each component host thread: its own signal stack (the kernel runs on it), signals unblocked; and the end. */
void sim_signals_thread_start(void);
void sim_signals_thread_end(void);
/* The handler that was there before sim_signals_install (SIGSEGV, SIGBUS or the preemption signal). */
const struct sigaction *sim_signals_previous(int sig);
/* The interrupted pc of a signal's ucontext (0 on a host the sim does not know). */
uintptr_t sim_signal_pc(const void *ucontext);
void sim_fault_handler(int sig, siginfo_t *info, void *ucontext);
void sim_preempt_handler(int sig, siginfo_t *info, void *ucontext);
/* The hardware loop signals the baton holder (preempt.c). */
void sim_preempt_kick(pthread_t holder);
/* Counters behind sim_signal_stats (signals.c); reset by sim_signals_install. */
extern _Atomic uint64_t sim_stat_kicks, sim_stat_preemptions, sim_stat_deferred, sim_stat_vm_faults,
    sim_stat_chained;

/*
 * The engine's side, for the handlers (engine.c, "Signals").
 * sim_signal_claim: if the calling thread carries a TCB and runs user code
 * (not the kernel, not the engine), mark it as in the kernel and answer
 * true; from then on a fault on it is the kernel's own. A handler that then
 * decides not to act gives the claim back (sim_signal_unclaim). The two
 * entries, called with the claim held, run the kernel from the handler and
 * park there; they return (claim given back) when the thread is to go on
 * where it was, or jump to its start loop when it has a new pc.
 */
bool sim_signal_claim(void);
void sim_signal_unclaim(void);
const struct tcb *sim_self_tcb(void);
void sim_enter_vm_fault(uintptr_t pc, kaal_word_t address, kaal_word_t access, kaal_word_t code);
void sim_enter_preempted(uintptr_t pc);

#endif
