/*
 * The boot path in C, in the high half with the early tables (mm/kmap.h):
 * find RAM and the PSCI conduit in the device tree, switch to the kernel's
 * final tables, find the GIC and the timer, check that the timer interrupt
 * reaches the GIC, hand the RAM above the kernel image to the core, report,
 * power off. Output goes through the core's kprintf (the console is ours,
 * the formatter the core's).
 *
 * Kernel addresses are linear-map addresses (KERNEL_VBASE + physical); the
 * boot regions handed to kernel_boot are given so. The kernel image is never
 * handed to the core; the device tree (below the kernel, at the start of RAM) goes to
 * it as a boot module, read-only frames for the root task; everything above
 * the image in the RAM range that holds the kernel goes to it as RAM.
 */
#include <stdbool.h>
#include <stdint.h>

#include <kaal/abi/bootinfo.h>
#include <kaal/core/boot.h>
#include <kaal/core/klog.h>
#include <kaal/hal/cpu.h>
#include <kaal/hal/irq.h>
#include <kaal/hal/timer.h>

#include "boot/boot.h"
#include "boot/root.h"
#include "dev/console.h"
#include "dev/gic.h"
#include "dev/psci.h"
#include "dev/timer.h"
#include "lib/fdt.h"
#include "mm/kmap.h"

/* QEMU loads the device tree here for an ELF kernel and passes x0 = 0. */
#define QEMU_VIRT_DTB_ADDR 0x40000000u
/* Linux's arm64 boot protocol caps the device tree at 2 MiB. */
#define DTB_MAX_SIZE (2u << 20)
#define PAGE_SIZE 4096u
/* RAM ranges of the device tree the kernel maps (QEMU virt has one). */
#define MAX_RAM_RANGES 8u

/* The timer self-check: a deadline this far ahead, given up on after the limit. */
#define SELF_CHECK_DELAY_NS 1000000u   /* 1 ms */
#define SELF_CHECK_LIMIT_NS 100000000u /* 100 ms */
/* ...or after this many polls, should the counter itself stand still. */
#define SELF_CHECK_MAX_POLLS 10000000u

static _Noreturn void stop(void)
{
    kprintf("KaaL: cannot boot; stopping the machine\n");
    psci_system_off();
}

static void choose_psci_conduit(const struct fdt *fdt)
{
    const uint8_t *v;
    uint32_t len;
    enum fdt_status st = fdt_get_prop(fdt, "/psci", "method", &v, &len);

    if (st == FDT_OK && fdt_prop_is(v, len, "hvc"))
        psci_set_conduit(PSCI_HVC);
    else if (st == FDT_OK && fdt_prop_is(v, len, "smc"))
        psci_set_conduit(PSCI_SMC);
    else {
        kprintf("KaaL: device tree: no usable /psci method (%s); guessing %s\n",
                   st == FDT_OK ? "neither hvc nor smc" : fdt_status_name(st),
                   psci_conduit_name(psci_get_conduit()));
        return;
    }
    kprintf("KaaL: PSCI by %s\n", psci_conduit_name(psci_get_conduit()));
}

/*
 * The /memory ranges of the device tree, printing each; false, after saying
 * why, if there are none or one is malformed. At most `max`: the rest are
 * named and left out.
 */
static bool read_ram(const struct fdt *fdt, struct kmap_range *ram, unsigned max, unsigned *count)
{
    unsigned ac, sc;
    const uint8_t *reg;
    uint32_t len;
    enum fdt_status st = fdt_root_cells(fdt, &ac, &sc);

    if (st == FDT_OK)
        st = fdt_get_prop(fdt, "/memory", "reg", &reg, &len);
    if (st != FDT_OK) {
        kprintf("KaaL: device tree: no /memory reg: %s\n", fdt_status_name(st));
        return false;
    }
    *count = 0;
    for (unsigned i = 0;; i++) {
        uint64_t a, s;
        st = fdt_reg_entry(reg, len, ac, sc, i, &a, &s);
        if (st == FDT_NOT_FOUND)
            break;
        if (st != FDT_OK || a + s < a) {
            kprintf("KaaL: device tree: bad /memory reg entry %u: %s\n", i,
                       st != FDT_OK ? fdt_status_name(st) : "range wraps around");
            return false;
        }
        kprintf("KaaL: RAM 0x%lx-0x%lx (%lu MiB)\n", a, a + s, s >> 20);
        if (*count == max)
            kprintf("KaaL: more than %u RAM ranges: 0x%lx-0x%lx left out\n", max, a, a + s);
        else
            ram[(*count)++] = (struct kmap_range){a, s};
    }
    if (*count == 0)
        kprintf("KaaL: device tree: /memory lists no RAM\n");
    return *count != 0;
}

