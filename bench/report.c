/*
 * The JSON line of one measurement, and the small helpers every benchmark
 * program uses. Names are plain identifiers chosen by us, so they need no
 * JSON escaping.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

const char *bench_program = "bench";

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bench_die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", bench_program);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

void bench_print(const struct bench_result *r)
{
    /* Instruction counts are exact averages: keep two decimals; times in ns are noisy: one is plenty;
     * times in ms (whole processes) keep two, down to 10 us. */
    int prec = strcmp(r->unit, "ns") == 0 ? 1 : 2;
    printf("{\"name\":\"%s\",\"backend\":\"%s\",\"unit\":\"%s\",\"median\":%.*f,\"p99\":%.*f,\"mean\":%.*f,"
           "\"iterations\":%llu,",
           r->name, r->backend, r->unit, prec, r->median, prec, r->p99, prec, r->mean,
           (unsigned long long)r->iterations);
    if (r->peer != NULL && r->peer_mean > 0)
        printf("\"peer\":\"%s\",\"ratio\":%.3f}\n", r->peer, r->mean / r->peer_mean);
    else
        printf("\"peer\":null,\"ratio\":null}\n");
    fflush(stdout);
}

static const char *value_of(int argc, char **argv, int *i, const char *flag)
{
    if (strcmp(argv[*i], flag) != 0)
        return NULL;
    if (*i + 1 >= argc)
        bench_die("%s needs a value", flag);
    *i += 1;
    return argv[*i];
}

int bench_arg_u64(int argc, char **argv, int *i, const char *flag, uint64_t *out)
{
    const char *v = value_of(argc, argv, i, flag);
    if (v == NULL)
        return 0;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n == 0 || v[0] == '-')
        bench_die("%s needs a positive whole number, not '%s'", flag, v);
    *out = n;
    return 1;
}

int bench_arg_double(int argc, char **argv, int *i, const char *flag, double *out)
{
    const char *v = value_of(argc, argv, i, flag);
    if (v == NULL)
        return 0;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno != 0 || end == v || *end != '\0' || !(d > 0))
        bench_die("%s needs a positive number, not '%s'", flag, v);
    *out = d;
    return 1;
}

int bench_arg_peer(int argc, char **argv, int *i, struct bench_result *r)
{
    const char *v = value_of(argc, argv, i, "--peer");
    if (v == NULL)
        return 0;
    const char *eq = strchr(v, '=');
    char *end;
    double mean = eq != NULL ? strtod(eq + 1, &end) : 0;
    if (eq == NULL || eq == v || end == eq + 1 || *end != '\0' || !(mean > 0))
        bench_die("--peer needs NAME=MEAN (a positive mean), not '%s'", v);
    /* argv outlives the program's use of it; keep only the name part. */
    argv[*i][eq - v] = '\0';
    r->peer = v;
    r->peer_mean = mean;
    return 1;
}
