/*
 * The kernel's translation tables (TTBR1_EL1) and the MMU set-up: see kmap.h.
 *
 * Descriptors (Arm ARM D8.3, VMSAv8-64, 4 KiB granule): a level-0..2 entry
 * is a table (bits 1:0 = 11) or, at levels 1 and 2, a block (01); a level-3
 * entry is a page (11). Kernel entries are global (nG = 0, shared by every
 * ASID), accessible to EL1 only (AP[1] = 0), never executable at EL0 (UXN),
 * and executable at EL1 (PXN = 0) only for the kernel's text.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kaal/core/klog.h>

#include "boot/boot.h"
#include "mm/kmap.h"

#define DESC_VALID (1ull << 0)
#define DESC_TABLE (1ull << 1) /* levels 0-2: table, not block; level 3: page */
#define DESC_ATTR(i) ((uint64_t)(i) << 2)
#define DESC_ATTR_MASK (7ull << 2)
#define DESC_AP_RO (1ull << 7) /* AP[2]: read-only; AP[1] = 0: EL1 only */
#define DESC_SH_INNER (3ull << 8)
#define DESC_AF (1ull << 10)
#define DESC_PXN (1ull << 53)
#define DESC_UXN (1ull << 54)
#define DESC_ADDRESS_MASK 0x0000fffffffff000ull

#define ENTRIES 512u
#define PAGE_SIZE 4096ull
#define L1_INDEX(pa) (((pa) >> 30) & (ENTRIES - 1))
#define L2_INDEX(pa) (((pa) >> 21) & (ENTRIES - 1))
#define L3_INDEX(pa) (((pa) >> 12) & (ENTRIES - 1))

/* Normal memory, read/write, never executed: most of the linear map. */
#define KMAP_NORMAL (DESC_VALID | DESC_AF | DESC_SH_INNER | DESC_ATTR(MAIR_INDEX_NORMAL) | DESC_PXN | DESC_UXN)
#define KMAP_TEXT (DESC_VALID | DESC_AF | DESC_SH_INNER | DESC_ATTR(MAIR_INDEX_NORMAL) | DESC_AP_RO | DESC_UXN)
#define KMAP_RODATA (KMAP_NORMAL | DESC_AP_RO)
#define KMAP_DEVICE (DESC_VALID | DESC_AF | DESC_ATTR(MAIR_INDEX_DEVICE) | DESC_PXN | DESC_UXN)
/* The early map's kernel GiB: the image runs from it before its own pages exist. */
#define KMAP_EARLY_RWX (DESC_VALID | DESC_AF | DESC_SH_INNER | DESC_ATTR(MAIR_INDEX_NORMAL) | DESC_UXN)

/* MAIR_EL1: index 0 Normal inner/outer write-back read/write-allocate (0xff), index 1 Device-nGnRE (0x04). */
#define MAIR_VALUE (0xffull << (8 * MAIR_INDEX_NORMAL) | 0x04ull << (8 * MAIR_INDEX_DEVICE))

/* TCR_EL1: both regions 48 bits (T0SZ = T1SZ = 16), 4 KiB granules, walks
 * inner-shareable write-back, 16-bit ASIDs from TTBR0 (AS = 1, A1 = 0). */
#define TCR_T0SZ(n) ((uint64_t)(n) << 0)
#define TCR_IRGN0_WBWA (1ull << 8)
#define TCR_ORGN0_WBWA (1ull << 10)
#define TCR_SH0_INNER (3ull << 12)
#define TCR_TG0_4K (0ull << 14)
#define TCR_T1SZ(n) ((uint64_t)(n) << 16)
#define TCR_IRGN1_WBWA (1ull << 24)
#define TCR_ORGN1_WBWA (1ull << 26)
#define TCR_SH1_INNER (3ull << 28)
#define TCR_TG1_4K (2ull << 30)
#define TCR_IPS(n) ((uint64_t)(n) << 32)
#define TCR_AS (1ull << 36)
#define TCR_VALUE                                                                                                 \
    (TCR_T0SZ(16) | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER | TCR_TG0_4K | TCR_T1SZ(16) | TCR_IRGN1_WBWA | \
     TCR_ORGN1_WBWA | TCR_SH1_INNER | TCR_TG1_4K | TCR_AS)

