/* Syscall entry: numbers, cap lookups, message clamping, answers, callers losing IPC buffer or TCB. */
#include "harness.h"
#include "kernel_driver.h"

#include <kaal/core/tcb.h>

static kaal_word_t free_slot(unsigned i)
{
    return kt_bootinfo()->empty.start + i;
}

static kaal_word_t ut(void)
{
    return kt_first_untyped();
}

static struct kresult retype_with_caps(kaal_word_t untyped, const kaal_word_t *caps, unsigned ncaps)
{
    kaal_word_t args[] = {KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(0), 1};
    return kt_invoke(untyped, KAAL_UNTYPED_RETYPE, args, 6, caps, ncaps);
}

/* ---- syscall numbers ---- */

static void test_unknown_syscall_number(void **state)
{
    (void)state;
    /* An unknown syscall is a fault; the root thread has no fault handler, so it stops with a log line. */
    struct tcb *root = ks.current;
    kaal_word_t args[] = {free_slot(0), KT_DEPTH};
    struct kd_result r = kd_syscall(0x100, KT_ROOT, kaal_msginfo(KAAL_CNODE_DELETE, 0, 0, 2), args, 2, NULL, 0);
    kt_check();
    assert_false(r.answered && ks.current == root);
    assert_int_equal(root->state, THREAD_INACTIVE);
    assert_ptr_equal(ks.current, &ks.idle);
    assert_true(kt_logged("unknown syscall"));
    assert_true(kt_logged("no fault handler, thread stopped"));
}

/* ---- the invoked cap ---- */

static void test_caps_without_operations(void **state)
{
    (void)state;
    struct kresult r;
    /* Endpoints and notifications are not here: Call on them is IPC and Signal (test_ipc.c). */
    static const kaal_word_t kinds[][2] = {
        {KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL}, {KAAL_OBJ_TCB, 0},      {KAAL_OBJ_VSPACE, 0},
        {KAAL_OBJ_PAGE_UPPER_DIR, 0},           {KAAL_OBJ_PAGE_DIR, 0}, {KAAL_OBJ_PAGE_TABLE, 0},
    };
    kaal_word_t targets[ARRAY_SIZE(kinds) + 3];
    for (unsigned i = 0; i < ARRAY_SIZE(kinds); i++) {
        kt_assert_success(kt_retype(ut(), kinds[i][0], kinds[i][1], 0, 0, free_slot(i), 1));
        targets[i] = free_slot(i);
    }
    targets[ARRAY_SIZE(kinds)] = KAAL_ROOT_SLOT_TCB;
    targets[ARRAY_SIZE(kinds) + 1] = KAAL_ROOT_SLOT_IPC_BUFFER;
    targets[ARRAY_SIZE(kinds) + 2] = KAAL_ROOT_SLOT_BOOTINFO;

    kaal_word_t args[] = {KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(20), 1};
    kaal_word_t caps[] = {KT_ROOT};
    kaal_word_t labels[] = {0, KAAL_UNTYPED_RETYPE, KAAL_CNODE_COPY, KAAL_CNODE_DELETE, 99};
    for (unsigned t = 0; t < ARRAY_SIZE(targets); t++) {
        for (unsigned l = 0; l < ARRAY_SIZE(labels); l++) {
            KT_REJECT(r, kt_invoke(targets[t], labels[l], args, 6, caps, 1), KAAL_ERR_ILLEGAL_OPERATION);
            assert_detail(r, KAAL_ILLEGAL_LABEL);
        }
    }
}

static void test_invoke_empty_slot(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t args[] = {free_slot(1), KT_DEPTH};
    kaal_word_t empty[] = {KAAL_ROOT_SLOT_NULL, free_slot(0), BIT(KAAL_ROOT_CNODE_RADIX) - 1};
    for (unsigned i = 0; i < ARRAY_SIZE(empty); i++) {
        KT_REJECT(r, kt_invoke(empty[i], KAAL_CNODE_DELETE, args, 2, NULL, 0), KAAL_ERR_FAILED_LOOKUP);
        assert_detail(r, KAAL_ARG_INVOKED, KAAL_LOOKUP_MISSING_CAP, 0, 0, 0);
    }
}

