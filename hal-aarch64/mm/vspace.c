/*
 * Address spaces (<kaal/hal/vspace.h>). First cut: the MMU is off and the
 * kernel runs at physical addresses, so a kernel address is the physical
 * address. The MMU issue moves the kernel to the high half (TTBR1) and makes
 * this a subtraction of the kernel window's base.
 */
#include <kaal/hal/vspace.h>

kaal_word_t hal_kaddr_to_paddr(kaal_word_t kaddr)
{
    return kaddr;
}
