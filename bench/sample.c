/*
 * Batch sampling (see bench.h). One clock read per batch, never per
 * operation: a clock_gettime costs tens of nanoseconds, as much as the
 * core's whole syscall path.
 */
#include <stdlib.h>

#include "bench.h"

void bench_sample(const struct bench_plan *plan, void (*run)(void *ctx, uint64_t n), void *ctx,
                  struct bench_result *r)
{
    double *samples = malloc(plan->max_batches * sizeof *samples);
    if (samples == NULL)
        bench_die("out of memory for %llu samples", (unsigned long long)plan->max_batches);
    for (uint64_t i = 0; i < plan->warmup; i++)
        run(ctx, plan->batch);

    uint64_t start = bench_now_ns();
    uint64_t deadline = start + (uint64_t)(plan->seconds * 1e9);
    size_t n = 0;
    uint64_t before = start;
    while (n < plan->max_batches) {
        run(ctx, plan->batch);
        uint64_t after = bench_now_ns();
        samples[n++] = (double)(after - before) / (double)plan->batch;
        before = after;
        if (after >= deadline && n >= plan->min_batches)
            break;
    }
    r->iterations = n * plan->batch;
    bench_stats(samples, n, r);
    free(samples);
}
