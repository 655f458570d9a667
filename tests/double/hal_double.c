/*
 * The HAL test double: what the core needs from a backend, in plain host C,
 * so unit tests drive the kernel as a state machine without threads.
 *
 * The console writes into a buffer the tests can search (debug builds log
 * one line per rejected invocation), kernel addresses are host addresses.
 */
#include "hal_double.h"

#include <string.h>

#include <kaal/hal/console.h>
#include <kaal/hal/vspace.h>

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
