/*
 * Turn a callgrind output file into one JSON line: the instructions counted
 * (collection toggled on only inside the benchmark loop) divided by the
 * number of operations the loop did. Instruction counts do not depend on
 * what else the machine runs, so this is exact: median = mean = p99.
 *
 * Usage: callgrind_json --name NAME --iterations N FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* The first event (Ir, instructions) of the "totals:" line, else of "summary:"; 0 if neither. */
static unsigned long long instructions(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        bench_die("cannot open %s", path);
    char line[4096];
    unsigned long long totals = 0, summary = 0;
    int have_totals = 0, have_summary = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "totals:", 7) == 0)
            have_totals = sscanf(line + 7, "%llu", &totals) == 1;
        else if (strncmp(line, "summary:", 8) == 0)
            have_summary = sscanf(line + 8, "%llu", &summary) == 1;
    }
    fclose(f);
    if (!have_totals && !have_summary)
        bench_die("%s has no totals: or summary: line", path);
    return have_totals ? totals : summary;
}

int main(int argc, char **argv)
{
    bench_program = argv[0];
    const char *name = NULL, *path = NULL;
    uint64_t iterations = 0;
    for (int i = 1; i < argc; i++) {
        if (bench_arg_u64(argc, argv, &i, "--iterations", &iterations))
            continue;
        if (strcmp(argv[i], "--name") == 0 && i + 1 < argc) {
            name = argv[++i];
            continue;
        }
        if (argv[i][0] != '-' && path == NULL) {
            path = argv[i];
            continue;
        }
        bench_die("unknown option '%s' (usage: --name NAME --iterations N FILE)", argv[i]);
    }
    if (name == NULL || path == NULL || iterations == 0)
        bench_die("usage: --name NAME --iterations N FILE");
    unsigned long long total = instructions(path);
    if (total == 0)
        bench_die("%s counted no instructions: was the loop's name given to --toggle-collect?", path);
    double per = (double)total / (double)iterations;
    struct bench_result r = {.name = name, .backend = "double", .unit = "instructions",
                             .median = per, .p99 = per, .mean = per, .iterations = iterations};
    bench_print(&r);
    return 0;
}
