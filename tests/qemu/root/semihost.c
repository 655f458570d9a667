/*
 * Semihosting calls (Arm IHI 0056): x0 = operation, x1 = parameter, HLT
 * #0xf000 in A64. QEMU carries them out; without semihosting HLT is an
 * undefined instruction (a user exception).
 */
#include <stdint.h>

#include "semihost.h"

#define SYS_WRITE0 0x04u
#define SYS_EXIT 0x18u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

static uint64_t semihost(uint64_t op, const void *param)
{
    register uint64_t x0 __asm__("x0") = op;
    register const void *x1 __asm__("x1") = param;
    __asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
    return x0;
}

void semihost_write(const char *s)
{
    semihost(SYS_WRITE0, s);
}

_Noreturn void semihost_exit(int status)
{
    uint64_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint64_t)status};
    semihost(SYS_EXIT, block);
    for (;;)
        ;
}
