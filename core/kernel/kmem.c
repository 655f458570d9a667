/*
 * Byte-wise memory helpers. Simple loops on purpose: the kernel clears
 * objects at retype and copies slots, nothing on a hot path yet.
 */
#include <kaal/core/kmem.h>

void kmem_zero(void *dst, word_t size)
{
    volatile uint8_t *d = dst; /* volatile: stop the compiler turning this into memset() */
    for (word_t i = 0; i < size; i++)
        d[i] = 0;
}

void kmem_copy(void *dst, const void *src, word_t size)
{
    volatile uint8_t *d = dst;
    const uint8_t *s = src;
    for (word_t i = 0; i < size; i++)
        d[i] = s[i];
}
