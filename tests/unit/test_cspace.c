/* CSpace addressing: lookups through the root and multi-level CSpaces, and every lookup failure. */
#include "harness.h"

#include <kaal/core/cspace.h>

/*
 * The boot root CNode consumes all 64 bits of a CPtr in one level (52-bit
 * guard + 12-bit radix), so deeper levels are reached through SHORT: a cap to
 * the same root CNode minted with no guard, which consumes only 12 bits and
 * leaves the rest of the CPtr to the CNodes in its slots.
 */
#define ROOT_BITS KAAL_ROOT_CNODE_RADIX

/* Sub-CNode used throughout: radix 4, guard 0b101 of 3 bits. */
#define SUB_RADIX 4u
#define SUB_GUARD 5u
#define SUB_GUARD_BITS 3u
#define SUB_LEVEL (SUB_GUARD_BITS + SUB_RADIX)

static kaal_word_t free_slot(unsigned i)
{
    return kt_bootinfo()->empty.start + i;
}

#define SHORT free_slot(0)
#define SUB free_slot(1)
#define EP free_slot(2)
#define SCRATCH free_slot(3)

static struct slot *sub_slots(void)
{
    return cnode_slots(&kt_slot(SUB)->cap);
}

/* CPtr of slot `index` of SUB through SHORT, with the given guard value. */
static kaal_word_t sub_cptr(kaal_word_t guard, kaal_word_t index)
{
    return (SUB << SUB_LEVEL) | (guard << SUB_RADIX) | index;
}
#define SUB_DEPTH (ROOT_BITS + SUB_LEVEL)

static struct kresult copy_via(kaal_word_t dest_root, kaal_word_t dest, kaal_word_t dest_depth,
                               kaal_word_t src_root, kaal_word_t src, kaal_word_t src_depth)
{
    kaal_word_t args[] = {dest, dest_depth, src, src_depth, KAAL_RIGHTS_ALL};
    kaal_word_t caps[] = {src_root};
    return kt_invoke(dest_root, KAAL_CNODE_COPY, args, 5, caps, 1);
}

/* Retype a CNode of `radix` into a scratch slot, then Mutate it into `slot` with the guard set. */
static void make_cnode(kaal_word_t slot, unsigned radix, kaal_word_t guard, unsigned guard_bits)
{
    kt_assert_success(kt_retype(kt_first_untyped(), KAAL_OBJ_CNODE, radix, 0, 0, SCRATCH, 1));
    kt_assert_success(kt_mutate(slot, SCRATCH, KAAL_CNODE_DATA(guard, guard_bits)));
    assert_int_equal(kt_slot(slot)->cap.guard_bits, guard_bits);
    assert_int_equal(kt_slot(slot)->cap.data, guard);
}

/* SHORT, SUB (radix 4, guard 5/3) and an endpoint to copy around. */
static int setup_tree(void **state)
{
    if (kt_setup(state) != 0)
        return -1;
    kt_assert_success(kt_mint(SHORT, KT_ROOT, KAAL_RIGHTS_ALL, KAAL_CNODE_DATA(0, 0)));
    make_cnode(SUB, SUB_RADIX, SUB_GUARD, SUB_GUARD_BITS);
    kt_assert_success(kt_retype(kt_first_untyped(), KAAL_OBJ_ENDPOINT, 0, 0, 0, EP, 1));
    return 0;
}

/* ---- the root CNode ---- */

static void test_root_depth_64_names_every_slot(void **state)
{
    (void)state;
    kt_assert_success(kt_retype(kt_first_untyped(), KAAL_OBJ_ENDPOINT, 0, 0, 0, EP, 1));
    kaal_word_t last = BIT(KAAL_ROOT_CNODE_RADIX) - 1;
    kt_assert_success(kt_copy(last, EP, KAAL_RIGHTS_ALL));
    assert_int_equal(kt_slot(last)->cap.type, CAP_ENDPOINT);
    assert_int_equal(kt_slot(last)->cap.obj, kt_slot(EP)->cap.obj);
    assert_ptr_equal(kt_slot(last)->parent, kt_slot(EP));
}

