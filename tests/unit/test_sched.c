/* The scheduler: priorities across the bitmap, FIFO and Yield within a priority, timer ticks and timeslices, idle. */
#include "harness.h"

#include <kaal/core/sched.h>
#include <kaal/hal/timer.h>

#define TIMER 30u /* the double's timer line */
#define EP 150u

/* kt_thread() slot groups (TCB, VSpace, frame). */
#define A 200
#define B 210
#define C 220

static struct kresult simple(kaal_word_t tcb, kaal_word_t label)
{
    return kt_invoke(tcb, label, NULL, 0, NULL, 0);
}

static struct kresult set_priority(kaal_word_t tcb, kaal_word_t value)
{
    kaal_word_t args[] = {value};
    kaal_word_t authority[] = {KAAL_ROOT_SLOT_TCB};
    return kt_invoke(tcb, KAAL_TCB_SET_PRIORITY, args, 1, authority, 1);
}

static void yield(void)
{
    kt_raw(KAAL_SYS_YIELD, 0, 0, NULL, 0, NULL, 0);
}

/* The root thread (priority 255) leaves the CPU to the threads under test. */
static void root_sleeps(void)
{
    kt_act(kt_root_thread());
    kt_assert_success(simple(KAAL_ROOT_SLOT_TCB, KAAL_TCB_SUSPEND));
}

/* One timer tick, a tick's worth of time after the last. */
static void tick(void)
{
    double_advance_time(KERNEL_TICK_NS);
    kt_interrupt(TIMER);
}

static void test_highest_priority_runs_across_all_bitmap_groups(void **state)
{
    (void)state;
    static const unsigned prios[] = {0, 63, 64, 127, 128, 200};
    enum { N = ARRAY_SIZE(prios) };
    struct tcb *t[N];
    for (unsigned i = 0; i < N; i++)
        t[i] = kt_thread(300 + 10 * i, prios[i]);
    assert_int_equal(ks.ready_l1, 0xf);
    assert_int_equal(ks.ready_l2[0], BIT(0) | BIT(63));
    assert_int_equal(ks.ready_l2[1], BIT(0) | BIT(63));
    assert_int_equal(ks.ready_l2[2], BIT(0));
    assert_int_equal(ks.ready_l2[3], BIT(200 - 192) | BIT(63)); /* and the root thread */
    assert_int_equal(sched_highest_priority(), 255);
    assert_ptr_equal(ks.current, kt_root_thread());

    /* Each thread, once it is the highest, suspends itself: the next lower one runs. */
    root_sleeps();
    for (unsigned i = N; i-- > 0;) {
        assert_ptr_equal(ks.current, t[i]);
        assert_int_equal(sched_highest_priority(), prios[i]);
        uint64_t l1 = 0;
        for (unsigned j = 0; j <= i; j++)
            l1 |= BIT(prios[j] / 64);
        assert_int_equal(ks.ready_l1, l1);
        kt_assert_success(simple(300 + 10 * i, KAAL_TCB_SUSPEND));
        assert_int_equal(t[i]->state, THREAD_INACTIVE);
        assert_ready_empty(prios[i]);
    }
    /* Nothing is runnable: the idle thread. */
    assert_ptr_equal(ks.current, &ks.idle);
    assert_int_equal(sched_highest_priority(), -1);
    assert_int_equal(ks.ready_l1, 0);
    for (unsigned g = 0; g < ARRAY_SIZE(ks.ready_l2); g++)
        assert_int_equal(ks.ready_l2[g], 0);
}

static void test_highest_of_several_in_one_group(void **state)
{
    (void)state;
    /* Within one 64-priority group the second-level word decides. */
    struct tcb *low = kt_thread(A, 65);
    struct tcb *high = kt_thread(B, 126);
    struct tcb *mid = kt_thread(C, 100);
    root_sleeps();
    assert_ptr_equal(ks.current, high);
    assert_int_equal(ks.ready_l1, BIT(1));
    kt_assert_success(simple(B, KAAL_TCB_SUSPEND));
    assert_ptr_equal(ks.current, mid);
    kt_assert_success(simple(C, KAAL_TCB_SUSPEND));
    assert_ptr_equal(ks.current, low);
}

