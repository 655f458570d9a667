/* Notifications between scripted threads: signal, wait, poll, binding to a thread, rights, deletion. */
#include "harness.h"

#define NTFN 300u     /* the notification under test, all rights */
#define EP 301u       /* an endpoint, for bound-notification delivery */
#define N_1 303u      /* NTFN, badge 0x1 */
#define N_4 304u      /* NTFN, badge 0x4 */
#define N_10 305u     /* NTFN, badge 0x10 */
#define N_RO 306u     /* NTFN, Read only */
#define N_WO 307u     /* NTFN, Write only */
#define SPARE 308u
#define NTFN2 309u

/* Threads: TCB, VSpace and IPC buffer frame in three consecutive root slots. */
#define A 400u
#define B 410u
#define C 420u

#define PRIO 100u

/* ---- helpers ---- */

/* NTFN and EP, and the badged and reduced caps above. */
static void setup_objects(void)
{
    kaal_word_t ut = kt_first_untyped();
    assert_ok(kt_retype(ut, KAAL_OBJ_NOTIFICATION, 0, 0, 0, NTFN, 1));
    assert_ok(kt_retype(ut, KAAL_OBJ_ENDPOINT, 0, 0, 0, EP, 1));
    assert_ok(kt_mint(N_1, NTFN, KAAL_RIGHTS_ALL, 0x1));
    assert_ok(kt_mint(N_4, NTFN, KAAL_RIGHTS_ALL, 0x4));
    assert_ok(kt_mint(N_10, NTFN, KAAL_RIGHTS_ALL, 0x10));
    assert_ok(kt_copy(N_RO, NTFN, KAAL_RIGHT_READ));
    assert_ok(kt_copy(N_WO, NTFN, KAAL_RIGHT_WRITE));
}

static struct notification *ntfn(void)
{
    return notification_of(&kt_slot(NTFN)->cap);
}

static struct endpoint *ep(void)
{
    return endpoint_of(&kt_slot(EP)->cap);
}

/* t issues one syscall with label and length only (the words do not matter to a notification). */
static struct kresult sys(struct tcb *t, kaal_word_t sysno, kaal_word_t cptr, kaal_word_t label, unsigned n)
{
    static const kaal_word_t words[4] = {0xdead, 0xbeef, 0xcafe, 0xf00d};
    kt_act(t);
    return kt_raw(sysno, cptr, kaal_msginfo(label, 0, 0, n), words, n, NULL, 0);
}

static void signal_as(struct tcb *t, kaal_word_t cptr)
{
    sys(t, KAAL_SYS_SEND, cptr, 0, 0);
    assert_int_equal(t->state, THREAD_RUNNING); /* a signal never blocks */
}

/* Wait with a request msginfo that is not 0, so the cleared answer shows. */
static void wait_as(struct tcb *t, kaal_word_t cptr)
{
    sys(t, KAAL_SYS_RECV, cptr, 77, 3);
}

static void poll_as(struct tcb *t, kaal_word_t cptr)
{
    sys(t, KAAL_SYS_NB_RECV, cptr, 77, 3);
}

static void restart(struct tcb *t)
{
    kt_act(t);
    assert_true(t->ctx.restart);
    assert_true(kd_restart());
    kt_check();
}

/* t runs and got a signal: the word in its badge register, an empty message. */
static void assert_signalled(const struct tcb *t, kaal_word_t word)
{
    assert_int_equal(t->state, THREAD_RUNNING);
    assert_int_equal(t->blocked_on, 0);
    struct kd_message m = kd_message(t);
    assert_int_equal(m.badge, word);
    assert_int_equal(hal_ctx_get(&t->ctx, HAL_REG_MSGINFO), 0);
}

static void assert_waiting(const struct tcb *t)
{
    assert_int_equal(t->state, THREAD_BLOCKED_NOTIFICATION);
    assert_int_equal(t->blocked_on, kt_slot(NTFN)->cap.obj);
}

static void bind(kaal_word_t tcb_slot, kaal_word_t ntfn_cptr)
{
    kaal_word_t caps[] = {ntfn_cptr};
    assert_ok(kt_invoke(tcb_slot, KAAL_TCB_BIND_NOTIFICATION, NULL, 0, caps, 1));
}

