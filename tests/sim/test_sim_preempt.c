/*
 * Preemption on the sim: a component that never enters the kernel (a busy
 * loop, tests/sim/components/busy.c) still loses the CPU, by signal, when an
 * interrupt line stays pending. One system, booted twice in this process:
 *   - a spinner and a worker of the same priority, neither making a
 *     syscall: the worker finishes its computation (round robin by timer
 *     ticks), and the spinner's counter moves while the worker is in the
 *     middle of it (the worker itself was preempted);
 *   - the safe-point rule: each round the spinner also runs for a while in
 *     a function of this program (host code, not a component's); the
 *     signal often finds it there, but it is never preempted there: no
 *     other thread ever runs while the spinner is inside;
 *   - then, with only the spinner runnable, a device thread raises an
 *     interrupt line whose notification a higher-priority thread waits on:
 *     that thread runs within a few milliseconds;
 *   - the root halts the machine while the spinner still has work to do
 *     (preempted, parked inside the signal handler): sim_run returns and
 *     the spinner's thread is gone.
 */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdlib.h>

#include <kaal/kaal.h>
#include <kaal/sim/component.h>
#include <kaal/sim/engine.h>

#include "sim_test.h"

#define ROOT KAAL_ROOT_SLOT_CNODE
#define DEPTH 64u
#define IRQ_LINE 5u
#define WORK_CPU_NS 60000000u     /* the worker's computation: 60 ms of CPU */
#define DEVICE_DELAY_NS 20000000u /* the device raises its line 20 ms after the root arms it */
#define LATENCY_LIMIT_NS 200000000u

static struct sim_component spinner, worker;
static volatile kaal_word_t *spins;

static kaal_cptr_t irq_ntfn, irq_handler, high_done;
static _Atomic int device_armed;
static _Atomic uint64_t raised_ns;
static volatile uint64_t high_ran_ns;
static volatile int spinner_in_host; /* 1 while the spinner runs host_busy() */
static volatile unsigned ran_beside_host; /* a thread ran while the spinner was inside host_busy() */

/* Results of a round, printed by main. */
static uint64_t work_wall_ns, irq_latency_ns;
static kaal_word_t worker_saw_moves;

/* Host code the spinner calls in each round: about 20 us outside any component. */
static void host_busy(void)
{
    spinner_in_host = 1;
    uint64_t end = sim_test_now_ns() + 20000u;
    while (sim_test_now_ns() < end)
        ;
    spinner_in_host = 0;
}

/* The higher-priority thread (test code): each interrupt, note the time and tell the root. */
static void high(kaal_word_t unused0, kaal_word_t unused1, kaal_word_t unused2)
{
    (void)unused0, (void)unused1, (void)unused2;
    for (;;) {
        kaal_wait(irq_ntfn);
        high_ran_ns = sim_test_now_ns();
        ran_beside_host += spinner_in_host;
        kaal_irq_handler_ack(irq_handler);
        kaal_signal(high_done);
    }
}

/* A device model on a plain host thread: once armed, raise the line after a while. */
static void *device(void *arg)
{
    (void)arg;
    while (!atomic_load(&device_armed))
        sim_test_sleep_ns(1000000u);
    sim_test_sleep_ns(DEVICE_DELAY_NS);
    atomic_store(&raised_ns, sim_test_now_ns());
    sim_irq_raise(IRQ_LINE);
    return NULL;
}

static sim_test_entry symbol(const struct sim_component *c, const char *name)
{
    return (sim_test_entry)sim_component_symbol(c, name);
}

