/*
 * A component's environment: what the root task tells a component when it
 * starts it. The root task fills one page, maps it read-only into the
 * component's VSpace and passes its address as the entry point's first
 * argument: the component's name, the caps it was given (by name, each at a
 * slot of its CSpace) and an argument string.
 *
 * A component is a shared object (sim) or an ELF image (aarch64) whose entry
 * is `int kaal_main(const struct kaal_env *env)`; returning from it ends the
 * component with that status (through kaal_exit).
 */
#ifndef KAAL_ENV_H
#define KAAL_ENV_H

#include <kaal/abi/types.h>

#define KAAL_ENV_MAGIC 0x31766e454c61614bull /* "KaaLEnv1" */
#define KAAL_ENV_NAME_MAX 24u
#define KAAL_ENV_MAX_CAPS 32u
#define KAAL_ENV_MAX_MAPS 8u
#define KAAL_ENV_ARGS_MAX 256u

/* Cap names every component may rely on. */
#define KAAL_ENV_CAP_ROOT "root"       /* endpoint to the root task (exit, ps, start, power off) */
#define KAAL_ENV_CAP_CNODE "cnode"     /* its own CSpace root */
#define KAAL_ENV_CAP_CONSOLE "console" /* endpoint to the console server */

struct kaal_env_cap {
    char name[KAAL_ENV_NAME_MAX];
    kaal_cptr_t cptr;
};

/* Memory the root task mapped for the component (device registers, shared buffers). */
struct kaal_env_map {
    char name[KAAL_ENV_NAME_MAX];
    kaal_word_t pointer; /* as the component reaches it (kaal_frame_map's answer) */
    kaal_word_t size;
};

struct kaal_env {
    kaal_word_t magic;
    char name[KAAL_ENV_NAME_MAX];     /* the component instance's name */
    kaal_word_t cnode_radix;          /* its CSpace: one CNode, CPtrs resolve at depth 64 */
    kaal_word_t ncaps;
    struct kaal_env_cap caps[KAAL_ENV_MAX_CAPS];
    kaal_word_t nmaps;
    struct kaal_env_map maps[KAAL_ENV_MAX_MAPS];
    char args[KAAL_ENV_ARGS_MAX];     /* NUL-terminated */
};

_Static_assert(sizeof(struct kaal_env) <= 4096, "the environment must fit one page");

/* The CPtr of the cap called `name`, or 0 if the component was given none. */
kaal_cptr_t kaal_env_cap(const struct kaal_env *env, const char *name);

/* The memory mapped under `name` (its size in *size if not NULL), or NULL. */
void *kaal_env_map(const struct kaal_env *env, const char *name, kaal_word_t *size);

/* End the calling component with a status: the root task reclaims it. Does not return. */
_Noreturn void kaal_exit(const struct kaal_env *env, int status);

#endif
