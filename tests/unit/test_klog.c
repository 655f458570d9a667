/*
 * The kernel's printf: every conversion it supports, and what it does with
 * the ones it does not.
 */
#include "harness.h"

#include <kaal/core/klog.h>

static void kvprintf_test(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
}

static void expect(const char *want)
{
    assert_string_equal(double_console(), want);
    double_console_clear();
}

static void test_conversions(void **state)
{
    (void)state;
    double_console_clear();
    kprintf("%s|%c|%d|%d|%u|%x", "str", 'c', -42, 7, 42u, 0xbeefu);
    expect("str|c|-42|7|42|beef");
    kprintf("%ld|%lu|%lx|%p", -1234567890123l, 18446744073709551615ul, 0xfeedfaceul, (void *)0x1000);
    expect("-1234567890123|18446744073709551615|feedface|0x1000");
    kprintf("%d|%u|%x", 0, 0u, 0u);
    expect("0|0|0");
    kprintf("100%%");
    expect("100%");
}

static void test_null_string_and_unknown_conversion(void **state)
{
    (void)state;
    double_console_clear();
    const char *volatile nothing = NULL; /* volatile: gcc -O2 would reject the NULL %s at compile time */
    kprintf("[%s]", nothing);
    expect("[(null)]");
    /* Built at run time so the compiler's format check does not see it. */
    char fmt[] = {'%', 'q', '%', '\0'};
    kprintf("%s", "<");
    kvprintf_test(fmt);
    expect("<%q");
}

static void test_log_line(void **state)
{
    (void)state;
    double_console_clear();
    KLOG("value %d", 5);
    expect("kaal: value 5\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conversions),
        cmocka_unit_test(test_null_string_and_unknown_conversion),
        cmocka_unit_test(test_log_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
