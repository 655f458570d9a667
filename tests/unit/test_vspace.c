/*
 * Address spaces: PageTable_Map/Unmap on the three table levels, Frame_Map/
 * Unmap/GetAddress for 4 KiB, 2 MiB and 1 GiB frames, every refusal with its
 * detail words, mapping records through Copy, Move, Delete and Revoke, stale
 * records (a deleted VSpace, a reused ASID, a table unmapped above), and the
 * ASID table up to exhaustion.
 *
 * The entries are checked by walking the tables in the objects' memory as
 * the hardware would (through the double's hal_pte_* format), and the
 * backend calls through double_vspace.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */

#include "harness.h"

#include <string.h>
#include <sys/mman.h>

#include <kaal/core/vspace.h>
#include <kaal/hal/vspace.h>

#define ROOT_VS KAAL_ROOT_SLOT_VSPACE

/* Root CNode slots used by the tests. */
#define VS 300u
#define VS2 301u
#define PUD 310u
#define PD 311u
#define PT 312u
#define PUD2 313u
#define PD2 314u
#define PT2 315u
#define F 320u /* 4 KiB frames */
#define F2 321u
#define F3 322u
#define FL 323u  /* 2 MiB */
#define FH 324u  /* 1 GiB */
#define FD 325u  /* device, 4 KiB */
#define FDL 326u /* device, 2 MiB */
#define FC 330u  /* copies */
#define FC2 331u
#define EP 340u
#define UT 350u
#define SPARE 360u
#define SPARE2 361u
#define CN 370u
#define TH 380u     /* kt_thread(): TCB, VSpace, IPC buffer frame */
#define BATCH 1024u /* up to KAAL_RETYPE_MAX_OBJECTS slots for VSpaces made to move the ASID search on */

/* One address with a table at every level: level-0 index 1, then 3, 5, 7. */
#define V_PUD (1ull << 39)
#define V_PD (V_PUD + (3ull << 30))
#define V_PT (V_PD + (5ull << 21))
#define V (V_PT + (7ull << 12))
#define TOP (1ull << 40) /* the double's user top */

#define RW (KAAL_RIGHT_READ | KAAL_RIGHT_WRITE)

/* Extra host memory a test booted over (unmapped by the teardown). */
static void *extra_mem;
static size_t extra_size;

static int setup(void **state)
{
    double_vspace = (struct double_vspace){.user_top = TOP};
    return kt_setup(state);
}

static int teardown(void **state)
{
    if (extra_mem != NULL)
        munmap(extra_mem, extra_size);
    extra_mem = NULL;
    double_vspace = (struct double_vspace){.user_top = TOP};
    return kt_teardown(state);
}

/* ---- helpers ---- */

/* The Untyped whose memory starts at base (from the boot info). */
static kaal_word_t untyped_at(kaal_word_t base)
{
    const struct kaal_bootinfo *bi = kt_bootinfo();
    for (kaal_word_t i = bi->untyped.start; i < bi->untyped.end; i++) {
        if (bi->untyped_list[i - bi->untyped.start].paddr == base)
            return i;
    }
    fail_msg("no untyped at 0x%lx", (unsigned long)base);
    return 0;
}

/* The harness's RAM starts with the root CNode (boot places it first). */
static kaal_word_t ram_base(void)
{
    kaal_word_t base = (kaal_word_t)(uintptr_t)kt_slot(0);
    assert_true(IS_ALIGNED(base, KT_RAM_BITS));
    return base;
}

/* Its upper 4 MiB, an Untyped of their own, for tables and small frames (and one 2 MiB frame at most). */
static kaal_word_t ut(void)
{
    kaal_word_t u = untyped_at(ram_base() + BIT(KT_RAM_BITS - 1));
    assert_int_equal(kt_slot(u)->cap.size_bits, KT_RAM_BITS - 1);
    return u;
}

/* The 2 MiB below: room for exactly one 2 MiB frame. */
static kaal_word_t ut2(void)
{
    kaal_word_t u = untyped_at(ram_base() + BIT(KAAL_FRAME_BITS_LARGE));
    assert_int_equal(kt_slot(u)->cap.size_bits, KAAL_FRAME_BITS_LARGE);
    return u;
}

static void make_from(kaal_word_t from, kaal_word_t type, kaal_word_t size, kaal_word_t slot)
{
    kt_assert_success(kt_retype(from, type, size, 0, 0, slot, 1));
}

static void make(kaal_word_t type, kaal_word_t slot)
{
    make_from(ut(), type, type == KAAL_OBJ_FRAME ? KAAL_FRAME_BITS_SMALL : 0, slot);
}

static const struct cap *cap(kaal_word_t slot)
{
    return &kt_slot(slot)->cap;
}

static kaal_word_t obj(kaal_word_t slot)
{
    return cap(slot)->obj;
}

static kaal_word_t asid(kaal_word_t vspace)
{
    assert_int_equal(cap(vspace)->type, CAP_VSPACE);
    return cap(vspace)->data;
}

static struct kresult map_table(kaal_word_t table, kaal_word_t vspace, kaal_word_t vaddr)
{
    kaal_word_t args[] = {vaddr};
    kaal_word_t caps[] = {vspace};
    return kt_invoke(table, KAAL_PAGE_TABLE_MAP, args, 1, caps, 1);
}

static struct kresult map_frame(kaal_word_t frame, kaal_word_t vspace, kaal_word_t vaddr, kaal_word_t rights,
                                kaal_word_t attributes)
{
    kaal_word_t args[] = {vaddr, rights, attributes};
    kaal_word_t caps[] = {vspace};
    return kt_invoke(frame, KAAL_FRAME_MAP, args, 3, caps, 1);
}

static struct kresult op(kaal_word_t slot, kaal_word_t label)
{
    return kt_invoke(slot, label, NULL, 0, NULL, 0);
}

/* r succeeded with exactly one answer word, `value`, and logged no refusal. */
static void assert_answer(struct kresult r, kaal_word_t value)
{
    if (r.code != KAAL_OK)
        fail_msg("call failed: error %d, detail %lu %lu %lu; console: %s", (int)r.code,
                 (unsigned long)r.mr[0], (unsigned long)r.mr[1], (unsigned long)r.mr[2], double_console());
    assert_int_equal(r.count, 1);
    assert_int_equal(r.mr[0], value);
    assert_false(kt_logged("reject"));
}

/* Frame_Map succeeded: the answer is the backend's pointer for (ASID, vaddr). */
static void map_frame_ok(kaal_word_t frame, kaal_word_t vspace, kaal_word_t vaddr, kaal_word_t rights,
                         kaal_word_t attributes)
{
    assert_answer(map_frame(frame, vspace, vaddr, rights, attributes),
                  DOUBLE_USER_POINTER(asid(vspace), vaddr));
}

static unsigned shift(unsigned level)
{
    return KAAL_FRAME_BITS_SMALL + KAAL_PAGE_TABLE_INDEX_BITS * (KAAL_PAGE_TABLE_LEVELS - 1 - level);
}

/* The entry for vaddr in the level-`level` table at `table`. */
static hal_pte_t *table_entry(kaal_word_t table, kaal_word_t vaddr, unsigned level)
{
    return (hal_pte_t *)(uintptr_t)table + ((vaddr >> shift(level)) & MASK(KAAL_PAGE_TABLE_INDEX_BITS));
}

/*
 * The entry for vaddr at `level` of an address space, walked as the hardware
 * would; NULL if a table on the way is missing or a block mapping is in the way.
 */
static hal_pte_t *entry(kaal_word_t vspace, kaal_word_t vaddr, unsigned level)
{
    kaal_word_t table = obj(vspace);
    for (unsigned l = 0;; l++) {
        hal_pte_t *e = table_entry(table, vaddr, l);
        if (l == level)
            return e;
        if (*e == 0 || !hal_pte_is_table(*e, l))
            return NULL;
        table = hal_pte_kaddr(*e);
    }
}

/* The value of that entry, 0 if the walk does not reach it. */
static hal_pte_t pte(kaal_word_t vspace, kaal_word_t vaddr, unsigned level)
{
    hal_pte_t *e = entry(vspace, vaddr, level);
    return e != NULL ? *e : 0;
}

static void assert_record(kaal_word_t slot, kaal_word_t vspace, kaal_word_t vaddr)
{
    assert_true(cap_is_mapped(cap(slot)));
    assert_int_equal(cap_mapping_asid(cap(slot)), asid(vspace));
    assert_int_equal(cap_mapping_vaddr(cap(slot)), vaddr);
}

static void assert_no_record(kaal_word_t slot)
{
    assert_false(cap_is_mapped(cap(slot)));
    assert_int_equal(cap(slot)->data, 0);
}

static int is_zero(kaal_word_t kaddr, size_t size)
{
    const unsigned char *p = (const unsigned char *)(uintptr_t)kaddr;
    for (size_t i = 0; i < size; i++) {
        if (p[i] != 0)
            return 0;
    }
    return 1;
}

static void assert_last_call(const struct double_vspace_call *c, kaal_word_t a, kaal_word_t vaddr,
                             unsigned bits)
{
    assert_int_equal(c->asid, a);
    assert_int_equal(c->vaddr, vaddr);
    assert_int_equal(c->size_bits, bits);
}

/* Make and map in `vspace` the tables vaddr needs down to `levels` (1: PUD, 2: + PD, 3: + PT). */
static void tables_at(kaal_word_t vspace, kaal_word_t vaddr, kaal_word_t pud, unsigned levels)
{
    static const kaal_word_t types[] = {KAAL_OBJ_PAGE_UPPER_DIR, KAAL_OBJ_PAGE_DIR, KAAL_OBJ_PAGE_TABLE};
    for (unsigned l = 0; l < levels; l++) {
        make(types[l], pud + l);
        kt_assert_success(map_table(pud + l, vspace, vaddr & ~MASK(shift(l))));
    }
}

