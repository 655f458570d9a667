/* Endpoint IPC between scripted threads: queues, messages, badges, caps, replies, faults, deletion. */
#include "harness.h"

#include <kaal/abi/faults.h>

/* Objects and derived caps in the root CNode. */
#define EP 300u        /* the endpoint under test, all rights */
#define EP2 301u       /* another endpoint */
#define NTFN 302u      /* a notification, used as a cap to send */
#define BADGED_A 303u  /* EP, badge 0xa1 */
#define BADGED_B 304u  /* EP, badge 0xb2 */
#define NTFN_RW 305u   /* NTFN, rights Read|Write, badge 0x5: the usual cap to transfer */
#define SPARE 306u     /* further derived caps, per test */
#define SPARE2 307u
#define SPARE3 308u
#define FAULT_EP 315u  /* the fault handlers' endpoint */
#define FAULT_BADGED 316u
#define EMPTY 399u     /* never filled */

/* Threads: TCB, VSpace and IPC buffer frame in three consecutive root slots. */
#define A 400u
#define B 410u
#define C 420u
#define S 430u
#define H 440u

/* Where receivers take caps. */
#define RS 600u
#define RS2 601u

#define PRIO 100u
#define FAULT_PC 0x4000u

/* ---- helpers ---- */

static void make(kaal_word_t type, kaal_word_t slot)
{
    kaal_word_t size = type == KAAL_OBJ_UNTYPED ? 12 : 0;
    assert_ok(kt_retype(kt_first_untyped(), type, size, 0, 0, slot, 1));
}

static struct endpoint *ep_at(kaal_word_t slot)
{
    return endpoint_of(&kt_slot(slot)->cap);
}

/* t issues one syscall; the extra caps' CPtrs go into its IPC buffer, their count into msginfo. */
static struct kresult sys(struct tcb *t, kaal_word_t sysno, kaal_word_t cptr, kaal_word_t label,
                          const kaal_word_t *words, unsigned n, const kaal_word_t *caps, unsigned ncaps)
{
    kt_act(t);
    return kt_raw(sysno, cptr, kaal_msginfo(label, 0, ncaps, n), words, n, caps, ncaps);
}

static void recv(struct tcb *t, kaal_word_t cptr)
{
    sys(t, KAAL_SYS_RECV, cptr, 0, NULL, 0, NULL, 0);
}

/* Re-issue t's syscall that the kernel set to restart, and check the invariants after it. */
static void restart(struct tcb *t)
{
    kt_act(t);
    assert_true(t->ctx.restart);
    assert_true(kd_restart());
    kt_check();
}

/* What t received: badge, label, no caps, and exactly these words. */
static void check_message(const struct tcb *t, kaal_word_t badge, kaal_word_t label, const kaal_word_t *w, size_t n)
{
    struct kd_message m = kd_message(t);
    assert_int_equal(m.badge, badge);
    assert_int_equal(m.label, label);
    assert_int_equal(m.length, n);
    assert_int_equal(m.extra_caps, 0);
    assert_int_equal(m.unwrapped, 0);
    for (size_t i = 0; i < n && i < KD_MAX_DETAIL; i++)
        assert_int_equal(m.mr[i], w[i]);
}
#define assert_message(t, badge, label, ...)                                                       \
    check_message((t), (badge), (label), (const kaal_word_t[]){__VA_ARGS__},                       \
                  sizeof((const kaal_word_t[]){__VA_ARGS__}) / sizeof(kaal_word_t))
#define assert_empty_message(t, badge) check_message((t), (badge), 0, NULL, 0)

static void set_pc(kaal_word_t tcb_slot, kaal_word_t pc)
{
    kaal_word_t args[] = {0, 1, pc}; /* no resume, one register: the PC */
    assert_ok(kt_invoke(tcb_slot, KAAL_TCB_WRITE_REGISTERS, args, 3, NULL, 0));
}

static void suspend(kaal_word_t tcb_slot)
{
    assert_ok(kt_invoke(tcb_slot, KAAL_TCB_SUSPEND, NULL, 0, NULL, 0));
}

static void resume(kaal_word_t tcb_slot)
{
    assert_ok(kt_invoke(tcb_slot, KAAL_TCB_RESUME, NULL, 0, NULL, 0));
}

/* The thread stopped on a cap fault with nobody to handle it: inactive, logged, set to retry. */
static void assert_stopped_by_cap_fault(const struct tcb *t)
{
    assert_int_equal(t->state, THREAD_INACTIVE);
    assert_int_equal(t->fault.type, 0);
    assert_int_equal(t->blocked_on, 0);
    assert_true(t->ctx.restart);
    assert_true(kt_logged("capability fault"));
    assert_true(kt_logged("no fault handler, thread stopped"));
}

/* The thread is waiting for a reply held in holder's reply slot. */
static void assert_waits_reply_from(const struct tcb *caller, struct tcb *holder)
{
    assert_int_equal(caller->state, THREAD_BLOCKED_REPLY);
    assert_int_equal(caller->blocked_on, 0);
    assert_ptr_equal(caller->reply_held_at, &holder->slots[TCB_SLOT_REPLY]);
    assert_int_equal(holder->slots[TCB_SLOT_REPLY].cap.type, CAP_REPLY);
    assert_ptr_equal(tcb_of(&holder->slots[TCB_SLOT_REPLY].cap), caller);
}

/* ---- Send, Recv and their non-blocking forms ---- */

static void test_send_blocks_until_recv(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);

    kaal_word_t w[] = {11, 22, 33};
    sys(a, KAAL_SYS_SEND, EP, 9, w, 3, NULL, 0);
    assert_int_equal(a->state, THREAD_BLOCKED_SEND);
    assert_int_equal(a->blocked_on, kt_slot(EP)->cap.obj);
    assert_false(a->send.is_call);
    assert_queue(&ep_at(EP)->queue, a);
    assert_ptr_equal(ks.current, kt_root_thread());

    recv(b, EP);
    assert_int_equal(b->state, THREAD_RUNNING);
    assert_int_equal(a->state, THREAD_RUNNING);
    assert_int_equal(a->blocked_on, 0);
    assert_queue_empty(&ep_at(EP)->queue);
    assert_message(b, 0, 9, 11, 22, 33);
    /* A plain Send leaves no reply cap, and the woken sender queues behind the receiver. */
    assert_true(slot_is_empty(&b->slots[TCB_SLOT_REPLY]));
    assert_ptr_equal(ks.ready[PRIO].head, b);
    assert_ptr_equal(ks.ready[PRIO].tail, a);
}

static void test_recv_blocks_until_send(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);

    recv(b, EP);
    assert_int_equal(b->state, THREAD_BLOCKED_RECV);
    assert_int_equal(b->blocked_on, kt_slot(EP)->cap.obj);
    assert_queue(&ep_at(EP)->queue, b);

    kaal_word_t w[] = {5, 6};
    sys(a, KAAL_SYS_SEND, EP, 4, w, 2, NULL, 0);
    assert_int_equal(a->state, THREAD_RUNNING); /* the receiver was there: the sender never blocks */
    assert_int_equal(b->state, THREAD_RUNNING);
    assert_int_equal(b->blocked_on, 0);
    assert_queue_empty(&ep_at(EP)->queue);
    assert_message(b, 0, 4, 5, 6);
    assert_true(slot_is_empty(&b->slots[TCB_SLOT_REPLY]));
    /* A Send does not hand over the CPU (only a Call, whose sender blocks, does): b queues behind its equals. */
    assert_ptr_equal(ks.ready[PRIO].tail, b);
}

static void test_senders_queue_in_order_with_their_badges(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    assert_ok(kt_mint(BADGED_A, EP, KAAL_RIGHTS_ALL, 0xa1));
    assert_ok(kt_mint(BADGED_B, EP, KAAL_RIGHTS_ALL, 0xb2));
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO), *c = kt_thread(C, PRIO);
    struct tcb *s = kt_thread(S, PRIO);

    kaal_word_t w1[] = {1}, w2[] = {2}, w3[] = {3};
    sys(a, KAAL_SYS_SEND, EP, 1, w1, 1, NULL, 0);
    sys(b, KAAL_SYS_SEND, BADGED_A, 2, w2, 1, NULL, 0);
    sys(c, KAAL_SYS_CALL, BADGED_B, 3, w3, 1, NULL, 0);
    assert_queue(&ep_at(EP)->queue, a, b, c);
    assert_int_equal(b->send.badge, 0xa1);
    assert_true(c->send.is_call);

    /* The badge is the sender's cap's: an unbadged cap gives 0; the receiver's own cap's badge plays no part. */
    recv(s, BADGED_B);
    assert_message(s, 0, 1, 1);
    assert_queue(&ep_at(EP)->queue, b, c);
    assert_int_equal(a->state, THREAD_RUNNING);
    recv(s, EP);
    assert_message(s, 0xa1, 2, 2);
    assert_queue(&ep_at(EP)->queue, c);
    recv(s, EP);
    assert_message(s, 0xb2, 3, 3);
    assert_queue_empty(&ep_at(EP)->queue);
    assert_waits_reply_from(c, s);
}

