/* Preemption of long operations: Revoke, Delete of containers, Retype clearing memory, Configure. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include <kaal/core/preempt.h>
#include <kaal/core/sched.h>

#define DEV 7u    /* a device line without a handler: taking it just masks it */
#define TIMER 30u /* the double's timer line */
#define DRIVER_LINE 5u

#define EP 100u
#define NT 101u
#define H1 102u
#define X 103u      /* a CNode */
#define DEST 110u   /* Retype destinations */
#define FIRST 1000u /* root slots for many caps */

/* kt_thread() slot groups (TCB, VSpace, frame). */
#define A 200
#define B 210
#define D 220

#define RADIX 2u

static void pend(unsigned line)
{
    double_irq.pending = line;
}

static struct tcb *root(void)
{
    return kt_root_thread();
}

/* The acting thread's syscall stopped at a preemption point and will run again. */
static void assert_preempted(struct tcb *t)
{
    assert_int_equal(t->ctx.restart, 1);
    assert_int_equal(t->state, THREAD_RUNNING);
}

/* The acting thread's last syscall finished and answered success. */
static void assert_finished(struct tcb *t)
{
    assert_int_equal(t->ctx.restart, 0);
    struct kd_message m = kd_message(t);
    assert_int_equal(m.label, KAAL_OK);
    assert_int_equal(m.length, 0);
}

/* n copies of the endpoint in EP: half of them copies of EP, the rest copies of those. */
static void make_copy_tree(kaal_word_t n)
{
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_ENDPOINT, 0, 0, 0, EP, 1));
    for (kaal_word_t i = 0; i < n; i++) {
        kaal_word_t src = i < n / 2 ? EP : FIRST + i - n / 2;
        assert_ok(kt_copy(FIRST + i, src, KAAL_RIGHTS_ALL));
    }
}

/* ---- Revoke ---- */

static void test_revoke_of_a_large_tree_stops_at_preemption_points(void **state)
{
    (void)state;
    const kaal_word_t n = 20 * PREEMPT_WORK_UNITS;
    make_copy_tree(n);
    kaal_word_t before = kt_count_caps();
    unsigned acks = double_irq.acks;

    pend(DEV);
    kt_revoke(EP);
    assert_preempted(root());
    /* Exactly one budget of work, then the interrupt was taken (and, with no handler, masked). */
    assert_int_equal(kt_count_caps(), before - PREEMPT_WORK_UNITS);
    assert_int_equal(double_irq.pending, HAL_IRQ_NONE);
    assert_int_equal(double_irq.acks, acks + 1);
    assert_int_equal(double_irq.enabled[DEV], 0);

    unsigned stops = 1;
    while (root()->ctx.restart) {
        kaal_word_t left = kt_count_caps();
        pend(DEV);
        assert_true(kt_restart());
        assert_true(kt_count_caps() <= left);
        assert_true(left - kt_count_caps() <= PREEMPT_WORK_UNITS);
        stops++;
        assert_true(stops <= n); /* progress on every restart */
    }
    assert_int_equal(stops, n / PREEMPT_WORK_UNITS + 1);
    assert_finished(root());
    assert_int_equal(kt_count_caps(), before - n);
    assert_null(kt_slot(EP)->first_child);
    assert_int_equal(kt_slot(EP)->cap.type, CAP_ENDPOINT); /* Revoke keeps the cap itself */
}

static void test_revoke_without_a_pending_interrupt_runs_to_the_end(void **state)
{
    (void)state;
    const kaal_word_t n = 20 * PREEMPT_WORK_UNITS;
    make_copy_tree(n);
    kaal_word_t before = kt_count_caps();
    kt_assert_success(kt_revoke(EP));
    assert_int_equal(kt_count_caps(), before - n);
    assert_int_equal(root()->ctx.restart, 0);
}

static void test_timer_during_revoke_is_a_tick_for_the_caller(void **state)
{
    (void)state;
    make_copy_tree(4 * PREEMPT_WORK_UNITS);
    pend(TIMER);
    kt_revoke(EP);
    assert_preempted(root());
    assert_int_equal(root()->timeslice, SCHED_TIMESLICE_TICKS - 1);
    assert_int_equal(double_irq.pending, HAL_IRQ_NONE);
    while (kt_restart())
        ;
    assert_finished(root());
    assert_null(kt_slot(EP)->first_child);
}