static void test_root_guard_mismatch(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t cptr = BIT(KAAL_ROOT_CNODE_RADIX) | 5; /* one bit set in the 52-bit zero guard */
    KT_REJECT(r, kt_copy(cptr, KAAL_ROOT_SLOT_TCB, KAAL_RIGHTS_ALL), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_GUARD_MISMATCH, 64, 1, 64 - ROOT_BITS);

    cptr = ~(kaal_word_t)0;
    KT_REJECT(r, kt_copy(free_slot(5), cptr, KAAL_RIGHTS_ALL), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 2, KAAL_LOOKUP_GUARD_MISMATCH, 64, MASK(64 - ROOT_BITS), 64 - ROOT_BITS);
}

static void test_root_depth_too_small(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t args[] = {free_slot(5), 63, KAAL_ROOT_SLOT_TCB, KT_DEPTH, KAAL_RIGHTS_ALL};
    kaal_word_t caps[] = {KT_ROOT};
    KT_REJECT(r, kt_invoke(KT_ROOT, KAAL_CNODE_COPY, args, 5, caps, 1), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_DEPTH_MISMATCH, 63, 64, 0);

    args[1] = KT_DEPTH;
    args[3] = ROOT_BITS;
    KT_REJECT(r, kt_invoke(KT_ROOT, KAAL_CNODE_COPY, args, 5, caps, 1), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 2, KAAL_LOOKUP_DEPTH_MISMATCH, ROOT_BITS, 64, 0);
}

static void test_depth_outside_1_to_64(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t caps[] = {KT_ROOT};
    kaal_word_t bad[] = {0, 65, ~(kaal_word_t)0};
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        kaal_word_t dest_bad[] = {free_slot(5), bad[i], KAAL_ROOT_SLOT_TCB, KT_DEPTH, KAAL_RIGHTS_ALL};
        KT_REJECT(r, kt_invoke(KT_ROOT, KAAL_CNODE_COPY, dest_bad, 5, caps, 1), KAAL_ERR_RANGE_ERROR);
        assert_detail(r, 1, 1, 64);

        kaal_word_t src_bad[] = {free_slot(5), KT_DEPTH, KAAL_ROOT_SLOT_TCB, bad[i], KAAL_RIGHTS_ALL};
        KT_REJECT(r, kt_invoke(KT_ROOT, KAAL_CNODE_COPY, src_bad, 5, caps, 1), KAAL_ERR_RANGE_ERROR);
        assert_detail(r, 3, 1, 64);

        kaal_word_t target_bad[] = {KAAL_ROOT_SLOT_TCB, bad[i]};
        KT_REJECT(r, kt_invoke(KT_ROOT, KAAL_CNODE_DELETE, target_bad, 2, NULL, 0), KAAL_ERR_RANGE_ERROR);
        assert_detail(r, 1, 1, 64);
    }
}

static void test_invalid_root_extra_cap_not_a_cnode(void **state)
{
    (void)state;
    struct kresult r;
    kt_assert_success(kt_retype(kt_first_untyped(), KAAL_OBJ_ENDPOINT, 0, 0, 0, EP, 1));
    kaal_word_t args[] = {free_slot(5), KT_DEPTH, KAAL_ROOT_SLOT_TCB, KT_DEPTH, KAAL_RIGHTS_ALL};
    kaal_word_t roots[] = {EP, KAAL_ROOT_SLOT_TCB, KAAL_ROOT_SLOT_IPC_BUFFER, kt_first_untyped()};
    for (unsigned i = 0; i < ARRAY_SIZE(roots); i++) {
        kaal_word_t caps[] = {roots[i]};
        KT_REJECT(r, kt_invoke(KT_ROOT, KAAL_CNODE_COPY, args, 5, caps, 1), KAAL_ERR_FAILED_LOOKUP);
        assert_detail(r, 2, KAAL_LOOKUP_INVALID_ROOT, KT_DEPTH, 0, 0);
    }
}

