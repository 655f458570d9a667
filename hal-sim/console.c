/*
 * The kernel's debug console on the sim: the host's standard error, one
 * byte at a time (the kernel log is rare and must not be lost in a buffer
 * when the process dies).
 */
#include <errno.h>
#include <unistd.h>

#include <kaal/hal/console.h>

void hal_console_putc(char c)
{
    /* A signal may come meanwhile (the preemption signal, on a thread in the kernel): then write again. */
    while (write(STDERR_FILENO, &c, 1) < 0 && errno == EINTR)
        ;
    /* Any other failure: nowhere to report a failing stderr. */
}

int hal_console_getc(void)
{
    return -1; /* input goes to the console server's UART model (sim/), not to the kernel */
}
