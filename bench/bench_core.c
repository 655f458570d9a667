/*
 * core_call_replyrecv and core_null_syscall: the kernel core's own cost,
 * with no host threads: one process, the core over the HAL test double,
 * syscalls entered by direct calls (see core_loops.c for what one syscall
 * costs us besides the kernel).
 *
 * Options: --iterations N (round trips, and Polls; 1000000), --batch N (1000),
 * --peer NAME=MEAN (the yardstick's mean from earlier in the same run);
 * --callgrind call|null: run that loop once for --iterations and print
 * nothing, for `valgrind --tool=callgrind --toggle-collect=bench_core_<call|null>_loop`.
 */
#include <limits.h>
#include <string.h>

#include "bench.h"
#include "core_loops.h"
#include "core_world.h"

static struct core_world world;

static void run_call(void *ctx, uint64_t n)
{
    (void)ctx;
    bench_core_call_loop(&world, n);
}

static void run_null(void *ctx, uint64_t n)
{
    (void)ctx;
    bench_core_null_loop(&world, n);
}

int main(int argc, char **argv)
{
    bench_program = argv[0];
    uint64_t iterations = 1000000, batch = 1000;
    const char *callgrind = NULL;
    struct bench_result call = {.name = "core_call_replyrecv", .backend = "double", .unit = "ns"};
    for (int i = 1; i < argc; i++) {
        if (bench_arg_u64(argc, argv, &i, "--iterations", &iterations) ||
            bench_arg_u64(argc, argv, &i, "--batch", &batch) || bench_arg_peer(argc, argv, &i, &call))
            continue;
        if (strcmp(argv[i], "--callgrind") == 0 && i + 1 < argc &&
            (strcmp(argv[i + 1], "call") == 0 || strcmp(argv[i + 1], "null") == 0)) {
            callgrind = argv[++i];
            continue;
        }
        bench_die("unknown option '%s' (options: --iterations N, --batch N, --peer NAME=MEAN, --callgrind call|null)",
                  argv[i]);
    }
    core_world_build(&world);

    if (callgrind != NULL) {
        /* One call for all iterations: callgrind's count over it divided by N is exact per round trip. */
        if (strcmp(callgrind, "call") == 0)
            bench_core_call_loop(&world, iterations);
        else
            bench_core_null_loop(&world, iterations);
        return 0;
    }

    if (batch > iterations)
        batch = iterations;
    /* A fixed number of operations, not a time budget: the count is part of what is compared. */
    struct bench_plan plan = {.batch = batch, .warmup = 10, .min_batches = iterations / batch,
                              .max_batches = iterations / batch, .seconds = 0};
    bench_sample(&plan, run_call, NULL, &call);
    bench_print(&call);

    struct bench_result null = {.name = "core_null_syscall", .backend = "double", .unit = "ns",
                                .peer = call.peer, .peer_mean = call.peer_mean};
    bench_sample(&plan, run_null, NULL, &null);
    bench_print(&null);
    return 0;
}
