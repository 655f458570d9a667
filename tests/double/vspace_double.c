/*
 * The test double's address-space backend: an entry format of its own (not
 * the sim's, not aarch64's, so the core cannot come to depend on either) and
 * a record of every call the core makes, for the tests to check.
 */
#include "hal_double.h"

#include <kaal/hal/vspace.h>

/* Entry format: the kernel address, a kind in the top bits, the flags beside it. */
#define PTE_KIND_TABLE (1ull << 63)
#define PTE_KIND_FRAME (1ull << 62)
#define PTE_FLAGS_SHIFT 52
#define PTE_ADDRESS_MASK 0x000ffffffffff000ull

struct double_vspace double_vspace = {.user_top = 1ull << 40};

hal_pte_t hal_pte_table(kaal_word_t table_kaddr)
{
    return PTE_KIND_TABLE | (table_kaddr & PTE_ADDRESS_MASK);
}

hal_pte_t hal_pte_frame(kaal_word_t frame_kaddr, unsigned level, unsigned flags)
{
    return PTE_KIND_FRAME | ((hal_pte_t)(flags | level << 4) << PTE_FLAGS_SHIFT) | (frame_kaddr & PTE_ADDRESS_MASK);
}

bool hal_pte_is_table(hal_pte_t pte, unsigned level)
{
    (void)level;
    return (pte & PTE_KIND_TABLE) != 0;
}

kaal_word_t hal_pte_kaddr(hal_pte_t pte)
{
    return pte & PTE_ADDRESS_MASK;
}

unsigned double_pte_flags(hal_pte_t pte)
{
    return (unsigned)(pte >> PTE_FLAGS_SHIFT) & 0xf;
}

kaal_word_t hal_vspace_user_top(void)
{
    return double_vspace.user_top;
}

bool hal_vspace_map(kaal_word_t asid, kaal_word_t vaddr, unsigned size_bits, kaal_word_t frame_kaddr,
                    unsigned flags)
{
    if (double_vspace.refuse_map)
        return false;
    double_vspace.maps++;
    double_vspace.last_map = (struct double_vspace_call){asid, vaddr, size_bits, frame_kaddr, flags};
    return true;
}

void hal_vspace_unmap(kaal_word_t asid, kaal_word_t vaddr, unsigned size_bits)
{
    double_vspace.unmaps++;
    double_vspace.last_unmap = (struct double_vspace_call){.asid = asid, .vaddr = vaddr, .size_bits = size_bits};
}

void hal_vspace_release(kaal_word_t asid)
{
    double_vspace.releases++;
    double_vspace.last_release = asid;
}

/* A pointer that is not the address itself, so tests see the backend's answer pass through. */
kaal_word_t hal_vspace_user_pointer(kaal_word_t asid, kaal_word_t vaddr)
{
    return DOUBLE_USER_POINTER(asid, vaddr);
}
