/*
 * Boot: the root task's initial CSpace, the untyped memory it receives, and
 * boot modules (read-only frames listed in the boot info).
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include <kaal/core/cdt.h>

#define PAGE 4096u
#define RAM_SIZE BIT(KT_RAM_BITS)
/* An address range nobody maps: the kernel never touches a module's bytes, so a test may name any pages. */
#define FAKE_MODULE_BASE 0x200000000000ull

static void test_root_caps(void **state)
{
    (void)state;
    assert_int_equal(kt_slot(KAAL_ROOT_SLOT_TCB)->cap.type, CAP_TCB);
    assert_int_equal(kt_slot(KAAL_ROOT_SLOT_CNODE)->cap.type, CAP_CNODE);
    assert_int_equal(kt_slot(KAAL_ROOT_SLOT_CNODE)->cap.size_bits, KAAL_ROOT_CNODE_RADIX);
    assert_int_equal(kt_slot(KAAL_ROOT_SLOT_IPC_BUFFER)->cap.type, CAP_FRAME);
    assert_int_equal(kt_slot(KAAL_ROOT_SLOT_BOOTINFO)->cap.type, CAP_FRAME);
    assert_true(slot_is_empty(kt_slot(KAAL_ROOT_SLOT_NULL)));
    assert_int_equal(kt_bootinfo()->magic, KAAL_BOOTINFO_MAGIC);
}

static void test_untyped_cover_memory(void **state)
{
    (void)state;
    const struct kaal_bootinfo *bi = kt_bootinfo();
    kaal_word_t ram = 0, device = 0;
    assert_true(bi->untyped.end > bi->untyped.start);
    for (kaal_word_t i = bi->untyped.start; i < bi->untyped.end; i++) {
        const struct kaal_untyped_desc *d = &bi->untyped_list[i - bi->untyped.start];
        struct slot *s = kt_slot(i);
        assert_int_equal(s->cap.type, CAP_UNTYPED);
        assert_int_equal(s->cap.size_bits, d->size_bits);
        assert_int_equal(s->cap.obj, d->paddr);
        assert_int_equal(s->cap.aux, d->is_device);
        assert_true(IS_ALIGNED(d->paddr, d->size_bits));
        if (d->is_device)
            device += BIT(d->size_bits);
        else
            ram += BIT(d->size_bits);
    }
    /* All RAM but the root objects (256 KiB CNode, two frames, a VSpace, a TCB) is handed over. */
    kaal_word_t root_objects = BIT(KAAL_ROOT_CNODE_RADIX + KAAL_SLOT_BITS) + 2 * BIT(12) + BIT(KAAL_PAGE_TABLE_BITS) +
                               BIT(KAAL_TCB_BITS);
    assert_int_equal(ram, BIT(KT_RAM_BITS) - root_objects);
    assert_int_equal(device, BIT(KT_DEVICE_BITS));
    assert_int_equal(bi->empty.start, bi->untyped.end);
    assert_int_equal(bi->empty.end, BIT(KAAL_ROOT_CNODE_RADIX));
}

static void test_bad_regions(void **state)
{
    (void)state;
    struct boot_region wraps[] = {{.kaddr = ~(kaal_word_t)0 - 100, .size = 4096}};
    assert_int_equal(kernel_boot(wraps, 1), BOOT_BAD_REGION);
    assert_true(kt_logged("wraps around"));

    void *mem = aligned_alloc(1 << 20, 1 << 20);
    struct boot_region overlap[] = {
        {.kaddr = (uintptr_t)mem, .size = 1 << 20},
        {.kaddr = (uintptr_t)mem + 4096, .size = 4096, .is_device = true},
    };
    assert_int_equal(kernel_boot(overlap, 2), BOOT_BAD_REGION);

    struct boot_region too_small[] = {{.kaddr = (uintptr_t)mem, .size = 64 << 10}};
    assert_int_equal(kernel_boot(too_small, 1), BOOT_NO_MEMORY);
    assert_true(kt_logged(boot_status_name(BOOT_NO_MEMORY)));
    /* It ends before the first address the root CNode may start at (256 KiB aligned). */
    struct boot_region unaligned[] = {{.kaddr = (uintptr_t)mem + 4096, .size = 128 << 10}};
    assert_int_equal(kernel_boot(unaligned, 1), BOOT_NO_MEMORY);

    struct boot_region only_device[] = {{.kaddr = (uintptr_t)mem, .size = 1 << 20, .is_device = true}};
    assert_int_equal(kernel_boot(only_device, 1), BOOT_NO_MEMORY);

    /* Many small ranges need more untyped caps than boot info can list. */
    struct boot_region many[200];
    for (unsigned i = 0; i < 200; i++)
        many[i] = (struct boot_region){.kaddr = KT_DEVICE_BASE + i * 64, .size = 16, .is_device = true};
    many[0] = (struct boot_region){.kaddr = (uintptr_t)mem, .size = 1 << 20};
    assert_int_equal(kernel_boot(many, 200), BOOT_TOO_MANY_REGIONS);
    assert_true(kt_logged(boot_status_name(BOOT_TOO_MANY_REGIONS)));
    free(mem);
    assert_string_equal(boot_status_name((enum boot_status)99), "unknown boot status");
}

