/*
 * What the C library expects of the system it runs on, for EL0 programs on
 * aarch64 (linked into each, beside the start file: cmake/component.cmake).
 *
 * The stack protector: code built with it (Debian's libfdt.a, in the root
 * task) compares a canary with __stack_chk_guard and calls
 * __stack_chk_fail when a function's frame was overwritten. picolibc's own
 * version prints through stdout and raises a signal, neither of which
 * exists here; this one stops the thread on a BRK, a user exception its
 * fault handler hears of (the root task's: "faulted: exception ..."; the
 * root task itself has none, so the kernel reports it and stops it).
 */
#include <stdint.h>

uintptr_t __stack_chk_guard = 0x4b61614c2d535350ul; /* "KaaL-SSP": a fixed canary, no entropy at EL0 yet */

_Noreturn void __stack_chk_fail(void);
_Noreturn void __stack_chk_fail(void)
{
    for (;;)
        __asm__ volatile("brk #0x55" ::: "memory");
}