static void resume(kaal_word_t tcb_slot)
{
    assert_ok(kt_invoke(tcb_slot, KAAL_TCB_RESUME, NULL, 0, NULL, 0));
}

static void assert_stopped_by_cap_fault(const struct tcb *t)
{
    assert_int_equal(t->state, THREAD_INACTIVE);
    assert_int_equal(t->blocked_on, 0);
    assert_true(t->ctx.restart);
    assert_true(kt_logged("capability fault"));
    assert_true(kt_logged("no fault handler, thread stopped"));
}

/* ---- signal, wait, poll ---- */

static void test_signal_then_wait(void **state)
{
    (void)state;
    setup_objects();
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);

    signal_as(a, N_4);
    assert_int_equal(ntfn()->word, 0x4);
    assert_queue_empty(&ntfn()->waiters);

    wait_as(b, NTFN);
    assert_signalled(b, 0x4);
    assert_int_equal(ntfn()->word, 0);
    assert_queue_empty(&ntfn()->waiters);
}

static void test_wait_then_signal(void **state)
{
    (void)state;
    setup_objects();
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);

    wait_as(b, NTFN);
    assert_waiting(b);
    assert_queue(&ntfn()->waiters, b);
    assert_int_equal(ntfn()->word, 0);

    signal_as(a, N_10);
    assert_signalled(b, 0x10);
    assert_queue_empty(&ntfn()->waiters);
    /* Handed straight over: nothing is left in the word. */
    assert_int_equal(ntfn()->word, 0);
    assert_ptr_equal(ks.ready[PRIO].tail, b);
}

static void test_signals_or_their_badges(void **state)
{
    (void)state;
    setup_objects();
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);

    /* Send, NBSend and Call all signal; repeating a badge changes nothing. */
    signal_as(a, N_1);
    sys(a, KAAL_SYS_NB_SEND, N_4, 0, 0);
    struct kresult r = sys(a, KAAL_SYS_CALL, N_10, 5, 2);
    kt_assert_success(r);
    signal_as(a, N_4);
    assert_int_equal(a->state, THREAD_RUNNING);
    assert_int_equal(ntfn()->word, 0x15);

    wait_as(b, NTFN);
    assert_signalled(b, 0x15);
    assert_int_equal(ntfn()->word, 0);

    /* Taken: the next wait blocks. */
    wait_as(b, NTFN);
    assert_waiting(b);
}

static void test_unbadged_signal_gives_one(void **state)
{
    (void)state;
    setup_objects();
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);

    signal_as(a, NTFN);
    signal_as(a, NTFN);
    assert_int_equal(ntfn()->word, 1);
    wait_as(b, NTFN);
    assert_signalled(b, 1);

    /* The same to a waiter. */
    wait_as(b, NTFN);
    signal_as(a, NTFN);
    assert_signalled(b, 1);
    assert_int_equal(ntfn()->word, 0);
}

static void test_poll_with_and_without_word(void **state)
{
    (void)state;
    setup_objects();
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);

    poll_as(b, NTFN);
    assert_signalled(b, 0); /* nothing: word 0, and b runs on */
    assert_false(b->ctx.restart);
    assert_queue_empty(&ntfn()->waiters);

    signal_as(a, N_4);
    signal_as(a, N_1);
    poll_as(b, NTFN);
    assert_signalled(b, 0x5);
    assert_int_equal(ntfn()->word, 0);

    poll_as(b, N_10); /* the polling cap's badge plays no part */
    assert_signalled(b, 0);
}

static void test_waiters_are_woken_in_order_one_per_signal(void **state)
{
    (void)state;
    setup_objects();
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO), *c = kt_thread(C, PRIO);

    wait_as(a, NTFN);
    wait_as(b, NTFN);
    assert_queue(&ntfn()->waiters, a, b);

    signal_as(c, N_1);
    assert_signalled(a, 0x1);
    assert_waiting(b);
    assert_queue(&ntfn()->waiters, b);
    assert_int_equal(ntfn()->word, 0);

    signal_as(c, N_4);
    assert_signalled(b, 0x4);
    assert_queue_empty(&ntfn()->waiters);

    /* No waiter left: the next signal stays in the word. */
    signal_as(c, N_10);
    assert_int_equal(ntfn()->word, 0x10);
    assert_signalled(a, 0x1);
}

