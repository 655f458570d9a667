/*
 * The sim machine's physical memory map and interrupt numbers: QEMU virt's
 * (hw/arm/virt.c), for the devices the sim models. Guest RAM is not here:
 * on the sim its physical addresses are host addresses (docs/memory.md), so
 * the launcher passes its base and size in.
 */
#ifndef KAAL_MACHINE_VIRT_H
#define KAAL_MACHINE_VIRT_H

/* The device region handed to the kernel as device Untyped: QEMU virt's low devices, GIC to GPIO. */
#define VIRT_DEVICE_BASE 0x08000000u
#define VIRT_DEVICE_END 0x0a000000u

/* GICv2 as QEMU places it: described in the device tree, not modelled (docs/machine.md, "Interrupts"). */
#define VIRT_GIC_DIST_BASE 0x08000000u
#define VIRT_GIC_CPU_BASE 0x08010000u
#define VIRT_GIC_REGION_SIZE 0x10000u

#define VIRT_PL011_BASE 0x09000000u
#define VIRT_PL011_SPI 1u /* interrupts = <0 1 4>: SPI 1, level high */
#define VIRT_PL031_BASE 0x09010000u
#define VIRT_PL031_SPI 2u

/* GIC numbering, which the sim interrupt controller's lines follow: SPI n is line 32 + n, PPI n is 16 + n. */
#define VIRT_SPI_LINE(n) (32u + (n))
#define VIRT_PPI_LINE(n) (16u + (n))

/* The architected timer's PPIs (secure, non-secure physical, virtual, hypervisor); the sim's timer is line 27 = PPI 11. */
#define VIRT_TIMER_PPI_SECURE 13u
#define VIRT_TIMER_PPI_PHYS 14u
#define VIRT_TIMER_PPI_VIRT 11u
#define VIRT_TIMER_PPI_HYP 10u

/* The APB clock QEMU gives its PrimeCells (24 MHz). */
#define VIRT_APB_PCLK_HZ 24000000u

#endif