static void test_receivers_queue_in_order(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO), *c = kt_thread(C, PRIO);

    recv(a, EP);
    recv(b, EP);
    assert_queue(&ep_at(EP)->queue, a, b);

    kaal_word_t w1[] = {100}, w2[] = {200};
    sys(c, KAAL_SYS_SEND, EP, 1, w1, 1, NULL, 0);
    assert_int_equal(a->state, THREAD_RUNNING);
    assert_int_equal(b->state, THREAD_BLOCKED_RECV);
    assert_queue(&ep_at(EP)->queue, b);
    assert_message(a, 0, 1, 100);

    sys(c, KAAL_SYS_SEND, EP, 2, w2, 1, NULL, 0);
    assert_int_equal(b->state, THREAD_RUNNING);
    assert_queue_empty(&ep_at(EP)->queue);
    assert_message(b, 0, 2, 200);
    assert_message(a, 0, 1, 100); /* the first receiver's message stays as it was */
    assert_int_equal(c->state, THREAD_RUNNING);
}

static void test_nbsend_without_receiver_is_dropped(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);

    kaal_word_t w[] = {7};
    sys(a, KAAL_SYS_NB_SEND, EP, 1, w, 1, NULL, 0);
    assert_int_equal(a->state, THREAD_RUNNING);
    assert_queue_empty(&ep_at(EP)->queue);
    assert_false(a->ctx.restart);

    /* The message is gone: a later receiver finds nothing and blocks. */
    recv(b, EP);
    assert_int_equal(b->state, THREAD_BLOCKED_RECV);
    assert_queue(&ep_at(EP)->queue, b);
}

static void test_nbsend_with_receiver_delivers(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    assert_ok(kt_mint(BADGED_A, EP, KAAL_RIGHTS_ALL, 0xa1));
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);

    recv(b, EP);
    kaal_word_t w[] = {8, 9};
    sys(a, KAAL_SYS_NB_SEND, BADGED_A, 6, w, 2, NULL, 0);
    assert_int_equal(a->state, THREAD_RUNNING);
    assert_int_equal(b->state, THREAD_RUNNING);
    assert_queue_empty(&ep_at(EP)->queue);
    assert_message(b, 0xa1, 6, 8, 9);
}

static void test_nbrecv_with_nothing_returns_empty(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);

    /* The request's CPtr and msginfo registers must come back cleared: badge 0, empty message. */
    kaal_word_t w[] = {1, 2, 3};
    sys(b, KAAL_SYS_NB_RECV, EP, 77, w, 3, NULL, 0);
    assert_int_equal(b->state, THREAD_RUNNING);
    assert_false(b->ctx.restart);
    assert_empty_message(b, 0);
    assert_int_equal(hal_ctx_get(&b->ctx, HAL_REG_MSGINFO), 0);
    assert_queue_empty(&ep_at(EP)->queue);

    /* With receivers queued it is just as empty, and does not join them. */
    recv(a, EP);
    sys(b, KAAL_SYS_NB_RECV, EP, 77, w, 3, NULL, 0);
    assert_int_equal(b->state, THREAD_RUNNING);
    assert_empty_message(b, 0);
    assert_queue(&ep_at(EP)->queue, a);
}

static void test_nbrecv_takes_queued_sender(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    assert_ok(kt_mint(BADGED_A, EP, KAAL_RIGHTS_ALL, 0xa1));
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);

    kaal_word_t w[] = {42};
    sys(a, KAAL_SYS_SEND, BADGED_A, 3, w, 1, NULL, 0);
    sys(b, KAAL_SYS_NB_RECV, EP, 0, NULL, 0, NULL, 0);
    assert_int_equal(a->state, THREAD_RUNNING);
    assert_int_equal(b->state, THREAD_RUNNING);
    assert_queue_empty(&ep_at(EP)->queue);
    assert_message(b, 0xa1, 3, 42);
}

/* ---- Call, Reply, ReplyRecv ---- */

static void test_call_reply_with_badge(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    assert_ok(kt_mint(BADGED_A, EP, KAAL_RIGHTS_ALL, 0x42));
    struct tcb *server = kt_thread(S, PRIO);
    struct tcb *client = kt_thread(C, PRIO);

    recv(server, EP);
    assert_int_equal(server->state, THREAD_BLOCKED_RECV);

    kaal_word_t words[] = {11, 22, 33, 44, 55};
    sys(client, KAAL_SYS_CALL, BADGED_A, 7, words, 5, NULL, 0);
    assert_waits_reply_from(client, server);
    assert_int_equal(server->state, THREAD_RUNNING);
    /* The CPU follows the message: the server runs next among its equals (root, at 255, runs first). */
    assert_ptr_equal(ks.ready[PRIO].head, server);
    assert_message(server, 0x42, 7, 11, 22, 33, 44, 55);

    kaal_word_t answer[] = {99};
    sys(server, KAAL_SYS_REPLY, 0, 3, answer, 1, NULL, 0);
    assert_int_equal(client->state, THREAD_RUNNING);
    assert_null(client->reply_held_at);
    assert_true(slot_is_empty(&server->slots[TCB_SLOT_REPLY]));
    assert_int_equal(server->state, THREAD_RUNNING);
    /* A reply carries no badge. */
    assert_message(client, 0, 3, 99);
}

static void test_call_queued_then_received(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    struct tcb *s = kt_thread(S, PRIO), *c = kt_thread(C, PRIO);

    kaal_word_t w[] = {1, 2};
    sys(c, KAAL_SYS_CALL, EP, 5, w, 2, NULL, 0);
    assert_int_equal(c->state, THREAD_BLOCKED_SEND);
    assert_true(c->send.is_call);
    assert_queue(&ep_at(EP)->queue, c);
    assert_int_equal(kt_count_caps_of_type(CAP_REPLY), 0);

    recv(s, EP);
    assert_int_equal(s->state, THREAD_RUNNING);
    assert_waits_reply_from(c, s);
    assert_queue_empty(&ep_at(EP)->queue);
    assert_message(s, 0, 5, 1, 2);
    assert_int_equal(kt_count_caps_of_type(CAP_REPLY), 1);

    kaal_word_t r[] = {3};
    sys(s, KAAL_SYS_REPLY, 0, 8, r, 1, NULL, 0);
    assert_int_equal(c->state, THREAD_RUNNING);
    assert_message(c, 0, 8, 3);
    assert_int_equal(kt_count_caps_of_type(CAP_REPLY), 0);
}

static void test_reply_recv_serves_two_clients_in_order(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    assert_ok(kt_mint(BADGED_A, EP, KAAL_RIGHTS_ALL, 0xa1));
    assert_ok(kt_mint(BADGED_B, EP, KAAL_RIGHTS_ALL, 0xb2));
    struct tcb *s = kt_thread(S, PRIO), *c1 = kt_thread(A, PRIO), *c2 = kt_thread(B, PRIO);

    kaal_word_t q1[] = {10}, q2[] = {20};
    sys(c1, KAAL_SYS_CALL, BADGED_A, 1, q1, 1, NULL, 0);
    sys(c2, KAAL_SYS_CALL, BADGED_B, 2, q2, 1, NULL, 0);
    assert_queue(&ep_at(EP)->queue, c1, c2);

    recv(s, EP);
    assert_message(s, 0xa1, 1, 10);
    assert_waits_reply_from(c1, s);
    assert_int_equal(c2->state, THREAD_BLOCKED_SEND);
    assert_queue(&ep_at(EP)->queue, c2);

    /* One syscall answers the first client and takes the second. */
    kaal_word_t a1[] = {100, 101};
    sys(s, KAAL_SYS_REPLY_RECV, EP, 0x11, a1, 2, NULL, 0);
    assert_int_equal(c1->state, THREAD_RUNNING);
    assert_null(c1->reply_held_at);
    assert_message(c1, 0, 0x11, 100, 101);
    assert_message(s, 0xb2, 2, 20);
    assert_waits_reply_from(c2, s);
    assert_queue_empty(&ep_at(EP)->queue);
    assert_int_equal(s->state, THREAD_RUNNING);

    kaal_word_t a2[] = {200};
    sys(s, KAAL_SYS_REPLY_RECV, EP, 0x22, a2, 1, NULL, 0);
    assert_int_equal(c2->state, THREAD_RUNNING);
    assert_message(c2, 0, 0x22, 200);
    assert_message(c1, 0, 0x11, 100, 101); /* each client got its own answer */
    assert_int_equal(s->state, THREAD_BLOCKED_RECV);
    assert_queue(&ep_at(EP)->queue, s);
    assert_true(slot_is_empty(&s->slots[TCB_SLOT_REPLY]));
    assert_int_equal(kt_count_caps_of_type(CAP_REPLY), 0);
}

