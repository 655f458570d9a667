/*
 * The invariant checker is only worth something if it catches corruption:
 * each test breaks one rule by writing kernel state directly and expects the
 * checker to name it.
 */
#include "harness.h"

#include <kaal/core/cdt.h>
#include <kaal/core/sched.h>

#define FIRST 200u

static void expect_broken(const char *what)
{
    struct invariant_report r = kernel_check_invariants();
    assert_non_null(r.what);
    assert_string_equal(r.what, what);
}

/* Two endpoints in FIRST, FIRST+1 and a copy of the first in FIRST+2. */
static void make_objects(void)
{
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_ENDPOINT, 0, 0, 0, FIRST, 2));
    assert_ok(kt_copy(FIRST + 2, FIRST, KAAL_RIGHT_READ));
}

static void test_clean_state_passes(void **state)
{
    (void)state;
    make_objects();
    assert_null(kernel_check_invariants().what);
}

static void test_rights_growth(void **state)
{
    (void)state;
    make_objects();
    kt_slot(FIRST + 2)->cap.rights = KAAL_RIGHTS_ALL;
    kt_slot(FIRST)->cap.rights = KAAL_RIGHT_READ;
    expect_broken("rights grew along a derivation");
}

static void test_badge_change(void **state)
{
    (void)state;
    make_objects();
    kt_slot(FIRST)->cap.data = 5;
    expect_broken("badge changed along a derivation");
}

static void test_broken_sibling_link(void **state)
{
    (void)state;
    make_objects();
    kt_slot(FIRST)->next = kt_slot(FIRST + 2);
    expect_broken("next sibling does not point back");
}

static void test_broken_parent_link(void **state)
{
    (void)state;
    make_objects();
    struct slot *copy = kt_slot(FIRST + 2);
    copy->parent->first_child = NULL; /* the walk no longer reaches the copy */
    expect_broken("occupied slot not linked into the tree");
}

static void test_orphan_cap_in_container(void **state)
{
    (void)state;
    make_objects();
    kt_slot(FIRST + 5)->cap = kt_slot(FIRST)->cap; /* a cap written without its tree node */
    expect_broken("occupied slot not linked into the tree");
}

static void test_empty_slot_with_links(void **state)
{
    (void)state;
    kt_slot(FIRST + 5)->next = kt_slot(FIRST);
    expect_broken("empty slot with tree links");
}

static void test_bad_zombies(void **state)
{
    (void)state;
    /* A zombie between syscalls is fine (a preempted delete); a malformed one is not. */
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_CNODE, 1, 0, 0, FIRST, 1));
    struct cap *c = &kt_slot(FIRST)->cap;
    c->size_bits = CAP_CNODE;
    c->guard_bits = 1; /* the radix */
    c->aux = 2;
    c->type = CAP_ZOMBIE;
    assert_null(kernel_check_invariants().what);
    c->aux = 3;
    expect_broken("zombie counts more slots than its container has");
    c->aux = 2;
    c->data = (uintptr_t)kt_slot(KAAL_ROOT_SLOT_TCB);
    expect_broken("zombie chain leads to a slot without a zombie");
    c->data = 0;
    c->size_bits = CAP_ENDPOINT;
    expect_broken("zombie of something that is not a container");
}

static void test_swap_slot_in_use(void **state)
{
    (void)state;
    ks.swap_slot.cap.type = CAP_ENDPOINT;
    expect_broken("the swap slot is in use between syscalls");
}

static void test_sentinel_written(void **state)
{
    (void)state;
    ks.cdt_root.cap.type = CAP_ENDPOINT;
    expect_broken("the CDT sentinel has been written");
}

static void test_overlapping_objects(void **state)
{
    (void)state;
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_ENDPOINT, 0, 0, 0, FIRST, 1));
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_NOTIFICATION, 0, 0, 0, FIRST + 1, 1));
    kt_slot(FIRST + 1)->cap.obj = kt_slot(FIRST)->cap.obj & ~(kaal_word_t)MASK(KAAL_NOTIFICATION_BITS);
    expect_broken("two objects from one untyped overlap");
}

