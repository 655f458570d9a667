/*
 * ping: N round trips to pong over an endpoint, each checked, then the
 * result on the console. Started by the shell's `ping N` (the root task
 * gives it the "pong" endpoint and the argument string).
 */
#include <stdio.h>
#include <stdlib.h>

#include <kaal/env.h>
#include <kaal/kaal.h>
#include <kaal/proto/console.h>

#define PING_LABEL 1u
#define PING_STOP 2u

int kaal_main(const struct kaal_env *env)
{
    kaal_cptr_t pong = kaal_env_cap(env, "pong");
    kaal_cptr_t console = kaal_env_cap(env, KAAL_ENV_CAP_CONSOLE);
    if (pong == 0 || console == 0)
        return 1;
    long count = strtol(env->args, NULL, 10);
    if (count < 1)
        count = 1;
    long bad = 0;
    for (long i = 0; i < count; i++) {
        kaal_set_mr(0, (kaal_word_t)i);
        kaal_word_t info = kaal_call(pong, kaal_msginfo(PING_LABEL, 0, 0, 1));
        if (kaal_msginfo_label(info) != KAAL_OK || kaal_get_mr(0) != (kaal_word_t)i + 1)
            bad++;
    }
    kaal_call(pong, kaal_msginfo(PING_STOP, 0, 0, 0));
    char line[96];
    snprintf(line, sizeof line, "ping: %ld round trip%s to pong, %ld wrong answer%s\n", count, count == 1 ? "" : "s",
             bad, bad == 1 ? "" : "s");
    kaal_console_puts(console, line);
    return bad == 0 ? 0 : 1;
}
