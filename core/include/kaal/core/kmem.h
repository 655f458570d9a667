/*
 * Memory helpers for the freestanding kernel (no libc).
 */
#ifndef KAAL_CORE_KMEM_H
#define KAAL_CORE_KMEM_H

#include <kaal/core/types.h>

void kmem_zero(void *dst, word_t size);
void kmem_copy(void *dst, const void *src, word_t size);

#endif
