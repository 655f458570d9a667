/*
 * The backend's own console output: the boot path and the exception report
 * print through this before (and whether or not) the core is up. The core
 * has its own kprintf; this one is kept separate so the boot path does not
 * depend on the core.
 */
#ifndef KAAL_A64_PRINT_H
#define KAAL_A64_PRINT_H

#include <stdarg.h>

void con_puts(const char *s);

/*
 * printf subset: %s %c %d %u %x %p %%, the l modifier (64-bit) on d/u/x, and
 * a zero-padded width on x and u ("%016lx"). Anything else prints verbatim.
 */
__attribute__((format(printf, 1, 2))) void con_printf(const char *fmt, ...);
void con_vprintf(const char *fmt, va_list ap);

#endif
