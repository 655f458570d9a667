/*
 * The PL011 model register by register, without the kernel: reset values,
 * transmit to a captured output, the RX FIFO (fill, drain, flags, the
 * holding register without FEN, trigger levels), the interrupt bits (raw,
 * mask, masked, clear, the output level the callback sees), receive
 * timeout, loopback and overrun, flow control of the input side, narrow
 * accesses, the PrimeCell IDs.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <kaal/machine/pl011.h>

struct capture {
    uint8_t out[256];
    size_t out_len;
    bool level;
    unsigned irq_calls;
};

static void capture_output(void *ctx, uint8_t byte)
{
    struct capture *c = ctx;
    if (c->out_len < sizeof c->out)
        c->out[c->out_len++] = byte;
}

static void capture_irq(void *ctx, bool level)
{
    struct capture *c = ctx;
    c->level = level;
    c->irq_calls++;
}

struct fixture {
    struct capture cap;
    struct pl011 *u;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct pl011_config config = {.output = capture_output, .irq = capture_irq, .ctx = &f->cap};
    f->u = pl011_create(&config);
    *state = f;
    return f->u == NULL;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    pl011_destroy(f->u);
    free(f);
    return 0;
}

static uint32_t rd(struct fixture *f, uint64_t reg) { return (uint32_t)pl011_read(f->u, reg, 4); }
static void wr(struct fixture *f, uint64_t reg, uint32_t v) { pl011_write(f->u, reg, 4, v); }

/* FIFOs on, UART on, as a driver sets it up. */
static void enable(struct fixture *f)
{
    wr(f, PL011_LCR_H, PL011_LCR_H_FEN | (3u << 5)); /* 8 bits, FIFOs */
    wr(f, PL011_CR, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE);
}

static size_t feed(struct fixture *f, const char *s)
{
    return pl011_receive(f->u, (const uint8_t *)s, strlen(s));
}

static void reset_values(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(rd(f, PL011_FR), PL011_FR_TXFE | PL011_FR_RXFE);
    assert_int_equal(rd(f, PL011_CR), PL011_CR_TXE | PL011_CR_RXE);
    assert_int_equal(rd(f, PL011_IFLS), 0x12);
    assert_int_equal(rd(f, PL011_LCR_H), 0);
    assert_int_equal(rd(f, PL011_IMSC), 0);
    assert_int_equal(rd(f, PL011_RIS), 0);
    assert_int_equal(rd(f, PL011_MIS), 0);
    assert_int_equal(rd(f, PL011_RSR), 0);
    assert_int_equal(rd(f, PL011_IBRD), 0);
    assert_int_equal(rd(f, PL011_FBRD), 0);
    assert_int_equal(rd(f, PL011_DMACR), 0);
    assert_false(f->cap.level);
}

static void registers_keep_their_bits(void **state)
{
    struct fixture *f = *state;
    wr(f, PL011_IBRD, 0x12345);
    assert_int_equal(rd(f, PL011_IBRD), 0x2345); /* 16 bits */
    wr(f, PL011_FBRD, 0xff);
    assert_int_equal(rd(f, PL011_FBRD), 0x3f); /* 6 bits */
    wr(f, PL011_LCR_H, 0x1ff);
    assert_int_equal(rd(f, PL011_LCR_H), 0xff);
    wr(f, PL011_CR, 0xffff);
    assert_int_equal(rd(f, PL011_CR), 0xff87); /* bits 6:3 reserved */
    wr(f, PL011_IFLS, 0xff);
    assert_int_equal(rd(f, PL011_IFLS), 0x3f);
    wr(f, PL011_IMSC, 0xffff);
    assert_int_equal(rd(f, PL011_IMSC), PL011_INT_ALL);
    wr(f, PL011_DMACR, 0xff);
    assert_int_equal(rd(f, PL011_DMACR), 7);
    wr(f, PL011_ILPR, 0x1ff);
    assert_int_equal(rd(f, PL011_ILPR), 0xff);
    /* Read-only registers ignore writes. */
    wr(f, PL011_FR, 0);
    assert_int_equal(rd(f, PL011_FR), PL011_FR_TXFE | PL011_FR_RXFE);
    wr(f, PL011_RIS, 0x7ff);
    assert_int_equal(rd(f, PL011_RIS), 0);
    pl011_reset(f->u);
    assert_int_equal(rd(f, PL011_IBRD), 0);
    assert_int_equal(rd(f, PL011_CR), PL011_CR_TXE | PL011_CR_RXE);
}