static void test_reply_without_reply_cap_changes_nothing(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    struct tcb *s = kt_thread(S, PRIO);

    /*
     * Everything but the replier's own registers and IPC buffer stays as it
     * was; the cap Reply names is not used, so an empty slot is no fault.
     */
    kt_act(s);
    struct kt_snapshot snap;
    kt_snapshot_take(&snap);
    kaal_word_t w[] = {1, 2};
    kt_raw(KAAL_SYS_REPLY, EMPTY, kaal_msginfo(5, 0, 0, 2), w, 2, NULL, 0);
    assert_false(kt_logged("fault"));
    assert_ptr_equal(ks.current, kt_root_thread());
    kt_act(s); /* the snapshot was taken with s current */
    kt_snapshot_assert_same(&snap);
    assert_int_equal(s->state, THREAD_RUNNING);
}

static void test_reply_cap_is_one_shot(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    struct tcb *s = kt_thread(S, PRIO), *c = kt_thread(C, PRIO);

    recv(s, EP);
    sys(c, KAAL_SYS_CALL, EP, 1, NULL, 0, NULL, 0);
    kaal_word_t first[] = {1};
    sys(s, KAAL_SYS_REPLY, 0, 2, first, 1, NULL, 0);
    assert_message(c, 0, 2, 1);

    /* The second Reply finds no reply cap: the client's registers keep the first answer. */
    kaal_word_t second[] = {9, 9};
    kt_act(s);
    struct kt_snapshot snap;
    kt_snapshot_take(&snap);
    kt_raw(KAAL_SYS_REPLY, 0, kaal_msginfo(3, 0, 0, 2), second, 2, NULL, 0);
    kt_act(s);
    kt_snapshot_assert_same(&snap);
    assert_message(c, 0, 2, 1);
    assert_int_equal(c->state, THREAD_RUNNING);
}

static void test_second_call_received_drops_first_reply_cap(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    struct tcb *s = kt_thread(S, PRIO), *c1 = kt_thread(A, PRIO), *c2 = kt_thread(B, PRIO);

    kaal_word_t q1[] = {1}, q2[] = {2};
    sys(c1, KAAL_SYS_CALL, EP, 1, q1, 1, NULL, 0);
    sys(c2, KAAL_SYS_CALL, EP, 2, q2, 1, NULL, 0);
    recv(s, EP);
    assert_waits_reply_from(c1, s);

    /*
     * Receiving the second Call without replying deletes the first reply cap
     * (documented): the first caller stays blocked with nothing pointing at it.
     */
    recv(s, EP);
    assert_message(s, 0, 2, 2);
    assert_waits_reply_from(c2, s);
    assert_int_equal(c1->state, THREAD_BLOCKED_REPLY);
    assert_null(c1->reply_held_at);
    assert_int_equal(kt_count_caps_of_type(CAP_REPLY), 1);

    kaal_word_t a[] = {20};
    sys(s, KAAL_SYS_REPLY, 0, 0x20, a, 1, NULL, 0);
    assert_int_equal(c2->state, THREAD_RUNNING);
    assert_message(c2, 0, 0x20, 20);
    assert_int_equal(c1->state, THREAD_BLOCKED_REPLY);
    assert_int_equal(kt_count_caps_of_type(CAP_REPLY), 0);

    /* Only suspend and resume get c1 out: its Call starts over and waits on the endpoint again. */
    suspend(A);
    assert_int_equal(c1->state, THREAD_INACTIVE);
    resume(A);
    restart(c1);
    assert_int_equal(c1->state, THREAD_BLOCKED_SEND);
    assert_queue(&ep_at(EP)->queue, c1);
}

static void test_nested_calls_keep_both_reply_caps(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    make(KAAL_OBJ_ENDPOINT, EP2);
    struct tcb *c = kt_thread(C, PRIO), *s1 = kt_thread(S, PRIO), *s2 = kt_thread(B, PRIO);

    /* c calls s1, which calls s2 before answering: each server holds its own caller's reply cap. */
    recv(s1, EP);
    recv(s2, EP2);
    kaal_word_t q[] = {1};
    sys(c, KAAL_SYS_CALL, EP, 1, q, 1, NULL, 0);
    assert_waits_reply_from(c, s1);
    kaal_word_t q2[] = {2};
    sys(s1, KAAL_SYS_CALL, EP2, 2, q2, 1, NULL, 0);
    assert_waits_reply_from(s1, s2);
    assert_waits_reply_from(c, s1);
    assert_int_equal(kt_count_caps_of_type(CAP_REPLY), 2);
    assert_message(s2, 0, 2, 2);

    kaal_word_t a2[] = {20};
    sys(s2, KAAL_SYS_REPLY, 0, 0x2, a2, 1, NULL, 0);
    assert_int_equal(s1->state, THREAD_RUNNING);
    assert_message(s1, 0, 0x2, 20);
    assert_waits_reply_from(c, s1);

    kaal_word_t a1[] = {10};
    sys(s1, KAAL_SYS_REPLY, 0, 0x1, a1, 1, NULL, 0);
    assert_int_equal(c->state, THREAD_RUNNING);
    assert_message(c, 0, 0x1, 10);
    assert_int_equal(kt_count_caps_of_type(CAP_REPLY), 0);
}

/* ---- message contents ---- */

static void test_length_above_64_is_clamped(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);

    kaal_word_t w[KAAL_MSG_MAX_WORDS];
    for (unsigned i = 0; i < KAAL_MSG_MAX_WORDS; i++)
        w[i] = 0x1000 + i;
    recv(b, EP);
    kt_act(a);
    kt_raw(KAAL_SYS_SEND, EP, kaal_msginfo(1, 0, 0, 100), w, KAAL_MSG_MAX_WORDS, NULL, 0);
    struct kd_message m = kd_message(b);
    assert_int_equal(m.length, KAAL_MSG_MAX_WORDS);
    assert_int_equal(m.label, 1);
    const struct kaal_ipc_buffer *buf = tcb_ipc_buffer(b);
    for (unsigned i = 0; i < KAAL_MSG_REGISTERS; i++)
        assert_int_equal(hal_ctx_get(&b->ctx, (enum hal_reg)(HAL_REG_MR0 + i)), w[i]);
    for (unsigned i = KAAL_MSG_REGISTERS; i < KAAL_MSG_MAX_WORDS; i++)
        assert_int_equal(buf->msg[i], w[i]);
}

static void test_receiver_without_ipc_buffer_gets_four_words(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    make(KAAL_OBJ_NOTIFICATION, NTFN);
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);
    /* Revoking the frame cap deletes the copy in b's TCB: b has no IPC buffer any more. */
    assert_ok(kt_revoke(B + 2));
    assert_null(tcb_ipc_buffer(b));

    recv(b, EP);
    kaal_word_t w[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    kaal_word_t caps[] = {NTFN};
    sys(a, KAAL_SYS_SEND, EP, 2, w, 10, caps, 1);
    /* Four words, and no cap: there is nowhere to name a receive slot. */
    assert_message(b, 0, 2, 1, 2, 3, 4);
    assert_int_equal(kt_count_caps_of_type(CAP_NOTIFICATION), 1);
}

static void test_sender_without_ipc_buffer_sends_four_words(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    make(KAAL_OBJ_NOTIFICATION, NTFN);
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);
    assert_ok(kt_revoke(A + 2));
    kt_set_receive_slot(b, KT_ROOT, RS, KT_DEPTH);

    recv(b, EP);
    kaal_word_t w[] = {1, 2, 3, 4, 5, 6};
    kt_act(a);
    kt_raw(KAAL_SYS_SEND, EP, kaal_msginfo(2, 0, 1, 6), w, 6, NULL, 0);
    assert_message(b, 0, 2, 1, 2, 3, 4);
    assert_true(slot_is_empty(kt_slot(RS)));
}

static void test_label_and_length_delivered(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);

    /* The widest label survives, with no words. */
    const kaal_word_t label = (1ull << 51) | 0x123;
    recv(b, EP);
    sys(a, KAAL_SYS_SEND, EP, label, NULL, 0, NULL, 0);
    check_message(b, 0, label, NULL, 0);

    /* Label 0 with words: the length alone says how many. */
    kaal_word_t w[] = {7, 0, 0, 9, 0, 1};
    recv(b, EP);
    sys(a, KAAL_SYS_SEND, EP, 0, w, 6, NULL, 0);
    assert_message(b, 0, 0, 7, 0, 0, 9, 0, 1);
}

