/* Interrupts as caps: IRQControl_Get, IRQHandler SetNotification/Ack/Clear, delivery of a line, deletion. */
#include "harness.h"

#include <kaal/core/irq.h>

#define CTRL KAAL_ROOT_SLOT_IRQ_CONTROL
#define LINE 5u
#define TIMER 30u
#define LINES 64u /* the double's controller */

#define H1 100u /* IRQHandler caps */
#define H2 101u
#define H3 102u
#define NT 110u /* notification */
#define NB 111u /* badged copy */
#define NT2 112u
#define NR 113u /* read-only copy */
#define EP 120u
#define SPARE 130u

/* kt_thread() slot groups (TCB, VSpace, frame). */
#define W 200  /* waits for the interrupt */
#define L 210

static struct kresult get(kaal_word_t line, kaal_word_t dest)
{
    kaal_word_t args[] = {line, dest, KT_DEPTH};
    kaal_word_t caps[] = {KT_ROOT};
    return kt_invoke(CTRL, KAAL_IRQ_CONTROL_GET, args, 3, caps, 1);
}

static struct kresult set_notification(kaal_word_t handler, kaal_word_t ntfn)
{
    kaal_word_t caps[] = {ntfn};
    return kt_invoke(handler, KAAL_IRQ_HANDLER_SET_NOTIFICATION, NULL, 0, caps, 1);
}

static struct kresult handler_op(kaal_word_t handler, kaal_word_t label)
{
    return kt_invoke(handler, label, NULL, 0, NULL, 0);
}

static void make(kaal_word_t type, kaal_word_t slot)
{
    kt_assert_success(kt_retype(kt_first_untyped(), type, 0, 0, 0, slot, 1));
}

static struct notification *ntfn(kaal_word_t slot)
{
    return notification_of(&kt_slot(slot)->cap);
}

/* Handler for LINE in H1, bound to NB (NT with badge 0x40). */
static void bound_line(void)
{
    make(KAAL_OBJ_NOTIFICATION, NT);
    kt_assert_success(kt_mint(NB, NT, KAAL_RIGHTS_ALL, 0x40));
    kt_assert_success(get(LINE, H1));
    kt_assert_success(set_notification(H1, NB));
}

/* ---- IRQControl_Get ---- */

static void test_get_issues_one_handler_cap_per_line(void **state)
{
    (void)state;
    kaal_word_t before = kt_count_caps();
    kt_assert_success(get(LINE, H1));
    const struct slot *h = kt_slot(H1);
    assert_int_equal(h->cap.type, CAP_IRQ_HANDLER);
    assert_int_equal(h->cap.obj, LINE);
    assert_int_equal(h->cap.rights, KAAL_RIGHTS_ALL);
    assert_ptr_equal(h->parent, kt_slot(CTRL));
    assert_int_equal(ks.irq_issued[LINE], 1);
    assert_int_equal(kt_count_caps(), before + 1);
    /* The line stays masked until a notification is there to take it. */
    assert_int_equal(double_irq.enabled[LINE], 0);
    assert_true(slot_is_empty(&ks.irq_slots[LINE]));

    kt_assert_success(get(LINE + 1, H2));
    assert_int_equal(kt_slot(H2)->cap.obj, LINE + 1);
    kt_assert_success(get(0, H3));
    kt_assert_success(get(LINES - 1, SPARE));
    assert_int_equal(kt_slot(SPARE)->cap.obj, LINES - 1);
}

static void test_get_again_needs_every_cap_to_the_line_gone(void **state)
{
    (void)state;
    struct kresult r;
    kt_assert_success(get(LINE, H1));
    KT_REJECT(r, get(LINE, H2), KAAL_ERR_REVOKE_FIRST);
    assert_detail(r, 0);

    /* Copies are fine; each one keeps the line issued. */
    kt_assert_success(kt_copy(H2, H1, KAAL_RIGHTS_ALL));
    assert_ptr_equal(kt_slot(H2)->parent, kt_slot(H1));
    kt_assert_success(kt_delete(H1));
    assert_int_equal(ks.irq_issued[LINE], 1);
    KT_REJECT(r, get(LINE, H3), KAAL_ERR_REVOKE_FIRST);
    assert_detail(r, 0);

    kt_assert_success(kt_delete(H2));
    assert_int_equal(ks.irq_issued[LINE], 0);
    kt_assert_success(get(LINE, H3));
    assert_int_equal(ks.irq_issued[LINE], 1);
}

