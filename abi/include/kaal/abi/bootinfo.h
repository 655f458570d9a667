/*
 * Boot information handed to the root task (docs/ABI.md, "Boot").
 *
 * The root task starts with a CSpace whose root CNode has
 * 2^KAAL_ROOT_CNODE_RADIX slots and a guard that makes any 64-bit CPtr
 * resolve in one level. The fixed slots below hold its own objects; the
 * untyped caps follow from bootinfo.untyped.start, then the read-only frames
 * of the boot modules, then the free slots.
 */
#ifndef KAAL_ABI_BOOTINFO_H
#define KAAL_ABI_BOOTINFO_H

#include <kaal/abi/types.h>

#define KAAL_ROOT_CNODE_RADIX 12u

enum kaal_root_slot {
    KAAL_ROOT_SLOT_NULL = 0,
    KAAL_ROOT_SLOT_TCB = 1,
    KAAL_ROOT_SLOT_CNODE = 2,
    KAAL_ROOT_SLOT_IPC_BUFFER = 3,
    KAAL_ROOT_SLOT_BOOTINFO = 4,
    KAAL_ROOT_SLOT_IRQ_CONTROL = 5,
    KAAL_ROOT_SLOT_VSPACE = 6, /* the root task's address space (also in its TCB) */
    KAAL_ROOT_SLOT_MACHINE = 7, /* the machine: power off */
    KAAL_ROOT_SLOT_FIRST_FREE = 16,
};

#define KAAL_BOOTINFO_MAX_UNTYPED 128u
#define KAAL_BOOTINFO_MAX_MODULES 8u

/*
 * Kinds of boot module: memory the backend loaded for the root task (the
 * kernel passes the kind through and never reads the bytes).
 */
enum kaal_module_kind {
    KAAL_MODULE_DTB = 1,        /* the flattened device tree the machine booted with */
    KAAL_MODULE_COMPONENTS = 2, /* the system image's component table or archive */
};

struct kaal_slot_range {
    kaal_word_t start; /* first slot */
    kaal_word_t end;   /* one past the last slot */
};

struct kaal_untyped_desc {
    kaal_word_t paddr;
    uint8_t size_bits;
    uint8_t is_device;
    uint8_t padding[6];
};

/*
 * A boot module: `size` bytes at physical address `paddr` (page-aligned),
 * readable through the 4 KiB Frame caps (rights KAAL_RIGHT_READ) in root
 * slots frames.start..frames.end - 1, in address order: frame i holds bytes
 * i * 4096 .. i * 4096 + 4095. The last frame's bytes past `size` are
 * whatever the backend left there.
 */
struct kaal_boot_module {
    kaal_word_t kind; /* enum kaal_module_kind */
    kaal_word_t size; /* bytes */
    kaal_word_t paddr;
    struct kaal_slot_range frames;
};

struct kaal_bootinfo {
    kaal_word_t magic; /* KAAL_BOOTINFO_MAGIC */
    struct kaal_slot_range untyped;
    struct kaal_slot_range empty;
    struct kaal_untyped_desc untyped_list[KAAL_BOOTINFO_MAX_UNTYPED];
    kaal_word_t module_count; /* entries of modules[] in use, in the order the backend gave them */
    struct kaal_boot_module modules[KAAL_BOOTINFO_MAX_MODULES];
};

#define KAAL_BOOTINFO_MAGIC 0x4b61614c426f6f74ull /* "KaaLBoot" */

#endif
