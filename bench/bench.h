/*
 * What every benchmark program shares: a monotonic clock, statistics over
 * per-batch samples, command-line numbers, and the one JSON line per
 * measurement that `./kaal bench` prints (the fields are defined in
 * bench/README.md).
 */
#ifndef KAAL_BENCH_H
#define KAAL_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* One measurement, as printed. */
struct bench_result {
    const char *name;
    const char *backend; /* "linux": plain host threads; "double": the core over the HAL test double */
    const char *unit;    /* "ns" (per round trip or per syscall) or "instructions" */
    double median, p99, mean;
    uint64_t iterations; /* round trips (or syscalls) measured, warm-up excluded */
    const char *peer;    /* NULL: no peer (then ratio is null too) */
    double peer_mean;    /* the peer's mean, same unit; ratio = mean / peer_mean */
};

/* Nanoseconds from CLOCK_MONOTONIC. */
uint64_t bench_now_ns(void);

/* Fill median, p99 and mean of r from n samples (sorts them in place); n > 0. */
void bench_stats(double *samples, size_t n, struct bench_result *r);

/*
 * How to sample: time batches of `batch` operations each (one sample = the
 * batch's time / batch), after `warmup` batches that are thrown away, until
 * `max_batches` are in or `seconds` have passed (but at least `min_batches`).
 */
struct bench_plan {
    uint64_t batch, warmup, min_batches, max_batches;
    double seconds;
};

/* Run `run(ctx, batch)` per plan->batch, fill r's statistics and iterations. */
void bench_sample(const struct bench_plan *plan, void (*run)(void *ctx, uint64_t n), void *ctx,
                  struct bench_result *r);

/* Print r as one JSON line on stdout and flush (so a pipe sees it at once). */
void bench_print(const struct bench_result *r);

/*
 * Command-line helpers; each exits with a message on stderr on bad input.
 * bench_arg_u64/double: argv[*i] is `flag`; read the value after it and step *i past it.
 * bench_arg_peer: "NAME=MEAN" (the peer's mean from an earlier program of the same run).
 */
int bench_arg_u64(int argc, char **argv, int *i, const char *flag, uint64_t *out);
int bench_arg_double(int argc, char **argv, int *i, const char *flag, double *out);
int bench_arg_peer(int argc, char **argv, int *i, struct bench_result *r);

/* Print "<program>: <message>" on stderr and exit 1. */
__attribute__((noreturn, format(printf, 1, 2))) void bench_die(const char *fmt, ...);

/* argv[0], for messages. */
extern const char *bench_program;

#endif