/* ---- cap transfer ---- */

/* EP, a notification with a derived Read|Write cap badged 0x5, sender a and receiver b with receive slot RS. */
static void transfer_setup(struct tcb **a, struct tcb **b)
{
    make(KAAL_OBJ_ENDPOINT, EP);
    make(KAAL_OBJ_ENDPOINT, EP2);
    make(KAAL_OBJ_NOTIFICATION, NTFN);
    assert_ok(kt_mint(NTFN_RW, NTFN, KAAL_RIGHT_READ | KAAL_RIGHT_WRITE, 0x5));
    *a = kt_thread(A, PRIO);
    *b = kt_thread(B, PRIO);
    kt_set_receive_slot(*b, KT_ROOT, RS, KT_DEPTH);
}

/* b received the cap in root slot src: in RS, a CDT child of src, same object, rights and badge. */
static void assert_received_copy(kaal_word_t src, kaal_word_t dest)
{
    const struct slot *d = kt_slot(dest), *s = kt_slot(src);
    assert_int_equal(d->cap.type, s->cap.type);
    assert_int_equal(d->cap.obj, s->cap.obj);
    assert_int_equal(d->cap.rights, s->cap.rights);
    assert_int_equal(d->cap.data, s->cap.data);
    assert_ptr_equal(d->parent, s);
}

static void test_queued_sender_losing_ipc_buffer_sends_four_words(void **state)
{
    (void)state;
    struct tcb *a, *b;
    transfer_setup(&a, &b);

    /* The message waits in a's buffer; when the frame goes, only the registers are left to send. */
    kaal_word_t w[] = {1, 2, 3, 4, 5, 6};
    kaal_word_t caps[] = {NTFN_RW};
    sys(a, KAAL_SYS_SEND, EP, 2, w, 6, caps, 1);
    assert_ok(kt_revoke(A + 2));
    assert_null(tcb_ipc_buffer(a));
    recv(b, EP);
    assert_message(b, 0, 2, 1, 2, 3, 4);
    assert_true(slot_is_empty(kt_slot(RS)));
    assert_int_equal(a->state, THREAD_RUNNING);
}

static void test_grant_transfers_cap_to_waiting_receiver(void **state)
{
    (void)state;
    struct tcb *a, *b;
    transfer_setup(&a, &b);

    recv(b, EP);
    kaal_word_t w[] = {7};
    kaal_word_t caps[] = {NTFN_RW};
    sys(a, KAAL_SYS_SEND, EP, 1, w, 1, caps, 1);
    struct kd_message m = kd_message(b);
    assert_int_equal(m.extra_caps, 1);
    assert_int_equal(m.unwrapped, 0);
    assert_int_equal(m.length, 1);
    assert_int_equal(m.mr[0], 7);
    assert_received_copy(NTFN_RW, RS);
    assert_int_equal(kt_slot(RS)->cap.rights, KAAL_RIGHT_READ | KAAL_RIGHT_WRITE);
    assert_int_equal(kt_slot(RS)->cap.data, 0x5);
    /* The sender keeps its cap. */
    assert_int_equal(kt_slot(NTFN_RW)->cap.type, CAP_NOTIFICATION);
}

static void test_grant_transfers_cap_from_queued_caller(void **state)
{
    (void)state;
    struct tcb *a, *b;
    transfer_setup(&a, &b);

    /* The caps are looked up when the receiver arrives, through the sender's saved Grant right. */
    kaal_word_t caps[] = {NTFN_RW};
    sys(a, KAAL_SYS_CALL, EP, 1, NULL, 0, caps, 1);
    assert_true(a->send.can_grant);
    recv(b, EP);
    assert_int_equal(kd_message(b).extra_caps, 1);
    assert_received_copy(NTFN_RW, RS);
    assert_waits_reply_from(a, b);
}

static void test_no_grant_no_caps(void **state)
{
    (void)state;
    struct tcb *a, *b;
    transfer_setup(&a, &b);
    assert_ok(kt_copy(SPARE, EP, KAAL_RIGHT_READ | KAAL_RIGHT_WRITE | KAAL_RIGHT_GRANT_REPLY));

    kaal_word_t w[] = {3, 4};
    kaal_word_t caps[] = {NTFN_RW};
    sys(a, KAAL_SYS_SEND, SPARE, 2, w, 2, caps, 1);
    assert_false(a->send.can_grant);
    recv(b, EP);
    assert_message(b, 0, 2, 3, 4); /* extra_caps 0 */
    assert_true(slot_is_empty(kt_slot(RS)));

    /* The same through the receiver-first path. */
    recv(b, EP);
    sys(a, KAAL_SYS_SEND, SPARE, 2, w, 2, caps, 1);
    assert_message(b, 0, 2, 3, 4);
    assert_true(slot_is_empty(kt_slot(RS)));
}

/* a sends NTFN_RW to b; the cap must not arrive, the words must. */
static void send_cap_not_delivered(struct tcb *a, struct tcb *b)
{
    recv(b, EP);
    kaal_word_t w[] = {5, 6, 7};
    kaal_word_t caps[] = {NTFN_RW};
    sys(a, KAAL_SYS_SEND, EP, 4, w, 3, caps, 1);
    assert_int_equal(a->state, THREAD_RUNNING);
    assert_int_equal(b->state, THREAD_RUNNING);
    assert_message(b, 0, 4, 5, 6, 7);
    assert_true(slot_is_empty(kt_slot(RS)));
}

static void test_receive_slot_missing(void **state)
{
    (void)state;
    struct tcb *a, *b;
    transfer_setup(&a, &b);

    kt_set_receive_slot(b, 0, RS, KT_DEPTH); /* slot 0 is empty: no receive CNode */
    send_cap_not_delivered(a, b);
    kt_set_receive_slot(b, EMPTY, RS, KT_DEPTH);
    send_cap_not_delivered(a, b);
    kt_set_receive_slot(b, EP, RS, KT_DEPTH); /* not a CNode */
    send_cap_not_delivered(a, b);
}

static void test_receive_slot_occupied(void **state)
{
    (void)state;
    struct tcb *a, *b;
    transfer_setup(&a, &b);
    assert_ok(kt_copy(RS, EP2, KAAL_RIGHTS_ALL));

    recv(b, EP);
    kaal_word_t caps[] = {NTFN_RW};
    sys(a, KAAL_SYS_SEND, EP, 4, NULL, 0, caps, 1);
    check_message(b, 0, 4, NULL, 0); /* no caps */
    /* What was there stays. */
    assert_int_equal(kt_slot(RS)->cap.type, CAP_ENDPOINT);
    assert_int_equal(kt_slot(RS)->cap.obj, kt_slot(EP2)->cap.obj);
}

static void test_receive_slot_bad_depth(void **state)
{
    (void)state;
    struct tcb *a, *b;
    transfer_setup(&a, &b);

    /* Depth 0 and 65 are out of range; 12 leaves the root CNode's 52-bit guard unresolved. */
    const kaal_word_t depths[] = {0, 65, 12};
    for (unsigned i = 0; i < ARRAY_SIZE(depths); i++) {
        kt_set_receive_slot(b, KT_ROOT, RS, depths[i]);
        send_cap_not_delivered(a, b);
    }
}

static void test_receive_slot_in_second_level_cnode(void **state)
{
    (void)state;
    struct tcb *a, *b;
    transfer_setup(&a, &b);
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_CNODE, 4, 0, 0, SPARE, 1));
    struct slot *cnode = cnode_slots(&kt_slot(SPARE)->cap);

    /* The receive CNode is looked up in b's CSpace, the index at the given depth inside it. */
    kt_set_receive_slot(b, SPARE, 3, 5); /* the CNode has 4 bits: depth 5 does not match */
    send_cap_not_delivered(a, b);
    assert_true(slot_is_empty(&cnode[3]));

    kt_set_receive_slot(b, SPARE, 3, 4);
    recv(b, EP);
    kaal_word_t caps[] = {NTFN_RW};
    sys(a, KAAL_SYS_SEND, EP, 1, NULL, 0, caps, 1);
    assert_int_equal(kd_message(b).extra_caps, 1);
    assert_int_equal(cnode[3].cap.type, CAP_NOTIFICATION);
    assert_ptr_equal(cnode[3].parent, kt_slot(NTFN_RW));
    assert_int_equal(cnode[3].cap.rights, KAAL_RIGHT_READ | KAAL_RIGHT_WRITE);
    assert_int_equal(cnode[3].cap.data, 0x5);
}

