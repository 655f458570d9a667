/*
 * The sim backend end to end: component threads on host threads, every
 * syscall through libkaal and the sim engine (hal-sim/engine.c), so each
 * time includes the engine's host-thread handoff and the core's own path.
 *
 *   sim_call_replyrecv  one client Call and one server ReplyRecv (one word each way);
 *   sim_notify_wake     thread A signals notification 1 and waits on notification 2,
 *                       thread B waits on 1 and signals 2: one round trip A->B->A;
 *   sim_null_syscall    a Poll (NBRecv) on a notification nobody signals: no handoff;
 *   sim_yield           two threads of one priority, each yielding in a loop: one round
 *                       trip is A's yield to B and B's yield back (two context switches).
 *
 * The three with a handoff are per round trip (two handoffs), as the peer's
 * futex round trip is; sim_null_syscall is per syscall. Each measurement
 * boots its own system (sim_boot, sim_run): the root thread makes the
 * threads, at one priority, and suspends itself; the measuring thread
 * samples batches (bench_sample) from inside the system, then halts it.
 *
 * Options: --seconds S (per measurement, 1.0), --batch N (round trips per
 * sample, 1000), --peer NAME=MEAN, --only NAME (one measurement);
 * --server-work NS: the server of sim_call_replyrecv computes (spins on the
 * clock) for NS ns per request, and the line is named
 * sim_call_replyrecv_work instead: how the handoff copes with long waits
 * (docs/sim.md, "Handoff"; not part of ./kaal bench).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include <kaal/kaal.h>
#include <kaal/sim/engine.h>

#include "bench.h"

#define ROOT KAAL_ROOT_SLOT_CNODE
#define DEPTH 64u
#define PRIORITY 100u
#define RAM_BYTES (16u << 20)

typedef void entry_fn(kaal_word_t, kaal_word_t, kaal_word_t);

/* What the running system measures; set by main before each sim_run, read after. */
static struct {
    struct bench_plan plan;
    struct bench_result *r;
    kaal_cptr_t ep, ntfn1, ntfn2; /* slots in the root CNode, shared by every thread */
    uint64_t server_work_ns;               /* sim_call_replyrecv: the server's work per request */
    volatile unsigned long partner_rounds; /* sim_yield: the partner's loop count, a check */
    unsigned long wrong;                   /* answers that were not what was sent */
} sys;

/* ---- sim_call_replyrecv ---- */

static void server(kaal_word_t a0, kaal_word_t a1, kaal_word_t a2)
{
    (void)a0, (void)a1, (void)a2;
    kaal_word_t badge;
    kaal_recv(sys.ep, &badge);
    for (;;) {
        if (sys.server_work_ns != 0) {
            uint64_t until = bench_now_ns() + sys.server_work_ns;
            while (bench_now_ns() < until)
                ;
        }
        kaal_set_mr(0, kaal_get_mr(0) + badge);
        kaal_reply_recv(sys.ep, kaal_msginfo(0, 0, 0, 1), &badge);
    }
}

static void calls(void *ctx, uint64_t n)
{
    kaal_word_t badge = *(kaal_word_t *)ctx;
    for (uint64_t i = 0; i < n; i++) {
        kaal_set_mr(0, i);
        kaal_word_t info = kaal_call(sys.ep + 1, kaal_msginfo(5, 0, 0, 1));
        if (kaal_msginfo_length(info) != 1 || kaal_get_mr(0) != i + badge)
            sys.wrong++;
    }
}

static void client(kaal_word_t badge, kaal_word_t a1, kaal_word_t a2)
{
    (void)a1, (void)a2;
    bench_sample(&sys.plan, calls, &badge, sys.r);
    sim_halt(0);
}

/* ---- sim_notify_wake ---- */

static void waker(kaal_word_t a0, kaal_word_t a1, kaal_word_t a2)
{
    (void)a0, (void)a1, (void)a2;
    for (;;) {
        kaal_wait(sys.ntfn1);
        kaal_signal(sys.ntfn2);
    }
}

static void notifies(void *ctx, uint64_t n)
{
    (void)ctx;
    for (uint64_t i = 0; i < n; i++) {
        kaal_signal(sys.ntfn1);
        if (kaal_wait(sys.ntfn2) == 0)
            sys.wrong++;
    }
}

static void notifier(kaal_word_t a0, kaal_word_t a1, kaal_word_t a2)
{
    (void)a0, (void)a1, (void)a2;
    bench_sample(&sys.plan, notifies, NULL, sys.r);
    sim_halt(0);
}

/* ---- sim_null_syscall ---- */

static void polls(void *ctx, uint64_t n)
{
    (void)ctx;
    for (uint64_t i = 0; i < n; i++) {
        if (kaal_poll(sys.ntfn1) != 0)
            sys.wrong++;
    }
}

static void poller(kaal_word_t a0, kaal_word_t a1, kaal_word_t a2)
{
    (void)a0, (void)a1, (void)a2;
    bench_sample(&sys.plan, polls, NULL, sys.r);
    sim_halt(0);
}

/* ---- sim_yield ---- */

