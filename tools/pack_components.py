#!/usr/bin/env python3
"""Pack component ELF files into the component-table boot module (aarch64).

The module is what the root task finds as KAAL_MODULE_COMPONENTS
(libkaal/include/kaal/components.h), all numbers 64-bit little-endian:

    offset 0   magic  0x706d6f434c61614b ("KaaLComp")
           8   count
          16   count entries of 48 bytes:
                 name[24]       NUL-terminated, NUL-padded
                 entry          the ELF's entry point (its virtual address)
                 image_offset   where its ELF file starts in the module
                 image_size     its length in bytes
    then the ELF files, each at a 16-byte boundary, in the order given.

Each ELF file goes in stripped to what a loader reads: the file header,
the PT_LOAD program headers and the bytes of those segments, each at a file
offset congruent to its address modulo 4096 (the loaders require it), no
section headers and no debug information (the build keeps the full files
for gdb). The inputs are checked first: 64-bit little-endian AArch64
executables, segments inside the file, no two sharing a page.

    pack_components.py --output components.img console=console.elf shell=shell.elf ...
    pack_components.py --list components.img
    pack_components.py --strip root.elf --output root.stripped.elf

--strip writes one ELF file so stripped (the build links the root task's
into the kernel image this way).

Python 3 standard library only. Exit status 0, or 1 with a message naming
the file and what is wrong with it.
"""
import argparse
import struct
import sys

MAGIC = 0x706D6F434C61614B  # "KaaLComp", as KAAL_COMPONENTS_MAGIC
NAME_MAX = 24  # KAAL_COMPONENT_NAME_MAX, the NUL included
HEADER = struct.Struct("<QQ")
ENTRY = struct.Struct("<24sQQQ")
IMAGE_ALIGN = 16
PAGE = 4096

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
PHDR = struct.Struct("<IIQQQQQQ")
ET_EXEC, EM_AARCH64, PT_LOAD = 2, 183, 1


class PackError(Exception):
    pass


def segments_of(path, data):
    """The entry point and the PT_LOAD program headers of an ELF file, checked."""
    if len(data) < EHDR.size or data[:4] != b"\x7fELF":
        raise PackError(f"{path}: not an ELF file")
    (ident, e_type, machine, version, entry, phoff, _shoff, _flags, _ehsize, phentsize, phnum, _shentsize,
     _shnum, _shstrndx) = EHDR.unpack_from(data)
    if ident[4] != 2 or ident[5] != 1 or e_type != ET_EXEC or machine != EM_AARCH64 or version != 1:
        raise PackError(f"{path}: not a 64-bit little-endian AArch64 executable")
    if phentsize != PHDR.size or phnum == 0 or phoff + phnum * PHDR.size > len(data):
        raise PackError(f"{path}: its program header table lies outside the file")
    loads = []
    for i in range(phnum):
        ph = PHDR.unpack_from(data, phoff + i * PHDR.size)
        p_type, _p_flags, offset, vaddr, _paddr, filesz, memsz, _align = ph
        if p_type != PT_LOAD or memsz == 0:
            continue
        if filesz > memsz or offset + filesz > len(data) or vaddr % PAGE != offset % PAGE:
            raise PackError(f"{path}: segment {i} is malformed (sizes, bytes past the file, or alignment)")
        start, end = vaddr // PAGE, (vaddr + memsz + PAGE - 1) // PAGE
        for other in loads:
            o_start, o_end = other[3] // PAGE, (other[3] + other[5] + PAGE - 1) // PAGE
            if start < o_end and o_start < end:
                raise PackError(f"{path}: segment {i} shares a page with another")
        loads.append(ph)
    if not loads:
        raise PackError(f"{path}: no loadable segment")
    return entry, loads


