/*
 * What the boot assembly, the linker script and the boot C code share.
 */
#ifndef KAAL_A64_BOOT_H
#define KAAL_A64_BOOT_H

#include <stdint.h>

/* Linker script symbols: use their addresses only. */
extern char __kernel_start[], __text_end[], __rodata_end[], __kernel_end[];

/* Called by start.S on CPU 0 at EL1 with a stack and zeroed BSS. */
_Noreturn void aarch64_boot(uint64_t dtb, unsigned entry_el);

/* The registers vectors.S saves of the interrupted code. */
struct exc_frame {
    uint64_t x[31];
    uint64_t sp;
};

/* Called by vectors.S for every exception: reports it and powers off. */
_Noreturn void aarch64_exception(const struct exc_frame *f, unsigned vector);

#endif
