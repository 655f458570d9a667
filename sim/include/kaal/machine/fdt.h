/*
 * The sim machine's flattened device tree (sim/fdt.c, docs/machine.md "The
 * device tree"), built with libfdt in QEMU virt's layout.
 */
#ifndef KAAL_MACHINE_FDT_H
#define KAAL_MACHINE_FDT_H

#include <stddef.h>
#include <stdint.h>

struct sim_fdt_config {
    uint64_t ram_base, ram_size; /* guest RAM: /memory@<base> */
};

/* Phandles, as QEMU virt numbers them. */
#define SIM_FDT_PHANDLE_APB_PCLK 0x8000u
#define SIM_FDT_PHANDLE_INTC 0x8001u

/*
 * Build the device tree into buf[0..len). Returns its size in bytes, or a
 * negative libfdt error (-FDT_ERR_NOSPACE: len too small) with a line on
 * stderr saying what failed.
 */
int sim_fdt_build(void *buf, size_t len, const struct sim_fdt_config *config);

#endif
