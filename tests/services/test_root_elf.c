/*
 * The root task's ELF reader against images built here byte by byte: a good
 * one, and each way an image can lie (the root task loads images it does
 * not trust: a bad one must be refused with the right reason, never read
 * out of bounds; this test also runs under ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "elf.h"

#define LOW 0x200000u
#define HIGH 0x40000000u

static uint8_t image[0x3000];

static void put(unsigned at, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        image[at + i] = (uint8_t)(v >> (8 * i));
}

/* Program header i at 64 + 56 i. */
static void phdr(unsigned i, uint32_t type, uint32_t flags, uint64_t offset, uint64_t vaddr, uint64_t filesz,
                 uint64_t memsz)
{
    unsigned at = 64 + 56 * i;
    put(at, type, 4);
    put(at + 4, flags, 4);
    put(at + 8, offset, 8);
    put(at + 16, vaddr, 8);
    put(at + 24, vaddr, 8);
    put(at + 32, filesz, 8);
    put(at + 40, memsz, 8);
    put(at + 48, 4096, 8);
}

/* A good executable: text at 0x400000 (R X, 0x1000 bytes from offset 0x1000), data+bss at 0x401000. */
static int good(void **state)
{
    (void)state;
    memset(image, 0, sizeof image);
    memcpy(image, "\x7f" "ELF", 4);
    image[4] = 2, image[5] = 1, image[6] = 1;
    put(16, 2, 2);          /* ET_EXEC */
    put(18, 183, 2);        /* EM_AARCH64 */
    put(20, 1, 4);
    put(24, 0x400010, 8);   /* entry */
    put(32, 64, 8);         /* phoff */
    put(52, 64, 2);
    put(54, 56, 2);
    put(56, 3, 2);          /* phnum: text, data, and a non-load note */
    phdr(0, 1, 5, 0x1000, 0x400000, 0x1000, 0x1000);
    phdr(1, 1, 6, 0x2000, 0x401000, 0x100, 0x3000);
    phdr(2, 4, 4, 0x200, 0, 0x20, 0x20);
    return 0;
}

static enum elf_status parse(struct elf_image *out)
{
    return elf_parse(image, sizeof image, LOW, HIGH, out);
}

static void test_good_image(void **state)
{
    (void)state;
    struct elf_image e;
    assert_int_equal(parse(&e), ELF_OK);
    assert_int_equal(e.entry, 0x400010);
    assert_int_equal(e.count, 2);
    assert_int_equal(e.segments[0].vaddr, 0x400000);
    assert_int_equal(e.segments[0].flags, ELF_SEGMENT_READ | ELF_SEGMENT_EXEC);
    assert_int_equal(e.segments[1].filesz, 0x100);
    assert_int_equal(e.segments[1].memsz, 0x3000);
    assert_int_equal(e.segments[1].flags, ELF_SEGMENT_READ | ELF_SEGMENT_WRITE);
}

static void expect(enum elf_status want)
{
    struct elf_image e;
    assert_int_equal(parse(&e), want);
    assert_string_not_equal(elf_status_name(want), "unknown ELF status");
}

static void test_truncated(void **state)
{
    (void)state;
    struct elf_image e;
    assert_int_equal(elf_parse(image, 10, LOW, HIGH, &e), ELF_TRUNCATED);
    assert_int_equal(elf_parse(image, 63, LOW, HIGH, &e), ELF_TRUNCATED);
    assert_int_equal(elf_parse(image, 64 + 56 * 2, LOW, HIGH, &e), ELF_TRUNCATED); /* the table is cut */
    assert_int_equal(elf_parse(image, 0x2050, LOW, HIGH, &e), ELF_BAD_SEGMENT);   /* data bytes are cut */
}

static void test_not_elf(void **state)
{
    (void)state;
    image[1] = 'X';
    expect(ELF_NOT_ELF);
}

static void test_wrong_kind(void **state)
{
    (void)state;
    static const struct { unsigned at, bytes; uint64_t value; } wrong[] = {
        {4, 1, 1}, {5, 1, 2}, {6, 1, 0}, {16, 2, 3}, {18, 2, 62}, {20, 4, 0},
    };
    for (unsigned i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        good(NULL);
        put(wrong[i].at, wrong[i].value, wrong[i].bytes);
        expect(ELF_WRONG_KIND);
    }
}

static void test_bad_headers(void **state)
{
    (void)state;
    put(54, 32, 2);
    expect(ELF_BAD_HEADERS);
    good(NULL);
    put(56, 0, 2);
    expect(ELF_BAD_HEADERS);
    good(NULL);
    put(32, UINT64_MAX - 10, 8); /* phoff + the table wraps */
    expect(ELF_BAD_HEADERS);
}

static void test_too_many_segments(void **state)
{
    (void)state;
    put(56, ELF_MAX_SEGMENTS + 1, 2);
    for (unsigned i = 0; i <= ELF_MAX_SEGMENTS; i++)
        phdr(i, 1, 4, 0, 0x400000 + 0x10000 * i, 0, 0x1000);
    expect(ELF_TOO_MANY_SEGMENTS);
}

static void test_bad_segments(void **state)
{
    (void)state;
    phdr(1, 1, 6, 0x2000, 0x401000, 0x4000, 0x3000); /* filesz > memsz */
    expect(ELF_BAD_SEGMENT);
    phdr(1, 1, 6, 0x2000, 0x401000, 0x2000, 0x3000); /* bytes past the file */
    expect(ELF_BAD_SEGMENT);
    phdr(1, 1, 6, UINT64_MAX - 0x10, 0x401000, 0x100, 0x3000); /* offset + filesz wraps */
    expect(ELF_BAD_SEGMENT);
    phdr(1, 1, 6, 0x2000, UINT64_MAX - 0x1fff, 0x100, 0x3000); /* vaddr + memsz wraps */
    expect(ELF_BAD_SEGMENT);
    phdr(1, 1, 6, 0x2010, 0x401000, 0x100, 0x3000); /* vaddr and offset disagree within the page */
    expect(ELF_BAD_SEGMENT);
}

static void test_out_of_range(void **state)
{
    (void)state;
    phdr(1, 1, 6, 0x2000, 0x1000, 0x100, 0x1000); /* over the IPC buffer and environment */
    expect(ELF_OUT_OF_RANGE);
    phdr(1, 1, 6, 0x2000, HIGH - 0x1000, 0x100, 0x2000);
    expect(ELF_OUT_OF_RANGE);
}

static void test_overlap(void **state)
{
    (void)state;
    phdr(1, 1, 6, 0x2800, 0x400800, 0x100, 0x100); /* in the text segment's page */
    expect(ELF_OVERLAP);
}

static void test_no_entry(void **state)
{
    (void)state;
    put(24, 0x401010, 8); /* in the data segment: not executable */
    expect(ELF_NO_ENTRY);
    put(24, 0x500000, 8);
    expect(ELF_NO_ENTRY);
}

static void test_empty_segments_are_ignored(void **state)
{
    (void)state;
    phdr(2, 1, 4, 0, 0x1000, 0, 0); /* PT_LOAD of no bytes, even out of range: nothing to load */
    struct elf_image e;
    assert_int_equal(parse(&e), ELF_OK);
    assert_int_equal(e.count, 2);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, good)
    const struct CMUnitTest tests[] = {
        T(test_good_image), T(test_truncated), T(test_not_elf), T(test_wrong_kind), T(test_bad_headers),
        T(test_too_many_segments), T(test_bad_segments), T(test_out_of_range), T(test_overlap), T(test_no_entry),
        T(test_empty_segments_are_ignored),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