static void test_interrupt_during_revoke_runs_its_driver_first(void **state)
{
    (void)state;
    /* A thread at 100 revokes; the line it is interrupted by wakes a driver at 200. */
    const kaal_word_t n = 3 * PREEMPT_WORK_UNITS;
    make_copy_tree(n);
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_NOTIFICATION, 0, 0, 0, NT, 1));
    kaal_word_t args[] = {DRIVER_LINE, H1, KT_DEPTH};
    kaal_word_t caps[] = {KT_ROOT};
    kt_assert_success(kt_invoke(KAAL_ROOT_SLOT_IRQ_CONTROL, KAAL_IRQ_CONTROL_GET, args, 3, caps, 1));
    kaal_word_t ntfn[] = {NT};
    kt_assert_success(kt_invoke(H1, KAAL_IRQ_HANDLER_SET_NOTIFICATION, NULL, 0, ntfn, 1));
    struct tcb *revoker = kt_thread(A, 100);
    struct tcb *driver = kt_thread(D, 200);
    kt_act(driver);
    kt_raw(KAAL_SYS_RECV, NT, 0, NULL, 0, NULL, 0);
    kt_act(root());
    kt_assert_success(kt_invoke(KAAL_ROOT_SLOT_TCB, KAAL_TCB_SUSPEND, NULL, 0, NULL, 0));
    kaal_word_t before = kt_count_caps();

    kt_act(revoker);
    pend(DRIVER_LINE);
    kt_revoke(EP);
    assert_preempted(revoker);
    assert_int_equal(kt_count_caps(), before - PREEMPT_WORK_UNITS);
    assert_ptr_equal(ks.current, driver); /* the driver runs before the revoke goes on */
    assert_int_equal(kd_message(driver).badge, 1);
    assert_int_equal(double_irq.enabled[DRIVER_LINE], 0);

    kt_assert_success(kt_invoke(H1, KAAL_IRQ_HANDLER_ACK, NULL, 0, NULL, 0));
    assert_int_equal(double_irq.enabled[DRIVER_LINE], 1);
    kt_raw(KAAL_SYS_RECV, NT, 0, NULL, 0, NULL, 0);
    assert_ptr_equal(ks.current, revoker);
    while (kt_restart())
        ;
    assert_finished(revoker);
    assert_int_equal(kt_count_caps(), before - n);
}

static void test_timer_ending_the_slice_during_a_revoke_lets_an_equal_run(void **state)
{
    (void)state;
    const kaal_word_t n = 3 * PREEMPT_WORK_UNITS;
    make_copy_tree(n);
    struct tcb *a = kt_thread(A, 100);
    struct tcb *b = kt_thread(B, 100);
    kt_assert_success(kt_invoke(KAAL_ROOT_SLOT_TCB, KAAL_TCB_SUSPEND, NULL, 0, NULL, 0));
    kt_act(a);
    for (unsigned i = 1; i < SCHED_TIMESLICE_TICKS; i++)
        kt_interrupt(TIMER);
    assert_int_equal(a->timeslice, 1);

    pend(TIMER);
    kt_revoke(EP);
    /* The tick that stopped the revoke ended a's slice: b runs, a waits its turn to go on. */
    assert_preempted(a);
    assert_ptr_equal(ks.current, b);
    assert_ready(100, b, a);
    kt_raw(KAAL_SYS_YIELD, 0, 0, NULL, 0, NULL, 0);
    assert_ptr_equal(ks.current, a);
    while (kt_restart())
        ;
    assert_finished(a);
    assert_null(kt_slot(EP)->first_child);
}

static void test_suspended_thread_carries_on_its_stopped_revoke_when_resumed(void **state)
{
    (void)state;
    const kaal_word_t n = 4 * PREEMPT_WORK_UNITS;
    make_copy_tree(n);
    struct tcb *a = kt_thread(A, 100);
    kaal_word_t before = kt_count_caps();
    kt_act(a);
    pend(DEV);
    kt_revoke(EP);
    assert_preempted(a);

    /* Suspended between two stops: it keeps its place in the work. */
    kt_act(root());
    kt_assert_success(kt_invoke(A, KAAL_TCB_SUSPEND, NULL, 0, NULL, 0));
    assert_int_equal(a->state, THREAD_INACTIVE);
    assert_int_equal(a->ctx.restart, 1);
    assert_int_equal(kt_count_caps(), before - PREEMPT_WORK_UNITS);

    kt_assert_success(kt_invoke(A, KAAL_TCB_RESUME, NULL, 0, NULL, 0));
    kt_act(a);
    assert_true(kt_restart());
    assert_finished(a);
    assert_int_equal(kt_count_caps(), before - n);
}

/* ---- Delete of containers ---- */

/* Move root slot src into slot `index` of the radix-2 CNode in root slot `cnode`. */
static void move_into(kaal_word_t cnode, kaal_word_t index, kaal_word_t src)
{
    kaal_word_t args[] = {index, RADIX, src, KT_DEPTH};
    kaal_word_t caps[] = {KT_ROOT};
    kt_assert_success(kt_invoke(cnode, KAAL_CNODE_MOVE, args, 4, caps, 1));
}

/* C0 in root slot FIRST holds the only cap to C1 in its slot 3, C1 holds C2, ...; an endpoint at the end. */
static void make_chain(kaal_word_t n)
{
    for (kaal_word_t done = 0; done < n; done += KAAL_RETYPE_MAX_OBJECTS) {
        kaal_word_t batch = n - done < KAAL_RETYPE_MAX_OBJECTS ? n - done : KAAL_RETYPE_MAX_OBJECTS;
        assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_CNODE, RADIX, 0, 0, FIRST + done, batch));
    }
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_ENDPOINT, 0, 0, 0, FIRST + n, 1));
    move_into(FIRST + n - 1, 0, FIRST + n);
    for (kaal_word_t i = n - 1; i >= 1; i--)
        move_into(FIRST + i - 1, 3, FIRST + i);
}