static void test_missing_cap_source_slot_empty(void **state)
{
    (void)state;
    struct kresult r;
    KT_REJECT(r, kt_copy(free_slot(5), free_slot(6), KAAL_RIGHTS_ALL), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 2, KAAL_LOOKUP_MISSING_CAP, 0, 0, 0);
    KT_REJECT(r, kt_copy(free_slot(5), KAAL_ROOT_SLOT_NULL, KAAL_RIGHTS_ALL), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 2, KAAL_LOOKUP_MISSING_CAP, 0, 0, 0);
}

static void test_missing_cap_invoking_empty_slot(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t args[] = {KAAL_ROOT_SLOT_TCB, KT_DEPTH};
    KT_REJECT(r, kt_invoke(free_slot(7), KAAL_CNODE_DELETE, args, 2, NULL, 0), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, KAAL_ARG_INVOKED, KAAL_LOOKUP_MISSING_CAP, 0, 0, 0);
    assert_int_equal(kt_slot(KAAL_ROOT_SLOT_TCB)->cap.type, CAP_TCB);
}

/* ---- a guardless root: 12 bits per level at the top ---- */

static void test_short_root_names_root_slots_at_depth_12(void **state)
{
    (void)state;
    kt_assert_success(copy_via(SHORT, free_slot(5), ROOT_BITS, KT_ROOT, EP, KT_DEPTH));
    assert_int_equal(kt_slot(free_slot(5))->cap.type, CAP_ENDPOINT);
    kt_assert_success(copy_via(KT_ROOT, free_slot(6), KT_DEPTH, SHORT, free_slot(5), ROOT_BITS));
    assert_int_equal(kt_slot(free_slot(6))->cap.type, CAP_ENDPOINT);
    assert_ptr_equal(kt_slot(free_slot(6))->parent, kt_slot(free_slot(5)));
}

/* Only the low `depth` bits of a CPtr address anything; the bits above are not looked at. */
static void test_bits_above_depth_are_ignored(void **state)
{
    (void)state;
    kaal_word_t junk = 0xdeadbeefull << ROOT_BITS;
    kt_assert_success(copy_via(SHORT, junk | free_slot(5), ROOT_BITS, SHORT, junk | EP, ROOT_BITS));
    assert_int_equal(kt_slot(free_slot(5))->cap.type, CAP_ENDPOINT);
}

static void test_short_root_depth_too_small(void **state)
{
    (void)state;
    struct kresult r;
    KT_REJECT(r, copy_via(SHORT, free_slot(5), ROOT_BITS - 1, KT_ROOT, EP, KT_DEPTH), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_DEPTH_MISMATCH, ROOT_BITS - 1, ROOT_BITS, 0);
}

/* A root cap with a guard of its own checks it before indexing. */
static void test_guarded_root_cap(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t g = free_slot(8);
    kt_assert_success(kt_mint(g, KT_ROOT, KAAL_RIGHTS_ALL, KAAL_CNODE_DATA(0xa, 4)));
    kt_assert_success(
        copy_via(g, (0xaull << ROOT_BITS) | free_slot(5), ROOT_BITS + 4, KT_ROOT, EP, KT_DEPTH));
    assert_int_equal(kt_slot(free_slot(5))->cap.type, CAP_ENDPOINT);

    KT_REJECT(r, copy_via(g, (0xbull << ROOT_BITS) | free_slot(6), ROOT_BITS + 4, KT_ROOT, EP, KT_DEPTH),
              KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_GUARD_MISMATCH, ROOT_BITS + 4, 0xb, 4);
    KT_REJECT(r, copy_via(g, free_slot(6), ROOT_BITS, KT_ROOT, EP, KT_DEPTH), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_DEPTH_MISMATCH, ROOT_BITS, ROOT_BITS + 4, 0);
}

/* ---- two and three levels ---- */

