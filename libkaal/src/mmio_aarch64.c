/*
 * MMIO accessors on aarch64 (<kaal/mmio.h>): each access is one load or
 * store instruction written in assembly, never one the compiler chooses: a
 * hypervisor that emulates the device (QEMU under KVM) decodes the trapped
 * instruction from the syndrome, which it can do only for single loads and
 * stores without writeback. The device mapping itself (Device-nGnRE,
 * made by the kernel for frames of device memory) keeps the accesses to one
 * device in order and unmerged; the barriers order them with normal memory:
 *   read:  the load, then DMB OSHLD (as Linux's readl);
 *   write: DMB OSH, then the store (Linux's writel uses OSHST; OSH also
 *          orders earlier loads, e.g. of a DMA buffer about to be handed
 *          back to the device, and is what the kernel's hal_mmio does).
 * Out of line: a call costs little next to a device access, and one header
 * then serves both backends.
 */
#include <kaal/mmio.h>

#define KAAL_MMIO_A64(bits, load, store, reg)                                                                      \
    uint##bits##_t kaal_mmio_read##bits(const volatile void *addr)                                                 \
    {                                                                                                              \
        uint##bits##_t v;                                                                                          \
        __asm__ volatile(load " %" reg "0, [%1]\n\tdmb oshld" : "=r"(v) : "r"(addr) : "memory");                  \
        return v;                                                                                                  \
    }                                                                                                              \
    void kaal_mmio_write##bits(volatile void *addr, uint##bits##_t value)                                          \
    {                                                                                                              \
        __asm__ volatile("dmb osh\n\t" store " %" reg "0, [%1]" : : "rZ"(value), "r"(addr) : "memory");           \
    }

KAAL_MMIO_A64(8, "ldrb", "strb", "w")
KAAL_MMIO_A64(16, "ldrh", "strh", "w")
KAAL_MMIO_A64(32, "ldr", "str", "w")
KAAL_MMIO_A64(64, "ldr", "str", "x")
