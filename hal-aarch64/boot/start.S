/*
 * Kernel entry from QEMU (or a boot loader following the arm64 Linux boot
 * protocol): MMU and caches off, x0 = device tree address (0 when QEMU
 * loads an ELF), entered at EL2 or EL1 on every CPU at once.
 *
 * CPU 0 goes on, the others park for good (SMP bring-up is by PSCI CPU_ON
 * in a later issue). From EL2 we drop to EL1 without taking a hypervisor's
 * role, set up just enough to run C, and call aarch64_boot(dtb, entry_el).
 */
#define SCTLR_EL1_RES1 0x30d00800 /* bits 29, 28, 23, 22, 20, 11 */
#define SCTLR_EL1_SA (1 << 3)     /* fault on a misaligned SP: catches stack bugs early */
#define HCR_EL2_RW (1 << 31)      /* EL1 is AArch64 */
#define CNTHCTL_EL1PCEN_PCTEN 3   /* EL1 may use the physical timer and counter */
#define CPTR_EL2_RES1 0x33ff      /* and TFP = 0: EL1/EL0 FP/SIMD does not trap to EL2 */
#define SPSR_EL1H_DAIF 0x3c5      /* EL1 with SP_EL1, interrupts masked */
#define MPIDR_AFF_MASK 0xff00ffffff /* Aff3..Aff0 */
#define PL011_DR 0x09000000
#define PL011_FR_OFF 0x18
#define PL011_FR_TXFF (1 << 5)

    .section .text.boot, "ax"
    .global _start
_start:
    msr     daifset, #0xf           /* a boot loader need not have masked them */
    mrs     x19, mpidr_el1
    ldr     x20, =MPIDR_AFF_MASK
    tst     x19, x20
    b.ne    park

    mov     x19, x0                 /* the device tree pointer, kept across the drop */
    mrs     x20, CurrentEL
    ubfx    x20, x20, #2, #2
    cmp     x20, #2
    b.eq    from_el2
    b.hi    from_el3
    ldr     x0, =(SCTLR_EL1_RES1 | SCTLR_EL1_SA)
    msr     sctlr_el1, x0
    isb
    b       at_el1

from_el2:
    mov     x0, #HCR_EL2_RW
    msr     hcr_el2, x0
    mov     x0, #CNTHCTL_EL1PCEN_PCTEN
    msr     cnthctl_el2, x0
    msr     cntvoff_el2, xzr
    mov     x0, #CPTR_EL2_RES1
    msr     cptr_el2, x0
    msr     hstr_el2, xzr
    /* EL1 reads of MIDR/MPIDR return these: make them the real values. */
    mrs     x0, midr_el1
    msr     vpidr_el2, x0
    mrs     x0, mpidr_el1
    msr     vmpidr_el2, x0
    ldr     x0, =(SCTLR_EL1_RES1 | SCTLR_EL1_SA)
    msr     sctlr_el1, x0
    mov     x0, #SPSR_EL1H_DAIF
    msr     spsr_el2, x0
    adr     x0, at_el1
    msr     elr_el2, x0
    eret

at_el1:
    /* From here on an exception reports itself instead of hanging. */
    ldr     x0, =aarch64_vectors
    msr     vbar_el1, x0
    isb

    ldr     x0, =__bss_start
    ldr     x1, =__bss_end
1:  cmp     x0, x1
    b.hs    2f
    stp     xzr, xzr, [x0], #16     /* the linker script aligns both ends to 16 */
    b       1b
2:
    ldr     x0, =__boot_stack_top
    mov     sp, x0
    mov     x0, x19
    mov     x1, x20
    bl      aarch64_boot
    b       park

/* EL3 would make us the secure firmware, which this kernel is not. Say so
 * without a stack or C, then stop. */
from_el3:
    adr     x0, el3_msg
    ldr     x1, =PL011_DR
3:  ldrb    w2, [x0], #1
    cbz     w2, park
4:  ldr     w3, [x1, #PL011_FR_OFF]
    tbnz    w3, #5, 4b
    str     w2, [x1]
    b       3b

park:
    wfe
    b       park

el3_msg:
    .asciz  "KaaL: entered at EL3, which is not supported (run QEMU without secure=on)\r\n"
    .balign 4
    .ltorg
