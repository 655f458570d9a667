/*
 * A small printf for the kernel log, writing through hal_console_putc.
 * No buffering and no allocation, so it works at any point of boot.
 */
#include <kaal/core/klog.h>
#include <kaal/core/types.h>
#include <kaal/hal/console.h>

static void put_str(const char *s)
{
    if (s == NULL)
        s = "(null)";
    while (*s)
        hal_console_putc(*s++);
}

static void put_unsigned(uint64_t v, unsigned base)
{
    char buf[20];
    unsigned n = 0;
    do {
        unsigned d = (unsigned)(v % base);
        buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v != 0);
    while (n > 0)
        hal_console_putc(buf[--n]);
}

static void put_signed(int64_t v)
{
    if (v < 0) {
        hal_console_putc('-');
        put_unsigned((uint64_t)0 - (uint64_t)v, 10);
    } else {
        put_unsigned((uint64_t)v, 10);
    }
}

void kvprintf(const char *fmt, va_list ap)
{
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            hal_console_putc(*p);
            continue;
        }
        p++;
        bool is_long = false;
        if (*p == 'l') {
            is_long = true;
            p++;
        }
        switch (*p) {
        case 's':
            put_str(va_arg(ap, const char *));
            break;
        case 'c':
            hal_console_putc((char)va_arg(ap, int));
            break;
        case 'd':
            put_signed(is_long ? va_arg(ap, long) : va_arg(ap, int));
            break;
        case 'u':
            put_unsigned(is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10);
            break;
        case 'x':
            put_unsigned(is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 16);
            break;
        case 'p':
            put_str("0x");
            put_unsigned((uintptr_t)va_arg(ap, void *), 16);
            break;
        case '%':
            hal_console_putc('%');
            break;
        case '\0':
            return;
        default: /* unknown conversion: show it rather than guess its argument */
            hal_console_putc('%');
            hal_console_putc(*p);
            break;
        }
    }
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
}

#ifdef KAAL_DEBUG
void klog_line(const char *fmt, ...)
{
    va_list ap;
    put_str("kaal: ");
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    hal_console_putc('\n');
}
#endif
