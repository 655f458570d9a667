/*
 * The first instructions of an EL0 program's first thread on aarch64, one
 * start file per kind of thread (docs/aarch64.md, "EL0 programs"), built
 * twice from this source:
 *
 *   component (KAAL_CRT_COMPONENT): the root task starts it with x0 = its
 *     environment, x1 = its IPC buffer (services/root/spawn.c), sp = the top
 *     of its stack; it goes on in kaal_component_entry(env, ipc, 0).
 *   root task (KAAL_CRT_ROOT): the kernel starts it with x0 = its IPC
 *     buffer, x1 = the boot info (hal-aarch64/boot/root.c); it goes on in
 *     kaal_root_main(ipc, bootinfo, 0).
 *
 * The loader has put every segment in place and zeroed what the file does
 * not hold (.bss, .tbss), so there is nothing to copy. What is left: the
 * thread pointer. TPIDR_EL0 points to the thread's control block, 16 bytes
 * the linker script (program_aarch64.ld) puts right before the thread-local
 * data (.tdata, .tbss), as the AArch64 TLS ABI (variant 1) lays out a static
 * local-exec program: picolibc finds its TLS (errno) at TPIDR_EL0 + 16, and
 * libkaal the IPC buffer in the block's first word (src/syscall_aarch64.c).
 * Then the C library's constructors, then C. Neither entry returns; should
 * one, the thread stops on an undefined instruction (a fault its handler
 * hears of).
 */
#if defined(KAAL_CRT_ROOT)
#define KAAL_CRT_IPC_BUFFER x0
#define KAAL_CRT_MAIN kaal_root_main
#elif defined(KAAL_CRT_COMPONENT)
#define KAAL_CRT_IPC_BUFFER x1
#define KAAL_CRT_MAIN kaal_component_entry
#else
#error "build with KAAL_CRT_ROOT or KAAL_CRT_COMPONENT"
#endif

    .cfi_sections .debug_frame
    .section .text.start, "ax"
    .global _start
    .type _start, %function
_start:
    .cfi_startproc
    .cfi_undefined x30              /* the outermost frame: debuggers stop unwinding here */
    adrp    x9, __kaal_thread_block
    add     x9, x9, :lo12:__kaal_thread_block
    str     KAAL_CRT_IPC_BUFFER, [x9]
    msr     tpidr_el0, x9
    mov     x19, x0
    mov     x20, x1
    mov     x29, #0                 /* the end of the frame chain, for debuggers */
    mov     x30, #0
    bl      __libc_init_array
    mov     x0, x19
    mov     x1, x20
    mov     x2, #0
    bl      KAAL_CRT_MAIN
    udf     #0
    .cfi_endproc
    .size _start, . - _start
