/*
 * crash: a component that faults as it starts, on purpose (a NULL read).
 * It exists to show, and to test, that the root task reports a faulting
 * component by name and the rest of the system goes on. The launcher loads
 * it only when asked (kaal-sim --with crash).
 */
#include <kaal/env.h>

/* The bad access is the point: UBSan's null check would stop it before the host's MMU sees it. */
__attribute__((no_sanitize("null"))) int kaal_main(const struct kaal_env *env)
{
    (void)env;
    volatile int *volatile nowhere = 0;
    return *nowhere;
}
