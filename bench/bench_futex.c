/*
 * linux_futex_pingpong_pinned and linux_futex_pingpong: two threads hand a
 * token back and forth through one futex word; a round trip is there and
 * back (two wake-ups, two waits). This is the host handoff the sim backend
 * is built on (DESIGN.md section 5): the pinned form, both threads on one
 * CPU, is the yardstick every other time is divided by; the unpinned form
 * shows why the sim pins (a wake-up of a thread asleep on the other vCPU).
 *
 * Prints two JSON lines: pinned (no peer), then unpinned (peer: the pinned
 * result measured just before in this process).
 *
 * Options: --batch N (round trips per sample, 1000), --seconds S (per
 * measurement, 1.5), --cpu N (the CPU to pin to; default: where we start).
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

enum turn { PING, PONG, STOP };

static _Atomic uint32_t turn;

static void futex_wait(uint32_t expected)
{
    /* Returns at once if the word already moved on (EAGAIN); spurious wake-ups are re-checked by the caller. */
    syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake(void)
{
    syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* The partner: wait for the token, hand it back; until told to stop. */
static void *pong(void *arg)
{
    (void)arg;
    for (;;) {
        uint32_t v;
        while ((v = atomic_load_explicit(&turn, memory_order_acquire)) == PING)
            futex_wait(PING);
        if (v == STOP)
            return NULL;
        atomic_store_explicit(&turn, PING, memory_order_release);
        futex_wake();
    }
}

/* n round trips from the measuring thread's side. */
static void ping(void *ctx, uint64_t n)
{
    (void)ctx;
    for (uint64_t i = 0; i < n; i++) {
        atomic_store_explicit(&turn, PONG, memory_order_release);
        futex_wake();
        while (atomic_load_explicit(&turn, memory_order_acquire) == PONG)
            futex_wait(PONG);
    }
}

/* Measure with both threads restricted to cpus (the measuring thread's own mask is set, then restored). */
static void measure(const cpu_set_t *cpus, const struct bench_plan *plan, struct bench_result *r)
{
    cpu_set_t saved;
    if (pthread_getaffinity_np(pthread_self(), sizeof saved, &saved) != 0 ||
        pthread_setaffinity_np(pthread_self(), sizeof *cpus, cpus) != 0)
        bench_die("cannot set the CPU affinity");
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setaffinity_np(&attr, sizeof *cpus, cpus);
    atomic_store(&turn, PING);
    pthread_t partner;
    if (pthread_create(&partner, &attr, pong, NULL) != 0)
        bench_die("cannot create the partner thread");
    pthread_attr_destroy(&attr);

    bench_sample(plan, ping, NULL, r);

    atomic_store(&turn, STOP);
    futex_wake();
    pthread_join(partner, NULL);
    pthread_setaffinity_np(pthread_self(), sizeof saved, &saved);
}

int main(int argc, char **argv)
{
    bench_program = argv[0];
    struct bench_plan plan = {.batch = 1000, .warmup = 3, .min_batches = 10, .max_batches = 2000, .seconds = 1.5};
    uint64_t cpu = 0;
    int have_cpu = 0;
    for (int i = 1; i < argc; i++) {
        if (bench_arg_u64(argc, argv, &i, "--batch", &plan.batch) ||
            bench_arg_double(argc, argv, &i, "--seconds", &plan.seconds))
            continue;
        if (strcmp(argv[i], "--cpu") == 0) {
            /* CPU 0 is a valid answer, so not bench_arg_u64 (which wants a positive number). */
            unsigned long long n;
            if (i + 1 >= argc || sscanf(argv[i + 1], "%llu", &n) != 1 || argv[i + 1][0] == '-')
                bench_die("--cpu needs a CPU number");
            cpu = n;
            have_cpu = 1;
            i++;
            continue;
        }
        bench_die("unknown option '%s' (options: --batch N, --seconds S, --cpu N)", argv[i]);
    }

    cpu_set_t all;
    if (sched_getaffinity(0, sizeof all, &all) != 0)
        bench_die("cannot read the CPU affinity");
    if (!have_cpu) {
        int here = sched_getcpu();
        cpu = here < 0 ? 0 : (uint64_t)here;
    }
    if (cpu >= CPU_SETSIZE || !CPU_ISSET((int)cpu, &all))
        bench_die("CPU %llu is not one this process may run on", (unsigned long long)cpu);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET((int)cpu, &one);

    struct bench_result pinned = {.name = "linux_futex_pingpong_pinned", .backend = "linux", .unit = "ns"};
    measure(&one, &plan, &pinned);
    bench_print(&pinned);

    struct bench_result unpinned = {.name = "linux_futex_pingpong", .backend = "linux", .unit = "ns",
                                    .peer = pinned.name, .peer_mean = pinned.mean};
    measure(&all, &plan, &unpinned);
    bench_print(&unpinned);
    return 0;
}
