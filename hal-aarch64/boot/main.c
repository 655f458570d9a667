/*
 * The boot path in C: find RAM and the PSCI conduit in the device tree,
 * hand the RAM above the kernel image to the core, report, power off.
 *
 * Memory is used by physical address (the MMU is off in this first cut), so
 * a kernel address is a physical one. The device tree (below the kernel, at
 * the start of RAM) and the kernel image itself are never handed to the
 * core; everything else of the RAM range that holds the kernel is.
 */
#include <stdbool.h>
#include <stdint.h>

#include <kaal/core/boot.h>

#include "boot/boot.h"
#include "dev/psci.h"
#include "lib/fdt.h"
#include "lib/print.h"

/* QEMU loads the device tree here for an ELF kernel and passes x0 = 0. */
#define QEMU_VIRT_DTB_ADDR 0x40000000u
/* Linux's arm64 boot protocol caps the device tree at 2 MiB. */
#define DTB_MAX_SIZE (2u << 20)
#define PAGE_SIZE 4096u

static _Noreturn void stop(void)
{
    con_puts("KaaL: cannot boot; stopping the machine\n");
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
        con_printf("KaaL: device tree: no usable /psci method (%s); guessing %s\n",
                   st == FDT_OK ? "neither hvc nor smc" : fdt_status_name(st),
                   psci_conduit_name(psci_get_conduit()));
        return;
    }
    con_printf("KaaL: PSCI by %s\n", psci_conduit_name(psci_get_conduit()));
}

/*
 * The end of the /memory range that holds [kstart, kend), printing every
 * range on the way. False, after saying why, if the device tree has none.
 */
static bool find_kernel_ram(const struct fdt *fdt, uint64_t kstart, uint64_t kend, uint64_t *end)
{
    unsigned ac, sc;
    const uint8_t *reg;
    uint32_t len;
    enum fdt_status st = fdt_root_cells(fdt, &ac, &sc);

    if (st == FDT_OK)
        st = fdt_get_prop(fdt, "/memory", "reg", &reg, &len);
    if (st != FDT_OK) {
        con_printf("KaaL: device tree: no /memory reg: %s\n", fdt_status_name(st));
        return false;
    }
    bool found = false;
    for (unsigned i = 0;; i++) {
        uint64_t a, s;
        st = fdt_reg_entry(reg, len, ac, sc, i, &a, &s);
        if (st == FDT_NOT_FOUND)
            break;
        if (st != FDT_OK || a + s < a) {
            con_printf("KaaL: device tree: bad /memory reg entry %u: %s\n", i,
                       st != FDT_OK ? fdt_status_name(st) : "range wraps around");
            return false;
        }
        con_printf("KaaL: RAM 0x%lx-0x%lx (%lu MiB)\n", a, a + s, s >> 20);
        if (!found && a <= kstart && kend <= a + s) {
            *end = a + s;
            found = true;
        }
    }
    if (!found)
        con_printf("KaaL: the kernel image 0x%lx-0x%lx is in no RAM range of the device tree\n",
                   kstart, kend);
    return found;
}

_Noreturn void aarch64_boot(uint64_t x0, unsigned entry_el)
{
    /* Until the device tree says otherwise (see psci.c). */
    psci_set_conduit(entry_el == 2 ? PSCI_SMC : PSCI_HVC);

    con_puts("\nKaaL aarch64: booting on QEMU virt\n");
    con_printf("KaaL: entered at EL%u, kernel runs at EL1\n", entry_el);

    uint64_t kstart = (uintptr_t)__kernel_start, kend = (uintptr_t)__kernel_end;
    uint64_t dtb = x0 ? x0 : QEMU_VIRT_DTB_ADDR;
    uint64_t avail = DTB_MAX_SIZE;
    if (dtb < kstart && kstart - dtb < avail)
        avail = kstart - dtb; /* never read the kernel image as device tree */

    struct fdt fdt;
    enum fdt_status st = fdt_open(&fdt, (const void *)(uintptr_t)dtb, avail);
    if (st != FDT_OK) {
        con_printf("KaaL: no valid device tree at 0x%lx: %s\n", dtb, fdt_status_name(st));
        stop();
    }
    con_printf("KaaL: device tree at 0x%lx, %u bytes\n", dtb, fdt.size);
    choose_psci_conduit(&fdt);

    uint64_t ram_end;
    if (!find_kernel_ram(&fdt, kstart, kend, &ram_end))
        stop();
    uint64_t free_start = (kend + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
    if (free_start >= ram_end) {
        con_puts("KaaL: no RAM left above the kernel image\n");
        stop();
    }
    struct boot_region ram = {.kaddr = free_start, .size = ram_end - free_start, .is_device = false};
    con_printf("KaaL: kernel image 0x%lx-0x%lx; RAM for the core 0x%lx-0x%lx (%lu KiB)\n", kstart,
               kend, free_start, ram_end, ram.size >> 10);

    enum boot_status bs = kernel_boot(&ram, 1);
    if (bs == BOOT_OK)
        con_printf("KaaL: kernel_boot ok (%s)\n", boot_status_name(bs));
    else
        con_printf("KaaL: kernel_boot failed: %s\n", boot_status_name(bs));

    con_puts("KaaL: power off\n");
    psci_system_off();
}