/* ---- boot modules ---- */

/* The memory a module test boots over: RAM, two modules in pages of their own, a device range. */
struct module_world {
    void *ram;
    unsigned char *dtb, *comp;
    kaal_word_t dtb_size, comp_size;
};

static void world_boot(struct module_world *w)
{
    w->ram = aligned_alloc(RAM_SIZE, RAM_SIZE);
    w->dtb_size = 3 * PAGE + 100; /* four frames, the last one partly used */
    w->comp_size = 2 * PAGE;      /* exactly two */
    w->dtb = aligned_alloc(PAGE, 4 * PAGE);
    w->comp = aligned_alloc(PAGE, 2 * PAGE);
    assert_non_null(w->ram);
    assert_non_null(w->dtb);
    assert_non_null(w->comp);
    for (unsigned i = 0; i < 4 * PAGE; i++)
        w->dtb[i] = (unsigned char)(i * 7 + 1);
    memset(w->comp, 0xc5, 2 * PAGE);
    struct boot_region regions[] = {
        {.kaddr = (uintptr_t)w->dtb, .size = w->dtb_size, .module = KAAL_MODULE_DTB},
        {.kaddr = (uintptr_t)w->ram, .size = RAM_SIZE},
        {.kaddr = KT_DEVICE_BASE, .size = BIT(KT_DEVICE_BITS), .is_device = true},
        {.kaddr = (uintptr_t)w->comp, .size = w->comp_size, .module = KAAL_MODULE_COMPONENTS, .zeroed = true},
    };
    assert_int_equal(kernel_boot(regions, ARRAY_SIZE(regions)), BOOT_OK);
    kt_adopt_boot();
    kt_check();
}

static void world_free(struct module_world *w)
{
    free(w->ram);
    free(w->dtb);
    free(w->comp);
}

static int overlaps(kaal_word_t a, kaal_word_t a_size, kaal_word_t b, kaal_word_t b_size)
{
    return a < b + b_size && b < a + a_size;
}

/* The frames of module m: read-only 4 KiB Frame caps over its pages, in order, made by nobody but boot. */
static void assert_module_frames(const struct kaal_boot_module *m, kaal_word_t kaddr, kaal_word_t pages)
{
    assert_int_equal(m->paddr, kaddr);
    assert_int_equal(m->frames.end - m->frames.start, pages);
    for (kaal_word_t i = 0; i < pages; i++) {
        const struct slot *s = kt_slot(m->frames.start + i);
        assert_int_equal(s->cap.type, CAP_FRAME);
        assert_int_equal(s->cap.rights, KAAL_RIGHT_READ);
        assert_int_equal(s->cap.size_bits, 12);
        assert_int_equal(s->cap.obj, kaddr + i * PAGE);
        assert_int_equal(s->cap.aux, 0);  /* not device memory */
        assert_int_equal(s->cap.data, 0); /* not mapped */
        assert_ptr_equal(s->parent, &ks.cdt_root);
        assert_null(s->first_child);
    }
}

