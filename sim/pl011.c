/*
 * ARM PrimeCell UART (PL011) model, register-compatible with QEMU virt's.
 *
 * Principle of operation:
 *   - Transmit: a write to DR hands the byte to the output function at once
 *     (no baud-rate timing), so the TX FIFO is always empty: FR says TXFE,
 *     never TXFF or BUSY. Each write is the FIFO passing down through its
 *     trigger level, so it sets the TX interrupt (as QEMU does; the TRM's TX
 *     interrupt is edge-like: "based on a transition through a level").
 *     With CR.LBE (loopback) the byte goes into the RX FIFO instead.
 *   - Receive: pl011_receive puts bytes into the RX FIFO: 16 entries with
 *     LCR_H.FEN, else a one-entry holding register. The host side is flow
 *     controlled: a full FIFO takes nothing more and the caller waits
 *     (pl011_wait_room), so host input is never dropped and never overruns.
 *     RX interrupt: set whenever a byte arrives and the FIFO then holds its
 *     trigger level or more (IFLS.RXIFLSEL: 1/8, 1/4, 1/2, 3/4, 7/8 of 16;
 *     1 without FEN); cleared when a read leaves fewer, or by ICR.
 *     Receive timeout: the TRM raises it when data waits and no more arrived
 *     for 32 bit periods; here the line goes idle at the end of each burst
 *     the host delivered (one pl011_receive that was taken whole), so RT is
 *     set then if the FIFO holds data; cleared when a read empties the FIFO,
 *     or by ICR.
 *   - Interrupt output UARTINTR = (RIS & IMSC) != 0, reported through the
 *     irq callback after every register access and every receive, also when
 *     it did not change (see docs/machine.md, "Interrupts": that is how a
 *     level that stays high becomes pending again after the kernel took it).
 *     Nothing lowers it but the TRM's ways: ICR, IMSC, and reads of DR.
 *   - Not modelled: baud timing (IBRD/FBRD/LCR_H word format are stored and
 *     read back, nothing else), line errors (FE/PE/BE never happen; OE only
 *     by loopback into a full FIFO), modem lines (FR's CTS/DSR/DCD/RI and
 *     their interrupts stay 0), IrDA, DMA (DMACR is stored only), break.
 *   - As QEMU: the UART transmits and receives even while CR.UARTEN, TXE or
 *     RXE are clear (reset has UARTEN clear); a transmit while disabled is
 *     reported once on stderr, since real hardware would drop it.
 *
 * Narrow accesses (the bus allows 1, 2 and 4 bytes) act on the 32-bit
 * register that holds the offset: a read returns that register's bytes at
 * the offset; a write at the register's own offset writes it with the value
 * zero-extended; a write at offset 1-3 inside a register is ignored.
 *
 * Locking: one mutex for the whole state; the input thread waits for room
 * on a condition variable (monotonic clock) that DR reads and resets signal.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <kaal/machine/pl011.h>

/* PrimeCell identification, as QEMU's "arm" variant: part 0x011, designer ARM (0x41), revision 1 (r1p3). */
static const uint8_t pl011_id[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

/* Reset values (TRM): CR has TXE and RXE set, UARTEN clear; both trigger levels at 1/2. */
#define CR_RESET (PL011_CR_TXE | PL011_CR_RXE)
#define IFLS_RESET 0x12u

/* An RX FIFO entry is what DR reads: data in bits 7:0, error flags FE, PE, BE, OE in bits 11:8. */

struct pl011 {
    pthread_mutex_t lock;
    pthread_cond_t room;
    struct pl011_config config;
    uint16_t fifo[PL011_FIFO_DEPTH];
    unsigned head, count;
    uint32_t rsr, ilpr, ibrd, fbrd, lcr_h, cr, ifls, imsc, ris, dmacr;
    bool warned_disabled_tx;
};

static unsigned depth(const struct pl011 *u)
{
    return (u->lcr_h & PL011_LCR_H_FEN) ? PL011_FIFO_DEPTH : 1u;
}

/* The RX trigger level in entries (IFLS bits 5:3; the reserved codes 5-7 act as 7/8). */
static unsigned rx_trigger(const struct pl011 *u)
{
    static const unsigned eighths[8] = {1, 2, 4, 6, 7, 7, 7, 7};
    if (!(u->lcr_h & PL011_LCR_H_FEN))
        return 1;
    return PL011_FIFO_DEPTH * eighths[(u->ifls >> 3) & 7u] / 8;
}

static void report_irq(struct pl011 *u)
{
    if (u->config.irq != NULL)
        u->config.irq(u->config.ctx, (u->ris & u->imsc) != 0);
}

static void stdout_output(void *ctx, uint8_t byte)
{
    (void)ctx;
    while (write(STDOUT_FILENO, &byte, 1) < 0 && errno == EINTR)
        ;
}

/* Put one entry into the RX FIFO; false if it is full (the caller decides what that means). */
static bool fifo_push(struct pl011 *u, uint16_t entry)
{
    if (u->count >= depth(u))
        return false;
    u->fifo[(u->head + u->count) % PL011_FIFO_DEPTH] = entry;
    u->count++;
    if (u->count >= rx_trigger(u))
        u->ris |= PL011_INT_RX;
    return true;
}

static void fifo_clear(struct pl011 *u)
{
    u->head = 0;
    u->count = 0;
    u->ris &= ~(PL011_INT_RX | PL011_INT_RT);
    pthread_cond_broadcast(&u->room);
}

static void reset_locked(struct pl011 *u)
{
    u->rsr = u->ilpr = u->ibrd = u->fbrd = u->lcr_h = u->imsc = u->ris = u->dmacr = 0;
    u->cr = CR_RESET;
    u->ifls = IFLS_RESET;
    fifo_clear(u);
}

struct pl011 *pl011_create(const struct pl011_config *config)
{
    struct pl011 *u = calloc(1, sizeof *u);
    if (u == NULL) {
        fprintf(stderr, "kaal-sim: pl011: out of memory\n");
        return NULL;
    }
    u->config = *config;
    if (u->config.output == NULL)
        u->config.output = stdout_output;
    pthread_mutex_init(&u->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&u->room, &attr);
    pthread_condattr_destroy(&attr);
    reset_locked(u);
    return u;
}

void pl011_destroy(struct pl011 *u)
{
    if (u == NULL)
        return;
    pthread_cond_destroy(&u->room);
    pthread_mutex_destroy(&u->lock);
    free(u);
}

void pl011_reset(struct pl011 *u)
{
    pthread_mutex_lock(&u->lock);
    reset_locked(u);
    report_irq(u);
    pthread_mutex_unlock(&u->lock);
}

/* DR read: pop the oldest entry; its error flags become RSR. An empty FIFO reads 0. */
static uint32_t read_dr(struct pl011 *u)
{
    if (u->count == 0)
        return 0;
    uint16_t entry = u->fifo[u->head];
    u->head = (u->head + 1) % PL011_FIFO_DEPTH;
    u->count--;
    u->rsr = (u->rsr & 0x8u) | ((entry >> 8) & 0x7u); /* FE, PE, BE of this byte; OE stays until ECR */
    if (u->count < rx_trigger(u))
        u->ris &= ~PL011_INT_RX;
    if (u->count == 0)
        u->ris &= ~PL011_INT_RT;
    pthread_cond_broadcast(&u->room);
    return entry;
}

static uint32_t read_reg(struct pl011 *u, uint64_t reg)
{
    switch (reg) {
    case PL011_DR: return read_dr(u);
    case PL011_RSR: return u->rsr;
    case PL011_FR: {
        uint32_t fr = PL011_FR_TXFE; /* the TX FIFO is always empty: bytes leave at once */
        if (u->count == 0)
            fr |= PL011_FR_RXFE;
        if (u->count >= depth(u))
            fr |= PL011_FR_RXFF;
        return fr;
    }
    case PL011_ILPR: return u->ilpr;
    case PL011_IBRD: return u->ibrd;
    case PL011_FBRD: return u->fbrd;
    case PL011_LCR_H: return u->lcr_h;
    case PL011_CR: return u->cr;
    case PL011_IFLS: return u->ifls;
    case PL011_IMSC: return u->imsc;
    case PL011_RIS: return u->ris;
    case PL011_MIS: return u->ris & u->imsc;
    case PL011_DMACR: return u->dmacr;
    default:
        if (reg >= PL011_PERIPH_ID0 && reg < PL011_SIZE)
            return pl011_id[(reg - PL011_PERIPH_ID0) / 4];
        fprintf(stderr, "kaal-sim: pl011: read of %s register 0x%llx: reads as 0\n",
                reg == PL011_ICR ? "the write-only" : "undefined", (unsigned long long)reg);
        return 0;
    }
}

static void transmit(struct pl011 *u, uint8_t byte)
{
    if (u->cr & PL011_CR_LBE) {
        if (!fifo_push(u, byte)) {
            u->rsr |= 0x8u; /* overrun: the byte is lost, the FIFO keeps what it had */
            u->ris |= PL011_INT_OE;
        }
    } else {
        if ((u->cr & (PL011_CR_UARTEN | PL011_CR_TXE)) != (PL011_CR_UARTEN | PL011_CR_TXE) &&
            !u->warned_disabled_tx) {
            u->warned_disabled_tx = true;
            fprintf(stderr, "kaal-sim: pl011: data written while UARTEN or TXE is clear: sent anyway, as QEMU "
                            "does (real hardware would not send it)\n");
        }
        u->config.output(u->config.ctx, byte);
    }
    u->ris |= PL011_INT_TX;
}

static void write_reg(struct pl011 *u, uint64_t reg, uint32_t v)
{
    switch (reg) {
    case PL011_DR: transmit(u, (uint8_t)v); break;
    case PL011_RSR: u->rsr = 0; break; /* ECR: any write clears the error flags */
    case PL011_ILPR: u->ilpr = v & 0xffu; break;
    case PL011_IBRD: u->ibrd = v & 0xffffu; break;
    case PL011_FBRD: u->fbrd = v & 0x3fu; break;
    case PL011_LCR_H:
        /* Switching the FIFOs on or off empties them (as QEMU does). */
        if ((u->lcr_h ^ v) & PL011_LCR_H_FEN) {
            u->lcr_h = v & 0xffu;
            fifo_clear(u);
        }
        u->lcr_h = v & 0xffu;
        break;
    case PL011_CR:
        u->cr = v & 0xff87u; /* bits 6:3 are reserved */
        pthread_cond_broadcast(&u->room); /* the receiver may be on now: the host may send */
        break;
    case PL011_IFLS: u->ifls = v & 0x3fu; break;
    case PL011_IMSC: u->imsc = v & PL011_INT_ALL; break;
    case PL011_ICR: u->ris &= ~(v & PL011_INT_ALL); break;
    case PL011_DMACR: u->dmacr = v & 0x7u; break;
    default:
        fprintf(stderr, "kaal-sim: pl011: write of 0x%x to %s register 0x%llx: ignored\n", (unsigned)v,
                reg == PL011_FR || reg == PL011_RIS || reg == PL011_MIS || reg >= PL011_PERIPH_ID0 ? "the read-only"
                                                                                                   : "undefined",
                (unsigned long long)reg);
        break;
    }
}

uint64_t pl011_read(void *ctx, uint64_t offset, unsigned bytes)
{
    struct pl011 *u = ctx;
    pthread_mutex_lock(&u->lock);
    uint32_t v = read_reg(u, offset & ~(uint64_t)3);
    report_irq(u);
    pthread_mutex_unlock(&u->lock);
    v >>= 8 * (offset & 3);
    return bytes >= 4 ? v : v & ((1u << (8 * bytes)) - 1);
}

void pl011_write(void *ctx, uint64_t offset, unsigned bytes, uint64_t value)
{
    struct pl011 *u = ctx;
    (void)bytes;
    if (offset & 3)
        return; /* a write into the middle of a register: ignored (see the top of the file) */
    pthread_mutex_lock(&u->lock);
    write_reg(u, offset, (uint32_t)value);
    report_irq(u);
    pthread_mutex_unlock(&u->lock);
}

/*
 * The host is the far end of the line, with flow control: it sends nothing
 * until the receiver is on (UARTEN and RXE). So a byte typed or piped before
 * the driver set the UART up is not lost in a FIFO the set-up clears (a
 * change of LCR_H.FEN empties it), it waits on the host side.
 */
static bool receiving(const struct pl011 *u)
{
    return (u->cr & (PL011_CR_UARTEN | PL011_CR_RXE)) == (PL011_CR_UARTEN | PL011_CR_RXE);
}

size_t pl011_receive(struct pl011 *u, const uint8_t *bytes, size_t n)
{
    pthread_mutex_lock(&u->lock);
    size_t taken = 0;
    while (taken < n && receiving(u) && fifo_push(u, bytes[taken]))
        taken++;
    if (taken == n && n > 0 && u->count > 0)
        u->ris |= PL011_INT_RT; /* the burst is over: the line is idle with data waiting */
    report_irq(u);
    pthread_mutex_unlock(&u->lock);
    return taken;
}

bool pl011_rx_empty(struct pl011 *u)
{
    pthread_mutex_lock(&u->lock);
    bool empty = u->count == 0;
    pthread_mutex_unlock(&u->lock);
    return empty;
}

bool pl011_wait_room(struct pl011 *u, uint64_t timeout_ns)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)(timeout_ns / 1000000000u);
    until.tv_nsec += (long)(timeout_ns % 1000000000u);
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&u->lock);
    while (u->count >= depth(u) || !receiving(u)) {
        if (pthread_cond_timedwait(&u->room, &u->lock, &until) == ETIMEDOUT)
            break;
    }
    bool room = u->count < depth(u) && receiving(u);
    pthread_mutex_unlock(&u->lock);
    return room;
}
