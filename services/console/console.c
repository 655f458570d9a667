/*
 * The console server: owns the PL011, serves writes and reads over its
 * endpoint (kaal/proto/console.h).
 *
 * Principle of operation: one thread, one loop. The UART's receive interrupt
 * reaches the server as its bound notification (badge CONSOLE_IRQ_BADGE)
 * while it waits in Recv; the server then moves the received bytes into a
 * ring and signals the reader's notification. Reads never block the server:
 * they answer what the ring holds. When the ring is full the server leaves
 * bytes in the UART's FIFO and does not acknowledge the interrupt, so the
 * device (and on the sim, the host input) waits: input is never dropped.
 */
#include <string.h>

#include <kaal/env.h>
#include <kaal/kaal.h>
#include <kaal/proto/console.h>

#include "pl011.h"

#define CONSOLE_IRQ_BADGE ((kaal_word_t)1 << 63)
#define RING_BYTES 4096u

struct console {
    struct pl011_uart uart;
    kaal_cptr_t irq;
    kaal_cptr_t reader; /* notification: input is waiting (0: nobody to tell) */
    bool irq_pending;   /* an interrupt came whose bytes did not all fit: not yet acknowledged */
    char ring[RING_BYTES];
    size_t head, count;
};

static size_t ring_room(const struct console *c) { return RING_BYTES - c->count; }

/*
 * Move received bytes into the ring; acknowledge once the FIFO is empty.
 * The device's interrupt is cleared before the FIFO is read, not after: a
 * byte that arrives after the last read then raises it again, where a clear
 * after the reads could swallow that byte's interrupt (and with a full FIFO
 * none would ever come again).
 */
static void take_input(struct console *c)
{
    size_t before = c->count;
    pl011_uart_clear_rx_interrupt(&c->uart);
    while (ring_room(c) > 0 && pl011_uart_rx_ready(&c->uart)) {
        size_t tail = (c->head + c->count) % RING_BYTES;
        size_t room = ring_room(c);
        size_t span = RING_BYTES - tail < room ? RING_BYTES - tail : room;
        c->count += pl011_uart_read(&c->uart, c->ring + tail, span);
    }
    if (!pl011_uart_rx_ready(&c->uart)) {
        kaal_irq_handler_ack(c->irq);
        c->irq_pending = false;
    }
    if (c->count > before && c->reader != 0)
        kaal_signal(c->reader);
}

/* Message word i, or 0 if the message is shorter: a word not sent is never read (it is what an earlier message left). */
static kaal_word_t word(kaal_word_t words, unsigned i)
{
    return i < words ? kaal_get_mr(i) : 0;
}

static void serve_write(struct console *c, kaal_word_t words)
{
    kaal_word_t len = word(words, 0);
    kaal_word_t room = words > 0 ? (words - 1) * sizeof(kaal_word_t) : 0;
    if (len > room) { /* the length word promises more bytes than the message holds */
        kaal_set_mr(0, 0);
        kaal_reply(kaal_msginfo(KAAL_ERR_INVALID_ARGUMENT, 0, 0, 1));
        return;
    }
    const char *bytes = (const char *)&kaal_ipc_buffer()->msg[1];
    for (kaal_word_t i = 0; i < len; i++) {
        if (bytes[i] == '\n')
            pl011_uart_putc(&c->uart, '\r');
        pl011_uart_putc(&c->uart, bytes[i]);
    }
    kaal_reply(kaal_msginfo(KAAL_OK, 0, 0, 0));
}

static void serve_read(struct console *c, kaal_word_t words)
{
    kaal_word_t max = word(words, 0);
    if (max > KAAL_CONSOLE_CHUNK)
        max = KAAL_CONSOLE_CHUNK;
    size_t n = c->count < max ? c->count : max;
    char *out = (char *)&kaal_ipc_buffer()->msg[1];
    for (size_t i = 0; i < n; i++)
        out[i] = c->ring[(c->head + i) % RING_BYTES];
    c->head = (c->head + n) % RING_BYTES;
    c->count -= n;
    kaal_set_mr(0, n);
    if (c->irq_pending) /* room again for what waits in the FIFO */
        take_input(c);
    kaal_reply(kaal_msginfo(KAAL_OK, 0, 0, 1 + (n + sizeof(kaal_word_t) - 1) / sizeof(kaal_word_t)));
}

int kaal_main(const struct kaal_env *env)
{
    static struct console c;
    kaal_cptr_t ep = kaal_env_cap(env, "service");
    void *regs = kaal_env_map(env, "uart", NULL);
    c.irq = kaal_env_cap(env, "irq");
    c.reader = kaal_env_cap(env, "reader");
    if (ep == 0 || regs == NULL || c.irq == 0)
        return 1; /* the root task reports which component ended, and with what */
    pl011_uart_init(&c.uart, regs);
    kaal_irq_handler_ack(c.irq);
    /*
     * Bytes that arrived before the receiver's interrupt was enabled raise
     * none later (QEMU's PL011 raises it when its FIFO stops being empty, and
     * the init above cleared what was pending): take them now.
     */
    if (pl011_uart_rx_ready(&c.uart)) {
        c.irq_pending = true;
        take_input(&c);
    }
    for (;;) {
        kaal_word_t badge = 0;
        kaal_word_t info = kaal_recv(ep, &badge);
        if (badge & CONSOLE_IRQ_BADGE) {
            c.irq_pending = true;
            take_input(&c);
            continue;
        }
        switch (kaal_msginfo_label(info)) {
        case KAAL_CONSOLE_WRITE:
            serve_write(&c, kaal_msginfo_length(info));
            break;
        case KAAL_CONSOLE_READ:
            serve_read(&c, kaal_msginfo_length(info));
            break;
        default:
            kaal_set_mr(0, KAAL_ILLEGAL_LABEL);
            kaal_reply(kaal_msginfo(KAAL_ERR_ILLEGAL_OPERATION, 0, 0, 1));
        }
    }
}
