/*
 * The sim machine's device tree, built with libfdt's sequential-write API.
 *
 * Principle of operation: one pass writes the whole tree in QEMU virt's
 * layout and with QEMU's property values, so that the code that enumerates
 * devices from the tree is the same on both backends: root
 * "linux,dummy-virt" with 2 address and 2 size cells, interrupt-parent the
 * GIC; /memory@<base>; /cpus with one cpu; /intc@8000000 (a GICv2 binding,
 * see below); /timer; /apb-pclk (the PrimeCells' clock); /pl011@9000000;
 * /pl031@9010000; /chosen with stdout-path.
 *
 * The interrupt controller: the sim's has no registers (the kernel drives it
 * through the HAL, and only the kernel touches an interrupt controller on
 * either backend), but its lines are numbered as GIC INTIDs. The node is
 * therefore QEMU's GICv2 node ("arm,cortex-a15-gic", three interrupt
 * cells, QEMU's register ranges): an interrupt specifier decodes to the same
 * line as on QEMU (SPI n = line 32 + n). Its register ranges have no model
 * behind them; an access there is refused by the bus.
 *
 * The CPU: "kaal,sim-cpu" (the sim's CPU runs host code; claiming an ARM core
 * would be a lie), no enable-method (one CPU, nothing to start).
 */
#include <stdio.h>

#include <libfdt.h>

#include <kaal/machine/fdt.h>
#include <kaal/machine/pl011.h>
#include <kaal/machine/pl031.h>
#include <kaal/machine/virt.h>

/* GIC interrupt specifier values (Linux's arm-gic binding). */
#define GIC_SPI 0u
#define GIC_PPI 1u
#define IRQ_LEVEL_HIGH 4u
#define PPI_CPU_MASK_1 (1u << 8) /* GICv2 PPIs: bits 15:8 name the CPUs; one CPU */

struct writer {
    void *fdt;
    int err;          /* first libfdt error, 0 if none */
    const char *what; /* what was being written when it happened */
};

static void check(struct writer *w, int rc, const char *what)
{
    if (rc < 0 && w->err == 0) {
        w->err = rc;
        w->what = what;
    }
}

static void begin(struct writer *w, const char *name) { check(w, fdt_begin_node(w->fdt, name), name); }
static void end(struct writer *w) { check(w, fdt_end_node(w->fdt), "end of node"); }
static void prop_u32(struct writer *w, const char *name, uint32_t v) { check(w, fdt_property_u32(w->fdt, name, v), name); }
static void prop_str(struct writer *w, const char *name, const char *s) { check(w, fdt_property_string(w->fdt, name, s), name); }
static void prop_empty(struct writer *w, const char *name) { check(w, fdt_property(w->fdt, name, NULL, 0), name); }

/* A string list ("a\0b\0"), given with its full size including the last NUL. */
static void prop_strs(struct writer *w, const char *name, const char *list, int size)
{
    check(w, fdt_property(w->fdt, name, list, size), name);
}

/* A list of 32-bit cells, big-endian. */
static void prop_cells(struct writer *w, const char *name, const uint32_t *cells, int count)
{
    fdt32_t be[16];
    for (int i = 0; i < count && i < 16; i++)
        be[i] = cpu_to_fdt32(cells[i]);
    check(w, fdt_property(w->fdt, name, be, count * (int)sizeof be[0]), name);
}

/* reg = <base size> with 2 address and 2 size cells. */
static void prop_reg64(struct writer *w, uint64_t base, uint64_t size)
{
    uint32_t cells[4] = {(uint32_t)(base >> 32), (uint32_t)base, (uint32_t)(size >> 32), (uint32_t)size};
    prop_cells(w, "reg", cells, 4);
}

static void primecell(struct writer *w, const char *node, const char *compatible, int compatible_size, uint64_t base,
                      uint64_t size, unsigned spi, int clocks)
{
    begin(w, node);
    prop_strs(w, "compatible", compatible, compatible_size);
    prop_reg64(w, base, size);
    uint32_t irq[3] = {GIC_SPI, spi, IRQ_LEVEL_HIGH};
    prop_cells(w, "interrupts", irq, 3);
    if (clocks == 2) {
        prop_strs(w, "clock-names", "uartclk\0apb_pclk", sizeof "uartclk\0apb_pclk");
        uint32_t c[2] = {SIM_FDT_PHANDLE_APB_PCLK, SIM_FDT_PHANDLE_APB_PCLK};
        prop_cells(w, "clocks", c, 2);
    } else {
        prop_str(w, "clock-names", "apb_pclk");
        prop_u32(w, "clocks", SIM_FDT_PHANDLE_APB_PCLK);
    }
    end(w);
}

