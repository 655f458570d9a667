/*
 * The system the root task builds: which components exist, which caps each
 * gets, at which priority (docs/system.md). This table is what system.toml
 * will describe; for now it is written here.
 */
#ifndef KAAL_ROOT_SYSTEM_H
#define KAAL_ROOT_SYSTEM_H

#include <stdbool.h>

#include <kaal/abi/types.h>

enum grant_kind {
    GRANT_ROOT,   /* a badged endpoint to the root task (every component gets one, first) */
    GRANT_CNODE,  /* the component's own CSpace */
    GRANT_OBJECT, /* a copy of a system object, with rights and badge */
    GRANT_DEVICE, /* a device page mapped into the component (in env.maps, not a cap) */
};

struct grant {
    const char *name;   /* as the component asks for it (kaal_env_cap / kaal_env_map) */
    enum grant_kind kind;
    const char *object; /* GRANT_OBJECT, GRANT_DEVICE: the system object */
    kaal_word_t rights;
    kaal_word_t badge;
};

#define MAX_GRANTS 8

struct component_spec {
    const char *name;
    kaal_word_t priority;
    bool at_boot;                   /* started by the root task at boot (and never on request); else on request */
    const char *bound_notification; /* system object bound to the thread, or NULL */
    struct grant grants[MAX_GRANTS];  /* ended by an entry without a name */
    bool essential;                 /* the system cannot go on without it: when it ends, the machine powers off */
    const char *partner;            /* a component started with it, before it, in an instance of its own;
                                       when either ends the root task takes the other down (NULL: none) */
};

/* The spec of the component called name, or NULL. */
const struct component_spec *component_spec(const char *name);

/* Every spec, ended by one without a name. */
extern const struct component_spec system_components[];

/* The console server's interrupt badge (its bound notification's word). */
#define CONSOLE_IRQ_BADGE ((kaal_word_t)1 << 63)

#endif
