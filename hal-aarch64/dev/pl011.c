/*
 * The kernel debug console on the PL011 UART of QEMU virt, polled.
 *
 * The address is fixed rather than read from /chosen/stdout-path because the
 * console must work before the device tree is parsed, to report a bad one.
 * QEMU leaves the UART enabled (UARTEN, TXE, RXE) and ignores the baud rate,
 * so no set-up is needed; real hardware inherits it from the firmware.
 */
#include <stdint.h>

#include <kaal/hal/console.h>
#include <kaal/hal/mmio.h>

#include "mm/kmap.h"

/* Its kernel address in the linear map (mm/kmap.c maps it before the MMU
 * switches to the final tables; the early tables map it too). */
#define PL011_BASE kmap_kaddr(0x09000000u)
#define PL011_DR (PL011_BASE + 0x000) /* data */
#define PL011_FR (PL011_BASE + 0x018) /* flags */
#define FR_RXFE (1u << 4)             /* receive FIFO empty */
#define FR_TXFF (1u << 5)             /* transmit FIFO full */

static void pl011_put(char c)
{
    while (hal_mmio_read32(PL011_FR) & FR_TXFF)
        ;
    hal_mmio_write32(PL011_DR, (uint8_t)c);
}

void hal_console_putc(char c)
{
    /* QEMU's -nographic puts the host terminal in raw mode: a bare \n would
     * not return the cursor. */
    if (c == '\n')
        pl011_put('\r');
    pl011_put(c);
}

int hal_console_getc(void)
{
    if (hal_mmio_read32(PL011_FR) & FR_RXFE)
        return -1;
    return (int)(hal_mmio_read32(PL011_DR) & 0xff);
}
