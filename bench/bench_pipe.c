/*
 * linux_pipe_pingpong: two threads, two pipes, one byte each way per round
 * trip; not pinned (the scheduler places them). The classic handoff, for
 * comparison with the futex one the sim uses.
 *
 * Options: --batch N (round trips per sample, 1000), --seconds S (1.5),
 * --peer NAME=MEAN (the yardstick's mean from earlier in the same run; see README.md).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <unistd.h>

#include "bench.h"

static int to_pong[2], to_ping[2]; /* [0] read end, [1] write end */

static void put(int fd, char c)
{
    if (write(fd, &c, 1) != 1)
        bench_die("pipe write failed");
}

static char get(int fd)
{
    char c;
    if (read(fd, &c, 1) != 1)
        bench_die("pipe read failed");
    return c;
}

/* The partner: echo each byte back; 'q' ends it. */
static void *pong(void *arg)
{
    (void)arg;
    for (;;) {
        char c = get(to_pong[0]);
        if (c == 'q')
            return NULL;
        put(to_ping[1], c);
    }
}

static void ping(void *ctx, uint64_t n)
{
    (void)ctx;
    for (uint64_t i = 0; i < n; i++) {
        put(to_pong[1], 't');
        get(to_ping[0]);
    }
}

int main(int argc, char **argv)
{
    bench_program = argv[0];
    struct bench_plan plan = {.batch = 1000, .warmup = 3, .min_batches = 10, .max_batches = 2000, .seconds = 1.5};
    struct bench_result r = {.name = "linux_pipe_pingpong", .backend = "linux", .unit = "ns"};
    for (int i = 1; i < argc; i++) {
        if (bench_arg_u64(argc, argv, &i, "--batch", &plan.batch) ||
            bench_arg_double(argc, argv, &i, "--seconds", &plan.seconds) || bench_arg_peer(argc, argv, &i, &r))
            continue;
        bench_die("unknown option '%s' (options: --batch N, --seconds S, --peer NAME=MEAN)", argv[i]);
    }
    if (pipe(to_pong) != 0 || pipe(to_ping) != 0)
        bench_die("cannot create the pipes");
    pthread_t partner;
    if (pthread_create(&partner, NULL, pong, NULL) != 0)
        bench_die("cannot create the partner thread");

    bench_sample(&plan, ping, NULL, &r);

    put(to_pong[1], 'q');
    pthread_join(partner, NULL);
    bench_print(&r);
    return 0;
}
