/*
 * Basic types of the kernel core. Freestanding: only the compiler's own
 * headers (stdint, stddef, stdbool, stdarg) are used anywhere in core/.
 */
#ifndef KAAL_CORE_TYPES_H
#define KAAL_CORE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kaal/abi/types.h>

typedef kaal_word_t word_t;

#define BIT(n) ((word_t)1 << (n))
/* Low n bits set; n may be 0..64 (a shift by 64 is undefined in C). */
#define MASK(n) ((n) >= 64 ? ~(word_t)0 : BIT(n) - 1)
#define IS_ALIGNED(x, bits) (((x) & MASK(bits)) == 0)
#define ALIGN_UP(x, bits) (((x) + MASK(bits)) & ~MASK(bits))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