static void test_cap_to_same_endpoint_is_unwrapped(void **state)
{
    (void)state;
    struct tcb *a, *b;
    transfer_setup(&a, &b);
    assert_ok(kt_mint(BADGED_A, EP, KAAL_RIGHT_WRITE, 0x77));

    recv(b, EP);
    kaal_word_t caps[] = {BADGED_A};
    sys(a, KAAL_SYS_SEND, EP, 1, NULL, 0, caps, 1);
    struct kd_message m = kd_message(b);
    assert_int_equal(m.extra_caps, 1);
    assert_int_equal(m.unwrapped, 1);
    assert_int_equal(tcb_ipc_buffer(b)->caps_or_badges[0], 0x77);
    assert_true(slot_is_empty(kt_slot(RS)));

    /* An unbadged cap unwraps to 0; an unwrapped cap takes no receive slot, so a real cap still lands. */
    recv(b, EP);
    kaal_word_t caps2[] = {EP, NTFN_RW};
    sys(a, KAAL_SYS_SEND, EP, 1, NULL, 0, caps2, 2);
    m = kd_message(b);
    assert_int_equal(m.extra_caps, 2);
    assert_int_equal(m.unwrapped, 1);
    assert_int_equal(tcb_ipc_buffer(b)->caps_or_badges[0], 0);
    assert_received_copy(NTFN_RW, RS);

    /* And after a real cap an unwrapped one still goes: bit 1. */
    assert_ok(kt_delete(RS));
    recv(b, EP);
    kaal_word_t caps3[] = {NTFN_RW, BADGED_A};
    sys(a, KAAL_SYS_SEND, EP, 1, NULL, 0, caps3, 2);
    m = kd_message(b);
    assert_int_equal(m.extra_caps, 2);
    assert_int_equal(m.unwrapped, 2);
    assert_int_equal(tcb_ipc_buffer(b)->caps_or_badges[1], 0x77);
    assert_received_copy(NTFN_RW, RS);
}

static void test_cap_to_other_endpoint_is_transferred(void **state)
{
    (void)state;
    struct tcb *a, *b;
    transfer_setup(&a, &b);
    assert_ok(kt_mint(SPARE, EP2, KAAL_RIGHT_WRITE, 0x99));

    recv(b, EP);
    kaal_word_t caps[] = {SPARE};
    sys(a, KAAL_SYS_SEND, EP, 1, NULL, 0, caps, 1);
    struct kd_message m = kd_message(b);
    assert_int_equal(m.extra_caps, 1);
    assert_int_equal(m.unwrapped, 0);
    assert_received_copy(SPARE, RS);
}

static void test_second_cap_needing_a_slot_stops_transfer(void **state)
{
    (void)state;
    struct tcb *a, *b;
    transfer_setup(&a, &b);
    assert_ok(kt_mint(BADGED_A, EP, KAAL_RIGHT_WRITE, 0x77));
    kaal_word_t before = kt_count_caps();

    /* One slot per message: the second cap stops the transfer, and nothing after it is looked at. */
    recv(b, EP);
    kaal_word_t caps[] = {NTFN_RW, EP2, BADGED_A};
    sys(a, KAAL_SYS_SEND, EP, 1, NULL, 0, caps, 3);
    struct kd_message m = kd_message(b);
    assert_int_equal(m.extra_caps, 1);
    assert_int_equal(m.unwrapped, 0);
    assert_received_copy(NTFN_RW, RS);
    assert_int_equal(kt_count_caps(), before + 1);
}

static void test_extra_cap_lookup_failure_stops_transfer(void **state)
{
    (void)state;
    struct tcb *a, *b;
    transfer_setup(&a, &b);
    assert_ok(kt_mint(BADGED_A, EP, KAAL_RIGHT_WRITE, 0x77));

    recv(b, EP);
    kaal_word_t caps[] = {EMPTY, NTFN_RW};
    kaal_word_t w[] = {1, 2};
    sys(a, KAAL_SYS_SEND, EP, 3, w, 2, caps, 2);
    assert_message(b, 0, 3, 1, 2);
    assert_true(slot_is_empty(kt_slot(RS)));

    /* Caps before the failing one are delivered, those after it are not. */
    recv(b, EP);
    kaal_word_t caps2[] = {BADGED_A, EMPTY, NTFN_RW};
    sys(a, KAAL_SYS_SEND, EP, 3, w, 2, caps2, 3);
    struct kd_message m = kd_message(b);
    assert_int_equal(m.extra_caps, 1);
    assert_int_equal(m.unwrapped, 1);
    assert_int_equal(m.length, 2);
    assert_true(slot_is_empty(kt_slot(RS)));
}

static void test_underivable_caps_are_not_transferred(void **state)
{
    (void)state;
    struct tcb *a, *b;
    transfer_setup(&a, &b);

    /* The big untyped has children (every object so far); IRQControl is never copied. */
    const kaal_word_t refused[] = {kt_first_untyped(), KAAL_ROOT_SLOT_IRQ_CONTROL};
    for (unsigned i = 0; i < ARRAY_SIZE(refused); i++) {
        recv(b, EP);
        kaal_word_t caps[] = {refused[i]};
        sys(a, KAAL_SYS_SEND, EP, 1, NULL, 0, caps, 1);
        assert_int_equal(kd_message(b).extra_caps, 0);
        assert_true(slot_is_empty(kt_slot(RS)));
    }

    /* An untyped without children goes. */
    make(KAAL_OBJ_UNTYPED, SPARE);
    recv(b, EP);
    kaal_word_t caps[] = {SPARE};
    sys(a, KAAL_SYS_SEND, EP, 1, NULL, 0, caps, 1);
    assert_int_equal(kd_message(b).extra_caps, 1);
    assert_received_copy(SPARE, RS);
}

/* c calls through cptr with no caps; s takes it and replies with the cap in root slot `cap`. */
static void call_and_reply_with_cap(struct tcb *c, struct tcb *s, kaal_word_t cptr, kaal_word_t cap)
{
    sys(c, KAAL_SYS_CALL, cptr, 1, NULL, 0, NULL, 0);
    recv(s, EP);
    assert_waits_reply_from(c, s);
    kaal_word_t w[] = {42};
    kaal_word_t caps[] = {cap};
    sys(s, KAAL_SYS_REPLY, 0, 2, w, 1, caps, 1);
    assert_int_equal(c->state, THREAD_RUNNING);
}

static void test_reply_carries_caps_only_with_grant_reply(void **state)
{
    (void)state;
    struct tcb *c, *s;
    transfer_setup(&c, &s);
    kt_set_receive_slot(c, KT_ROOT, RS2, KT_DEPTH);
    assert_ok(kt_copy(SPARE, EP, KAAL_RIGHT_READ | KAAL_RIGHT_WRITE | KAAL_RIGHT_GRANT_REPLY));
    assert_ok(kt_copy(SPARE2, EP, KAAL_RIGHT_READ | KAAL_RIGHT_WRITE | KAAL_RIGHT_GRANT));
    assert_ok(kt_copy(SPARE3, EP, KAAL_RIGHT_READ | KAAL_RIGHT_WRITE));

    /* GrantReply: the answer's cap lands in the caller's receive slot. */
    call_and_reply_with_cap(c, s, SPARE, NTFN_RW);
    struct kd_message m = kd_message(c);
    assert_int_equal(m.extra_caps, 1);
    assert_int_equal(m.length, 1);
    assert_int_equal(m.mr[0], 42);
    assert_received_copy(NTFN_RW, RS2);
    assert_ok(kt_delete(RS2));

    /* Grant without GrantReply, or neither: the words come back, the cap does not. */
    const kaal_word_t without[] = {SPARE2, SPARE3};
    for (unsigned i = 0; i < ARRAY_SIZE(without); i++) {
        call_and_reply_with_cap(c, s, without[i], NTFN_RW);
        assert_message(c, 0, 2, 42);
        assert_true(slot_is_empty(kt_slot(RS2)));
    }
}

static void test_reply_never_unwraps(void **state)
{
    (void)state;
    struct tcb *c, *s;
    transfer_setup(&c, &s);
    kt_set_receive_slot(c, KT_ROOT, RS2, KT_DEPTH);

    /* A reply travels through no endpoint: a cap to the one the Call used arrives as a cap. */
    call_and_reply_with_cap(c, s, EP, EP);
    struct kd_message m = kd_message(c);
    assert_int_equal(m.extra_caps, 1);
    assert_int_equal(m.unwrapped, 0);
    assert_received_copy(EP, RS2);
}

/* ---- rights and cap faults ---- */

