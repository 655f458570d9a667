/*
 * sim_boot_to_prompt: the time from starting kaal-sim to the shell's prompt
 * ("kaal> ") on its stdout: process start, loading the components, the
 * machine, the kernel's boot, the root task making the system, the console
 * and the shell starting, the banner through the UART. One sample per run;
 * after the prompt the program writes "exit\n" and checks that the system
 * says "bye" and exits with status 0, so every sample is a whole, working
 * boot.
 *
 * Lines: linux_spawn_true (the floor: posix_spawn of /bin/true with the same
 * pipes until its stdout ends and it is reaped), sim_boot_to_prompt (real
 * time) and sim_boot_to_prompt_deterministic (--deterministic), both with the
 * floor as their peer. Unit: ms; iterations: runs.
 *
 * Options: --runs N (30), --warmup N (3 runs thrown away first), --sim PATH
 * (default: the kaal-sim of this build), --only NAME.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

#define PROMPT "kaal> "
#define TIMEOUT_MS 10000 /* one run: prompt, then the exit */

struct child {
    pid_t pid;
    int in, out; /* our ends: its stdin, its stdout */
};

static struct child spawn(char *const argv[])
{
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
        bench_die("pipe2: %s", strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    struct child c = {.in = in[1], .out = out[0]};
    int err = posix_spawn(&c.pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err != 0)
        bench_die("cannot start %s: %s", argv[0], strerror(err));
    close(in[0]);
    close(out[1]);
    return c;
}

/* Read the child's stdout into buf (appending at *len); 0 at its end. Dies after TIMEOUT_MS of silence. */
static size_t read_some(struct child *c, char *buf, size_t size, size_t *len)
{
    struct pollfd p = {.fd = c->out, .events = POLLIN};
    int r;
    while ((r = poll(&p, 1, TIMEOUT_MS)) < 0 && errno == EINTR)
        ;
    if (r == 0) {
        kill(c->pid, SIGKILL);
        bench_die("no output for %d ms; so far: '%.*s'", TIMEOUT_MS, (int)*len, buf);
    }
    if (*len + 1 >= size)
        bench_die("more output than expected: '%.*s'", (int)*len, buf);
    ssize_t n = read(c->out, buf + *len, size - 1 - *len);
    if (n < 0 && errno != EINTR)
        bench_die("read: %s", strerror(errno));
    if (n <= 0)
        return 0;
    *len += (size_t)n;
    buf[*len] = '\0';
    return (size_t)n;
}

/* Close our ends, reap the child, return its exit status (dies if it did not exit). */
static int reap(struct child *c)
{
    close(c->in);
    close(c->out);
    int st;
    while (waitpid(c->pid, &st, 0) < 0)
        if (errno != EINTR)
            bench_die("waitpid: %s", strerror(errno));
    if (!WIFEXITED(st))
        bench_die("the child ended by signal %d", WTERMSIG(st));
    return WEXITSTATUS(st);
}

/* One kaal-sim run: ms from spawn to the prompt; then exit, checked. */
static double boot_once(char *const argv[])
{
    char buf[4096] = "";
    size_t len = 0;
    uint64_t t0 = bench_now_ns();
    struct child c = spawn(argv);
    while (strstr(buf, PROMPT) == NULL) {
        if (read_some(&c, buf, sizeof buf, &len) == 0)
            bench_die("%s ended before its prompt; output: '%.*s'", argv[0], (int)len, buf);
    }
    uint64_t t1 = bench_now_ns();
    static const char line[] = "exit\n";
    if (write(c.in, line, sizeof line - 1) != (ssize_t)(sizeof line - 1))
        bench_die("cannot write to %s: %s", argv[0], strerror(errno));
    while (read_some(&c, buf, sizeof buf, &len) != 0)
        ;
    int status = reap(&c);
    if (status != 0 || len < 5 || strcmp(buf + len - 5, "bye\r\n") != 0)
        bench_die("%s: status %d after exit, output '%.*s'", argv[0], status, (int)len, buf);
    return (double)(t1 - t0) / 1e6;
}

/* The floor: /bin/true with the same pipes, from spawn to the end of its stdout and its exit. */
static double true_once(char *const argv[])
{
    char buf[64] = "";
    size_t len = 0;
    uint64_t t0 = bench_now_ns();
    struct child c = spawn(argv);
    while (read_some(&c, buf, sizeof buf, &len) != 0)
        ;
    int status = reap(&c);
    uint64_t t1 = bench_now_ns();
    if (status != 0)
        bench_die("%s: status %d", argv[0], status);
    return (double)(t1 - t0) / 1e6;
}

static void measure(struct bench_result *r, double (*once)(char *const[]), char *const argv[], uint64_t runs,
                    uint64_t warmup)
{
    double *samples = calloc(runs, sizeof *samples);
    if (samples == NULL)
        bench_die("out of memory");
    for (uint64_t i = 0; i < warmup; i++)
        once(argv);
    for (uint64_t i = 0; i < runs; i++)
        samples[i] = once(argv);
    bench_stats(samples, runs, r);
    r->iterations = runs;
    free(samples);
}

static int wanted(const char *only, const char *name)
{
    return only == NULL || strcmp(only, name) == 0;
}

int main(int argc, char **argv)
{
    bench_program = argv[0];
    uint64_t runs = 30, warmup = 3;
    char *sim = KAAL_SIM_PATH;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (bench_arg_u64(argc, argv, &i, "--runs", &runs) || bench_arg_u64(argc, argv, &i, "--warmup", &warmup))
            continue;
        if ((strcmp(argv[i], "--sim") == 0 || strcmp(argv[i], "--only") == 0) && i + 1 < argc) {
            if (strcmp(argv[i], "--sim") == 0)
                sim = argv[++i];
            else
                only = argv[++i];
            continue;
        }
        bench_die("unknown option '%s' (options: --runs N, --warmup N, --sim PATH, --only NAME)", argv[i]);
    }
    if (only != NULL && !wanted(only, "linux_spawn_true") && !wanted(only, "sim_boot_to_prompt") &&
        !wanted(only, "sim_boot_to_prompt_deterministic"))
        bench_die("--only: no measurement '%s' (linux_spawn_true, sim_boot_to_prompt, "
                  "sim_boot_to_prompt_deterministic)", only);
    /* A closed pipe must be an error to see, not a signal that ends the benchmark. */
    signal(SIGPIPE, SIG_IGN);

    char *true_argv[] = {"/bin/true", NULL};
    struct bench_result floor = {.name = "linux_spawn_true", .backend = "linux", .unit = "ms"};
    measure(&floor, true_once, true_argv, runs, warmup);
    if (wanted(only, floor.name))
        bench_print(&floor);

    char *real_argv[] = {sim, NULL};
    char *det_argv[] = {sim, "--deterministic", NULL};
    struct {
        const char *name;
        char **argv;
    } boots[] = {{"sim_boot_to_prompt", real_argv}, {"sim_boot_to_prompt_deterministic", det_argv}};
    for (size_t b = 0; b < sizeof boots / sizeof boots[0]; b++) {
        if (!wanted(only, boots[b].name))
            continue;
        struct bench_result r = {.name = boots[b].name, .backend = "sim", .unit = "ms",
                                 .peer = floor.name, .peer_mean = floor.mean};
        measure(&r, boot_once, boots[b].argv, runs, warmup);
        bench_print(&r);
    }
    return 0;
}
