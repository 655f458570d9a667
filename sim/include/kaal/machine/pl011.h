/*
 * The ARM PL011 UART model (sim/pl011.c, docs/machine.md "PL011").
 *
 * Register interface of QEMU virt's PL011 (PrimeCell revision r1p3 IDs, so
 * 16-entry FIFOs, as QEMU has). Transmitted bytes go to a host output
 * function at once; received bytes come from pl011_receive (the terminal's
 * input thread, or a test). The interrupt output UARTINTR (any masked
 * interrupt pending) is reported through a callback after every change.
 *
 * Thread rule: register access and pl011_receive may come from different
 * host threads; the model locks its own state. The callbacks run with that
 * lock held: they must not call back into the model.
 */
#ifndef KAAL_MACHINE_PL011_H
#define KAAL_MACHINE_PL011_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PL011_SIZE 0x1000u
#define PL011_FIFO_DEPTH 16u

/* Register offsets (PL011 TRM, "Summary of registers"). */
enum pl011_reg {
    PL011_DR = 0x000,    /* data: write transmits, read pops the RX FIFO (bits 11:8 OE, BE, PE, FE) */
    PL011_RSR = 0x004,   /* read: receive status (FE, PE, BE, OE); write: ECR, clears it */
    PL011_FR = 0x018,    /* flags */
    PL011_ILPR = 0x020,  /* IrDA low-power counter (stored only) */
    PL011_IBRD = 0x024,  /* integer baud divisor, 16 bits */
    PL011_FBRD = 0x028,  /* fractional baud divisor, 6 bits */
    PL011_LCR_H = 0x02c, /* line control: FEN (bit 4) enables the FIFOs */
    PL011_CR = 0x030,    /* control: UARTEN (0), LBE (7), TXE (8), RXE (9) ... */
    PL011_IFLS = 0x034,  /* FIFO trigger levels: RXIFLSEL 5:3, TXIFLSEL 2:0 */
    PL011_IMSC = 0x038,  /* interrupt mask: 1 = enabled */
    PL011_RIS = 0x03c,   /* raw interrupt status */
    PL011_MIS = 0x040,   /* masked: RIS & IMSC */
    PL011_ICR = 0x044,   /* write 1s to clear RIS bits */
    PL011_DMACR = 0x048, /* DMA control (stored only: no DMA) */
    PL011_PERIPH_ID0 = 0xfe0,
    PL011_PCELL_ID0 = 0xff0,
};

/* FR bits */
#define PL011_FR_BUSY (1u << 3)
#define PL011_FR_RXFE (1u << 4)
#define PL011_FR_TXFF (1u << 5)
#define PL011_FR_RXFF (1u << 6)
#define PL011_FR_TXFE (1u << 7)

/* LCR_H and CR bits */
#define PL011_LCR_H_FEN (1u << 4)
#define PL011_CR_UARTEN (1u << 0)
#define PL011_CR_LBE (1u << 7)
#define PL011_CR_TXE (1u << 8)
#define PL011_CR_RXE (1u << 9)

/* Interrupt bits of IMSC, RIS, MIS, ICR */
#define PL011_INT_RX (1u << 4)  /* RX FIFO at or above its trigger level */
#define PL011_INT_TX (1u << 5)  /* TX FIFO passed down through its trigger level */
#define PL011_INT_RT (1u << 6)  /* receive timeout: data waits and the line went idle */
#define PL011_INT_FE (1u << 7)
#define PL011_INT_PE (1u << 8)
#define PL011_INT_BE (1u << 9)
#define PL011_INT_OE (1u << 10) /* overrun: a byte arrived with the FIFO full (only in loopback) */
#define PL011_INT_ALL 0x7ffu

struct pl011_config {
    /* A transmitted byte. NULL: the host's standard output. */
    void (*output)(void *ctx, uint8_t byte);
    /* The level of UARTINTR, after every event that may change it. NULL: not wired. */
    void (*irq)(void *ctx, bool level);
    void *ctx;
};

struct pl011;

/* A UART in its reset state, or NULL (out of memory, with a message). */
struct pl011 *pl011_create(const struct pl011_config *config);
void pl011_destroy(struct pl011 *u);

/* Registers as the bus calls them (struct sim_device's read/write; ctx is the struct pl011). */
uint64_t pl011_read(void *u, uint64_t offset, unsigned bytes);
void pl011_write(void *u, uint64_t offset, unsigned bytes, uint64_t value);

/*
 * Bytes arriving on the receive line, as one burst: the model takes as many
 * as the RX FIFO has room for and returns that count (never drops one).
 * When it took all of them the line goes idle: the receive-timeout
 * interrupt is raised if data waits in the FIFO.
 */
size_t pl011_receive(struct pl011 *u, const uint8_t *bytes, size_t n);

/* Wait until the RX FIFO has room, at most timeout_ns; true if it has. */
bool pl011_wait_room(struct pl011 *u, uint64_t timeout_ns);

/* Has the driver taken every received byte out of the FIFO? */
bool pl011_rx_empty(struct pl011 *u);

/* Back to the reset state (FIFO emptied, registers as the TRM's reset values). */
void pl011_reset(struct pl011 *u);

#endif
