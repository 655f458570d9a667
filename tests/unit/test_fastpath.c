/*
 * The IPC fastpath (core/kernel/fastpath.c, docs/fastpath.md).
 *
 * Every syscall under test runs twice from one kernel state: once as the
 * kernel does it (the fastpath first), then, after every byte of kernel
 * memory and the kernel's global state are put back, once with the fastpath
 * switched off (the slow path alone). Both runs must end in the same state,
 * byte for byte: the registers of every thread, the endpoint and ready
 * queues, the reply caps and the whole CDT, the bitmaps, the current thread.
 * The fastpath's statistics say which way the first run went, so the tests
 * also check that the common cases take the fastpath and that each of its
 * conditions, made false on its own, falls back to the slow path. A last
 * test does the same for thousands of random syscalls by several threads.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kaal/abi/faults.h>
#include <kaal/core/entry.h>
#include <kaal/core/fastpath.h>

#ifdef KAAL_DEBUG /* the fastpath's statistics and its switch exist in debug kernels only */

#define RAM_BITS 21u /* 2 MiB: small, so that copying all of it per syscall is cheap */

/* Objects and caps in the root CNode. */
#define EP 300u        /* all rights */
#define EP_BADGED 301u /* EP, all rights, badge 0xbad */
#define EP_RO 302u     /* EP, Read only */
#define EP_WO 303u     /* EP, Write only */
#define EP_NO_GR 304u  /* EP, Read|Write|Grant: no GrantReply */
#define EP2 305u       /* a second endpoint */
#define NTFN 306u      /* a notification, all rights */
#define FAULT_EP 307u  /* the fault handler's endpoint */
#define CN2_RAW 308u   /* a CNode of 16 slots, no guard */
#define CN2 309u       /* the same CNode with a 48-bit guard of 0: the second level of ROOT_SHORT */
#define ROOT_SHORT 310u /* the root CNode cap without its guard: one level of 12 bits, 52 left over */
#define EMPTY 399u     /* never filled */

/* Threads: TCB, VSpace and IPC buffer frame in three consecutive root slots. */
#define S 400u /* server */
#define C 410u /* client */
#define D 420u /* another client or server */
#define G 430u /* a thread whose CSpace root is ROOT_SHORT */
#define H 440u /* fault handler */

#define PRIO 100u
#define CN2_EP_INDEX 3u /* the slot of CN2 holding a copy of EP */

/* A CPtr for G (CSpace root ROOT_SHORT): the top 12 bits index the root CNode, the rest is left over. */
#define SHORT(slot) ((kaal_word_t)(slot) << 52)
/* G's CPtr of the copy of EP in CN2: two levels. */
#define SHORT_TWO_LEVELS (SHORT(CN2) | CN2_EP_INDEX)

enum path { SLOW, FAST };

static unsigned char *ram;

/* All kernel state: the RAM the kernel was booted over and its global. */
struct world {
    unsigned char ram[BIT(RAM_BITS)];
    struct kernel_state ks;
};
static struct world *before, *after_fast;

static int fp_setup(void **state)
{
    (void)state;
    ram = aligned_alloc(BIT(RAM_BITS), BIT(RAM_BITS));
    before = malloc(sizeof *before);
    after_fast = malloc(sizeof *after_fast);
    if (ram == NULL || before == NULL || after_fast == NULL)
        return -1;
    memset(ram, 0, BIT(RAM_BITS));
    struct boot_region region = {.kaddr = (uintptr_t)ram, .size = BIT(RAM_BITS)};
    double_console_clear();
    double_irq = (struct double_irq){.pending = HAL_IRQ_NONE, .count = 64, .timer_line = 30};
    fastpath_disabled = false;
    if (kernel_boot(&region, 1) != BOOT_OK)
        return -1;
    kt_adopt_boot();
    kt_check();
    return 0;
}

static int fp_teardown(void **state)
{
    (void)state;
    free(ram);
    free(before);
    free(after_fast);
    ram = NULL;
    before = after_fast = NULL;
    return 0;
}

static void save(struct world *w)
{
    memcpy(w->ram, ram, sizeof w->ram);
    w->ks = ks;
}

static void load(const struct world *w)
{
    memcpy(ram, w->ram, sizeof w->ram);
    ks = w->ks;
}

/* Where a byte of kernel RAM lies, for a readable failure: which thread's TCB, or just the offset. */
static void describe(size_t offset, char *out, size_t size)
{
    static const kaal_word_t threads[] = {KAAL_ROOT_SLOT_TCB, S, C, D, G, H};
    uintptr_t at = (uintptr_t)ram + offset;
    for (size_t i = 0; i < ARRAY_SIZE(threads); i++) {
        const struct slot *s = kt_slot(threads[i]);
        if (s->cap.type != CAP_TCB)
            continue;
        uintptr_t t = (uintptr_t)tcb_of(&s->cap);
        if (at >= t && at < t + sizeof(struct tcb)) {
            snprintf(out, size, "TCB in slot %lu, byte 0x%lx", (unsigned long)threads[i], (unsigned long)(at - t));
            return;
        }
    }
    snprintf(out, size, "RAM offset 0x%zx", offset);
}

/* The kernel is in exactly the state w holds. */
static void assert_same_state(const struct world *w)
{
    if (memcmp(w->ram, ram, sizeof w->ram) != 0) {
        size_t i = 0;
        while (w->ram[i] == ram[i])
            i++;
        char where[96];
        describe(i, where, sizeof where);
        fail_msg("fastpath and slow path differ in kernel memory: %s (0x%02x after the fastpath, 0x%02x after the slow path)",
                 where, w->ram[i], ram[i]);
    }
    if (memcmp(&w->ks, &ks, sizeof ks) != 0) {
        const unsigned char *a = (const unsigned char *)&w->ks, *b = (const unsigned char *)&ks;
        size_t i = 0;
        while (a[i] == b[i])
            i++;
        fail_msg("fastpath and slow path differ in the kernel's global state at byte 0x%zx", i);
    }
}