static void test_call_on_notification_signals_and_answers(void **state)
{
    (void)state;
    setup_objects();
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);

    wait_as(b, NTFN);
    struct kresult r = sys(a, KAAL_SYS_CALL, N_4, 9, 1);
    kt_assert_success(r);
    assert_int_equal(a->state, THREAD_RUNNING);
    assert_int_equal(kt_count_caps_of_type(CAP_REPLY), 0);
    assert_signalled(b, 0x4);
}

/* ---- bound notifications ---- */

static void test_bound_notification_wakes_endpoint_recv(void **state)
{
    (void)state;
    setup_objects();
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);
    bind(B, NTFN);
    assert_ptr_equal(b->bound_notification, ntfn());
    assert_ptr_equal(ntfn()->bound, b);

    wait_as(b, EP);
    assert_int_equal(b->state, THREAD_BLOCKED_RECV);
    assert_queue(&ep()->queue, b);

    signal_as(a, N_4);
    assert_signalled(b, 0x4);
    assert_queue_empty(&ep()->queue);
    assert_queue_empty(&ntfn()->waiters);
    assert_int_equal(ntfn()->word, 0);
    assert_true(slot_is_empty(&b->slots[TCB_SLOT_REPLY]));
}

static void test_bound_notification_taken_before_queued_sender(void **state)
{
    (void)state;
    setup_objects();
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO), *c = kt_thread(C, PRIO);
    bind(B, NTFN);

    sys(c, KAAL_SYS_SEND, EP, 6, 1);
    assert_queue(&ep()->queue, c);
    signal_as(a, N_10); /* b runs: the signal waits in the word */
    signal_as(a, N_1);
    assert_int_equal(ntfn()->word, 0x11);

    wait_as(b, EP);
    assert_signalled(b, 0x11);
    assert_int_equal(ntfn()->word, 0);
    assert_int_equal(c->state, THREAD_BLOCKED_SEND);
    assert_queue(&ep()->queue, c);

    /* The next Recv gets the sender; NBRecv takes a pending signal just the same. */
    wait_as(b, EP);
    struct kd_message m = kd_message(b);
    assert_int_equal(m.label, 6);
    assert_int_equal(m.length, 1);
    assert_int_equal(m.mr[0], 0xdead);
    assert_int_equal(c->state, THREAD_RUNNING);
    signal_as(a, N_4);
    poll_as(b, EP);
    assert_signalled(b, 0x4);
}

static void test_bound_thread_may_wait_on_its_notification(void **state)
{
    (void)state;
    setup_objects();
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);
    bind(B, NTFN);

    wait_as(b, NTFN);
    assert_waiting(b);
    assert_queue(&ntfn()->waiters, b);
    signal_as(a, N_4);
    assert_signalled(b, 0x4);
}

static void test_signal_does_not_wake_bound_thread_outside_recv(void **state)
{
    (void)state;
    setup_objects();
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);
    bind(B, NTFN);

    /* Blocked sending, b is not receiving: the signal waits for its next Recv. */
    sys(b, KAAL_SYS_SEND, EP, 1, 0);
    signal_as(a, N_4);
    assert_int_equal(b->state, THREAD_BLOCKED_SEND);
    assert_queue(&ep()->queue, b);
    assert_int_equal(ntfn()->word, 0x4);
}

static void test_wait_on_notification_bound_to_other_thread_is_cap_fault(void **state)
{
    (void)state;
    setup_objects();
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);
    bind(B, NTFN);
    signal_as(b, N_4);

    wait_as(a, NTFN);
    assert_stopped_by_cap_fault(a);
    assert_queue_empty(&ntfn()->waiters);
    /* A poll is refused the same way and does not take the word. */
    resume(A);
    poll_as(a, N_1);
    assert_stopped_by_cap_fault(a);
    assert_int_equal(ntfn()->word, 0x4);
}