static void test_delete_of_a_chain_stops_with_a_zombie_and_resumes(void **state)
{
    (void)state;
    const kaal_word_t n = 200;
    make_chain(n);
    kaal_word_t before = kt_count_caps();

    pend(DEV);
    kt_delete(FIRST);
    assert_preempted(root());
    unsigned stops = 1;
    while (root()->ctx.restart) {
        /* Between stops the slot holds a zombie: the half-deleted chain, checked by kt_restart. */
        assert_int_equal(kt_slot(FIRST)->cap.type, CAP_ZOMBIE);
        kaal_word_t left = kt_count_caps();
        pend(DEV);
        assert_true(kt_restart());
        assert_true(kt_count_caps() <= left);
        stops++;
        assert_true(stops <= 10 * n);
    }
    assert_finished(root());
    /* A chain without anything else in it still does work per level: it cannot run in one go. */
    assert_true(stops >= n / PREEMPT_WORK_UNITS);
    assert_true(slot_is_empty(kt_slot(FIRST)));
    assert_int_equal(kt_count_caps(), before - n - 1);
    assert_int_equal(kt_count_caps_of_type(CAP_ZOMBIE), 0);
}

static void test_revoke_of_the_untyped_during_a_preempted_chain_delete(void **state)
{
    (void)state;
    /*
     * The waiting zombies of a stopped delete are reachable through the derivation tree. Here
     * the outer CNodes are the younger ones, so Revoke, which takes the newest child first, meets
     * the waiting zombies before the one being worked on.
     */
    const kaal_word_t n = 100;
    kaal_word_t ut = kt_first_untyped();
    assert_ok(kt_retype(ut, KAAL_OBJ_CNODE, RADIX, 0, 0, FIRST, n));
    for (kaal_word_t i = 1; i < n; i++)
        move_into(FIRST + i, 3, FIRST + i - 1);
    pend(DEV);
    kt_delete(FIRST + n - 1);
    assert_preempted(root());
    for (unsigned i = 0; i < 3; i++) {
        pend(DEV);
        assert_true(kt_restart());
        assert_preempted(root());
    }
    kt_assert_success(kt_revoke(ut));
    assert_null(kt_slot(ut)->first_child);
    assert_int_equal(kt_count_caps_of_type(CAP_ZOMBIE), 0);
    assert_int_equal(kt_count_caps_of_type(CAP_CNODE), 2); /* the root CNode and the root thread's copy */
    assert_true(slot_is_empty(kt_slot(FIRST + n - 1)));
    kt_assert_success(kt_delete(FIRST + n - 1));
}

static void test_delete_of_a_cnode_holding_a_half_deleted_chain(void **state)
{
    (void)state;
    /* K (radix 2, in root slot X) holds the head of a chain whose delete stopped half way. */
    const kaal_word_t n = 100;
    make_chain(n);
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_CNODE, RADIX, 0, 0, X, 1));
    move_into(X, 1, FIRST);
    kaal_word_t args[] = {1, RADIX};
    pend(DEV);
    kt_invoke(X, KAAL_CNODE_DELETE, args, 2, NULL, 0);
    assert_preempted(root());
    assert_int_equal(cnode_slots(&kt_slot(X)->cap)[1].cap.type, CAP_ZOMBIE);

    /* Deleting K must finish that work too, not just drop the zombie. */
    kt_assert_success(kt_delete(X));
    assert_int_equal(kt_count_caps_of_type(CAP_ZOMBIE), 0);
    assert_int_equal(kt_count_caps_of_type(CAP_ENDPOINT), 0);
    assert_int_equal(kt_count_caps_of_type(CAP_CNODE), 2);
}

static void test_delete_of_a_large_empty_cnode_is_preemptible(void **state)
{
    (void)state;
    /* 1024 empty slots to look at: work, even though there is nothing to delete. */
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_CNODE, 10, 0, 0, X, 1));
    kaal_word_t before = kt_count_caps();
    pend(DEV);
    kt_delete(X);
    assert_preempted(root());
    assert_int_equal(kt_slot(X)->cap.type, CAP_ZOMBIE);
    unsigned stops = 1;
    while (root()->ctx.restart) {
        pend(DEV);
        assert_true(kt_restart());
        stops++;
    }
    assert_finished(root());
    assert_true(stops >= 1024 / PREEMPT_WORK_UNITS);
    assert_int_equal(kt_count_caps(), before - 1);
}

static void test_zombie_cannot_be_copied_moved_or_invoked_but_is_identified(void **state)
{
    (void)state;
    make_chain(100);
    pend(DEV);
    kt_delete(FIRST);
    assert_preempted(root());
    assert_int_equal(kt_slot(FIRST)->cap.type, CAP_ZOMBIE);

    struct kresult r;
    KT_REJECT(r, kt_copy(X, FIRST, KAAL_RIGHTS_ALL), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_BEING_DELETED);
    KT_REJECT(r, kt_mint(X, FIRST, KAAL_RIGHTS_ALL, 0), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_BEING_DELETED);
    KT_REJECT(r, kt_move(X, FIRST), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_BEING_DELETED);
    KT_REJECT(r, kt_mutate(X, FIRST, 0), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_BEING_DELETED);
    kaal_word_t args[] = {0, RADIX};
    KT_REJECT(r, kt_invoke(FIRST, KAAL_CNODE_DELETE, args, 2, NULL, 0), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_BEING_DELETED);
    KT_REJECT(r, kt_invoke(FIRST, KAAL_TCB_RESUME, NULL, 0, NULL, 0), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_BEING_DELETED);
    /* Identify says what it is (and changes nothing): type, rights, nothing else. */
    kaal_word_t which[] = {FIRST, KT_DEPTH};
    struct kt_snapshot snap;
    kt_snapshot_take(&snap);
    r = kt_invoke(KT_ROOT, KAAL_CNODE_IDENTIFY, which, 2, NULL, 0);
    kt_snapshot_assert_same(&snap);
    assert_ok(r);
    assert_int_equal(r.count, 6);
    assert_int_equal(r.mr[0], KAAL_CAP_ZOMBIE);
    assert_int_equal(r.mr[1], KAAL_RIGHTS_ALL);
    for (unsigned i = 2; i < 6; i++)
        assert_int_equal(r.mr[i], 0);
    /* Nothing is found through it either: it is not a CNode any more. */
    KT_REJECT(r, kt_retype(kt_first_untyped(), KAAL_OBJ_ENDPOINT, 0, FIRST, KT_DEPTH, 0, 1),
              KAAL_ERR_INVALID_CAPABILITY);
    assert_detail(r, 2);

    /* A fresh Delete of the slot carries the work on: only Delete continues it. */
    kt_delete(FIRST);
    while (root()->ctx.restart) {
        pend(DEV);
        kt_restart();
    }
    assert_finished(root());
    assert_true(slot_is_empty(kt_slot(FIRST)));
    assert_int_equal(kt_count_caps_of_type(CAP_ZOMBIE), 0);
}

