#!/usr/bin/env python3
"""Write a device tree blob that QEMU accepts but that points outside itself.

QEMU refuses a -dtb file that libfdt cannot open (a file of random bytes
never reaches the kernel), and it walks every token of the tree before it
boots (it looks for all memory nodes), so a bad token is refused as well.
What libfdt checks only when a property's name is looked up is the name's
offset into the strings block, and QEMU looks up names only in the nodes it
edits (/, /chosen, /memory). So the blob is a small valid tree plus one node
whose property names a string far past the end of the blob: QEMU passes it
through, and the kernel's reader, which checks every offset before it reads
there, must reject the blob with a clear message and power off.

Usage: make_corrupt_dtb.py OUTPUT
"""
import struct
import sys

FDT_MAGIC = 0xD00DFEED
BEGIN_NODE, END_NODE, PROP, END = 1, 2, 3, 9
BAD_NAMEOFF = 0x7FFFFF00  # far past the strings block and the blob


def build() -> bytes:
    strings = bytearray()
    offsets = {}

    def string_off(name: str) -> int:
        if name not in offsets:
            offsets[name] = len(strings)
            strings.extend(name.encode() + b"\0")
        return offsets[name]

    body = bytearray()

    def word(v: int) -> None:
        body.extend(struct.pack(">I", v))

    def pad() -> None:
        body.extend(b"\0" * (-len(body) % 4))

    def begin(name: str) -> None:
        word(BEGIN_NODE)
        body.extend(name.encode() + b"\0")
        pad()

    def prop(name: str, value: bytes, nameoff=None) -> None:
        word(PROP)
        word(len(value))
        word(string_off(name) if nameoff is None else nameoff)
        body.extend(value)
        pad()

    def cells(*vals: int) -> bytes:
        return b"".join(struct.pack(">I", v) for v in vals)

    begin("")
    prop("#address-cells", cells(2))
    prop("#size-cells", cells(2))
    prop("compatible", b"linux,dummy-virt\0")
    begin("chosen")
    word(END_NODE)
    begin("memory@40000000")
    prop("device_type", b"memory\0")
    prop("reg", cells(0, 0x40000000, 0, 0x08000000))
    word(END_NODE)
    begin("psci")
    prop("compatible", b"arm,psci-1.0\0")
    prop("method", b"hvc\0")
    word(END_NODE)
    begin("corrupt")
    prop("unused", b"\0", nameoff=BAD_NAMEOFF)
    word(END_NODE)
    word(END_NODE)
    word(END)

    header_size = 40
    rsvmap = b"\0" * 16  # the empty memory reservation map: one (0, 0) entry
    off_rsvmap = header_size
    off_struct = off_rsvmap + len(rsvmap)
    off_strings = off_struct + len(body)
    total = off_strings + len(strings)
    header = struct.pack(
        ">10I",
        FDT_MAGIC,
        total,
        off_struct,
        off_strings,
        off_rsvmap,
        17,  # version
        16,  # last compatible version
        0,  # boot cpu
        len(strings),
        len(body),
    )
    return header + rsvmap + bytes(body) + bytes(strings)


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    with open(sys.argv[1], "wb") as f:
        f.write(build())
    return 0


if __name__ == "__main__":
    sys.exit(main())
