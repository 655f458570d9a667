/*
 * A component's environment (kaal/env.h) and the clients of the root task's
 * and the console server's protocols (kaal/proto/).
 */
#include <string.h>

#include <kaal/env.h>
#include <kaal/kaal.h>
#include <kaal/proto/console.h>
#include <kaal/proto/root.h>

kaal_cptr_t kaal_env_cap(const struct kaal_env *env, const char *name)
{
    if (env == NULL || env->magic != KAAL_ENV_MAGIC)
        return 0;
    kaal_word_t n = env->ncaps < KAAL_ENV_MAX_CAPS ? env->ncaps : KAAL_ENV_MAX_CAPS;
    for (kaal_word_t i = 0; i < n; i++) {
        if (strncmp(env->caps[i].name, name, KAAL_ENV_NAME_MAX) == 0)
            return env->caps[i].cptr;
    }
    return 0;
}

void *kaal_env_map(const struct kaal_env *env, const char *name, kaal_word_t *size)
{
    if (env == NULL || env->magic != KAAL_ENV_MAGIC)
        return NULL;
    kaal_word_t n = env->nmaps < KAAL_ENV_MAX_MAPS ? env->nmaps : KAAL_ENV_MAX_MAPS;
    for (kaal_word_t i = 0; i < n; i++) {
        if (strncmp(env->maps[i].name, name, KAAL_ENV_NAME_MAX) == 0) {
            if (size != NULL)
                *size = env->maps[i].size;
            return (void *)(uintptr_t)env->maps[i].pointer;
        }
    }
    return NULL;
}

_Noreturn void kaal_exit(const struct kaal_env *env, int status)
{
    kaal_cptr_t root = kaal_env_cap(env, KAAL_ENV_CAP_ROOT);
    kaal_set_mr(0, (kaal_word_t)(long)status);
    /* The root task never answers: it deletes this thread. Without a root cap there is nobody to tell. */
    for (;;) {
        if (root != 0)
            kaal_call(root, kaal_msginfo(KAAL_ROOT_EXIT, 0, 0, 1));
        kaal_yield();
    }
}

/* Bytes into the message words from MR`first`, NUL-padded to whole words; returns the words used. */
static unsigned pack(unsigned first, const char *bytes, size_t len)
{
    char *dst = (char *)&kaal_ipc_buffer()->msg[first];
    memcpy(dst, bytes, len);
    size_t words = (len + sizeof(kaal_word_t) - 1) / sizeof(kaal_word_t);
    memset(dst + len, 0, words * sizeof(kaal_word_t) - len);
    return (unsigned)words;
}

int kaal_root_ps(kaal_cptr_t root, kaal_word_t index, struct kaal_ps_entry *out)
{
    kaal_set_mr(0, index);
    kaal_word_t info = kaal_call(root, kaal_msginfo(KAAL_ROOT_PS, 0, 0, 1));
    int err = (int)kaal_msginfo_label(info);
    if (err != KAAL_OK)
        return err;
    out->state = kaal_get_mr(0);
    out->priority = kaal_get_mr(1);
    memcpy(out->name, &kaal_ipc_buffer()->msg[2], sizeof out->name);
    out->name[sizeof out->name - 1] = '\0';
    return KAAL_OK;
}

int kaal_root_start(kaal_cptr_t root, const char *name, const char *args)
{
    char padded[KAAL_ENV_NAME_MAX] = {0};
    size_t len = strlen(name), args_len = strlen(args);
    if (len >= sizeof padded || args_len >= KAAL_ENV_ARGS_MAX)
        return KAAL_ERR_INVALID_ARGUMENT;
    memcpy(padded, name, len);
    unsigned words = pack(0, padded, sizeof padded);
    words += pack(words, args, args_len + 1);
    return (int)kaal_msginfo_label(kaal_call(root, kaal_msginfo(KAAL_ROOT_START, 0, 0, words)));
}

int kaal_root_power_off(kaal_cptr_t root, int status)
{
    kaal_set_mr(0, (kaal_word_t)(long)status);
    return (int)kaal_msginfo_label(kaal_call(root, kaal_msginfo(KAAL_ROOT_POWER_OFF, 0, 0, 1)));
}

int kaal_console_write(kaal_cptr_t console, const char *buf, size_t len)
{
    while (len > 0) {
        size_t n = len < KAAL_CONSOLE_CHUNK ? len : KAAL_CONSOLE_CHUNK;
        kaal_set_mr(0, n);
        unsigned words = pack(1, buf, n);
        int err = (int)kaal_msginfo_label(kaal_call(console, kaal_msginfo(KAAL_CONSOLE_WRITE, 0, 0, 1 + words)));
        if (err != KAAL_OK)
            return err;
        buf += n;
        len -= n;
    }
    return KAAL_OK;
}

int kaal_console_puts(kaal_cptr_t console, const char *s)
{
    return kaal_console_write(console, s, strlen(s));
}

long kaal_console_read(kaal_cptr_t console, char *buf, size_t max)
{
    if (max > KAAL_CONSOLE_CHUNK)
        max = KAAL_CONSOLE_CHUNK;
    kaal_set_mr(0, max);
    kaal_word_t info = kaal_call(console, kaal_msginfo(KAAL_CONSOLE_READ, 0, 0, 1));
    int err = (int)kaal_msginfo_label(info);
    if (err != KAAL_OK)
        return -err;
    kaal_word_t n = kaal_get_mr(0);
    if (n > max)
        return -KAAL_ERR_RANGE_ERROR; /* a console that answers more than asked is broken: say so, copy nothing */
    memcpy(buf, &kaal_ipc_buffer()->msg[1], n);
    return (long)n;
}
