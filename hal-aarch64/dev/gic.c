/*
 * GICv2 (Arm IHI 0048B): distributor and CPU interface, memory-mapped at the
 * addresses of the device tree's "arm,cortex-a15-gic" node (QEMU virt:
 * 0x08000000 and 0x08010000).
 *
 * QEMU virt's GICv2 has no Security Extensions unless the machine runs
 * secure firmware (secure=on, which this kernel refuses), so every line is
 * in the one group, signalled as IRQ. Interrupts stay masked at the CPU
 * (DAIF.I): the kernel polls hal_irq_pending at its preemption points.
 *
 * Acknowledge protocol. GICv2 ends an interrupt by writing GICC_EOIR with
 * the value a read of GICC_IAR returned; the IAR read is what moves the line
 * from pending to active (and, for an edge-triggered line, consumes the
 * edge). The contract splits this into hal_irq_pending ("which line?",
 * possibly asked several times, e.g. once at a preemption point and again
 * where the kernel handles it) and hal_irq_ack(line) once it is handled. So:
 *   - hal_irq_pending reads GICC_HPPIR (no side effects); if a line is
 *     pending it reads GICC_IAR, and keeps the acknowledged INTID ("held")
 *     with the raw IAR value. While a line is held every later call returns
 *     it without touching the GIC, so asking twice gives the same line, and
 *     an acknowledged line is never dropped: it stays the answer until the
 *     kernel acks it.
 *   - hal_irq_ack(line) writes GICC_EOIR for the held line (EOImode 0:
 *     priority drop and deactivation at once). An ack of a line that is not
 *     held is ignored: EOIR of a line that is not active is UNPREDICTABLE.
 * If the IAR read finds nothing after all (the line stopped being pending
 * between the two reads: it returns the spurious INTID 1023), the answer is
 * HAL_IRQ_NONE and nothing is held.
 * One CPU, interrupts masked: no locking.
 */
#include <stdbool.h>
#include <stdint.h>

#include <kaal/core/klog.h>
#include <kaal/hal/irq.h>
#include <kaal/hal/mmio.h>

#include "dev/gic.h"
#include "mm/kmap.h"
#include "lib/fdt.h"

/* Distributor registers (offsets from GICD). */
#define GICD_CTLR 0x000
#define GICD_TYPER 0x004
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_ICPENDR 0x280
#define GICD_ICACTIVER 0x380
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR 0x800
#define GICD_ICFGR 0xc00

#define GICD_CTLR_ENABLE 1u
#define GICD_TYPER_ITLINES(t) ((t) & 0x1fu)

/* CPU interface registers (offsets from GICC). */
#define GICC_CTLR 0x00
#define GICC_PMR 0x04
#define GICC_BPR 0x08
#define GICC_IAR 0x0c
#define GICC_EOIR 0x10
#define GICC_HPPIR 0x18

#define GICC_CTLR_ENABLE 1u /* EnableGrp0; FIQEn = 0: signalled as IRQ; EOImode = 0 */
#define GICC_INTID(v) ((v) & 0x3ffu)

#define GIC_FIRST_PPI 16u
#define GIC_FIRST_SPI 32u
#define GIC_MAX_LINES 1020u /* INTIDs 1020..1023 are special (1023: spurious) */
/* One priority for every line, so none preempts another (it could not: IRQs
 * are masked); anything below the mask 0xff is signalled. */
#define GIC_PRIORITY 0xa0u
#define GIC_PRIORITY_MASK 0xffu

/* Minimum register window sizes: the registers used here lie below these. */
#define GICD_MIN_SIZE 0x1000u
#define GICC_MIN_SIZE 0x1000u

static uintptr_t gicd, gicc;
static unsigned nlines; /* 0 until a GICv2 is initialised */
static unsigned held = HAL_IRQ_NONE;
static uint32_t held_iar;

static const char *const gicv2_compatible[] = {
    "arm,cortex-a15-gic", /* QEMU virt */
    "arm,gic-400",
    "arm,cortex-a7-gic",
    "arm,cortex-a9-gic",
};

/* The distributor and CPU interface of the first usable GICv2 node; false
 * after saying why if there is none. */
static bool find_gicv2(const struct fdt *f, uint64_t *dist, uint64_t *cpu)
{
    struct fdt_node node;
    enum fdt_status st = FDT_NOT_FOUND;
    const char *compat = NULL;

    for (unsigned i = 0; i < sizeof gicv2_compatible / sizeof gicv2_compatible[0]; i++) {
        st = fdt_find_compatible(f, gicv2_compatible[i], &node);
        if (st != FDT_NOT_FOUND) {
            compat = gicv2_compatible[i];
            break;
        }
    }
    if (st == FDT_NOT_FOUND) {
        kprintf("KaaL: no GICv2 in the device tree (GICv3 is not supported): "
                "no interrupt lines\n");
        return false;
    }
    if (st != FDT_OK) {
        kprintf("KaaL: device tree: looking for a GICv2: %s: no interrupt lines\n",
                fdt_status_name(st));
        return false;
    }
    /* reg is in the parent's address space; only the root's maps 1:1 onto
     * physical addresses without reading "ranges". */
    if (node.depth != 1) {
        kprintf("KaaL: device tree: the %s node is below a bus node (not supported): "
                "no interrupt lines\n", compat);
        return false;
    }
    unsigned ac, sc;
    const uint8_t *reg;
    uint32_t len;
    uint64_t dsize, csize;
    st = fdt_node_cells(f, node.parent_off, &ac, &sc);
    if (st == FDT_OK)
        st = fdt_node_prop(f, node.off, "reg", &reg, &len);
    if (st == FDT_OK)
        st = fdt_reg_entry(reg, len, ac, sc, 0, dist, &dsize);
    if (st == FDT_OK)
        st = fdt_reg_entry(reg, len, ac, sc, 1, cpu, &csize);
    if (st != FDT_OK) {
        kprintf("KaaL: device tree: %s reg: %s: no interrupt lines\n", compat,
                fdt_status_name(st));
        return false;
    }
    if (dsize < GICD_MIN_SIZE || csize < GICC_MIN_SIZE || *dist == 0 || *cpu == 0 ||
        *dist > UINTPTR_MAX - dsize || *cpu > UINTPTR_MAX - csize) {
        kprintf("KaaL: device tree: %s reg 0x%lx+0x%lx, 0x%lx+0x%lx is unusable: "
                "no interrupt lines\n", compat, *dist, dsize, *cpu, csize);
        return false;
    }
    return true;
}