static void test_get_line_out_of_range(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t lines[] = {LINES, KERNEL_MAX_IRQS, ~0ull};
    for (unsigned i = 0; i < ARRAY_SIZE(lines); i++) {
        KT_REJECT(r, get(lines[i], H1), KAAL_ERR_RANGE_ERROR);
        assert_detail(r, 0, 0, LINES - 1);
    }
}

static void test_get_timer_line_is_the_kernels(void **state)
{
    (void)state;
    struct kresult r;
    KT_REJECT(r, get(TIMER, H1), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_KERNEL_IRQ);
    assert_int_equal(ks.irq_issued[TIMER], 0);
}

static void test_get_destination_errors(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    struct kresult r;
    KT_REJECT(r, get(LINE, KAAL_ROOT_SLOT_TCB), KAAL_ERR_DELETE_FIRST);
    assert_detail(r, 1, KAAL_ROOT_SLOT_TCB);
    KT_REJECT(r, get(LINE, 1ull << 60), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 1, KAAL_LOOKUP_GUARD_MISMATCH, 64, 1ull << 48, 52);

    kaal_word_t depth0[] = {LINE, H1, 0};
    kaal_word_t depth65[] = {LINE, H1, 65};
    kaal_word_t root[] = {KT_ROOT};
    KT_REJECT(r, kt_invoke(CTRL, KAAL_IRQ_CONTROL_GET, depth0, 3, root, 1), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 2, 1, 64);
    KT_REJECT(r, kt_invoke(CTRL, KAAL_IRQ_CONTROL_GET, depth65, 3, root, 1), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 2, 1, 64);

    /* The destination root must be a CNode. */
    kaal_word_t args[] = {LINE, H1, KT_DEPTH};
    kaal_word_t not_cnode[] = {EP};
    KT_REJECT(r, kt_invoke(CTRL, KAAL_IRQ_CONTROL_GET, args, 3, not_cnode, 1), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 1, KAAL_LOOKUP_INVALID_ROOT, KT_DEPTH, 0, 0);

    KT_REJECT(r, kt_invoke(CTRL, KAAL_IRQ_CONTROL_GET, args, 2, root, 1), KAAL_ERR_TRUNCATED_MESSAGE);
    assert_detail(r, 3, 1);
    KT_REJECT(r, kt_invoke(CTRL, KAAL_IRQ_CONTROL_GET, args, 3, NULL, 0), KAAL_ERR_TRUNCATED_MESSAGE);
    assert_detail(r, 3, 1);
    assert_int_equal(ks.irq_issued[LINE], 0);
}

static void test_wrong_labels(void **state)
{
    (void)state;
    kt_assert_success(get(LINE, H1));
    kaal_word_t args[] = {LINE + 1, H2, KT_DEPTH};
    kaal_word_t caps[] = {KT_ROOT};
    kaal_word_t control_labels[] = {0, KAAL_IRQ_HANDLER_SET_NOTIFICATION, KAAL_IRQ_HANDLER_ACK,
                                    KAAL_IRQ_HANDLER_CLEAR, KAAL_CNODE_COPY, KAAL_TCB_RESUME, 47};
    kaal_word_t handler_labels[] = {0, KAAL_IRQ_CONTROL_GET, KAAL_TCB_RESUME, KAAL_UNTYPED_RETYPE, 52};
    struct kresult r;
    for (unsigned i = 0; i < ARRAY_SIZE(control_labels); i++) {
        KT_REJECT(r, kt_invoke(CTRL, control_labels[i], args, 3, caps, 1), KAAL_ERR_ILLEGAL_OPERATION);
        assert_detail(r, KAAL_ILLEGAL_LABEL);
    }
    for (unsigned i = 0; i < ARRAY_SIZE(handler_labels); i++) {
        KT_REJECT(r, kt_invoke(H1, handler_labels[i], args, 3, caps, 1), KAAL_ERR_ILLEGAL_OPERATION);
        assert_detail(r, KAAL_ILLEGAL_LABEL);
    }
}

static void test_irq_control_cannot_be_copied(void **state)
{
    (void)state;
    struct kresult r;
    KT_REJECT(r, kt_copy(SPARE, CTRL, KAAL_RIGHTS_ALL), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_NOT_DERIVABLE);
}

/* ---- SetNotification, delivery, Ack, Clear ---- */