#define MMFR0_PARANGE(v) ((v) & 0xfu)
#define MMFR0_ASIDBITS(v) (((v) >> 4) & 0xfu)
#define MMFR0_TGRAN4(v) (((v) >> 28) & 0xfu)
#define ASIDBITS_16 2u
#define TGRAN4_NONE 0xfu
#define PARANGE_48 5u /* the largest IPS a 4 KiB granule takes without FEAT_LPA2 */

#define PAGE_TABLES __attribute__((aligned(4096), section(".bss.page_tables")))
#define EARLY __attribute__((section(".text.early")))

/* Table pools: the final map needs one level-2 table per GiB it maps in part (RAM ends, devices, the image's
 * GiB) and one level-3 table per 2 MiB block of the image. */
#define KMAP_L2_TABLES 8u
#define KMAP_L3_TABLES 4u /* an image of up to 6 MiB */
#define KMAP_MAX_RAM 8u

static uint64_t early_l0[ENTRIES] PAGE_TABLES;
static uint64_t early_l1[ENTRIES] PAGE_TABLES;
static uint64_t k_l0[ENTRIES] PAGE_TABLES;
static uint64_t k_l1[ENTRIES] PAGE_TABLES;
static uint64_t l2_pool[KMAP_L2_TABLES][ENTRIES] PAGE_TABLES;
static uint64_t l3_pool[KMAP_L3_TABLES][ENTRIES] PAGE_TABLES;
static uint64_t empty_l0[ENTRIES] PAGE_TABLES;
static unsigned l2_used, l3_used;
static struct kmap_range ram[KMAP_MAX_RAM]; /* what the linear map covers, in whole blocks */
static unsigned ram_count;
static bool live; /* the final tables are in TTBR1 */

/*
 * Runs with the MMU off at the physical load address. Nothing here may use
 * an address the linker computed for the high half: gcc's small code model
 * (with -fno-pic) reaches globals with adrp/add, which are relative to the
 * pc, so `early_l1` and `__kernel_start` give physical addresses here; no
 * data holding pointers is read and no function outside this one is called.
 */
EARLY enum kmap_early_status aarch64_mmu_early(uint64_t dtb_paddr)
{
    uint64_t mmfr0;
    __asm__ volatile("mrs %0, id_aa64mmfr0_el1" : "=r"(mmfr0));
    if (MMFR0_ASIDBITS(mmfr0) != ASIDBITS_16)
        return KMAP_EARLY_NO_ASID16;
    if (MMFR0_TGRAN4(mmfr0) == TGRAN4_NONE)
        return KMAP_EARLY_NO_4K;
    uint64_t kpa = (uint64_t)(uintptr_t)__kernel_start;
    uint64_t kend = (uint64_t)(uintptr_t)__kernel_end;
    if (kpa < KMAP_GIB || kend > KMAP_PHYS_LIMIT || (kpa >> 30) != ((kend - 1) >> 30))
        return KMAP_EARLY_KERNEL_PLACE;

    early_l0[0] = ((uint64_t)(uintptr_t)early_l1 & DESC_ADDRESS_MASK) | DESC_TABLE | DESC_VALID;
    early_l1[0] = KMAP_DEVICE; /* GiB 0: QEMU virt's devices (the UART) */
    early_l1[L1_INDEX(kpa)] = (kpa & ~(KMAP_GIB - 1)) | KMAP_EARLY_RWX;
    if (dtb_paddr >= KMAP_GIB && dtb_paddr < KMAP_PHYS_LIMIT && early_l1[L1_INDEX(dtb_paddr)] == 0)
        early_l1[L1_INDEX(dtb_paddr)] = (dtb_paddr & ~(KMAP_GIB - 1)) | KMAP_NORMAL;

    uint64_t ips = MMFR0_PARANGE(mmfr0) < PARANGE_48 ? MMFR0_PARANGE(mmfr0) : PARANGE_48;
    uint64_t root = (uint64_t)(uintptr_t)early_l0;
    __asm__ volatile("dsb ishst\n\t"
                     "msr mair_el1, %0\n\t"
                     "msr tcr_el1, %1\n\t"
                     "msr ttbr0_el1, %2\n\t"
                     "msr ttbr1_el1, %2\n\t"
                     "isb\n\t"
                     "tlbi vmalle1\n\t"
                     "dsb nsh\n\t"
                     "isb"
                     :
                     : "r"(MAIR_VALUE), "r"(TCR_VALUE | TCR_IPS(ips)), "r"(root)
                     : "memory");
    return KMAP_EARLY_OK;
}