static void test_another_thread_finishes_a_preempted_delete(void **state)
{
    (void)state;
    make_chain(60);
    struct tcb *a = kt_thread(A, 100);
    kaal_word_t before = kt_count_caps();
    kt_act(a);
    pend(DEV);
    kt_delete(FIRST);
    assert_preempted(a);
    assert_ptr_equal(ks.current, root());

    kt_assert_success(kt_delete(FIRST)); /* no interrupt now: the root finishes it */
    assert_int_equal(kt_count_caps(), before - 61);

    /* a's restarted Delete finds the slot empty: that is success too. */
    kt_act(a);
    assert_true(kt_restart());
    assert_finished(a);
}

static void test_thread_that_deletes_itself_during_a_preempted_delete(void **state)
{
    (void)state;
    /* X holds the root thread's TCB cap (the last one) above 40 endpoints; a timer tick is pending. */
    struct tcb *other = kt_thread(B, 100);
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_CNODE, 6, 0, 0, X, 1));
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_ENDPOINT, 0, 0, 0, FIRST, 40));
    kaal_word_t caps[] = {KT_ROOT};
    for (kaal_word_t i = 0; i < 40; i++) {
        kaal_word_t args[] = {i, 6, FIRST + i, KT_DEPTH};
        kt_assert_success(kt_invoke(X, KAAL_CNODE_MOVE, args, 4, caps, 1));
    }
    kaal_word_t args[] = {63, 6, KAAL_ROOT_SLOT_TCB, KT_DEPTH};
    kt_assert_success(kt_invoke(X, KAAL_CNODE_MOVE, args, 4, caps, 1));
    kaal_word_t before = kt_count_caps();

    pend(TIMER);
    kt_delete(X);
    /* The root thread is gone; nobody is left to restart its Delete but the work is not lost. */
    assert_int_equal(root()->state, THREAD_INACTIVE);
    assert_ptr_equal(ks.current, other);
    assert_int_equal(double_irq.pending, HAL_IRQ_NONE);

    kt_assert_success(kt_delete(X));
    assert_true(slot_is_empty(kt_slot(X)));
    assert_int_equal(kt_count_caps_of_type(CAP_ENDPOINT), 0);
    assert_int_equal(kt_count_caps_of_type(CAP_ZOMBIE), 0);
    assert_true(kt_count_caps() < before);
}

static void test_delete_stranded_inside_a_dying_thread_finishes_in_one_go(void **state)
{
    (void)state;
    /*
     * A's CSpace is CNode X (radix 6), whose only cap is A's own CSpace slot. X holds A's only
     * TCB cap (slot 63), the root CNode behind a 46-bit guard (slot 62) and 40 endpoints. When A
     * replaces its CSpace, X is dismantled and A with it; the rest of X's contents then lie in a
     * slot of a dead TCB that nothing can name, so the kernel must not stop half way.
     */
    struct tcb *a = kt_thread(A, 100);
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_CNODE, 6, 0, 0, X, 1));
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_ENDPOINT, 0, 0, 0, FIRST, 40));
    kaal_word_t src_root[] = {KT_ROOT};
    for (kaal_word_t i = 0; i < 40; i++) {
        kaal_word_t args[] = {i, 6, FIRST + i, KT_DEPTH};
        kt_assert_success(kt_invoke(X, KAAL_CNODE_MOVE, args, 4, src_root, 1));
    }
    kt_assert_success(kt_mint(FIRST + 100, KT_ROOT, KAAL_RIGHTS_ALL, KAAL_CNODE_DATA(0, 46)));
    kaal_word_t rc[] = {62, 6, FIRST + 100, KT_DEPTH};
    kt_assert_success(kt_invoke(X, KAAL_CNODE_MOVE, rc, 4, src_root, 1));
    kt_assert_success(kt_copy(FIRST + 101, A, KAAL_RIGHTS_ALL));
    kaal_word_t tcb[] = {63, 6, FIRST + 101, KT_DEPTH};
    kt_assert_success(kt_invoke(X, KAAL_CNODE_MOVE, tcb, 4, src_root, 1));
    kaal_word_t cfg[] = {0, 0};
    kaal_word_t cfg_caps[] = {X, A + 1, A + 2};
    kt_assert_success(kt_invoke(A, KAAL_TCB_CONFIGURE, cfg, 2, cfg_caps, 3));
    kt_assert_success(kt_delete(X));
    kt_assert_success(kt_delete(A));

    const kaal_word_t via_root = 62ull << 58;
    kaal_word_t args[] = {0, 0};
    kaal_word_t caps[] = {via_root | KT_ROOT, via_root | (A + 1), via_root | (A + 2)};
    kt_act(a);
    pend(DEV);
    kt_raw(KAAL_SYS_CALL, 63ull << 58, kaal_msginfo(KAAL_TCB_CONFIGURE, 0, 3, 2), args, 2, caps, 3);

    assert_int_equal(a->state, THREAD_INACTIVE);
    assert_int_equal(kt_count_caps_of_type(CAP_ZOMBIE), 0);
    assert_int_equal(kt_count_caps_of_type(CAP_ENDPOINT), 0);
    assert_int_equal(kt_count_caps_of_type(CAP_TCB), 1);
    for (unsigned i = 0; i < TCB_SLOT_COUNT; i++)
        assert_true(slot_is_empty(&a->slots[i]));
    assert_ptr_equal(ks.current, root());
}

