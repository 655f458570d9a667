/*
 * PL011 UART driver (ARM PrimeCell UART, r1p5 TRM DDI 0183): the same source
 * drives QEMU virt's UART on aarch64 and the sim's model, through libkaal's
 * MMIO accessors.
 */
#ifndef KAAL_DRIVERS_PL011_H
#define KAAL_DRIVERS_PL011_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pl011_uart {
    volatile uint8_t *base; /* the mapped register page */
};

/* Enable the UART for 8N1 with FIFOs, transmit and receive, and the receive interrupts. */
void pl011_uart_init(struct pl011_uart *u, volatile void *base);

/*
 * Make sure the UART transmits, for a program that only writes (the root
 * task when there is no console server): a UART nobody has set up gets
 * 8-bit words, FIFOs and the transmitter; one in use is left as it is.
 */
void pl011_uart_enable_transmit(struct pl011_uart *u, volatile void *base);

/* Send one byte, waiting while the transmit FIFO is full. */
void pl011_uart_putc(struct pl011_uart *u, char c);

/* Take up to max received bytes out of the receive FIFO. */
size_t pl011_uart_read(struct pl011_uart *u, char *buf, size_t max);

/* Is a received byte waiting? */
bool pl011_uart_rx_ready(struct pl011_uart *u);

/* Clear the receive and receive-timeout interrupts (before draining the FIFO: bytes after that raise them anew). */
void pl011_uart_clear_rx_interrupt(struct pl011_uart *u);

#endif
