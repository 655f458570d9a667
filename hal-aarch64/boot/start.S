/*
 * Kernel entry from QEMU (or a boot loader following the arm64 Linux boot
 * protocol): MMU and caches off, x0 = device tree address (0 when QEMU
 * loads an ELF), entered at EL2 or EL1 on every CPU at once, at the
 * physical load address.
 *
 * CPU 0 goes on, the others park for good (SMP bring-up is by PSCI CPU_ON
 * in a later issue). From EL2 we drop to EL1 without taking a hypervisor's
 * role, zero the BSS, build the early translation (mm/kmap.c), turn the MMU
 * on and jump to the high half, where aarch64_boot(dtb, entry_el) runs on
 * the kernel stack. Until the jump everything here is pc-relative (adr,
 * adrp): the linker's addresses are the high-half ones.
 */
#define SCTLR_EL1_RES1 0x30d00800 /* bits 29, 28, 23, 22, 20, 11 */
#define SCTLR_EL1_M (1 << 0)      /* MMU on */
#define SCTLR_EL1_C (1 << 2)      /* data caching */
#define SCTLR_EL1_SA (1 << 3)     /* fault on a misaligned SP at EL1: catches stack bugs early */
#define SCTLR_EL1_SA0 (1 << 4)    /* ... and at EL0 (a user exception) */
#define SCTLR_EL1_I (1 << 12)     /* instruction caching */
#define SCTLR_EL1_DZE (1 << 14)   /* EL0 may use DC ZVA (memset in C libraries) */
#define SCTLR_EL1_UCT (1 << 15)   /* EL0 may read CTR_EL0 (cache line sizes) */
#define SCTLR_EL1_NTWI (1 << 16)  /* EL0 WFI does not trap */
#define SCTLR_EL1_NTWE (1 << 18)  /* EL0 WFE does not trap */
#define SCTLR_EL1_UCI (1 << 26)   /* EL0 may clean data cache lines by address (DC CVAU: code it wrote) */
#define SCTLR_EL1_EARLY (SCTLR_EL1_RES1 | SCTLR_EL1_SA)
#define SCTLR_EL1_ON (SCTLR_EL1_EARLY | SCTLR_EL1_M | SCTLR_EL1_C | SCTLR_EL1_I | SCTLR_EL1_SA0 | \
                      SCTLR_EL1_DZE | SCTLR_EL1_UCT | SCTLR_EL1_NTWI | SCTLR_EL1_NTWE | SCTLR_EL1_UCI)
#define CPACR_EL1_FPEN (3 << 20)  /* FP/SIMD does not trap at EL1 or EL0 */
#define HCR_EL2_RW (1 << 31)      /* EL1 is AArch64 */
#define CNTHCTL_EL1PCEN_PCTEN 3   /* EL1 may use the physical timer and counter */
#define CPTR_EL2_RES1 0x33ff      /* and TFP = 0: EL1/EL0 FP/SIMD does not trap to EL2 */
#define SPSR_EL1H_DAIF 0x3c5      /* EL1 with SP_EL1, interrupts masked */
#define MPIDR_AFF_MASK 0xff00ffffff /* Aff3..Aff0 */
#define PL011_DR 0x09000000       /* physical: only used with the MMU off */
#define PL011_FR_OFF 0x18
#define PL011_LCR_H_OFF 0x2c
#define PL011_LCR_H_FEN_8BIT 0x70 /* FEN (bit 4), WLEN 8 bits (bits 5-6) */

    .section .text.boot, "ax"
    .global _start
_start:
    msr     daifset, #0xf           /* a boot loader need not have masked them */
    mrs     x19, mpidr_el1
    ldr     x20, =MPIDR_AFF_MASK
    tst     x19, x20
    b.ne    park

    /*
     * The UART's FIFOs on (LCR_H: FEN, 8 bits) before anything else, as the
     * console server sets them later: QEMU's PL011 empties its receive FIFO
     * whenever FEN changes, and without FEN it holds one byte, so a byte
     * typed (or piped) at power-on would be lost when the server turned FEN
     * on. x0 (the device tree) is kept.
     */
    ldr     x1, =PL011_DR
    mov     w2, #PL011_LCR_H_FEN_8BIT
    str     w2, [x1, #PL011_LCR_H_OFF]

    mov     x19, x0                 /* the device tree pointer, kept across the drop */
    mrs     x20, CurrentEL
    ubfx    x20, x20, #2, #2
    cmp     x20, #2
    b.eq    from_el2
    b.hi    from_el3
    ldr     x0, =SCTLR_EL1_EARLY
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
    ldr     x0, =SCTLR_EL1_EARLY
    msr     sctlr_el1, x0
    mov     x0, #SPSR_EL1H_DAIF
    msr     spsr_el2, x0
    adr     x0, at_el1
    msr     elr_el2, x0
    eret

at_el1:
    mov     x0, #CPACR_EL1_FPEN
    msr     cpacr_el1, x0
    /* BSS, by physical address (the linker script aligns both ends to 16). */
    adrp    x0, __bss_start
    add     x0, x0, :lo12:__bss_start
    adrp    x1, __bss_end
    add     x1, x1, :lo12:__bss_end
1:  cmp     x0, x1
    b.hs    2f
    stp     xzr, xzr, [x0], #16
    b       1b
2:
    adrp    x0, __kernel_stack_top  /* physical, for the early C function */
    add     x0, x0, :lo12:__kernel_stack_top
    mov     sp, x0
    mov     x0, x19
    bl      aarch64_mmu_early       /* tables, MAIR, TCR, TTBR0/1 */
    cbnz    w0, early_failed
    ldr     x0, =SCTLR_EL1_ON
    dsb     sy
    msr     sctlr_el1, x0
    isb
    ldr     x0, =high_half          /* the linker's address: the high half */
    br      x0

/* From here on, kernel virtual addresses. */
high_half:
    ldr     x0, =aarch64_vectors
    msr     vbar_el1, x0
    isb
    ldr     x0, =__kernel_stack_top
    mov     sp, x0
    mov     x0, x19
    mov     x1, x20
    bl      aarch64_boot
    b       park

/* With the MMU off, no stack to trust and no C: say why, then stop. */
early_failed:
    cmp     w0, #1
    adr     x0, asid_msg
    b.eq    say
    cmp     w0, #2
    adr     x0, granule_msg
    b.eq    say
    adr     x0, place_msg
    b       say

/* EL3 would make us the secure firmware, which this kernel is not. */
from_el3:
    adr     x0, el3_msg
say:
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
asid_msg:
    .asciz  "KaaL: the CPU has only 8-bit ASIDs; KaaL needs 16-bit ones (QEMU: -cpu cortex-a53 or newer)\r\n"
granule_msg:
    .asciz  "KaaL: the CPU has no 4 KiB translation granule\r\n"
place_msg:
    .asciz  "KaaL: the kernel image must be loaded in one GiB between 1 GiB and 512 GiB\r\n"
    .balign 4
    .ltorg
