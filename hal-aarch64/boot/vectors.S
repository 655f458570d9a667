/*
 * The EL1 vector table, the trap entry from EL0 and the return to it.
 *
 * From EL0 (synchronous exceptions and IRQs): the interrupted thread's
 * x0..x30, SP_EL0, ELR_EL1 and SPSR_EL1 go straight into its context in its
 * TCB, whose address TPIDR_EL1 holds while the thread runs; then C
 * (boot/trap.c) runs on the kernel stack, which is empty at every entry
 * (the return resets SP_EL1 to its top), and never returns here: it ends in
 * aarch64_user_return or in the idle loop.
 *
 * From EL1 the kernel runs with IRQs masked, so the only interrupt it can
 * take is the one that ends an idle WFI (hal_cpu_idle): el1_irq masks IRQs
 * in the saved PSTATE and returns, and hal_cpu_idle returns to the idle
 * loop, which hands the interrupt to the kernel. Any other exception at EL1,
 * and FIQs, SErrors and AArch32 entries from anywhere, are unexpected: each
 * saves the interrupted x0..x30 and SP into one static frame, without
 * trusting SP (a bad stack is a likely cause), switches to a stack of its
 * own and calls aarch64_exception(frame, vector index), which reports and
 * powers off.
 */
#include "boot/context.h"

#define SPSR_I (1 << 7)

