/*
 * Device register access for drivers: one API on both backends.
 *
 * A driver maps a device frame (kaal_frame_map of a frame retyped from a
 * device Untyped) and reaches the registers through the pointer it got, but
 * only through these functions, never by dereferencing it:
 *   - aarch64 (src/mmio_aarch64.c): one plain load or store of the given
 *     width to the device mapping, with the barriers device memory needs:
 *     a read is followed by DMB OSHLD (later accesses wait for it, as
 *     Linux's readl); a write is preceded by DMB OSH (every earlier access,
 *     loads included, is ordered before it; Linux's writel orders only
 *     earlier stores, OSHST; the kernel's hal_mmio uses OSH too).
 *   - sim (src/mmio_sim.c): the device frame's pages in the VSpace window
 *     have no host access rights; the accessor asks hal-sim which device
 *     model owns the address and calls its register function, on this
 *     thread. A raw dereference of the same pointer faults, and the fault is
 *     reported with the device and the register offset.
 *
 * The address must be aligned to the access width, and the width one the
 * device takes (PL011 and PL031: 1, 2 or 4 bytes). On the sim an address in
 * no device frame is accessed as plain memory, as on aarch64: ordinary
 * memory works, a bad pointer faults like any other access (a VM fault to
 * the thread's fault handler). A misaligned access, a width the device does
 * not take, or a part of a device frame where no device is also ends in a
 * fault, after a line on stderr that says which register and why (on
 * aarch64 such an access is an alignment fault or an external abort).
 *
 * Each read completes before any later access; each write is ordered after
 * all earlier accesses.
 */
#ifndef KAAL_MMIO_H
#define KAAL_MMIO_H

#include <stdint.h>

uint8_t kaal_mmio_read8(const volatile void *addr);
uint16_t kaal_mmio_read16(const volatile void *addr);
uint32_t kaal_mmio_read32(const volatile void *addr);
uint64_t kaal_mmio_read64(const volatile void *addr);

void kaal_mmio_write8(volatile void *addr, uint8_t value);
void kaal_mmio_write16(volatile void *addr, uint16_t value);
void kaal_mmio_write32(volatile void *addr, uint32_t value);
void kaal_mmio_write64(volatile void *addr, uint64_t value);

#endif
