/*
 * The GICv2 interrupt controller: the interrupt-line part of the HAL
 * contract (<kaal/hal/irq.h>) is in gic.c.
 */
#ifndef KAAL_A64_GIC_H
#define KAAL_A64_GIC_H

#include <stdint.h>

#include "lib/fdt.h"

/*
 * Find the GICv2 in the device tree, report it and initialise it: every
 * line disabled, not pending, not active, one priority, SPIs targeted to
 * this CPU, distributor and CPU interface on. Without a usable GICv2 it
 * says why and leaves hal_irq_count() at 0, so the kernel hands out no
 * lines (and the timer interrupt never shows as pending).
 */
void gic_init(const struct fdt *f);

/*
 * The GIC's INTID for a 3-cell device tree interrupt specifier (binding
 * arm,gic: type 0 = SPI, 1 = PPI; then the number within that type), or
 * HAL_IRQ_NONE if it names no line this driver could use.
 */
unsigned gic_intid_from_dt(uint32_t type, uint32_t number);

#endif
