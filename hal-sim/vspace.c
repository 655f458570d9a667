/*
 * Addresses on the sim: guest RAM is host memory, so a kernel address is a
 * host address, and "physical" addresses are the same numbers.
 */
#include <kaal/hal/vspace.h>

kaal_word_t hal_kaddr_to_paddr(kaal_word_t kaddr)
{
    return kaddr;
}
