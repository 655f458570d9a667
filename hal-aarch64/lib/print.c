/*
 * A printf subset over hal_console_putc. No buffering, no allocation, no
 * state: it can run from an exception handler in any condition the console
 * itself survives.
 */
#include <stdarg.h>
#include <stdint.h>

#include <kaal/hal/console.h>

#include "lib/print.h"

void con_puts(const char *s)
{
    while (*s)
        hal_console_putc(*s++);
}

static void put_uint(uint64_t v, unsigned base, unsigned width)
{
    char buf[24]; /* 2^64 in decimal has 20 digits */
    unsigned n = 0;

    do {
        buf[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v && n < sizeof buf);
    while (n < width && n < sizeof buf)
        buf[n++] = '0';
    while (n)
        hal_console_putc(buf[--n]);
}

void con_vprintf(const char *fmt, va_list ap)
{
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            hal_console_putc(*p);
            continue;
        }
        const char *start = p++;
        unsigned width = 0;
        while (*p >= '0' && *p <= '9')
            width = width * 10 + (unsigned)(*p++ - '0');
        int is_long = 0;
        if (*p == 'l') {
            is_long = 1;
            p++;
        }
        switch (*p) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            con_puts(s ? s : "(null)");
            break;
        }
        case 'c':
            hal_console_putc((char)va_arg(ap, int));
            break;
        case 'd': {
            int64_t v = is_long ? va_arg(ap, long) : va_arg(ap, int);
            uint64_t mag = (uint64_t)v;
            if (v < 0) {
                hal_console_putc('-');
                mag = 0 - mag; /* well defined for INT64_MIN, unlike -v */
            }
            put_uint(mag, 10, width);
            break;
        }
        case 'u':
            put_uint(is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10, width);
            break;
        case 'x':
            put_uint(is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 16, width);
            break;
        case 'p':
            con_puts("0x");
            put_uint((uintptr_t)va_arg(ap, void *), 16, 0);
            break;
        case '%':
            hal_console_putc('%');
            break;
        default: /* unknown or truncated: show it as written */
            for (const char *q = start; q <= p && *q; q++)
                hal_console_putc(*q);
            if (!*p)
                return;
            break;
        }
    }
}

void con_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    con_vprintf(fmt, ap);
    va_end(ap);
}
