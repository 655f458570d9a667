/*
 * HAL contract: the kernel's debug console.
 *
 * Polled, unbuffered, usable from any kernel context including before the
 * kernel state exists. Only the kernel's own log uses it; user programs get a
 * console through a driver.
 */
#ifndef KAAL_HAL_CONSOLE_H
#define KAAL_HAL_CONSOLE_H

void hal_console_putc(char c);

/* Returns the next input byte, or -1 when none is waiting. Never blocks. */
int hal_console_getc(void);

#endif