static void test_delete_of_a_thread_with_a_large_cspace_is_preempted(void **state)
{
    (void)state;
    /* A's CSpace slot holds the last cap to X, which holds 48 endpoints; A is bound to a notification. */
    struct tcb *a = kt_thread(A, 100);
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_NOTIFICATION, 0, 0, 0, NT, 1));
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_CNODE, 6, 0, 0, X, 1));
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_ENDPOINT, 0, 0, 0, FIRST, 48));
    kaal_word_t src_root[] = {KT_ROOT};
    for (kaal_word_t i = 0; i < 48; i++) {
        kaal_word_t args[] = {i, 6, FIRST + i, KT_DEPTH};
        kt_assert_success(kt_invoke(X, KAAL_CNODE_MOVE, args, 4, src_root, 1));
    }
    kaal_word_t cfg[] = {0, 0};
    kaal_word_t caps[] = {X, A + 1, A + 2};
    kt_assert_success(kt_invoke(A, KAAL_TCB_CONFIGURE, cfg, 2, caps, 3));
    kaal_word_t ntfn[] = {NT};
    kt_assert_success(kt_invoke(A, KAAL_TCB_BIND_NOTIFICATION, NULL, 0, ntfn, 1));
    kt_assert_success(kt_delete(X));
    struct notification *n = notification_of(&kt_slot(NT)->cap);

    pend(DEV);
    kt_delete(A);
    assert_preempted(root());
    /* Half deleted: the thread is already stopped, out of the ready queue, its cap a zombie. */
    assert_int_equal(kt_slot(A)->cap.type, CAP_ZOMBIE);
    assert_int_equal(a->state, THREAD_INACTIVE);
    assert_ready_empty(100);
    /* A signal now finds nobody receiving: it is kept in the word. */
    kt_raw(KAAL_SYS_SEND, NT, 0, NULL, 0, NULL, 0);
    assert_int_equal(n->word, 1);
    assert_int_equal(a->state, THREAD_INACTIVE);

    kt_delete(A);
    while (root()->ctx.restart) {
        pend(DEV);
        assert_true(kt_restart());
    }
    assert_finished(root());
    assert_true(slot_is_empty(kt_slot(A)));
    assert_null(n->bound);
    assert_int_equal(kt_count_caps_of_type(CAP_ENDPOINT), 0);
    assert_int_equal(kt_count_caps_of_type(CAP_ZOMBIE), 0);
    assert_int_equal(kt_count_caps_of_type(CAP_TCB), 1);
}

/* ---- Configure replacing a CSpace whose last cap it holds ---- */

static void test_configure_is_preempted_while_deleting_the_old_cspace(void **state)
{
    (void)state;
    struct tcb *a = kt_thread(A, 100);
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_CNODE, 6, 0, 0, X, 1));
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_ENDPOINT, 0, 0, 0, FIRST, 48));
    kaal_word_t src_root[] = {KT_ROOT};
    for (kaal_word_t i = 0; i < 48; i++) {
        kaal_word_t args[] = {i, 6, FIRST + i, KT_DEPTH};
        kt_assert_success(kt_invoke(X, KAAL_CNODE_MOVE, args, 4, src_root, 1));
    }
    kaal_word_t cfg[] = {0, 0};
    kaal_word_t old_caps[] = {X, A + 1, A + 2};
    kt_assert_success(kt_invoke(A, KAAL_TCB_CONFIGURE, cfg, 2, old_caps, 3));
    kt_assert_success(kt_delete(X)); /* A's CSpace slot holds the last cap to X */

    kaal_word_t new_caps[] = {KT_ROOT, A + 1, A + 2};
    kaal_word_t offset[] = {1024, 0};
    pend(DEV);
    kt_invoke(A, KAAL_TCB_CONFIGURE, offset, 2, new_caps, 3);
    assert_preempted(root());
    /* Stopped half way: A's CSpace slot holds what is left of X. */
    assert_int_equal(a->slots[TCB_SLOT_CSPACE].cap.type, CAP_ZOMBIE);
    assert_int_equal(a->ipc_buffer_offset, 0);
    while (root()->ctx.restart) {
        pend(DEV);
        assert_true(kt_restart());
    }
    assert_finished(root());
    assert_int_equal(a->slots[TCB_SLOT_CSPACE].cap.type, CAP_CNODE);
    assert_ptr_equal(a->slots[TCB_SLOT_CSPACE].parent, kt_slot(KT_ROOT));
    assert_ptr_equal(a->slots[TCB_SLOT_VSPACE].parent, kt_slot(A + 1));
    assert_ptr_equal(a->slots[TCB_SLOT_IPC_BUFFER].parent, kt_slot(A + 2));
    assert_int_equal(a->ipc_buffer_offset, 1024);
    assert_int_equal(kt_count_caps_of_type(CAP_ENDPOINT), 0);
}

