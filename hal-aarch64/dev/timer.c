/*
 * Time from the Arm generic timer: the clock is the virtual count
 * (CNTVCT_EL0, which equals the physical count: start.S zeroes CNTVOFF_EL2
 * when it enters at EL2), the deadline is the EL1 virtual timer (CNTV_CVAL_EL0
 * compare value, CNTV_CTL_EL0 ENABLE/IMASK), whose output is a level PPI
 * at the GIC: PPI 11, INTID 27, on QEMU virt and per the Server Base System
 * Architecture; the device tree's "arm,armv8-timer" says which.
 *
 * Conversions between counter ticks and nanoseconds split a value into
 * whole seconds and a remainder, so no product overflows 64 bits for any
 * frequency up to TIMER_MAX_HZ: the clock runs for 584 years before its
 * nanoseconds wrap.
 */
#include <stdbool.h>
#include <stdint.h>

#include <kaal/core/klog.h>
#include <kaal/hal/irq.h>
#include <kaal/hal/timer.h>

#include "dev/gic.h"
#include "dev/timer.h"
#include "lib/fdt.h"

#define NS_PER_S 1000000000u
#define TIMER_MAX_HZ 10000000000u    /* (TIMER_MAX_HZ - 1) * NS_PER_S < 2^64 */
#define TIMER_FALLBACK_HZ 62500000u  /* QEMU's, if nothing says otherwise */
#define TIMER_VIRT_INTID_DEFAULT 27u /* PPI 11 */
#define TIMER_DT_VIRT_INDEX 2u       /* interrupts: secure phys, phys, virt, hyp */
#define TIMER_DT_CELLS 3u            /* per interrupt, the arm,gic binding */

#define CNTKCTL_EL0VCTEN 2u
#define CNTV_CTL_ENABLE 1u
#define CNTV_CTL_IMASK 2u

static uint64_t freq = TIMER_FALLBACK_HZ;
static unsigned timer_line = TIMER_VIRT_INTID_DEFAULT;

static uint64_t read_cntvct(void)
{
    uint64_t v;
    /* The ISB keeps the read from being taken early, out of program order. */
    __asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v)::"memory");
    return v;
}

static void write_cntv(uint64_t cval, uint64_t ctl)
{
    __asm__ volatile("msr cntv_cval_el0, %0\n\tmsr cntv_ctl_el0, %1\n\tisb"
                     :
                     : "r"(cval), "r"(ctl)
                     : "memory");
}

/* The virtual timer's INTID from the device tree, or why not. */
static const char *dt_timer_line(const struct fdt *f, unsigned *line)
{
    struct fdt_node node;
    const uint8_t *v;
    uint32_t len, type, number;

    if (fdt_find_compatible(f, "arm,armv8-timer", &node) != FDT_OK)
        return "no arm,armv8-timer node";
    if (fdt_node_prop(f, node.off, "interrupts", &v, &len) != FDT_OK)
        return "no interrupts property";
    if (len % (4 * TIMER_DT_CELLS) ||
        fdt_cell(v, len, TIMER_DT_VIRT_INDEX * TIMER_DT_CELLS, &type) != FDT_OK ||
        fdt_cell(v, len, TIMER_DT_VIRT_INDEX * TIMER_DT_CELLS + 1, &number) != FDT_OK)
        return "interrupts property is not 3-cell GIC specifiers with a virtual timer entry";
    unsigned l = gic_intid_from_dt(type, number);
    if (l == HAL_IRQ_NONE)
        return "virtual timer interrupt is not a GIC PPI or SPI";
    *line = l;
    return NULL;
}

void timer_init(const struct fdt *f)
{
    uint64_t hz;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(hz));
    write_cntv(0, CNTV_CTL_IMASK); /* stopped, whatever a boot loader left */
    /* EL0 may read the virtual counter and its frequency (a clock for user code, as Linux's vDSO
     * gives), not the physical counter nor either timer. */
    __asm__ volatile("msr cntkctl_el1, %0\n\tisb" ::"r"((uint64_t)CNTKCTL_EL0VCTEN));

    if (hz == 0 || hz > TIMER_MAX_HZ) {
        kprintf("KaaL: CNTFRQ_EL0 = %lu Hz is unusable: assuming %lu Hz\n", hz,
                (uint64_t)TIMER_FALLBACK_HZ);
        hz = TIMER_FALLBACK_HZ;
    }
    freq = hz;

    const char *why = dt_timer_line(f, &timer_line);
    if (why) {
        timer_line = TIMER_VIRT_INTID_DEFAULT;
        kprintf("KaaL: device tree: %s: virtual timer on line %u by default\n", why, timer_line);
    }
    kprintf("KaaL: generic timer %lu Hz, virtual timer on line %u\n", freq, timer_line);
}

uint64_t hal_timer_now_ns(void)
{
    uint64_t c = read_cntvct();
    return c / freq * NS_PER_S + c % freq * NS_PER_S / freq;
}

/* The first counter value at which hal_timer_now_ns() >= ns (rounded up), or
 * UINT64_MAX (never, for 584 years) if beyond the counter's range. */
static uint64_t ns_to_ticks(uint64_t ns)
{
    uint64_t s = ns / NS_PER_S, r = ns % NS_PER_S;
    if (s > UINT64_MAX / freq)
        return UINT64_MAX;
    uint64_t whole = s * freq;
    uint64_t part = (r * freq + NS_PER_S - 1) / NS_PER_S;
    return whole > UINT64_MAX - part ? UINT64_MAX : whole + part;
}

void hal_timer_set_deadline_ns(uint64_t when)
{
    /* A deadline already past fires at once: the timer condition is
     * CNTVCT >= CVAL, a level, not an edge at equality. */
    write_cntv(ns_to_ticks(when), CNTV_CTL_ENABLE);
    hal_irq_enable(timer_line);
}

void hal_timer_cancel(void)
{
    /* Disabled: the output drops, so the (level) line stops pending. */
    write_cntv(0, CNTV_CTL_IMASK);
}

bool hal_irq_is_timer(unsigned line)
{
    return line == timer_line;
}
