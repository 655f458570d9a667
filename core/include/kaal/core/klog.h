/*
 * The kernel log: printf-style lines on the HAL debug console.
 *
 * kprintf understands %s %c %d %u %x %ld %lu %lx %p %%. KLOG() is the
 * debug-build log (one line, "kaal: " prefix, newline added) and costs
 * nothing in a release build.
 */
#ifndef KAAL_CORE_KLOG_H
#define KAAL_CORE_KLOG_H

#include <stdarg.h>

__attribute__((format(printf, 1, 2))) void kprintf(const char *fmt, ...);
void kvprintf(const char *fmt, va_list ap);

__attribute__((format(printf, 1, 2))) void klog_line(const char *fmt, ...);
#ifdef KAAL_DEBUG
#define KLOG(...) klog_line(__VA_ARGS__)
#else
/* Not evaluated, not called: the arguments are still type-checked and count as used, as in a debug build. */
#define KLOG(...) ((void)sizeof(klog_line(__VA_ARGS__), 0))
#endif

#endif
