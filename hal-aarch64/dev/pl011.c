/*
 * The kernel debug console on the PL011 UART of QEMU virt, polled.
 *
 * The address is fixed rather than read from /chosen/stdout-path because the
 * console must work before the device tree is parsed, to report a bad one.
 * QEMU leaves the UART enabled (UARTEN, TXE, RXE) and ignores the baud rate,
 * so no set-up is needed; real hardware inherits it from the firmware.
 */
#include <stdbool.h>
#include <stdint.h>

#include <kaal/hal/console.h>
#include <kaal/hal/mmio.h>

#include "dev/console.h"
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

static void console_put(char c)
{
    /* QEMU's -nographic puts the host terminal in raw mode: a bare \n would
     * not return the cursor. */
    if (c == '\n')
        pl011_put('\r');
    pl011_put(c);
}

/*
 * Muting the debug kernel's rejection lines ("kaal: reject: ...", one per
 * refused invocation, many of them expected: the root task maps a page and
 * learns from the refusal which table is missing). A line is held back
 * while it starts like one; it is dropped, newline and all, once it is one,
 * and let through as soon as it differs.
 */
#define REJECTION "kaal: reject: "
#define REJECTION_LEN (sizeof REJECTION - 1)

static struct {
    bool mute;
    enum { LINE_START, LINE_PASS, LINE_DROP } state;
    unsigned held; /* bytes of REJECTION matched and held back */
} filter;

void console_mute_rejections(bool mute)
{
    filter.mute = mute;
}

void hal_console_putc(char c)
{
    if (!filter.mute) {
        console_put(c);
        return;
    }
    switch (filter.state) {
    case LINE_START:
        if (c == REJECTION[filter.held]) {
            if (++filter.held == REJECTION_LEN) {
                filter.state = LINE_DROP;
                filter.held = 0;
            }
            return;
        }
        for (unsigned i = 0; i < filter.held; i++)
            console_put(REJECTION[i]);
        filter.held = 0;
        filter.state = c == '\n' ? LINE_START : LINE_PASS;
        console_put(c);
        return;
    case LINE_PASS:
        if (c == '\n')
            filter.state = LINE_START;
        console_put(c);
        return;
    case LINE_DROP:
        if (c == '\n')
            filter.state = LINE_START;
        return;
    }
}

int hal_console_getc(void)
{
    if (hal_mmio_read32(PL011_FR) & FR_RXFE)
        return -1;
    return (int)(hal_mmio_read32(PL011_DR) & 0xff);
}
