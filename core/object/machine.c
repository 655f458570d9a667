/*
 * The machine as a capability: whoever holds a Machine cap may power the
 * machine off (the root task gets one at boot and may hand copies on). The
 * backend does it: PSCI SYSTEM_OFF on aarch64, the end of the process with
 * that status on the sim.
 */
#include <kaal/abi/syscalls.h>
#include <kaal/core/syscall.h>
#include <kaal/hal/cpu.h>

enum { POWER_OFF_STATUS, POWER_OFF_ARGS };
#define STATUS_MAX 255u /* what a process exit status (and a semihosting exit code) can carry */

enum kaal_error machine_invoke(const struct invocation *inv, struct syscall_error *err)
{
    if (inv->label != KAAL_MACHINE_POWER_OFF)
        return REJECT(err_illegal(err, KAAL_ILLEGAL_LABEL), "Machine: label %lu is not a Machine operation",
                      inv->label);
    if (inv_require(inv, POWER_OFF_ARGS, 0, err) != KAAL_OK)
        return err->code;
    word_t status = inv_arg(inv, POWER_OFF_STATUS);
    if (status > STATUS_MAX)
        return REJECT(err_range(err, POWER_OFF_STATUS, 0, STATUS_MAX), "Machine_PowerOff: status %lu is not 0..%u",
                      status, STATUS_MAX);
    hal_cpu_halt((int)status);
}
