/*
 * PL011 UART driver. Register offsets and bits from the PL011 TRM; only the
 * subset a console needs.
 */
#include "pl011.h"

#include <kaal/mmio.h>

#define UART_DR 0x000
#define UART_FR 0x018
#define UART_LCR_H 0x02c
#define UART_CR 0x030
#define UART_IFLS 0x034
#define UART_IMSC 0x038
#define UART_ICR 0x044

#define FR_RXFE (1u << 4) /* receive FIFO empty */
#define FR_TXFF (1u << 5) /* transmit FIFO full */
#define LCR_H_FEN (1u << 4)
#define LCR_H_WLEN_8 (3u << 5)
#define CR_UARTEN (1u << 0)
#define CR_TXE (1u << 8)
#define CR_RXE (1u << 9)
#define INT_RX (1u << 4) /* receive: the FIFO reached its trigger level */
#define INT_RT (1u << 6) /* receive timeout: bytes wait below the trigger level */

static uint32_t reg_read(struct pl011_uart *u, unsigned offset)
{
    return kaal_mmio_read32(u->base + offset);
}

static void reg_write(struct pl011_uart *u, unsigned offset, uint32_t value)
{
    kaal_mmio_write32(u->base + offset, value);
}

void pl011_uart_init(struct pl011_uart *u, volatile void *base)
{
    u->base = base;
    reg_write(u, UART_CR, 0);                        /* off while the line settings change */
    reg_write(u, UART_LCR_H, LCR_H_FEN | LCR_H_WLEN_8);
    reg_write(u, UART_IFLS, 0);                      /* interrupt at 1/8 full; the timeout covers the rest */
    reg_write(u, UART_ICR, 0x7ff);                   /* nothing stale pending */
    reg_write(u, UART_IMSC, INT_RX | INT_RT);
    reg_write(u, UART_CR, CR_UARTEN | CR_TXE | CR_RXE);
}

void pl011_uart_enable_transmit(struct pl011_uart *u, volatile void *base)
{
    u->base = base;
    uint32_t cr = reg_read(u, UART_CR);
    if ((cr & (CR_UARTEN | CR_TXE)) == (CR_UARTEN | CR_TXE))
        return;
    reg_write(u, UART_CR, 0);
    reg_write(u, UART_LCR_H, LCR_H_FEN | LCR_H_WLEN_8);
    reg_write(u, UART_CR, CR_UARTEN | CR_TXE);
}

void pl011_uart_putc(struct pl011_uart *u, char c)
{
    while (reg_read(u, UART_FR) & FR_TXFF)
        ;
    reg_write(u, UART_DR, (uint8_t)c);
}

bool pl011_uart_rx_ready(struct pl011_uart *u)
{
    return (reg_read(u, UART_FR) & FR_RXFE) == 0;
}

size_t pl011_uart_read(struct pl011_uart *u, char *buf, size_t max)
{
    size_t n = 0;
    while (n < max && pl011_uart_rx_ready(u))
        buf[n++] = (char)(reg_read(u, UART_DR) & 0xff); /* bits 8-11 are error flags: a console ignores them */
    return n;
}

void pl011_uart_clear_rx_interrupt(struct pl011_uart *u)
{
    reg_write(u, UART_ICR, INT_RX | INT_RT);
}
