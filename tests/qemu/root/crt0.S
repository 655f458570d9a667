/*
 * Entry of the qemu test root task: the kernel starts it with x0 = its IPC
 * buffer, x1 = the boot info, sp = the top of its stack. The thread pointer
 * (TPIDR_EL0) holds each thread's IPC buffer (syscall.c).
 */
    .section .text.start, "ax"
    .global _start
_start:
    msr     tpidr_el0, x0
    bl      root_main
    bl      semihost_exit           /* root_main's result: the number of failed tests */
1:  b       1b
