/*
 * Kernel start-up: the backend describes memory, the core builds the root
 * task's objects (root CNode, TCB, IPC buffer, boot info) from a bump
 * allocation, hands the boot modules over as read-only frames and
 * everything else as Untyped caps.
 */
#ifndef KAAL_CORE_BOOT_H
#define KAAL_CORE_BOOT_H

#include <kaal/core/types.h>

/*
 * A range of memory by kernel address. Device ranges are never touched by
 * the kernel. `zeroed`: the backend promises the RAM reads as zero (fresh
 * memory); otherwise the first Retype from it clears it.
 *
 * `module` (enum kaal_module_kind, 0: none): the range is RAM holding a boot
 * module (the device tree, the component archive) of `size` bytes. It
 * becomes no Untyped: the root task gets it as read-only 4 KiB Frame caps
 * and a line of the boot info. It must start on a 4 KiB boundary and not be
 * device memory; it covers `size` rounded up to whole pages, and those pages
 * must overlap no other region. The kernel never writes to it.
 */
struct boot_region {
    word_t kaddr;
    word_t size;
    bool is_device;
    bool zeroed;
    uint8_t module;
};

enum boot_status {
    BOOT_OK = 0,
    BOOT_NO_MEMORY,       /* no RAM region can hold the root task's objects */
    BOOT_TOO_MANY_REGIONS, /* more untyped blocks than the boot info can list */
    BOOT_BAD_REGION,       /* a region wraps around or overlaps another */
    BOOT_TOO_MANY_MODULES, /* more than KAAL_BOOTINFO_MAX_MODULES modules */
    BOOT_MODULE_MISALIGNED, /* a module does not start on a 4 KiB boundary */
    BOOT_MODULE_DEVICE,     /* a module is marked as device memory */
    BOOT_MODULE_OVERLAP,    /* a module's pages overlap another region */
    BOOT_MODULE_NO_SLOTS,   /* the modules' frames do not fit the root CNode after the untyped caps */
};

/*
 * Build the initial kernel state. Call once; the root thread becomes the
 * current thread. Returns BOOT_OK or the reason, and logs a line on failure.
 */
enum boot_status kernel_boot(const struct boot_region *regions, unsigned count);

/* Human-readable reason for a boot status. */
const char *boot_status_name(enum boot_status status);

#endif