/* t's syscall registers and IPC buffer, as user code leaves them; other registers keep their values. */
static void set_registers(struct tcb *t, kaal_word_t sysno, kaal_word_t cptr, kaal_word_t msginfo, const kaal_word_t *w,
                          unsigned n, const kaal_word_t *caps, unsigned ncaps)
{
    struct kaal_ipc_buffer *buf = tcb_ipc_buffer(t);
    t->ctx.restart = 0;
    hal_ctx_set(&t->ctx, HAL_REG_SYSNO, sysno);
    hal_ctx_set(&t->ctx, HAL_REG_CPTR, cptr);
    hal_ctx_set(&t->ctx, HAL_REG_MSGINFO, msginfo);
    for (unsigned i = 0; i < n && i < KAAL_MSG_MAX_WORDS; i++) {
        if (i < KAAL_MSG_REGISTERS)
            hal_ctx_set(&t->ctx, (enum hal_reg)(HAL_REG_MR0 + i), w[i]);
        else if (buf != NULL)
            buf->msg[i] = w[i];
    }
    for (unsigned i = 0; i < ncaps && i < KAAL_MSG_MAX_EXTRA_CAPS && buf != NULL; i++)
        buf->caps_or_badges[i] = caps[i];
}

/*
 * Runnable thread t makes a syscall, twice from the same state: as the kernel does it, then with the
 * fastpath off. Both must end in the same state, in which the kernel is left. Returns which way the
 * first run went.
 */
static enum path both_ways(struct tcb *t, kaal_word_t sysno, kaal_word_t cptr, kaal_word_t msginfo, const kaal_word_t *w,
                           unsigned n, const kaal_word_t *caps, unsigned ncaps)
{
    kt_act(t);
    set_registers(t, sysno, cptr, msginfo, w, n, caps, ncaps);
    save(before);
    struct fastpath_stats counted = fastpath_stats;
    double_console_clear();
    kernel_syscall();
    enum path path = fastpath_stats.call != counted.call || fastpath_stats.reply_recv != counted.reply_recv ? FAST : SLOW;
    if (path == FAST && sysno != KAAL_SYS_CALL && sysno != KAAL_SYS_REPLY_RECV)
        fail_msg("the fastpath took syscall %lu", (unsigned long)sysno);
    save(after_fast);

    load(before);
    double_console_clear();
    fastpath_disabled = true;
    kernel_syscall();
    fastpath_disabled = false;
    assert_same_state(after_fast);
    kt_check();
    return path;
}

static enum path call(struct tcb *t, kaal_word_t cptr, kaal_word_t label, const kaal_word_t *w, unsigned n)
{
    return both_ways(t, KAAL_SYS_CALL, cptr, kaal_msginfo(label, 0, 0, n), w, n, NULL, 0);
}

static enum path reply_recv(struct tcb *t, kaal_word_t cptr, kaal_word_t label, const kaal_word_t *w, unsigned n)
{
    return both_ways(t, KAAL_SYS_REPLY_RECV, cptr, kaal_msginfo(label, 0, 0, n), w, n, NULL, 0);
}

static enum path recv(struct tcb *t, kaal_word_t cptr)
{
    return both_ways(t, KAAL_SYS_RECV, cptr, 0, NULL, 0, NULL, 0);
}

#define WORDS(...) (const kaal_word_t[]){__VA_ARGS__}, (unsigned)(sizeof((const kaal_word_t[]){__VA_ARGS__}) / sizeof(kaal_word_t))
#define NO_WORDS NULL, 0u

