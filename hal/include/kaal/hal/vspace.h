/*
 * HAL contract: address spaces.
 *
 * The core owns the page-table structure (four levels of 512 entries, 4 KiB
 * granule, kept in the memory of VSpace and page-table objects), the walk,
 * and every decision about what may be mapped where (docs/memory.md). The
 * backend owns two things: the format of one entry (what the hardware reads
 * on aarch64; a format of the sim's own on the sim) and what a change of
 * translation means outside the tables (TLB maintenance on aarch64; mapping
 * guest-RAM pages into a host address window on the sim).
 *
 * An entry of all zero bits is invalid in every backend, so the core tests
 * for "empty" without asking.
 */
#ifndef KAAL_HAL_VSPACE_H
#define KAAL_HAL_VSPACE_H

#include <kaal/abi/types.h>
#include <stdbool.h>
#include <stdint.h>

typedef uint64_t hal_pte_t;

enum hal_map_rights {
    HAL_MAP_READ = 1,
    HAL_MAP_WRITE = 2,
    HAL_MAP_EXEC = 4,
    HAL_MAP_DEVICE = 8, /* device memory: uncached, never executable */
};

/* An entry of a level 0-2 table pointing to the next-level table at table_kaddr. */
hal_pte_t hal_pte_table(kaal_word_t table_kaddr);

/*
 * An entry at `level` (1: 1 GiB block, 2: 2 MiB block, 3: 4 KiB page) mapping
 * the frame at frame_kaddr with HAL_MAP_* flags (READ always among them).
 */
hal_pte_t hal_pte_frame(kaal_word_t frame_kaddr, unsigned level, unsigned flags);

/* Is this valid entry at `level` (0-2) a pointer to a next-level table (not a block)? */
bool hal_pte_is_table(hal_pte_t pte, unsigned level);

/* The kernel address a valid entry points to (table or frame). */
kaal_word_t hal_pte_kaddr(hal_pte_t pte);

/* One past the highest user virtual address of an address space. */
kaal_word_t hal_vspace_user_top(void);

/*
 * The core has entered a frame mapping into the tables of address space
 * `asid`: [vaddr, vaddr + 2^size_bits) maps frame_kaddr with flags (aarch64:
 * make the entry visible to the table walker). False: the backend cannot
 * (the sim has no host address space left for the window, or the frame is
 * not guest RAM); the core then takes the entry out again and answers
 * NOT_ENOUGH_MEMORY. A table entered above a frame needs no call of its own:
 * nothing translates through it before a frame below it is mapped.
 */
bool hal_vspace_map(kaal_word_t asid, kaal_word_t vaddr, unsigned size_bits, kaal_word_t frame_kaddr,
                    unsigned flags);

/* The core removed whatever translated [vaddr, vaddr + 2^size_bits) in `asid` (a frame or a table). */
void hal_vspace_unmap(kaal_word_t asid, kaal_word_t vaddr, unsigned size_bits);

/* Address space `asid` is gone (its VSpace's last cap was deleted); the ASID may be given out again. */
void hal_vspace_release(kaal_word_t asid);

/*
 * What user code uses to reach vaddr of `asid` (Frame_Map's answer): the
 * virtual address itself on aarch64, its place in the host window on the sim.
 */
kaal_word_t hal_vspace_user_pointer(kaal_word_t asid, kaal_word_t vaddr);

/* Physical address of a kernel address, for DMA and page-table entries. */
kaal_word_t hal_kaddr_to_paddr(kaal_word_t kaddr);

#endif