/* The usual world: VS with PUD, PD and PT for V, and a 4 KiB frame F. */
static void world(void)
{
    make(KAAL_OBJ_VSPACE, VS);
    tables_at(VS, V, PUD, 3);
    make(KAAL_OBJ_FRAME, F);
}

/* The device untyped of the harness (2 MiB at KT_DEVICE_BASE). */
static kaal_word_t device_ut(void)
{
    return untyped_at(KT_DEVICE_BASE);
}

/*
 * Boot again over the harness's RAM (the root CNode is the first thing in it)
 * and its device range, plus a region of `bits` zero bytes at an address
 * aligned to its size: fresh anonymous memory that the kernel never has to
 * clear, so only the pages it writes (slots) are ever touched. Returns the
 * Untyped that covers the new region. KT_REJECT's snapshot still covers the
 * harness's RAM and the kernel's globals, not the new region.
 */
static kaal_word_t reboot_with_zeroed_region(unsigned bits)
{
    kaal_word_t ram = ram_base();
    extra_size = 2 * BIT(bits);
    extra_mem =
        mmap(NULL, extra_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    assert_true(extra_mem != MAP_FAILED);
    kaal_word_t base = ALIGN_UP((kaal_word_t)(uintptr_t)extra_mem, bits);
    struct boot_region regions[] = {
        {.kaddr = ram, .size = BIT(KT_RAM_BITS)},
        {.kaddr = KT_DEVICE_BASE, .size = BIT(KT_DEVICE_BITS), .is_device = true},
        {.kaddr = base, .size = BIT(bits), .zeroed = true},
    };
    assert_int_equal(kernel_boot(regions, 3), BOOT_OK);
    kt_adopt_boot();
    kt_check();
    kaal_word_t u = untyped_at(base);
    assert_int_equal(cap(u)->size_bits, bits);
    return u;
}

/* ---- Frame_Map: success ---- */

static void test_map_small_frame_through_three_tables(void **state)
{
    (void)state;
    world();
    kaal_word_t a = asid(VS);
    assert_true(a != 0 && a != asid(ROOT_VS));
    /* The tables are entered as tables, each at its level, and record where. */
    assert_int_equal(pte(VS, V, 0), hal_pte_table(obj(PUD)));
    assert_int_equal(pte(VS, V, 1), hal_pte_table(obj(PD)));
    assert_int_equal(pte(VS, V, 2), hal_pte_table(obj(PT)));
    assert_record(PUD, VS, V_PUD);
    assert_record(PD, VS, V_PD);
    assert_record(PT, VS, V_PT);
    assert_int_equal(double_vspace.maps, 0); /* entering a table needs no backend call */

    map_frame_ok(F, VS, V, RW, 0);
    hal_pte_t e = pte(VS, V, 3);
    assert_int_equal(e, hal_pte_frame(obj(F), 3, HAL_MAP_READ | HAL_MAP_WRITE));
    assert_int_equal(hal_pte_kaddr(e), obj(F));
    assert_int_equal(double_pte_flags(e), HAL_MAP_READ | HAL_MAP_WRITE);
    assert_int_equal(double_vspace.maps, 1);
    assert_last_call(&double_vspace.last_map, a, V, KAAL_FRAME_BITS_SMALL);
    assert_int_equal(double_vspace.last_map.frame, obj(F));
    assert_int_equal(double_vspace.last_map.flags, HAL_MAP_READ | HAL_MAP_WRITE);
    assert_record(F, VS, V);
    /* Nothing else in the last table changed. */
    assert_int_equal(pte(VS, V - BIT(12), 3), 0);
    assert_int_equal(pte(VS, V + BIT(12), 3), 0);
    assert_int_equal(double_vspace.unmaps, 0);
}

static void test_map_flags(void **state)
{
    (void)state;
    world();
    make(KAAL_OBJ_FRAME, F2);
    make(KAAL_OBJ_FRAME, F3);
    make_from(device_ut(), KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, FD);
    struct {
        kaal_word_t frame, rights, attributes;
        unsigned flags;
    } cases[] = {
        {F, KAAL_RIGHT_READ, 0, HAL_MAP_READ},
        {F2, RW, KAAL_MAP_EXECUTABLE, HAL_MAP_READ | HAL_MAP_WRITE | HAL_MAP_EXEC},
        {F3, KAAL_RIGHT_READ, KAAL_MAP_EXECUTABLE, HAL_MAP_READ | HAL_MAP_EXEC},
        {FD, RW, 0, HAL_MAP_READ | HAL_MAP_WRITE | HAL_MAP_DEVICE},
    };
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        kaal_word_t vaddr = V + i * BIT(12);
        map_frame_ok(cases[i].frame, VS, vaddr, cases[i].rights, cases[i].attributes);
        hal_pte_t e = pte(VS, vaddr, 3);
        assert_int_equal(e, hal_pte_frame(obj(cases[i].frame), 3, cases[i].flags));
        assert_int_equal(double_pte_flags(e), cases[i].flags);
        assert_int_equal(double_vspace.last_map.flags, cases[i].flags);
        assert_int_equal(double_vspace.last_map.frame, obj(cases[i].frame));
        assert_record(cases[i].frame, VS, vaddr);
    }
    assert_int_equal(obj(FD), KT_DEVICE_BASE);
    assert_int_equal(double_vspace.maps, ARRAY_SIZE(cases));
}

static void test_map_at_address_zero_in_the_root_vspace(void **state)
{
    (void)state;
    /* vaddr 0: the record is the ASID alone, still "mapped". */
    tables_at(ROOT_VS, 0, PUD, 3);
    make(KAAL_OBJ_FRAME, F);
    map_frame_ok(F, ROOT_VS, 0, KAAL_RIGHT_READ, 0);
    assert_record(F, ROOT_VS, 0);
    assert_int_equal(cap(F)->data, asid(ROOT_VS));
    assert_int_equal(pte(ROOT_VS, 0, 3), hal_pte_frame(obj(F), 3, HAL_MAP_READ));
    assert_last_call(&double_vspace.last_map, asid(ROOT_VS), 0, KAAL_FRAME_BITS_SMALL);
    kt_assert_success(op(F, KAAL_FRAME_UNMAP));
    assert_int_equal(pte(ROOT_VS, 0, 3), 0);
    assert_last_call(&double_vspace.last_unmap, asid(ROOT_VS), 0, KAAL_FRAME_BITS_SMALL);
}

static void test_map_large_frame(void **state)
{
    (void)state;
    make(KAAL_OBJ_VSPACE, VS);
    tables_at(VS, V_PT, PUD, 2);
    make_from(ut2(), KAAL_OBJ_FRAME, KAAL_FRAME_BITS_LARGE, FL);
    map_frame_ok(FL, VS, V_PT, RW, KAAL_MAP_EXECUTABLE);
    unsigned flags = HAL_MAP_READ | HAL_MAP_WRITE | HAL_MAP_EXEC;
    assert_int_equal(pte(VS, V_PT, 2), hal_pte_frame(obj(FL), 2, flags));
    assert_false(hal_pte_is_table(pte(VS, V_PT, 2), 2));
    assert_last_call(&double_vspace.last_map, asid(VS), V_PT, KAAL_FRAME_BITS_LARGE);
    assert_int_equal(double_vspace.last_map.frame, obj(FL));
    assert_int_equal(double_vspace.last_map.flags, flags);
    assert_record(FL, VS, V_PT);

    /* A device frame of 2 MiB maps with the device flag. */
    make_from(device_ut(), KAAL_OBJ_FRAME, KAAL_FRAME_BITS_LARGE, FDL);
    map_frame_ok(FDL, VS, V_PT + BIT(21), KAAL_RIGHT_READ, 0);
    assert_int_equal(pte(VS, V_PT + BIT(21), 2),
                     hal_pte_frame(KT_DEVICE_BASE, 2, HAL_MAP_READ | HAL_MAP_DEVICE));

    kt_assert_success(op(FL, KAAL_FRAME_UNMAP));
    assert_int_equal(pte(VS, V_PT, 2), 0);
    assert_last_call(&double_vspace.last_unmap, asid(VS), V_PT, KAAL_FRAME_BITS_LARGE);
    assert_no_record(FL);
}

/*
 * 1 GiB frames do not fit the 8 MiB test RAM: boot again with a 1 GiB region
 * of fresh anonymous memory promised zero, so neither Retype nor mapping
 * touches it (the double's backend only records the call).
 */
static void test_map_huge_frame(void **state)
{
    (void)state;
    kaal_word_t big = reboot_with_zeroed_region(KAAL_FRAME_BITS_HUGE);
    make_from(big, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_HUGE, FH);
    assert_int_equal(cap(FH)->size_bits, KAAL_FRAME_BITS_HUGE);
    make(KAAL_OBJ_VSPACE, VS);
    struct kresult r;

    KT_REJECT(r, map_frame(FH, VS, V_PD, RW, 0), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_MISSING_TABLE, 1, 0, 0);
    tables_at(VS, V_PD, PUD, 1);
    KT_REJECT(r, map_frame(FH, VS, V_PD + BIT(21), RW, 0), KAAL_ERR_ALIGNMENT_ERROR);
    assert_detail(r, 0, KAAL_FRAME_BITS_HUGE);

    map_frame_ok(FH, VS, V_PD, RW, KAAL_MAP_EXECUTABLE);
    unsigned flags = HAL_MAP_READ | HAL_MAP_WRITE | HAL_MAP_EXEC;
    assert_int_equal(pte(VS, V_PD, 1), hal_pte_frame(obj(FH), 1, flags));
    assert_last_call(&double_vspace.last_map, asid(VS), V_PD, KAAL_FRAME_BITS_HUGE);
    assert_int_equal(double_vspace.last_map.frame, obj(FH));
    assert_int_equal(double_vspace.last_map.flags, flags);
    assert_record(FH, VS, V_PD);

    /* The 1 GiB block is in the way of anything deeper, and occupies its entry. */
    make(KAAL_OBJ_FRAME, F);
    make(KAAL_OBJ_PAGE_TABLE, PT);
    make(KAAL_OBJ_PAGE_DIR, PD);
    KT_REJECT(r, map_frame(F, VS, V_PD + 0x123000, RW, 0), KAAL_ERR_DELETE_FIRST);
    assert_detail(r, 0, V_PD);
    KT_REJECT(r, map_table(PT, VS, V_PD + (2ull << 21)), KAAL_ERR_DELETE_FIRST);
    assert_detail(r, 0, V_PD);
    KT_REJECT(r, map_table(PD, VS, V_PD), KAAL_ERR_DELETE_FIRST);
    assert_detail(r, 0, V_PD);

    kt_assert_success(op(FH, KAAL_FRAME_UNMAP));
    assert_int_equal(pte(VS, V_PD, 1), 0);
    assert_last_call(&double_vspace.last_unmap, asid(VS), V_PD, KAAL_FRAME_BITS_HUGE);
    assert_no_record(FH);
    kt_assert_success(map_table(PD, VS, V_PD));
}

