/*
 * Test-side view of the HAL test double.
 */
#ifndef KAAL_TESTS_HAL_DOUBLE_H
#define KAAL_TESTS_HAL_DOUBLE_H

/* Everything the kernel printed since the last clear. */
const char *double_console(void);
void double_console_clear(void);

#endif
