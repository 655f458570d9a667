/*
 * Statistics over per-batch samples. The mean is reported beside the median
 * on purpose: a few millisecond stalls (a spinner losing its CPU, a wake-up
 * on the other vCPU) barely move the median or even the p99 of a thousand
 * batches, but they show in the mean, which is what a workload pays.
 */
#include <stdlib.h>

#include "bench.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted samples: the smallest sample with at least pct % of them at or below it. */
static double percentile(const double *sorted, size_t n, unsigned pct)
{
    size_t rank = (n * pct + 99) / 100; /* ceil(n * pct / 100), at least 1 since n > 0 */
    return sorted[rank - 1];
}

void bench_stats(double *samples, size_t n, struct bench_result *r)
{
    qsort(samples, n, sizeof samples[0], cmp_double);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += samples[i];
    r->mean = sum / (double)n;
    r->median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
    r->p99 = percentile(samples, n, 99);
}