static void test_signal_reaches_bound_thread_with_earlier_word(void **state)
{
    (void)state;
    setup_objects();
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);

    /* A word is pending when the notification is bound to a thread already blocked in Recv. */
    signal_as(a, N_1);
    wait_as(b, EP);
    bind(B, NTFN);
    assert_int_equal(b->state, THREAD_BLOCKED_RECV);

    /* The next signal wakes b with everything signalled so far, and nothing stays behind. */
    signal_as(a, N_4);
    assert_signalled(b, 0x5);
    assert_int_equal(ntfn()->word, 0);
    assert_queue_empty(&ep()->queue);
}

static void test_unbound_notification_no_longer_wakes_recv(void **state)
{
    (void)state;
    setup_objects();
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);
    bind(B, NTFN);
    assert_ok(kt_invoke(B, KAAL_TCB_UNBIND_NOTIFICATION, NULL, 0, NULL, 0));
    assert_null(b->bound_notification);
    assert_null(ntfn()->bound);

    wait_as(b, EP);
    signal_as(a, N_4);
    assert_int_equal(b->state, THREAD_BLOCKED_RECV);
    assert_int_equal(ntfn()->word, 0x4);
}

/* ---- rights ---- */

static void test_signal_without_write(void **state)
{
    (void)state;
    setup_objects();
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);
    wait_as(b, NTFN);

    /* Send and NBSend have no answer: a cap fault. Call answers with an error. */
    sys(a, KAAL_SYS_SEND, N_RO, 0, 0);
    assert_stopped_by_cap_fault(a);
    resume(A);
    sys(a, KAAL_SYS_NB_SEND, N_RO, 0, 0);
    assert_stopped_by_cap_fault(a);
    resume(A);
    struct kresult r = sys(a, KAAL_SYS_CALL, N_RO, 0, 0);
    assert_err(r, KAAL_ERR_INVALID_CAPABILITY);
    assert_detail(r, KAAL_ARG_INVOKED);
    assert_int_equal(a->state, THREAD_RUNNING);

    assert_waiting(b);
    assert_queue(&ntfn()->waiters, b);
}

static void test_wait_without_read(void **state)
{
    (void)state;
    setup_objects();
    struct tcb *a = kt_thread(A, PRIO);
    signal_as(a, N_4);

    wait_as(a, N_WO);
    assert_stopped_by_cap_fault(a);
    resume(A);
    poll_as(a, N_WO);
    assert_stopped_by_cap_fault(a);
    assert_int_equal(ntfn()->word, 0x4);
    assert_queue_empty(&ntfn()->waiters);
}

/* ---- deletion and suspension ---- */

static void test_delete_notification_restarts_waiters(void **state)
{
    (void)state;
    setup_objects();
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO), *c = kt_thread(C, PRIO);
    struct notification *n = ntfn();

    wait_as(a, NTFN);
    wait_as(b, N_4);
    assert_queue(&n->waiters, a, b);

    /* Every other cap first: the last one finalises. */
    const kaal_word_t others[] = {N_1, N_4, N_10, N_RO, N_WO};
    for (unsigned i = 0; i < ARRAY_SIZE(others); i++) {
        assert_ok(kt_delete(others[i]));
        assert_queue(&n->waiters, a, b);
    }
    assert_ok(kt_delete(NTFN));
    assert_queue_empty(&n->waiters);
    assert_int_equal(a->state, THREAD_RUNNING);
    assert_int_equal(b->state, THREAD_RUNNING);
    assert_true(a->ctx.restart);
    assert_true(b->ctx.restart);

    /* Their Waits run again and find no cap. */
    restart(a);
    assert_stopped_by_cap_fault(a);
    restart(b);
    assert_stopped_by_cap_fault(b);
    assert_int_equal(c->state, THREAD_RUNNING);
}

static void test_delete_notification_unbinds_waiting_bound_thread(void **state)
{
    (void)state;
    setup_objects();
    struct tcb *b = kt_thread(B, PRIO);
    bind(B, NTFN);
    struct notification *n = ntfn();

    wait_as(b, NTFN);
    assert_queue(&n->waiters, b);
    const kaal_word_t all[] = {N_1, N_4, N_10, N_RO, N_WO, NTFN};
    for (unsigned i = 0; i < ARRAY_SIZE(all); i++)
        assert_ok(kt_delete(all[i]));

    assert_null(b->bound_notification);
    assert_int_equal(b->state, THREAD_RUNNING);
    assert_queue_empty(&n->waiters);
    restart(b);
    assert_stopped_by_cap_fault(b);
}