static void test_equals_run_in_fifo_order_and_yield_rotates(void **state)
{
    (void)state;
    struct tcb *a = kt_thread(A, 100);
    struct tcb *b = kt_thread(B, 100);
    struct tcb *c = kt_thread(C, 100);
    assert_ready(100, a, b, c);
    root_sleeps();
    assert_ptr_equal(ks.current, a);

    yield();
    assert_ptr_equal(ks.current, b);
    assert_ready(100, b, c, a);
    yield();
    assert_ptr_equal(ks.current, c);
    assert_ready(100, c, a, b);
    yield();
    assert_ptr_equal(ks.current, a);
    assert_ready(100, a, b, c);
    /* Yielding never blocks anybody. */
    assert_int_equal(a->state, THREAD_RUNNING);
    assert_int_equal(b->state, THREAD_RUNNING);
    assert_int_equal(c->state, THREAD_RUNNING);
}

static void test_yield_alone_keeps_running_and_lower_priorities_wait(void **state)
{
    (void)state;
    struct tcb *a = kt_thread(A, 100);
    struct tcb *low = kt_thread(B, 50);
    root_sleeps();
    tick();
    tick();
    assert_int_equal(a->timeslice, SCHED_TIMESLICE_TICKS - 2);
    yield();
    assert_ptr_equal(ks.current, a);
    assert_ready(100, a);
    assert_ready(50, low);
    /* A yield starts a fresh timeslice. */
    assert_int_equal(a->timeslice, SCHED_TIMESLICE_TICKS);
}

static void test_yield_by_a_thread_behind_the_head(void **state)
{
    (void)state;
    struct tcb *a = kt_thread(A, 100);
    struct tcb *b = kt_thread(B, 100);
    struct tcb *c = kt_thread(C, 100);
    root_sleeps();
    kt_act(b); /* the test plays scheduler: b runs though a is at the head */
    yield();
    assert_ready(100, a, c, b);
    assert_ptr_equal(ks.current, a);
}

static void test_timer_ticks_charge_the_current_thread_and_rotate_after_its_slice(void **state)
{
    (void)state;
    struct tcb *a = kt_thread(A, 100);
    struct tcb *b = kt_thread(B, 100);
    root_sleeps();
    assert_ptr_equal(ks.current, a);
    unsigned acks = double_irq.acks;

    for (unsigned i = 1; i < SCHED_TIMESLICE_TICKS; i++) {
        tick();
        assert_ptr_equal(ks.current, a);
        assert_int_equal(a->timeslice, SCHED_TIMESLICE_TICKS - i);
        assert_int_equal(b->timeslice, SCHED_TIMESLICE_TICKS);
        /* Every tick re-arms the timer and ends the interrupt. */
        assert_int_equal(double_irq.deadline, hal_timer_now_ns() + KERNEL_TICK_NS);
        assert_int_equal(double_irq.pending, HAL_IRQ_NONE);
        assert_int_equal(double_irq.acks, acks + i);
        assert_ready(100, a, b);
    }
    tick(); /* the last tick of a's slice */
    assert_ptr_equal(ks.current, b);
    assert_ready(100, b, a);
    assert_int_equal(a->timeslice, SCHED_TIMESLICE_TICKS);

    for (unsigned i = 1; i < SCHED_TIMESLICE_TICKS; i++) {
        tick();
        assert_ptr_equal(ks.current, b);
    }
    tick();
    assert_ptr_equal(ks.current, a);
    assert_ready(100, a, b);
    assert_int_equal(b->timeslice, SCHED_TIMESLICE_TICKS);
}

static void test_timer_tick_charges_whichever_thread_runs(void **state)
{
    (void)state;
    struct tcb *a = kt_thread(A, 100);
    struct tcb *b = kt_thread(B, 100);
    struct tcb *c = kt_thread(C, 100);
    root_sleeps();
    kt_act(b);
    for (unsigned i = 0; i < SCHED_TIMESLICE_TICKS - 1; i++) {
        tick();
        kt_act(b); /* keep b on the CPU */
    }
    assert_int_equal(a->timeslice, SCHED_TIMESLICE_TICKS);
    assert_int_equal(b->timeslice, 1);
    tick();
    assert_ready(100, a, c, b);
    assert_ptr_equal(ks.current, a);
}