/* ---- Retype clearing a dirty Untyped ---- */

/* Is every byte of [from, to) equal to value? (Page-aligned ranges: compared a word at a time.) */
static int all_bytes(word_t from, word_t to, unsigned char value)
{
    uint64_t pattern;
    memset(&pattern, value, sizeof pattern);
    for (const uint64_t *p = (const void *)(uintptr_t)from; p < (const uint64_t *)(uintptr_t)to; p++) {
        if (*p != pattern)
            return 0;
    }
    return 1;
}

static void test_retype_from_a_dirty_untyped_clears_it_with_preemption(void **state)
{
    (void)state;
    kaal_word_t ut = kt_first_untyped();
    struct slot *u = kt_slot(ut);
    const word_t base = u->cap.obj, size = BIT(u->cap.size_bits);
    /* The harness boots with regions not marked zeroed: the whole untyped counts as dirty. */
    assert_int_equal(u->cap.data, size);
    memset((void *)(uintptr_t)base, 0xa5, size);

    pend(DEV);
    kt_retype(ut, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, 0, 0, DEST, 4);
    assert_preempted(root());
    assert_int_equal(u->cap.data, size - PREEMPT_WORK_UNITS * BIT(KAAL_FRAME_BITS_SMALL));
    assert_null(u->first_child);
    assert_true(slot_is_empty(kt_slot(DEST)));

    unsigned stops = 1;
    while (root()->ctx.restart) {
        /* Above the watermark: zero, always. Below: not touched yet. */
        assert_true(all_bytes(base + u->cap.data, base + size, 0));
        assert_true(all_bytes(base, base + u->cap.data, 0xa5));
        word_t mark = u->cap.data;
        pend(DEV);
        assert_true(kt_restart());
        if (root()->ctx.restart)
            assert_int_equal(u->cap.data, mark - PREEMPT_WORK_UNITS * BIT(KAAL_FRAME_BITS_SMALL));
        stops++;
    }
    assert_finished(root());
    assert_int_equal(stops, size / BIT(KAAL_FRAME_BITS_SMALL) / PREEMPT_WORK_UNITS);
    for (kaal_word_t i = 0; i < 4; i++) {
        const struct slot *f = kt_slot(DEST + i);
        assert_int_equal(f->cap.type, CAP_FRAME);
        assert_int_equal(f->cap.obj, base + i * BIT(KAAL_FRAME_BITS_SMALL));
        assert_true(all_bytes(f->cap.obj, f->cap.obj + BIT(KAAL_FRAME_BITS_SMALL), 0));
    }
    assert_int_equal(u->cap.data, 4 * BIT(KAAL_FRAME_BITS_SMALL));
    assert_true(all_bytes(base, base + size, 0));
}

static void test_preempted_retype_keeps_its_progress_when_refused_later(void **state)
{
    (void)state;
    kaal_word_t ut = kt_first_untyped();
    struct slot *u = kt_slot(ut);
    const word_t size = BIT(u->cap.size_bits);
    pend(DEV);
    kt_retype(ut, KAAL_OBJ_TCB, 0, 0, 0, DEST, 1);
    assert_preempted(root());
    word_t mark = u->cap.data;
    assert_true(mark < size);

    /* Meanwhile the destination fills up: the restarted Retype is refused, the cleared part stays clear. */
    struct kresult r = kt_copy(DEST, KAAL_ROOT_SLOT_TCB, KAAL_RIGHTS_ALL);
    assert_ok(r);
    r = kt_retype(ut, KAAL_OBJ_TCB, 0, 0, 0, DEST, 1);
    assert_err(r, KAAL_ERR_DELETE_FIRST);
    assert_detail(r, 4, DEST);
    assert_int_equal(u->cap.data, mark);
    assert_null(u->first_child);

    /* A Retype elsewhere goes on from the same watermark, not from the top. */
    pend(DEV);
    kt_retype(ut, KAAL_OBJ_TCB, 0, 0, 0, DEST + 1, 1);
    assert_preempted(root());
    assert_int_equal(u->cap.data, mark - PREEMPT_WORK_UNITS * BIT(KAAL_FRAME_BITS_SMALL));
    while (kt_restart())
        ;
    assert_finished(root());
    struct tcb *t = tcb_of(&kt_slot(DEST + 1)->cap);
    assert_int_equal(t->state, THREAD_INACTIVE);
    assert_int_equal(t->timeslice, SCHED_TIMESLICE_TICKS);
    assert_int_equal(u->cap.data, BIT(KAAL_TCB_BITS));
}

