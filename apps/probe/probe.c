/*
 * probe: a component that asks the root task and the console server for
 * the wrong things on purpose, and says what each answered. It exists to
 * test that they refuse clearly and go on (kaal-sim --with probe; the
 * system test `probe`). It runs below the shell (priority 50), so in a
 * deterministic run it has done everything before the first input byte.
 *
 *   - console: a WRITE whose length word promises more bytes than the
 *     message has, a WRITE and a READ without their length word, a READ of
 *     more than a message holds, a request the console does not know;
 *   - root task: PS past the end and without its index word, a request it
 *     does not know, START of a component the system does not have, of one
 *     that is started at boot, with a name of 24 characters and no NUL,
 *     with the message cut short; POWER_OFF with a status above 255 and
 *     without one (refused: the machine goes on);
 *   - every instance entry in use: pongs (each waits for a ping) until the
 *     root task says no, then ping, which needs two; then every pong told
 *     to stop, and ping started again in the entries they left;
 *   - it ends with status 3, which the root task reports.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <kaal/env.h>
#include <kaal/kaal.h>
#include <kaal/proto/console.h>
#include <kaal/proto/root.h>

#define PING_STOP 2u /* pong's protocol (apps/pong) */

static kaal_cptr_t console, root, pong;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char line[200];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0)
        kaal_console_write(console, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* An answer's error code, with its name. */
static const char *e(int err)
{
    static const char *const text[] = {
        "0 (ok)", "1 (invalid argument)", "2 (invalid capability)", "3 (illegal operation)", "4 (range error)",
        "5 (alignment error)", "6 (failed lookup)", "7 (truncated message)", "8 (delete first)", "9 (revoke first)",
        "10 (not enough memory)",
    };
    return err >= 0 && err < (int)(sizeof text / sizeof text[0]) ? text[err] : "(not an error code)";
}

/* A Call with MR0.. = words; the answer's label (an error code). */
static int call(kaal_cptr_t to, kaal_word_t label, unsigned count, const kaal_word_t *words)
{
    for (unsigned i = 0; i < count; i++)
        kaal_set_mr(i, words[i]);
    return (int)kaal_msginfo_label(kaal_call(to, kaal_msginfo(label, 0, 0, count)));
}

static void probe_console(void)
{
    kaal_word_t promise[] = {100, 0x2121216f6c6c6568ull}; /* "hello!!!" and a length of 100 */
    say("probe: console WRITE of 100 bytes in a message of 8: error %s\n",
        e(call(console, KAAL_CONSOLE_WRITE, 2, promise)));
    kaal_set_mr(0, 5); /* left in the buffer: a request without words must not read it */
    say("probe: console WRITE without its length word: error %s\n", e(call(console, KAAL_CONSOLE_WRITE, 0, NULL)));
    kaal_set_mr(0, 5);
    int err = call(console, KAAL_CONSOLE_READ, 0, NULL);
    say("probe: console READ without its length word: error %s, %lu bytes\n", e(err),
        (unsigned long)kaal_get_mr(0));
    kaal_word_t huge[] = {(kaal_word_t)1 << 40};
    err = call(console, KAAL_CONSOLE_READ, 1, huge);
    say("probe: console READ of 2^40 bytes: error %s, %lu bytes\n", e(err), (unsigned long)kaal_get_mr(0));
    say("probe: console request 99: error %s\n", e(call(console, 99, 0, NULL)));
}

/* START with the message as kaal_root_start would build it, but only `words` of its words. */
static int start_cut(const char *name, unsigned words)
{
    kaal_word_t msg[4] = {0};
    memcpy(msg, name, strlen(name));
    return call(root, KAAL_ROOT_START, words, msg);
}

static void probe_root(void)
{
    struct kaal_ps_entry entry;
    say("probe: root PS entry 1000: error %s\n", e(kaal_root_ps(root, 1000, &entry)));
    kaal_set_mr(0, 2);
    int err = call(root, KAAL_ROOT_PS, 0, NULL);
    char name[25] = {0};
    memcpy(name, &kaal_ipc_buffer()->msg[2], 24);
    say("probe: root PS without its index word: error %s, entry '%s'\n", e(err), err == KAAL_OK ? name : "");
    say("probe: root request 77: error %s\n", e(call(root, 77, 0, NULL)));
    say("probe: START nosuch: error %s\n", e(kaal_root_start(root, "nosuch", "")));
    say("probe: START shell: error %s\n", e(kaal_root_start(root, "shell", "")));
    say("probe: START console: error %s\n", e(kaal_root_start(root, "console", "")));
    kaal_word_t long_name[4] = {0};
    memset(long_name, 'x', 24); /* no NUL in the name's three words */
    say("probe: START with a 24-character name: error %s\n", e(call(root, KAAL_ROOT_START, 4, long_name)));
    say("probe: START pong in 2 words: error %s\n", e(start_cut("pong", 2)));
    say("probe: START pong in 3 words (no argument string): error %s\n", e(start_cut("pong", 3)));
    say("probe: root POWER_OFF with status 256: error %s\n", e(kaal_root_power_off(root, 256)));
    say("probe: root POWER_OFF without its status word: error %s\n", e(call(root, KAAL_ROOT_POWER_OFF, 0, NULL)));
}

static void probe_instances(void)
{
    unsigned started = 0;
    int err;
    while ((err = kaal_root_start(root, "pong", "")) == KAAL_OK && started < 32)
        started++;
    say("probe: %u pongs started, then error %s\n", started, e(err));
    say("probe: START ping: error %s\n", e(kaal_root_start(root, "ping", "1")));
    unsigned listed = 0;
    struct kaal_ps_entry entry;
    while (kaal_root_ps(root, listed, &entry) == KAAL_OK)
        listed++;
    say("probe: ps lists %u threads\n", listed);
    unsigned stopped = 0;
    for (unsigned i = 0; i < started; i++)
        stopped += call(pong, PING_STOP, 0, NULL) == KAAL_OK;
    say("probe: %u pongs told to stop\n", stopped);
    for (unsigned i = 0; i < 3; i++)
        say("probe: START ping: error %s\n", e(kaal_root_start(root, "ping", "2")));
    listed = 0;
    while (kaal_root_ps(root, listed, &entry) == KAAL_OK)
        listed++;
    say("probe: ps lists %u threads\n", listed);
}

int kaal_main(const struct kaal_env *env)
{
    console = kaal_env_cap(env, KAAL_ENV_CAP_CONSOLE);
    root = kaal_env_cap(env, KAAL_ENV_CAP_ROOT);
    pong = kaal_env_cap(env, "pong");
    if (console == 0 || root == 0 || pong == 0)
        return 1;
    say("probe: start\n");
    probe_console();
    probe_root();
    probe_instances();
    say("probe: done; exiting with status 3\n");
    return 3;
}