static void test_delete_notification_unbinds_thread_in_endpoint_recv(void **state)
{
    (void)state;
    setup_objects();
    struct tcb *b = kt_thread(B, PRIO);
    bind(B, NTFN);

    wait_as(b, EP);
    const kaal_word_t all[] = {N_1, N_4, N_10, N_RO, N_WO, NTFN};
    for (unsigned i = 0; i < ARRAY_SIZE(all); i++)
        assert_ok(kt_delete(all[i]));

    /* Unbound, and still waiting for a message: the endpoint was not involved. */
    assert_null(b->bound_notification);
    assert_int_equal(b->state, THREAD_BLOCKED_RECV);
    assert_queue(&ep()->queue, b);
    assert_false(b->ctx.restart);

    /* A new notification can be bound to it. */
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_NOTIFICATION, 0, 0, 0, NTFN2, 1));
    bind(B, NTFN2);
    assert_ptr_equal(b->bound_notification, notification_of(&kt_slot(NTFN2)->cap));
}

static void test_delete_waiting_thread_leaves_waiters(void **state)
{
    (void)state;
    setup_objects();
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO), *c = kt_thread(C, PRIO);

    wait_as(a, NTFN);
    wait_as(b, NTFN);
    assert_ok(kt_delete(A));
    assert_int_equal(a->state, THREAD_INACTIVE);
    assert_queue(&ntfn()->waiters, b);

    signal_as(c, N_4);
    assert_signalled(b, 0x4);
    assert_queue_empty(&ntfn()->waiters);
}

static void test_delete_bound_thread_unbinds_notification(void **state)
{
    (void)state;
    setup_objects();
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);
    bind(B, NTFN);
    wait_as(b, EP);

    assert_ok(kt_delete(B));
    assert_null(ntfn()->bound);
    assert_queue_empty(&ep()->queue);

    /* The notification works on as an unbound one. */
    signal_as(a, N_4);
    assert_int_equal(ntfn()->word, 0x4);
    wait_as(a, NTFN);
    assert_signalled(a, 0x4);
}

static void test_suspend_waiter_restarts_wait(void **state)
{
    (void)state;
    setup_objects();
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);

    wait_as(b, NTFN);
    assert_ok(kt_invoke(B, KAAL_TCB_SUSPEND, NULL, 0, NULL, 0));
    assert_int_equal(b->state, THREAD_INACTIVE);
    assert_queue_empty(&ntfn()->waiters);
    assert_true(b->ctx.restart);

    /* Nobody waits now: the signal stays in the word until b's Wait runs again. */
    signal_as(a, N_10);
    assert_int_equal(ntfn()->word, 0x10);
    resume(B);
    restart(b);
    assert_signalled(b, 0x10);
    assert_int_equal(ntfn()->word, 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, kt_setup, kt_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_signal_then_wait),
        T(test_wait_then_signal),
        T(test_signals_or_their_badges),
        T(test_unbadged_signal_gives_one),
        T(test_poll_with_and_without_word),
        T(test_waiters_are_woken_in_order_one_per_signal),
        T(test_call_on_notification_signals_and_answers),
        T(test_bound_notification_wakes_endpoint_recv),
        T(test_bound_notification_taken_before_queued_sender),
        T(test_bound_thread_may_wait_on_its_notification),
        T(test_signal_does_not_wake_bound_thread_outside_recv),
        T(test_wait_on_notification_bound_to_other_thread_is_cap_fault),
        T(test_signal_reaches_bound_thread_with_earlier_word),
        T(test_unbound_notification_no_longer_wakes_recv),
        T(test_signal_without_write),
        T(test_wait_without_read),
        T(test_delete_notification_restarts_waiters),
        T(test_delete_notification_unbinds_waiting_bound_thread),
        T(test_delete_notification_unbinds_thread_in_endpoint_recv),
        T(test_delete_waiting_thread_leaves_waiters),
        T(test_delete_bound_thread_unbinds_notification),
        T(test_suspend_waiter_restarts_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
