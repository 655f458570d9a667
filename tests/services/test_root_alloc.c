/*
 * The root task's device frames (services/root/alloc.c) against a model of
 * the kernel's Retype: an Untyped hands out memory upwards from its
 * watermark, each object aligned to its size, and a Retype that fails
 * changes nothing. The root task reaches a device page at an exact address
 * by padding up to it; these tests check that the frame it hands out is
 * always at the address asked for (or that it says no):
 *   - the UART's page at 0x09000000, the RTC's at 0x09010000 after it;
 *   - the same page twice, a page below the watermark, an address that is
 *     not a page, an address in no device memory: refused;
 *   - a Retype that fails half-way through the padding (or the slots that
 *     run out there): a later request still lands where it asks;
 *   - several device Untypeds: each request goes to the one that covers it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "root.h"

#define SLOTS 256u
#define FIRST_UNTYPED 16u
#define FIRST_EMPTY 32u

/* ---- the kernel, as far as alloc.c sees it ---- */

static struct {
    kaal_word_t type; /* 0: empty */
    kaal_word_t paddr, bits;
} slot[SLOTS];
static kaal_word_t watermark[FIRST_EMPTY - FIRST_UNTYPED]; /* bytes used of each untyped */
static unsigned retypes, fail_at;                           /* fail the fail_at-th Retype (1-based; 0: none) */
static struct kaal_bootinfo bi;

int kaal_untyped_retype(kaal_cptr_t ut, kaal_word_t type, kaal_word_t size, kaal_cptr_t root, kaal_word_t node_index,
                        kaal_word_t node_depth, kaal_word_t offset, kaal_word_t num)
{
    (void)root, (void)node_index, (void)node_depth;
    assert_int_equal(num, 1);
    assert_true(ut >= FIRST_UNTYPED && ut < FIRST_EMPTY && offset < SLOTS);
    if (++retypes == fail_at)
        return KAAL_ERR_NOT_ENOUGH_MEMORY;
    if (slot[offset].type != 0)
        return KAAL_ERR_DELETE_FIRST;
    const struct kaal_untyped_desc *d = &bi.untyped_list[ut - FIRST_UNTYPED];
    kaal_word_t bits = type == KAAL_OBJ_UNTYPED ? size : type == KAAL_OBJ_FRAME ? 12 : 0;
    assert_true(bits != 0);
    kaal_word_t align = (kaal_word_t)1 << bits;
    kaal_word_t start = (d->paddr + watermark[ut - FIRST_UNTYPED] + align - 1) & ~(align - 1);
    if (start + align > d->paddr + ((kaal_word_t)1 << d->size_bits))
        return KAAL_ERR_NOT_ENOUGH_MEMORY;
    slot[offset].type = type;
    slot[offset].paddr = start;
    slot[offset].bits = bits;
    watermark[ut - FIRST_UNTYPED] = start + align - d->paddr;
    return KAAL_OK;
}

int kaal_frame_get_address(kaal_cptr_t frame, kaal_word_t *paddr)
{
    if (frame >= SLOTS || slot[frame].type != KAAL_OBJ_FRAME)
        return KAAL_ERR_INVALID_CAPABILITY;
    *paddr = slot[frame].paddr;
    return KAAL_OK;
}

int kaal_cnode_delete(kaal_cptr_t root, kaal_word_t index, kaal_word_t depth)
{
    (void)root, (void)depth;
    if (index < SLOTS)
        slot[index].type = 0;
    return KAAL_OK;
}

/* ---- the machine: QEMU virt's (and the sim's) device region ---- */

#define UART 0x09000000u
#define RTC 0x09010000u

static struct root_alloc alloc;

/* Device untyped i at paddr of 2^bits bytes; RAM untyped for the rest. */
static void machine(const kaal_word_t *paddr, const uint8_t *bits, unsigned count, kaal_word_t empty_slots)
{
    memset(slot, 0, sizeof slot);
    memset(watermark, 0, sizeof watermark);
    memset(&bi, 0, sizeof bi);
    retypes = fail_at = 0;
    bi.untyped.start = FIRST_UNTYPED;
    bi.untyped.end = FIRST_UNTYPED + count;
    for (unsigned i = 0; i < count; i++)
        bi.untyped_list[i] = (struct kaal_untyped_desc){.paddr = paddr[i], .size_bits = bits[i], .is_device = 1};
    alloc = (struct root_alloc){.bi = &bi, .next_slot = FIRST_EMPTY, .end_slot = FIRST_EMPTY + empty_slots};
}

