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

/* Called by vectors.S for an unexpected exception: reports it and powers off. */
_Noreturn void aarch64_exception(const struct exc_frame *f, unsigned vector);

struct hal_context;

/* vectors.S: run the thread of this context at EL0 (TPIDR_EL1 = ctx, SP_EL1 reset, ERET). */
_Noreturn void aarch64_user_return(struct hal_context *ctx);

/* vectors.S: the switch-time state (q0..q31, FPSR, FPCR, TPIDR_EL0) from and into a context. */
void aarch64_fp_save(struct hal_context *ctx);
void aarch64_fp_load(const struct hal_context *ctx);

/* trap.c: the C side of an entry from EL0 (a synchronous exception, an IRQ). */
_Noreturn void aarch64_el0_sync(void);
_Noreturn void aarch64_el0_irq(void);

/* The root task linked into this image (boot/root_image.S): an ELF file, empty if none. */
extern const unsigned char aarch64_root_elf[], aarch64_root_elf_end[];

/* The component table module linked into this image (boot/root_image.S), page-aligned; empty if none. */
extern const unsigned char aarch64_components[], aarch64_components_end[];

#endif