static void yield_partner(kaal_word_t a0, kaal_word_t a1, kaal_word_t a2)
{
    (void)a0, (void)a1, (void)a2;
    for (;;) {
        sys.partner_rounds++;
        kaal_yield();
    }
}

static void yields(void *ctx, uint64_t n)
{
    unsigned long *mine = ctx;
    for (uint64_t i = 0; i < n; i++) {
        kaal_yield();
        ++*mine;
    }
}

static void yielder(kaal_word_t a0, kaal_word_t a1, kaal_word_t a2)
{
    (void)a0, (void)a1, (void)a2;
    unsigned long mine = 0, before = sys.partner_rounds;
    bench_sample(&sys.plan, yields, &mine, sys.r);
    /* Each of our yields must have let the partner run once: else nothing was switched. */
    unsigned long theirs = sys.partner_rounds - before;
    if (theirs + 1 < mine || theirs > mine + 1)
        sys.wrong += mine > theirs ? mine - theirs : theirs - mine;
    sim_halt(0);
}

/* ---- the systems ---- */

/* One measurement's system: the passive thread first (it waits), then the measuring one. */
struct system {
    const char *name;
    entry_fn *partner; /* NULL: the measuring thread is alone */
    entry_fn *measurer;
};

static const struct system *current;

static void root(kaal_word_t ipc_buffer, kaal_word_t bootinfo, kaal_word_t unused)
{
    (void)ipc_buffer, (void)unused;
    const struct kaal_bootinfo *bi = (const struct kaal_bootinfo *)(uintptr_t)bootinfo;
    kaal_cptr_t ut = kaal_bootinfo_largest_untyped(bi);
    kaal_word_t slot = bi->empty.start;
    sys.ep = slot;           /* the endpoint, and at ep + 1 a badged copy (badge 7) */
    sys.ntfn1 = slot + 2;
    sys.ntfn2 = slot + 3;
    int err = kaal_untyped_retype(ut, KAAL_OBJ_ENDPOINT, 0, ROOT, 0, 0, sys.ep, 1);
    err = err ? err : kaal_cnode_mint(ROOT, sys.ep + 1, DEPTH, ROOT, sys.ep, DEPTH, KAAL_RIGHTS_ALL, 7);
    err = err ? err : kaal_untyped_retype(ut, KAAL_OBJ_NOTIFICATION, 0, ROOT, 0, 0, sys.ntfn1, 2);
    if (current->partner != NULL)
        err = err ? err : kaal_thread_spawn(ut, slot + 4, PRIORITY, current->partner, 0);
    err = err ? err : kaal_thread_spawn(ut, slot + 7, PRIORITY, current->measurer, 7);
    if (err != KAAL_OK) {
        fprintf(stderr, "%s: setting up %s failed with error %d\n", bench_program, current->name, err);
        sim_halt(2);
    }
    kaal_tcb_suspend(KAAL_ROOT_SLOT_TCB); /* the threads run on their own; the measuring one halts */
}

static const struct system systems[] = {
    {"sim_call_replyrecv", server, client},
    {"sim_notify_wake", waker, notifier},
    {"sim_null_syscall", NULL, poller},
    {"sim_yield", yield_partner, yielder},
};

int main(int argc, char **argv)
{
    bench_program = argv[0];
    struct bench_plan plan = {.batch = 1000, .warmup = 3, .min_batches = 10, .max_batches = 20000, .seconds = 1.0};
    struct bench_result peer = {0};
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (bench_arg_u64(argc, argv, &i, "--batch", &plan.batch) ||
            bench_arg_double(argc, argv, &i, "--seconds", &plan.seconds) || bench_arg_peer(argc, argv, &i, &peer))
            continue;
        uint64_t work;
        if (bench_arg_u64(argc, argv, &i, "--server-work", &work)) {
            sys.server_work_ns = work;
            continue;
        }
        if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
            continue;
        }
        bench_die("unknown option '%s' (options: --seconds S, --batch N, --peer NAME=MEAN, --only NAME, "
                  "--server-work NS)",
                  argv[i]);
    }

    int found = 0;
    for (size_t k = 0; k < sizeof systems / sizeof systems[0]; k++) {
        if (only != NULL && strcmp(only, systems[k].name) != 0)
            continue;
        found = 1;
        const char *name = systems[k].name;
        if (sys.server_work_ns != 0 && systems[k].partner == server)
            name = "sim_call_replyrecv_work";
        struct bench_result r = {.name = name, .backend = "sim", .unit = "ns", .peer = peer.peer,
                                 .peer_mean = peer.peer_mean};
        current = &systems[k];
        sys.plan = plan;
        sys.r = &r;
        sys.wrong = 0;
        sys.partner_rounds = 0;
        if (sim_boot(RAM_BYTES) != 0)
            bench_die("the sim did not boot");
        int status = sim_run(root);
        if (status != 0)
            bench_die("%s: the system halted with status %d", systems[k].name, status);
        if (sys.wrong != 0)
            bench_die("%s: %lu wrong answers", systems[k].name, sys.wrong);
        bench_print(&r);
    }
    if (!found)
        bench_die("no measurement named '%s'", only);
    return 0;
}