static void test_invoke_bad_guard(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t args[] = {free_slot(1), KT_DEPTH};
    kaal_word_t cptr = BIT(20) | KT_ROOT;
    KT_REJECT(r, kt_invoke(cptr, KAAL_CNODE_DELETE, args, 2, NULL, 0), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, KAAL_ARG_INVOKED, KAAL_LOOKUP_GUARD_MISMATCH, 64, BIT(20 - KAAL_ROOT_CNODE_RADIX),
                  64 - KAAL_ROOT_CNODE_RADIX);
    /* The fifth detail word travels in the IPC buffer, past the four registers. */
    assert_int_equal(tcb_ipc_buffer(ks.current)->msg[4], 64 - KAAL_ROOT_CNODE_RADIX);
}

/* ---- extra caps ---- */

static void test_extra_cap_lookup_failure_position(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t bad_guard = BIT(63);
    const kaal_word_t sets[][3] = {
        {free_slot(5), KT_ROOT, KT_ROOT},
        {KT_ROOT, free_slot(5), KT_ROOT},
        {KT_ROOT, KT_ROOT, bad_guard},
    };
    KT_REJECT(r, retype_with_caps(ut(), sets[0], 3), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, KAAL_ARG_CAP(0), KAAL_LOOKUP_MISSING_CAP, 0, 0, 0);
    KT_REJECT(r, retype_with_caps(ut(), sets[1], 3), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, KAAL_ARG_CAP(1), KAAL_LOOKUP_MISSING_CAP, 0, 0, 0);
    KT_REJECT(r, retype_with_caps(ut(), sets[2], 3), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, KAAL_ARG_CAP(2), KAAL_LOOKUP_GUARD_MISMATCH, 64, BIT(63 - KAAL_ROOT_CNODE_RADIX),
                  64 - KAAL_ROOT_CNODE_RADIX);
}

/* Every extra cap the message declares is looked up, needed or not, before the operation is decoded. */
static void test_extra_caps_looked_up_before_decoding(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t args[] = {free_slot(1), KT_DEPTH};
    kaal_word_t caps[] = {free_slot(5)};
    KT_REJECT(r, kt_invoke(KT_ROOT, KAAL_CNODE_DELETE, args, 2, caps, 1), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, KAAL_ARG_CAP(0), KAAL_LOOKUP_MISSING_CAP, 0, 0, 0);
    KT_REJECT(r, kt_invoke(KAAL_ROOT_SLOT_TCB, 0, args, 2, caps, 1), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, KAAL_ARG_CAP(0), KAAL_LOOKUP_MISSING_CAP, 0, 0, 0);
    /* The invoked cap is looked up first. */
    KT_REJECT(r, kt_invoke(free_slot(6), KAAL_CNODE_DELETE, args, 2, caps, 1), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, KAAL_ARG_INVOKED, KAAL_LOOKUP_MISSING_CAP, 0, 0, 0);
}

static void test_three_extra_caps_when_one_is_needed(void **state)
{
    (void)state;
    kaal_word_t caps[] = {KT_ROOT, KAAL_ROOT_SLOT_TCB, ut()};
    kt_assert_success(retype_with_caps(ut(), caps, 3));
    assert_int_equal(kt_slot(free_slot(0))->cap.type, CAP_ENDPOINT);
}

/* ---- message info ---- */

static void test_length_above_64_is_clamped(void **state)
{
    (void)state;
    kaal_word_t args[] = {KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(0), 1};
    kaal_word_t caps[] = {KT_ROOT};
    for (kaal_word_t len = KAAL_MSG_MAX_WORDS; len <= 127; len += 21) {
        kt_assert_success(
            kt_raw(KAAL_SYS_CALL, ut(), kaal_msginfo(KAAL_UNTYPED_RETYPE, 0, 1, len), args, 6, caps, 1));
        kt_assert_success(kt_delete(free_slot(0)));
    }
    kt_assert_success(
        kt_raw(KAAL_SYS_CALL, ut(), kaal_msginfo(KAAL_UNTYPED_RETYPE, 0, 1, 127), args, 6, caps, 1));
    assert_int_equal(kt_slot(free_slot(0))->cap.type, CAP_ENDPOINT);
}

