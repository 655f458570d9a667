/*
 * Kernel entries from EL0 and the way back (vectors.S does the registers).
 *
 * Synchronous exceptions, by ESR_EL1.EC:
 *   SVC (AArch64)        kernel_syscall: the ABI registers are in the context
 *                        (x7 number, x0 cap, x1 info, x2..x5 MR0..MR3)
 *   data abort           kernel_vm_fault(FAR, READ or WRITE (ESR.WnR; a cache
 *                        maintenance op counts as a read), ESR) for a
 *                        translation, access-flag, permission or address-size
 *                        fault; any other abort (alignment, external, TLB
 *                        conflict...) is kernel_user_exception(ESR, FAR)
 *   instruction abort    the same with EXEC
 *   PC alignment,        kernel_user_exception(ESR, FAR)
 *   watchpoint
 *   anything else        kernel_user_exception(ESR, 0): undefined instruction
 *                        (also HVC, SMC, HLT without semihosting), SP alignment,
 *                        BRK, trapped system register...; FAR means nothing
 *                        for these
 * IRQ: kernel_interrupt (the GIC says which line).
 *
 * Then the thread the kernel chose (ks.current) runs: its address space
 * (TTBR0 = its VSpace's level-0 table | ASID << 48; a thread without a
 * VSpace gets an empty table with ASID 0, so its first fetch faults), its
 * FP/SIMD state, its registers; or, when the kernel chose the idle thread,
 * the idle loop: WFI with IRQs unmasked until an interrupt, which goes to
 * kernel_interrupt, until some thread is runnable.
 *
 * FP/SIMD (q0..q31, FPSR, FPCR) and TPIDR_EL0: the kernel is built with
 * -mgeneral-regs-only and never touches them, so they stay in the registers
 * across kernel entries. fp_owner is the thread whose values the registers
 * hold. When another thread is to run, the registers go into fp_owner's
 * context and the new thread's are loaded: 66 instructions per switch, none
 * on a syscall that returns to its caller. EL0 never traps on FP/SIMD
 * (CPACR_EL1.FPEN = 3). Why not lazier (trap on first use after a switch):
 * that needs the owner's TCB to outlive the switch, and the HAL hears of no
 * TCB's deletion. This scheme does not: fp_owner is saved at the first exit
 * to another thread after it last ran, and between its last run and that
 * exit only its own last syscall and interrupts in the idle loop happen; a
 * TCB deleted in that syscall still has its memory (only a later Retype
 * could reuse it), so the save lands in memory no object uses.
 */
#include <stddef.h>
#include <stdint.h>

#include <kaal/abi/faults.h>
#include <kaal/core/entry.h>
#include <kaal/core/kernel.h>
#include <kaal/hal/cpu.h>
#include <kaal/hal/irq.h>

#include "boot/boot.h"
#include "boot/context.h"
#include "mm/kmap.h"

_Static_assert(offsetof(struct hal_context, x[30]) == CTX_X30, "context.h");
_Static_assert(offsetof(struct hal_context, sp_el0) == CTX_SP_EL0, "context.h");
_Static_assert(offsetof(struct hal_context, elr) == CTX_ELR, "context.h");
_Static_assert(offsetof(struct hal_context, spsr) == CTX_SPSR, "context.h");
_Static_assert(offsetof(struct hal_context, tpidr_el0) == CTX_TPIDR_EL0, "context.h");
_Static_assert(offsetof(struct hal_context, fpsr) == CTX_FPSR, "context.h");
_Static_assert(offsetof(struct hal_context, fpcr) == CTX_FPCR, "context.h");
_Static_assert(offsetof(struct hal_context, q) == CTX_Q, "context.h");

#define ESR_EC(esr) (((esr) >> 26) & 0x3fu)
#define EC_SVC64 0x15u
#define EC_IABT_LOW 0x20u
#define EC_PC_ALIGN 0x22u
#define EC_DABT_LOW 0x24u
#define EC_WATCHPT_LOW 0x34u
#define ESR_FSC(esr) ((esr) & 0x3fu)
#define FSC_KIND(fsc) ((fsc) >> 2) /* 0 address size, 1 translation, 2 access flag, 3 permission */
#define ESR_WNR (1u << 6)
#define ESR_CM (1u << 8)
#define TTBR_ASID_SHIFT 48u