/* ---- Frame_Map: refusals ---- */

static void test_frame_map_truncated(void **state)
{
    (void)state;
    world();
    struct kresult r;
    kaal_word_t args[] = {V, RW, 0};
    kaal_word_t caps[] = {VS};
    KT_REJECT(r, kt_invoke(F, KAAL_FRAME_MAP, args, 2, caps, 1), KAAL_ERR_TRUNCATED_MESSAGE);
    assert_detail(r, 3, 1);
    KT_REJECT(r, kt_invoke(F, KAAL_FRAME_MAP, args, 3, NULL, 0), KAAL_ERR_TRUNCATED_MESSAGE);
    assert_detail(r, 3, 1);
    KT_REJECT(r, kt_invoke(F, KAAL_FRAME_MAP, NULL, 0, NULL, 0), KAAL_ERR_TRUNCATED_MESSAGE);
    assert_detail(r, 3, 1);
    assert_no_record(F);
}

static void test_frame_map_already_mapped(void **state)
{
    (void)state;
    world();
    map_frame_ok(F, VS, V, RW, 0);
    struct kresult r;
    KT_REJECT(r, map_frame(F, VS, V + BIT(12), RW, 0), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_ALREADY_MAPPED);
    KT_REJECT(r, map_frame(F, VS, V, RW, 0), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_ALREADY_MAPPED);
    KT_REJECT(r, map_frame(F, ROOT_VS, V, RW, 0), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_ALREADY_MAPPED);
    assert_int_equal(double_vspace.maps, 1);
}

static void test_frame_map_address_space_not_a_vspace(void **state)
{
    (void)state;
    world();
    make(KAAL_OBJ_ENDPOINT, EP);
    make(KAAL_OBJ_FRAME, F2);
    struct kresult r;
    kaal_word_t not_vspaces[] = {EP, PUD, PT, F2, KT_ROOT, KAAL_ROOT_SLOT_TCB, ut()};
    for (unsigned i = 0; i < ARRAY_SIZE(not_vspaces); i++) {
        KT_REJECT(r, map_frame(F, not_vspaces[i], V, RW, 0), KAAL_ERR_INVALID_CAPABILITY);
        assert_detail(r, KAAL_ARG_CAP(0));
    }
    /* An empty slot fails the lookup of the cap argument. */
    KT_REJECT(r, map_frame(F, SPARE, V, RW, 0), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, KAAL_ARG_CAP(0), KAAL_LOOKUP_MISSING_CAP, 0, 0, 0);
}

static void test_frame_map_misaligned(void **state)
{
    (void)state;
    world();
    make_from(ut2(), KAAL_OBJ_FRAME, KAAL_FRAME_BITS_LARGE, FL);
    struct kresult r;
    kaal_word_t small[] = {V + 1, V + 0x800, V + 0xfff, 1};
    for (unsigned i = 0; i < ARRAY_SIZE(small); i++) {
        KT_REJECT(r, map_frame(F, VS, small[i], RW, 0), KAAL_ERR_ALIGNMENT_ERROR);
        assert_detail(r, 0, KAAL_FRAME_BITS_SMALL);
    }
    kaal_word_t large[] = {V, V_PT + BIT(20), V_PT + BIT(12)};
    for (unsigned i = 0; i < ARRAY_SIZE(large); i++) {
        KT_REJECT(r, map_frame(FL, VS, large[i], RW, 0), KAAL_ERR_ALIGNMENT_ERROR);
        assert_detail(r, 0, KAAL_FRAME_BITS_LARGE);
    }
}

static void test_frame_map_outside_the_user_range(void **state)
{
    (void)state;
    world();
    make_from(ut2(), KAAL_OBJ_FRAME, KAAL_FRAME_BITS_LARGE, FL);
    struct kresult r;
    kaal_word_t beyond[] = {TOP, TOP + BIT(21), 1ull << 47, ~MASK(KAAL_FRAME_BITS_LARGE)};
    for (unsigned i = 0; i < ARRAY_SIZE(beyond); i++) {
        KT_REJECT(r, map_frame(F, VS, beyond[i], RW, 0), KAAL_ERR_RANGE_ERROR);
        assert_detail(r, 0, 0, TOP - BIT(12));
        KT_REJECT(r, map_frame(FL, VS, beyond[i], RW, 0), KAAL_ERR_RANGE_ERROR);
        assert_detail(r, 0, 0, TOP - BIT(21));
    }

    /* A top inside a 2 MiB block: a frame that starts below it but reaches past it is refused too. */
    double_vspace.user_top = TOP - BIT(12);
    KT_REJECT(r, map_frame(FL, VS, TOP - BIT(21), RW, 0), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 0, 0, TOP - BIT(12) - BIT(21));
    KT_REJECT(r, map_frame(F, VS, TOP - BIT(12), RW, 0), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 0, 0, TOP - 2 * BIT(12));
    /* The last page below the top passes the range check (and then needs its tables). */
    KT_REJECT(r, map_frame(F, VS, TOP - 2 * BIT(12), RW, 0), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_MISSING_TABLE, 2, 0, 0);
}

static void test_frame_map_missing_table_at_each_level(void **state)
{
    (void)state;
    make(KAAL_OBJ_VSPACE, VS);
    make(KAAL_OBJ_FRAME, F);
    make_from(ut2(), KAAL_OBJ_FRAME, KAAL_FRAME_BITS_LARGE, FL);
    struct kresult r;
    KT_REJECT(r, map_frame(F, VS, V, RW, 0), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_MISSING_TABLE, 1, 0, 0);
    KT_REJECT(r, map_frame(FL, VS, V_PT, RW, 0), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_MISSING_TABLE, 1, 0, 0);

    tables_at(VS, V, PUD, 1);
    KT_REJECT(r, map_frame(F, VS, V, RW, 0), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_MISSING_TABLE, 2, 0, 0);
    KT_REJECT(r, map_frame(FL, VS, V_PT, RW, 0), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_MISSING_TABLE, 2, 0, 0);

    make(KAAL_OBJ_PAGE_DIR, PD);
    kt_assert_success(map_table(PD, VS, V_PD));
    KT_REJECT(r, map_frame(F, VS, V, RW, 0), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_MISSING_TABLE, 3, 0, 0);
    /* Elsewhere in the address space the upper levels are still missing. */
    KT_REJECT(r, map_frame(F, VS, 0, RW, 0), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_MISSING_TABLE, 1, 0, 0);
    KT_REJECT(r, map_frame(F, VS, V_PUD + (4ull << 30), RW, 0), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_MISSING_TABLE, 2, 0, 0);

    make(KAAL_OBJ_PAGE_TABLE, PT);
    kt_assert_success(map_table(PT, VS, V_PT));
    map_frame_ok(F, VS, V, RW, 0);
    map_frame_ok(FL, VS, V_PT + BIT(21), RW, 0);
}

static void test_frame_map_occupied(void **state)
{
    (void)state;
    world();
    make(KAAL_OBJ_FRAME, F2);
    make_from(ut2(), KAAL_OBJ_FRAME, KAAL_FRAME_BITS_LARGE, FL);
    map_frame_ok(F, VS, V, RW, 0);
    struct kresult r;
    KT_REJECT(r, map_frame(F2, VS, V, KAAL_RIGHT_READ, 0), KAAL_ERR_DELETE_FIRST);
    assert_detail(r, 0, V);
    /* The PageTable occupies the level-2 entry a 2 MiB frame at V_PT would take. */
    KT_REJECT(r, map_frame(FL, VS, V_PT, RW, 0), KAAL_ERR_DELETE_FIRST);
    assert_detail(r, 0, V_PT);
    /* A 2 MiB frame occupies its entry for another one. */
    make_from(ut(), KAAL_OBJ_FRAME, KAAL_FRAME_BITS_LARGE, SPARE); /* the last thing ut() can hold */
    map_frame_ok(FL, VS, V_PT + BIT(21), RW, 0);
    KT_REJECT(r, map_frame(SPARE, VS, V_PT + BIT(21), RW, 0), KAAL_ERR_DELETE_FIRST);
    assert_detail(r, 0, V_PT + BIT(21));
    assert_record(F, VS, V);
    assert_no_record(F2);
}

static void test_block_mapping_in_the_way(void **state)
{
    (void)state;
    make(KAAL_OBJ_VSPACE, VS);
    tables_at(VS, V_PT, PUD, 2);
    make_from(ut2(), KAAL_OBJ_FRAME, KAAL_FRAME_BITS_LARGE, FL);
    map_frame_ok(FL, VS, V_PT, RW, 0);
    make(KAAL_OBJ_FRAME, F);
    make(KAAL_OBJ_PAGE_TABLE, PT);
    struct kresult r;
    /* A 4 KiB frame inside the 2 MiB block: the walk meets the block at level 2. */
    KT_REJECT(r, map_frame(F, VS, V, RW, 0), KAAL_ERR_DELETE_FIRST);
    assert_detail(r, 0, V_PT);
    KT_REJECT(r, map_frame(F, VS, V_PT, RW, 0), KAAL_ERR_DELETE_FIRST);
    assert_detail(r, 0, V_PT);
    /* A table where the block is. */
    KT_REJECT(r, map_table(PT, VS, V_PT), KAAL_ERR_DELETE_FIRST);
    assert_detail(r, 0, V_PT);
    /* Once the block is gone, the table and the frame go in. */
    kt_assert_success(op(FL, KAAL_FRAME_UNMAP));
    kt_assert_success(map_table(PT, VS, V_PT));
    map_frame_ok(F, VS, V, RW, 0);
}