def strip(path, data):
    """(entry, the file reduced to its header, its PT_LOAD headers and their bytes)."""
    entry, loads = segments_of(path, data)
    header = bytearray(data[:EHDR.size])
    # e_phoff = 64, e_shoff = 0, e_shentsize = e_shnum = e_shstrndx = 0, e_phnum = the loads.
    struct.pack_into("<Q", header, 32, EHDR.size)
    struct.pack_into("<Q", header, 40, 0)
    struct.pack_into("<HHHH", header, 56, len(loads), 0, 0, 0)
    out = bytearray(header) + bytearray(PHDR.size * len(loads))
    phdrs = []
    for ph in loads:
        p_type, p_flags, offset, vaddr, paddr, filesz, memsz, _align = ph
        at = len(out) + (vaddr - len(out)) % PAGE  # the next offset congruent to vaddr mod PAGE
        out += bytes(at - len(out)) + data[offset:offset + filesz]
        phdrs.append(PHDR.pack(p_type, p_flags, at, vaddr, paddr, filesz, memsz, PAGE))
    out[EHDR.size:EHDR.size + PHDR.size * len(loads)] = b"".join(phdrs)
    return entry, bytes(out)


def pack(components):
    """The module for [(name, path)]."""
    names = set()
    table = bytearray(HEADER.pack(MAGIC, len(components)))
    images = []
    offset = HEADER.size + ENTRY.size * len(components)
    for name, path in components:
        raw = name.encode("ascii", "replace")
        if not raw or len(raw) >= NAME_MAX or b"\0" in raw:
            raise PackError(f"component name {name!r}: 1 to {NAME_MAX - 1} characters")
        if name in names:
            raise PackError(f"component {name!r} given twice")
        names.add(name)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise PackError(f"{path}: {e.strerror}") from None
        entry, image = strip(path, data)
        offset = (offset + IMAGE_ALIGN - 1) // IMAGE_ALIGN * IMAGE_ALIGN
        table += ENTRY.pack(raw, entry, offset, len(image))
        images.append((offset, image))
        offset += len(image)
    out = table
    for at, image in images:
        out += bytes(at - len(out)) + image
    return bytes(out)


def describe(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < HEADER.size:
        raise PackError(f"{path}: shorter than the table header")
    magic, count = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise PackError(f"{path}: magic 0x{magic:x}, not a component table")
    if HEADER.size + count * ENTRY.size > len(data):
        raise PackError(f"{path}: {count} entries do not fit its {len(data)} bytes")
    print(f"{path}: {count} components, {len(data)} bytes")
    for i in range(count):
        name, entry, offset, size = ENTRY.unpack_from(data, HEADER.size + i * ENTRY.size)
        name = name.split(b"\0", 1)[0].decode("ascii", "replace")
        print(f"  {name:<23} entry 0x{entry:x}  bytes {offset}-{offset + size} ({size})")


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--output", help="the module file to write")
    p.add_argument("--list", metavar="MODULE", help="print what a module holds instead")
    p.add_argument("--strip", metavar="ELF", help="write this ELF file stripped to --output instead")
    p.add_argument("components", nargs="*", metavar="NAME=ELF", help="a component's name and its ELF file")
    args = p.parse_args(argv)
    try:
        if args.list:
            describe(args.list)
            return 0
        if args.strip:
            if not args.output or args.components:
                p.error("--strip takes one ELF and --output")
            try:
                with open(args.strip, "rb") as f:
                    data = f.read()
            except OSError as e:
                raise PackError(f"{args.strip}: {e.strerror}") from None
            with open(args.output, "wb") as f:
                f.write(strip(args.strip, data)[1])
            return 0
        if not args.output or not args.components:
            p.error("--output and at least one NAME=ELF are needed (or --list MODULE)")
        pairs = []
        for c in args.components:
            name, sep, path = c.partition("=")
            if not sep:
                p.error(f"{c!r}: expected NAME=ELF")
            pairs.append((name, path))
        module = pack(pairs)
        with open(args.output, "wb") as f:
            f.write(module)
    except PackError as e:
        print(f"pack_components: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
