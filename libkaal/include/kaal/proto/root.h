/*
 * The root task's service protocol (docs/system.md): what components ask of
 * it over their "root" endpoint cap. Each request is a Call; the label says
 * which, the answer's label is a KAAL error code.
 */
#ifndef KAAL_PROTO_ROOT_H
#define KAAL_PROTO_ROOT_H

#include <stddef.h>

#include <kaal/abi/types.h>

enum kaal_root_request {
    KAAL_ROOT_EXIT = 1,      /* MR0 = status; never answered */
    KAAL_ROOT_PS = 2,        /* MR0 = index; answer: MR0 = state, MR1 = priority, MR2.. = name; RANGE_ERROR past the end */
    KAAL_ROOT_START = 3,     /* MR0-MR2 = component name, MR3.. = argument string (NUL-padded); answer: OK or an error */
    KAAL_ROOT_POWER_OFF = 4, /* MR0 = status 0..255; the machine stops (answered only if it does not: an error) */
};

/* ps: a component that has ended (its status in priority's place). */
#define KAAL_PS_EXITED 0x100u

/* What ps reports about one thread. */
struct kaal_ps_entry {
    char name[24];
    kaal_word_t state;    /* enum kaal_thread_state, or KAAL_PS_EXITED */
    kaal_word_t priority;
};

int kaal_root_ps(kaal_cptr_t root, kaal_word_t index, struct kaal_ps_entry *out);
/* Start an instance of the component called name with an argument string (may be empty). */
int kaal_root_start(kaal_cptr_t root, const char *name, const char *args);
/* Stop the machine with status 0..255. Returns only if the root task refused: the error code (RANGE_ERROR above 255). */
int kaal_root_power_off(kaal_cptr_t root, int status);

#endif
