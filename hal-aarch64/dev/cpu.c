/*
 * The processor part of the HAL contract (<kaal/hal/cpu.h>) that needs no
 * kernel state: stopping the machine. hal_cpu_idle is in boot/vectors.S
 * (its WFI is the one place IRQs are unmasked in the kernel),
 * hal_return_to_user in boot/trap.c.
 */
#include <kaal/hal/cpu.h>

#include "dev/psci.h"

/* PSCI has no exit status: QEMU exits 0 whatever `status` is. Tests that need
 * a status read the console. */
_Noreturn void hal_cpu_halt(int status)
{
    (void)status;
    psci_system_off();
}
