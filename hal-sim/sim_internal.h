/*
 * What the pieces of hal-sim share among themselves (not the HAL contract).
 */
#ifndef KAAL_HAL_SIM_INTERNAL_H
#define KAAL_HAL_SIM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#define SIM_IRQ_LINES 64u
#define SIM_TIMER_LINE 27u /* as QEMU virt's virtual timer, so logs read alike */

/* Interrupt controller: any line pending and unmasked (safe from any thread). */
bool sim_intc_any_pending(void);
void sim_intc_raise(unsigned line);
void sim_intc_reset(void);

/* Timer: the deadline the kernel set (0: none), read by the hardware-model loop. */
uint64_t sim_timer_deadline(void);
void sim_timer_expire(void);
void sim_timer_reset(void);

#endif