static void test_answer_message_info(void **state)
{
    (void)state;
    struct tcb *t = ks.current;
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(0), 1));
    assert_int_equal(hal_ctx_get(&t->ctx, HAL_REG_MSGINFO), kaal_msginfo(KAAL_OK, 0, 0, 0));
    struct kresult r = kt_copy(free_slot(0), KAAL_ROOT_SLOT_TCB, KAAL_RIGHTS_ALL);
    assert_int_equal(hal_ctx_get(&t->ctx, HAL_REG_MSGINFO), kaal_msginfo(KAAL_ERR_DELETE_FIRST, 0, 0, 2));
    assert_detail(r, 0, free_slot(0));
}

/* ---- a caller without an IPC buffer ---- */

static void drop_ipc_buffer(void)
{
    kt_assert_success(kt_revoke(KAAL_ROOT_SLOT_IPC_BUFFER));
    assert_null(tcb_ipc_buffer(ks.current));
    kt_assert_success(kt_delete(KAAL_ROOT_SLOT_IPC_BUFFER));
    assert_true(slot_is_empty(kt_slot(KAAL_ROOT_SLOT_IPC_BUFFER)));
}

static void test_no_ipc_buffer_only_four_words(void **state)
{
    (void)state;
    struct kresult r;
    drop_ipc_buffer();
    KT_REJECT(r, kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(0), 1), KAAL_ERR_TRUNCATED_MESSAGE);
    assert_detail(r, 6, 1);
    KT_REJECT(r, kt_copy(free_slot(0), KAAL_ROOT_SLOT_TCB, KAAL_RIGHTS_ALL), KAAL_ERR_TRUNCATED_MESSAGE);
    assert_detail(r, 5, 1);
    /* Move needs exactly four words, but its extra cap cannot be sent. */
    KT_REJECT(r, kt_move(free_slot(0), KAAL_ROOT_SLOT_BOOTINFO), KAAL_ERR_TRUNCATED_MESSAGE);
    assert_detail(r, 4, 1);
}

static void test_no_ipc_buffer_register_only_calls_work(void **state)
{
    (void)state;
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(0), 2));
    drop_ipc_buffer();
    kt_assert_success(kt_delete(free_slot(0)));
    assert_true(slot_is_empty(kt_slot(free_slot(0))));
    /* A declared extra cap is not there without a buffer, so its CPtr is never looked up. */
    kaal_word_t args[] = {free_slot(1), KT_DEPTH};
    kt_assert_success(
        kt_raw(KAAL_SYS_CALL, KT_ROOT, kaal_msginfo(KAAL_CNODE_DELETE, 0, 3, 2), args, 2, NULL, 0));
    assert_true(slot_is_empty(kt_slot(free_slot(1))));
}

static void test_no_ipc_buffer_error_detail_cut_to_four_words(void **state)
{
    (void)state;
    struct kresult r;
    drop_ipc_buffer();
    kaal_word_t args[] = {free_slot(1), KT_DEPTH};
    KT_REJECT(r, kt_invoke(BIT(30) | KT_ROOT, KAAL_CNODE_DELETE, args, 2, NULL, 0), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, KAAL_ARG_INVOKED, KAAL_LOOKUP_GUARD_MISMATCH, 64, BIT(30 - KAAL_ROOT_CNODE_RADIX));
    /* Short details are whole. */
    kaal_word_t range[] = {free_slot(1), 0};
    KT_REJECT(r, kt_invoke(KT_ROOT, KAAL_CNODE_DELETE, range, 2, NULL, 0), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 1, 1, 64);
}

/* ---- a caller that deletes its own objects ---- */

