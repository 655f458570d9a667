/*
 * HAL contract: time.
 *
 * One monotonic clock in nanoseconds and one one-shot deadline that raises
 * the timer interrupt line. The sim's deterministic mode advances this clock
 * with kernel events instead of wall time.
 */
#ifndef KAAL_HAL_TIMER_H
#define KAAL_HAL_TIMER_H

#include <stdint.h>

uint64_t hal_timer_now_ns(void);
void hal_timer_set_deadline_ns(uint64_t when); /* replaces any earlier deadline */
void hal_timer_cancel(void);

#endif