static void test_copy_into_and_out_of_sub_cnode(void **state)
{
    (void)state;
    kt_assert_success(copy_via(SHORT, sub_cptr(SUB_GUARD, 9), SUB_DEPTH, KT_ROOT, EP, KT_DEPTH));
    struct slot *in = &sub_slots()[9];
    assert_int_equal(in->cap.type, CAP_ENDPOINT);
    assert_int_equal(in->cap.obj, kt_slot(EP)->cap.obj);
    assert_ptr_equal(in->parent, kt_slot(EP));
    for (unsigned i = 0; i < BIT(SUB_RADIX); i++) {
        if (i != 9)
            assert_true(slot_is_empty(&sub_slots()[i]));
    }

    kt_assert_success(copy_via(KT_ROOT, free_slot(5), KT_DEPTH, SHORT, sub_cptr(SUB_GUARD, 9), SUB_DEPTH));
    assert_int_equal(kt_slot(free_slot(5))->cap.type, CAP_ENDPOINT);
    assert_ptr_equal(kt_slot(free_slot(5))->parent, in);

    /* Both ends inside the sub-CNode. */
    kt_assert_success(
        copy_via(SHORT, sub_cptr(SUB_GUARD, 15), SUB_DEPTH, SHORT, sub_cptr(SUB_GUARD, 9), SUB_DEPTH));
    assert_ptr_equal(sub_slots()[15].parent, in);
}

static void test_depth_stopping_at_a_cnode_names_its_slot(void **state)
{
    (void)state;
    struct kresult r;
    /* Depth 12 through SHORT ends at the slot holding SUB: occupied, so not a destination. */
    KT_REJECT(r, copy_via(SHORT, SUB, ROOT_BITS, KT_ROOT, EP, KT_DEPTH), KAAL_ERR_DELETE_FIRST);
    assert_detail(r, 0, SUB);
    /* As a source it is the CNode cap itself. */
    kt_assert_success(copy_via(KT_ROOT, free_slot(5), KT_DEPTH, SHORT, SUB, ROOT_BITS));
    assert_int_equal(kt_slot(free_slot(5))->cap.type, CAP_CNODE);
    assert_int_equal(kt_slot(free_slot(5))->cap.guard_bits, SUB_GUARD_BITS);
}

static void test_three_levels(void **state)
{
    (void)state;
    /* A radix-3 CNode in SUB's slot 2, given guard 0b10 by a Mutate within SUB. */
    kt_assert_success(kt_retype(kt_first_untyped(), KAAL_OBJ_CNODE, 3, SUB, KT_DEPTH, 1, 1));
    kaal_word_t args[] = {sub_cptr(SUB_GUARD, 2), SUB_DEPTH, sub_cptr(SUB_GUARD, 1), SUB_DEPTH,
                          KAAL_CNODE_DATA(2, 2)};
    kaal_word_t caps[] = {SHORT};
    kt_assert_success(kt_invoke(SHORT, KAAL_CNODE_MUTATE, args, 5, caps, 1));
    struct slot *inner = &sub_slots()[2];
    assert_int_equal(inner->cap.type, CAP_CNODE);
    assert_true(slot_is_empty(&sub_slots()[1]));

    kaal_word_t deep = (sub_cptr(SUB_GUARD, 2) << 5) | (2 << 3) | 6;
    kaal_word_t depth = SUB_DEPTH + 5;
    kt_assert_success(copy_via(SHORT, deep, depth, KT_ROOT, EP, KT_DEPTH));
    struct slot *target = cnode_slots(&inner->cap) + 6;
    assert_int_equal(target->cap.type, CAP_ENDPOINT);
    assert_ptr_equal(target->parent, kt_slot(EP));

    struct kresult r;
    kaal_word_t wrong_guard = (sub_cptr(SUB_GUARD, 2) << 5) | (3 << 3) | 6;
    KT_REJECT(r, copy_via(SHORT, wrong_guard, depth, KT_ROOT, EP, KT_DEPTH), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_GUARD_MISMATCH, 5, 3, 2);
    /* An empty slot of SUB on the way, with the inner level's 5 bits left over. */
    kaal_word_t via_empty = (sub_cptr(SUB_GUARD, 3) << 5) | (2 << 3) | 6;
    KT_REJECT(r, copy_via(SHORT, via_empty, depth, KT_ROOT, EP, KT_DEPTH), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_MISSING_CAP, 5, 0, 0);
}

