/*
 * Mapping frames for the root task and for the components it makes: the
 * kernel says which table level is missing (FAILED_LOOKUP, MISSING_TABLE,
 * level), and this makes that table, enters it, and tries again.
 */
#include "root.h"

/* Where the root task maps frames into its own address space. */
#define OWN_MAPPINGS_START 0x10000000ull

static kaal_word_t table_type(kaal_word_t level)
{
    return level == 1 ? KAAL_OBJ_PAGE_UPPER_DIR : level == 2 ? KAAL_OBJ_PAGE_DIR : KAAL_OBJ_PAGE_TABLE;
}

/* log2 of the span of a table of this level (1: 512 GiB, 2: 1 GiB, 3: 2 MiB). */
static unsigned table_span_bits(kaal_word_t level)
{
    return 12u + 9u * (4u - (unsigned)level);
}

int vm_map(struct root_alloc *a, kaal_cptr_t ut, kaal_cptr_t vspace, kaal_cptr_t frame, kaal_word_t vaddr,
           kaal_word_t rights, void **pointer)
{
    for (unsigned tries = 0; tries <= 3; tries++) {
        int err = kaal_frame_map(frame, vspace, vaddr, rights, 0, pointer);
        if (err != KAAL_ERR_FAILED_LOOKUP || kaal_get_mr(1) != KAAL_LOOKUP_MISSING_TABLE)
            return err;
        kaal_word_t level = kaal_get_mr(2);
        kaal_cptr_t table = alloc_slot(a);
        if (table == 0 || level < 1 || level > 3)
            return KAAL_ERR_NOT_ENOUGH_MEMORY;
        err = ut != 0 ? kaal_untyped_retype(ut, table_type(level), 0, ROOT_CNODE, 0, 0, table, 1)
                      : alloc_object(a, table_type(level), 0, table);
        if (err != KAAL_OK)
            return err;
        kaal_word_t span = (kaal_word_t)1 << table_span_bits(level);
        err = kaal_page_table_map(table, vspace, vaddr & ~(span - 1));
        if (err != KAAL_OK)
            return err;
    }
    return KAAL_ERR_FAILED_LOOKUP;
}

void *vm_map_own(struct root_alloc *a, kaal_cptr_t frame, kaal_word_t rights)
{
    static kaal_word_t next = OWN_MAPPINGS_START;
    void *p = NULL;
    if (vm_map(a, 0, KAAL_ROOT_SLOT_VSPACE, frame, next, rights, &p) != KAAL_OK)
        return NULL;
    next += 4096;
    return p;
}

void vm_clean_for_code(const void *p, size_t len)
{
#if defined(__aarch64__)
    /* CTR_EL0.DminLine: log2 of the smallest data cache line in words (EL0 may read it: SCTLR_EL1.UCT). */
    kaal_word_t ctr;
    __asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
    kaal_word_t line = (kaal_word_t)4 << ((ctr >> 16) & 0xf);
    for (kaal_word_t a = (kaal_word_t)(uintptr_t)p & ~(line - 1); a < (kaal_word_t)(uintptr_t)p + len; a += line)
        __asm__ volatile("dc cvau, %0" ::"r"(a) : "memory");
    __asm__ volatile("dsb ish" ::: "memory");
#else
    (void)p, (void)len;
#endif
}
