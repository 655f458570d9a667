/*
 * Kernel start-up: the backend describes memory, the core builds the root
 * task's objects (root CNode, TCB, IPC buffer, boot info) from a bump
 * allocation and hands everything else over as Untyped caps.
 */
#ifndef KAAL_CORE_BOOT_H
#define KAAL_CORE_BOOT_H

#include <kaal/core/types.h>

/*
 * A range of memory by kernel address. Device ranges are never touched by
 * the kernel. `zeroed`: the backend promises the RAM reads as zero (fresh
 * memory); otherwise the first Retype from it clears it.
 */
struct boot_region {
    word_t kaddr;
    word_t size;
    bool is_device;
    bool zeroed;
};

enum boot_status {
    BOOT_OK = 0,
    BOOT_NO_MEMORY,       /* no RAM region can hold the root task's objects */
    BOOT_TOO_MANY_REGIONS, /* more untyped blocks than the boot info can list */
    BOOT_BAD_REGION,       /* a region wraps around or overlaps another */
};

/*
 * Build the initial kernel state. Call once; the root thread becomes the
 * current thread. Returns BOOT_OK or the reason, and logs a line on failure.
 */
enum boot_status kernel_boot(const struct boot_region *regions, unsigned count);

/* Human-readable reason for a boot status. */
const char *boot_status_name(enum boot_status status);

#endif