static void test_object_outside_watermark(void **state)
{
    (void)state;
    make_objects();
    kt_slot(kt_first_untyped())->cap.data = 0;
    expect_broken("object outside its untyped's used range");
}

static void test_watermark_beyond_end(void **state)
{
    (void)state;
    struct slot *u = kt_slot(kt_first_untyped());
    u->cap.data = BIT(u->cap.size_bits) + 1;
    expect_broken("untyped watermark beyond its end");
}

static void test_misaligned_object(void **state)
{
    (void)state;
    make_objects();
    kt_slot(FIRST + 1)->cap.obj += 8;
    expect_broken("object not aligned to its size");
}

static void test_device_memory_kernel_object(void **state)
{
    (void)state;
    const struct kaal_bootinfo *bi = kt_bootinfo();
    kaal_word_t dev = 0;
    for (kaal_word_t i = bi->untyped.start; i < bi->untyped.end; i++) {
        if (bi->untyped_list[i - bi->untyped.start].is_device)
            dev = i;
    }
    assert_int_not_equal(dev, 0);
    assert_ok(kt_retype(dev, KAAL_OBJ_FRAME, 12, 0, 0, FIRST, 1));
    kt_slot(FIRST)->cap.type = CAP_ENDPOINT;
    kt_slot(FIRST)->cap.size_bits = 0;
    expect_broken("device memory holds a kernel object");
}

static void test_bad_cnode_guard(void **state)
{
    (void)state;
    struct slot *root = kt_slot(KT_ROOT);
    root->cap.guard_bits = 60;
    expect_broken("CNode radix and guard out of range");
    root->cap.guard_bits = 2;
    root->cap.data = 4;
    expect_broken("CNode guard wider than its guard bits");
}

static void test_unknown_type_and_rights(void **state)
{
    (void)state;
    make_objects();
    kt_slot(FIRST + 1)->cap.rights = 0x30;
    expect_broken("cap with unknown rights bits");
    kt_slot(FIRST + 1)->cap.rights = KAAL_RIGHTS_ALL;
    kt_slot(FIRST + 1)->cap.type = 77;
    expect_broken("cap of unknown type in the tree");
}

static void test_rights_on_rightless_cap(void **state)
{
    (void)state;
    kt_slot(KAAL_ROOT_SLOT_TCB)->cap.rights = KAAL_RIGHT_READ;
    expect_broken("rights reduced on a cap type that has none");
}

static void test_data_on_tcb(void **state)
{
    (void)state;
    kt_slot(KAAL_ROOT_SLOT_TCB)->cap.data = 1;
    expect_broken("data set on a cap type that has none");
}

static void test_mapping_record_without_asid(void **state)
{
    (void)state;
    kt_slot(KAAL_ROOT_SLOT_BOOTINFO)->cap.data = 0x10000;
    expect_broken("mapping record without an ASID");
}

static void test_misaligned_mapping_record(void **state)
{
    (void)state;
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_FRAME, KAAL_FRAME_BITS_LARGE, 0, 0, FIRST, 1));
    kt_slot(FIRST)->cap.data = 0x1000 | 1; /* page-aligned, but not to 2 MiB */
    expect_broken("frame mapped at an address not aligned to its size");
}

static void test_vspace_asid_mismatch(void **state)
{
    (void)state;
    kt_slot(KAAL_ROOT_SLOT_VSPACE)->cap.data = 2;
    expect_broken("VSpace cap whose ASID does not name it");
}

static void test_copied_table(void **state)
{
    (void)state;
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_PAGE_TABLE, 0, 0, 0, FIRST, 1));
    cdt_insert(kt_slot(FIRST), kt_slot(FIRST + 1), &kt_slot(FIRST)->cap);
    expect_broken("a page-table cap was copied (a table must have one cap)");
}