static void virt(void)
{
    static const kaal_word_t paddr[] = {0x08000000u};
    static const uint8_t bits[] = {25}; /* 0x08000000..0x0a000000 */
    machine(paddr, bits, 1, SLOTS - FIRST_EMPTY);
}

/* A frame at paddr into a fresh slot: its error code; on success the frame must be at paddr. */
static int frame_at(kaal_word_t paddr)
{
    kaal_cptr_t dest = alloc_slot(&alloc);
    assert_true(dest != 0);
    int err = alloc_device_frame(&alloc, paddr, dest);
    if (err == KAAL_OK) {
        assert_int_equal(slot[dest].type, KAAL_OBJ_FRAME);
        assert_int_equal(slot[dest].paddr, paddr);
    } else {
        assert_int_equal(slot[dest].type, 0); /* nothing handed out */
    }
    return err;
}

static void uart_then_rtc(void **state)
{
    (void)state;
    virt();
    assert_int_equal(frame_at(UART), KAAL_OK);
    assert_int_equal(frame_at(RTC), KAAL_OK);
    assert_int_equal(frame_at(RTC + 0x1000), KAAL_OK); /* right after: no padding */
}

static void refused(void **state)
{
    (void)state;
    virt();
    assert_int_equal(frame_at(RTC), KAAL_OK);
    assert_int_equal(frame_at(RTC), KAAL_ERR_INVALID_ARGUMENT);  /* twice */
    assert_int_equal(frame_at(UART), KAAL_ERR_INVALID_ARGUMENT); /* below what is handed out */
    assert_int_equal(frame_at(RTC + 0x1800), KAAL_ERR_INVALID_ARGUMENT); /* not a page */
    assert_int_equal(frame_at(0x0a000000u), KAAL_ERR_RANGE_ERROR);       /* past the device memory */
    assert_int_equal(frame_at(0x40000000u), KAAL_ERR_RANGE_ERROR);       /* RAM, not a device */
    assert_int_equal(frame_at(RTC + 0x2000), KAAL_OK); /* and it still works */
}

/* Each Retype of a request fails once in turn; the next request must land where it asks. */
static void failure_half_way(void **state)
{
    (void)state;
    for (unsigned n = 1; n <= 6; n++) {
        virt();
        assert_int_equal(frame_at(UART), KAAL_OK);
        fail_at = retypes + n; /* RTC after UART: 4 padding blocks (4, 8, 16, 32 KiB), then the frame */
        int err = frame_at(RTC);
        fail_at = 0;
        assert_int_equal(err, n <= 5 ? KAAL_ERR_NOT_ENOUGH_MEMORY : KAAL_OK);
        if (err != KAAL_OK) {
            assert_int_equal(frame_at(RTC), KAAL_OK);
        }
        assert_int_equal(frame_at(RTC + 0x3000), KAAL_OK);
    }
}

/* The slots run out in the middle of the padding: the blocks made are counted. */
static void slots_run_out(void **state)
{
    (void)state;
    static const kaal_word_t paddr[] = {0x08000000u};
    static const uint8_t bits[] = {25};
    machine(paddr, bits, 1, 6); /* UART: a padding block and its frame; RTC: its frame's slot, 3 of its 4 blocks */
    assert_int_equal(frame_at(UART), KAAL_OK);
    assert_int_equal(frame_at(RTC), KAAL_ERR_NOT_ENOUGH_MEMORY);
    alloc.end_slot += 8; /* more slots (as if freed) */
    assert_int_equal(frame_at(RTC), KAAL_OK);
}

static void several_untypeds(void **state)
{
    (void)state;
    static const kaal_word_t paddr[] = {0x08000000u, 0x09000000u, 0x09800000u};
    static const uint8_t bits[] = {24, 23, 23};
    machine(paddr, bits, 3, SLOTS - FIRST_EMPTY);
    assert_int_equal(frame_at(0x09801000u), KAAL_OK);
    assert_int_equal(frame_at(RTC), KAAL_OK);
    assert_int_equal(frame_at(UART), KAAL_ERR_INVALID_ARGUMENT);
    assert_int_equal(frame_at(0x08000000u), KAAL_OK);
    assert_int_equal(frame_at(0x09800000u), KAAL_ERR_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(uart_then_rtc),
        cmocka_unit_test(refused),
        cmocka_unit_test(failure_half_way),
        cmocka_unit_test(slots_run_out),
        cmocka_unit_test(several_untypeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