static void test_frame_map_bad_rights(void **state)
{
    (void)state;
    world();
    struct kresult r;
    kaal_word_t bad[] = {0,
                         KAAL_RIGHT_WRITE,
                         KAAL_RIGHT_READ | KAAL_RIGHT_GRANT,
                         KAAL_RIGHT_READ | KAAL_RIGHT_GRANT_REPLY,
                         KAAL_RIGHTS_ALL,
                         KAAL_RIGHT_READ | 0x10,
                         ~(kaal_word_t)0};
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        KT_REJECT(r, map_frame(F, VS, V, bad[i], 0), KAAL_ERR_INVALID_ARGUMENT);
        assert_detail(r, 1);
    }
    /* More than the cap's rights: a read-only copy maps read-only, never writable. */
    kt_assert_success(kt_copy(FC, F, KAAL_RIGHT_READ));
    assert_int_equal(cap(FC)->rights, KAAL_RIGHT_READ);
    KT_REJECT(r, map_frame(FC, VS, V, RW, 0), KAAL_ERR_INVALID_ARGUMENT);
    assert_detail(r, 1);
    /* A write-only copy cannot be mapped at all (a mapping is always readable). */
    kt_assert_success(kt_copy(FC2, F, KAAL_RIGHT_WRITE));
    KT_REJECT(r, map_frame(FC2, VS, V, KAAL_RIGHT_READ, 0), KAAL_ERR_INVALID_ARGUMENT);
    assert_detail(r, 1);
    KT_REJECT(r, map_frame(FC2, VS, V, RW, 0), KAAL_ERR_INVALID_ARGUMENT);
    assert_detail(r, 1);

    map_frame_ok(FC, VS, V, KAAL_RIGHT_READ, KAAL_MAP_EXECUTABLE);
    assert_int_equal(double_pte_flags(pte(VS, V, 3)), HAL_MAP_READ | HAL_MAP_EXEC);
}

static void test_frame_map_unknown_attributes(void **state)
{
    (void)state;
    world();
    struct kresult r;
    kaal_word_t bad[] = {2, KAAL_MAP_EXECUTABLE | 2, 0x80, ~(kaal_word_t)0};
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        KT_REJECT(r, map_frame(F, VS, V, RW, bad[i]), KAAL_ERR_INVALID_ARGUMENT);
        assert_detail(r, 2);
    }
}

static void test_device_frame_cannot_be_executable(void **state)
{
    (void)state;
    world();
    make_from(device_ut(), KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, FD);
    struct kresult r;
    KT_REJECT(r, map_frame(FD, VS, V, RW, KAAL_MAP_EXECUTABLE), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_DEVICE_MEMORY);
    KT_REJECT(r, map_frame(FD, VS, V, KAAL_RIGHT_READ, KAAL_MAP_EXECUTABLE), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_DEVICE_MEMORY);
    map_frame_ok(FD, VS, V, KAAL_RIGHT_READ, 0);
    assert_int_equal(double_pte_flags(pte(VS, V, 3)), HAL_MAP_READ | HAL_MAP_DEVICE);
}

static void test_backend_refusal_leaves_no_trace(void **state)
{
    (void)state;
    world();
    struct kresult r;
    double_vspace.refuse_map = true;
    KT_REJECT(r, map_frame(F, VS, V, RW, 0), KAAL_ERR_NOT_ENOUGH_MEMORY);
    assert_detail(r, 0);
    assert_int_equal(pte(VS, V, 3), 0);
    assert_no_record(F);
    assert_int_equal(double_vspace.maps, 0);
    double_vspace.refuse_map = false;
    map_frame_ok(F, VS, V, RW, 0);
    assert_int_equal(double_vspace.maps, 1);
}

static void test_wrong_labels(void **state)
{
    (void)state;
    world();
    kaal_word_t args[] = {V, RW, 0};
    kaal_word_t caps[] = {VS};
    struct kresult r;
    kaal_word_t frame_labels[] = {0,
                                  KAAL_PAGE_TABLE_MAP,
                                  KAAL_PAGE_TABLE_UNMAP,
                                  KAAL_FRAME_GET_ADDRESS + 1,
                                  KAAL_UNTYPED_RETYPE,
                                  KAAL_CNODE_COPY,
                                  KAAL_TCB_RESUME};
    for (unsigned i = 0; i < ARRAY_SIZE(frame_labels); i++) {
        KT_REJECT(r, kt_invoke(F, frame_labels[i], args, 3, caps, 1), KAAL_ERR_ILLEGAL_OPERATION);
        assert_detail(r, KAAL_ILLEGAL_LABEL);
    }
    kaal_word_t table_labels[] = {0,
                                  KAAL_FRAME_MAP,
                                  KAAL_FRAME_UNMAP,
                                  KAAL_FRAME_GET_ADDRESS,
                                  KAAL_PAGE_TABLE_UNMAP + 1,
                                  KAAL_UNTYPED_RETYPE};
    kaal_word_t tables[] = {PUD, PD, PT};
    for (unsigned t = 0; t < ARRAY_SIZE(tables); t++) {
        for (unsigned i = 0; i < ARRAY_SIZE(table_labels); i++) {
            KT_REJECT(r, kt_invoke(tables[t], table_labels[i], args, 3, caps, 1), KAAL_ERR_ILLEGAL_OPERATION);
            assert_detail(r, KAAL_ILLEGAL_LABEL);
        }
    }
    /* A VSpace cap has no operations of its own. */
    kaal_word_t vspace_labels[] = {0,
                                   KAAL_PAGE_TABLE_MAP,
                                   KAAL_PAGE_TABLE_UNMAP,
                                   KAAL_FRAME_MAP,
                                   KAAL_FRAME_UNMAP,
                                   KAAL_FRAME_GET_ADDRESS};
    kaal_word_t vspaces[] = {VS, ROOT_VS};
    for (unsigned v = 0; v < ARRAY_SIZE(vspaces); v++) {
        for (unsigned i = 0; i < ARRAY_SIZE(vspace_labels); i++) {
            KT_REJECT(r, kt_invoke(vspaces[v], vspace_labels[i], args, 3, caps, 1),
                      KAAL_ERR_ILLEGAL_OPERATION);
            assert_detail(r, KAAL_ILLEGAL_LABEL);
        }
    }
}

/* ---- PageTable_Map and PageTable_Unmap ---- */

static void test_table_map_and_unmap_at_each_level(void **state)
{
    (void)state;
    world();
    kaal_word_t a = asid(VS);
    /* Unmap from the bottom: each entry goes, the backend hears of the table's whole span. */
    kaal_word_t tables[] = {PT, PD, PUD};
    kaal_word_t vaddrs[] = {V_PT, V_PD, V_PUD};
    unsigned levels[] = {2, 1, 0};
    for (unsigned i = 0; i < ARRAY_SIZE(tables); i++) {
        unsigned unmaps = double_vspace.unmaps;
        kt_assert_success(op(tables[i], KAAL_PAGE_TABLE_UNMAP));
        assert_int_equal(pte(VS, V, levels[i]), 0);
        assert_int_equal(double_vspace.unmaps, unmaps + 1);
        assert_last_call(&double_vspace.last_unmap, a, vaddrs[i], shift(levels[i]));
        assert_no_record(tables[i]);
        assert_true(is_zero(obj(tables[i]), BIT(KAAL_PAGE_TABLE_BITS)));
    }
    assert_true(is_zero(obj(VS), BIT(KAAL_PAGE_TABLE_BITS)));
    /* Each can be mapped again, elsewhere. */
    kt_assert_success(map_table(PUD, VS, 0));
    kt_assert_success(map_table(PD, VS, 1ull << 30));
    kt_assert_success(map_table(PT, VS, (1ull << 30) + (1ull << 21)));
    assert_int_equal(pte(VS, 0, 0), hal_pte_table(obj(PUD)));
    assert_int_equal(pte(VS, 1ull << 30, 1), hal_pte_table(obj(PD)));
    assert_int_equal(pte(VS, (1ull << 30) + (1ull << 21), 2), hal_pte_table(obj(PT)));
    assert_record(PT, VS, (1ull << 30) + (1ull << 21));
    assert_int_equal(double_vspace.maps, 0);
}