static void test_set_notification_binds_a_kernel_copy_and_unmasks(void **state)
{
    (void)state;
    make(KAAL_OBJ_NOTIFICATION, NT);
    kt_assert_success(kt_mint(NB, NT, KAAL_RIGHTS_ALL, 0x40));
    kt_assert_success(get(LINE, H1));
    kaal_word_t before = kt_count_caps();
    kt_assert_success(set_notification(H1, NB));

    const struct slot *k = &ks.irq_slots[LINE];
    assert_int_equal(k->cap.type, CAP_NOTIFICATION);
    assert_int_equal(k->cap.obj, kt_slot(NT)->cap.obj);
    assert_int_equal(k->cap.data, 0x40);
    assert_ptr_equal(k->parent, kt_slot(NB)); /* a CDT child: revoking NB takes it back */
    assert_int_equal(kt_count_caps(), before + 1);
    assert_int_equal(double_irq.enabled[LINE], 1);
}

static void test_set_notification_errors(void **state)
{
    (void)state;
    make(KAAL_OBJ_NOTIFICATION, NT);
    make(KAAL_OBJ_ENDPOINT, EP);
    kt_assert_success(kt_copy(NR, NT, KAAL_RIGHT_READ));
    kt_assert_success(get(LINE, H1));
    struct kresult r;
    KT_REJECT(r, handler_op(H1, KAAL_IRQ_HANDLER_SET_NOTIFICATION), KAAL_ERR_TRUNCATED_MESSAGE);
    assert_detail(r, 0, 1);
    KT_REJECT(r, set_notification(H1, EP), KAAL_ERR_INVALID_CAPABILITY);
    assert_detail(r, KAAL_ARG_CAP(0));
    /* The kernel signals through it: it needs Write. */
    KT_REJECT(r, set_notification(H1, NR), KAAL_ERR_INVALID_CAPABILITY);
    assert_detail(r, KAAL_ARG_CAP(0));
    KT_REJECT(r, set_notification(H1, H1), KAAL_ERR_INVALID_CAPABILITY);
    assert_detail(r, KAAL_ARG_CAP(0));
    assert_int_equal(double_irq.enabled[LINE], 0);
    assert_true(slot_is_empty(&ks.irq_slots[LINE]));
}

static void test_line_firing_masks_acks_and_signals_with_the_badge(void **state)
{
    (void)state;
    bound_line();
    unsigned acks = double_irq.acks;
    kt_interrupt(LINE);
    assert_int_equal(double_irq.enabled[LINE], 0); /* masked until the driver acks */
    assert_int_equal(double_irq.pending, HAL_IRQ_NONE);
    assert_int_equal(double_irq.acks, acks + 1);
    assert_int_equal(ntfn(NT)->word, 0x40);
    assert_ptr_equal(ks.current, kt_root_thread());

    /* A second firing ORs into the same word. */
    kt_interrupt(LINE);
    assert_int_equal(ntfn(NT)->word, 0x40);
    assert_int_equal(double_irq.acks, acks + 2);
}

static void test_line_firing_wakes_the_waiter_with_the_badge(void **state)
{
    (void)state;
    bound_line();
    struct tcb *w = kt_thread(W, 100);
    kt_act(w);
    kt_raw(KAAL_SYS_RECV, NB, 0, NULL, 0, NULL, 0);
    assert_int_equal(w->state, THREAD_BLOCKED_NOTIFICATION);

    kt_interrupt(LINE);
    assert_int_equal(w->state, THREAD_RUNNING);
    assert_int_equal(kd_message(w).badge, 0x40);
    assert_int_equal(ntfn(NT)->word, 0);
    assert_queue_empty(&ntfn(NT)->waiters);
}

static void test_unbadged_notification_is_signalled_with_one(void **state)
{
    (void)state;
    make(KAAL_OBJ_NOTIFICATION, NT);
    kt_assert_success(get(LINE, H1));
    kt_assert_success(set_notification(H1, NT));
    kt_interrupt(LINE);
    assert_int_equal(ntfn(NT)->word, 1);
}

static void test_line_firing_switches_to_a_higher_priority_waiter(void **state)
{
    (void)state;
    bound_line();
    struct tcb *w = kt_thread(W, 200);
    struct tcb *low = kt_thread(L, 100);
    kt_act(w);
    kt_raw(KAAL_SYS_RECV, NT, 0, NULL, 0, NULL, 0);
    kt_act(kt_root_thread());
    kt_assert_success(kt_invoke(KAAL_ROOT_SLOT_TCB, KAAL_TCB_SUSPEND, NULL, 0, NULL, 0));
    assert_ptr_equal(ks.current, low);

    kt_interrupt(LINE);
    assert_ptr_equal(ks.current, w);
    assert_ready(200, w);
    assert_ready(100, low);
}

