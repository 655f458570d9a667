/*
 * The machine word of the kernel-user ABI. KaaL's two backends (sim on x86_64
 * hosts, aarch64) are both LP64, so a word is 64 bits everywhere.
 */
#ifndef KAAL_ABI_TYPES_H
#define KAAL_ABI_TYPES_H

#include <stdint.h>

typedef uint64_t kaal_word_t;
typedef kaal_word_t kaal_cptr_t;

#define KAAL_WORD_BITS 64u

#endif
