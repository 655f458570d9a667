/*
 * Deterministic runs: on virtual time, two threads of equal priority that
 * share the CPU by timeslice interleave exactly the same way run after run
 * with one seed, and differently with another; the kernel's clock starts at
 * zero and only kernel entries move it; the idle hook ends a run that has
 * nothing left to do.
 */
#define _GNU_SOURCE
#include <string.h>

#include <kaal/hal/timer.h>
#include <kaal/kaal.h>
#include <kaal/sim/engine.h>

#include "sim_test.h"

#define ROOT KAAL_ROOT_SLOT_CNODE
#define STEPS 20000u /* per worker: several 5 ms timeslices at 1-2 us per kernel entry */

static struct {
    kaal_word_t switches;             /* times the trace changed hands */
    unsigned char last;
    uint64_t hash;                    /* of the whole sequence of (worker, step) */
    kaal_cptr_t done;
    volatile unsigned finished;
} run;

static void record(unsigned char who)
{
    if (who != run.last)
        run.switches++;
    run.last = who;
    run.hash = (run.hash ^ who) * 0x100000001b3ull;
}

static void worker(kaal_word_t who, kaal_word_t unused1, kaal_word_t unused2)
{
    (void)unused1, (void)unused2;
    for (unsigned i = 0; i < STEPS; i++) {
        struct kaal_thread_info info;
        kaal_tcb_get_info(KAAL_ROOT_SLOT_TCB, &info); /* a kernel entry: moves the virtual clock */
        record((unsigned char)who);
    }
    run.finished++;
    kaal_signal(run.done);
    for (;;)
        kaal_wait(run.done + 1);
}

static void root(kaal_word_t ipc_buffer, kaal_word_t bootinfo, kaal_word_t unused)
{
    (void)ipc_buffer, (void)unused;
    const struct kaal_bootinfo *bi = (const struct kaal_bootinfo *)(uintptr_t)bootinfo;
    kaal_cptr_t ut = kaal_bootinfo_largest_untyped(bi);
    kaal_word_t s = bi->empty.start;
    kaal_cptr_t done = s, never = s + 1;
    run.done = done;
    int err = kaal_untyped_retype(ut, KAAL_OBJ_NOTIFICATION, 0, ROOT, 0, 0, done, 2);
    EXPECT(err == KAAL_OK);
    EXPECT(hal_timer_now_ns() < 1000000u); /* virtual: boot took a few kernel entries, not host time */
    err = err ? err : kaal_thread_spawn(ut, s + 2, 100, worker, 1);
    err = err ? err : kaal_thread_spawn(ut, s + 5, 100, worker, 2);
    EXPECT(err == KAAL_OK);
    /* The workers run while this (higher-priority) thread waits for both to finish. */
    while (run.finished < 2)
        kaal_wait(done);
    EXPECT(hal_timer_now_ns() >= 2u * STEPS * 1000u); /* each entry moved the clock by at least 1 us */
    /* Nothing left to run: block for good; the idle hook ends the run. */
    kaal_wait(never);
}

static int idle_calls;
static bool idle_end(void *ctx)
{
    (void)ctx;
    idle_calls++;
    return false;
}

static void one_run(uint64_t seed, kaal_word_t *switches, uint64_t *hash)
{
    memset(&run, 0, sizeof run);
    run.hash = 0xcbf29ce484222325ull;
    idle_calls = 0;
    sim_set_virtual_time(&(struct sim_virtual_time){.seed = seed, .idle = idle_end});
    EXPECT(sim_boot(16u << 20) == 0);
    EXPECT(sim_run(root) == 0);
    EXPECT(idle_calls == 1);
    *switches = run.switches;
    *hash = run.hash;
}

int main(void)
{
    sim_test_name = "test_sim_deterministic";
    sim_test_watchdog(120);
    kaal_word_t s1, s2, s3;
    uint64_t h1, h2, h3;
    one_run(1, &s1, &h1);
    one_run(1, &s2, &h2);
    one_run(2, &s3, &h3);
    printf("test_sim_deterministic: seed 1: %lu hand-overs (hash %016llx), again %lu (%016llx); seed 2: %lu (%016llx)\n",
           (unsigned long)s1, (unsigned long long)h1, (unsigned long)s2, (unsigned long long)h2, (unsigned long)s3,
           (unsigned long long)h3);
    EXPECT(s1 >= 4);       /* timeslices did end: the threads took turns several times */
    EXPECT(h1 == h2);      /* the same seed: the same interleaving, step for step */
    EXPECT(s1 == s2);
    EXPECT(h1 != h3);      /* another seed: the slices end elsewhere */
    printf("test_sim_deterministic: %s\n", sim_test_failures == 0 ? "ok" : "FAILED");
    return sim_test_failures == 0 ? 0 : 1;
}
