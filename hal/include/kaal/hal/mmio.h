/*
 * HAL contract: device register access.
 *
 * Drivers (and the kernel's own interrupt controller and timer code) touch
 * device registers only through these. On aarch64 they are volatile loads and
 * stores with the barriers device memory needs; on the sim they call the
 * device model that owns the address. Each backend provides
 * <kaal/hal/arch_mmio.h> with the definitions (inline where it can).
 */
#ifndef KAAL_HAL_MMIO_H
#define KAAL_HAL_MMIO_H

#include <stdint.h>

#include <kaal/hal/arch_mmio.h>

/* Contract (defined by arch_mmio.h):
 *   uint8_t  hal_mmio_read8(uintptr_t addr);   void hal_mmio_write8(uintptr_t, uint8_t);
 *   uint16_t hal_mmio_read16(uintptr_t addr);  void hal_mmio_write16(uintptr_t, uint16_t);
 *   uint32_t hal_mmio_read32(uintptr_t addr);  void hal_mmio_write32(uintptr_t, uint32_t);
 *   uint64_t hal_mmio_read64(uintptr_t addr);  void hal_mmio_write64(uintptr_t, uint64_t);
 * Each read completes before any later access; each write is ordered after
 * all earlier accesses.
 */

#endif