static void test_intermediate_empty_slot(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t empty = free_slot(9);
    kaal_word_t cptr = (empty << SUB_LEVEL) | (SUB_GUARD << SUB_RADIX) | 1;
    KT_REJECT(r, copy_via(SHORT, cptr, SUB_DEPTH, KT_ROOT, EP, KT_DEPTH), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_MISSING_CAP, SUB_LEVEL, 0, 0);
    KT_REJECT(r, copy_via(KT_ROOT, free_slot(5), KT_DEPTH, SHORT, cptr, SUB_DEPTH), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 2, KAAL_LOOKUP_MISSING_CAP, SUB_LEVEL, 0, 0);
}

static void test_empty_slot_at_the_end_of_a_source_path(void **state)
{
    (void)state;
    struct kresult r;
    KT_REJECT(r, copy_via(KT_ROOT, free_slot(5), KT_DEPTH, SHORT, sub_cptr(SUB_GUARD, 4), SUB_DEPTH),
              KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 2, KAAL_LOOKUP_MISSING_CAP, 0, 0, 0);
}

static void test_depth_too_small_for_sub_level(void **state)
{
    (void)state;
    struct kresult r;
    /* 5 of SUB's 7 bits: the guard fits but the radix does not. */
    KT_REJECT(r, copy_via(SHORT, (SUB << 5) | (SUB_GUARD << 2), ROOT_BITS + 5, KT_ROOT, EP, KT_DEPTH),
              KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_DEPTH_MISMATCH, 5, SUB_LEVEL, 0);
    KT_REJECT(r, copy_via(KT_ROOT, free_slot(5), KT_DEPTH, SHORT, (SUB << 1) | 1, ROOT_BITS + 1),
              KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 2, KAAL_LOOKUP_DEPTH_MISMATCH, 1, SUB_LEVEL, 0);
}

static void test_bits_left_at_a_non_cnode_cap(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t cptr = (EP << SUB_LEVEL) | 3;
    KT_REJECT(r, copy_via(SHORT, cptr, SUB_DEPTH, KT_ROOT, EP, KT_DEPTH), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_DEPTH_MISMATCH, SUB_LEVEL, 0, 0);
    KT_REJECT(r, copy_via(KT_ROOT, free_slot(5), KT_DEPTH, SHORT, cptr, SUB_DEPTH), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 2, KAAL_LOOKUP_DEPTH_MISMATCH, SUB_LEVEL, 0, 0);
}

static void test_sub_guard_mismatch(void **state)
{
    (void)state;
    struct kresult r;
    for (kaal_word_t g = 0; g < BIT(SUB_GUARD_BITS); g++) {
        if (g == SUB_GUARD)
            continue;
        KT_REJECT(r, copy_via(SHORT, sub_cptr(g, 9), SUB_DEPTH, KT_ROOT, EP, KT_DEPTH),
                  KAAL_ERR_FAILED_LOOKUP);
        assert_detail(r, 0, KAAL_LOOKUP_GUARD_MISMATCH, SUB_LEVEL, g, SUB_GUARD_BITS);
    }
    KT_REJECT(r, copy_via(KT_ROOT, free_slot(5), KT_DEPTH, SHORT, sub_cptr(0, 9), SUB_DEPTH),
              KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 2, KAAL_LOOKUP_GUARD_MISMATCH, SUB_LEVEL, 0, SUB_GUARD_BITS);
}

/* A guard that changes by Mutate is what lookups check from then on. */
static void test_mutated_guard_takes_effect(void **state)
{
    (void)state;
    struct kresult r;
    kt_assert_success(kt_mutate(free_slot(10), SUB, KAAL_CNODE_DATA(0x1f, 5)));
    kaal_word_t moved = free_slot(10);
    kaal_word_t old_cptr = (moved << SUB_LEVEL) | (SUB_GUARD << SUB_RADIX) | 7;
    KT_REJECT(r, copy_via(SHORT, old_cptr, SUB_DEPTH, KT_ROOT, EP, KT_DEPTH), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_DEPTH_MISMATCH, SUB_LEVEL, 5 + SUB_RADIX, 0);

    kaal_word_t new_cptr = (moved << (5 + SUB_RADIX)) | (0x1full << SUB_RADIX) | 7;
    kt_assert_success(copy_via(SHORT, new_cptr, ROOT_BITS + 5 + SUB_RADIX, KT_ROOT, EP, KT_DEPTH));
    assert_int_equal(cnode_slots(&kt_slot(moved)->cap)[7].cap.type, CAP_ENDPOINT);
}

