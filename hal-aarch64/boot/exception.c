/*
 * Report of an unexpected exception: which vector, the syndrome, the
 * faulting address and the interrupted registers, then power off, so a bug
 * in the kernel ends the run with evidence instead of a silent hang.
 *
 * It prints through the core's kprintf, which keeps no state and only
 * writes to the console, so it works whatever state the kernel is in.
 * An exception inside the report (the formatter, the console or the PSCI
 * call itself is the culprit) is counted: the second one prints one plain
 * line and tries to power off again, the third tries the other PSCI conduit,
 * any later one stops the CPU.
 */
#include <stdint.h>

#include <kaal/core/klog.h>

#include "boot/boot.h"
#include "dev/psci.h"

#define READ_SYSREG(var, name) __asm__ volatile("mrs %0, " #name : "=r"(var))

static const char *const vector_source[4] = {"current EL with SP_EL0", "current EL with SP_ELx",
                                             "lower EL (AArch64)", "lower EL (AArch32)"};
static const char *const vector_kind[4] = {"synchronous", "IRQ", "FIQ", "SError"};

/* Exception classes (ESR_ELx.EC, Arm ARM D17.2.37) a kernel bug is likely to raise. */
static const char *ec_name(unsigned ec)
{
    switch (ec) {
    case 0x00: return "unknown reason (undefined instruction?)";
    case 0x01: return "WFI/WFE trapped";
    case 0x07: return "FP/SIMD access (disabled)";
    case 0x0e: return "illegal execution state";
    case 0x15: return "SVC from AArch64";
    case 0x16: return "HVC from AArch64";
    case 0x17: return "SMC from AArch64";
    case 0x18: return "MSR/MRS trapped";
    case 0x20: return "instruction abort from a lower EL";
    case 0x21: return "instruction abort";
    case 0x22: return "PC alignment fault";
    case 0x24: return "data abort from a lower EL";
    case 0x25: return "data abort";
    case 0x26: return "SP alignment fault";
    case 0x2f: return "SError";
    case 0x3c: return "BRK instruction";
    default: return "other";
    }
}

static volatile unsigned depth;

_Noreturn void aarch64_exception(const struct exc_frame *f, unsigned vector)
{
    unsigned d = ++depth;

    if (d == 2) {
        kprintf("\nKaaL: exception while reporting an exception; stopping the machine\n");
        psci_system_off();
    }
    if (d == 3) {
        psci_set_conduit(psci_get_conduit() == PSCI_HVC ? PSCI_SMC : PSCI_HVC);
        psci_system_off();
    }
    if (d > 3) {
        for (;;)
            __asm__ volatile("wfi");
    }

    uint64_t esr, elr, far, spsr;
    READ_SYSREG(esr, esr_el1);
    READ_SYSREG(elr, elr_el1);
    READ_SYSREG(far, far_el1);
    READ_SYSREG(spsr, spsr_el1);
    unsigned ec = (unsigned)(esr >> 26) & 0x3f;

    kprintf("\nKaaL: unexpected %s exception from the %s\n", vector_kind[vector % 4],
            vector_source[(vector / 4) % 4]);
    kprintf("  EC 0x%x %s\n", ec, ec_name(ec));
    kprintf("  ESR 0x%lx  ELR 0x%lx\n  FAR 0x%lx  SPSR 0x%lx\n", esr, elr, far, spsr);
    for (unsigned i = 0; i < 31; i += 2) {
        if (i == 30)
            kprintf("  x30 0x%lx  sp 0x%lx\n", f->x[30], f->sp);
        else
            kprintf("  x%u 0x%lx  x%u 0x%lx\n", i, f->x[i], i + 1, f->x[i + 1]);
    }
    kprintf("KaaL: stopping the machine after the exception\n");
    psci_system_off();
}
