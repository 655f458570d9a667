/*
 * ELF64 executables for AArch64 (System V gABI; AArch64 ELF ABI: machine
 * 183), read field by field from bytes that may be anything: every offset
 * and size is checked against the image before it is used, and every sum
 * against overflow. Only what loading needs: the file header, the program
 * headers, PT_LOAD segments.
 */
#include <stdbool.h>
#include <string.h>

#include "elf.h"

#define EI_NIDENT 16u
#define ELFCLASS64 2u
#define ELFDATA2LSB 1u
#define EV_CURRENT 1u
#define ET_EXEC 2u
#define EM_AARCH64 183u
#define PT_LOAD 1u
#define PAGE 4096u

#define EHDR_SIZE 64u
#define PHDR_SIZE 56u

/* Little-endian fields at byte offsets: no struct overlays on untrusted bytes (alignment, padding). */
static uint64_t field(const uint8_t *p, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = bytes; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

static bool add_overflows(uint64_t a, uint64_t b, uint64_t *sum)
{
    *sum = a + b;
    return *sum < a;
}

static enum elf_status check_header(const uint8_t *e, size_t size)
{
    if (size < EI_NIDENT)
        return ELF_TRUNCATED;
    if (memcmp(e, "\x7f" "ELF", 4) != 0)
        return ELF_NOT_ELF;
    if (size < EHDR_SIZE)
        return ELF_TRUNCATED;
    if (e[4] != ELFCLASS64 || e[5] != ELFDATA2LSB || e[6] != EV_CURRENT || field(e + 16, 2) != ET_EXEC ||
        field(e + 18, 2) != EM_AARCH64 || field(e + 20, 4) != EV_CURRENT)
        return ELF_WRONG_KIND;
    return ELF_OK;
}

static enum elf_status read_segment(const uint8_t *ph, size_t size, uint64_t low, uint64_t high,
                                    struct elf_segment *s)
{
    s->flags = (unsigned)field(ph + 4, 4) & 7u;
    s->offset = field(ph + 8, 8);
    s->vaddr = field(ph + 16, 8);
    s->filesz = field(ph + 32, 8);
    s->memsz = field(ph + 40, 8);
    uint64_t file_end, mem_end;
    if (s->filesz > s->memsz || add_overflows(s->offset, s->filesz, &file_end) || file_end > size ||
        add_overflows(s->vaddr, s->memsz, &mem_end) || s->vaddr % PAGE != s->offset % PAGE)
        return ELF_BAD_SEGMENT;
    if (s->vaddr < low || mem_end > high)
        return ELF_OUT_OF_RANGE;
    return ELF_OK;
}

/* Do two segments share a page (their page-rounded spans meet)? */
static bool share_a_page(const struct elf_segment *a, const struct elf_segment *b)
{
    uint64_t a_start = a->vaddr & ~(uint64_t)(PAGE - 1), b_start = b->vaddr & ~(uint64_t)(PAGE - 1);
    uint64_t a_end = (a->vaddr + a->memsz + PAGE - 1) & ~(uint64_t)(PAGE - 1);
    uint64_t b_end = (b->vaddr + b->memsz + PAGE - 1) & ~(uint64_t)(PAGE - 1);
    return a_start < b_end && b_start < a_end;
}

enum elf_status elf_parse(const void *image, size_t size, uint64_t low, uint64_t high, struct elf_image *out)
{
    const uint8_t *e = image;
    memset(out, 0, sizeof *out);
    enum elf_status st = check_header(e, size);
    if (st != ELF_OK)
        return st;
    uint64_t phoff = field(e + 32, 8), phentsize = field(e + 54, 2), phnum = field(e + 56, 2);
    uint64_t table_end;
    if (phentsize != PHDR_SIZE || phnum == 0 || add_overflows(phoff, phnum * PHDR_SIZE, &table_end))
        return ELF_BAD_HEADERS;
    if (table_end > size)
        return ELF_TRUNCATED;
    out->entry = field(e + 24, 8);
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *ph = e + phoff + i * PHDR_SIZE;
        if (field(ph, 4) != PT_LOAD || field(ph + 40, 8) == 0)
            continue;
        if (out->count == ELF_MAX_SEGMENTS)
            return ELF_TOO_MANY_SEGMENTS;
        struct elf_segment *s = &out->segments[out->count];
        st = read_segment(ph, size, low, high, s);
        if (st != ELF_OK)
            return st;
        for (unsigned j = 0; j < out->count; j++) {
            if (share_a_page(&out->segments[j], s))
                return ELF_OVERLAP;
        }
        out->count++;
    }
    for (unsigned i = 0; i < out->count; i++) {
        const struct elf_segment *s = &out->segments[i];
        if ((s->flags & ELF_SEGMENT_EXEC) && out->entry >= s->vaddr && out->entry - s->vaddr < s->memsz)
            return ELF_OK;
    }
    return ELF_NO_ENTRY;
}

const char *elf_status_name(enum elf_status status)
{
    switch (status) {
    case ELF_OK: return "ok";
    case ELF_TRUNCATED: return "the image is shorter than its headers say";
    case ELF_NOT_ELF: return "not an ELF file";
    case ELF_WRONG_KIND: return "not a 64-bit little-endian AArch64 executable";
    case ELF_BAD_HEADERS: return "the program header table makes no sense";
    case ELF_TOO_MANY_SEGMENTS: return "more loadable segments than the loader takes";
    case ELF_BAD_SEGMENT: return "a segment is malformed (sizes, bytes past the file, overflow or alignment)";
    case ELF_OUT_OF_RANGE: return "a segment lies outside the address range for images";
    case ELF_OVERLAP: return "two segments share a page";
    case ELF_NO_ENTRY: return "the entry point lies in no executable segment";
    }
    return "unknown ELF status";
}