bool kmap_early_covers(uint64_t paddr, uint64_t size)
{
    if (size == 0 || paddr < KMAP_GIB || paddr >= KMAP_PHYS_LIMIT || size > KMAP_PHYS_LIMIT - paddr)
        return false;
    for (uint64_t g = paddr >> 30; g <= (paddr + size - 1) >> 30; g++) {
        if ((early_l1[g] & DESC_ATTR_MASK) != DESC_ATTR(MAIR_INDEX_NORMAL) || !(early_l1[g] & DESC_VALID))
            return false;
    }
    return true;
}

static uint64_t *table_at(uint64_t desc)
{
    return (uint64_t *)(uintptr_t)kmap_kaddr(desc & DESC_ADDRESS_MASK);
}

static uint64_t table_desc(const uint64_t *table)
{
    return (kmap_paddr((uint64_t)(uintptr_t)table) & DESC_ADDRESS_MASK) | DESC_TABLE | DESC_VALID;
}

/* The level-2 table for paddr's GiB, made if missing; NULL if a 1 GiB block is there or the pool is used up. */
static uint64_t *l2_for(uint64_t paddr)
{
    uint64_t *e = &k_l1[L1_INDEX(paddr)];
    if (*e == 0) {
        if (l2_used == KMAP_L2_TABLES) {
            kprintf("KaaL: kernel map: all %u level-2 tables are used (at 0x%lx)\n", KMAP_L2_TABLES, paddr);
            return NULL;
        }
        *e = table_desc(l2_pool[l2_used++]);
    }
    if (!(*e & DESC_TABLE)) {
        kprintf("KaaL: kernel map: 0x%lx lies in a 1 GiB block already\n", paddr);
        return NULL;
    }
    return table_at(*e);
}

static bool in_ram(uint64_t paddr, uint64_t size)
{
    for (unsigned i = 0; i < ram_count; i++) {
        if (paddr >= ram[i].base && size <= ram[i].size && paddr - ram[i].base <= ram[i].size - size)
            return true;
    }
    return false;
}

bool kmap_is_ram(uint64_t paddr, uint64_t size)
{
    return live && size != 0 && paddr + size > paddr && in_ram(paddr, size);
}

bool kmap_ram_range(uint64_t paddr, struct kmap_range *range)
{
    for (unsigned i = 0; i < ram_count; i++) {
        if (paddr >= ram[i].base && paddr - ram[i].base < ram[i].size) {
            *range = ram[i];
            return true;
        }
    }
    return false;
}

/* The permissions of one page of a 2 MiB block that holds part of the kernel image. */
static uint64_t image_page(uint64_t pa)
{
    uint64_t text = kmap_paddr((uintptr_t)__kernel_start), text_end = kmap_paddr((uintptr_t)__text_end);
    uint64_t rodata_end = kmap_paddr((uintptr_t)__rodata_end), end = kmap_paddr((uintptr_t)__kernel_end);
    if (pa >= text && pa < text_end)
        return pa | KMAP_TEXT | DESC_TABLE;
    if (pa >= text_end && pa < rodata_end)
        return pa | KMAP_RODATA | DESC_TABLE;
    if ((pa >= rodata_end && pa < end) || in_ram(pa, PAGE_SIZE))
        return pa | KMAP_NORMAL | DESC_TABLE;
    return 0;
}

