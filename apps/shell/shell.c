/*
 * The shell: a line editor and a handful of commands on the console.
 *
 * Principle of operation: read what the console has buffered, wait on the
 * input notification when it has nothing, edit one line (printable ASCII,
 * backspace, Ctrl-U), run it on Enter. Any byte sequence is safe: other
 * control bytes and non-ASCII bytes are dropped and reported with the line,
 * a line longer than LINE_MAX is refused as a whole, end of input simply
 * never comes back (the machine decides what end of input means).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <kaal/env.h>
#include <kaal/kaal.h>
#include <kaal/proto/console.h>
#include <kaal/proto/root.h>

#define LINE_MAX 255u
#define MAX_ARGS 16u
#define PROMPT "kaal> "

struct shell {
    const struct kaal_env *env;
    kaal_cptr_t console, input, root, cnode;
    char line[LINE_MAX + 1];
    size_t len;
    size_t dropped;   /* bytes of this line that were not printable ASCII */
    bool overflow;    /* the line grew past LINE_MAX */
    bool after_cr;    /* the last byte ended a line with CR: a LF right after it is the same Enter */
};

static void out(struct shell *sh, const char *s)
{
    kaal_console_puts(sh->console, s);
}

static void outf(struct shell *sh, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(struct shell *sh, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        kaal_console_write(sh->console, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* ---- commands ---- */

struct command {
    const char *name;
    const char *usage;
    const char *help;
    int min_args, max_args; /* beyond the command's name */
    void (*run)(struct shell *sh, int argc, char **argv);
};

static const struct command commands[];

static void cmd_help(struct shell *sh, int argc, char **argv)
{
    (void)argc, (void)argv;
    out(sh, "commands:\n");
    for (const struct command *c = commands; c->name != NULL; c++)
        outf(sh, "  %-16s %s\n", c->usage, c->help);
}

static void cmd_echo(struct shell *sh, int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        outf(sh, "%s%s", i > 1 ? " " : "", argv[i]);
    out(sh, "\n");
}

static const char *state_name(kaal_word_t state)
{
    switch (state) {
    case KAAL_THREAD_INACTIVE: return "stopped";
    case KAAL_THREAD_RUNNING: return "running";
    case KAAL_THREAD_BLOCKED_SEND: return "send";
    case KAAL_THREAD_BLOCKED_RECV: return "receive";
    case KAAL_THREAD_BLOCKED_REPLY: return "reply";
    case KAAL_THREAD_BLOCKED_NOTIFICATION: return "wait";
    case KAAL_PS_EXITED: return "exited";
    default: return "?";
    }
}

static void cmd_ps(struct shell *sh, int argc, char **argv)
{
    (void)argc, (void)argv;
    outf(sh, "%-16s %-8s %s\n", "NAME", "STATE", "PRIO");
    for (kaal_word_t i = 0;; i++) {
        struct kaal_ps_entry e;
        int err = kaal_root_ps(sh->root, i, &e);
        if (err == KAAL_ERR_RANGE_ERROR)
            break;
        if (err != KAAL_OK) {
            outf(sh, "ps: the root task answered error %d\n", err);
            break;
        }
        if (e.state == KAAL_PS_EXITED)
            outf(sh, "%-16s %-8s (status %ld)\n", e.name, state_name(e.state), (long)e.priority);
        else
            outf(sh, "%-16s %-8s %lu\n", e.name, state_name(e.state), (unsigned long)e.priority);
    }
}

/* The env name of the cap in slot, if the root task named it. */
static const char *cap_label(const struct kaal_env *env, kaal_word_t slot)
{
    for (kaal_word_t i = 0; i < env->ncaps && i < KAAL_ENV_MAX_CAPS; i++) {
        if (env->caps[i].cptr == slot)
            return env->caps[i].name;
    }
    return "";
}

static void cmd_caps(struct shell *sh, int argc, char **argv)
{
    (void)argc, (void)argv;
    if (sh->cnode == 0) {
        out(sh, "caps: this shell was given no cap to its own CSpace\n");
        return;
    }
    outf(sh, "%-5s %-14s %-6s %s\n", "SLOT", "TYPE", "RIGHTS", "NAME");
    kaal_word_t slots = (kaal_word_t)1 << sh->env->cnode_radix;
    for (kaal_word_t slot = 1; slot < slots; slot++) {
        struct kaal_cap_info info;
        int err = kaal_cnode_identify(sh->cnode, slot, 64, &info);
        if (err != KAAL_OK) {
            outf(sh, "caps: slot %lu: error %d\n", (unsigned long)slot, err);
            return;
        }
        if (info.type == 0)
            continue;
        char rights[5] = "----";
        const char *letters = "RWGg";
        for (int b = 0; b < 4; b++)
            if (info.rights & (1u << b))
                rights[b] = letters[b];
        outf(sh, "%-5lu %-14s %-6s %s\n", (unsigned long)slot, kaal_cap_type_name(info.type), rights,
             cap_label(sh->env, slot));
    }
}

/* A decimal number in lo..hi, or -1. */
static long parse_number(const char *s, long lo, long hi)
{
    long v = 0;
    if (*s == '\0')
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > hi)
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v >= lo && v <= hi ? v : -1;
}

static void cmd_ping(struct shell *sh, int argc, char **argv)
{
    const char *count = argc > 1 ? argv[1] : "10";
    if (parse_number(count, 1, 100000) < 0) {
        outf(sh, "ping: '%s' is not a number of round trips (1..100000)\n", count);
        return;
    }
    /* The root task starts ping's partner, pong, with it, and takes each down with the other. */
    int err = kaal_root_start(sh->root, "ping", count);
    if (err != KAAL_OK)
        outf(sh, "ping: the root task did not start ping and pong (error %d)\n", err);
}

static void cmd_exit(struct shell *sh, int argc, char **argv)
{
    long status = 0;
    if (argc > 1 && (status = parse_number(argv[1], 0, 255)) < 0) {
        outf(sh, "exit: '%s' is not a status (0..255)\n", argv[1]);
        return;
    }
    out(sh, "bye\n");
    int err = kaal_root_power_off(sh->root, (int)status);
    outf(sh, "exit: the root task did not power off (error %d)\n", err);
}

static const struct command commands[] = {
    {"help", "help", "this list", 0, 0, cmd_help},
    {"echo", "echo [WORD...]", "print the words", 0, MAX_ARGS - 1, cmd_echo},
    {"ps", "ps", "threads: name, state, priority", 0, 0, cmd_ps},
    {"caps", "caps", "the caps in this shell's CSpace", 0, 0, cmd_caps},
    {"ping", "ping [N]", "start ping and pong: N round trips (10)", 0, 1, cmd_ping},
    {"exit", "exit [STATUS]", "power the machine off", 0, 1, cmd_exit},
    {NULL, NULL, NULL, 0, 0, NULL},
};

/* ---- the line ---- */

static void run_line(struct shell *sh)
{
    char *argv[MAX_ARGS];
    int argc = 0;
    bool too_many = false;
    for (char *p = sh->line; *p;) {
        while (*p == ' ')
            *p++ = '\0';
        if (*p == '\0')
            break;
        if (argc == (int)MAX_ARGS) {
            too_many = true;
            break;
        }
        argv[argc++] = p;
        while (*p && *p != ' ')
            p++;
    }
    if (argc == 0)
        return;
    if (too_many) {
        outf(sh, "%s: more than %u words\n", argv[0], MAX_ARGS);
        return;
    }
    for (const struct command *c = commands; c->name != NULL; c++) {
        if (strcmp(c->name, argv[0]) != 0)
            continue;
        if (argc - 1 < c->min_args || argc - 1 > c->max_args) {
            outf(sh, "%s: wrong number of arguments; usage: %s\n", c->name, c->usage);
            return;
        }
        c->run(sh, argc, argv);
        return;
    }
    outf(sh, "unknown command '%s'; 'help' lists the commands\n", argv[0]);
}

static void end_line(struct shell *sh)
{
    out(sh, "\n");
    if (sh->overflow)
        outf(sh, "error: line longer than %u characters; ignored\n", LINE_MAX);
    else if (sh->dropped > 0)
        outf(sh, "(%zu %s not printable text dropped)\n", sh->dropped,
             sh->dropped == 1 ? "byte that is" : "bytes that are");
    if (!sh->overflow) {
        sh->line[sh->len] = '\0';
        run_line(sh);
    }
    sh->len = 0;
    sh->dropped = 0;
    sh->overflow = false;
    out(sh, PROMPT);
}

static void take_byte(struct shell *sh, unsigned char b)
{
    bool lf_after_cr = sh->after_cr && b == '\n';
    sh->after_cr = b == '\r';
    if (lf_after_cr)
        return;
    if (b == '\r' || b == '\n') {
        end_line(sh);
    } else if (b == 0x7f || b == '\b') {
        if (sh->len > 0 && !sh->overflow) {
            sh->len--;
            out(sh, "\b \b");
        }
    } else if (b == 0x15) { /* Ctrl-U: the whole line */
        for (; sh->len > 0; sh->len--)
            out(sh, "\b \b");
        sh->overflow = false;
        sh->dropped = 0;
    } else if (b < 0x20 || b > 0x7e) {
        sh->dropped++;
    } else if (sh->len == LINE_MAX || sh->overflow) {
        sh->overflow = true;
    } else {
        sh->line[sh->len++] = (char)b;
        char echo[2] = {(char)b, '\0'};
        out(sh, echo);
    }
}

int kaal_main(const struct kaal_env *env)
{
    static struct shell sh;
    sh = (struct shell){.env = env};
    sh.console = kaal_env_cap(env, KAAL_ENV_CAP_CONSOLE);
    sh.input = kaal_env_cap(env, "input");
    sh.root = kaal_env_cap(env, KAAL_ENV_CAP_ROOT);
    sh.cnode = kaal_env_cap(env, KAAL_ENV_CAP_CNODE);
    if (sh.console == 0 || sh.input == 0 || sh.root == 0)
        return 1;
    out(&sh, "KaaL shell: 'help' lists the commands\n" PROMPT);
    for (;;) {
        char buf[KAAL_CONSOLE_CHUNK];
        long n = kaal_console_read(sh.console, buf, sizeof buf);
        if (n < 0) {
            outf(&sh, "shell: console read failed (error %ld)\n", -n);
            return 1;
        }
        if (n == 0) {
            kaal_wait(sh.input);
            continue;
        }
        for (long i = 0; i < n; i++)
            take_byte(&sh, (unsigned char)buf[i]);
    }
}