static void ids(void **state)
{
    struct fixture *f = *state;
    static const uint32_t want[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(rd(f, PL011_PERIPH_ID0 + 4 * i), want[i]);
    /* part number 0x011, designer 0x41 (ARM), revision 1: 16-deep FIFOs */
    assert_int_equal(rd(f, 0xfe0) | (rd(f, 0xfe4) & 0xf) << 8, 0x011);
    assert_int_equal((rd(f, 0xfe4) >> 4) | (rd(f, 0xfe8) & 0xf) << 4, 0x41);
    assert_int_equal(rd(f, 0xfe8) >> 4, 1);
}

static void transmit(void **state)
{
    struct fixture *f = *state;
    enable(f);
    wr(f, PL011_DR, 'h');
    wr(f, PL011_DR, 0x100 | 'i'); /* only bits 7:0 are data */
    assert_int_equal(f->cap.out_len, 2);
    assert_memory_equal(f->cap.out, "hi", 2);
    uint32_t fr = rd(f, PL011_FR);
    assert_true(fr & PL011_FR_TXFE);
    assert_false(fr & (PL011_FR_TXFF | PL011_FR_BUSY));
    /* Each byte leaves at once: the TX FIFO passed through its trigger level. */
    assert_int_equal(rd(f, PL011_RIS), PL011_INT_TX);
    assert_false(f->cap.level); /* masked */
    wr(f, PL011_IMSC, PL011_INT_TX);
    assert_true(f->cap.level);
    assert_int_equal(rd(f, PL011_MIS), PL011_INT_TX);
    wr(f, PL011_ICR, PL011_INT_TX);
    assert_int_equal(rd(f, PL011_RIS), 0);
    assert_false(f->cap.level);
    /* An 8-bit write to DR transmits too. */
    pl011_write(f->u, PL011_DR, 1, '!');
    assert_int_equal(f->cap.out_len, 3);
    assert_int_equal(f->cap.out[2], '!');
}

static void fifo_fill_and_drain(void **state)
{
    struct fixture *f = *state;
    enable(f);
    assert_int_equal(feed(f, "0123456789abcdefXYZ"), PL011_FIFO_DEPTH); /* 16 taken, the rest waits */
    assert_int_equal(rd(f, PL011_FR) & (PL011_FR_RXFE | PL011_FR_RXFF), PL011_FR_RXFF);
    assert_false(pl011_wait_room(f->u, 1000000)); /* full: no room within 1 ms */
    assert_int_equal(pl011_receive(f->u, (const uint8_t *)"X", 1), 0);
    for (unsigned i = 0; i < PL011_FIFO_DEPTH; i++) {
        uint32_t dr = rd(f, PL011_DR);
        assert_int_equal(dr, (uint32_t)"0123456789abcdef"[i]); /* no error bits */
        assert_false(rd(f, PL011_FR) & PL011_FR_RXFF);
        assert_true(pl011_wait_room(f->u, 0));
    }
    assert_true(rd(f, PL011_FR) & PL011_FR_RXFE);
    assert_int_equal(rd(f, PL011_DR), 0); /* empty reads 0 */
    assert_int_equal(rd(f, PL011_RSR), 0);
}

static void holding_register_without_fifo(void **state)
{
    struct fixture *f = *state;
    /* The host sends nothing until the receiver is on (UARTEN and RXE): no byte is lost to a reset FIFO. */
    assert_int_equal(feed(f, "ab"), 0);
    assert_false(pl011_wait_room(f->u, 1000000));
    wr(f, PL011_CR, PL011_CR_UARTEN | PL011_CR_RXE);
    assert_true(pl011_wait_room(f->u, 1000000));
    /* FEN clear (reset): a one-character holding register, trigger 1. */
    assert_int_equal(feed(f, "ab"), 1);
    assert_int_equal(rd(f, PL011_FR) & (PL011_FR_RXFE | PL011_FR_RXFF), PL011_FR_RXFF);
    assert_true(rd(f, PL011_RIS) & PL011_INT_RX);
    assert_int_equal(rd(f, PL011_DR), 'a');
    assert_int_equal(rd(f, PL011_RIS) & (PL011_INT_RX | PL011_INT_RT), 0);
    /* Turning the FIFOs on empties them. */
    assert_int_equal(feed(f, "b"), 1);
    wr(f, PL011_LCR_H, PL011_LCR_H_FEN);
    assert_true(rd(f, PL011_FR) & PL011_FR_RXFE);
}

static void rx_trigger_levels(void **state)
{
    struct fixture *f = *state;
    enable(f);
    wr(f, PL011_IMSC, PL011_INT_RX);
    /* RXIFLSEL 1/8, 1/4, 1/2, 3/4, 7/8 of 16 */
    static const unsigned levels[5] = {2, 4, 8, 12, 14};
    for (unsigned sel = 0; sel < 5; sel++) {
        wr(f, PL011_IFLS, sel << 3);
        for (unsigned n = 1; n <= levels[sel]; n++) {
            /* byte by byte, each taken in one call: RT too, but only RX is unmasked */
            pl011_receive(f->u, (const uint8_t *)"x", 1);
            assert_int_equal((rd(f, PL011_RIS) & PL011_INT_RX) != 0, n >= levels[sel]);
            assert_int_equal(f->cap.level, n >= levels[sel]);
        }
        /* Reading below the level clears RX; the rest still waits. */
        rd(f, PL011_DR);
        assert_false(rd(f, PL011_RIS) & PL011_INT_RX);
        assert_false(f->cap.level);
        while (!(rd(f, PL011_FR) & PL011_FR_RXFE))
            rd(f, PL011_DR);
    }
}

static void receive_timeout(void **state)
{
    struct fixture *f = *state;
    enable(f);
    wr(f, PL011_IMSC, PL011_INT_RX | PL011_INT_RT);
    /* Three bytes, below the 1/2 trigger: only the end of the burst (RT) says they are there. */
    assert_int_equal(feed(f, "abc"), 3);
    assert_int_equal(rd(f, PL011_RIS), PL011_INT_RT);
    assert_int_equal(rd(f, PL011_MIS), PL011_INT_RT);
    assert_true(f->cap.level);
    /* Clearing RT by ICR with data still there: the level drops. */
    wr(f, PL011_ICR, PL011_INT_RT);
    assert_false(f->cap.level);
    assert_int_equal(rd(f, PL011_DR), 'a');
    /* A new burst raises it again; reading the FIFO empty clears it. */
    feed(f, "d");
    assert_true(f->cap.level);
    assert_int_equal(rd(f, PL011_DR), 'b');
    assert_true(f->cap.level);
    rd(f, PL011_DR);
    rd(f, PL011_DR);
    assert_int_equal(rd(f, PL011_RIS), 0);
    assert_false(f->cap.level);
    /* A burst that does not fit raises no RT until its remainder is taken whole. */
    wr(f, PL011_ICR, PL011_INT_ALL);
    char many[PL011_FIFO_DEPTH + 3];
    memset(many, 'm', sizeof many - 1);
    many[sizeof many - 1] = '\0';
    assert_int_equal(feed(f, many), PL011_FIFO_DEPTH);
    assert_int_equal(rd(f, PL011_RIS), PL011_INT_RX);
    rd(f, PL011_DR);
    rd(f, PL011_DR);
    assert_int_equal(feed(f, "mm"), 2);
    assert_int_equal(rd(f, PL011_RIS), PL011_INT_RX | PL011_INT_RT);
}

static void masks(void **state)
{
    struct fixture *f = *state;
    enable(f);
    feed(f, "a");
    wr(f, PL011_DR, 'z');
    assert_int_equal(rd(f, PL011_RIS), PL011_INT_TX | PL011_INT_RT);
    assert_int_equal(rd(f, PL011_MIS), 0);
    assert_false(f->cap.level);
    wr(f, PL011_IMSC, PL011_INT_RT);
    assert_int_equal(rd(f, PL011_MIS), PL011_INT_RT);
    assert_true(f->cap.level);
    wr(f, PL011_IMSC, 0); /* masking lowers the output, RIS stays */
    assert_false(f->cap.level);
    assert_int_equal(rd(f, PL011_RIS), PL011_INT_TX | PL011_INT_RT);
    wr(f, PL011_ICR, PL011_INT_ALL);
    assert_int_equal(rd(f, PL011_RIS), 0);
    /* The callback hears of every access, also when the level stays. */
    unsigned calls = f->cap.irq_calls;
    rd(f, PL011_FR);
    assert_int_equal(f->cap.irq_calls, calls + 1);
}

static void loopback_and_overrun(void **state)
{
    struct fixture *f = *state;
    enable(f);
    wr(f, PL011_CR, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE | PL011_CR_LBE);
    wr(f, PL011_IMSC, PL011_INT_OE);
    for (unsigned i = 0; i < PL011_FIFO_DEPTH; i++)
        wr(f, PL011_DR, 'A' + i);
    assert_int_equal(f->cap.out_len, 0); /* looped back, not sent */
    assert_true(rd(f, PL011_FR) & PL011_FR_RXFF);
    assert_false(f->cap.level);
    wr(f, PL011_DR, '!'); /* no room: lost, overrun */
    assert_true(f->cap.level);
    assert_true(rd(f, PL011_RIS) & PL011_INT_OE);
    assert_int_equal(rd(f, PL011_RSR), 0x8);
    assert_int_equal(rd(f, PL011_DR) & 0xff, 'A');
    wr(f, PL011_RSR, 0); /* ECR */
    assert_int_equal(rd(f, PL011_RSR), 0);
    wr(f, PL011_ICR, PL011_INT_OE);
    assert_false(f->cap.level);
}

static void narrow_accesses(void **state)
{
    struct fixture *f = *state;
    wr(f, PL011_IBRD, 0xabcd);
    assert_int_equal(pl011_read(f->u, PL011_IBRD, 1), 0xcd);
    assert_int_equal(pl011_read(f->u, PL011_IBRD + 1, 1), 0xab);
    assert_int_equal(pl011_read(f->u, PL011_IBRD, 2), 0xabcd);
    pl011_write(f->u, PL011_IBRD, 2, 0x1234);
    assert_int_equal(rd(f, PL011_IBRD), 0x1234);
    pl011_write(f->u, PL011_IBRD + 1, 1, 0x55); /* inside a register: ignored */
    assert_int_equal(rd(f, PL011_IBRD), 0x1234);
}

struct feeder {
    struct pl011 *u;
    size_t fed;
};

/* Flow control as the terminal does it: offer, wait for room, offer the rest. */
static void *feeder_main(void *arg)
{
    struct feeder *fd = arg;
    uint8_t bytes[100];
    for (unsigned i = 0; i < sizeof bytes; i++)
        bytes[i] = (uint8_t)i;
    while (fd->fed < sizeof bytes) {
        fd->fed += pl011_receive(fd->u, bytes + fd->fed, sizeof bytes - fd->fed);
        if (fd->fed < sizeof bytes)
            pl011_wait_room(fd->u, 5000000000u);
    }
    return NULL;
}

static void input_waits_for_room(void **state)
{
    struct fixture *f = *state;
    enable(f);
    struct feeder fd = {.u = f->u};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, feeder_main, &fd), 0);
    for (unsigned i = 0; i < 100; i++) {
        while (rd(f, PL011_FR) & PL011_FR_RXFE) {
            struct timespec ts = {0, 100000};
            nanosleep(&ts, NULL);
        }
        assert_int_equal(rd(f, PL011_DR), i); /* every byte, in order, none lost */
    }
    pthread_join(t, NULL);
    assert_int_equal(fd.fed, 100);
}

static void default_output_is_stdout(void **state)
{
    (void)state;
    struct pl011_config config = {0};
    struct pl011 *u = pl011_create(&config);
    assert_non_null(u);
    pl011_write(u, PL011_CR, 4, PL011_CR_UARTEN | PL011_CR_TXE);
    pl011_write(u, PL011_DR, 4, '\n'); /* a byte on the test's stdout */
    pl011_destroy(u);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(reset_values), T(registers_keep_their_bits), T(ids), T(transmit), T(fifo_fill_and_drain),
        T(holding_register_without_fifo), T(rx_trigger_levels), T(receive_timeout), T(masks),
        T(loopback_and_overrun), T(narrow_accesses), T(input_waits_for_room), T(default_output_is_stdout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