int sim_fdt_build(void *buf, size_t len, const struct sim_fdt_config *config)
{
    if (len > INT32_MAX)
        len = INT32_MAX;
    struct writer w = {.fdt = buf};
    check(&w, fdt_create(buf, (int)len), "header");
    if (w.err != 0) { /* nothing was written: later calls would read a header that is not there */
        fprintf(stderr, "kaal-sim: cannot build the device tree in %zu bytes: %s\n", len, fdt_strerror(w.err));
        return w.err;
    }
    check(&w, fdt_finish_reservemap(buf), "memory reservation map");

    begin(&w, "");
    prop_u32(&w, "interrupt-parent", SIM_FDT_PHANDLE_INTC);
    prop_u32(&w, "#size-cells", 2);
    prop_u32(&w, "#address-cells", 2);
    prop_str(&w, "compatible", "linux,dummy-virt");

    char name[40];
    snprintf(name, sizeof name, "memory@%llx", (unsigned long long)config->ram_base);
    begin(&w, name);
    prop_reg64(&w, config->ram_base, config->ram_size);
    prop_str(&w, "device_type", "memory");
    end(&w);

    begin(&w, "cpus");
    prop_u32(&w, "#size-cells", 0);
    prop_u32(&w, "#address-cells", 1);
    begin(&w, "cpu@0");
    prop_u32(&w, "reg", 0);
    prop_str(&w, "compatible", "kaal,sim-cpu");
    prop_str(&w, "device_type", "cpu");
    end(&w);
    end(&w);

    snprintf(name, sizeof name, "intc@%x", VIRT_GIC_DIST_BASE);
    begin(&w, name);
    prop_u32(&w, "phandle", SIM_FDT_PHANDLE_INTC);
    uint32_t gic_reg[8] = {0, VIRT_GIC_DIST_BASE, 0, VIRT_GIC_REGION_SIZE, 0, VIRT_GIC_CPU_BASE, 0, VIRT_GIC_REGION_SIZE};
    prop_cells(&w, "reg", gic_reg, 8);
    prop_str(&w, "compatible", "arm,cortex-a15-gic");
    prop_empty(&w, "ranges");
    prop_u32(&w, "#size-cells", 2);
    prop_u32(&w, "#address-cells", 2);
    prop_empty(&w, "interrupt-controller");
    prop_u32(&w, "#interrupt-cells", 3);
    end(&w);

    begin(&w, "timer");
    uint32_t flags = PPI_CPU_MASK_1 | IRQ_LEVEL_HIGH;
    uint32_t timer_irqs[12] = {GIC_PPI, VIRT_TIMER_PPI_SECURE, flags, GIC_PPI, VIRT_TIMER_PPI_PHYS, flags,
                               GIC_PPI, VIRT_TIMER_PPI_VIRT,   flags, GIC_PPI, VIRT_TIMER_PPI_HYP,  flags};
    prop_cells(&w, "interrupts", timer_irqs, 12);
    prop_empty(&w, "always-on");
    prop_strs(&w, "compatible", "arm,armv8-timer\0arm,armv7-timer", sizeof "arm,armv8-timer\0arm,armv7-timer");
    end(&w);

    begin(&w, "apb-pclk");
    prop_u32(&w, "phandle", SIM_FDT_PHANDLE_APB_PCLK);
    prop_str(&w, "clock-output-names", "clk24mhz");
    prop_u32(&w, "clock-frequency", VIRT_APB_PCLK_HZ);
    prop_u32(&w, "#clock-cells", 0);
    prop_str(&w, "compatible", "fixed-clock");
    end(&w);

    snprintf(name, sizeof name, "pl011@%x", VIRT_PL011_BASE);
    primecell(&w, name, "arm,pl011\0arm,primecell", sizeof "arm,pl011\0arm,primecell", VIRT_PL011_BASE, PL011_SIZE,
              VIRT_PL011_SPI, 2);
    char uart_path[48];
    snprintf(uart_path, sizeof uart_path, "/%s", name);

    snprintf(name, sizeof name, "pl031@%x", VIRT_PL031_BASE);
    primecell(&w, name, "arm,pl031\0arm,primecell", sizeof "arm,pl031\0arm,primecell", VIRT_PL031_BASE, PL031_SIZE,
              VIRT_PL031_SPI, 1);

    begin(&w, "chosen");
    prop_str(&w, "stdout-path", uart_path);
    end(&w);

    end(&w); /* the root */
    check(&w, fdt_finish(buf), "end of tree");
    if (w.err != 0) {
        fprintf(stderr, "kaal-sim: cannot build the device tree in %zu bytes (at %s): %s\n", len, w.what,
                fdt_strerror(w.err));
        return w.err;
    }
    return (int)fdt_totalsize(buf);
}