/*
 * The device tree as a boot module (KAAL_MODULE_DTB): the root task gets it
 * as read-only frames and the kernel never hands its pages out. Only if it
 * starts on a page, lies in RAM and stays clear of [taken, taken_end): the
 * kernel image and the RAM above it that the core gets (QEMU virt puts it
 * below the image). The kernel rounds its size up to whole pages. False,
 * after saying why, if not.
 */
static bool dtb_module(const struct fdt *fdt, uint64_t dtb, uint64_t taken, uint64_t taken_end,
                       struct boot_region *module)
{
    uint64_t end = dtb + (((uint64_t)fdt->size + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1));
    const char *why = NULL;
    if (dtb & (PAGE_SIZE - 1))
        why = "it does not start on a 4 KiB page";
    else if (!kmap_is_ram(dtb, end - dtb))
        why = "it is not in RAM";
    else if (dtb < taken_end && taken < end)
        why = "its pages overlap the kernel image or the RAM above it";
    if (why != NULL) {
        kprintf("KaaL: the device tree is no boot module: %s\n", why);
        return false;
    }
    *module = (struct boot_region){.kaddr = kmap_kaddr(dtb), .size = fdt->size, .module = KAAL_MODULE_DTB};
    kprintf("KaaL: boot module: device tree 0x%lx-0x%lx (%u bytes), read-only for the root task\n", dtb, end,
            fdt->size);
    return true;
}

/* Is `word` one of the space-separated words of /chosen/bootargs (QEMU's -append)? */
static bool boot_argument(const struct fdt *fdt, const char *word)
{
    const uint8_t *v;
    uint32_t len;
    if (fdt_get_prop(fdt, "/chosen", "bootargs", &v, &len) != FDT_OK)
        return false;
    unsigned n = 0;
    while (word[n] != '\0')
        n++;
    for (uint32_t i = 0; i < len; i++) {
        if (i > 0 && v[i - 1] != ' ')
            continue;
        uint32_t j = 0;
        while (j < n && i + j < len && v[i + j] == (uint8_t)word[j])
            j++;
        if (j == n && (i + j == len || v[i + j] == ' ' || v[i + j] == '\0'))
            return true;
    }
    return false;
}

/*
 * The component table linked into the image (boot/root_image.S) as a boot
 * module (KAAL_MODULE_COMPONENTS): read-only frames for the root task, which
 * checks what is inside. Its pages are the image's own, never the core's.
 * False if the image has none.
 */
static bool components_module(struct boot_region *module)
{
    uint64_t start = kmap_paddr((uintptr_t)aarch64_components), end = kmap_paddr((uintptr_t)aarch64_components_end);
    if (end == start)
        return false;
    *module = (struct boot_region){.kaddr = kmap_kaddr(start), .size = end - start, .module = KAAL_MODULE_COMPONENTS};
    kprintf("KaaL: boot module: component table 0x%lx-0x%lx (%lu bytes), read-only for the root task\n", start,
            (end + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1), end - start);
    return true;
}

/*
 * Devices whose registers the root task gets as device Untyped, by their
 * compatible string: the UART (its console server drives it; the kernel
 * writes its own lines to it too, docs/aarch64.md, "The UART") and the RTC.
 * Not the GIC: the kernel's alone.
 */
static const char *const user_devices[] = {"arm,pl011", "arm,pl031"};
#define MAX_USER_DEVICES (sizeof user_devices / sizeof user_devices[0])

/*
 * The register window of the first node compatible with `compat` as a
 * device region: whole pages, outside RAM, in the root's address space
 * (a node below a bus would need its "ranges"). False, after saying why
 * unless the tree has no such node, if not.
 */