static void test_module_frames_cover_exactly_the_module(void **state)
{
    (void)state;
    struct module_world w;
    world_boot(&w);
    const struct kaal_bootinfo *bi = kt_bootinfo();

    assert_int_equal(bi->module_count, 2);
    const struct kaal_boot_module *dtb = &bi->modules[0], *comp = &bi->modules[1];
    assert_int_equal(dtb->kind, KAAL_MODULE_DTB);
    assert_int_equal(dtb->size, 3 * PAGE + 100);
    assert_int_equal(comp->kind, KAAL_MODULE_COMPONENTS);
    assert_int_equal(comp->size, 2 * PAGE);
    /* Slots: the untyped caps, then each module's frames in the order given, then the free slots. */
    assert_int_equal(bi->untyped.start, KAAL_ROOT_SLOT_FIRST_FREE);
    assert_int_equal(dtb->frames.start, bi->untyped.end);
    assert_module_frames(dtb, (uintptr_t)w.dtb, 4);
    assert_int_equal(comp->frames.start, dtb->frames.end);
    assert_module_frames(comp, (uintptr_t)w.comp, 2);
    assert_int_equal(bi->empty.start, comp->frames.end);
    assert_int_equal(bi->empty.end, BIT(KAAL_ROOT_CNODE_RADIX));
    assert_true(slot_is_empty(kt_slot(bi->empty.start)));
    for (unsigned i = 2; i < KAAL_BOOTINFO_MAX_MODULES; i++)
        assert_int_equal(bi->modules[i].kind, 0);

    /* The kernel wrote nothing into them, not even past the end of the DTB in its last page. */
    for (unsigned i = 0; i < 4 * PAGE; i++)
        assert_int_equal(w.dtb[i], (unsigned char)(i * 7 + 1));
    for (unsigned i = 0; i < 2 * PAGE; i++)
        assert_int_equal(w.comp[i], 0xc5);

    /* No untyped covers a module byte, and all the RAM but the root objects is still handed over. */
    kaal_word_t ram = 0;
    for (kaal_word_t i = bi->untyped.start; i < bi->untyped.end; i++) {
        const struct kaal_untyped_desc *d = &bi->untyped_list[i - bi->untyped.start];
        assert_false(overlaps(d->paddr, BIT(d->size_bits), (uintptr_t)w.dtb, 4 * PAGE));
        assert_false(overlaps(d->paddr, BIT(d->size_bits), (uintptr_t)w.comp, 2 * PAGE));
        if (!d->is_device)
            ram += BIT(d->size_bits);
    }
    kaal_word_t root_objects = BIT(KAAL_ROOT_CNODE_RADIX + KAAL_SLOT_BITS) + 2 * BIT(12) + BIT(KAAL_PAGE_TABLE_BITS) +
                               BIT(KAAL_TCB_BITS);
    assert_int_equal(ram, RAM_SIZE - root_objects);
    world_free(&w);
}

static void test_module_frames_stay_read_only(void **state)
{
    (void)state;
    struct module_world w;
    world_boot(&w);
    const struct kaal_bootinfo *bi = kt_bootinfo();
    kaal_word_t frame = bi->modules[0].frames.start, spare = bi->empty.start;

    /* A copy asked for every right gets Read only: rights never grow. */
    kt_assert_success(kt_copy(spare, frame, KAAL_RIGHTS_ALL));
    assert_int_equal(kt_slot(spare)->cap.rights, KAAL_RIGHT_READ);
    assert_ptr_equal(kt_slot(spare)->parent, kt_slot(frame));

    /* Mapped: readable, never writable. */
    kaal_word_t ut = kt_first_untyped(), vs = spare + 1, pud = spare + 2, pd = spare + 3, pt = spare + 4;
    kt_assert_success(kt_retype(ut, KAAL_OBJ_VSPACE, 0, 0, 0, vs, 1));
    kt_assert_success(kt_retype(ut, KAAL_OBJ_PAGE_UPPER_DIR, 0, 0, 0, pud, 1));
    kt_assert_success(kt_retype(ut, KAAL_OBJ_PAGE_DIR, 0, 0, 0, pd, 1));
    kt_assert_success(kt_retype(ut, KAAL_OBJ_PAGE_TABLE, 0, 0, 0, pt, 1));
    kaal_word_t at[] = {0}, vspace[] = {vs};
    kt_assert_success(kt_invoke(pud, KAAL_PAGE_TABLE_MAP, at, 1, vspace, 1));
    kt_assert_success(kt_invoke(pd, KAAL_PAGE_TABLE_MAP, at, 1, vspace, 1));
    kt_assert_success(kt_invoke(pt, KAAL_PAGE_TABLE_MAP, at, 1, vspace, 1));
    struct kresult r;
    kaal_word_t rw[] = {0x1000, KAAL_RIGHT_READ | KAAL_RIGHT_WRITE, 0};
    KT_REJECT(r, kt_invoke(frame, KAAL_FRAME_MAP, rw, 3, vspace, 1), KAAL_ERR_INVALID_ARGUMENT);
    assert_detail(r, 1);
    kaal_word_t ro[] = {0x1000, KAAL_RIGHT_READ, 0};
    assert_ok(kt_invoke(frame, KAAL_FRAME_MAP, ro, 3, vspace, 1));
    assert_int_equal(kt_slot(frame)->cap.data, 0x1000 | kt_slot(vs)->cap.data); /* mapped there, in its ASID */

    /* Its physical address is the module's. */
    r = kt_invoke(frame + 1, KAAL_FRAME_GET_ADDRESS, NULL, 0, NULL, 0);
    assert_ok(r);
    assert_int_equal(r.mr[0], bi->modules[0].paddr + PAGE);

    /* The kernel never writes into a module: it is no IPC buffer (TCB_Configure wants Write). */
    kaal_word_t tcb = spare + 5;
    kt_assert_success(kt_retype(ut, KAAL_OBJ_TCB, 0, 0, 0, tcb, 1));
    kaal_word_t cfg[] = {0, 0}, parts[] = {KT_ROOT, vs, frame + 2};
    KT_REJECT(r, kt_invoke(tcb, KAAL_TCB_CONFIGURE, cfg, 2, parts, 3), KAAL_ERR_INVALID_CAPABILITY);
    assert_detail(r, KAAL_ARG_CAP(2));

    /* Deleting the last cap to a module frame gives nothing back: the pages were never untyped. */
    kaal_word_t caps = kt_count_caps();
    kt_assert_success(kt_delete(frame + 3));
    assert_int_equal(kt_count_caps(), caps - 1);
    world_free(&w);
}

