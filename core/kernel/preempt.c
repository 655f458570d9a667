/*
 * See preempt.h.
 */
#include <kaal/core/kernel.h>
#include <kaal/core/preempt.h>
#include <kaal/hal/irq.h>

bool preemption_point(void)
{
    if (++ks.work_units < PREEMPT_WORK_UNITS)
        return false;
    ks.work_units = 0;
    ks.preempted = hal_irq_pending() != HAL_IRQ_NONE;
    return ks.preempted;
}
