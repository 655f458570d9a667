/*
 * The PL031 model register by register, with a clock the test sets: the
 * counter follows the time source, LR loads it, MR matches it (raw, masked,
 * cleared, once per arming, across the 32-bit wrap), pl031_poll tells the
 * moment of the next match, CR is always 1, the IDs; and the default time
 * source is the host's wall clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include <kaal/machine/pl031.h>

#define S 1000000000ull

struct fixture {
    uint64_t now;
    bool level;
    struct pl031 *r;
};

static uint64_t test_clock(void *ctx) { return ((struct fixture *)ctx)->now; }
static void test_irq(void *ctx, bool level) { ((struct fixture *)ctx)->level = level; }

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->now = 1700000000 * S + S / 2; /* half-way through a second */
    struct pl031_config config = {.now_ns = test_clock, .irq = test_irq, .ctx = f};
    f->r = pl031_create(&config);
    *state = f;
    return f->r == NULL;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    pl031_destroy(f->r);
    free(f);
    return 0;
}

static uint32_t rd(struct fixture *f, uint64_t reg) { return (uint32_t)pl031_read(f->r, reg, 4); }
static void wr(struct fixture *f, uint64_t reg, uint32_t v) { pl031_write(f->r, reg, 4, v); }

static void counts_from_the_clock(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(rd(f, PL031_DR), 1700000000u); /* seconds since the epoch, as QEMU starts it */
    f->now += S / 2 - 1;
    assert_int_equal(rd(f, PL031_DR), 1700000000u);
    f->now += 1;
    assert_int_equal(rd(f, PL031_DR), 1700000001u);
    f->now += 3600 * S;
    assert_int_equal(rd(f, PL031_DR), 1700003601u);
    assert_int_equal(rd(f, PL031_CR), 1);
    wr(f, PL031_CR, 0); /* permanently enabled */
    assert_int_equal(rd(f, PL031_CR), 1);
    wr(f, PL031_DR, 5); /* read-only */
    assert_int_equal(rd(f, PL031_DR), 1700003601u);
}

static void load(void **state)
{
    struct fixture *f = *state;
    wr(f, PL031_LR, 100);
    assert_int_equal(rd(f, PL031_DR), 100);
    assert_int_equal(rd(f, PL031_LR), 100);
    f->now += 2 * S;
    assert_int_equal(rd(f, PL031_DR), 102);
    assert_int_equal(rd(f, PL031_LR), 100); /* what was loaded, not the count */
}

static void match(void **state)
{
    struct fixture *f = *state;
    wr(f, PL031_LR, 1000);
    wr(f, PL031_MR, 1003);
    assert_int_equal(rd(f, PL031_MR), 1003);
    assert_int_equal(rd(f, PL031_RIS), 0);
    /* The counter reaches 1003 at the third whole-second step from now. */
    uint64_t second = f->now / S * S;
    assert_int_equal(pl031_poll(f->r), second + 3 * S);
    f->now = second + 3 * S - 1;
    assert_int_equal(pl031_poll(f->r), second + 3 * S);
    assert_int_equal(rd(f, PL031_RIS), 0);
    f->now = second + 3 * S;
    assert_int_equal(pl031_poll(f->r), 0); /* fired: nothing armed any more */
    assert_int_equal(rd(f, PL031_DR), 1003);
    assert_int_equal(rd(f, PL031_RIS), 1);
    assert_int_equal(rd(f, PL031_MIS), 0);
    assert_false(f->level); /* masked */
    wr(f, PL031_IMSC, 1);
    assert_int_equal(rd(f, PL031_IMSC), 1);
    assert_true(f->level);
    assert_int_equal(rd(f, PL031_MIS), 1);
    wr(f, PL031_ICR, 1);
    assert_int_equal(rd(f, PL031_RIS), 0);
    assert_false(f->level);
    /* Once per arming: later seconds do not match again. */
    f->now += 10 * S;
    assert_int_equal(pl031_poll(f->r), 0);
    assert_int_equal(rd(f, PL031_RIS), 0);
}

static void match_seen_by_a_register_read(void **state)
{
    struct fixture *f = *state;
    wr(f, PL031_IMSC, 1);
    uint32_t now = rd(f, PL031_DR);
    wr(f, PL031_MR, now + 1);
    f->now += S;
    assert_false(f->level); /* nobody looked yet */
    assert_int_equal(rd(f, PL031_RIS), 1);
    assert_true(f->level);
}

static void match_now_and_wrap(void **state)
{
    struct fixture *f = *state;
    /* MR equal to the counter right now: at once (as QEMU). */
    wr(f, PL031_MR, rd(f, PL031_DR));
    assert_int_equal(rd(f, PL031_RIS), 1);
    wr(f, PL031_ICR, 1);
    /* Across the wrap: 0xfffffffe -> 0xffffffff -> 0 -> 1. */
    wr(f, PL031_LR, 0xfffffffeu);
    wr(f, PL031_MR, 1);
    uint64_t second = f->now / S * S;
    assert_int_equal(pl031_poll(f->r), second + 3 * S);
    f->now = second + 2 * S;
    assert_int_equal(rd(f, PL031_DR), 0);
    assert_int_equal(rd(f, PL031_RIS), 0);
    f->now = second + 3 * S;
    assert_int_equal(rd(f, PL031_DR), 1);
    assert_int_equal(rd(f, PL031_RIS), 1);
    /* Loading the counter re-arms the match against the new count. */
    wr(f, PL031_ICR, 1);
    wr(f, PL031_MR, 50);
    wr(f, PL031_LR, 48);
    second = f->now / S * S;
    assert_int_equal(pl031_poll(f->r), second + 2 * S);
}

static void ids(void **state)
{
    struct fixture *f = *state;
    static const uint32_t want[8] = {0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(rd(f, PL031_PERIPH_ID0 + 4 * i), want[i]);
    assert_int_equal(pl031_read(f->r, PL031_PERIPH_ID0, 1), 0x31);
}

static void wall_clock_by_default(void **state)
{
    (void)state;
    struct pl031_config config = {0};
    struct pl031 *r = pl031_create(&config);
    assert_non_null(r);
    uint32_t before = (uint32_t)time(NULL);
    uint32_t dr = (uint32_t)pl031_read(r, PL031_DR, 4);
    uint32_t after = (uint32_t)time(NULL);
    assert_true(dr >= before && dr <= after);
    assert_int_equal(pl031_poll(r), 0);
    pl031_destroy(r);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(counts_from_the_clock), T(load), T(match), T(match_seen_by_a_register_read), T(match_now_and_wrap),
        T(ids), T(wall_clock_by_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
