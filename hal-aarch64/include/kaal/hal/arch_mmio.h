/*
 * aarch64 device register access (contract: <kaal/hal/mmio.h>).
 *
 * Each access is one plain load or store written in assembly, never a
 * compiler-chosen one: a hypervisor emulating the device decodes the trapped
 * instruction from the syndrome, which it can only do for single loads and
 * stores without writeback. The barriers are outer-shareable DMBs, as the
 * contract only asks for ordering (with other device accesses and with
 * normal-memory buffers a device reads by DMA), not for completion: code
 * that needs completion (before WFI, before changing a system register that
 * depends on the write) issues its own DSB.
 *   read:  the load, then DMB OSHLD: later loads and stores wait for it.
 *   write: DMB OSH, then the store: every earlier access is ordered before it.
 */
#ifndef KAAL_HAL_ARCH_MMIO_H
#define KAAL_HAL_ARCH_MMIO_H

#include <stdint.h>

#define KAAL_MMIO_READ(name, type, insn, reg)                                                    \
    static inline type name(uintptr_t addr)                                                     \
    {                                                                                            \
        type v;                                                                                  \
        __asm__ volatile(insn " %" reg "0, [%1]\n\tdmb oshld"                                    \
                         : "=r"(v)                                                               \
                         : "r"(addr)                                                             \
                         : "memory");                                                            \
        return v;                                                                                \
    }

#define KAAL_MMIO_WRITE(name, type, insn, reg)                                                   \
    static inline void name(uintptr_t addr, type v)                                              \
    {                                                                                            \
        __asm__ volatile("dmb osh\n\t" insn " %" reg "0, [%1]"                                   \
                         :                                                                       \
                         : "rZ"(v), "r"(addr)                                                    \
                         : "memory");                                                            \
    }

KAAL_MMIO_READ(hal_mmio_read8, uint8_t, "ldrb", "w")
KAAL_MMIO_READ(hal_mmio_read16, uint16_t, "ldrh", "w")
KAAL_MMIO_READ(hal_mmio_read32, uint32_t, "ldr", "w")
KAAL_MMIO_READ(hal_mmio_read64, uint64_t, "ldr", "x")
KAAL_MMIO_WRITE(hal_mmio_write8, uint8_t, "strb", "w")
KAAL_MMIO_WRITE(hal_mmio_write16, uint16_t, "strh", "w")
KAAL_MMIO_WRITE(hal_mmio_write32, uint32_t, "str", "w")
KAAL_MMIO_WRITE(hal_mmio_write64, uint64_t, "str", "x")

#undef KAAL_MMIO_READ
#undef KAAL_MMIO_WRITE

#endif
