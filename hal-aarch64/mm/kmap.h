/*
 * The kernel's own address space (TTBR1_EL1): the linear map.
 *
 * Every kernel address is KERNEL_VBASE + the physical address: RAM (the
 * kernel image among it) is mapped there as Normal write-back memory, and
 * the few device registers the kernel itself uses (UART, GIC) as
 * Device-nGnRE at the same offset. The kernel image is linked at
 * KERNEL_VBASE + its load address, so it lies inside the linear map.
 *
 * Boot builds the translation in two steps:
 *   1. aarch64_mmu_early (start.S calls it with the MMU off): 1 GiB blocks
 *      for the kernel's GiB and the device tree's, Device for GiB 0, in
 *      one level-0/level-1 pair that TTBR0 (identity, for the instructions
 *      that turn the MMU on) and TTBR1 (high half) both use.
 *   2. kmap_init (from aarch64_boot, in the high half): the final tables:
 *      RAM by 2 MiB or 1 GiB blocks, the kernel image by 4 KiB pages with
 *      its own permissions (text read-only and executable, read-only data,
 *      data and the rest never executable), the UART; then TTBR1 switches
 *      to them and TTBR0 to an empty table (ASID 0): from here on TTBR0
 *      belongs to the user thread that runs.
 */
#ifndef KAAL_A64_KMAP_H
#define KAAL_A64_KMAP_H

#include <stdbool.h>
#include <stdint.h>

#define KERNEL_VBASE 0xffff000000000000ul

/* MAIR_EL1 attribute indexes (mm/vspace.c writes them into user entries too). */
#define MAIR_INDEX_NORMAL 0u /* write-back, read/write-allocate, inner and outer */
#define MAIR_INDEX_DEVICE 1u /* Device-nGnRE */

/* The 2 MiB and 1 GiB spans of a level-2 and level-1 entry. */
#define KMAP_BLOCK_SIZE (1ull << 21)
#define KMAP_GIB (1ull << 30)
/* The linear map covers physical addresses below this (one level-1 table). */
#define KMAP_PHYS_LIMIT (1ull << 39)

static inline uint64_t kmap_kaddr(uint64_t paddr)
{
    return paddr + KERNEL_VBASE;
}

static inline uint64_t kmap_paddr(uint64_t kaddr)
{
    return kaddr - KERNEL_VBASE;
}

/* Why aarch64_mmu_early refused (start.S prints the reason with the MMU off). */
enum kmap_early_status {
    KMAP_EARLY_OK = 0,
    KMAP_EARLY_NO_ASID16,   /* the CPU has 8-bit ASIDs only */
    KMAP_EARLY_NO_4K,       /* the CPU has no 4 KiB translation granule */
    KMAP_EARLY_KERNEL_PLACE, /* the image is not loaded between 1 GiB and 512 GiB */
};

/*
 * Step 1, with the MMU off, at the physical load address. Builds the early
 * tables, programs MAIR_EL1, TCR_EL1 (48-bit TTBR0 and TTBR1 regions, 4 KiB
 * granule, 16-bit ASIDs), TTBR0_EL1 and TTBR1_EL1. start.S then sets
 * SCTLR_EL1.M and jumps to the high half.
 */
enum kmap_early_status aarch64_mmu_early(uint64_t dtb_paddr);

/* Is [paddr, paddr + size) inside what the early tables map as RAM? */
bool kmap_early_covers(uint64_t paddr, uint64_t size);

/* A range of RAM by physical address. */
struct kmap_range {
    uint64_t base, size;
};

/*
 * Step 2: map the RAM ranges (each shrunk to whole 2 MiB blocks; ranges at
 * or above KMAP_PHYS_LIMIT are left out, with a line saying so), the kernel
 * image page by page, the UART; switch to these tables. False, after saying
 * why, if the tables cannot hold it or the image is not in the RAM given.
 */
bool kmap_init(const struct kmap_range *ram, unsigned count);

/* Is [paddr, paddr + size) in RAM the linear map covers? (After kmap_init.) */
bool kmap_is_ram(uint64_t paddr, uint64_t size);

/* The mapped RAM range (whole 2 MiB blocks) that holds paddr; false if none. */
bool kmap_ram_range(uint64_t paddr, struct kmap_range *range);

/*
 * Map device registers [paddr, paddr + size) as Device-nGnRE at their
 * linear-map address (whole 2 MiB blocks) and return the kernel address of
 * paddr; 0, after saying why, if the range is RAM, beyond the linear map,
 * or the tables are full.
 */
uintptr_t kmap_device(uint64_t paddr, uint64_t size);

/* The physical address of the empty level-0 table TTBR0 uses while no user thread runs. */
uint64_t kmap_empty_user_root(void);

#endif
