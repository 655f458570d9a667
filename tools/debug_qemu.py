#!/usr/bin/env python3
"""Debug a KaaL kernel image on QEMU with gdb-multiarch: QEMU's gdb server, the symbols loaded.

Starts qemu-system-aarch64 -M virt stopped at the first instruction (-S),
its gdb server on a Unix socket, the guest's serial on a pseudo-terminal
whose name it prints (attach a terminal program to it to use the shell:
`screen /dev/pts/N`; `cat /dev/pts/N` only reads; where there are no
pseudo-terminals, to debug-serial.txt beside the image), then gdb-multiarch with
the kernel's symbols and one EL0 program's (the root task's by default:
every component is linked at the same address, so gdb holds one at a time;
`add-symbol-file build/aarch64/components/<name>.elf` switches), connected.
When gdb ends, QEMU is stopped.

    debug_qemu.py --kernel build/aarch64/kaal-system.elf [--program components/shell.elf] [-- GDB ARGS]

Arguments after -- go to gdb (e.g. -batch -ex 'break kaal_root_main'
-ex continue -ex 'info registers pc'). Python 3 standard library only.
Exit status: gdb's; 127 if QEMU or gdb-multiarch is missing.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

QEMU = "qemu-system-aarch64"
GDB = "gdb-multiarch"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog="Arguments after -- go to gdb unchanged.")
    p.add_argument("--kernel", required=True, help="the kernel image (its symbols are gdb's file)")
    p.add_argument("--program", help="an EL0 program whose symbols gdb loads too (default: components/root.elf "
                                     "beside the kernel image)")
    p.add_argument("--gic-version", choices=("2", "3"), default="2")
    p.add_argument("--qemu", default=QEMU)
    p.add_argument("--gdb", default=GDB)
    if "--" in argv:
        cut = argv.index("--")
        return p.parse_args(argv[:cut]), argv[cut + 1:]
    return p.parse_args(argv), []


def main(argv):
    args, gdb_args = parse_args(argv)
    qemu, gdb = shutil.which(args.qemu), shutil.which(args.gdb)
    for tool, found, package in ((args.qemu, qemu, "qemu-system-arm"), (args.gdb, gdb, "gdb-multiarch")):
        if found is None:
            print(f"debug_qemu: {tool} not found: install the Debian package {package} (./kaal does this)",
                  file=sys.stderr)
            return 127
    program = args.program or os.path.join(os.path.dirname(args.kernel), "components", "root.elf")
    for path in (args.kernel, program):
        if not os.path.isfile(path):
            print(f"debug_qemu: {path} does not exist (build the aarch64 preset)", file=sys.stderr)
            return 1
    workdir = tempfile.mkdtemp(prefix="kaal-debug-")
    sock = os.path.join(workdir, "gdb.sock")
    # Without pseudo-terminals (a chroot without /dev/pts) the serial goes to a file beside the image.
    serial_file = None
    try:
        for fd in os.openpty():
            os.close(fd)
        serial = "pty,id=serial0"
    except OSError as e:
        serial_file = os.path.join(os.path.dirname(os.path.abspath(args.kernel)), "debug-serial.txt")
        serial = f"file,id=serial0,path={serial_file}"
        print(f"debug_qemu: no pseudo-terminal here ({e.strerror}): the guest's serial goes to {serial_file}",
              flush=True)
    cmd = [qemu, "-M", f"virt,gic-version={args.gic_version}", "-cpu", "cortex-a53", "-m", "128M",
           "-display", "none", "-monitor", "none", "-no-reboot", "-kernel", args.kernel,
           "-chardev", serial, "-serial", "chardev:serial0",
           "-chardev", f"socket,id=gdb0,path={sock},server=on,wait=off", "-gdb", "chardev:gdb0", "-S"]
    print("debug_qemu: " + " ".join(cmd), flush=True)
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        # QEMU names the pseudo-terminal before it starts the machine.
        line = "" if serial_file else proc.stdout.readline().decode(errors="replace")
        m = re.search(r"(/dev/pts/\d+)", line)
        deadline = time.monotonic() + 10
        while not os.path.exists(sock) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        if (m is None and serial_file is None) or not os.path.exists(sock):
            rest = proc.stdout.read().decode(errors="replace") if proc.poll() is not None else ""
            print(f"debug_qemu: QEMU did not start its serial and gdb server: {line}{rest}", file=sys.stderr)
            return 1
        if m is not None:
            print(f"debug_qemu: the guest's serial is {m.group(1)} (screen {m.group(1)} to use the shell); "
                  "QEMU waits for gdb's continue", flush=True)
        gdb_cmd = [gdb, "-q", "-ex", "set architecture aarch64", "-ex", f"file {args.kernel}",
                   "-ex", f"add-symbol-file {program}", "-ex", f"target remote {sock}", *gdb_args]
        # gdb asks before add-symbol-file in interactive use; confirm off keeps the start quiet.
        gdb_cmd[2:2] = ["-ex", "set confirm off"]
        print("debug_qemu: " + " ".join(gdb_cmd), flush=True)
        return subprocess.call(gdb_cmd)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        proc.stdout.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