static void test_ack_unmasks_the_line(void **state)
{
    (void)state;
    bound_line();
    kt_interrupt(LINE);
    assert_int_equal(double_irq.enabled[LINE], 0);
    kt_assert_success(handler_op(H1, KAAL_IRQ_HANDLER_ACK));
    assert_int_equal(double_irq.enabled[LINE], 1);
    /* Acking again is harmless. */
    kt_assert_success(handler_op(H1, KAAL_IRQ_HANDLER_ACK));
    assert_int_equal(double_irq.enabled[LINE], 1);
    assert_int_equal(ks.irq_slots[LINE].cap.type, CAP_NOTIFICATION);
}

static void test_clear_unbinds_and_masks(void **state)
{
    (void)state;
    bound_line();
    kaal_word_t before = kt_count_caps();
    kt_assert_success(handler_op(H1, KAAL_IRQ_HANDLER_CLEAR));
    assert_true(slot_is_empty(&ks.irq_slots[LINE]));
    assert_null(kt_slot(NB)->first_child);
    assert_int_equal(kt_count_caps(), before - 1);
    assert_int_equal(double_irq.enabled[LINE], 0);
    assert_int_equal(ks.irq_issued[LINE], 1); /* the handler cap is still there */

    /* A stray firing now reaches nobody: masked and acked, nothing signalled. */
    unsigned acks = double_irq.acks;
    kt_interrupt(LINE);
    assert_int_equal(ntfn(NT)->word, 0);
    assert_int_equal(double_irq.acks, acks + 1);
    assert_int_equal(double_irq.enabled[LINE], 0);
    assert_true(kt_logged("no notification bound"));

    /* Clear with nothing bound changes nothing. */
    kt_assert_success(handler_op(H1, KAAL_IRQ_HANDLER_CLEAR));
    assert_int_equal(kt_count_caps(), before - 1);
}

static void test_set_notification_again_replaces_the_binding(void **state)
{
    (void)state;
    bound_line();
    make(KAAL_OBJ_NOTIFICATION, NT2);
    kaal_word_t before = kt_count_caps();
    kt_assert_success(set_notification(H1, NT2));
    assert_int_equal(kt_count_caps(), before); /* one kernel copy out, one in */
    assert_int_equal(ks.irq_slots[LINE].cap.obj, kt_slot(NT2)->cap.obj);
    assert_null(kt_slot(NB)->first_child);
    kt_interrupt(LINE);
    assert_int_equal(ntfn(NT2)->word, 1);
    assert_int_equal(ntfn(NT)->word, 0);
}

/* ---- lifetime ---- */

static void test_deleting_the_last_handler_cap_unbinds_masks_and_frees_the_line(void **state)
{
    (void)state;
    bound_line();
    kt_assert_success(kt_copy(H2, H1, KAAL_RIGHTS_ALL));
    kaal_word_t before = kt_count_caps();

    kt_assert_success(kt_delete(H1)); /* a copy is left: nothing happens to the line */
    assert_int_equal(ks.irq_slots[LINE].cap.type, CAP_NOTIFICATION);
    assert_int_equal(double_irq.enabled[LINE], 1);
    assert_int_equal(ks.irq_issued[LINE], 1);

    kt_assert_success(kt_delete(H2));
    assert_true(slot_is_empty(&ks.irq_slots[LINE]));
    assert_int_equal(double_irq.enabled[LINE], 0);
    assert_int_equal(ks.irq_issued[LINE], 0);
    assert_int_equal(kt_count_caps(), before - 3); /* both handler caps and the kernel's copy */
    assert_null(kt_slot(NB)->first_child);

    kt_assert_success(get(LINE, H3)); /* the line can be handed out again */
}

