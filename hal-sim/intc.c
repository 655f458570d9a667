/*
 * The sim interrupt controller: 64 lines, a pending bit and a mask bit each.
 *
 * Principle: models (the timer, later the devices) raise lines from the
 * hardware-model thread with an atomic OR; the kernel, holding the CPU,
 * reads, masks, unmasks and acknowledges. The timer line is the kernel's
 * own and is unmasked whenever a deadline is set.
 */
#include <stdatomic.h>

#include <kaal/hal/irq.h>
#include <kaal/sim/engine.h>

#include "sim_internal.h"

static _Atomic uint64_t pending;
static _Atomic uint64_t enabled;
static _Atomic uint64_t acks; /* lines the kernel took, ever: tells the hardware loop a line was taken meanwhile */

static uint64_t line_bit(unsigned line) { return line < SIM_IRQ_LINES ? (uint64_t)1 << line : 0; }

unsigned hal_irq_count(void) { return SIM_IRQ_LINES; }
void hal_irq_enable(unsigned line) { atomic_fetch_or(&enabled, line_bit(line)); }
void hal_irq_disable(unsigned line) { atomic_fetch_and(&enabled, ~line_bit(line)); }
void hal_irq_ack(unsigned line)
{
    atomic_fetch_and(&pending, ~line_bit(line));
    atomic_fetch_add(&acks, 1);
}
bool hal_irq_is_timer(unsigned line) { return line == SIM_TIMER_LINE; }

unsigned hal_irq_pending(void)
{
    uint64_t ready = atomic_load(&pending) & atomic_load(&enabled);
    return ready == 0 ? HAL_IRQ_NONE : (unsigned)__builtin_ctzll(ready);
}

uint64_t sim_intc_acks(void) { return atomic_load(&acks); }
bool sim_intc_any_pending(void) { return (atomic_load(&pending) & atomic_load(&enabled)) != 0; }
bool sim_intc_raise(unsigned line) { return (atomic_fetch_or(&pending, line_bit(line)) & line_bit(line)) == 0; }
void sim_intc_lower(unsigned line) { atomic_fetch_and(&pending, ~line_bit(line)); }

/* Devices raise lines from any host thread: a line that was not pending yet may end the idle loop's wait. */
void sim_irq_raise(unsigned line)
{
    if (sim_intc_raise(line))
        sim_engine_wake();
}

void sim_intc_reset(void)
{
    atomic_store(&pending, 0);
    atomic_store(&enabled, 0);
}