/* The image's blocks as level-3 tables, before any RAM block can take their place. */
static bool map_image(void)
{
    uint64_t start = kmap_paddr((uintptr_t)__kernel_start), end = kmap_paddr((uintptr_t)__kernel_end);
    if (!in_ram(start, end - start)) {
        kprintf("KaaL: the kernel image 0x%lx-0x%lx is not in the RAM the device tree lists\n", start, end);
        return false;
    }
    for (uint64_t block = start & ~(KMAP_BLOCK_SIZE - 1); block < end; block += KMAP_BLOCK_SIZE) {
        uint64_t *l2 = l2_for(block);
        if (l2 == NULL)
            return false;
        if (l3_used == KMAP_L3_TABLES) {
            kprintf("KaaL: kernel map: the image needs more than %u level-3 tables\n", KMAP_L3_TABLES);
            return false;
        }
        uint64_t *l3 = l3_pool[l3_used++];
        for (unsigned i = 0; i < ENTRIES; i++)
            l3[i] = image_page(block + i * PAGE_SIZE);
        l2[L2_INDEX(block)] = table_desc(l3);
    }
    return true;
}

/* One RAM range by blocks: 1 GiB where a whole free GiB fits, else 2 MiB; the image's blocks stay as they are. */
static bool map_ram(const struct kmap_range *r)
{
    for (uint64_t pa = r->base; pa < r->base + r->size;) {
        if ((pa & (KMAP_GIB - 1)) == 0 && r->base + r->size - pa >= KMAP_GIB && k_l1[L1_INDEX(pa)] == 0) {
            k_l1[L1_INDEX(pa)] = pa | KMAP_NORMAL;
            pa += KMAP_GIB;
            continue;
        }
        uint64_t *l2 = l2_for(pa);
        if (l2 == NULL)
            return false;
        if (l2[L2_INDEX(pa)] == 0)
            l2[L2_INDEX(pa)] = pa | KMAP_NORMAL;
        pa += KMAP_BLOCK_SIZE;
    }
    return true;
}

uintptr_t kmap_device(uint64_t paddr, uint64_t size)
{
    if (size == 0 || paddr + size < paddr || paddr + size > KMAP_PHYS_LIMIT) {
        kprintf("KaaL: kernel map: device 0x%lx+0x%lx is beyond the linear map\n", paddr, size);
        return 0;
    }
    uint64_t first = paddr & ~(KMAP_BLOCK_SIZE - 1);
    for (uint64_t block = first; block < paddr + size; block += KMAP_BLOCK_SIZE) {
        for (unsigned i = 0; i < ram_count; i++) {
            if (block < ram[i].base + ram[i].size && ram[i].base < block + KMAP_BLOCK_SIZE) {
                kprintf("KaaL: kernel map: device 0x%lx+0x%lx shares a 2 MiB block with RAM\n", paddr, size);
                return 0;
            }
        }
        uint64_t *l2 = l2_for(block);
        if (l2 == NULL)
            return 0;
        uint64_t *e = &l2[L2_INDEX(block)];
        if (*e == 0)
            *e = block | KMAP_DEVICE;
        else if (*e != (block | KMAP_DEVICE)) {
            kprintf("KaaL: kernel map: device 0x%lx: its block is mapped otherwise\n", paddr);
            return 0;
        }
    }
    if (live) /* new entries where there were none: no TLB entry to remove, only the walker must see them */
        __asm__ volatile("dsb ishst\n\tisb" ::: "memory");
    return (uintptr_t)kmap_kaddr(paddr);
}

static void kmap_self_check(void);

/* The UART the kernel's console uses (dev/pl011.c). */
#define PL011_PADDR 0x09000000ull