static bool device_region(const struct fdt *fdt, const char *compat, const struct kmap_range *ram, unsigned nram,
                          struct boot_region *region)
{
    struct fdt_node node;
    enum fdt_status st = fdt_find_compatible(fdt, compat, &node);
    if (st == FDT_NOT_FOUND)
        return false;
    unsigned ac = 0, sc = 0;
    const uint8_t *reg = NULL;
    uint32_t len = 0;
    uint64_t base = 0, size = 0;
    if (st == FDT_OK && node.depth != 1)
        st = FDT_ERR_VALUE;
    if (st == FDT_OK)
        st = fdt_node_cells(fdt, node.parent_off, &ac, &sc);
    if (st == FDT_OK)
        st = fdt_node_prop(fdt, node.off, "reg", &reg, &len);
    if (st == FDT_OK)
        st = fdt_reg_entry(reg, len, ac, sc, 0, &base, &size);
    uint64_t start = base & ~(uint64_t)(PAGE_SIZE - 1), end = (base + size + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
    bool ok = st == FDT_OK && size != 0 && end > start && end <= KMAP_PHYS_LIMIT;
    for (unsigned i = 0; ok && i < nram; i++)
        ok = end <= ram[i].base || ram[i].base + ram[i].size <= start;
    if (!ok) {
        kprintf("KaaL: device tree: %s: no usable register window (%s); the root task does not get it\n", compat,
                st != FDT_OK ? fdt_status_name(st) : "empty, in RAM or beyond the linear map");
        return false;
    }
    *region = (struct boot_region){.kaddr = kmap_kaddr(start), .size = end - start, .is_device = true};
    kprintf("KaaL: device memory for the root task: %s 0x%lx-0x%lx\n", compat, start, end);
    return true;
}

/*
 * The idle path: hal_cpu_idle waits in WFI with IRQs unmasked; the timer's
 * interrupt is taken at EL1 (vectors.S, el1_irq), which returns into
 * hal_cpu_idle with IRQs masked again, and the line is then pending for the
 * kernel to take. Checks that it returns, not before the deadline, with the
 * timer's line pending.
 */
static void idle_self_check(unsigned line)
{
    uint64_t t0 = hal_timer_now_ns(), deadline = t0 + SELF_CHECK_DELAY_NS;
    unsigned wakes = 0, pending = HAL_IRQ_NONE;
    hal_timer_set_deadline_ns(deadline);
    /* A WFI may also end without an interrupt; each such wake is counted and the wait goes on. */
    while (pending == HAL_IRQ_NONE && wakes < 100 && hal_timer_now_ns() - t0 < SELF_CHECK_LIMIT_NS) {
        hal_cpu_idle();
        wakes++;
        pending = hal_irq_pending();
    }
    uint64_t now = hal_timer_now_ns();
    hal_timer_cancel();
    if (pending != HAL_IRQ_NONE)
        hal_irq_ack(pending);
    if (pending != line || now < deadline)
        kprintf("KaaL: idle self-check FAILED: after %u wakes and %lu us, pending line %u\n", wakes,
                (now - t0) / 1000, pending);
    else
        kprintf("KaaL: idle self-check passed (WFI woken by line %u after %lu us, %u wake)\n", line,
                (now - t0) / 1000, wakes);
}

/*
 * Prove that the timer and the GIC work together: arm a deadline, poll
 * hal_irq_pending() (as the kernel does at its preemption points, with
 * interrupts masked at the CPU) until the timer's line shows, check that a
 * second call still gives it, then cancel and ack it as the kernel would
 * (the kernel re-arms instead of cancelling), and check that nothing is left
 * pending.
 * It runs before kernel_boot, which arms the first tick. Any failure prints a line with "self-check FAILED" (the qemu tests
 * fail on it).
 */
static void timer_self_check(void)
{
    if (hal_irq_count() == 0) {
        kprintf("KaaL: timer self-check skipped: no interrupt controller\n");
        return;
    }
    uint64_t t0 = hal_timer_now_ns();
    uint64_t deadline = t0 + SELF_CHECK_DELAY_NS, now = t0;
    unsigned line = HAL_IRQ_NONE, polls = 0;

    hal_timer_set_deadline_ns(deadline);
    while (line == HAL_IRQ_NONE && now - t0 < SELF_CHECK_LIMIT_NS &&
           polls < SELF_CHECK_MAX_POLLS) {
        line = hal_irq_pending();
        now = hal_timer_now_ns();
        polls++;
        if (line != HAL_IRQ_NONE && !hal_irq_is_timer(line)) {
            kprintf("KaaL: timer self-check: line %u pending instead: masked\n", line);
            hal_irq_disable(line);
            hal_irq_ack(line);
            line = HAL_IRQ_NONE;
        }
    }
    hal_timer_cancel();
    if (line == HAL_IRQ_NONE) {
        kprintf("KaaL: timer self-check FAILED: no timer interrupt after %lu us (%u polls)\n",
                (now - t0) / 1000, polls);
        return;
    }
    kprintf("KaaL: timer interrupt pending on line %u after %lu us\n", line, (now - t0) / 1000);
    bool ok = true;
    /* Acknowledged but not yet acked: asked again, the GIC driver must give
     * the same line, even though the cancelled timer no longer drives it. */
    unsigned again = hal_irq_pending();
    if (again != line) {
        kprintf("KaaL: timer self-check FAILED: asked again before the ack, pending is %u\n",
                again);
        ok = false;
    }
    hal_irq_ack(line);
    if (now < deadline) {
        kprintf("KaaL: timer self-check FAILED: pending %lu ns before the deadline\n",
                deadline - now);
        ok = false;
    }
    unsigned after = hal_irq_pending();
    if (after != HAL_IRQ_NONE) {
        kprintf("KaaL: timer self-check FAILED: line %u pending after cancel and ack\n", after);
        hal_irq_disable(after);
        hal_irq_ack(after);
        ok = false;
    }
    if (ok)
        kprintf("KaaL: timer self-check passed (%u polls, line clear after cancel and ack)\n",
                polls);
    idle_self_check(line);
}

_Noreturn void aarch64_boot(uint64_t x0, unsigned entry_el)
{
    /* Until the device tree says otherwise (see psci.c). */
    psci_set_conduit(entry_el == 2 ? PSCI_SMC : PSCI_HVC);

    kprintf("\nKaaL aarch64: booting on QEMU virt\n");
    kprintf("KaaL: entered at EL%u, kernel runs at EL1\n", entry_el);

    uint64_t kstart = kmap_paddr((uintptr_t)__kernel_start), kend = kmap_paddr((uintptr_t)__kernel_end);
    uint64_t dtb = x0 ? x0 : QEMU_VIRT_DTB_ADDR;
    uint64_t avail = DTB_MAX_SIZE;
    if (dtb < kstart && kstart - dtb < avail)
        avail = kstart - dtb; /* never read the kernel image as device tree */
    uint64_t gib_end = (dtb | (KMAP_GIB - 1)) + 1;
    if (gib_end > dtb && gib_end - dtb < avail)
        avail = gib_end - dtb; /* the early tables map whole GiBs */
    if (!kmap_early_covers(dtb, avail)) {
        kprintf("KaaL: no valid device tree at 0x%lx: not in RAM between 1 GiB and 512 GiB\n", dtb);
        stop();
    }

    struct fdt fdt;
    enum fdt_status st = fdt_open(&fdt, (const void *)(uintptr_t)kmap_kaddr(dtb), avail);
    if (st != FDT_OK) {
        kprintf("KaaL: no valid device tree at 0x%lx: %s\n", dtb, fdt_status_name(st));
        stop();
    }
    kprintf("KaaL: device tree at 0x%lx, %u bytes\n", dtb, fdt.size);
    choose_psci_conduit(&fdt);

    struct kmap_range ram[MAX_RAM_RANGES];
    unsigned nram;
    if (!read_ram(&fdt, ram, MAX_RAM_RANGES, &nram) || !kmap_init(ram, nram))
        stop();
    /* From here on only the final tables map anything: the device tree must be in their RAM. */
    if (!kmap_is_ram(dtb, fdt.size)) {
        kprintf("KaaL: the device tree 0x%lx-0x%lx is not in mapped RAM\n", dtb, dtb + fdt.size);
        stop();
    }

    struct kmap_range home;
    if (!kmap_ram_range(kstart, &home)) {
        kprintf("KaaL: the kernel image 0x%lx-0x%lx is in no RAM range of the device tree\n", kstart, kend);
        stop();
    }
    uint64_t ram_end = home.base + home.size;
    uint64_t free_start = (kend + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
    if (free_start >= ram_end) {
        kprintf("KaaL: no RAM left above the kernel image\n");
        stop();
    }
    kprintf("KaaL: kernel image 0x%lx-0x%lx; RAM for the core 0x%lx-0x%lx (%lu KiB)\n", kstart,
               kend, free_start, ram_end, (ram_end - free_start) >> 10);

    /* The root task's image, stack and tables come off the bottom, before the core gets the rest. */
    uint64_t core_start = free_start;
    if (root_task_present() && !root_reserve(free_start, ram_end, &core_start))
        stop();

    /* The RAM above the image; the device tree and the component table as boot modules; device memory. */
    struct boot_region regions[3 + MAX_USER_DEVICES] = {{.kaddr = kmap_kaddr(core_start), .size = ram_end - core_start}};
    unsigned count = 1;
    if (dtb_module(&fdt, dtb, kstart, ram_end, &regions[count]))
        count++;
    if (components_module(&regions[count]))
        count++;
    for (unsigned i = 0; i < MAX_USER_DEVICES; i++) {
        if (device_region(&fdt, user_devices[i], ram, nram, &regions[count]))
            count++;
    }

    /* kernel_boot asks for the line count and arms the first tick. */
    gic_init(&fdt);
    timer_init(&fdt);
    timer_self_check();

    enum boot_status bs = kernel_boot(regions, count);
    if (bs != BOOT_OK) {
        kprintf("KaaL: kernel_boot failed: %s\n", boot_status_name(bs));
        stop();
    }
    kprintf("KaaL: kernel_boot ok (%s)\n", boot_status_name(bs));
    if (!root_task_present()) {
        kprintf("KaaL: no root task in this image, power off\n");
        psci_system_off();
    }
    if (!root_start())
        stop();
    if (!boot_argument(&fdt, "kaal.log_rejections")) {
        kprintf("KaaL: from here on the rejection lines of a debug kernel are muted (boot argument "
                "kaal.log_rejections shows them)\n");
        console_mute_rejections(true);
    }
    kprintf("KaaL: boot took %lu us; starting the root task at EL0\n", hal_timer_now_ns() / 1000);
    hal_return_to_user();
}
