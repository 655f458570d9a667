/*
 * What the fuzz targets share: reading the input, and the invariant check
 * that turns any broken kernel invariant into a crash libFuzzer reports.
 */
#ifndef KAAL_FUZZ_COMMON_H
#define KAAL_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <kaal/core/invariants.h>

struct input {
    const uint8_t *p;
    size_t left;
};

/* The next `bytes` bytes as a little-endian number; zeroes once the input is used up. */
static inline uint64_t take(struct input *in, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes && in->left > 0; i++, in->left--)
        v |= (uint64_t)*in->p++ << (8 * i);
    return v;
}

static inline void check(void)
{
    struct invariant_report r = kernel_check_invariants();
    if (r.what != NULL) {
        fprintf(stderr, "kernel invariant broken: %s (slot %p)\n", r.what, (const void *)r.where);
        abort();
    }
}

#endif
