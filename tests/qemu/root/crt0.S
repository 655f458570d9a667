/*
 * Entry of the qemu test root task: the kernel starts it with x0 = its IPC
 * buffer, x1 = the boot info, sp = the top of its stack. The thread pointer
 * (TPIDR_EL0) points to each thread's control block, whose first word is its
 * IPC buffer (libkaal/src/syscall_aarch64.c); this program has no TLS, so
 * the block is two words of its own.
 */
    .section .text.start, "ax"
    .global _start
_start:
    adrp    x9, main_thread_block
    add     x9, x9, :lo12:main_thread_block
    str     x0, [x9]
    msr     tpidr_el0, x9
    bl      root_main
    bl      semihost_exit           /* root_main's result: the number of failed tests */
1:  b       1b

    .bss
    .balign 16
main_thread_block:
    .skip   16