static void test_bound_notification_lives_while_the_kernel_holds_its_copy(void **state)
{
    (void)state;
    bound_line();
    struct notification *n = ntfn(NT);
    struct tcb *w = kt_thread(W, 100);
    kt_act(w);
    kt_raw(KAAL_SYS_RECV, NB, 0, NULL, 0, NULL, 0);
    assert_int_equal(w->state, THREAD_BLOCKED_NOTIFICATION);

    /* Every cap the user holds goes; the kernel's copy keeps the notification alive. */
    kt_act(kt_root_thread());
    kt_assert_success(kt_delete(NB));
    kt_assert_success(kt_delete(NT));
    assert_int_equal(kt_count_caps_of_type(CAP_NOTIFICATION), 1);
    assert_int_equal(ks.irq_slots[LINE].cap.type, CAP_NOTIFICATION);
    assert_int_equal(w->state, THREAD_BLOCKED_NOTIFICATION); /* not finalised: the waiter still waits */

    kt_interrupt(LINE);
    assert_int_equal(w->state, THREAD_RUNNING);
    assert_int_equal(kd_message(w).badge, 0x40);

    /* The handler's last cap goes: so does the binding, and with it the notification's last cap. */
    kt_act(kt_root_thread());
    kt_assert_success(kt_delete(H1));
    assert_int_equal(kt_count_caps_of_type(CAP_NOTIFICATION), 0);
    assert_null(n->bound);
}

static void test_interrupt_without_a_handler_is_masked_and_logged(void **state)
{
    (void)state;
    double_irq.enabled[7] = 1;
    unsigned acks = double_irq.acks;
    kt_interrupt(7);
    assert_int_equal(double_irq.enabled[7], 0);
    assert_int_equal(double_irq.acks, acks + 1);
    assert_int_equal(double_irq.pending, HAL_IRQ_NONE);
    assert_true(kt_logged("interrupt 7 has no notification bound"));
    assert_ptr_equal(ks.current, kt_root_thread());

    /* A line past what the kernel manages (a spurious one) is handled the same way. */
    kt_interrupt(LINES + 10);
    assert_int_equal(double_irq.pending, HAL_IRQ_NONE);
    assert_int_equal(double_irq.acks, acks + 2);
}

static void test_revoke_of_irq_control_removes_every_handler(void **state)
{
    (void)state;
    bound_line();
    kt_assert_success(get(LINE + 1, H2));
    kt_assert_success(set_notification(H2, NT));
    kaal_word_t before = kt_count_caps();
    kt_assert_success(kt_revoke(CTRL));
    assert_int_equal(kt_count_caps(), before - 4);
    for (unsigned line = LINE; line <= LINE + 1; line++) {
        assert_int_equal(ks.irq_issued[line], 0);
        assert_true(slot_is_empty(&ks.irq_slots[line]));
        assert_int_equal(double_irq.enabled[line], 0);
    }
    assert_int_equal(kt_slot(CTRL)->cap.type, CAP_IRQ_CONTROL);
    kt_assert_success(get(LINE, H3));
}

static void test_revoke_of_the_notification_takes_the_binding_back(void **state)
{
    (void)state;
    bound_line();
    kt_assert_success(kt_revoke(NT)); /* NB and the kernel's copy below it */
    assert_true(slot_is_empty(kt_slot(NB)));
    assert_true(slot_is_empty(&ks.irq_slots[LINE]));
    assert_int_equal(ks.irq_issued[LINE], 1);
    kt_interrupt(LINE);
    assert_int_equal(ntfn(NT)->word, 0);
    assert_int_equal(double_irq.enabled[LINE], 0);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, kt_setup, kt_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_get_issues_one_handler_cap_per_line),
        TEST(test_get_again_needs_every_cap_to_the_line_gone),
        TEST(test_get_line_out_of_range),
        TEST(test_get_timer_line_is_the_kernels),
        TEST(test_get_destination_errors),
        TEST(test_wrong_labels),
        TEST(test_irq_control_cannot_be_copied),
        TEST(test_set_notification_binds_a_kernel_copy_and_unmasks),
        TEST(test_set_notification_errors),
        TEST(test_line_firing_masks_acks_and_signals_with_the_badge),
        TEST(test_line_firing_wakes_the_waiter_with_the_badge),
        TEST(test_unbadged_notification_is_signalled_with_one),
        TEST(test_line_firing_switches_to_a_higher_priority_waiter),
        TEST(test_ack_unmasks_the_line),
        TEST(test_clear_unbinds_and_masks),
        TEST(test_set_notification_again_replaces_the_binding),
        TEST(test_deleting_the_last_handler_cap_unbinds_masks_and_frees_the_line),
        TEST(test_bound_notification_lives_while_the_kernel_holds_its_copy),
        TEST(test_interrupt_without_a_handler_is_masked_and_logged),
        TEST(test_revoke_of_irq_control_removes_every_handler),
        TEST(test_revoke_of_the_notification_takes_the_binding_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