static void test_table_map_errors(void **state)
{
    (void)state;
    make(KAAL_OBJ_VSPACE, VS);
    make(KAAL_OBJ_PAGE_UPPER_DIR, PUD);
    make(KAAL_OBJ_PAGE_DIR, PD);
    make(KAAL_OBJ_PAGE_TABLE, PT);
    make(KAAL_OBJ_ENDPOINT, EP);
    make(KAAL_OBJ_FRAME, F);
    struct kresult r;

    /* Truncated. */
    kaal_word_t args[] = {V_PUD};
    kaal_word_t caps[] = {VS};
    KT_REJECT(r, kt_invoke(PUD, KAAL_PAGE_TABLE_MAP, args, 0, caps, 1), KAAL_ERR_TRUNCATED_MESSAGE);
    assert_detail(r, 1, 1);
    KT_REJECT(r, kt_invoke(PUD, KAAL_PAGE_TABLE_MAP, args, 1, NULL, 0), KAAL_ERR_TRUNCATED_MESSAGE);
    assert_detail(r, 1, 1);

    /* Not a VSpace. */
    kaal_word_t not_vspaces[] = {EP, F, PD, KT_ROOT};
    for (unsigned i = 0; i < ARRAY_SIZE(not_vspaces); i++) {
        KT_REJECT(r, map_table(PUD, not_vspaces[i], V_PUD), KAAL_ERR_INVALID_CAPABILITY);
        assert_detail(r, KAAL_ARG_CAP(0));
    }

    /* Aligned to the span of the table's entry: 512 GiB, 1 GiB, 2 MiB. */
    KT_REJECT(r, map_table(PUD, VS, V_PD), KAAL_ERR_ALIGNMENT_ERROR);
    assert_detail(r, 0, 39);
    KT_REJECT(r, map_table(PUD, VS, BIT(12)), KAAL_ERR_ALIGNMENT_ERROR);
    assert_detail(r, 0, 39);
    KT_REJECT(r, map_table(PD, VS, V_PT), KAAL_ERR_ALIGNMENT_ERROR);
    assert_detail(r, 0, 30);
    KT_REJECT(r, map_table(PT, VS, V), KAAL_ERR_ALIGNMENT_ERROR);
    assert_detail(r, 0, 21);

    /* Out of range: at or beyond the top (a table may reach past the top, but not start there). */
    KT_REJECT(r, map_table(PUD, VS, TOP), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 0, 0, TOP - 1);
    KT_REJECT(r, map_table(PD, VS, 1ull << 47), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 0, 0, TOP - 1);
    KT_REJECT(r, map_table(PT, VS, ~MASK(21)), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 0, 0, TOP - 1);

    /* Missing upper levels. */
    KT_REJECT(r, map_table(PD, VS, V_PD), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_MISSING_TABLE, 1, 0, 0);
    KT_REJECT(r, map_table(PT, VS, V_PT), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_MISSING_TABLE, 1, 0, 0);
    kt_assert_success(map_table(PUD, VS, V_PUD));
    KT_REJECT(r, map_table(PT, VS, V_PT), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_MISSING_TABLE, 2, 0, 0);

    /* Already mapped: the cap maps something. */
    KT_REJECT(r, map_table(PUD, VS, 0), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_ALREADY_MAPPED);
    KT_REJECT(r, map_table(PUD, ROOT_VS, V_PUD), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_ALREADY_MAPPED);

    /* Occupied: another table of the level is there. */
    make(KAAL_OBJ_PAGE_UPPER_DIR, PUD2);
    make(KAAL_OBJ_PAGE_DIR, PD2);
    make(KAAL_OBJ_PAGE_TABLE, PT2);
    KT_REJECT(r, map_table(PUD2, VS, V_PUD), KAAL_ERR_DELETE_FIRST);
    assert_detail(r, 0, V_PUD);
    kt_assert_success(map_table(PD, VS, V_PD));
    KT_REJECT(r, map_table(PD2, VS, V_PD), KAAL_ERR_DELETE_FIRST);
    assert_detail(r, 0, V_PD);
    kt_assert_success(map_table(PT, VS, V_PT));
    KT_REJECT(r, map_table(PT2, VS, V_PT), KAAL_ERR_DELETE_FIRST);
    assert_detail(r, 0, V_PT);

    /* A table may reach beyond the top as long as it starts below it. */
    double_vspace.user_top = TOP - BIT(12);
    kt_assert_success(map_table(PD2, VS, TOP - BIT(30)));
    kt_assert_success(map_table(PT2, VS, TOP - BIT(21)));
    double_vspace.user_top = BIT(12);
    kt_assert_success(map_table(PUD2, VS, 0));
}

static void test_unmap_of_what_is_not_mapped(void **state)
{
    (void)state;
    make(KAAL_OBJ_PAGE_UPPER_DIR, PUD);
    make(KAAL_OBJ_PAGE_DIR, PD);
    make(KAAL_OBJ_PAGE_TABLE, PT);
    make(KAAL_OBJ_FRAME, F);
    struct kresult r;
    kaal_word_t tables[] = {PUD, PD, PT};
    for (unsigned i = 0; i < ARRAY_SIZE(tables); i++) {
        KT_REJECT(r, op(tables[i], KAAL_PAGE_TABLE_UNMAP), KAAL_ERR_ILLEGAL_OPERATION);
        assert_detail(r, KAAL_ILLEGAL_NOT_MAPPED);
    }
    KT_REJECT(r, op(F, KAAL_FRAME_UNMAP), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_NOT_MAPPED);

    /* And after an Unmap, a second one. */
    make(KAAL_OBJ_VSPACE, VS);
    kt_assert_success(map_table(PUD, VS, 0));
    kt_assert_success(op(PUD, KAAL_PAGE_TABLE_UNMAP));
    KT_REJECT(r, op(PUD, KAAL_PAGE_TABLE_UNMAP), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_NOT_MAPPED);
    assert_int_equal(double_vspace.unmaps, 1);
}

static void test_deleting_a_mapped_table_takes_it_out(void **state)
{
    (void)state;
    world();
    map_frame_ok(F, VS, V, RW, 0);
    kt_assert_success(kt_delete(PT));
    assert_int_equal(pte(VS, V, 2), 0);
    assert_last_call(&double_vspace.last_unmap, asid(VS), V_PT, 21);
    kt_assert_success(kt_delete(PUD));
    assert_int_equal(pte(VS, V, 0), 0);
    assert_last_call(&double_vspace.last_unmap, asid(VS), V_PUD, 39);
    assert_int_equal(double_vspace.unmaps, 2);
    /* PD and F are left with records of places that are gone: their Unmap succeeds and calls nothing. */
    assert_record(PD, VS, V_PD);
    kt_assert_success(op(PD, KAAL_PAGE_TABLE_UNMAP));
    kt_assert_success(op(F, KAAL_FRAME_UNMAP));
    assert_int_equal(double_vspace.unmaps, 2);
    assert_no_record(PD);
    assert_no_record(F);
}

/* ---- Frame_Unmap, Frame_GetAddress ---- */

static void test_frame_unmap(void **state)
{
    (void)state;
    world();
    make(KAAL_OBJ_FRAME, F2);
    map_frame_ok(F, VS, V, RW, 0);
    map_frame_ok(F2, VS, V + BIT(12), KAAL_RIGHT_READ, 0);
    kt_assert_success(op(F, KAAL_FRAME_UNMAP));
    assert_int_equal(pte(VS, V, 3), 0);
    assert_int_equal(pte(VS, V + BIT(12), 3), hal_pte_frame(obj(F2), 3, HAL_MAP_READ));
    assert_int_equal(double_vspace.unmaps, 1);
    assert_last_call(&double_vspace.last_unmap, asid(VS), V, KAAL_FRAME_BITS_SMALL);
    assert_no_record(F);
    assert_record(F2, VS, V + BIT(12));

    /* Mapped again, at the same place or elsewhere. */
    map_frame_ok(F, VS, V, KAAL_RIGHT_READ, 0);
    kt_assert_success(op(F, KAAL_FRAME_UNMAP));
    map_frame_ok(F, VS, V + 2 * BIT(12), RW, 0);
    assert_record(F, VS, V + 2 * BIT(12));
    assert_int_equal(double_vspace.maps, 4);
}

static void test_frame_get_address(void **state)
{
    (void)state;
    world();
    make_from(device_ut(), KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, FD);
    make_from(ut2(), KAAL_OBJ_FRAME, KAAL_FRAME_BITS_LARGE, FL);
    /* The double's physical address is the kernel address. */
    assert_answer(op(F, KAAL_FRAME_GET_ADDRESS), obj(F));
    assert_answer(op(FD, KAAL_FRAME_GET_ADDRESS), KT_DEVICE_BASE);
    assert_answer(op(FL, KAAL_FRAME_GET_ADDRESS), obj(FL));
    assert_answer(op(KAAL_ROOT_SLOT_IPC_BUFFER, KAAL_FRAME_GET_ADDRESS), obj(KAAL_ROOT_SLOT_IPC_BUFFER));
    map_frame_ok(F, VS, V, RW, 0);
    assert_answer(op(F, KAAL_FRAME_GET_ADDRESS), obj(F));
    kt_assert_success(kt_copy(FC, F, KAAL_RIGHT_READ));
    assert_answer(op(FC, KAAL_FRAME_GET_ADDRESS), obj(F));
}

/* ---- Copies, Move, Delete ---- */

static void test_copy_of_a_mapped_frame_starts_unmapped(void **state)
{
    (void)state;
    world();
    map_frame_ok(F, VS, V, RW, 0);
    kt_assert_success(kt_copy(FC, F, KAAL_RIGHTS_ALL));
    assert_ptr_equal(kt_slot(FC)->parent, kt_slot(F));
    assert_int_equal(obj(FC), obj(F));
    assert_no_record(FC);
    kt_assert_success(kt_mint(FC2, F, KAAL_RIGHT_READ, 0));
    assert_no_record(FC2);

    /* Two mappings of one frame, in two address spaces and at two addresses of one. */
    map_frame_ok(FC, VS, V + BIT(12), KAAL_RIGHT_READ, 0);
    tables_at(ROOT_VS, V, PUD2, 3);
    map_frame_ok(FC2, ROOT_VS, V, KAAL_RIGHT_READ, 0);
    assert_int_equal(hal_pte_kaddr(pte(VS, V, 3)), obj(F));
    assert_int_equal(hal_pte_kaddr(pte(VS, V + BIT(12), 3)), obj(F));
    assert_int_equal(hal_pte_kaddr(pte(ROOT_VS, V, 3)), obj(F));
    assert_record(F, VS, V);
    assert_record(FC, VS, V + BIT(12));
    assert_record(FC2, ROOT_VS, V);

    /* A copy of a copy starts unmapped as well. */
    kt_assert_success(kt_copy(F3, FC, KAAL_RIGHTS_ALL));
    assert_no_record(F3);
}

