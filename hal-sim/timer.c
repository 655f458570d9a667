/*
 * The sim timer: a monotonic clock in ns since the engine started, and one
 * one-shot deadline the hardware-model loop turns into the timer line.
 */
#include <stdatomic.h>
#include <time.h>

#include <kaal/hal/irq.h>
#include <kaal/hal/timer.h>

#include "sim_internal.h"

static _Atomic uint64_t deadline;

uint64_t hal_timer_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
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