/* What t received: badge, label, exactly these words, no caps. */
static void check_message(const struct tcb *t, kaal_word_t badge, kaal_word_t label, const kaal_word_t *w, size_t n)
{
    struct kd_message m = kd_message(t);
    assert_int_equal(m.badge, badge);
    assert_int_equal(m.label, label);
    assert_int_equal(m.length, n);
    assert_int_equal(m.extra_caps, 0);
    assert_int_equal(m.unwrapped, 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(m.mr[i], w[i]);
}
#define assert_message(t, badge, label, ...) check_message((t), (badge), (label), WORDS(__VA_ARGS__))

/* caller waits for the reply held in holder's reply slot. */
static void assert_waits_reply_from(const struct tcb *caller, struct tcb *holder)
{
    assert_int_equal(caller->state, THREAD_BLOCKED_REPLY);
    assert_ptr_equal(caller->reply_held_at, &holder->slots[TCB_SLOT_REPLY]);
    assert_int_equal(holder->slots[TCB_SLOT_REPLY].cap.type, CAP_REPLY);
    assert_ptr_equal(tcb_of(&holder->slots[TCB_SLOT_REPLY].cap), caller);
}

static struct endpoint *ep_at(kaal_word_t slot)
{
    return endpoint_of(&kt_slot(slot)->cap);
}

static void make(kaal_word_t type, kaal_word_t size, kaal_word_t slot)
{
    assert_ok(kt_retype(kt_first_untyped(), type, size, 0, 0, slot, 1));
}

static void set_priority(kaal_word_t tcb_slot, kaal_word_t priority)
{
    kaal_word_t args[] = {priority};
    kaal_word_t authority[] = {KAAL_ROOT_SLOT_TCB};
    assert_ok(kt_invoke(tcb_slot, KAAL_TCB_SET_PRIORITY, args, 1, authority, 1));
}

/* The root thread's priority (it acts for this, and keeps acting if it still can). */
static void root_priority(kaal_word_t priority)
{
    kt_act(kt_root_thread());
    set_priority(KAAL_ROOT_SLOT_TCB, priority);
    kt_act(kt_root_thread());
}

/*
 * The world of these tests: the endpoint and its derived caps, a notification, a two-level CSpace
 * for G, threads S and C at PRIO (and D, G, H when asked for). The root thread acts afterwards.
 */
static void world(void)
{
    make(KAAL_OBJ_ENDPOINT, 0, EP);
    assert_ok(kt_mint(EP_BADGED, EP, KAAL_RIGHTS_ALL, 0xbad));
    assert_ok(kt_mint(EP_RO, EP, KAAL_RIGHT_READ, 0));
    assert_ok(kt_mint(EP_WO, EP, KAAL_RIGHT_WRITE, 0));
    assert_ok(kt_mint(EP_NO_GR, EP, KAAL_RIGHT_READ | KAAL_RIGHT_WRITE | KAAL_RIGHT_GRANT, 0));
    make(KAAL_OBJ_ENDPOINT, 0, EP2);
    make(KAAL_OBJ_NOTIFICATION, 0, NTFN);
    make(KAAL_OBJ_ENDPOINT, 0, FAULT_EP);

    /* ROOT_SHORT: 12 bits at the first level; CN2: 48 guard bits and 4 index bits at the second. */
    assert_ok(kt_mint(ROOT_SHORT, KT_ROOT, KAAL_RIGHTS_ALL, KAAL_CNODE_DATA(0, 0)));
    make(KAAL_OBJ_CNODE, 4, CN2_RAW);
    assert_ok(kt_mint(CN2, CN2_RAW, KAAL_RIGHTS_ALL, KAAL_CNODE_DATA(0, 48)));
    kaal_word_t copy[] = {CN2_EP_INDEX, 4, EP, KT_DEPTH, KAAL_RIGHTS_ALL};
    kaal_word_t src_root[] = {KT_ROOT};
    assert_ok(kt_invoke(CN2_RAW, KAAL_CNODE_COPY, copy, 5, src_root, 1));
}

static struct tcb *thread(kaal_word_t slot, kaal_word_t priority)
{
    kt_act(kt_root_thread());
    struct tcb *t = kt_thread(slot, priority);
    if (slot == G) {
        kaal_word_t args[] = {0, 0};
        kaal_word_t caps[] = {ROOT_SHORT, G + 1, G + 2};
        assert_ok(kt_invoke(G, KAAL_TCB_CONFIGURE, args, 2, caps, 3));
    }
    return t;
}

/* ---- the fastpath takes the common case, with the slow path's result ---- */

static void test_round_trips_take_the_fastpath(void **state)
{
    (void)state;
    world();
    struct tcb *s = thread(S, PRIO), *c = thread(C, PRIO);
    root_priority(0); /* from here the kernel's choice of the next thread is visible */

    assert_int_equal(recv(s, EP), SLOW); /* Recv has no fastpath */
    assert_ptr_equal(ks.current, c);
    for (kaal_word_t i = 0; i < 4; i++) {
        assert_int_equal(call(c, EP, 7, WORDS(i)), FAST);
        assert_message(s, 0, 7, i);
        assert_waits_reply_from(c, s);
        assert_ptr_equal(ks.current, s);
        assert_queue_empty(&ep_at(EP)->queue);
        assert_ready(PRIO, s);

        assert_int_equal(reply_recv(s, EP, 8, WORDS(i + 100)), FAST);
        assert_message(c, 0, 8, i + 100);
        assert_int_equal(c->state, THREAD_RUNNING);
        assert_null(c->reply_held_at);
        assert_true(slot_is_empty(&s->slots[TCB_SLOT_REPLY]));
        assert_int_equal(s->state, THREAD_BLOCKED_RECV);
        assert_queue(&ep_at(EP)->queue, s);
        assert_ptr_equal(ks.current, c);
        assert_ready(PRIO, c);
    }
    assert_int_equal(kt_count_caps_of_type(CAP_REPLY), 0);
    assert_int_equal(fastpath_stats.call, 4);
    assert_int_equal(fastpath_stats.reply_recv, 4);
}

static void test_every_length_up_to_four_and_registers_beyond_it_kept(void **state)
{
    (void)state;
    world();
    struct tcb *s = thread(S, PRIO), *c = thread(C, PRIO);
    recv(s, EP);
    for (unsigned n = 0; n <= KAAL_MSG_REGISTERS; n++) {
        /* Words past the message keep what the receiver had: only the words sent are written. */
        for (unsigned i = 0; i < KAAL_MSG_REGISTERS; i++)
            hal_ctx_set(&s->ctx, (enum hal_reg)(HAL_REG_MR0 + i), 0x5e0 + i);
        kaal_word_t w[] = {11, 22, 33, 44};
        assert_int_equal(call(c, EP, 3, w, n), FAST);
        check_message(s, 0, 3, w, n);
        for (unsigned i = n; i < KAAL_MSG_REGISTERS; i++)
            assert_int_equal(hal_ctx_get(&s->ctx, (enum hal_reg)(HAL_REG_MR0 + i)), 0x5e0 + i);

        kaal_word_t a[] = {55, 66, 77, 88};
        for (unsigned i = 0; i < KAAL_MSG_REGISTERS; i++)
            hal_ctx_set(&c->ctx, (enum hal_reg)(HAL_REG_MR0 + i), 0xc0 + i);
        assert_int_equal(reply_recv(s, EP, 4, a, n), FAST);
        check_message(c, 0, 4, a, n);
        for (unsigned i = n; i < KAAL_MSG_REGISTERS; i++)
            assert_int_equal(hal_ctx_get(&c->ctx, (enum hal_reg)(HAL_REG_MR0 + i)), 0xc0 + i);
    }
}

static void test_label_bits_kept_and_unwrapped_bits_dropped(void **state)
{
    (void)state;
    world();
    struct tcb *s = thread(S, PRIO), *c = thread(C, PRIO);
    recv(s, EP);
    /* The widest label, and "unwrapped" bits set by the sender, which a message never carries. */
    kaal_word_t label = ((kaal_word_t)1 << 52) - 1;
    assert_int_equal(both_ways(c, KAAL_SYS_CALL, EP, kaal_msginfo(label, 7, 0, 2), WORDS(1, 2), NULL, 0), FAST);
    assert_message(s, 0, label, 1, 2);
    assert_int_equal(both_ways(s, KAAL_SYS_REPLY_RECV, EP, kaal_msginfo(label, 5, 0, 1), WORDS(3), NULL, 0), FAST);
    assert_message(c, 0, label, 3);
}

static void test_badge_and_grant_reply_go_as_in_the_slow_path(void **state)
{
    (void)state;
    world();
    struct tcb *s = thread(S, PRIO), *c = thread(C, PRIO);
    recv(s, EP);

    assert_int_equal(call(c, EP_BADGED, 1, WORDS(1)), FAST);
    assert_message(s, 0xbad, 1, 1);
    assert_int_equal(s->slots[TCB_SLOT_REPLY].cap.aux, 1); /* the cap had GrantReply */
    assert_int_equal(reply_recv(s, EP_NO_GR, 2, WORDS(2)), FAST); /* receiving needs Read only */
    assert_message(c, 0, 2, 2); /* a reply carries no badge */

    assert_int_equal(call(c, EP_NO_GR, 3, WORDS(3)), FAST);
    assert_int_equal(s->slots[TCB_SLOT_REPLY].cap.aux, 0);
    assert_int_equal(reply_recv(s, EP, 4, WORDS(4)), FAST);
}

/* Priorities of caller and receiver in every relation, across bitmap words, with others runnable. */
static void test_any_priorities_schedule_as_the_slow_path(void **state)
{
    (void)state;
    static const kaal_word_t prios[][2] = {
        {PRIO, PRIO}, {PRIO, PRIO + 1}, {PRIO + 1, PRIO}, {10, 200}, {200, 10}, {63, 64}, {64, 63}, {0, 255}, {255, 0},
    };
    world();
    struct tcb *s = thread(S, PRIO), *c = thread(C, PRIO), *d = thread(D, PRIO);
    for (size_t i = 0; i < ARRAY_SIZE(prios); i++) {
        for (kaal_word_t root = 0; root <= 255; root += 255) {
            for (int d_runs = 0; d_runs <= 1; d_runs++) {
                /* The root thread (priority 0 or 255) and D (either priority, runnable or not) compete. */
                root_priority(root);
                set_priority(S, prios[i][0]);
                set_priority(C, prios[i][1]);
                set_priority(D, prios[i][d_runs]);
                if (s->state != THREAD_BLOCKED_RECV)
                    assert_int_equal(recv(s, EP), SLOW);
                if (!d_runs && d->state == THREAD_RUNNING)
                    recv(d, EP2);
                if (d_runs && d->state != THREAD_RUNNING) {
                    kt_act(c);
                    kt_raw(KAAL_SYS_NB_SEND, EP2, 0, NULL, 0, NULL, 0); /* wakes D at the tail of its queue */
                }

                assert_int_equal(call(c, EP, 1, WORDS(i)), FAST);
                assert_int_equal(s->state, THREAD_RUNNING);
                assert_ptr_equal(ks.ready[s->priority].head, s); /* the CPU follows the message */
                assert_int_equal(reply_recv(s, EP, 2, WORDS(i)), FAST);
                assert_int_equal(c->state, THREAD_RUNNING);
                assert_ptr_equal(ks.ready[c->priority].tail, c); /* the replied-to caller queues behind its equals */
            }
        }
    }
}

/* The caller or replier need not be the head of its ready queue (the script, not the scheduler, picked it). */
static void test_thread_not_at_the_head_of_its_queue(void **state)
{
    (void)state;
    world();
    struct tcb *s = thread(S, PRIO), *d = thread(D, PRIO), *c = thread(C, PRIO);
    root_priority(0);
    recv(s, EP);
    assert_ready(PRIO, d, c);
    assert_int_equal(call(c, EP, 1, WORDS(1)), FAST); /* C is behind D */
    assert_ready(PRIO, s, d);
    assert_ptr_equal(ks.current, s);
    kt_act(s);
    kt_raw(KAAL_SYS_YIELD, 0, 0, NULL, 0, NULL, 0);
    assert_ready(PRIO, d, s);
    assert_int_equal(reply_recv(s, EP, 2, WORDS(2)), FAST); /* S is behind D */
    assert_ready(PRIO, d, c);
    assert_ptr_equal(ks.current, d);
}

static void test_other_receivers_stay_queued(void **state)
{
    (void)state;
    world();
    struct tcb *s = thread(S, PRIO), *d = thread(D, PRIO), *c = thread(C, PRIO);
    recv(s, EP);
    recv(d, EP);
    assert_queue(&ep_at(EP)->queue, s, d);

    assert_int_equal(call(c, EP, 1, WORDS(1)), FAST); /* takes the head */
    assert_queue(&ep_at(EP)->queue, d);
    assert_message(s, 0, 1, 1);
    assert_int_equal(reply_recv(s, EP, 2, WORDS(2)), FAST); /* queues behind the other receiver */
    assert_queue(&ep_at(EP)->queue, d, s);

    assert_int_equal(call(c, EP, 3, WORDS(3)), FAST);
    assert_message(d, 0, 3, 3);
    assert_queue(&ep_at(EP)->queue, s);
}

static void test_bound_notification_without_word(void **state)
{
    (void)state;
    world();
    struct tcb *s = thread(S, PRIO), *c = thread(C, PRIO);
    kaal_word_t ntfn[] = {NTFN};
    assert_ok(kt_invoke(S, KAAL_TCB_BIND_NOTIFICATION, NULL, 0, ntfn, 1));
    recv(s, EP);
    assert_int_equal(call(c, EP, 1, WORDS(1)), FAST);
    assert_int_equal(reply_recv(s, EP, 2, WORDS(2)), FAST);
    assert_int_equal(s->state, THREAD_BLOCKED_RECV);
}

/* One CSpace level that leaves bits over ends at the endpoint: the same slot as the slow path's walk. */
static void test_one_level_with_bits_left_over(void **state)
{
    (void)state;
    world();
    struct tcb *s = thread(S, PRIO), *g = thread(G, PRIO), *c = thread(C, PRIO);
    recv(s, EP);
    assert_int_equal(call(g, SHORT(EP_BADGED) | 0x123, 1, WORDS(1)), FAST); /* low bits unused */
    assert_message(s, 0xbad, 1, 1);
    assert_int_equal(reply_recv(s, EP, 2, WORDS(2)), FAST);
    assert_message(g, 0, 2, 2);

    /* G as the server. */
    assert_int_equal(recv(g, SHORT(EP2)), SLOW);
    assert_int_equal(call(c, EP2, 3, WORDS(3)), FAST);
    assert_message(g, 0, 3, 3);
    assert_int_equal(reply_recv(g, SHORT(EP2) | 0xfff, 4, WORDS(4)), FAST);
    assert_message(c, 0, 4, 4);
}

/* ---- Call: each condition, made false on its own, falls back ---- */

/* S waits in Recv on EP; C is about to Call. */
static void call_setup(struct tcb **s, struct tcb **c)
{
    world();
    *s = thread(S, PRIO);
    *c = thread(C, PRIO);
    recv(*s, EP);
}

static void test_call_falls_back_long_message(void **state)
{
    (void)state;
    struct tcb *s, *c;
    call_setup(&s, &c);
    assert_int_equal(call(c, EP, 1, WORDS(1, 2, 3, 4, 5)), SLOW);
    assert_message(s, 0, 1, 1, 2, 3, 4, 5);
    assert_waits_reply_from(c, s);
    /* 127 words asked, 64 go. */
    assert_int_equal(reply_recv(s, EP, 2, WORDS(1)), FAST);
    assert_int_equal(both_ways(c, KAAL_SYS_CALL, EP, kaal_msginfo(1, 0, 0, 127), NO_WORDS, NULL, 0), SLOW);
    assert_int_equal(kd_message(s).length, KAAL_MSG_MAX_WORDS);
}

static void test_call_falls_back_extra_caps(void **state)
{
    (void)state;
    struct tcb *s, *c;
    call_setup(&s, &c);
    kaal_word_t caps[] = {EP};
    assert_int_equal(both_ways(c, KAAL_SYS_CALL, EP, kaal_msginfo(1, 0, 1, 1), WORDS(9), caps, 1), SLOW);
    struct kd_message m = kd_message(s);
    assert_int_equal(m.extra_caps, 1); /* a cap to the endpoint itself: unwrapped to its badge */
    assert_int_equal(m.unwrapped, 1);
    assert_waits_reply_from(c, s);
}

static void test_call_falls_back_without_write(void **state)
{
    (void)state;
    struct tcb *s, *c;
    call_setup(&s, &c);
    assert_int_equal(call(c, EP_RO, 1, WORDS(1)), SLOW);
    assert_int_equal(c->state, THREAD_RUNNING);
    assert_int_equal(kaal_msginfo_label(hal_ctx_get(&c->ctx, HAL_REG_MSGINFO)), KAAL_ERR_INVALID_CAPABILITY);
    assert_int_equal(s->state, THREAD_BLOCKED_RECV);
}

static void test_call_falls_back_on_other_caps(void **state)
{
    (void)state;
    struct tcb *s, *c;
    call_setup(&s, &c);
    assert_int_equal(call(c, NTFN, 1, WORDS(1)), SLOW); /* Signal */
    assert_ptr_equal(ks.current, kt_root_thread());
    assert_int_equal(notification_of(&kt_slot(NTFN)->cap)->word, 1);
    assert_int_equal(call(c, EMPTY, 1, WORDS(1)), SLOW); /* lookup error */
    assert_int_equal(kaal_msginfo_label(hal_ctx_get(&c->ctx, HAL_REG_MSGINFO)), KAAL_ERR_FAILED_LOOKUP);
    assert_int_equal(call(c, C, KAAL_TCB_RESUME, NO_WORDS), SLOW); /* an invocation */
    assert_int_equal(kaal_msginfo_label(hal_ctx_get(&c->ctx, HAL_REG_MSGINFO)), KAAL_OK);
    assert_int_equal(s->state, THREAD_BLOCKED_RECV);
}

static void test_call_falls_back_guard_mismatch(void **state)
{
    (void)state;
    struct tcb *s, *c;
    call_setup(&s, &c);
    assert_int_equal(call(c, EP | (kaal_word_t)1 << 63, 1, WORDS(1)), SLOW);
    assert_int_equal(kaal_msginfo_label(hal_ctx_get(&c->ctx, HAL_REG_MSGINFO)), KAAL_ERR_FAILED_LOOKUP);
    assert_int_equal(hal_ctx_get(&c->ctx, HAL_REG_MR1), KAAL_LOOKUP_GUARD_MISMATCH);
}

static void test_call_falls_back_two_levels(void **state)
{
    (void)state;
    world();
    struct tcb *s = thread(S, PRIO), *g = thread(G, PRIO);
    recv(s, EP);
    assert_int_equal(call(g, SHORT_TWO_LEVELS, 1, WORDS(1)), SLOW);
    assert_message(s, 0, 1, 1);
    assert_waits_reply_from(g, s);
    /* Root and second level alike, a wrong guard or index falls back too. */
    assert_int_equal(reply_recv(s, EP, 2, WORDS(2)), FAST);
    assert_int_equal(call(g, SHORT(CN2) | (kaal_word_t)1 << 10, 1, WORDS(1)), SLOW);
    assert_int_equal(kaal_msginfo_label(hal_ctx_get(&g->ctx, HAL_REG_MSGINFO)), KAAL_ERR_FAILED_LOOKUP);
    assert_int_equal(call(g, SHORT(CN2) | 4, 1, WORDS(1)), SLOW); /* an empty slot of CN2 */
    assert_int_equal(kaal_msginfo_label(hal_ctx_get(&g->ctx, HAL_REG_MSGINFO)), KAAL_ERR_FAILED_LOOKUP);
}

static void test_call_falls_back_without_cspace(void **state)
{
    (void)state;
    struct tcb *s, *c;
    call_setup(&s, &c);
    /* A thread never configured: no CSpace root (and no IPC buffer). */
    kaal_word_t ut = kt_first_untyped();
    assert_ok(kt_retype(ut, KAAL_OBJ_TCB, 0, 0, 0, D, 1));
    set_priority(D, PRIO);
    assert_ok(kt_invoke(D, KAAL_TCB_RESUME, NULL, 0, NULL, 0));
    struct tcb *d = kt_tcb(D);
    assert_int_equal(call(d, EP, 1, WORDS(1)), SLOW);
    assert_int_equal(kaal_msginfo_label(hal_ctx_get(&d->ctx, HAL_REG_MSGINFO)), KAAL_ERR_FAILED_LOOKUP);
    assert_int_equal(hal_ctx_get(&d->ctx, HAL_REG_MR1), KAAL_LOOKUP_INVALID_ROOT);
    assert_int_equal(s->state, THREAD_BLOCKED_RECV);
}

static void test_call_falls_back_without_receiver(void **state)
{
    (void)state;
    world();
    struct tcb *c = thread(C, PRIO), *d = thread(D, PRIO);
    assert_int_equal(call(c, EP, 1, WORDS(1)), SLOW); /* nobody waits: the caller queues */
    assert_int_equal(c->state, THREAD_BLOCKED_SEND);
    assert_int_equal(call(d, EP, 2, WORDS(2)), SLOW); /* the queue holds senders */
    assert_queue(&ep_at(EP)->queue, c, d);
}

static void test_call_falls_back_when_reply_slot_is_in_use(void **state)
{
    (void)state;
    world();
    struct tcb *s = thread(S, PRIO), *c = thread(C, PRIO), *d = thread(D, PRIO);
    recv(s, EP);
    assert_int_equal(call(d, EP, 1, WORDS(1)), FAST);
    recv(s, EP); /* back in Recv without answering D: its reply cap is still in S's reply slot */
    assert_waits_reply_from(d, s);
    assert_int_equal(call(c, EP, 2, WORDS(2)), SLOW);
    assert_waits_reply_from(c, s);
    assert_int_equal(d->state, THREAD_BLOCKED_REPLY); /* as after a lost reply */
    assert_null(d->reply_held_at);
    assert_int_equal(kt_count_caps_of_type(CAP_REPLY), 1);
}

static void test_switched_off_fastpath_falls_back(void **state)
{
    (void)state;
    struct tcb *s, *c;
    call_setup(&s, &c);
    fastpath_disabled = true;
    kt_act(c);
    struct fastpath_stats counted = fastpath_stats;
    kt_raw(KAAL_SYS_CALL, EP, kaal_msginfo(1, 0, 0, 1), WORDS(1), NULL, 0);
    fastpath_disabled = false;
    assert_memory_equal(&counted, &fastpath_stats, sizeof counted);
    assert_message(s, 0, 1, 1);
}

/* ---- ReplyRecv: each condition, made false on its own, falls back ---- */

/* S has received C's Call and is about to answer it. */
static void answer_setup(struct tcb **s, struct tcb **c)
{
    call_setup(s, c);
    assert_int_equal(call(*c, EP, 1, WORDS(1)), FAST);
}

static void test_reply_recv_falls_back_long_reply(void **state)
{
    (void)state;
    struct tcb *s, *c;
    answer_setup(&s, &c);
    assert_int_equal(reply_recv(s, EP, 2, WORDS(1, 2, 3, 4, 5)), SLOW);
    assert_message(c, 0, 2, 1, 2, 3, 4, 5);
    assert_int_equal(s->state, THREAD_BLOCKED_RECV);
}

static void test_reply_recv_falls_back_extra_caps(void **state)
{
    (void)state;
    struct tcb *s, *c;
    answer_setup(&s, &c);
    kaal_word_t caps[] = {EP};
    assert_int_equal(both_ways(s, KAAL_SYS_REPLY_RECV, EP, kaal_msginfo(2, 0, 1, 1), WORDS(7), caps, 1), SLOW);
    struct kd_message m = kd_message(c);
    assert_int_equal(m.label, 2);
    assert_int_equal(m.extra_caps, 0); /* no receive slot set: the cap did not go */
    assert_int_equal(c->state, THREAD_RUNNING);
}

static void test_reply_recv_falls_back_without_reply_cap(void **state)
{
    (void)state;
    world();
    struct tcb *s = thread(S, PRIO);
    assert_int_equal(reply_recv(s, EP, 2, WORDS(1)), SLOW); /* nothing to answer: a plain Recv */
    assert_int_equal(s->state, THREAD_BLOCKED_RECV);
}

static void test_reply_recv_falls_back_for_fault_reply(void **state)
{
    (void)state;
    world();
    struct tcb *c = thread(C, PRIO), *h = thread(H, PRIO);
    kt_set_fault_endpoint(C, FAULT_EP);
    recv(h, FAULT_EP);
    /* C sends on an empty slot: a cap fault, delivered to H as a Call. */
    assert_int_equal(both_ways(c, KAAL_SYS_SEND, EMPTY, 0, NO_WORDS, NULL, 0), SLOW);
    assert_waits_reply_from(c, h);
    assert_int_equal(c->fault.type, KAAL_FAULT_CAP);
    assert_int_equal(kd_message(h).label, KAAL_FAULT_CAP);

    assert_int_equal(reply_recv(h, FAULT_EP, KAAL_FAULT_RESUME, NO_WORDS), SLOW); /* the kernel reads it */
    assert_int_equal(c->state, THREAD_RUNNING);
    assert_int_equal(c->fault.type, 0);
    assert_true(c->ctx.restart); /* the syscall is retried */
    assert_int_equal(h->state, THREAD_BLOCKED_RECV);
}

static void test_reply_recv_falls_back_without_read(void **state)
{
    (void)state;
    struct tcb *s, *c;
    answer_setup(&s, &c);
    assert_int_equal(reply_recv(s, EP_WO, 2, WORDS(2)), SLOW);
    assert_message(c, 0, 2, 2); /* the reply went */
    assert_int_equal(s->state, THREAD_INACTIVE); /* then the Recv half was a cap fault, with no handler */
}

static void test_reply_recv_falls_back_on_other_caps(void **state)
{
    (void)state;
    struct tcb *s, *c;
    answer_setup(&s, &c);
    assert_int_equal(reply_recv(s, NTFN, 2, WORDS(2)), SLOW); /* Wait on the notification */
    assert_message(c, 0, 2, 2);
    assert_int_equal(s->state, THREAD_BLOCKED_NOTIFICATION);
}

static void test_reply_recv_falls_back_empty_slot(void **state)
{
    (void)state;
    struct tcb *s, *c;
    answer_setup(&s, &c);
    assert_int_equal(reply_recv(s, EMPTY, 2, WORDS(2)), SLOW);
    assert_message(c, 0, 2, 2);
    assert_int_equal(s->state, THREAD_INACTIVE);
}

static void test_reply_recv_falls_back_two_levels(void **state)
{
    (void)state;
    world();
    struct tcb *g = thread(G, PRIO), *c = thread(C, PRIO);
    recv(g, SHORT(EP));
    assert_int_equal(call(c, EP, 1, WORDS(1)), FAST);
    assert_int_equal(reply_recv(g, SHORT_TWO_LEVELS, 2, WORDS(2)), SLOW);
    assert_message(c, 0, 2, 2);
    assert_int_equal(g->state, THREAD_BLOCKED_RECV);
    assert_queue(&ep_at(EP)->queue, g);
}

static void test_reply_recv_falls_back_for_pending_notification(void **state)
{
    (void)state;
    world();
    struct tcb *s = thread(S, PRIO), *c = thread(C, PRIO);
    kaal_word_t ntfn[] = {NTFN};
    assert_ok(kt_invoke(S, KAAL_TCB_BIND_NOTIFICATION, NULL, 0, ntfn, 1));
    recv(s, EP);
    assert_int_equal(call(c, EP, 1, WORDS(1)), FAST);
    kt_act(kt_root_thread());
    kt_raw(KAAL_SYS_SEND, NTFN, 0, NULL, 0, NULL, 0); /* S is not in Recv: the word stays pending */
    assert_int_equal(notification_of(&kt_slot(NTFN)->cap)->word, 1);

    assert_int_equal(reply_recv(s, EP, 2, WORDS(2)), SLOW);
    assert_message(c, 0, 2, 2);
    assert_int_equal(s->state, THREAD_RUNNING); /* the Recv returned the word at once */
    assert_int_equal(hal_ctx_get(&s->ctx, HAL_REG_CPTR), 1);
    assert_int_equal(notification_of(&kt_slot(NTFN)->cap)->word, 0);
}

static void test_reply_recv_falls_back_for_queued_sender(void **state)
{
    (void)state;
    world();
    struct tcb *s = thread(S, PRIO), *c = thread(C, PRIO), *d = thread(D, PRIO);
    recv(s, EP);
    assert_int_equal(call(c, EP, 1, WORDS(1)), FAST);
    assert_int_equal(call(d, EP_BADGED, 3, WORDS(3)), SLOW); /* S is busy: D queues */
    assert_int_equal(reply_recv(s, EP, 2, WORDS(2)), SLOW);
    assert_message(c, 0, 2, 2);
    assert_message(s, 0xbad, 3, 3); /* took D's message at once */
    assert_waits_reply_from(d, s);
    assert_int_equal(s->state, THREAD_RUNNING);
}

/* ---- random syscalls, each run both ways ---- */

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint64_t below(uint64_t n) { return rnd() % n; }

/*
 * Five threads (S, C, D at one priority or another, G with the two-level CSpace, H the fault handler
 * of C and D), S bound to the notification, the root thread at the bottom. Each step one runnable
 * thread makes a syscall: mostly its part (S and D serve EP, C and G call it, H answers faults),
 * else any syscall on any cap of the world; a few CPtrs broken, messages of 0 to 6 words, some with
 * an extra cap. When no thread can run, and now and then anyway, the root thread suspends and
 * resumes one.
 */
static void random_run(uint64_t seed, unsigned steps, const kaal_word_t prios[3])
{
    rng = seed;
    world();
    static const kaal_word_t slots[] = {S, C, D, G, H};
    struct tcb *t[ARRAY_SIZE(slots)];
    for (size_t i = 0; i < ARRAY_SIZE(slots); i++)
        t[i] = thread(slots[i], i < 3 ? prios[i] : PRIO);
    kt_set_fault_endpoint(C, FAULT_EP);
    kt_set_fault_endpoint(D, FAULT_EP);
    kaal_word_t ntfn[] = {NTFN};
    assert_ok(kt_invoke(S, KAAL_TCB_BIND_NOTIFICATION, NULL, 0, ntfn, 1));
    root_priority(0);

    static const kaal_word_t caps[] = {EP, EP, EP, EP_BADGED, EP_RO, EP_WO, EP_NO_GR, EP2, NTFN, FAULT_EP, EMPTY};
    static const kaal_word_t sysnos[] = {
        KAAL_SYS_CALL, KAAL_SYS_CALL, KAAL_SYS_CALL, KAAL_SYS_REPLY_RECV, KAAL_SYS_REPLY_RECV,
        KAAL_SYS_REPLY_RECV, KAAL_SYS_RECV, KAAL_SYS_SEND, KAAL_SYS_NB_SEND, KAAL_SYS_NB_RECV,
        KAAL_SYS_REPLY, KAAL_SYS_YIELD,
    };
    unsigned fast = 0, slow = 0;
    for (unsigned step = 0; step < steps; step++) {
        struct tcb *runnable[ARRAY_SIZE(slots)];
        size_t n = 0;
        for (size_t i = 0; i < ARRAY_SIZE(slots); i++) {
            if (t[i]->state == THREAD_RUNNING)
                runnable[n++] = t[i];
        }
        if (n == 0 || below(50) == 0) {
            size_t i = below(ARRAY_SIZE(slots));
            kt_act(kt_root_thread());
            if (t[i]->state != THREAD_INACTIVE)
                assert_ok(kt_invoke(slots[i], KAAL_TCB_SUSPEND, NULL, 0, NULL, 0));
            kt_act(kt_root_thread()); /* the scheduler may have picked another thread */
            assert_ok(kt_invoke(slots[i], KAAL_TCB_RESUME, NULL, 0, NULL, 0));
            continue;
        }
        struct tcb *actor = runnable[below(n)];
        kaal_word_t sysno = sysnos[below(ARRAY_SIZE(sysnos))];
        kaal_word_t cptr = caps[below(ARRAY_SIZE(caps))];
        if (below(4) != 0) {
            /* Mostly, each thread plays its part: S and D serve EP, C and G call it, H handles faults. */
            bool server = actor == t[0] || actor == t[2] || actor == t[4];
            sysno = server ? (below(6) == 0 ? KAAL_SYS_RECV : KAAL_SYS_REPLY_RECV) : KAAL_SYS_CALL;
            cptr = actor == t[4] ? FAULT_EP : below(3) == 0 ? EP_BADGED : EP;
        }
        if (actor == t[3]) /* G: one level with bits left over, or two levels */
            cptr = below(4) == 0 ? SHORT_TWO_LEVELS : SHORT(cptr) | below(1u << 20);
        if (below(40) == 0)
            cptr ^= (kaal_word_t)1 << below(64); /* a broken CPtr */
        kaal_word_t length = below(10) == 0 ? 5 + below(2) : below(5);
        kaal_word_t extra = below(15) == 0 ? 1 : 0;
        kaal_word_t label = below(3);
        kaal_word_t words[6], extra_caps[1] = {below(2) ? EP : NTFN};
        for (size_t i = 0; i < ARRAY_SIZE(words); i++)
            words[i] = rnd();
        enum path path = both_ways(actor, sysno, cptr, kaal_msginfo(label, below(8), extra, length), words,
                                   (unsigned)length, extra_caps, 1);
        if (path == FAST)
            fast++;
        else
            slow++;
    }
    print_message("seed 0x%lx: %u syscalls by the fastpath, %u by the slow path (calls %lu, reply-recvs %lu so far)\n",
                  (unsigned long)seed, fast, slow, (unsigned long)fastpath_stats.call,
                  (unsigned long)fastpath_stats.reply_recv);
    assert_true(fast > steps / 10);
    assert_true(slow > steps / 10);
}

static void test_random_syscalls_equal_prios(void **state)
{
    (void)state;
    random_run(0x1234567, 4000, (const kaal_word_t[]){PRIO, PRIO, PRIO});
}

static void test_random_syscalls_mixed_prios(void **state)
{
    (void)state;
    random_run(0xfeedbeef, 4000, (const kaal_word_t[]){PRIO + 20, PRIO, 63});
}

static void test_random_syscalls_server_below_clients(void **state)
{
    (void)state;
    random_run(0xabcdef01, 4000, (const kaal_word_t[]){64, 200, 200});
}

#define T(name) cmocka_unit_test_setup_teardown(name, fp_setup, fp_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_round_trips_take_the_fastpath),
        T(test_every_length_up_to_four_and_registers_beyond_it_kept),
        T(test_label_bits_kept_and_unwrapped_bits_dropped),
        T(test_badge_and_grant_reply_go_as_in_the_slow_path),
        T(test_any_priorities_schedule_as_the_slow_path),
        T(test_thread_not_at_the_head_of_its_queue),
        T(test_other_receivers_stay_queued),
        T(test_bound_notification_without_word),
        T(test_one_level_with_bits_left_over),
        T(test_call_falls_back_long_message),
        T(test_call_falls_back_extra_caps),
        T(test_call_falls_back_without_write),
        T(test_call_falls_back_on_other_caps),
        T(test_call_falls_back_guard_mismatch),
        T(test_call_falls_back_two_levels),
        T(test_call_falls_back_without_cspace),
        T(test_call_falls_back_without_receiver),
        T(test_call_falls_back_when_reply_slot_is_in_use),
        T(test_switched_off_fastpath_falls_back),
        T(test_reply_recv_falls_back_long_reply),
        T(test_reply_recv_falls_back_extra_caps),
        T(test_reply_recv_falls_back_without_reply_cap),
        T(test_reply_recv_falls_back_for_fault_reply),
        T(test_reply_recv_falls_back_without_read),
        T(test_reply_recv_falls_back_on_other_caps),
        T(test_reply_recv_falls_back_empty_slot),
        T(test_reply_recv_falls_back_two_levels),
        T(test_reply_recv_falls_back_for_pending_notification),
        T(test_reply_recv_falls_back_for_queued_sender),
        T(test_random_syscalls_equal_prios),
        T(test_random_syscalls_mixed_prios),
        T(test_random_syscalls_server_below_clients),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#else

int main(void)
{
    printf("test_fastpath: skipped (needs a kernel built with KAAL_DEBUG)\n");
    return 0;
}

#endif
