/*
 * Address spaces (<kaal/hal/vspace.h>): VMSAv8-64 stage-1 descriptors, 4 KiB
 * granule, 48-bit user addresses (TTBR0), and the TLB maintenance a change
 * of translation needs.
 *
 * A kernel address is KERNEL_VBASE + the physical address (the linear map,
 * mm/kmap.h), so the two conversions subtract and add that base. The
 * attribute indexes name the MAIR_EL1 slots mm/kmap.c programs.
 */
#include <kaal/hal/vspace.h>

#include "mm/kmap.h"

#define DESC_VALID (1ull << 0)
#define DESC_TABLE_OR_PAGE (1ull << 1) /* levels 0-2: table (else block); level 3: page */
#define DESC_ATTR_INDEX(i) ((uint64_t)(i) << 2)
#define DESC_AP_EL0_RW (1ull << 6)     /* AP[2:1] = 01: EL1 and EL0 read/write */
#define DESC_AP_EL0_RO (3ull << 6)     /* AP[2:1] = 11: EL1 and EL0 read-only */
#define DESC_SH_INNER (3ull << 8)
#define DESC_AF (1ull << 10)           /* accessed: set, so no access-flag faults */
#define DESC_NG (1ull << 11)           /* not global: tagged with the ASID */
#define DESC_PXN (1ull << 53)          /* the kernel never executes user memory */
#define DESC_UXN (1ull << 54)
#define DESC_ADDRESS_MASK 0x0000fffffffff000ull


#define USER_VADDR_BITS 48u

kaal_word_t hal_kaddr_to_paddr(kaal_word_t kaddr)
{
    return kmap_paddr(kaddr);
}

static kaal_word_t paddr_to_kaddr(kaal_word_t paddr)
{
    return kmap_kaddr(paddr);
}

hal_pte_t hal_pte_table(kaal_word_t table_kaddr)
{
    return (hal_kaddr_to_paddr(table_kaddr) & DESC_ADDRESS_MASK) | DESC_TABLE_OR_PAGE | DESC_VALID;
}

hal_pte_t hal_pte_frame(kaal_word_t frame_kaddr, unsigned level, unsigned flags)
{
    hal_pte_t d = (hal_kaddr_to_paddr(frame_kaddr) & DESC_ADDRESS_MASK) | DESC_VALID | DESC_AF | DESC_NG | DESC_PXN;
    if (level == 3)
        d |= DESC_TABLE_OR_PAGE;
    d |= (flags & HAL_MAP_WRITE) ? DESC_AP_EL0_RW : DESC_AP_EL0_RO;
    if (flags & HAL_MAP_DEVICE)
        d |= DESC_ATTR_INDEX(MAIR_INDEX_DEVICE) | DESC_UXN;
    else
        d |= DESC_ATTR_INDEX(MAIR_INDEX_NORMAL) | DESC_SH_INNER | ((flags & HAL_MAP_EXEC) ? 0 : DESC_UXN);
    return d;
}

bool hal_pte_is_table(hal_pte_t pte, unsigned level)
{
    return level < 3 && (pte & DESC_TABLE_OR_PAGE) != 0;
}

kaal_word_t hal_pte_kaddr(hal_pte_t pte)
{
    return paddr_to_kaddr(pte & DESC_ADDRESS_MASK);
}

kaal_word_t hal_vspace_user_top(void)
{
    return (kaal_word_t)1 << USER_VADDR_BITS;
}

bool hal_vspace_map(kaal_word_t asid, kaal_word_t vaddr, unsigned size_bits, kaal_word_t frame_kaddr,
                    unsigned flags)
{
    (void)asid, (void)vaddr, (void)size_bits, (void)frame_kaddr;
    /* An invalid entry turned valid: no TLB entry can hold the old one; the walker must see the store. */
    __asm__ volatile("dsb ishst" ::: "memory");
    /*
     * An executable mapping: whoever wrote the code cleaned it to the point
     * of unification (EL0 may: DC CVAU, SCTLR_EL1.UCI), but only EL1 can
     * drop what the instruction cache may still hold of the frame's former
     * contents, wherever a VIPT cache indexed it. Once per executable
     * mapping, so a component's start costs a few.
     */
    if (flags & HAL_MAP_EXEC)
        __asm__ volatile("ic ialluis\n\tdsb ish\n\tisb" ::: "memory");
    return true;
}

void hal_vspace_unmap(kaal_word_t asid, kaal_word_t vaddr, unsigned size_bits)
{
    __asm__ volatile("dsb ishst" ::: "memory");
    if (size_bits <= 12) {
        kaal_word_t operand = asid << 48 | (vaddr >> 12 & 0xfffffffffffull);
        __asm__ volatile("tlbi vae1is, %0" ::"r"(operand) : "memory");
    } else {
        /* A block or a whole table: one by-ASID invalidation beats hundreds of by-address ones. */
        __asm__ volatile("tlbi aside1is, %0" ::"r"(asid << 48) : "memory");
    }
    __asm__ volatile("dsb ish\n\tisb" ::: "memory");
}

void hal_vspace_release(kaal_word_t asid)
{
    __asm__ volatile("dsb ishst\n\ttlbi aside1is, %0\n\tdsb ish\n\tisb" ::"r"(asid << 48) : "memory");
}

kaal_word_t hal_vspace_user_pointer(kaal_word_t asid, kaal_word_t vaddr)
{
    (void)asid;
    return vaddr;
}
