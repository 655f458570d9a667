/*
 * PSCI SYSTEM_OFF over the conduit the device tree names.
 *
 * Until the device tree is read (or if it is unusable) the conduit is a
 * guess from the exception level we were entered at: a kernel entered at
 * EL2 is not under a hypervisor, so its firmware sits at EL3 (SMC); a kernel
 * entered at EL1 has the firmware or hypervisor at EL2 (HVC). That is QEMU
 * virt's rule too, and a wrong guess traps into our own vectors instead of
 * hanging.
 */
#include <stdint.h>

#include <kaal/core/klog.h>

#include "dev/psci.h"

#define PSCI_SYSTEM_OFF 0x84000008u /* SMC32 function id */

static enum psci_conduit conduit = PSCI_HVC;

void psci_set_conduit(enum psci_conduit c)
{
    conduit = c;
}

enum psci_conduit psci_get_conduit(void)
{
    return conduit;
}

const char *psci_conduit_name(enum psci_conduit c)
{
    return c == PSCI_SMC ? "smc" : "hvc";
}

/* SMC Calling Convention: function id in x0, result in x0; x1..x17 may be
 * clobbered by the callee. */
static int64_t psci_call(uint64_t fn)
{
    register uint64_t x0 __asm__("x0") = fn;
    if (conduit == PSCI_SMC)
        __asm__ volatile("smc #0"
                         : "+r"(x0)
                         :
                         : "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11",
                           "x12", "x13", "x14", "x15", "x16", "x17", "memory");
    else
        __asm__ volatile("hvc #0"
                         : "+r"(x0)
                         :
                         : "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11",
                           "x12", "x13", "x14", "x15", "x16", "x17", "memory");
    return (int64_t)x0;
}

_Noreturn void psci_system_off(void)
{
    int64_t r = psci_call(PSCI_SYSTEM_OFF);
    kprintf("KaaL: PSCI SYSTEM_OFF by %s failed (%ld); stopped\n", psci_conduit_name(conduit),
            (long)r);
    for (;;)
        __asm__ volatile("wfi");
}
