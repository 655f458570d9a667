/*
 * The sim timer: a monotonic clock in ns, and one one-shot deadline that
 * becomes the timer line.
 *
 * Two clocks: the host's (CLOCK_MONOTONIC; the hardware-model loop raises
 * the line when the deadline passes) and, in deterministic runs, a virtual
 * one that only the engine moves (at kernel entries and when the system is
 * idle), raising the line the moment it reaches the deadline. The engine's
 * own bookkeeping (handoff windows, spins) always reads the host clock.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include <kaal/hal/irq.h>
#include <kaal/hal/timer.h>

#include <kaal/sim/engine.h>

#include "sim_internal.h"

static _Atomic uint64_t deadline;
static _Atomic bool virtual_clock;
static _Atomic uint64_t virtual_now;

uint64_t sim_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t hal_timer_now_ns(void)
{
    return atomic_load(&virtual_clock) ? atomic_load(&virtual_now) : sim_wall_ns();
}

void sim_time_use_virtual(bool on)
{
    atomic_store(&virtual_now, 0);
    atomic_store(&virtual_clock, on);
}

bool sim_time_is_virtual(void) { return atomic_load(&virtual_clock); }

uint64_t sim_time_now_ns(void) { return hal_timer_now_ns(); }

void sim_time_advance(uint64_t ns)
{
    uint64_t now = atomic_fetch_add(&virtual_now, ns) + ns;
    uint64_t when = atomic_load(&deadline);
    if (when != 0 && now >= when)
        sim_timer_expire();
}

void hal_timer_set_deadline_ns(uint64_t when)
{
    hal_irq_enable(SIM_TIMER_LINE);
    atomic_store(&deadline, when == 0 ? 1 : when);
}

void hal_timer_cancel(void) { atomic_store(&deadline, 0); }

uint64_t sim_timer_deadline(void) { return atomic_load(&deadline); }

void sim_timer_expire(void)
{
    atomic_store(&deadline, 0);
    sim_intc_raise(SIM_TIMER_LINE);
}

void sim_timer_reset(void) { atomic_store(&deadline, 0); }
