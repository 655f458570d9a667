/*
 * HAL contract: interrupt lines.
 *
 * Lines are numbered as the interrupt controller numbers them (GIC INTIDs on
 * aarch64, the sim controller's lines on the sim).
 */
#ifndef KAAL_HAL_IRQ_H
#define KAAL_HAL_IRQ_H

#include <stdbool.h>

#define HAL_IRQ_NONE (~0u)

unsigned hal_irq_count(void);           /* number of lines */
void hal_irq_enable(unsigned line);      /* unmask */
void hal_irq_disable(unsigned line);     /* mask */
void hal_irq_ack(unsigned line);         /* end of interrupt: the line may fire again */
unsigned hal_irq_pending(void);          /* highest-priority pending line or HAL_IRQ_NONE */
bool hal_irq_is_timer(unsigned line);    /* the line the kernel's timer uses */

#endif
