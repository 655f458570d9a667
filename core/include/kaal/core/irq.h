/*
 * Interrupts: IRQControl and IRQHandler caps, and delivery of a line to the
 * notification bound to it.
 */
#ifndef KAAL_CORE_IRQ_H
#define KAAL_CORE_IRQ_H

#include <kaal/core/cap.h>

/* A line fired: the timer ticks the scheduler; any other line signals its notification. */
void irq_handle(unsigned line);

/* The last IRQHandler cap for line is gone: unbind, mask, and let the line be issued again. */
void irq_handler_finalise(unsigned line);

#endif