static void test_retype_from_a_zeroed_region_needs_no_clearing(void **state)
{
    (void)state;
    /* A region the backend promises is zero: its untypeds start clean, so Retype has nothing to clear. */
    const size_t size = 1u << 22;
    void *mem = aligned_alloc(size, size);
    assert_non_null(mem);
    memset(mem, 0, size);
    struct boot_region zeroed[] = {{.kaddr = (uintptr_t)mem, .size = size, .zeroed = true}};
    assert_int_equal(kernel_boot(zeroed, 1), BOOT_OK);
    kt_adopt_boot();
    kaal_word_t ut = kt_first_untyped();
    assert_int_equal(kt_slot(ut)->cap.data, 0);

    pend(DEV);
    kt_assert_success(kt_retype(ut, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, 0, 0, DEST, 4));
    assert_int_equal(double_irq.pending, DEV); /* no preemption point was reached */
    assert_int_equal(kt_slot(ut)->cap.data, 4 * BIT(KAAL_FRAME_BITS_SMALL));
    free(mem);
}

/* ---- random structures, random interrupts ---- */

/*
 * Seeded random rounds over a pool of root slots. Each round builds
 * structures (CNodes and threads from a few untypeds, nested into each other:
 * chains, cycles, CNodes holding their own cap, threads whose CSpace is such
 * a CNode), then tears at them: Delete and Revoke of pool slots, of slots
 * inside pool CNodes and of the untypeds, most with an interrupt pending; a
 * stopped call is restarted at once, later, or never, so zombies are left
 * where other operations run into them. The invariant checker runs after
 * every kernel entry; at the end, revoking the untyped everything came from
 * must leave exactly the boot caps.
 *
 * KAAL_PREEMPT_SEED=<n> runs one seed (to replay a failure).
 */
#define POOL_FIRST 64u
#define POOL_SIZE 64u
#define POOL_UNTYPED 40u /* three untypeds of 64 KiB */
#define POOL_VSPACE 50u
#define POOL_FRAME 51u
#define RANDOM_ROUNDS 12u
#define RANDOM_SEEDS 10u

static uint64_t rng;
static unsigned stopped, zombie_steps, most_zombies, steps; /* to show the runs are not vacuous */

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dull;
}

static kaal_word_t pick(kaal_word_t n) { return rnd() % n; }
static kaal_word_t pool_slot(void) { return POOL_FIRST + pick(POOL_SIZE); }

/* A pool slot holding a cap of one of these types, if one is found quickly; else any pool slot. */
static kaal_word_t pool_slot_holding(unsigned t1, unsigned t2, unsigned t3)
{
    for (unsigned tries = 0; tries < 24; tries++) {
        kaal_word_t s = pool_slot();
        unsigned type = kt_slot(s)->cap.type;
        if (type == t1 || type == t2 || type == t3)
            return s;
    }
    return pool_slot();
}

static kaal_word_t any_untyped(void)
{
    return pick(3) ? POOL_UNTYPED + pick(3) : kt_first_untyped();
}

/* After each kernel entry: forget the interrupt if nothing took it, keep the statistics. */
static void after_step(void)
{
    double_irq.pending = HAL_IRQ_NONE;
    steps++;
    kaal_word_t zombies = kt_count_caps_of_type(CAP_ZOMBIE);
    zombie_steps += zombies != 0;
    if (zombies > most_zombies)
        most_zombies = (unsigned)zombies;
}

/* Restart the root thread's stopped syscall a few times, each time maybe with an interrupt pending. */
static void maybe_restart(void)
{
    for (unsigned i = 0; root()->ctx.restart && i < 1 + pick(30); i++) {
        if (pick(2) == 0)
            pend(DEV);
        kt_restart();
        after_step();
    }
}

static void build_step(void)
{
    kaal_word_t a = pool_slot_holding(CAP_CNODE, CAP_TCB, CAP_CNODE);
    kaal_word_t c = pool_slot_holding(CAP_CNODE, CAP_CNODE, CAP_CNODE);
    const struct cap *cc = &kt_slot(c)->cap;
    switch (pick(6)) {
    case 0:
    case 1: {
        kaal_word_t type = pick(4) ? KAAL_OBJ_CNODE : pick(2) ? KAAL_OBJ_TCB : KAAL_OBJ_ENDPOINT;
        kaal_word_t radix = 1 + pick(4);
        kaal_word_t from = any_untyped();
        kaal_word_t num = 1 + pick(4);
        kt_retype(from, type, type == KAAL_OBJ_CNODE ? radix : 0, 0, 0, pool_slot(), num);
        break;
    }
    case 2:
    case 3:
    case 4:
        /* Move (mostly) or copy a container into a slot of a CNode: chains and cycles. */
        if (cc->type == CAP_CNODE && cc->guard_bits == 0) {
            kaal_word_t label = pick(5) ? KAAL_CNODE_MOVE : KAAL_CNODE_COPY;
            kaal_word_t args[] = {pick(BIT(cc->size_bits)), cc->size_bits, a, KT_DEPTH, KAAL_RIGHTS_ALL};
            kaal_word_t caps[] = {KT_ROOT};
            kt_invoke(c, label, args, label == KAAL_CNODE_MOVE ? 4 : 5, caps, 1);
        }
        break;
    default:
        if (kt_slot(a)->cap.type == CAP_TCB && cc->type == CAP_CNODE) {
            kaal_word_t args[] = {0, 0};
            kaal_word_t caps[] = {c, POOL_VSPACE, POOL_FRAME};
            kt_invoke(a, KAAL_TCB_CONFIGURE, args, 2, caps, 3);
        }
        break;
    }
    after_step();
}

