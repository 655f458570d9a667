/*
 * The EL1 vector table of the first cut: every exception is unexpected.
 * Each entry saves the interrupted x0..x30 and SP into one static frame,
 * without trusting SP (a bad stack is a likely cause), switches to a stack
 * of its own and calls aarch64_exception(frame, vector index), which
 * reports and powers off. The trap entry for system calls, faults and
 * interrupts replaces this in a later issue.
 */
    .section .text.vectors, "ax"
    .balign 2048
    .global aarch64_vectors
aarch64_vectors:
    .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    .balign 0x80
    msr     tpidr_el1, x0           /* the only scratch we have before x0 is saved */
    ldr     x0, =aarch64_exc_frame
    stp     x1, x2, [x0, #8]
    mov     x1, #\n
    b       exception_entry
    .endr

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