static void test_asid_table_counts(void **state)
{
    (void)state;
    ks.asids_free--;
    expect_broken("the count of free ASIDs is wrong");
    ks.asids_free++;
    ks.asid_roots[7] = ks.asid_roots[1];
    ks.asids_free--;
    expect_broken("ASIDs in use and live VSpaces differ in number");
    ks.asid_roots[7] = 0;
    ks.asids_free++;
    ks.asid_roots[0] = 1;
    expect_broken("ASID 0 is in use");
    ks.asid_roots[0] = 0;
    ks.asid_next = KAAL_ASID_COUNT;
    expect_broken("the ASID search starts outside the table");
}

static void test_bad_sizes(void **state)
{
    (void)state;
    kt_slot(KAAL_ROOT_SLOT_BOOTINFO)->cap.size_bits = 13;
    expect_broken("frame of an unsupported size");
    kt_slot(KAAL_ROOT_SLOT_BOOTINFO)->cap.size_bits = 12;
    kt_slot(kt_first_untyped())->cap.size_bits = 60;
    expect_broken("untyped size out of range");
}

static void test_group_split(void **state)
{
    (void)state;
    /* Two caps to one object that are not neighbours: the O(1) last-cap test would lie. */
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_ENDPOINT, 0, 0, 0, FIRST, 3));
    struct slot *a = kt_slot(FIRST), *c = kt_slot(FIRST + 2);
    /* Children of the untyped are in reverse order of creation: c, b, a. Make a name c's object. */
    a->cap.obj = c->cap.obj;
    expect_broken("the last-cap test disagrees with a full count (group not contiguous)");
}

static void test_cycle_in_tree(void **state)
{
    (void)state;
    make_objects();
    struct slot *copy = kt_slot(FIRST + 2);
    copy->first_child = kt_slot(FIRST); /* FIRST is copy's parent: a loop */
    expect_broken("first child does not point back to its parent");
}

static void test_dead_current_thread(void **state)
{
    (void)state;
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_TCB, 0, 0, 0, FIRST, 1));
    struct tcb *other = tcb_of(&kt_slot(FIRST)->cap);
    assert_ok(kt_delete(FIRST));
    ks.current = other; /* running a thread whose TCB is gone */
    expect_broken("the current thread is not runnable");
    sched_enqueue(other); /* even if it were still queued */
    expect_broken("the current thread has no TCB cap left");
}

static void test_fault_marks_on_the_wrong_thread(void **state)
{
    (void)state;
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_TCB, 0, 0, 0, FIRST, 1));
    struct tcb *idle_thread = tcb_of(&kt_slot(FIRST)->cap); /* inactive, never run */
    idle_thread->fault.type = 1;
    expect_broken("a fault is pending on a thread that is not delivering it");
    idle_thread->fault.type = 0;
    idle_thread->stopped_by_fault = true; /* inactive: that is allowed */
    assert_null(kernel_check_invariants().what);
    kt_root_thread()->stopped_by_fault = true; /* the running root thread */
    expect_broken("a thread marked as stopped by a fault is not inactive");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, kt_setup, kt_teardown)
    const struct CMUnitTest tests[] = {
        T(test_clean_state_passes),   T(test_rights_growth),          T(test_badge_change),
        T(test_broken_sibling_link),  T(test_broken_parent_link),     T(test_orphan_cap_in_container),
        T(test_empty_slot_with_links), T(test_bad_zombies),       T(test_swap_slot_in_use),
        T(test_sentinel_written),     T(test_overlapping_objects),    T(test_object_outside_watermark),
        T(test_watermark_beyond_end), T(test_misaligned_object),      T(test_device_memory_kernel_object),
        T(test_bad_cnode_guard),      T(test_unknown_type_and_rights), T(test_rights_on_rightless_cap),
        T(test_data_on_tcb),          T(test_mapping_record_without_asid), T(test_misaligned_mapping_record),
        T(test_vspace_asid_mismatch), T(test_asid_table_counts),      T(test_copied_table),
               T(test_bad_sizes),              T(test_group_split),
        T(test_cycle_in_tree),        T(test_dead_current_thread),    T(test_fault_marks_on_the_wrong_thread),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