/* This CPU's bit in ITARGETSR: the banked ITARGETSR0..7 read as it. A
 * uniprocessor GIC reads them as zero (and ignores target writes). */
static uint32_t own_target_mask(void)
{
    uint32_t mask = 0;
    for (unsigned i = 0; i < GIC_FIRST_SPI; i += 4) {
        uint32_t v = hal_mmio_read32(gicd + GICD_ITARGETSR + i);
        mask |= v | v >> 8 | v >> 16 | v >> 24;
    }
    mask &= 0xffu;
    return mask ? mask : 1u;
}

void gic_init(const struct fdt *f)
{
    uint64_t dist, cpu;

    nlines = 0;
    held = HAL_IRQ_NONE;
    if (!find_gicv2(f, &dist, &cpu))
        return;
    gicd = kmap_device(dist, GICD_MIN_SIZE);
    gicc = kmap_device(cpu, GICC_MIN_SIZE);
    if (gicd == 0 || gicc == 0) {
        kprintf("KaaL: GICv2 registers cannot be mapped: no interrupt lines\n");
        return;
    }

    /* Nothing is forwarded while the distributor is set up. */
    hal_mmio_write32(gicd + GICD_CTLR, 0);
    hal_mmio_write32(gicc + GICC_CTLR, 0);

    unsigned n = (GICD_TYPER_ITLINES(hal_mmio_read32(gicd + GICD_TYPER)) + 1) * 32;
    if (n > GIC_MAX_LINES)
        n = GIC_MAX_LINES;

    for (unsigned i = 0; i < n; i += 32) {
        hal_mmio_write32(gicd + GICD_ICENABLER + i / 8, 0xffffffffu);
        hal_mmio_write32(gicd + GICD_ICPENDR + i / 8, 0xffffffffu);
        hal_mmio_write32(gicd + GICD_ICACTIVER + i / 8, 0xffffffffu);
    }
    uint32_t prio = GIC_PRIORITY * 0x01010101u;
    for (unsigned i = 0; i < n; i += 4)
        hal_mmio_write32(gicd + GICD_IPRIORITYR + i, prio);
    uint32_t targets = own_target_mask() * 0x01010101u;
    for (unsigned i = GIC_FIRST_SPI; i < n; i += 4)
        hal_mmio_write32(gicd + GICD_ITARGETSR + i, targets);
    /* SPIs level-triggered (Linux's default too); the PPIs' configuration is
     * fixed by the hardware. The contract has no trigger setting yet. */
    for (unsigned i = GIC_FIRST_SPI; i < n; i += 16)
        hal_mmio_write32(gicd + GICD_ICFGR + i / 4, 0);

    hal_mmio_write32(gicd + GICD_CTLR, GICD_CTLR_ENABLE);
    hal_mmio_write32(gicc + GICC_PMR, GIC_PRIORITY_MASK);
    hal_mmio_write32(gicc + GICC_BPR, 0);
    hal_mmio_write32(gicc + GICC_CTLR, GICC_CTLR_ENABLE);
    nlines = n;
    kprintf("KaaL: GICv2: distributor 0x%lx, CPU interface 0x%lx, %u lines\n", dist, cpu, n);
}

unsigned gic_intid_from_dt(uint32_t type, uint32_t number)
{
    if (type == 1 && number < GIC_FIRST_SPI - GIC_FIRST_PPI)
        return GIC_FIRST_PPI + number;
    if (type == 0 && number < GIC_MAX_LINES - GIC_FIRST_SPI)
        return GIC_FIRST_SPI + number;
    return HAL_IRQ_NONE;
}

unsigned hal_irq_count(void)
{
    return nlines;
}

void hal_irq_enable(unsigned line)
{
    if (line < nlines)
        hal_mmio_write32(gicd + GICD_ISENABLER + (line / 32) * 4, 1u << (line % 32));
}

void hal_irq_disable(unsigned line)
{
    if (line < nlines)
        hal_mmio_write32(gicd + GICD_ICENABLER + (line / 32) * 4, 1u << (line % 32));
}

unsigned hal_irq_pending(void)
{
    if (nlines == 0)
        return HAL_IRQ_NONE;
    if (held != HAL_IRQ_NONE)
        return held;
    if (GICC_INTID(hal_mmio_read32(gicc + GICC_HPPIR)) >= GIC_MAX_LINES)
        return HAL_IRQ_NONE;
    uint32_t iar = hal_mmio_read32(gicc + GICC_IAR);
    if (GICC_INTID(iar) >= GIC_MAX_LINES)
        return HAL_IRQ_NONE; /* spurious: it stopped pending since the HPPIR read */
    held = GICC_INTID(iar);
    held_iar = iar;
    return held;
}

void hal_irq_ack(unsigned line)
{
    if (nlines == 0 || held == HAL_IRQ_NONE || line != held)
        return;
    hal_mmio_write32(gicc + GICC_EOIR, held_iar);
    held = HAL_IRQ_NONE;
}