static void test_send_without_write_is_cap_fault(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    assert_ok(kt_copy(SPARE, EP, KAAL_RIGHTS_ALL & ~KAAL_RIGHT_WRITE));
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);
    recv(b, EP);

    sys(a, KAAL_SYS_SEND, SPARE, 1, NULL, 0, NULL, 0);
    assert_stopped_by_cap_fault(a);
    assert_queue(&ep_at(EP)->queue, b);
    assert_int_equal(b->state, THREAD_BLOCKED_RECV);

    /* Resumed, it retries the Send and stops again; NBSend is no different. */
    resume(A);
    restart(a);
    assert_stopped_by_cap_fault(a);
    resume(A);
    sys(a, KAAL_SYS_NB_SEND, SPARE, 1, NULL, 0, NULL, 0);
    assert_stopped_by_cap_fault(a);
    assert_queue(&ep_at(EP)->queue, b);
}

static void test_recv_without_read_is_cap_fault(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    assert_ok(kt_copy(SPARE, EP, KAAL_RIGHTS_ALL & ~KAAL_RIGHT_READ));
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);
    sys(a, KAAL_SYS_SEND, EP, 1, NULL, 0, NULL, 0);

    recv(b, SPARE);
    assert_stopped_by_cap_fault(b);
    assert_queue(&ep_at(EP)->queue, a); /* the queued sender was not taken */
    resume(B);
    sys(b, KAAL_SYS_NB_RECV, SPARE, 0, NULL, 0, NULL, 0);
    assert_stopped_by_cap_fault(b);
    assert_int_equal(a->state, THREAD_BLOCKED_SEND);
}

static void test_call_without_write_is_error(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    assert_ok(kt_copy(SPARE, EP, KAAL_RIGHTS_ALL & ~KAAL_RIGHT_WRITE));
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);
    recv(b, EP);

    struct kresult r = sys(a, KAAL_SYS_CALL, SPARE, 1, NULL, 0, NULL, 0);
    assert_err(r, KAAL_ERR_INVALID_CAPABILITY);
    assert_detail(r, KAAL_ARG_INVOKED);
    assert_int_equal(a->state, THREAD_RUNNING);
    assert_false(kt_logged("no fault handler"));
    assert_queue(&ep_at(EP)->queue, b);
}

static void test_call_on_empty_slot_is_lookup_error(void **state)
{
    (void)state;
    struct tcb *a = kt_thread(A, PRIO);

    struct kresult r = sys(a, KAAL_SYS_CALL, EMPTY, 1, NULL, 0, NULL, 0);
    assert_err(r, KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, KAAL_ARG_INVOKED, KAAL_LOOKUP_MISSING_CAP, 0, 0, 0);
    assert_int_equal(a->state, THREAD_RUNNING);
}

static void test_ipc_on_empty_slot_is_cap_fault(void **state)
{
    (void)state;
    struct tcb *a = kt_thread(A, PRIO);

    const kaal_word_t sysnos[] = {KAAL_SYS_SEND, KAAL_SYS_NB_SEND, KAAL_SYS_RECV, KAAL_SYS_NB_RECV,
                                  KAAL_SYS_REPLY_RECV};
    for (unsigned i = 0; i < ARRAY_SIZE(sysnos); i++) {
        sys(a, sysnos[i], EMPTY, 1, NULL, 0, NULL, 0);
        assert_stopped_by_cap_fault(a);
        resume(A);
    }
}

static void test_recv_on_other_cap_type_is_cap_fault(void **state)
{
    (void)state;
    struct tcb *a = kt_thread(A, PRIO);

    /* Its own IPC buffer frame: neither an endpoint nor a notification. */
    recv(a, A + 2);
    assert_stopped_by_cap_fault(a);
}

/* The thread in root slot `slot` gets the fault endpoint FAULT_EP through a cap badged 0xfa; H handles. */
static struct tcb *fault_setup(kaal_word_t slot)
{
    make(KAAL_OBJ_ENDPOINT, FAULT_EP);
    assert_ok(kt_mint(FAULT_BADGED, FAULT_EP, KAAL_RIGHTS_ALL, 0xfa));
    kt_set_fault_endpoint(slot, FAULT_BADGED);
    set_pc(slot, FAULT_PC);
    return kt_thread(H, PRIO);
}

static void assert_cap_fault_message(const struct tcb *h, kaal_word_t cptr, kaal_word_t receiving, kaal_word_t kind)
{
    assert_message(h, 0xfa, KAAL_FAULT_CAP, [KAAL_FAULT_CAP_PC] = FAULT_PC, [KAAL_FAULT_CAP_CPTR] = cptr,
                   [KAAL_FAULT_CAP_RECEIVING] = receiving, [KAAL_FAULT_CAP_KIND] = kind,
                   [KAAL_FAULT_CAP_BITS_LEFT] = 0, [KAAL_FAULT_CAP_DETAIL] = 0);
}

static void test_cap_fault_goes_to_handler_and_resume_retries(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);
    struct tcb *h = fault_setup(A);

    recv(h, FAULT_EP);
    kaal_word_t w[] = {31, 32};
    sys(a, KAAL_SYS_SEND, EMPTY, 6, w, 2, NULL, 0);
    assert_false(kt_logged("no fault handler"));
    assert_int_equal(a->fault.type, KAAL_FAULT_CAP);
    assert_waits_reply_from(a, h);
    assert_int_equal(h->state, THREAD_RUNNING);
    assert_cap_fault_message(h, EMPTY, 0, KAAL_LOOKUP_MISSING_CAP);

    /* The handler fixes the CSpace and resumes the thread: its Send runs again, message intact. */
    assert_ok(kt_copy(EMPTY, EP, KAAL_RIGHTS_ALL));
    recv(b, EP);
    sys(h, KAAL_SYS_REPLY, 0, KAAL_FAULT_RESUME, NULL, 0, NULL, 0);
    assert_int_equal(a->state, THREAD_RUNNING);
    assert_int_equal(a->fault.type, 0);
    assert_null(a->reply_held_at);
    restart(a);
    assert_int_equal(a->state, THREAD_RUNNING);
    assert_int_equal(b->state, THREAD_RUNNING);
    assert_message(b, 0, 6, 31, 32);
}

static void test_cap_fault_waits_for_handler(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    assert_ok(kt_copy(SPARE, EP, KAAL_RIGHT_WRITE));
    struct tcb *a = kt_thread(A, PRIO);
    struct tcb *h = fault_setup(A);

    /* A rights fault on receive: kind 0, receiving 1; queued on the fault endpoint until H takes it. */
    recv(a, SPARE);
    assert_int_equal(a->state, THREAD_BLOCKED_SEND);
    assert_int_equal(a->fault.type, KAAL_FAULT_CAP);
    assert_true(a->send.is_call);
    assert_int_equal(a->send.badge, 0xfa);
    assert_queue(&ep_at(FAULT_EP)->queue, a);
    assert_queue_empty(&ep_at(EP)->queue);

    recv(h, FAULT_EP);
    assert_cap_fault_message(h, SPARE, 1, 0);
    assert_waits_reply_from(a, h);
    assert_queue_empty(&ep_at(FAULT_EP)->queue);

    /* Resumed without a fix it faults again, straight back to the handler's queue. */
    sys(h, KAAL_SYS_REPLY_RECV, FAULT_EP, KAAL_FAULT_RESUME, NULL, 0, NULL, 0);
    assert_int_equal(h->state, THREAD_BLOCKED_RECV);
    restart(a);
    assert_waits_reply_from(a, h);
    assert_cap_fault_message(h, SPARE, 1, 0);
}

static void test_fault_reply_with_other_label_leaves_thread_stopped(void **state)
{
    (void)state;
    struct tcb *a = kt_thread(A, PRIO);
    struct tcb *h = fault_setup(A);

    recv(h, FAULT_EP);
    sys(a, KAAL_SYS_RECV, EMPTY, 0, NULL, 0, NULL, 0);
    assert_cap_fault_message(h, EMPTY, 1, KAAL_LOOKUP_MISSING_CAP);
    sys(h, KAAL_SYS_REPLY, 0, 5, NULL, 0, NULL, 0);
    assert_int_equal(a->state, THREAD_INACTIVE);
    assert_int_equal(a->fault.type, 0);
    assert_null(a->reply_held_at);
    assert_int_equal(kt_count_caps_of_type(CAP_REPLY), 0);
}

static void test_call_errors_never_go_to_the_fault_handler(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    assert_ok(kt_copy(SPARE, EP, KAAL_RIGHT_READ));
    struct tcb *a = kt_thread(A, PRIO);
    struct tcb *h = fault_setup(A);
    recv(h, FAULT_EP);

    struct kresult r = sys(a, KAAL_SYS_CALL, EMPTY, 1, NULL, 0, NULL, 0);
    assert_err(r, KAAL_ERR_FAILED_LOOKUP);
    r = sys(a, KAAL_SYS_CALL, SPARE, 1, NULL, 0, NULL, 0);
    assert_err(r, KAAL_ERR_INVALID_CAPABILITY);
    assert_int_equal(a->state, THREAD_RUNNING);
    assert_int_equal(a->fault.type, 0);
    assert_int_equal(h->state, THREAD_BLOCKED_RECV);
    assert_queue(&ep_at(FAULT_EP)->queue, h);
}

