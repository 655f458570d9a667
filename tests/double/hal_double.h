/*
 * Test-side view of the HAL test double.
 */
#ifndef KAAL_TESTS_HAL_DOUBLE_H
#define KAAL_TESTS_HAL_DOUBLE_H

#include <stdbool.h>
#include <stdint.h>

#include <kaal/hal/irq.h>

#define DOUBLE_IRQ_LINES 1024u

/* The interrupt controller and timer of the double: tests set `pending`, read the rest. */
struct double_irq {
    unsigned pending;    /* the line hal_irq_pending() reports; acking it clears it */
    unsigned count;      /* lines the controller has */
    unsigned timer_line; /* the line hal_irq_is_timer() names */
    unsigned acks;       /* hal_irq_ack() calls so far */
    uint64_t deadline;   /* the last timer deadline the kernel set */
    uint8_t enabled[DOUBLE_IRQ_LINES];
};
extern struct double_irq double_irq;

/* Move the double's clock forward. */
void double_advance_time(uint64_t ns);

/* Everything the kernel printed since the last clear. */
const char *double_console(void);
void double_console_clear(void);

#endif