static void test_deleting_own_tcb(void **state)
{
    (void)state;
    struct slot *root = kt_slot(0);
    struct tcb *t = ks.current;
    kt_assert_success(kt_revoke(KAAL_ROOT_SLOT_TCB));
    assert_int_equal(root[KAAL_ROOT_SLOT_TCB].cap.type, CAP_TCB); /* it had no children */

    kaal_word_t request = kaal_msginfo(KAAL_CNODE_DELETE, 0, 0, 2);
    struct kresult r = kt_delete(KAAL_ROOT_SLOT_TCB);
    /* The last cap to the caller's TCB is gone: the thread is dead and nobody gets an answer. */
    assert_ptr_equal(ks.current, &ks.idle);
    assert_int_equal(r.code, 0);
    assert_int_equal(r.count, 0);
    assert_int_equal(hal_ctx_get(&t->ctx, HAL_REG_MSGINFO), request);
    assert_int_equal(t->state, THREAD_INACTIVE);
    assert_true(slot_is_empty(&root[KAAL_ROOT_SLOT_TCB]));
    /* The TCB's own caps were copies: they went, the originals stay. */
    for (unsigned i = 0; i < TCB_SLOT_COUNT; i++)
        assert_true(slot_is_empty(&t->slots[i]));
    assert_int_equal(root[KAAL_ROOT_SLOT_CNODE].cap.type, CAP_CNODE);
    assert_null(root[KAAL_ROOT_SLOT_CNODE].first_child);
    assert_int_equal(root[KAAL_ROOT_SLOT_IPC_BUFFER].cap.type, CAP_FRAME);
    assert_null(root[KAAL_ROOT_SLOT_IPC_BUFFER].first_child);
}

static void test_deleting_one_of_two_tcb_caps_keeps_the_thread(void **state)
{
    (void)state;
    struct tcb *t = ks.current;
    kt_assert_success(kt_copy(free_slot(0), KAAL_ROOT_SLOT_TCB, KAAL_RIGHTS_ALL));
    kt_assert_success(kt_delete(KAAL_ROOT_SLOT_TCB));
    assert_ptr_equal(ks.current, t);
    assert_int_equal(t->state, THREAD_RUNNING);
    assert_int_equal(t->slots[TCB_SLOT_CSPACE].cap.type, CAP_CNODE);
}

/* Revoking the root CNode cap deletes the thread's own CSpace copy: it can name nothing any more. */
static void test_revoking_own_cspace_root(void **state)
{
    (void)state;
    struct kresult r;
    struct slot *root = kt_slot(0);
    kaal_word_t args[] = {free_slot(0), KT_DEPTH}; /* kt_slot and the boot info need the CSpace: before */
    kt_assert_success(kt_revoke(KT_ROOT));
    assert_true(slot_is_empty(&ks.current->slots[TCB_SLOT_CSPACE]));
    assert_int_equal(root[KT_ROOT].cap.type, CAP_CNODE);

    KT_REJECT(r, kt_invoke(KT_ROOT, KAAL_CNODE_DELETE, args, 2, NULL, 0), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, KAAL_ARG_INVOKED, KAAL_LOOKUP_INVALID_ROOT, 64, 0, 0);
    assert_int_equal(root[KAAL_ROOT_SLOT_TCB].cap.type, CAP_TCB);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, kt_setup, kt_teardown)
    const struct CMUnitTest tests[] = {
        T(test_unknown_syscall_number),
        T(test_caps_without_operations),
        T(test_invoke_empty_slot),
        T(test_invoke_bad_guard),
        T(test_extra_cap_lookup_failure_position),
        T(test_extra_caps_looked_up_before_decoding),
        T(test_three_extra_caps_when_one_is_needed),
        T(test_length_above_64_is_clamped),
        T(test_answer_message_info),
        T(test_no_ipc_buffer_only_four_words),
        T(test_no_ipc_buffer_register_only_calls_work),
        T(test_no_ipc_buffer_error_detail_cut_to_four_words),
        T(test_deleting_own_tcb),
        T(test_deleting_one_of_two_tcb_caps_keeps_the_thread),
        T(test_revoking_own_cspace_root),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