static void test_fault_to_handler_without_ipc_buffer_is_truncated(void **state)
{
    (void)state;
    struct tcb *a = kt_thread(A, PRIO);
    struct tcb *h = fault_setup(A);
    assert_ok(kt_revoke(H + 2));

    recv(h, FAULT_EP);
    sys(a, KAAL_SYS_SEND, EMPTY, 1, NULL, 0, NULL, 0);
    assert_waits_reply_from(a, h);
    assert_message(h, 0xfa, KAAL_FAULT_CAP, FAULT_PC, EMPTY, 0, KAAL_LOOKUP_MISSING_CAP);
}

static void test_suspend_thread_queued_with_fault(void **state)
{
    (void)state;
    struct tcb *a = kt_thread(A, PRIO);
    struct tcb *h = fault_setup(A);

    sys(a, KAAL_SYS_SEND, EMPTY, 1, NULL, 0, NULL, 0);
    assert_queue(&ep_at(FAULT_EP)->queue, a);
    assert_int_equal(a->fault.type, KAAL_FAULT_CAP);

    /* Suspended, the fault is dropped with it; resumed, the syscall runs again and faults again. */
    suspend(A);
    assert_int_equal(a->state, THREAD_INACTIVE);
    assert_int_equal(a->fault.type, 0);
    assert_queue_empty(&ep_at(FAULT_EP)->queue);
    resume(A);
    restart(a);
    assert_queue(&ep_at(FAULT_EP)->queue, a);
    recv(h, FAULT_EP);
    assert_waits_reply_from(a, h);
    assert_cap_fault_message(h, EMPTY, 0, KAAL_LOOKUP_MISSING_CAP);

    /* Suspended while the handler holds the fault's reply cap: the cap goes, the handler's Reply is a no-op. */
    suspend(A);
    assert_int_equal(a->fault.type, 0);
    assert_null(a->reply_held_at);
    assert_int_equal(kt_count_caps_of_type(CAP_REPLY), 0);
    sys(h, KAAL_SYS_REPLY, 0, KAAL_FAULT_RESUME, NULL, 0, NULL, 0);
    assert_int_equal(a->state, THREAD_INACTIVE);
}

static void test_delete_fault_endpoint_restarts_faulting_thread(void **state)
{
    (void)state;
    struct tcb *a = kt_thread(A, PRIO);
    fault_setup(A);
    struct endpoint *fep = ep_at(FAULT_EP);

    sys(a, KAAL_SYS_SEND, EMPTY, 1, NULL, 0, NULL, 0);
    assert_queue(&fep->queue, a);

    /* The copy in a's TCB is the last cap: clearing the fault slot finalises the endpoint. */
    assert_ok(kt_delete(FAULT_BADGED));
    assert_ok(kt_delete(FAULT_EP));
    assert_queue(&fep->queue, a);
    kt_set_fault_endpoint(A, 0);
    assert_queue_empty(&fep->queue);
    assert_int_equal(a->state, THREAD_RUNNING);
    assert_int_equal(a->fault.type, 0);

    /* It retries the syscall, faults again, and now has no handler. */
    restart(a);
    assert_stopped_by_cap_fault(a);
}

/* ---- deleting endpoints and threads, suspending ---- */

static void test_delete_endpoint_restarts_queued_senders(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    assert_ok(kt_copy(SPARE, EP, KAAL_RIGHTS_ALL));
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);
    struct endpoint *ep = ep_at(EP);

    sys(a, KAAL_SYS_SEND, EP, 1, NULL, 0, NULL, 0);
    sys(b, KAAL_SYS_CALL, EP, 2, NULL, 0, NULL, 0);
    assert_queue(&ep->queue, a, b);

    /* Not the last cap: nothing happens to the queue. */
    assert_ok(kt_delete(SPARE));
    assert_queue(&ep->queue, a, b);
    assert_int_equal(a->state, THREAD_BLOCKED_SEND);

    assert_ok(kt_delete(EP));
    assert_queue_empty(&ep->queue);
    assert_int_equal(a->state, THREAD_RUNNING);
    assert_int_equal(b->state, THREAD_RUNNING);
    assert_int_equal(a->blocked_on, 0);
    assert_int_equal(b->blocked_on, 0);
    assert_true(a->ctx.restart);
    assert_true(b->ctx.restart);

    /* Send finds no cap: a cap fault. Call finds no cap: an error answer. */
    restart(a);
    assert_stopped_by_cap_fault(a);
    restart(b);
    assert_int_equal(b->state, THREAD_RUNNING);
    assert_false(b->ctx.restart);
    struct kd_message m = kd_message(b);
    assert_int_equal(m.label, KAAL_ERR_FAILED_LOOKUP);
    assert_int_equal(m.length, 5);
    assert_int_equal(m.mr[0], KAAL_ARG_INVOKED);
    assert_int_equal(m.mr[1], KAAL_LOOKUP_MISSING_CAP);
}

static void test_delete_endpoint_restarts_queued_receivers(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);
    struct tcb *h = fault_setup(B);
    struct endpoint *ep = ep_at(EP);

    recv(a, EP);
    recv(b, EP);
    recv(h, FAULT_EP);
    assert_queue(&ep->queue, a, b);

    assert_ok(kt_delete(EP));
    assert_queue_empty(&ep->queue);
    assert_int_equal(a->state, THREAD_RUNNING);
    assert_int_equal(b->state, THREAD_RUNNING);

    restart(a);
    assert_stopped_by_cap_fault(a);
    /* b has a handler: its restarted Recv arrives there as a receive-side lookup fault. */
    restart(b);
    assert_waits_reply_from(b, h);
    assert_cap_fault_message(h, EP, 1, KAAL_LOOKUP_MISSING_CAP);
}

static void test_revoke_untyped_under_busy_endpoint(void **state)
{
    (void)state;
    make(KAAL_OBJ_UNTYPED, SPARE);
    assert_ok(kt_retype(SPARE, KAAL_OBJ_ENDPOINT, 0, 0, 0, EP, 1));
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);
    struct endpoint *ep = ep_at(EP);

    sys(a, KAAL_SYS_SEND, EP, 1, NULL, 0, NULL, 0);
    sys(b, KAAL_SYS_CALL, EP, 2, NULL, 0, NULL, 0);
    assert_ok(kt_revoke(SPARE));
    assert_true(slot_is_empty(kt_slot(EP)));
    assert_int_equal(a->state, THREAD_RUNNING);
    assert_int_equal(b->state, THREAD_RUNNING);

    /* The memory is handed out again, as a notification this time: nobody may still point into it. */
    assert_ok(kt_retype(SPARE, KAAL_OBJ_NOTIFICATION, 0, 0, 0, EP, 1));
    assert_int_equal(kt_slot(EP)->cap.obj, (kaal_word_t)(uintptr_t)ep);
    assert_int_equal(notification_of(&kt_slot(EP)->cap)->word, 0);

    /* Restarted, they now signal the new notification (a Send on it is a Signal; a Call too). */
    restart(a);
    assert_int_equal(a->state, THREAD_RUNNING);
    assert_int_equal(notification_of(&kt_slot(EP)->cap)->word, 1);
    restart(b);
    assert_int_equal(b->state, THREAD_RUNNING);
    assert_int_equal(kd_message(b).label, KAAL_OK);
}

static void test_delete_thread_blocked_in_send(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO), *c = kt_thread(C, PRIO);
    struct tcb *s = kt_thread(S, PRIO);

    kaal_word_t w1[] = {1}, w3[] = {3};
    sys(a, KAAL_SYS_SEND, EP, 1, w1, 1, NULL, 0);
    sys(b, KAAL_SYS_SEND, EP, 2, NULL, 0, NULL, 0);
    sys(c, KAAL_SYS_SEND, EP, 3, w3, 1, NULL, 0);
    assert_ok(kt_delete(B));
    assert_int_equal(b->state, THREAD_INACTIVE);
    assert_queue(&ep_at(EP)->queue, a, c);

    recv(s, EP);
    assert_message(s, 0, 1, 1);
    recv(s, EP);
    assert_message(s, 0, 3, 3);
    assert_queue_empty(&ep_at(EP)->queue);
}

static void test_delete_thread_blocked_in_recv(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO), *c = kt_thread(C, PRIO);

    recv(a, EP);
    recv(b, EP);
    assert_ok(kt_delete(A));
    assert_int_equal(a->state, THREAD_INACTIVE);
    assert_queue(&ep_at(EP)->queue, b);

    kaal_word_t w[] = {5};
    sys(c, KAAL_SYS_SEND, EP, 1, w, 1, NULL, 0);
    assert_int_equal(b->state, THREAD_RUNNING);
    assert_message(b, 0, 1, 5);
}

