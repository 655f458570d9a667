/*
 * Delete and Revoke of containers: chains, cycles and self-references of
 * CNodes and TCBs are dismantled completely, without recursion, leaving every
 * invariant intact.
 */
#include "harness.h"

#define RADIX 2u
#define FIRST 100u /* root slots used by these tests */

/* Move root slot src into slot `index` of the CNode whose cap is in root slot `cnode`. */
static struct kresult move_into(kaal_word_t cnode, kaal_word_t index, kaal_word_t src)
{
    kaal_word_t args[] = {index, RADIX, src, KT_DEPTH};
    kaal_word_t caps[] = {KT_ROOT};
    return kt_invoke(cnode, KAAL_CNODE_MOVE, args, 4, caps, 1);
}

static struct kresult copy_into(kaal_word_t cnode, kaal_word_t index, kaal_word_t src)
{
    kaal_word_t args[] = {index, RADIX, src, KT_DEPTH, KAAL_RIGHTS_ALL};
    kaal_word_t caps[] = {KT_ROOT};
    return kt_invoke(cnode, KAAL_CNODE_COPY, args, 5, caps, 1);
}

/* Make n CNodes of radix RADIX in root slots FIRST.. from the largest untyped. */
static void make_cnodes(kaal_word_t n)
{
    for (kaal_word_t done = 0; done < n; done += KAAL_RETYPE_MAX_OBJECTS) {
        kaal_word_t batch = n - done < KAAL_RETYPE_MAX_OBJECTS ? n - done : KAAL_RETYPE_MAX_OBJECTS;
        assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_CNODE, RADIX, 0, 0, FIRST + done, batch));
    }
}

static void test_chain_of_cnodes_is_deleted_iteratively(void **state)
{
    (void)state;
    const kaal_word_t n = 1500; /* deeper than any kernel stack could recurse */
    kaal_word_t before = kt_count_caps();
    make_cnodes(n);
    /* An endpoint at the far end, so there is more than CNodes to delete. */
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_ENDPOINT, 0, 0, 0, FIRST + n, 1));
    assert_ok(move_into(FIRST + n - 1, 0, FIRST + n));
    /* Each CNode's only cap goes into slot 3 of the one before it: C0 -> C1 -> ... */
    for (kaal_word_t i = n - 1; i >= 1; i--)
        assert_ok(move_into(FIRST + i - 1, 3, FIRST + i));
    assert_int_equal(kt_count_caps(), before + n + 1);

    struct slot *deepest = kt_slot(FIRST);
    for (kaal_word_t i = 1; i < n; i++)
        deepest = cnode_slots(&deepest->cap) + 3;
    struct slot *endpoint = cnode_slots(&deepest->cap);
    assert_int_equal(endpoint->cap.type, CAP_ENDPOINT);

    assert_ok(kt_delete(FIRST));
    assert_int_equal(kt_count_caps(), before);
    assert_true(slot_is_empty(kt_slot(FIRST)));
    assert_true(slot_is_empty(endpoint));
}

static void test_cycle_survives_delete_and_dies_with_revoke(void **state)
{
    (void)state;
    kaal_word_t ut = kt_first_untyped();
    kaal_word_t before = kt_count_caps();
    make_cnodes(2); /* A = FIRST, B = FIRST + 1 */
    word_t a_obj = kt_slot(FIRST)->cap.obj;
    assert_ok(copy_into(FIRST + 1, 0, FIRST)); /* B holds A */
    assert_ok(copy_into(FIRST, 0, FIRST + 1)); /* A holds B */
    assert_ok(kt_delete(FIRST));
    assert_ok(kt_delete(FIRST + 1));
    /* Unreachable now, but each still holds a cap to the other: nothing was final. */
    assert_int_equal(kt_count_caps(), before + 2);

    /* Revoking the untyped reclaims the cycle; its memory is then handed out again. */
    assert_ok(kt_revoke(ut));
    assert_int_equal(kt_count_caps(), before);
    assert_null(kt_slot(ut)->first_child);
    assert_ok(kt_retype(ut, KAAL_OBJ_CNODE, RADIX, 0, 0, FIRST, 1));
    assert_int_equal(kt_slot(FIRST)->cap.obj, a_obj);
}

static void test_cnode_holding_its_only_cap(void **state)
{
    (void)state;
    kaal_word_t ut = kt_first_untyped();
    kaal_word_t before = kt_count_caps();
    make_cnodes(1);
    assert_ok(copy_into(FIRST, 1, FIRST));
    assert_ok(kt_delete(FIRST));
    assert_int_equal(kt_count_caps(), before + 1);
    assert_ok(kt_revoke(ut));
    assert_int_equal(kt_count_caps(), before);
}

