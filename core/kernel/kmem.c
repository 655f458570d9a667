/*
 * Memory helpers. Word-sized stores where alignment allows: objects are
 * cleared at retype and boot, and every object is at least 16-byte aligned.
 * volatile keeps the compiler from turning the loops into memset()/memcpy()
 * calls, which a freestanding kernel does not have.
 */
#include <kaal/core/kmem.h>

void kmem_zero(void *dst, word_t size)
{
    if (IS_ALIGNED((uintptr_t)dst | size, 3)) {
        volatile word_t *w = dst;
        for (word_t i = 0; i < size / sizeof(word_t); i++)
            w[i] = 0;
        return;
    }
    volatile uint8_t *d = dst;
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