static void test_delete_thread_blocked_in_call(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    struct tcb *c = kt_thread(C, PRIO), *s = kt_thread(S, PRIO);

    sys(c, KAAL_SYS_CALL, EP, 1, NULL, 0, NULL, 0);
    assert_queue(&ep_at(EP)->queue, c);
    assert_ok(kt_delete(C));
    assert_int_equal(c->state, THREAD_INACTIVE);
    assert_queue_empty(&ep_at(EP)->queue);

    recv(s, EP);
    assert_int_equal(s->state, THREAD_BLOCKED_RECV);
    assert_queue(&ep_at(EP)->queue, s);
    assert_int_equal(kt_count_caps_of_type(CAP_REPLY), 0);
}

static void test_delete_caller_waiting_for_reply(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    struct tcb *c = kt_thread(C, PRIO), *s = kt_thread(S, PRIO);

    sys(c, KAAL_SYS_CALL, EP, 1, NULL, 0, NULL, 0);
    recv(s, EP);
    assert_waits_reply_from(c, s);

    /* The server's reply cap goes with the caller; its Reply then answers nobody. */
    assert_ok(kt_delete(C));
    assert_int_equal(c->state, THREAD_INACTIVE);
    assert_null(c->reply_held_at);
    assert_true(slot_is_empty(&s->slots[TCB_SLOT_REPLY]));
    assert_int_equal(kt_count_caps_of_type(CAP_REPLY), 0);
    sys(s, KAAL_SYS_REPLY, 0, 1, NULL, 0, NULL, 0);
    assert_int_equal(s->state, THREAD_RUNNING);
}

static void test_delete_server_while_client_waits_for_reply(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    struct tcb *c = kt_thread(C, PRIO), *s = kt_thread(S, PRIO);

    sys(c, KAAL_SYS_CALL, EP, 1, NULL, 0, NULL, 0);
    recv(s, EP);
    assert_waits_reply_from(c, s);

    /* The reply cap dies with the server: the client stays blocked, and nothing points into the dead TCB. */
    assert_ok(kt_delete(S));
    assert_int_equal(c->state, THREAD_BLOCKED_REPLY);
    assert_null(c->reply_held_at);
    assert_int_equal(kt_count_caps_of_type(CAP_REPLY), 0);
    assert_queue_empty(&ep_at(EP)->queue);

    /* Suspend and resume start its Call over: it waits on the endpoint for a new server. */
    suspend(C);
    assert_int_equal(c->state, THREAD_INACTIVE);
    resume(C);
    restart(c);
    assert_int_equal(c->state, THREAD_BLOCKED_SEND);
    assert_queue(&ep_at(EP)->queue, c);
}

static void test_suspend_blocked_threads_restarts_their_syscalls(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    make(KAAL_OBJ_ENDPOINT, EP2);
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO), *c = kt_thread(C, PRIO);
    struct tcb *s = kt_thread(S, PRIO);

    kaal_word_t w[] = {4, 5};
    sys(a, KAAL_SYS_SEND, EP, 1, w, 2, NULL, 0);
    recv(b, EP2);
    sys(c, KAAL_SYS_CALL, EP2, 2, NULL, 0, NULL, 0); /* b takes it and holds c's reply cap */
    assert_waits_reply_from(c, b);

    suspend(A);
    suspend(B);
    suspend(C);
    assert_int_equal(a->state, THREAD_INACTIVE);
    assert_int_equal(b->state, THREAD_INACTIVE);
    assert_int_equal(c->state, THREAD_INACTIVE);
    assert_queue_empty(&ep_at(EP)->queue);
    assert_null(c->reply_held_at);
    assert_int_equal(kt_count_caps_of_type(CAP_REPLY), 0);
    assert_true(a->ctx.restart);
    assert_true(c->ctx.restart);
    /* b was not blocked when suspended (it had its message): nothing to restart. */
    assert_false(b->ctx.restart);

    /* Resumed, each blocked syscall runs again from the start. */
    resume(A);
    resume(C);
    restart(a);
    assert_int_equal(a->state, THREAD_BLOCKED_SEND);
    restart(c);
    assert_int_equal(c->state, THREAD_BLOCKED_SEND);
    assert_queue(&ep_at(EP)->queue, a);
    assert_queue(&ep_at(EP2)->queue, c);

    recv(s, EP);
    assert_message(s, 0, 1, 4, 5);
}

static void test_suspend_blocked_receiver_restarts_recv(void **state)
{
    (void)state;
    make(KAAL_OBJ_ENDPOINT, EP);
    struct tcb *a = kt_thread(A, PRIO), *b = kt_thread(B, PRIO);

    recv(b, EP);
    suspend(B);
    assert_int_equal(b->state, THREAD_INACTIVE);
    assert_queue_empty(&ep_at(EP)->queue);

    /* A message sent meanwhile is not for b: nobody is receiving. */
    sys(a, KAAL_SYS_NB_SEND, EP, 1, NULL, 0, NULL, 0);
    resume(B);
    restart(b);
    assert_int_equal(b->state, THREAD_BLOCKED_RECV);
    assert_queue(&ep_at(EP)->queue, b);
    kaal_word_t w[] = {9};
    sys(a, KAAL_SYS_SEND, EP, 2, w, 1, NULL, 0);
    assert_message(b, 0, 2, 9);
}

#define T(name) cmocka_unit_test_setup_teardown(name, kt_setup, kt_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_send_blocks_until_recv),
        T(test_recv_blocks_until_send),
        T(test_senders_queue_in_order_with_their_badges),
        T(test_receivers_queue_in_order),
        T(test_nbsend_without_receiver_is_dropped),
        T(test_nbsend_with_receiver_delivers),
        T(test_nbrecv_with_nothing_returns_empty),
        T(test_nbrecv_takes_queued_sender),
        T(test_call_reply_with_badge),
        T(test_call_queued_then_received),
        T(test_reply_recv_serves_two_clients_in_order),
        T(test_reply_without_reply_cap_changes_nothing),
        T(test_reply_cap_is_one_shot),
        T(test_second_call_received_drops_first_reply_cap),
        T(test_nested_calls_keep_both_reply_caps),
        T(test_length_above_64_is_clamped),
        T(test_receiver_without_ipc_buffer_gets_four_words),
        T(test_sender_without_ipc_buffer_sends_four_words),
        T(test_label_and_length_delivered),
        T(test_queued_sender_losing_ipc_buffer_sends_four_words),
        T(test_grant_transfers_cap_to_waiting_receiver),
        T(test_grant_transfers_cap_from_queued_caller),
        T(test_no_grant_no_caps),
        T(test_receive_slot_missing),
        T(test_receive_slot_occupied),
        T(test_receive_slot_bad_depth),
        T(test_receive_slot_in_second_level_cnode),
        T(test_cap_to_same_endpoint_is_unwrapped),
        T(test_cap_to_other_endpoint_is_transferred),
        T(test_second_cap_needing_a_slot_stops_transfer),
        T(test_extra_cap_lookup_failure_stops_transfer),
        T(test_underivable_caps_are_not_transferred),
        T(test_reply_carries_caps_only_with_grant_reply),
        T(test_reply_never_unwraps),
        T(test_send_without_write_is_cap_fault),
        T(test_recv_without_read_is_cap_fault),
        T(test_call_without_write_is_error),
        T(test_call_on_empty_slot_is_lookup_error),
        T(test_ipc_on_empty_slot_is_cap_fault),
        T(test_recv_on_other_cap_type_is_cap_fault),
        T(test_cap_fault_goes_to_handler_and_resume_retries),
        T(test_cap_fault_waits_for_handler),
        T(test_fault_reply_with_other_label_leaves_thread_stopped),
        T(test_call_errors_never_go_to_the_fault_handler),
        T(test_fault_to_handler_without_ipc_buffer_is_truncated),
        T(test_suspend_thread_queued_with_fault),
        T(test_delete_fault_endpoint_restarts_faulting_thread),
        T(test_delete_endpoint_restarts_queued_senders),
        T(test_delete_endpoint_restarts_queued_receivers),
        T(test_revoke_untyped_under_busy_endpoint),
        T(test_delete_thread_blocked_in_send),
        T(test_delete_thread_blocked_in_recv),
        T(test_delete_thread_blocked_in_call),
        T(test_delete_caller_waiting_for_reply),
        T(test_delete_server_while_client_waits_for_reply),
        T(test_suspend_blocked_threads_restarts_their_syscalls),
        T(test_suspend_blocked_receiver_restarts_recv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