static void test_delete_cnode_holding_caps_to_live_objects(void **state)
{
    (void)state;
    kaal_word_t before = kt_count_caps();
    make_cnodes(1);
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_NOTIFICATION, 0, 0, 0, FIRST + 1, 2));
    assert_ok(copy_into(FIRST, 0, FIRST + 1)); /* a copy: the object stays alive */
    assert_ok(move_into(FIRST, 1, FIRST + 2)); /* the only cap: goes with the CNode */
    assert_ok(kt_delete(FIRST));
    assert_int_equal(kt_count_caps(), before + 1);
    assert_int_equal(kt_slot(FIRST + 1)->cap.type, CAP_NOTIFICATION);
}

static void test_revoke_of_cap_inside_dying_container(void **state)
{
    (void)state;
    /* An untyped U makes a CNode X, then U's cap moves into X: X's only cap is U's child. */
    kaal_word_t u = FIRST + 10;
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_UNTYPED, 16, 0, 0, u, 1));
    assert_ok(kt_retype(u, KAAL_OBJ_CNODE, RADIX, 0, 0, FIRST, 1));
    assert_ok(move_into(FIRST, 0, u));
    kaal_word_t before = kt_count_caps();

    /* Revoking U (inside X) deletes X, and with it U itself. */
    kaal_word_t args[] = {0, RADIX};
    assert_ok(kt_invoke(FIRST, KAAL_CNODE_REVOKE, args, 2, NULL, 0));
    assert_int_equal(kt_count_caps(), before - 2);
    assert_true(slot_is_empty(kt_slot(FIRST)));
}

static void test_new_tcb_deletes_cleanly(void **state)
{
    (void)state;
    kaal_word_t before = kt_count_caps();
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_TCB, 0, 0, 0, FIRST, 2));
    assert_ok(kt_copy(FIRST + 2, FIRST, KAAL_RIGHT_READ));
    assert_ok(kt_delete(FIRST));     /* not the last cap: the TCB lives on */
    assert_ok(kt_delete(FIRST + 2)); /* the last one */
    assert_ok(kt_delete(FIRST + 1));
    assert_int_equal(kt_count_caps(), before);
}

static void test_root_thread_deletes_its_own_tcb(void **state)
{
    (void)state;
    struct tcb *self = ks.current;
    kaal_word_t before = kt_count_caps();
    kaal_word_t args[] = {KAAL_ROOT_SLOT_TCB, KT_DEPTH};
    struct kresult r = kt_invoke(KT_ROOT, KAAL_CNODE_DELETE, args, 2, NULL, 0);
    (void)r;
    /* Its CSpace, VSpace and IPC buffer caps inside the TCB went with it; nobody is left to answer. */
    assert_ptr_equal(ks.current, &ks.idle); /* nothing else is runnable */
    assert_int_equal(self->state, THREAD_INACTIVE);
    assert_int_equal(kt_count_caps(), before - 4);
    assert_true(slot_is_empty(&self->slots[TCB_SLOT_CSPACE]));
    assert_true(slot_is_empty(&self->slots[TCB_SLOT_VSPACE]));
    assert_true(slot_is_empty(&self->slots[TCB_SLOT_IPC_BUFFER]));
}

static void test_revoke_reparented_copy_of_untyped_keeps_memory_apart(void **state)
{
    (void)state;
    /* U0 -> copy Uc -> objects. Deleting Uc hands its objects to U0, whose watermark must cover them. */
    kaal_word_t u0 = FIRST, uc = FIRST + 1;
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_UNTYPED, 16, 0, 0, u0, 1));
    assert_ok(kt_copy(uc, u0, KAAL_RIGHTS_ALL));
    assert_ok(kt_retype(uc, KAAL_OBJ_ENDPOINT, 0, 0, 0, FIRST + 2, 4));
    assert_ok(kt_delete(uc));
    assert_ok(kt_retype(u0, KAAL_OBJ_ENDPOINT, 0, 0, 0, FIRST + 6, 4));
    for (kaal_word_t i = 0; i < 4; i++)
        for (kaal_word_t j = 0; j < 4; j++)
            assert_int_not_equal(kt_slot(FIRST + 2 + i)->cap.obj, kt_slot(FIRST + 6 + j)->cap.obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chain_of_cnodes_is_deleted_iteratively, kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_cycle_survives_delete_and_dies_with_revoke, kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_cnode_holding_its_only_cap, kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_delete_cnode_holding_caps_to_live_objects, kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_revoke_of_cap_inside_dying_container, kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_new_tcb_deletes_cleanly, kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_root_thread_deletes_its_own_tcb, kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_revoke_reparented_copy_of_untyped_keeps_memory_apart, kt_setup,
                                        kt_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
