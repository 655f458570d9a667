/*
 * Devices from the flattened device tree (libfdt): the same enumeration on
 * the sim (whose machine writes a tree in QEMU virt's layout) and on QEMU.
 */
#include <libfdt.h>

#include "root.h"

/* A property of `cells` 32-bit big-endian cells at `at`, as one number. */
static kaal_word_t read_cells(const fdt32_t *at, int cells)
{
    kaal_word_t v = 0;
    for (int i = 0; i < cells; i++)
        v = v << 32 | fdt32_to_cpu(at[i]);
    return v;
}

int dtb_find(const void *fdt, const char *compatible, struct device_info *out)
{
    if (fdt_check_header(fdt) != 0)
        return -1;
    int node = fdt_node_offset_by_compatible(fdt, -1, compatible);
    if (node < 0)
        return -1;
    int parent = fdt_parent_offset(fdt, node);
    int address_cells = fdt_address_cells(fdt, parent);
    int size_cells = fdt_size_cells(fdt, parent);
    int len = 0;
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
    if (reg == NULL || address_cells < 1 || address_cells > 2 || size_cells < 1 || size_cells > 2 ||
        len < (int)sizeof(fdt32_t) * (address_cells + size_cells))
        return -1;
    out->base = read_cells(reg, address_cells);
    out->size = read_cells(reg + address_cells, size_cells);
    /* interrupts = <type number flags>: type 0 is an SPI (line 32 + n), 1 a PPI (line 16 + n). */
    const fdt32_t *irq = fdt_getprop(fdt, node, "interrupts", &len);
    if (irq == NULL || len < 3 * (int)sizeof(fdt32_t))
        return -1;
    out->line = (fdt32_to_cpu(irq[0]) == 0 ? 32u : 16u) + fdt32_to_cpu(irq[1]);
    return 0;
}
