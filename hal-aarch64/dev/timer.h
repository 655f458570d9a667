/*
 * The Arm generic timer: the time part of the HAL contract (<kaal/hal/timer.h>)
 * and hal_irq_is_timer are in timer.c.
 */
#ifndef KAAL_A64_TIMER_H
#define KAAL_A64_TIMER_H

#include "lib/fdt.h"

/*
 * Read the counter frequency and the virtual timer's interrupt line (device
 * tree "arm,armv8-timer", else INTID 27), stop the virtual timer, report.
 * Call after gic_init.
 */
void timer_init(const struct fdt *f);

#endif
