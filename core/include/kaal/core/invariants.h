/*
 * The debug-only invariant checker: walks all kernel state and reports the
 * first inconsistency. Tests and fuzzers call it after every step. It is
 * quadratic in the number of caps; it is for testing, not for production.
 */
#ifndef KAAL_CORE_INVARIANTS_H
#define KAAL_CORE_INVARIANTS_H

#include <kaal/core/cap.h>

struct invariant_report {
    const char *what;           /* NULL when every invariant holds */
    const struct slot *where;   /* the slot it concerns, if any */
};

struct invariant_report kernel_check_invariants(void);

#endif