/* ---- the invocation rule (lookup_cap), called directly: the boot root always consumes all 64 bits ---- */

static void test_lookup_cap_stops_at_first_non_cnode(void **state)
{
    (void)state;
    struct syscall_error err = {0};
    const struct cap *root = &kt_slot(SHORT)->cap;
    kaal_word_t cptr = (EP << (64 - ROOT_BITS)) | 0x123456789ull;
    assert_ptr_equal(lookup_cap(root, cptr, KAAL_ARG_INVOKED, &err), kt_slot(EP));

    kt_assert_success(copy_via(SHORT, sub_cptr(SUB_GUARD, 9), SUB_DEPTH, KT_ROOT, EP, KT_DEPTH));
    cptr = (sub_cptr(SUB_GUARD, 9) << (64 - SUB_DEPTH)) | 0xfff;
    assert_ptr_equal(lookup_cap(root, cptr, KAAL_ARG_INVOKED, &err), &sub_slots()[9]);
}

static void test_lookup_cap_failures(void **state)
{
    (void)state;
    struct syscall_error err = {0};
    const struct cap *root = &kt_slot(SHORT)->cap;

    kaal_word_t empty = (free_slot(9) << (64 - ROOT_BITS)) | 1;
    assert_null(lookup_cap(root, empty, KAAL_ARG_CAP(1), &err));
    assert_int_equal(err.code, KAAL_ERR_FAILED_LOOKUP);
    assert_int_equal(err.detail[0], KAAL_ARG_CAP(1));
    assert_int_equal(err.detail[1], KAAL_LOOKUP_MISSING_CAP);
    assert_int_equal(err.detail[2], 64 - ROOT_BITS); /* the empty slot was reached with 52 bits unresolved */

    kaal_word_t bad_guard = sub_cptr(0, 9) << (64 - SUB_DEPTH);
    assert_null(lookup_cap(root, bad_guard, KAAL_ARG_INVOKED, &err));
    assert_int_equal(err.detail[1], KAAL_LOOKUP_GUARD_MISMATCH);
    assert_int_equal(err.detail[2], 64 - ROOT_BITS);

    assert_null(lookup_cap(&kt_slot(EP)->cap, 0, KAAL_ARG_INVOKED, &err));
    assert_int_equal(err.detail[1], KAAL_LOOKUP_INVALID_ROOT);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, kt_setup, kt_teardown)
#define TT(f) cmocka_unit_test_setup_teardown(f, setup_tree, kt_teardown)
    const struct CMUnitTest tests[] = {
        T(test_root_depth_64_names_every_slot),
        T(test_root_guard_mismatch),
        T(test_root_depth_too_small),
        T(test_depth_outside_1_to_64),
        T(test_invalid_root_extra_cap_not_a_cnode),
        T(test_missing_cap_source_slot_empty),
        T(test_missing_cap_invoking_empty_slot),
        TT(test_short_root_names_root_slots_at_depth_12),
        TT(test_bits_above_depth_are_ignored),
        TT(test_short_root_depth_too_small),
        TT(test_guarded_root_cap),
        TT(test_copy_into_and_out_of_sub_cnode),
        TT(test_depth_stopping_at_a_cnode_names_its_slot),
        TT(test_three_levels),
        TT(test_intermediate_empty_slot),
        TT(test_empty_slot_at_the_end_of_a_source_path),
        TT(test_depth_too_small_for_sub_level),
        TT(test_bits_left_at_a_non_cnode_cap),
        TT(test_sub_guard_mismatch),
        TT(test_mutated_guard_takes_effect),
        TT(test_lookup_cap_stops_at_first_non_cnode),
        TT(test_lookup_cap_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