static void test_timer_tick_with_no_equal_keeps_the_thread(void **state)
{
    (void)state;
    struct tcb *root = kt_root_thread();
    kt_thread(A, 100);
    for (unsigned i = 0; i < SCHED_TIMESLICE_TICKS; i++)
        tick();
    /* Its slice ended, but nothing else at 255 can run: a new slice, same thread. */
    assert_ptr_equal(ks.current, root);
    assert_int_equal(root->timeslice, SCHED_TIMESLICE_TICKS);
    assert_ready(255, root);
}

static void test_timer_tick_while_idle(void **state)
{
    (void)state;
    root_sleeps();
    assert_ptr_equal(ks.current, &ks.idle);
    unsigned acks = double_irq.acks;
    tick();
    assert_ptr_equal(ks.current, &ks.idle);
    assert_int_equal(double_irq.deadline, hal_timer_now_ns() + KERNEL_TICK_NS);
    assert_int_equal(double_irq.acks, acks + 1);
    assert_int_equal(double_irq.pending, HAL_IRQ_NONE);
}

static void test_boot_arms_the_timer(void **state)
{
    (void)state;
    assert_int_equal(double_irq.deadline, hal_timer_now_ns() + KERNEL_TICK_NS);
    assert_int_equal(kt_root_thread()->timeslice, SCHED_TIMESLICE_TICKS);
}

static void test_priority_change_of_a_queued_thread_moves_it(void **state)
{
    (void)state;
    struct tcb *a = kt_thread(A, 100);
    struct tcb *b = kt_thread(B, 100);
    root_sleeps();
    assert_ptr_equal(ks.current, a);

    /* a raises b (with the root's authority): b is now the highest and runs. */
    kt_assert_success(set_priority(B, 150));
    assert_ready(100, a);
    assert_ready(150, b);
    assert_ptr_equal(ks.current, b);

    /* b lowers itself below a: a runs again. */
    kt_assert_success(set_priority(B, 50));
    assert_ready(50, b);
    assert_ready_empty(150);
    assert_ptr_equal(ks.current, a);
    assert_int_equal(sched_highest_priority(), 100);

    /* Back to 100: it queues behind a, not in front. */
    kt_assert_success(set_priority(B, 100));
    assert_ready(100, a, b);
    assert_ptr_equal(ks.current, a);
}

static void test_priority_change_of_a_blocked_thread_applies_when_it_wakes(void **state)
{
    (void)state;
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_ENDPOINT, 0, 0, 0, EP, 1));
    struct tcb *a = kt_thread(A, 100);
    struct tcb *c = kt_thread(C, 100);
    kt_act(c);
    kt_raw(KAAL_SYS_RECV, EP, 0, NULL, 0, NULL, 0);
    assert_int_equal(c->state, THREAD_BLOCKED_RECV);

    kt_act(kt_root_thread());
    kt_assert_success(set_priority(C, 200));
    assert_int_equal(c->priority, 200);
    assert_int_equal(c->state, THREAD_BLOCKED_RECV);
    assert_ready_empty(200);
    assert_ready(100, a);

    root_sleeps();
    kt_raw(KAAL_SYS_SEND, EP, 0, NULL, 0, NULL, 0); /* a wakes c */
    assert_ready(200, c);
    assert_ptr_equal(ks.current, c);
}

static void test_lowering_the_running_thread_lets_the_higher_run(void **state)
{
    (void)state;
    struct tcb *root = kt_root_thread();
    struct tcb *a = kt_thread(A, 100);
    kt_assert_success(set_priority(KAAL_ROOT_SLOT_TCB, 10));
    assert_ptr_equal(ks.current, a);
    assert_ready(10, root);
    assert_ready_empty(255);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, kt_setup, kt_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_highest_priority_runs_across_all_bitmap_groups),
        TEST(test_highest_of_several_in_one_group),
        TEST(test_equals_run_in_fifo_order_and_yield_rotates),
        TEST(test_yield_alone_keeps_running_and_lower_priorities_wait),
        TEST(test_yield_by_a_thread_behind_the_head),
        TEST(test_timer_ticks_charge_the_current_thread_and_rotate_after_its_slice),
        TEST(test_timer_tick_charges_whichever_thread_runs),
        TEST(test_timer_tick_with_no_equal_keeps_the_thread),
        TEST(test_timer_tick_while_idle),
        TEST(test_boot_arms_the_timer),
        TEST(test_priority_change_of_a_queued_thread_moves_it),
        TEST(test_priority_change_of_a_blocked_thread_applies_when_it_wakes),
        TEST(test_lowering_the_running_thread_lets_the_higher_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