static void root(kaal_word_t ipc_buffer, kaal_word_t bootinfo, kaal_word_t unused)
{
    (void)ipc_buffer, (void)unused;
    const struct kaal_bootinfo *bi = (const struct kaal_bootinfo *)(uintptr_t)bootinfo;
    kaal_cptr_t ut = kaal_bootinfo_largest_untyped(bi);
    kaal_word_t s = bi->empty.start;
    kaal_cptr_t done = s, park = s + 3;
    high_done = s + 1;
    irq_ntfn = s + 2;
    irq_handler = s + 4;
    int err = kaal_untyped_retype(ut, KAAL_OBJ_NOTIFICATION, 0, ROOT, 0, 0, s, 4);
    err = err ? err : kaal_irq_control_get(KAAL_ROOT_SLOT_IRQ_CONTROL, IRQ_LINE, ROOT, irq_handler, DEPTH);
    err = err ? err : kaal_irq_handler_set_notification(irq_handler, irq_ntfn);
    err = err ? err : sim_test_spawn(ut, s + 8, 150, 0, high, 0, 0, 0);
    err = err ? err : sim_test_spawn(ut, s + 11, 100, 0, symbol(&spinner, "spin"), 0, 0, 0);
    err = err ? err : sim_test_spawn(ut, s + 14, 100, 0, symbol(&worker, "work"), done, park, 0);
    EXPECT(err == KAAL_OK);

    /* Round robin between two threads that never enter the kernel. */
    uint64_t t0 = sim_test_now_ns();
    kaal_wait(done);
    work_wall_ns = sim_test_now_ns() - t0;
    worker_saw_moves = *(volatile kaal_word_t *)sim_component_symbol(&worker, "watched_moves");
    EXPECT(*(volatile kaal_word_t *)sim_component_symbol(&worker, "worked") == 1);
    EXPECT(worker_saw_moves > 0); /* the spinner ran while the worker was in the middle of its loop */
    EXPECT(*spins > 0);
    EXPECT(*(volatile kaal_word_t *)sim_component_symbol(&worker, "flag_seen") == 0);
    ran_beside_host += spinner_in_host;

    /* Only the spinner runs now; an interrupt must still reach the higher-priority thread. */
    kaal_word_t spins_before = *spins;
    atomic_store(&device_armed, 1);
    kaal_wait(high_done);
    uint64_t raised = atomic_load(&raised_ns);
    EXPECT(raised != 0 && high_ran_ns > raised);
    irq_latency_ns = high_ran_ns - raised;
    EXPECT(irq_latency_ns < LATENCY_LIMIT_NS);
    EXPECT(*spins > spins_before); /* the spinner had the CPU meanwhile */
    ran_beside_host += spinner_in_host;
    EXPECT(ran_beside_host == 0);

    /* Halt with the spinner preempted in the middle of its loop. */
    sim_halt(0);
}

static void round_of(unsigned round)
{
    if (sim_component_load(BUSY_PATH, "spinner", &spinner) != 0 ||
        sim_component_load(BUSY_PATH, "worker", &worker) != 0 || sim_boot(16u << 20) != 0) {
        EXPECT(!"loading the components or booting");
        exit(2);
    }
    spins = (volatile kaal_word_t *)sim_component_symbol(&spinner, "spins");
    *(uint64_t *)sim_component_symbol(&worker, "work_cpu_ns") = WORK_CPU_NS;
    *(volatile kaal_word_t **)sim_component_symbol(&worker, "watched") = spins;
    *(volatile int **)sim_component_symbol(&worker, "watched_flag") = &spinner_in_host;
    *(void (**)(void))sim_component_symbol(&spinner, "host_call") = host_busy;
    ran_beside_host = 0;
    atomic_store(&device_armed, 0);
    atomic_store(&raised_ns, 0);
    pthread_t dev;
    EXPECT(pthread_create(&dev, NULL, device, NULL) == 0);

    int status = sim_run(root);
    EXPECT(status == 0);
    pthread_join(dev, NULL);
    struct sim_signal_stats st;
    sim_signal_stats(&st);
    EXPECT(st.preemptions >= 2);
    EXPECT(st.kicks >= st.preemptions);
    EXPECT(st.deferred > 0); /* the signal did find the spinner in host code, and left it */

    /* The spinner's host thread has ended: its counter stands still. */
    kaal_word_t after = *spins;
    sim_test_sleep_ns(20000000u);
    EXPECT(*spins == after);

    printf("%s: round %u: the worker's %.0f ms of CPU took %.1f ms beside the spinner (saw it move %lu times); "
           "interrupt to the higher-priority thread: %.2f ms; %lu signals, %lu preemptions, %lu found outside "
           "component code\n",
           sim_test_name, round, WORK_CPU_NS / 1e6, (double)work_wall_ns / 1e6, (unsigned long)worker_saw_moves,
           (double)irq_latency_ns / 1e6, (unsigned long)st.kicks, (unsigned long)st.preemptions,
           (unsigned long)st.deferred);
    sim_component_unload(&spinner);
    sim_component_unload(&worker);
}

int main(void)
{
    sim_test_name = "test_sim_preempt";
    sim_test_watchdog(60);
    for (unsigned round = 0; round < 2; round++)
        round_of(round);
    printf("%s: %s\n", sim_test_name, sim_test_failures == 0 ? "ok" : "FAILED");
    return sim_test_failures == 0 ? 0 : 1;
}