static void test_delete_of_a_copy_unmaps_only_its_own_mapping(void **state)
{
    (void)state;
    world();
    map_frame_ok(F, VS, V, RW, 0);
    kt_assert_success(kt_copy(FC, F, KAAL_RIGHTS_ALL));
    map_frame_ok(FC, VS, V + BIT(12), RW, 0);

    kt_assert_success(kt_delete(FC)); /* not the last cap to the frame */
    assert_int_equal(pte(VS, V + BIT(12), 3), 0);
    assert_int_equal(pte(VS, V, 3), hal_pte_frame(obj(F), 3, HAL_MAP_READ | HAL_MAP_WRITE));
    assert_int_equal(double_vspace.unmaps, 1);
    assert_last_call(&double_vspace.last_unmap, asid(VS), V + BIT(12), KAAL_FRAME_BITS_SMALL);
    assert_record(F, VS, V);

    /* The parent goes (a mapped child with it, by Revoke first). */
    kt_assert_success(kt_copy(FC, F, KAAL_RIGHTS_ALL));
    map_frame_ok(FC, VS, V + 2 * BIT(12), RW, 0);
    kt_assert_success(kt_revoke(F));
    assert_int_equal(pte(VS, V + 2 * BIT(12), 3), 0);
    assert_int_equal(pte(VS, V, 3), hal_pte_frame(obj(F), 3, HAL_MAP_READ | HAL_MAP_WRITE));
    kt_assert_success(kt_delete(F)); /* the last cap */
    assert_int_equal(pte(VS, V, 3), 0);
    assert_last_call(&double_vspace.last_unmap, asid(VS), V, KAAL_FRAME_BITS_SMALL);
    assert_int_equal(double_vspace.unmaps, 3);
}

static void test_move_keeps_the_record(void **state)
{
    (void)state;
    world();
    map_frame_ok(F, VS, V, RW, 0);
    kaal_word_t frame_record = cap(F)->data;
    kaal_word_t table_record = cap(PT)->data;
    kt_assert_success(kt_move(FC, F));
    kt_assert_success(kt_move(SPARE, PT));
    assert_true(slot_is_empty(kt_slot(F)));
    assert_int_equal(cap(FC)->data, frame_record);
    assert_int_equal(cap(SPARE)->data, table_record);
    assert_record(FC, VS, V);
    assert_record(SPARE, VS, V_PT);
    /* Mutate (with no data) keeps it too. */
    kt_assert_success(kt_mutate(F, FC, 0));
    assert_record(F, VS, V);

    /* The moved caps unmap what they mapped. */
    kt_assert_success(op(F, KAAL_FRAME_UNMAP));
    assert_int_equal(pte(VS, V, 3), 0);
    assert_last_call(&double_vspace.last_unmap, asid(VS), V, KAAL_FRAME_BITS_SMALL);
    kt_assert_success(op(SPARE, KAAL_PAGE_TABLE_UNMAP));
    assert_int_equal(pte(VS, V, 2), 0);
    assert_last_call(&double_vspace.last_unmap, asid(VS), V_PT, 21);
}

static void test_table_caps_cannot_be_copied_but_can_be_moved(void **state)
{
    (void)state;
    world();
    struct kresult r;
    kaal_word_t tables[] = {PUD, PD, PT};
    for (unsigned i = 0; i < ARRAY_SIZE(tables); i++) {
        KT_REJECT(r, kt_copy(SPARE, tables[i], KAAL_RIGHTS_ALL), KAAL_ERR_ILLEGAL_OPERATION);
        assert_detail(r, KAAL_ILLEGAL_NOT_DERIVABLE);
        KT_REJECT(r, kt_mint(SPARE, tables[i], KAAL_RIGHTS_ALL, 0), KAAL_ERR_ILLEGAL_OPERATION);
        assert_detail(r, KAAL_ILLEGAL_NOT_DERIVABLE);
    }
    /* Unmapped ones neither. */
    make(KAAL_OBJ_PAGE_TABLE, PT2);
    KT_REJECT(r, kt_copy(SPARE, PT2, KAAL_RIGHTS_ALL), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_NOT_DERIVABLE);

    kaal_word_t record = cap(PD)->data;
    kt_assert_success(kt_move(SPARE, PD));
    assert_int_equal(cap(SPARE)->data, record);
    assert_int_equal(cap(SPARE)->type, CAP_PAGE_DIR);
    kt_assert_success(kt_move(SPARE2, PT2));
    assert_no_record(SPARE2);

    /* VSpace caps can be copied: the copy names the same ASID. */
    kt_assert_success(kt_copy(VS2, VS, KAAL_RIGHTS_ALL));
    assert_int_equal(cap(VS2)->data, asid(VS));
    make(KAAL_OBJ_FRAME, F2);
    map_frame_ok(F2, VS2, V, RW, 0);
    assert_record(F2, VS, V);
}

/* ---- Stale records ---- */

static void test_deleting_the_vspace_makes_records_stale(void **state)
{
    (void)state;
    world();
    make_from(ut2(), KAAL_OBJ_FRAME, KAAL_FRAME_BITS_LARGE, FL);
    map_frame_ok(F, VS, V, RW, 0);
    map_frame_ok(FL, VS, V_PT + BIT(21), RW, 0);
    kaal_word_t a = asid(VS);
    kaal_word_t free_before = asid_free_count();
    kt_assert_success(kt_copy(VS2, VS, KAAL_RIGHTS_ALL));

    kt_assert_success(kt_delete(VS)); /* not the last cap */
    assert_int_equal(double_vspace.releases, 0);
    assert_int_equal(ks.asid_roots[a], obj(VS2));

    kt_assert_success(kt_delete(VS2));
    assert_int_equal(double_vspace.releases, 1);
    assert_int_equal(double_vspace.last_release, a);
    assert_int_equal(ks.asid_roots[a], 0);
    assert_int_equal(asid_free_count(), free_before + 1);
    assert_int_equal(double_vspace.unmaps, 0); /* the release covers every mapping of the ASID */

    /* The records stay, naming a free ASID; unmapping or deleting through them touches nothing. */
    assert_int_equal(cap_mapping_asid(cap(F)), a);
    assert_int_equal(cap_mapping_asid(cap(PT)), a);
    kt_assert_success(op(F, KAAL_FRAME_UNMAP));
    assert_no_record(F);
    kt_assert_success(kt_delete(FL));
    /* The PageDir still holds its entry for PT (nothing cleared it), until PD is unmapped. */
    hal_pte_t pt_entry = hal_pte_table(obj(PT));
    assert_int_equal(*table_entry(obj(PD), V, 2), pt_entry);
    kt_assert_success(kt_delete(PT));
    assert_int_equal(*table_entry(obj(PD), V, 2), pt_entry);
    kt_assert_success(op(PD, KAAL_PAGE_TABLE_UNMAP));
    assert_true(is_zero(obj(PD), BIT(KAAL_PAGE_TABLE_BITS)));
    assert_no_record(PD);
    kt_assert_success(kt_delete(PUD));
    assert_int_equal(double_vspace.unmaps, 0);
    assert_int_equal(double_vspace.releases, 1);

    /* The frame and the PageDir are free to be mapped again, in a live address space. */
    tables_at(ROOT_VS, V, PUD2, 1);
    kt_assert_success(map_table(PD, ROOT_VS, V_PD));
    make(KAAL_OBJ_PAGE_TABLE, PT2);
    kt_assert_success(map_table(PT2, ROOT_VS, V_PT));
    map_frame_ok(F, ROOT_VS, V, RW, 0);
}

/*
 * Hand out (and take back) every ASID from where the search starts up to the
 * top of the table, so the search wraps round: the next VSpace made gets the
 * lowest free ASID. The VSpaces come from a 1 MiB Untyped of their own, in
 * batches that are revoked again.
 */
static void wrap_asid_search(void)
{
    if (slot_is_empty(kt_slot(UT)))
        make_from(ut(), KAAL_OBJ_UNTYPED, 20, UT);
    unsigned rounds = 0;
    while (ks.asid_next != 1) {
        kaal_word_t n = KAAL_ASID_COUNT - ks.asid_next;
        if (n > KAAL_RETYPE_MAX_OBJECTS)
            n = KAAL_RETYPE_MAX_OBJECTS;
        kt_assert_success(kt_retype(UT, KAAL_OBJ_VSPACE, 0, 0, 0, BATCH, n));
        kt_assert_success(kt_revoke(UT));
        assert_true(++rounds < 64);
    }
}

static void test_reused_asid_is_not_disturbed_by_stale_records(void **state)
{
    (void)state;
    world();
    map_frame_ok(F, VS, V, RW, 0);
    kaal_word_t a = asid(VS);
    kt_assert_success(kt_delete(VS));
    assert_int_equal(ks.asid_roots[a], 0);

    /* The search goes on past a; it comes back to a only once every ASID above was handed out. */
    assert_int_equal(a, 2); /* the lowest free one: the root has 1 */
    wrap_asid_search();
    assert_int_equal(double_vspace.releases,
                     1 + KAAL_ASID_COUNT - 1 - 2); /* every ASID but the root's and a */
    make(KAAL_OBJ_VSPACE, VS2);
    assert_int_equal(asid(VS2), a);
    assert_int_equal(ks.asid_roots[a], obj(VS2));

    /* The new owner of ASID a maps other tables and another frame at the very same addresses. */
    tables_at(VS2, V, PUD2, 3);
    make(KAAL_OBJ_FRAME, F2);
    map_frame_ok(F2, VS2, V, RW, 0);
    hal_pte_t frame_entry = pte(VS2, V, 3);
    unsigned unmaps = double_vspace.unmaps;

    /* The stale records name (a, V...) but not these objects: nothing of VS2 is disturbed. */
    kt_assert_success(op(F, KAAL_FRAME_UNMAP));
    assert_int_equal(pte(VS2, V, 3), frame_entry);
    kt_assert_success(op(PT, KAAL_PAGE_TABLE_UNMAP));
    assert_int_equal(pte(VS2, V, 2), hal_pte_table(obj(PT2)));
    kt_assert_success(kt_delete(PD));
    assert_int_equal(pte(VS2, V, 1), hal_pte_table(obj(PD2)));
    kt_assert_success(kt_delete(PUD));
    assert_int_equal(pte(VS2, V, 0), hal_pte_table(obj(PUD2)));
    assert_int_equal(double_vspace.unmaps, unmaps);
    assert_int_equal(pte(VS2, V, 3), frame_entry);
    assert_record(F2, VS2, V);
    assert_record(PT2, VS2, V_PT);

    /* F and PT, their records gone, are mapped again; F2's mapping is unaffected throughout. */
    kt_assert_success(map_table(PT, VS2, V_PT + BIT(21)));
    map_frame_ok(F, VS2, V_PT + BIT(21), RW, 0);
    kt_assert_success(kt_delete(F));
    assert_last_call(&double_vspace.last_unmap, a, V_PT + BIT(21), KAAL_FRAME_BITS_SMALL);
    assert_int_equal(pte(VS2, V, 3), frame_entry);
}