/* An unexpected exception: vector index \n. */
.macro unexpected n
    .balign 0x80
    msr     tpidr_el1, x0           /* the only scratch we have before x0 is saved */
    ldr     x0, =aarch64_exc_frame
    stp     x1, x2, [x0, #8]
    mov     x1, #\n
    b       exception_entry
.endm

/* An entry from EL0: save what the thread had, then the C handler. */
.macro from_el0 handler
    .balign 0x80
    stp     x0, x1, [sp, #-16]!     /* SP_EL1: the top of the kernel stack */
    mrs     x0, tpidr_el1           /* the running thread's context */
    str     x30, [x0, #CTX_X30]
    bl      save_el0
    bl      \handler                /* does not return */
    b       .
.endm

    .section .text.vectors, "ax"
    .balign 2048
    .global aarch64_vectors
aarch64_vectors:
    /* Current EL with SP_EL0: the kernel never runs on SP_EL0. */
    unexpected 0
    unexpected 1
    unexpected 2
    unexpected 3
    /* Current EL with SP_EL1: the kernel. */
    unexpected 4
    .balign 0x80
    b       el1_irq
    unexpected 6
    unexpected 7
    /* Lower EL, AArch64: user threads. */
    from_el0 aarch64_el0_sync
    from_el0 aarch64_el0_irq
    unexpected 10
    unexpected 11
    /* Lower EL, AArch32: never (EL0 is always AArch64). */
    unexpected 12
    unexpected 13
    unexpected 14
    unexpected 15

/* x0 = the context, x30 saved, the thread's x0 and x1 on the stack. */
save_el0:
    stp     x2, x3, [x0, #16]
    stp     x4, x5, [x0, #32]
    stp     x6, x7, [x0, #48]
    stp     x8, x9, [x0, #64]
    stp     x10, x11, [x0, #80]
    stp     x12, x13, [x0, #96]
    stp     x14, x15, [x0, #112]
    stp     x16, x17, [x0, #128]
    stp     x18, x19, [x0, #144]
    stp     x20, x21, [x0, #160]
    stp     x22, x23, [x0, #176]
    stp     x24, x25, [x0, #192]
    stp     x26, x27, [x0, #208]
    stp     x28, x29, [x0, #224]
    ldp     x2, x3, [sp], #16
    stp     x2, x3, [x0, #CTX_X0]
    mrs     x2, sp_el0
    str     x2, [x0, #CTX_SP_EL0]
    mrs     x2, elr_el1
    mrs     x3, spsr_el1
    stp     x2, x3, [x0, #CTX_ELR]
    ret

/*
 * aarch64_user_return(ctx): run the thread whose context this is (the
 * caller has set TTBR0 and its FP/SIMD state). PSTATE comes from the
 * context, forced to EL0t with interrupts unmasked whatever it says.
 */
    .global aarch64_user_return
aarch64_user_return:
    msr     tpidr_el1, x0
    ldp     x2, x3, [x0, #CTX_ELR]
    bic     x3, x3, #0x3c0          /* DAIF clear */
    bic     x3, x3, #0x1f           /* M[4:0] = 0: AArch64 EL0t */
    msr     elr_el1, x2
    msr     spsr_el1, x3
    ldr     x2, [x0, #CTX_SP_EL0]
    msr     sp_el0, x2
    ldr     x1, =__kernel_stack_top /* the next entry starts on an empty kernel stack */
    mov     sp, x1
    ldp     x2, x3, [x0, #16]
    ldp     x4, x5, [x0, #32]
    ldp     x6, x7, [x0, #48]
    ldp     x8, x9, [x0, #64]
    ldp     x10, x11, [x0, #80]
    ldp     x12, x13, [x0, #96]
    ldp     x14, x15, [x0, #112]
    ldp     x16, x17, [x0, #128]
    ldp     x18, x19, [x0, #144]
    ldp     x20, x21, [x0, #160]
    ldp     x22, x23, [x0, #176]
    ldp     x24, x25, [x0, #192]
    ldp     x26, x27, [x0, #208]
    ldp     x28, x29, [x0, #224]
    ldr     x30, [x0, #CTX_X30]
    ldp     x0, x1, [x0, #CTX_X0]
    eret
    dsb     nsh                     /* no speculation past the eret */
    isb

/* aarch64_fp_save(ctx) / aarch64_fp_load(ctx): q0..q31, FPSR, FPCR, TPIDR_EL0. */
    .global aarch64_fp_save
aarch64_fp_save:
    add     x1, x0, #CTX_Q
    stp     q0, q1, [x1, #0]
    stp     q2, q3, [x1, #32]
    stp     q4, q5, [x1, #64]
    stp     q6, q7, [x1, #96]
    stp     q8, q9, [x1, #128]
    stp     q10, q11, [x1, #160]
    stp     q12, q13, [x1, #192]
    stp     q14, q15, [x1, #224]
    stp     q16, q17, [x1, #256]
    stp     q18, q19, [x1, #288]
    stp     q20, q21, [x1, #320]
    stp     q22, q23, [x1, #352]
    stp     q24, q25, [x1, #384]
    stp     q26, q27, [x1, #416]
    stp     q28, q29, [x1, #448]
    stp     q30, q31, [x1, #480]
    mrs     x2, fpsr
    mrs     x3, fpcr
    stp     x2, x3, [x0, #CTX_FPSR]
    mrs     x2, tpidr_el0
    str     x2, [x0, #CTX_TPIDR_EL0]
    ret

    .global aarch64_fp_load
aarch64_fp_load:
    add     x1, x0, #CTX_Q
    ldp     q0, q1, [x1, #0]
    ldp     q2, q3, [x1, #32]
    ldp     q4, q5, [x1, #64]
    ldp     q6, q7, [x1, #96]
    ldp     q8, q9, [x1, #128]
    ldp     q10, q11, [x1, #160]
    ldp     q12, q13, [x1, #192]
    ldp     q14, q15, [x1, #224]
    ldp     q16, q17, [x1, #256]
    ldp     q18, q19, [x1, #288]
    ldp     q20, q21, [x1, #320]
    ldp     q22, q23, [x1, #352]
    ldp     q24, q25, [x1, #384]
    ldp     q26, q27, [x1, #416]
    ldp     q28, q29, [x1, #448]
    ldp     q30, q31, [x1, #480]
    ldp     x2, x3, [x0, #CTX_FPSR]
    msr     fpsr, x2
    msr     fpcr, x3
    ldr     x2, [x0, #CTX_TPIDR_EL0]
    msr     tpidr_el0, x2
    ret

/*
 * An IRQ at EL1: only legal at the WFI of hal_cpu_idle, the one place the
 * kernel unmasks IRQs. Return there with IRQs masked again; the idle loop
 * takes the interrupt. Anywhere else it is a kernel bug: report it.
 */
el1_irq:
    stp     x0, x1, [sp, #-16]!
    mrs     x0, elr_el1
    adr     x1, aarch64_idle_wfi
    cmp     x0, x1
    b.lo    1f
    adr     x1, aarch64_idle_wfi_end
    cmp     x0, x1
    b.hi    1f
    mrs     x0, spsr_el1
    orr     x0, x0, #SPSR_I
    msr     spsr_el1, x0
    ldp     x0, x1, [sp], #16
    eret
1:  ldp     x0, x1, [sp], #16
    msr     tpidr_el1, x0
    ldr     x0, =aarch64_exc_frame
    stp     x1, x2, [x0, #8]
    mov     x1, #5
    b       exception_entry

/*
 * hal_cpu_idle: wait for an interrupt with IRQs unmasked. Outstanding
 * device writes complete first, so an interrupt they cause can wake us.
 * The IRQ is taken at or just after the WFI (el1_irq above), which returns
 * with IRQs masked; a WFI that wakes without one (a spurious wake-up) just
 * returns.
 */
    .global hal_cpu_idle
hal_cpu_idle:
    dsb     sy
aarch64_idle_wfi:
    msr     daifclr, #2
    wfi
aarch64_idle_wfi_end:
    msr     daifset, #2
    ret

exception_entry:
    stp     x3, x4, [x0, #24]
    stp     x5, x6, [x0, #40]
    stp     x7, x8, [x0, #56]
    stp     x9, x10, [x0, #72]
    stp     x11, x12, [x0, #88]
    stp     x13, x14, [x0, #104]
    stp     x15, x16, [x0, #120]
    stp     x17, x18, [x0, #136]
    stp     x19, x20, [x0, #152]
    stp     x21, x22, [x0, #168]
    stp     x23, x24, [x0, #184]
    stp     x25, x26, [x0, #200]
    stp     x27, x28, [x0, #216]
    stp     x29, x30, [x0, #232]
    mrs     x2, tpidr_el1
    str     x2, [x0]
    mov     x2, sp
    str     x2, [x0, #248]
    ldr     x2, =__exception_stack_top
    mov     sp, x2
    bl      aarch64_exception       /* does not return */
1:  wfe
    b       1b
    .ltorg

    .bss
    .balign 16
    .global aarch64_exc_frame
aarch64_exc_frame:
    .space  32 * 8                  /* x0..x30, sp: struct exc_frame in boot.h */
