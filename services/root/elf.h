/*
 * Component images as ELF files (aarch64): what the root task needs to load
 * one into a new address space, read from an image it does not trust.
 */
#ifndef KAAL_ROOT_ELF_H
#define KAAL_ROOT_ELF_H

#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS 8u

/* Rights of a loadable segment (ELF p_flags). */
#define ELF_SEGMENT_EXEC 1u
#define ELF_SEGMENT_WRITE 2u
#define ELF_SEGMENT_READ 4u

struct elf_segment {
    uint64_t vaddr;  /* where it starts in the address space */
    uint64_t memsz;  /* bytes in memory; filesz..memsz are zero */
    uint64_t offset; /* its bytes in the file */
    uint64_t filesz;
    unsigned flags;  /* ELF_SEGMENT_* */
};

struct elf_image {
    uint64_t entry;
    unsigned count;
    struct elf_segment segments[ELF_MAX_SEGMENTS];
};

enum elf_status {
    ELF_OK = 0,
    ELF_TRUNCATED,         /* shorter than its headers say */
    ELF_NOT_ELF,           /* no ELF magic */
    ELF_WRONG_KIND,        /* not 64-bit, little-endian, version 1, AArch64, executable */
    ELF_BAD_HEADERS,       /* program header table of a size or entry size that makes no sense */
    ELF_TOO_MANY_SEGMENTS, /* more than ELF_MAX_SEGMENTS loadable segments */
    ELF_BAD_SEGMENT,       /* file size above memory size, bytes past the file, address overflow, misaligned */
    ELF_OUT_OF_RANGE,      /* a segment outside [low, high) */
    ELF_OVERLAP,           /* two segments share a page */
    ELF_NO_ENTRY,          /* the entry point lies in no executable segment */
};

/*
 * Check an image of `size` bytes and list its loadable segments: every
 * segment must lie in [low, high) (the part of the address space the root
 * task leaves to images), no two may share a page, and the entry point must
 * lie in an executable segment.
 */
enum elf_status elf_parse(const void *image, size_t size, uint64_t low, uint64_t high, struct elf_image *out);

/* What went wrong, for the root task's report. */
const char *elf_status_name(enum elf_status status);

#endif