/*
 * The entry check compares the object, not the cap: a stale record of frame
 * F still matches an entry that a copy of F made at the same (ASID, vaddr),
 * so the stale cap's Unmap takes the copy's mapping out (seL4 behaves the
 * same way). Nothing dangles: the copy's record turns stale and its own
 * Unmap then finds nothing to do.
 */
static void test_stale_record_matches_a_copy_of_the_same_frame(void **state)
{
    (void)state;
    world();
    map_frame_ok(F, VS, V, RW, 0);
    kt_assert_success(kt_copy(FC, F, KAAL_RIGHTS_ALL));
    kaal_word_t a = asid(VS);
    kt_assert_success(kt_delete(VS));
    assert_int_equal(a, 2);
    wrap_asid_search();
    make(KAAL_OBJ_VSPACE, VS2);
    assert_int_equal(asid(VS2), a);
    tables_at(VS2, V, PUD2, 3);
    map_frame_ok(FC, VS2, V, KAAL_RIGHT_READ, 0);
    unsigned unmaps = double_vspace.unmaps;

    kt_assert_success(op(F, KAAL_FRAME_UNMAP));
    assert_int_equal(pte(VS2, V, 3), 0);
    assert_int_equal(double_vspace.unmaps, unmaps + 1);
    assert_last_call(&double_vspace.last_unmap, a, V, KAAL_FRAME_BITS_SMALL);
    assert_record(FC, VS2, V);
    kt_assert_success(op(FC, KAAL_FRAME_UNMAP));
    assert_int_equal(double_vspace.unmaps, unmaps + 1);
}

static void test_unmapping_a_page_dir_empties_it(void **state)
{
    (void)state;
    world();
    make(KAAL_OBJ_FRAME, F2);
    map_frame_ok(F, VS, V, RW, 0);
    kaal_word_t a = asid(VS);

    kt_assert_success(op(PD, KAAL_PAGE_TABLE_UNMAP));
    assert_int_equal(pte(VS, V, 1), 0);
    assert_true(is_zero(obj(PD), BIT(KAAL_PAGE_TABLE_BITS)));
    assert_int_equal(double_vspace.unmaps, 1);
    assert_last_call(&double_vspace.last_unmap, a, V_PD, 30); /* the whole 1 GiB span */
    assert_no_record(PD);

    /* PT below keeps its record (stale) and its contents, unreachable. */
    assert_record(PT, VS, V_PT);
    assert_int_equal(*table_entry(obj(PT), V, 3), hal_pte_frame(obj(F), 3, HAL_MAP_READ | HAL_MAP_WRITE));
    struct kresult r;
    KT_REJECT(r, map_table(PT, VS, V_PT), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_ALREADY_MAPPED);
    /* Its Unmap empties it and touches nothing else. */
    kt_assert_success(op(PT, KAAL_PAGE_TABLE_UNMAP));
    assert_no_record(PT);
    assert_true(is_zero(obj(PT), BIT(KAAL_PAGE_TABLE_BITS)));
    assert_int_equal(double_vspace.unmaps, 1);
    assert_int_equal(pte(VS, V, 0), hal_pte_table(obj(PUD)));

    /* Then PD and PT go in again elsewhere: empty, so F's old entry is not reachable. */
    kt_assert_success(map_table(PD, VS, V_PUD));
    kt_assert_success(map_table(PT, VS, V_PUD));
    assert_int_equal(pte(VS, V_PUD, 3), 0);
    assert_int_equal(pte(VS, V_PUD + (7ull << 12), 3), 0);
    map_frame_ok(F2, VS, V_PUD + (7ull << 12), RW, 0);

    /* F's record is stale (its entry was in PT when PD went): the walk for V ends where PD was. */
    assert_record(F, VS, V);
    kt_assert_success(op(F, KAAL_FRAME_UNMAP));
    assert_int_equal(double_vspace.unmaps, 1);
    assert_int_equal(pte(VS, V_PUD + (7ull << 12), 3),
                     hal_pte_frame(obj(F2), 3, HAL_MAP_READ | HAL_MAP_WRITE));
}

static void test_stale_record_over_an_empty_entry(void **state)
{
    (void)state;
    /* F's table goes and an empty one takes its place: F's record now names an empty entry. */
    world();
    map_frame_ok(F, VS, V, RW, 0);
    kt_assert_success(op(PT, KAAL_PAGE_TABLE_UNMAP));
    make(KAAL_OBJ_PAGE_TABLE, PT2);
    kt_assert_success(map_table(PT2, VS, V_PT));
    assert_int_equal(pte(VS, V, 3), 0);
    unsigned unmaps = double_vspace.unmaps;
    kt_assert_success(kt_delete(F));
    assert_int_equal(double_vspace.unmaps, unmaps);
    assert_int_equal(pte(VS, V, 2), hal_pte_table(obj(PT2)));
}

/* ---- Revoke ---- */

static void test_revoke_of_the_untyped_takes_everything(void **state)
{
    (void)state;
    /* UT holds: a VSpace with tables and frames; a PageDir and frames mapped into the root's VSpace. */
    make_from(ut(), KAAL_OBJ_UNTYPED, 20, UT);
    make_from(UT, KAAL_OBJ_VSPACE, 0, VS);
    make_from(UT, KAAL_OBJ_PAGE_UPPER_DIR, 0, PUD);
    make_from(UT, KAAL_OBJ_PAGE_DIR, 0, PD);
    make_from(UT, KAAL_OBJ_PAGE_TABLE, 0, PT);
    make_from(UT, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, F);
    make_from(UT, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, F2);
    kt_assert_success(map_table(PUD, VS, V_PUD));
    kt_assert_success(map_table(PD, VS, V_PD));
    kt_assert_success(map_table(PT, VS, V_PT));
    map_frame_ok(F, VS, V, RW, 0);
    kt_assert_success(kt_copy(FC, F, KAAL_RIGHTS_ALL));
    map_frame_ok(FC, VS, V + BIT(12), KAAL_RIGHT_READ, 0);

    /* The root's VSpace: its PUD from elsewhere, a PageDir from UT, and UT's F2 under a table from elsewhere.
     */
    make(KAAL_OBJ_PAGE_UPPER_DIR, PUD2);
    kt_assert_success(map_table(PUD2, ROOT_VS, 0));
    make_from(UT, KAAL_OBJ_PAGE_DIR, 0, PD2);
    kt_assert_success(map_table(PD2, ROOT_VS, 0));
    make(KAAL_OBJ_PAGE_DIR, SPARE);
    kt_assert_success(map_table(SPARE, ROOT_VS, 1ull << 30));
    make(KAAL_OBJ_PAGE_TABLE, PT2);
    kt_assert_success(map_table(PT2, ROOT_VS, 1ull << 30));
    map_frame_ok(F2, ROOT_VS, (1ull << 30) + BIT(12), RW, 0);
    kt_assert_success(kt_copy(FC2, F2, KAAL_RIGHTS_ALL));
    map_frame_ok(FC2, ROOT_VS, (1ull << 30) + 2 * BIT(12), RW, 0);

    kaal_word_t a = asid(VS);
    kaal_word_t free_before = asid_free_count();
    kaal_word_t caps_before = kt_count_caps();
    kt_assert_success(kt_revoke(UT)); /* kt_invoke checks every invariant after it */

    assert_int_equal(kt_count_caps(), caps_before - 9);
    kaal_word_t gone[] = {VS, PUD, PD, PT, F, F2, FC, FC2, PD2};
    for (unsigned i = 0; i < ARRAY_SIZE(gone); i++)
        assert_true(slot_is_empty(kt_slot(gone[i])));
    assert_null(kt_slot(UT)->first_child);
    assert_int_equal(ks.asid_roots[a], 0);
    assert_int_equal(asid_free_count(), free_before + 1);
    assert_int_equal(double_vspace.releases, 1);
    assert_int_equal(double_vspace.last_release, a);
    /* Nothing in the root's VSpace points into UT's memory any more. */
    assert_int_equal(pte(ROOT_VS, 0, 1), 0);
    assert_int_equal(pte(ROOT_VS, (1ull << 30) + BIT(12), 3), 0);
    assert_int_equal(pte(ROOT_VS, (1ull << 30) + 2 * BIT(12), 3), 0);
    assert_int_equal(pte(ROOT_VS, 1ull << 30, 2), hal_pte_table(obj(PT2)));
    assert_true(is_zero(obj(PT2), BIT(KAAL_PAGE_TABLE_BITS)));

    /* UT's memory serves again: a new VSpace gets an ASID. */
    make_from(UT, KAAL_OBJ_VSPACE, 0, VS);
    assert_int_equal(asid_free_count(), free_before);
    /* The tables mapped into the root's VSpace unmap as usual, the one below first taking the PageDir out. */
    unsigned unmaps = double_vspace.unmaps;
    kt_assert_success(op(SPARE, KAAL_PAGE_TABLE_UNMAP));
    assert_int_equal(double_vspace.unmaps, unmaps + 1);
    kt_assert_success(op(PT2, KAAL_PAGE_TABLE_UNMAP)); /* its PageDir is out: nothing to do */
    assert_int_equal(double_vspace.unmaps, unmaps + 1);
}

/* ---- ASIDs ---- */

/*
 * Every ASID but 0 can be in use at once: 4095 VSpaces of 4 KiB need 16 MiB,
 * more than the test RAM, so the kernel boots again with a 32 MiB zeroed
 * region of fresh anonymous memory (Retype of VSpaces does not write to it).
 */