static void test_module_of_size_zero_and_modules_filling_the_cnode(void **state)
{
    (void)state;
    void *ram = aligned_alloc(RAM_SIZE, RAM_SIZE);
    assert_non_null(ram);
    struct boot_region regions[] = {
        {.kaddr = (uintptr_t)ram, .size = RAM_SIZE},
        {.kaddr = FAKE_MODULE_BASE, .size = 0, .module = KAAL_MODULE_DTB},
        {.kaddr = FAKE_MODULE_BASE + PAGE, .size = 0, .module = KAAL_MODULE_COMPONENTS},
    };
    assert_int_equal(kernel_boot(regions, 3), BOOT_OK);
    kt_adopt_boot();
    kt_check();
    const struct kaal_bootinfo *bi = kt_bootinfo();
    kaal_word_t untyped_end = bi->untyped.end;
    assert_int_equal(bi->module_count, 2);
    assert_int_equal(bi->modules[0].frames.start, untyped_end); /* listed, with no frames */
    assert_int_equal(bi->modules[0].frames.end, untyped_end);
    assert_int_equal(bi->modules[1].frames.start, untyped_end);
    assert_int_equal(bi->empty.start, untyped_end);

    /* Frames for exactly every slot left: the CNode is full, and one page more does not fit. */
    kaal_word_t left = BIT(KAAL_ROOT_CNODE_RADIX) - untyped_end;
    regions[1].size = (left - 2) * PAGE + 1; /* rounded up: left - 1 pages */
    regions[2].size = PAGE;
    regions[2].kaddr = FAKE_MODULE_BASE + (left - 1) * PAGE;
    assert_int_equal(kernel_boot(regions, 3), BOOT_OK);
    kt_adopt_boot();
    bi = kt_bootinfo();
    assert_int_equal(bi->untyped.end, untyped_end);
    assert_int_equal(bi->modules[1].frames.end, BIT(KAAL_ROOT_CNODE_RADIX));
    assert_int_equal(bi->empty.start, BIT(KAAL_ROOT_CNODE_RADIX));
    assert_int_equal(kt_slot(BIT(KAAL_ROOT_CNODE_RADIX) - 1)->cap.obj, FAKE_MODULE_BASE + (left - 1) * PAGE);
    kt_check();

    regions[2].size = PAGE + 1;
    assert_int_equal(kernel_boot(regions, 3), BOOT_MODULE_NO_SLOTS);
    assert_true(kt_logged(boot_status_name(BOOT_MODULE_NO_SLOTS)));
    free(ram);
}

