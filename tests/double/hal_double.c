/*
 * The HAL test double: what the core needs from a backend, in plain host C,
 * so unit tests drive the kernel as a state machine without threads.
 *
 * The console writes into a buffer the tests can search (debug builds log
 * one line per rejected invocation), kernel addresses are host addresses.
 */
#include "hal_double.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kaal/hal/console.h>
#include <kaal/hal/cpu.h>
#include <kaal/hal/irq.h>
#include <kaal/hal/timer.h>
#include <kaal/hal/vspace.h>

struct double_halt double_halt;

_Noreturn void hal_cpu_halt(int status)
{
    double_halt.halted = true;
    double_halt.status = status;
    if (double_halt.escape == NULL) {
        fprintf(stderr, "hal double: the kernel halted (status %d) with no escape set\n", status);
        abort();
    }
    longjmp(*double_halt.escape, 1);
}

static char console_log[1 << 16];
static size_t console_len;

void hal_console_putc(char c)
{
    if (console_len + 1 < sizeof console_log)
        console_log[console_len++] = c;
    console_log[console_len] = '\0';
}

int hal_console_getc(void)
{
    return -1;
}

kaal_word_t hal_kaddr_to_paddr(kaal_word_t kaddr)
{
    return kaddr;
}

const char *double_console(void)
{
    return console_log;
}

void double_console_clear(void)
{
    console_len = 0;
    console_log[0] = '\0';
}

/* Interrupts and time: tests raise lines and read what the kernel did. */
struct double_irq double_irq = {.pending = HAL_IRQ_NONE, .count = 64, .timer_line = 30};
static uint64_t now_ns;

unsigned hal_irq_count(void) { return double_irq.count; }
void hal_irq_enable(unsigned line) { if (line < DOUBLE_IRQ_LINES) double_irq.enabled[line] = 1; }
void hal_irq_disable(unsigned line) { if (line < DOUBLE_IRQ_LINES) double_irq.enabled[line] = 0; }
void hal_irq_ack(unsigned line)
{
    double_irq.acks++;
    if (line == double_irq.pending)
        double_irq.pending = HAL_IRQ_NONE;
}
unsigned hal_irq_pending(void) { return double_irq.pending; }
bool hal_irq_is_timer(unsigned line) { return line == double_irq.timer_line; }
uint64_t hal_timer_now_ns(void) { return now_ns; }
void hal_timer_set_deadline_ns(uint64_t when) { double_irq.deadline = when; }
void hal_timer_cancel(void) { double_irq.deadline = 0; }
void double_advance_time(uint64_t ns) { now_ns += ns; }
