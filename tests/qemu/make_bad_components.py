#!/usr/bin/env python3
"""Component tables that are wrong on purpose, from a good one (tools/pack_components.py's).

    make_bad_components.py GOOD.img OUTDIR

writes into OUTDIR, each for a kernel image of the qemu system tests
(run_system_qemu.py, "BAD_TABLES" and image_truncated):

    truncated.img  the first 4000 bytes: the table is whole, the first image runs past the end
    magic.img      the magic word changed: not a component table
    count.img      a count of 100000 entries (4.8 MB) in a module that holds a few
    shell.img      shell's ELF file with its first four bytes changed: no ELF magic
    ping.img       ping's entry says its file is 200 bytes: shorter than its own headers

Python 3 standard library only.
"""
import os
import struct
import sys

HEADER, ENTRY = 16, 48


def entry_of(data, name):
    count = struct.unpack_from("<Q", data, 8)[0]
    for i in range(count):
        at = HEADER + i * ENTRY
        if data[at:at + 24].split(b"\0", 1)[0] == name:
            return at
    raise SystemExit("make_bad_components: no component %r in the table" % name)


def main(good, outdir):
    with open(good, "rb") as f:
        data = f.read()
    os.makedirs(outdir, exist_ok=True)
    out = {"truncated.img": data[:4000]}
    magic = bytearray(data)
    magic[0:8] = b"NotATabl"
    out["magic.img"] = bytes(magic)
    count = bytearray(data)
    struct.pack_into("<Q", count, 8, 100000)
    out["count.img"] = bytes(count)
    shell = bytearray(data)
    offset = struct.unpack_from("<Q", shell, entry_of(data, b"shell") + 32)[0]
    shell[offset:offset + 4] = b"NOPE"
    out["shell.img"] = bytes(shell)
    ping = bytearray(data)
    struct.pack_into("<Q", ping, entry_of(data, b"ping") + 40, 200)
    out["ping.img"] = bytes(ping)
    for name, content in out.items():
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(content)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: make_bad_components.py GOOD.img OUTDIR")
    main(sys.argv[1], sys.argv[2])
