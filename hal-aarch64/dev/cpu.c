/*
 * The processor part of the HAL contract (<kaal/hal/cpu.h>) that needs no
 * kernel state: stopping the machine. hal_cpu_idle is in boot/vectors.S
 * (its WFI is the one place IRQs are unmasked in the kernel),
 * hal_return_to_user in boot/trap.c.
 */
#include <kaal/core/klog.h>
#include <kaal/hal/cpu.h>

#include "dev/psci.h"

/*
 * PSCI has no exit status: QEMU exits 0 whatever `status` is. So the status
 * goes to the console as the last line, "KaaL: power off, status N", which
 * tools/run_qemu.py --status-from-console turns into its own exit status.
 */
_Noreturn void hal_cpu_halt(int status)
{
    kprintf("KaaL: power off, status %d\n", status);
    psci_system_off();
}
