/*
 * The processor part of the HAL contract (<kaal/hal/cpu.h>) that needs no
 * kernel state: idling and stopping the machine.
 */
#include <kaal/hal/cpu.h>

#include "dev/psci.h"

void hal_cpu_idle(void)
{
    /* Outstanding device writes complete first, so an interrupt they cause
     * can wake us. */
    __asm__ volatile("dsb sy\n\twfi" ::: "memory");
}

/* PSCI has no exit status: QEMU exits 0 whatever `status` is. Tests that need
 * a status read the console. */
_Noreturn void hal_cpu_halt(int status)
{
    (void)status;
    psci_system_off();
}