bool kmap_init(const struct kmap_range *ranges, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        uint64_t base = (ranges[i].base + KMAP_BLOCK_SIZE - 1) & ~(KMAP_BLOCK_SIZE - 1);
        uint64_t end = (ranges[i].base + ranges[i].size) & ~(KMAP_BLOCK_SIZE - 1);
        if (end > KMAP_PHYS_LIMIT)
            end = KMAP_PHYS_LIMIT;
        if (end <= base || ranges[i].base < KMAP_GIB) {
            kprintf("KaaL: kernel map: RAM 0x%lx+0x%lx holds no whole 2 MiB block below 512 GiB and above "
                    "1 GiB: not mapped\n", ranges[i].base, ranges[i].size);
            continue;
        }
        if (ram_count == KMAP_MAX_RAM) {
            kprintf("KaaL: kernel map: more than %u RAM ranges: 0x%lx+0x%lx not mapped\n", KMAP_MAX_RAM,
                    ranges[i].base, ranges[i].size);
            continue;
        }
        ram[ram_count++] = (struct kmap_range){base, end - base};
    }
    if (!map_image())
        return false;
    for (unsigned i = 0; i < ram_count; i++) {
        if (!map_ram(&ram[i]))
            return false;
    }
    k_l0[0] = table_desc(k_l1);
    if (kmap_device(PL011_PADDR, PAGE_SIZE) == 0)
        return false;

    uint64_t root = kmap_paddr((uintptr_t)k_l0), user = kmap_paddr((uintptr_t)empty_l0);
    /* The new tables map the running code and data at the same addresses as the early ones. */
    __asm__ volatile("dsb ishst\n\t"
                     "msr ttbr1_el1, %0\n\t"
                     "msr ttbr0_el1, %1\n\t"
                     "isb\n\t"
                     "tlbi vmalle1is\n\t"
                     "dsb ish\n\t"
                     "isb"
                     :
                     : "r"(root), "r"(user)
                     : "memory");
    live = true;
    unsigned mib = 0;
    for (unsigned i = 0; i < ram_count; i++)
        mib += (unsigned)(ram[i].size >> 20);
    kprintf("KaaL: MMU on: kernel at 0x%lx, linear map of %u MiB of RAM at 0x%lx + physical, %u+%u tables\n",
            (uint64_t)(uintptr_t)__kernel_start, mib, KERNEL_VBASE, 2 + l2_used, l3_used);
    kmap_self_check();
    return true;
}

/* Does an EL1 read (write) of va translate? AT asks the MMU without touching memory. */
static bool translates(uint64_t va, bool write)
{
    uint64_t par;
    if (write)
        __asm__ volatile("at s1e1w, %1\n\tisb\n\tmrs %0, par_el1" : "=r"(par) : "r"(va) : "memory");
    else
        __asm__ volatile("at s1e1r, %1\n\tisb\n\tmrs %0, par_el1" : "=r"(par) : "r"(va) : "memory");
    return (par & 1u) == 0; /* PAR_EL1.F */
}

/*
 * What the final tables must say, asked of the MMU itself: text and
 * read-only data are not writable, data is, RAM past the image is, the
 * identity map of the image is gone, and nothing past the mapped RAM is
 * there. Any failure prints "self-check FAILED" (the qemu tests fail on it).
 */
static void kmap_self_check(void)
{
    static uint64_t probe; /* in .bss */
    struct kmap_range last = ram[ram_count - 1];
    struct {
        const char *what;
        uint64_t va;
        bool write, expect;
    } checks[] = {
        {"text is read-only", (uintptr_t)__kernel_start, true, false},
        {"text is readable", (uintptr_t)__kernel_start, false, true},
        {"read-only data is read-only", (uintptr_t)__text_end, true, false},
        {"data is writable", (uintptr_t)&probe, true, true},
        {"RAM after the image is writable", (uintptr_t)__kernel_end, true, true},
        {"the image's identity map is gone", kmap_paddr((uintptr_t)__kernel_start), false, false},
        {"the last RAM page is writable", kmap_kaddr(last.base + last.size - PAGE_SIZE), true, true},
        {"nothing past RAM", kmap_kaddr(last.base + last.size), false, false},
    };
    bool ok = true;
    for (unsigned i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        if (translates(checks[i].va, checks[i].write) != checks[i].expect) {
            kprintf("KaaL: kernel map self-check FAILED: %s (0x%lx)\n", checks[i].what, checks[i].va);
            ok = false;
        }
    }
    if (ok)
        kprintf("KaaL: kernel map self-check passed (W^X image, no identity map)\n");
}

uint64_t kmap_empty_user_root(void)
{
    return kmap_paddr((uintptr_t)empty_l0);
}
