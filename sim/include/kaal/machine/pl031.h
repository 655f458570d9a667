/*
 * The ARM PL031 real-time clock model (sim/pl031.c, docs/machine.md "PL031").
 *
 * A 32-bit counter of seconds, a match register that raises the interrupt
 * when the counter reaches it, as QEMU virt's PL031. Time comes from a
 * callback (nanoseconds since the Unix epoch): the host's wall clock by
 * default, a virtual clock in a deterministic run.
 *
 * Thread rule: register access (a component thread) and pl031_poll (the
 * hardware-model loop) may run on different host threads; the model locks
 * its own state. The callbacks run with that lock held.
 */
#ifndef KAAL_MACHINE_PL031_H
#define KAAL_MACHINE_PL031_H

#include <stdbool.h>
#include <stdint.h>

#define PL031_SIZE 0x1000u

/* Register offsets (PL031 TRM). */
enum pl031_reg {
    PL031_DR = 0x00,   /* read: the counter */
    PL031_MR = 0x04,   /* match value */
    PL031_LR = 0x08,   /* write: load the counter; read: the last value loaded */
    PL031_CR = 0x0c,   /* bit 0: started; always 1 here (QEMU: permanently enabled), writes ignored */
    PL031_IMSC = 0x10, /* bit 0: match interrupt enabled */
    PL031_RIS = 0x14,  /* bit 0: the counter reached MR */
    PL031_MIS = 0x18,  /* RIS & IMSC */
    PL031_ICR = 0x1c,  /* write bit 0: clear RIS */
    PL031_PERIPH_ID0 = 0xfe0,
    PL031_PCELL_ID0 = 0xff0,
};

struct pl031_config {
    /* Now, in ns since 1970-01-01 UTC. NULL: the host's CLOCK_REALTIME. */
    uint64_t (*now_ns)(void *ctx);
    /* The level of the interrupt output after every event that may change it. NULL: not wired. */
    void (*irq)(void *ctx, bool level);
    void *ctx;
};

struct pl031;

/* A clock whose counter starts at the time source's seconds; NULL on failure (with a message). */
struct pl031 *pl031_create(const struct pl031_config *config);
void pl031_destroy(struct pl031 *r);

/* Registers as the bus calls them (ctx is the struct pl031). */
uint64_t pl031_read(void *r, uint64_t offset, unsigned bytes);
void pl031_write(void *r, uint64_t offset, unsigned bytes, uint64_t value);

/*
 * Time passed: raise the match interrupt if its moment came. Returns the
 * time-source time (ns) of the next match, or 0 if none is armed. The
 * hardware-model loop calls this and sleeps no longer than that.
 */
uint64_t pl031_poll(struct pl031 *r);

#endif