static void tear_step(void)
{
    kaal_word_t a = pool_slot_holding(CAP_CNODE, CAP_TCB, CAP_ZOMBIE);
    kaal_word_t c = pool_slot_holding(CAP_CNODE, CAP_CNODE, CAP_CNODE);
    const struct cap *cc = &kt_slot(c)->cap;
    if (pick(4))
        pend(DEV);
    switch (pick(6)) {
    case 0:
    case 1:
        kt_delete(a);
        break;
    case 2:
        kt_revoke(pick(2) ? a : any_untyped());
        break;
    case 3:
    case 4:
        /* A slot inside a pool CNode: a stopped delete leaves its zombie in there. */
        if (cc->type == CAP_CNODE && cc->guard_bits == 0) {
            kaal_word_t args[] = {pick(BIT(cc->size_bits)), cc->size_bits};
            kt_invoke(c, pick(4) ? KAAL_CNODE_DELETE : KAAL_CNODE_REVOKE, args, 2, NULL, 0);
        }
        break;
    default:
        maybe_restart();
        break;
    }
    stopped += root()->ctx.restart != 0;
    after_step();
    if (pick(4) == 0)
        maybe_restart();
}

static void run_random_seed(uint64_t seed)
{
    void *state = NULL;
    assert_int_equal(kt_setup(&state), 0);
    rng = seed * 0x9e3779b97f4a7c15ull + 7;
    kaal_word_t boot_caps = kt_count_caps();
    kaal_word_t ut = kt_first_untyped();
    assert_ok(kt_retype(ut, KAAL_OBJ_UNTYPED, 16, 0, 0, POOL_UNTYPED, 3));
    assert_ok(kt_retype(ut, KAAL_OBJ_VSPACE, 0, 0, 0, POOL_VSPACE, 1));
    assert_ok(kt_retype(ut, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, 0, 0, POOL_FRAME, 1));
    for (unsigned round = 0; round < RANDOM_ROUNDS; round++) {
        for (unsigned i = 0; i < 60; i++)
            build_step();
        for (unsigned i = 0; i < 60; i++)
            tear_step();
    }

    /* Everything came from one untyped: revoking it (to the end) leaves the boot caps alone. */
    kt_revoke(ut);
    while (root()->ctx.restart)
        kt_restart();
    assert_int_equal(kt_count_caps_of_type(CAP_ZOMBIE), 0);
    assert_int_equal(kt_count_caps(), boot_caps);
    assert_int_equal(root()->state, THREAD_RUNNING);
    kt_teardown(&state);
}

static void test_random_structures_with_random_interrupts(void **state)
{
    (void)state;
    const char *one = getenv("KAAL_PREEMPT_SEED");
    uint64_t first = one ? strtoull(one, NULL, 0) : 1;
    uint64_t last = one ? first : RANDOM_SEEDS;
    for (uint64_t seed = first; seed <= last; seed++) {
        print_message("seed %lu\n", (unsigned long)seed); /* the last one printed is the one that failed */
        run_random_seed(seed);
    }
    print_message("%u steps, %u calls stopped, zombies present after %u steps, at most %u at once\n", steps,
                  stopped, zombie_steps, most_zombies);
    if (one == NULL)
        assert_true(stopped > 100 && most_zombies > 3);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, kt_setup, kt_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_revoke_of_a_large_tree_stops_at_preemption_points),
        TEST(test_revoke_without_a_pending_interrupt_runs_to_the_end),
        TEST(test_timer_during_revoke_is_a_tick_for_the_caller),
        TEST(test_interrupt_during_revoke_runs_its_driver_first),
        TEST(test_timer_ending_the_slice_during_a_revoke_lets_an_equal_run),
        TEST(test_suspended_thread_carries_on_its_stopped_revoke_when_resumed),
        TEST(test_delete_of_a_chain_stops_with_a_zombie_and_resumes),
        TEST(test_revoke_of_the_untyped_during_a_preempted_chain_delete),
        TEST(test_delete_of_a_cnode_holding_a_half_deleted_chain),
        TEST(test_delete_of_a_large_empty_cnode_is_preemptible),
        TEST(test_zombie_cannot_be_copied_moved_or_invoked_but_is_identified),
        TEST(test_another_thread_finishes_a_preempted_delete),
        TEST(test_thread_that_deletes_itself_during_a_preempted_delete),
        TEST(test_delete_stranded_inside_a_dying_thread_finishes_in_one_go),
        TEST(test_delete_of_a_thread_with_a_large_cspace_is_preempted),
        TEST(test_configure_is_preempted_while_deleting_the_old_cspace),
        TEST(test_retype_from_a_dirty_untyped_clears_it_with_preemption),
        TEST(test_preempted_retype_keeps_its_progress_when_refused_later),
        TEST(test_retype_from_a_zeroed_region_needs_no_clearing),
    };
    const struct CMUnitTest random[] = {cmocka_unit_test(test_random_structures_with_random_interrupts)};
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    return failed + cmocka_run_group_tests(random, NULL, NULL);
}