static void test_bad_modules(void **state)
{
    (void)state;
    void *ram = aligned_alloc(RAM_SIZE, RAM_SIZE);
    assert_non_null(ram);
    kaal_word_t base = (uintptr_t)ram;
    struct boot_region r[KAAL_BOOTINFO_MAX_MODULES + 2] = {{.kaddr = base, .size = RAM_SIZE}};
    const struct boot_region fine = {.kaddr = FAKE_MODULE_BASE, .size = PAGE, .module = KAAL_MODULE_DTB};

    r[1] = fine;
    r[1].kaddr += 8;
    assert_int_equal(kernel_boot(r, 2), BOOT_MODULE_MISALIGNED);
    assert_true(kt_logged(boot_status_name(BOOT_MODULE_MISALIGNED)));

    r[1] = fine;
    r[1].is_device = true;
    assert_int_equal(kernel_boot(r, 2), BOOT_MODULE_DEVICE);
    assert_true(kt_logged(boot_status_name(BOOT_MODULE_DEVICE)));

    /* Inside the RAM, across its start, and the page-rounded tail touching the next region. */
    r[1] = fine;
    r[1].kaddr = base + RAM_SIZE / 2;
    assert_int_equal(kernel_boot(r, 2), BOOT_MODULE_OVERLAP);
    assert_true(kt_logged(boot_status_name(BOOT_MODULE_OVERLAP)));
    r[1].kaddr = base - PAGE;
    r[1].size = 2 * PAGE;
    assert_int_equal(kernel_boot(r, 2), BOOT_MODULE_OVERLAP);
    r[1].size = 1; /* one byte, but its page ends where the RAM starts: apart */
    assert_int_equal(kernel_boot(r, 2), BOOT_OK);
    r[1].kaddr = FAKE_MODULE_BASE;
    r[1].size = 100;
    r[2] = (struct boot_region){.kaddr = FAKE_MODULE_BASE + 2048, .size = PAGE, .is_device = true};
    assert_int_equal(kernel_boot(r, 3), BOOT_MODULE_OVERLAP);
    r[2].kaddr = FAKE_MODULE_BASE + PAGE; /* after the page: fine */
    assert_int_equal(kernel_boot(r, 3), BOOT_OK);
    r[2] = r[1];
    r[2].kaddr += PAGE;
    r[2].module = KAAL_MODULE_COMPONENTS;
    assert_int_equal(kernel_boot(r, 3), BOOT_OK);
    r[2].kaddr = r[1].kaddr; /* two modules on one page */
    assert_int_equal(kernel_boot(r, 3), BOOT_MODULE_OVERLAP);

    /* Rounded up to whole pages, the module would wrap around the address space. */
    r[1] = fine;
    r[1].kaddr = ~(kaal_word_t)0 - PAGE + 1;
    r[1].size = 1;
    assert_int_equal(kernel_boot(r, 2), BOOT_BAD_REGION);
    r[1].kaddr = FAKE_MODULE_BASE;
    r[1].size = ~(kaal_word_t)0 - 10;
    assert_int_equal(kernel_boot(r, 2), BOOT_BAD_REGION);

    /* Modules are not RAM: a machine whose only RAM region is a module has none for the root task. */
    r[0] = (struct boot_region){.kaddr = base, .size = RAM_SIZE, .module = KAAL_MODULE_COMPONENTS};
    assert_int_equal(kernel_boot(r, 1), BOOT_NO_MEMORY);

    /* The boot info lists KAAL_BOOTINFO_MAX_MODULES; one more is refused. */
    r[0] = (struct boot_region){.kaddr = base, .size = RAM_SIZE};
    for (unsigned i = 0; i < KAAL_BOOTINFO_MAX_MODULES + 1; i++)
        r[1 + i] = (struct boot_region){.kaddr = FAKE_MODULE_BASE + i * PAGE, .size = PAGE, .module = (uint8_t)(1 + i)};
    assert_int_equal(kernel_boot(r, KAAL_BOOTINFO_MAX_MODULES + 1), BOOT_OK);
    kt_adopt_boot();
    const struct kaal_bootinfo *bi = kt_bootinfo();
    assert_int_equal(bi->module_count, KAAL_BOOTINFO_MAX_MODULES);
    for (unsigned i = 0; i < KAAL_BOOTINFO_MAX_MODULES; i++)
        assert_int_equal(bi->modules[i].kind, 1 + i); /* kinds pass through unread */
    assert_int_equal(kernel_boot(r, KAAL_BOOTINFO_MAX_MODULES + 2), BOOT_TOO_MANY_MODULES);
    assert_true(kt_logged(boot_status_name(BOOT_TOO_MANY_MODULES)));
    free(ram);
}

static void test_boot_status_names(void **state)
{
    (void)state;
    for (unsigned s = BOOT_OK; s <= BOOT_MODULE_NO_SLOTS; s++) {
        const char *name = boot_status_name((enum boot_status)s);
        assert_string_not_equal(name, "unknown boot status");
        for (unsigned t = BOOT_OK; t < s; t++)
            assert_string_not_equal(name, boot_status_name((enum boot_status)t));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_root_caps, kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_untyped_cover_memory, kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_bad_regions, kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_module_frames_cover_exactly_the_module, kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_module_frames_stay_read_only, kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_module_of_size_zero_and_modules_filling_the_cnode, kt_setup,
                                        kt_teardown),
        cmocka_unit_test_setup_teardown(test_bad_modules, kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_boot_status_names, kt_setup, kt_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
