/*
 * Boot: the root task's initial CSpace and the untyped memory it receives.
 */
#include "harness.h"

#include <stdlib.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_root_caps, kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_untyped_cover_memory, kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_bad_regions, kt_setup, kt_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