static void test_asids_run_out_and_come_back(void **state)
{
    (void)state;
    kaal_word_t big = reboot_with_zeroed_region(25);
    const kaal_word_t radix = KAAL_ROOT_CNODE_RADIX;
    make_from(big, KAAL_OBJ_CNODE, radix, CN);
    assert_int_equal(asid_free_count(), KAAL_ASID_COUNT - 2); /* 0 is never one, the root has 1 */
    assert_int_equal(asid(ROOT_VS), 1);

    struct kresult r;
    kaal_word_t made = 0;
    while (made < KAAL_ASID_COUNT - 2) {
        kaal_word_t left = KAAL_ASID_COUNT - 2 - made;
        kaal_word_t n = left < KAAL_RETYPE_MAX_OBJECTS ? left : KAAL_RETYPE_MAX_OBJECTS;
        if (n < KAAL_RETYPE_MAX_OBJECTS) {
            /* One more than there are ASIDs: refused, naming how many may be asked for. */
            KT_REJECT(r, kt_retype(big, KAAL_OBJ_VSPACE, 0, CN, KT_DEPTH, made, n + 1), KAAL_ERR_RANGE_ERROR);
            assert_detail(r, 5, 1, n);
        }
        kt_assert_success(kt_retype(big, KAAL_OBJ_VSPACE, 0, CN, KT_DEPTH, made, n));
        made += n;
    }
    /* ASIDs 2..4095 in the order made. */
    const struct slot *slots = cnode_slots(cap(CN));
    for (kaal_word_t i = 0; i < made; i++) {
        assert_int_equal(slots[i].cap.type, CAP_VSPACE);
        assert_int_equal(slots[i].cap.data, i + 2);
    }
    assert_int_equal(asid_free_count(), 0);
    assert_int_equal(ks.asid_next, 1);
    KT_REJECT(r, kt_retype(big, KAAL_OBJ_VSPACE, 0, CN, KT_DEPTH, made, 1), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 5, 1, 0);
    KT_REJECT(r, kt_retype(ut(), KAAL_OBJ_VSPACE, 0, 0, 0, SPARE, 1), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 5, 1, 0);
    /* Other objects are not limited. */
    make(KAAL_OBJ_PAGE_UPPER_DIR, PUD);

    /* A VSpace deleted gives its ASID back, and the next one made takes it. */
    kaal_word_t args[] = {1, radix};
    kt_assert_success(kt_invoke(CN, KAAL_CNODE_DELETE, args, 2, NULL, 0)); /* ASID 3 */
    assert_int_equal(double_vspace.last_release, 3);
    assert_int_equal(asid_free_count(), 1);
    kt_assert_success(kt_retype(big, KAAL_OBJ_VSPACE, 0, CN, KT_DEPTH, 1, 1));
    assert_int_equal(slots[1].cap.data, 3);
    assert_int_equal(ks.asid_next, 4);
    /* The search wraps around the top of the table to find a free ASID below where it starts. */
    args[0] = 0;
    kt_assert_success(kt_invoke(CN, KAAL_CNODE_DELETE, args, 2, NULL, 0)); /* ASID 2 */
    kt_assert_success(kt_retype(big, KAAL_OBJ_VSPACE, 0, CN, KT_DEPTH, 0, 1));
    assert_int_equal(slots[0].cap.data, 2);
    assert_int_equal(ks.asid_next, 3);
    assert_int_equal(asid_free_count(), 0);

    /* The last VSpace made maps like any other (a copy of its cap in the root CNode, taken from CN). */
    kaal_word_t copy[] = {VS, KT_DEPTH, made - 1, radix, KAAL_RIGHTS_ALL};
    kaal_word_t from_cn[] = {CN};
    kt_assert_success(kt_invoke(KT_ROOT, KAAL_CNODE_COPY, copy, 5, from_cn, 1));
    assert_int_equal(asid(VS), KAAL_ASID_COUNT - 1);
    kt_assert_success(map_table(PUD, VS, 0));
    make(KAAL_OBJ_PAGE_DIR, PD);
    make(KAAL_OBJ_PAGE_TABLE, PT);
    make(KAAL_OBJ_FRAME, F);
    kt_assert_success(map_table(PD, VS, 0));
    kt_assert_success(map_table(PT, VS, 0));
    map_frame_ok(F, VS, BIT(12), RW, 0);
    assert_last_call(&double_vspace.last_map, KAAL_ASID_COUNT - 1, BIT(12), KAAL_FRAME_BITS_SMALL);

    /* Revoke of the big Untyped: every VSpace goes, every ASID comes back; F's record turns stale. */
    unsigned releases = double_vspace.releases;
    kt_assert_success(kt_revoke(big));
    assert_int_equal(double_vspace.releases, releases + KAAL_ASID_COUNT - 2);
    assert_int_equal(asid_free_count(), KAAL_ASID_COUNT - 2);
    for (kaal_word_t a = 2; a < KAAL_ASID_COUNT; a++)
        assert_int_equal(ks.asid_roots[a], 0);
    assert_true(slot_is_empty(kt_slot(CN)));
    assert_true(slot_is_empty(kt_slot(VS)));
    kt_assert_success(op(F, KAAL_FRAME_UNMAP));
    make_from(big, KAAL_OBJ_VSPACE, 0, VS);
    assert_int_equal(asid(VS), 3); /* where the search stood */
}

/* TCB_Configure takes a VSpace: the TCB's copy names the same ASID and keeps the address space alive. */
static void test_tcb_configure_with_a_vspace(void **state)
{
    (void)state;
    struct tcb *t = kt_thread(TH, 10);
    const struct cap *held = &t->slots[TCB_SLOT_VSPACE].cap;
    kaal_word_t a = asid(TH + 1);
    assert_int_equal(held->type, CAP_VSPACE);
    assert_int_equal(held->data, a);
    assert_int_equal(held->obj, obj(TH + 1));
    assert_ptr_equal(t->slots[TCB_SLOT_VSPACE].parent, kt_slot(TH + 1));

    /* The thread's address space is mapped through the cap in the CNode. */
    tables_at(TH + 1, V, PUD, 3);
    make(KAAL_OBJ_FRAME, F);
    map_frame_ok(F, TH + 1, V, RW, 0);

    /* A mapped frame as the IPC buffer: the TCB's copy starts unmapped; the frame cap keeps its record. */
    kaal_word_t args[] = {0, 0};
    kaal_word_t caps[] = {KT_ROOT, TH + 1, F};
    kt_assert_success(kt_invoke(TH, KAAL_TCB_CONFIGURE, args, 2, caps, 3));
    assert_int_equal(t->slots[TCB_SLOT_IPC_BUFFER].cap.obj, obj(F));
    assert_int_equal(t->slots[TCB_SLOT_IPC_BUFFER].cap.data, 0);
    assert_record(F, TH + 1, V);
    assert_int_equal(t->slots[TCB_SLOT_VSPACE].cap.data, a);

    /* Configure with another VSpace: its ASID now. */
    make(KAAL_OBJ_VSPACE, VS);
    caps[1] = VS;
    kt_assert_success(kt_invoke(TH, KAAL_TCB_CONFIGURE, args, 2, caps, 3));
    assert_int_equal(t->slots[TCB_SLOT_VSPACE].cap.data, asid(VS));
    assert_int_equal(double_vspace.releases, 0);

    /* The CNode's cap goes: the TCB's copy keeps VS and its ASID alive, until the TCB goes. */
    kt_assert_success(kt_delete(VS));
    assert_int_equal(double_vspace.releases, 0);
    kaal_word_t b = t->slots[TCB_SLOT_VSPACE].cap.data;
    assert_true(ks.asid_roots[b] != 0);
    kt_assert_success(kt_delete(TH));
    assert_int_equal(double_vspace.releases, 1);
    assert_int_equal(double_vspace.last_release, b);
    assert_int_equal(ks.asid_roots[b], 0);
    assert_int_equal(ks.asid_roots[a], obj(TH + 1));
    assert_record(F, TH + 1, V);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_map_small_frame_through_three_tables),
        TEST(test_map_flags),
        TEST(test_map_at_address_zero_in_the_root_vspace),
        TEST(test_map_large_frame),
        TEST(test_map_huge_frame),
        TEST(test_frame_map_truncated),
        TEST(test_frame_map_already_mapped),
        TEST(test_frame_map_address_space_not_a_vspace),
        TEST(test_frame_map_misaligned),
        TEST(test_frame_map_outside_the_user_range),
        TEST(test_frame_map_missing_table_at_each_level),
        TEST(test_frame_map_occupied),
        TEST(test_block_mapping_in_the_way),
        TEST(test_frame_map_bad_rights),
        TEST(test_frame_map_unknown_attributes),
        TEST(test_device_frame_cannot_be_executable),
        TEST(test_backend_refusal_leaves_no_trace),
        TEST(test_wrong_labels),
        TEST(test_table_map_and_unmap_at_each_level),
        TEST(test_table_map_errors),
        TEST(test_unmap_of_what_is_not_mapped),
        TEST(test_deleting_a_mapped_table_takes_it_out),
        TEST(test_frame_unmap),
        TEST(test_frame_get_address),
        TEST(test_copy_of_a_mapped_frame_starts_unmapped),
        TEST(test_delete_of_a_copy_unmaps_only_its_own_mapping),
        TEST(test_move_keeps_the_record),
        TEST(test_table_caps_cannot_be_copied_but_can_be_moved),
        TEST(test_deleting_the_vspace_makes_records_stale),
        TEST(test_reused_asid_is_not_disturbed_by_stale_records),
        TEST(test_stale_record_matches_a_copy_of_the_same_frame),
        TEST(test_unmapping_a_page_dir_empties_it),
        TEST(test_stale_record_over_an_empty_entry),
        TEST(test_revoke_of_the_untyped_takes_everything),
        TEST(test_asids_run_out_and_come_back),
        TEST(test_tcb_configure_with_a_vspace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