#define READ_SYSREG(name)                                                                                          \
    ({                                                                                                             \
        uint64_t v_;                                                                                               \
        __asm__ volatile("mrs %0, " #name : "=r"(v_));                                                            \
        v_;                                                                                                        \
    })

static struct tcb *fp_owner;  /* whose FP/SIMD state and TPIDR_EL0 the registers hold; NULL: nobody's */
static uint64_t current_ttbr0; /* what TTBR0_EL1 holds; 0: not yet set for a thread */

/* A translation, access-flag, permission or address-size fault: the address space said no. */
static bool is_vm_fault(uint64_t esr)
{
    return FSC_KIND(ESR_FSC(esr)) <= 3;
}

_Noreturn void aarch64_el0_sync(void)
{
    uint64_t esr = READ_SYSREG(esr_el1);
    switch (ESR_EC(esr)) {
    case EC_SVC64:
        kernel_syscall();
        break;
    case EC_DABT_LOW:
        if (is_vm_fault(esr))
            kernel_vm_fault(READ_SYSREG(far_el1),
                            (esr & ESR_WNR) && !(esr & ESR_CM) ? KAAL_VM_ACCESS_WRITE : KAAL_VM_ACCESS_READ, esr);
        else
            kernel_user_exception(esr, READ_SYSREG(far_el1));
        break;
    case EC_IABT_LOW:
        if (is_vm_fault(esr))
            kernel_vm_fault(READ_SYSREG(far_el1), KAAL_VM_ACCESS_EXEC, esr);
        else
            kernel_user_exception(esr, READ_SYSREG(far_el1));
        break;
    case EC_PC_ALIGN:
    case EC_WATCHPT_LOW:
        kernel_user_exception(esr, READ_SYSREG(far_el1));
        break;
    default:
        kernel_user_exception(esr, 0);
        break;
    }
    hal_return_to_user();
}

_Noreturn void aarch64_el0_irq(void)
{
    kernel_interrupt();
    hal_return_to_user();
}

/* TTBR0 for t: its VSpace, or the empty table (ASID 0) if it has none. */
static uint64_t ttbr0_of(const struct tcb *t)
{
    const struct cap *vs = &t->slots[TCB_SLOT_VSPACE].cap;
    if (vs->type != CAP_VSPACE)
        return kmap_empty_user_root();
    return kmap_paddr(vs->obj) | (uint64_t)vs->data << TTBR_ASID_SHIFT;
}

/* Make t's address space and switch-time state the CPU's. */
static void switch_to(struct tcb *t)
{
    if (t != fp_owner) {
        if (fp_owner != NULL)
            aarch64_fp_save(&fp_owner->ctx);
        aarch64_fp_load(&t->ctx);
        fp_owner = t;
    }
    uint64_t ttbr0 = ttbr0_of(t);
    if (ttbr0 != current_ttbr0) {
        /* ERET synchronises the context: no ISB. The ASID tags every user TLB entry: no invalidation. */
        __asm__ volatile("msr ttbr0_el1, %0" ::"r"(ttbr0) : "memory");
        current_ttbr0 = ttbr0;
    }
}

/*
 * The backend's run loop: run ks.current, or idle until an interrupt makes
 * a thread runnable. The idle thread keeps the last thread's address space
 * and FP/SIMD state in the CPU (it touches neither).
 */
_Noreturn void hal_return_to_user(void)
{
    for (;;) {
        struct tcb *t = ks.current;
        if (t != NULL && t != &ks.idle) {
            switch_to(t);
            aarch64_user_return(&t->ctx);
        }
        hal_cpu_idle();
        if (hal_irq_pending() != HAL_IRQ_NONE)
            kernel_interrupt();
    }
}
