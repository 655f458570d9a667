/*
 * Addresses on the sim: guest RAM is host memory, so a kernel address is a
 * host address, and "physical" addresses are the same numbers.
 */
#include <kaal/hal/vspace.h>

kaal_word_t hal_kaddr_to_paddr(kaal_word_t kaddr)
{
    return kaddr;
}

#include "sim_internal.h"

bool sim_window_address(const struct tcb *t, uintptr_t host, kaal_word_t *vaddr)
{
    (void)t;
    (void)host;
    (void)vaddr;
    return false; /* no VSpace has a host window yet: frame mapping comes next */
}
