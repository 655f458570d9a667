/*
 * ARM PrimeCell RTC (PL031) model, register-compatible with QEMU virt's.
 *
 * Principle of operation:
 *   - The counter is not stored: DR = offset + whole seconds of the time
 *     source, modulo 2^32. Writing LR sets the offset so that the counter
 *     reads the loaded value from then on (LR reads back what was loaded).
 *     The time source is the callback of the config: the register logic
 *     never reads a host clock itself, so a virtual clock makes the model
 *     deterministic.
 *   - Match: when the counter reaches MR, RIS is set (and stays set until
 *     ICR). A write of MR or LR arms the match for the time-source moment
 *     the counter will equal MR (counting on past 2^32 like the hardware,
 *     so a match value already passed comes round after the wrap, in 136
 *     years; an MR equal to the counter right now matches at once, as in
 *     QEMU). The match fires once per arming. The moment is checked at
 *     every register access and by pl031_poll, which the hardware-model
 *     loop calls; pl031_poll says when to look next.
 *   - CR reads 1 and ignores writes: QEMU's PL031 is permanently enabled
 *     (the TRM's RTC starts on the first write of 1 to CR bit 0).
 *   - Interrupt output = RIS & IMSC, reported after every event.
 * Accesses narrower than 4 bytes act on the register holding the offset as
 * in pl011.c.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <kaal/machine/pl031.h>

#define NS_PER_S 1000000000u

/* PrimeCell identification, as QEMU's: part 0x031, designer ARM, revision 1. */
static const uint8_t pl031_id[8] = {0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

struct pl031 {
    pthread_mutex_t lock;
    struct pl031_config config;
    uint32_t offset; /* counter = offset + seconds of the time source */
    uint32_t mr, lr, imsc, ris;
    uint64_t match_ns; /* time-source moment of the armed match; 0: none */
};

static uint64_t realtime_ns(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static uint32_t counter_at(const struct pl031 *r, uint64_t now_ns)
{
    return r->offset + (uint32_t)(now_ns / NS_PER_S);
}

static void report_irq(struct pl031 *r)
{
    if (r->config.irq != NULL)
        r->config.irq(r->config.ctx, (r->ris & r->imsc) != 0);
}

/* Fire the armed match if its moment has come. */
static void check_match(struct pl031 *r, uint64_t now_ns)
{
    if (r->match_ns != 0 && now_ns >= r->match_ns) {
        r->ris = 1;
        r->match_ns = 0;
    }
}

/* Arm the match for the moment the counter next equals MR (now, if it does already). */
static void arm_match(struct pl031 *r, uint64_t now_ns)
{
    uint32_t ticks = r->mr - counter_at(r, now_ns); /* wraps as the counter does */
    if (ticks == 0) {
        r->ris = 1;
        r->match_ns = 0;
        return;
    }
    r->match_ns = (now_ns / NS_PER_S + ticks) * NS_PER_S; /* the counter steps at whole seconds */
}

struct pl031 *pl031_create(const struct pl031_config *config)
{
    struct pl031 *r = calloc(1, sizeof *r);
    if (r == NULL) {
        fprintf(stderr, "kaal-sim: pl031: out of memory\n");
        return NULL;
    }
    r->config = *config;
    if (r->config.now_ns == NULL)
        r->config.now_ns = realtime_ns;
    pthread_mutex_init(&r->lock, NULL);
    return r;
}

void pl031_destroy(struct pl031 *r)
{
    if (r == NULL)
        return;
    pthread_mutex_destroy(&r->lock);
    free(r);
}

static uint32_t read_reg(struct pl031 *r, uint64_t reg, uint64_t now_ns)
{
    switch (reg) {
    case PL031_DR: return counter_at(r, now_ns);
    case PL031_MR: return r->mr;
    case PL031_LR: return r->lr;
    case PL031_CR: return 1;
    case PL031_IMSC: return r->imsc;
    case PL031_RIS: return r->ris;
    case PL031_MIS: return r->ris & r->imsc;
    default:
        if (reg >= PL031_PERIPH_ID0 && reg < PL031_SIZE)
            return pl031_id[(reg - PL031_PERIPH_ID0) / 4];
        fprintf(stderr, "kaal-sim: pl031: read of %s register 0x%llx: reads as 0\n",
                reg == PL031_ICR ? "the write-only" : "undefined", (unsigned long long)reg);
        return 0;
    }
}

static void write_reg(struct pl031 *r, uint64_t reg, uint32_t v, uint64_t now_ns)
{
    switch (reg) {
    case PL031_MR:
        r->mr = v;
        arm_match(r, now_ns);
        break;
    case PL031_LR:
        r->lr = v;
        r->offset = v - (uint32_t)(now_ns / NS_PER_S);
        arm_match(r, now_ns);
        break;
    case PL031_CR: break; /* permanently enabled */
    case PL031_IMSC: r->imsc = v & 1u; break;
    case PL031_ICR: r->ris &= ~(v & 1u); break;
    default:
        fprintf(stderr, "kaal-sim: pl031: write of 0x%x to %s register 0x%llx: ignored\n", (unsigned)v,
                reg == PL031_DR || reg == PL031_RIS || reg == PL031_MIS || reg >= PL031_PERIPH_ID0 ? "the read-only"
                                                                                                   : "undefined",
                (unsigned long long)reg);
        break;
    }
}

uint64_t pl031_read(void *ctx, uint64_t offset, unsigned bytes)
{
    struct pl031 *r = ctx;
    pthread_mutex_lock(&r->lock);
    uint64_t now = r->config.now_ns(r->config.ctx);
    check_match(r, now);
    uint32_t v = read_reg(r, offset & ~(uint64_t)3, now);
    report_irq(r);
    pthread_mutex_unlock(&r->lock);
    v >>= 8 * (offset & 3);
    return bytes >= 4 ? v : v & ((1u << (8 * bytes)) - 1);
}

void pl031_write(void *ctx, uint64_t offset, unsigned bytes, uint64_t value)
{
    struct pl031 *r = ctx;
    (void)bytes;
    if (offset & 3)
        return; /* into the middle of a register: ignored */
    pthread_mutex_lock(&r->lock);
    uint64_t now = r->config.now_ns(r->config.ctx);
    check_match(r, now);
    write_reg(r, offset, (uint32_t)value, now);
    report_irq(r);
    pthread_mutex_unlock(&r->lock);
}

uint64_t pl031_poll(struct pl031 *r)
{
    pthread_mutex_lock(&r->lock);
    check_match(r, r->config.now_ns(r->config.ctx));
    uint64_t next = r->match_ns;
    report_irq(r);
    pthread_mutex_unlock(&r->lock);
    return next;
}
