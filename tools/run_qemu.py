#!/usr/bin/env python3
"""Boot a KaaL kernel image on qemu-system-aarch64 -M virt and check its console.

Runs QEMU with the guest's serial console on this process's stdout (streamed
as it comes), waits for QEMU to exit (the kernel powers off through PSCI) and
then checks that every --expect string appeared in the output. Used by the
CTest tests labelled qemu and by ./kaal run (--interactive).

With --semihosting the guest (EL0 included) may print and exit through Arm
semihosting: QEMU then exits with the status the guest gave. With --tap the
output must hold a TAP plan (1..N) and N test lines, all "ok" (the qemu
user-mode test prints them).

Exit status:
  QEMU's own status (0 after a PSCI power-off, the guest's after a
  semihosting exit) if every expectation was met;
  1   an --expect string never appeared (each missing one is named), or the
      TAP output was incomplete or had a failure;
  124 --timeout seconds passed and QEMU was killed;
  127 qemu-system-aarch64 was not found.
"""
import argparse
import os
import re
import selectors
import shutil
import subprocess
import sys
import time

QEMU = "qemu-system-aarch64"
EXIT_EXPECT, EXIT_TIMEOUT, EXIT_NO_QEMU = 1, 124, 127


def parse_args(argv):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Arguments after -- go to QEMU unchanged.",
    )
    p.add_argument("--kernel", required=True, help="kernel ELF image (build/aarch64/kaal-kernel.elf)")
    p.add_argument("--el2", action="store_true",
                   help="start the CPU at EL2 (-M virt,virtualization=on); default EL1")
    p.add_argument("--gic-version", choices=("2", "3"), default="2",
                   help="the interrupt controller (-M virt,gic-version=N); default 2, the one "
                        "the kernel drives")
    p.add_argument("--dtb", help="boot with this device tree blob instead of QEMU's own")
    p.add_argument("--timeout", type=float, help="kill QEMU and fail after this many seconds")
    p.add_argument("--semihosting", action="store_true",
                   help="enable Arm semihosting, from EL0 too (output and exit status of test programs)")
    p.add_argument("--tap", action="store_true",
                   help="the output must hold a complete TAP run (plan 1..N, N lines, all ok)")
    p.add_argument("--expect", action="append", default=[], metavar="STRING",
                   help="a string the console output must contain (repeatable)")
    p.add_argument("--interactive", action="store_true",
                   help="exec QEMU with the terminal attached (Ctrl-A x quits)")
    p.add_argument("--qemu", default=QEMU, help=f"the QEMU binary (default: {QEMU} on PATH)")
    if "--" in argv:
        cut = argv.index("--")
        args, extra = p.parse_args(argv[:cut]), argv[cut + 1:]
    else:
        args, extra = p.parse_args(argv), []
    if args.interactive and (args.expect or args.timeout is not None):
        p.error("--interactive runs QEMU on the terminal: --expect and --timeout do not apply")
    if args.timeout is not None and args.timeout <= 0:
        p.error("--timeout must be positive")
    return args, extra


def qemu_command(qemu, args, extra):
    machine = f"virt,gic-version={args.gic_version}"
    if args.el2:
        machine += ",virtualization=on"
    cmd = [qemu, "-M", machine, "-cpu", "cortex-a53", "-m", "128M", "-nographic",
           "-no-reboot", "-kernel", args.kernel]
    if args.dtb:
        cmd += ["-dtb", args.dtb]
    if args.semihosting:
        cmd += ["-semihosting-config", "enable=on,target=native,userspace=on"]
    return cmd + extra


def check_tap(text):
    """Problems with the TAP run in text (an empty list if it is complete and all ok)."""
    plan, results = None, []
    for line in text.splitlines():
        line = line.strip()
        m = re.match(r"^1\.\.(\d+)$", line)
        if m:
            plan = int(m.group(1))
            continue
        m = re.match(r"^(not )?ok (\d+)\b", line)
        if m:
            results.append((int(m.group(2)), m.group(1) is None, line))
    problems = [f"failed: {line}" for _, ok, line in results if not ok]
    if plan is None:
        problems.append("no TAP plan (1..N): the test did not finish")
    elif [n for n, _, _ in results] != list(range(1, plan + 1)):
        problems.append(f"plan 1..{plan}, but the test lines are numbered "
                        f"{[n for n, _, _ in results]}")
    passed = sum(1 for _, ok, _ in results if ok)
    print(f"run_qemu: TAP: {passed} of {plan if plan is not None else '?'} ok", flush=True)
    return problems


def run(cmd, timeout):
    """Run QEMU, stream its output, return (status or None on timeout, output)."""
    out = bytearray()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    deadline = None if timeout is None else time.monotonic() + timeout
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    fd = proc.stdout.fileno()
    try:
        while True:
            wait = None if deadline is None else deadline - time.monotonic()
            if wait is not None and wait <= 0:
                proc.kill()
                proc.wait()
                return None, bytes(out)
            if not sel.select(wait):
                continue
            chunk = os.read(fd, 65536)
            if not chunk:  # QEMU closed its output: it is exiting
                break
            out += chunk
            sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
        wait = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            return proc.wait(timeout=wait), bytes(out)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return None, bytes(out)
    finally:
        sel.close()
        proc.stdout.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def main(argv):
    args, extra = parse_args(argv)
    qemu = shutil.which(args.qemu)
    if qemu is None:
        print(f"run_qemu: {args.qemu} not found: install the Debian package qemu-system-arm "
              "(./kaal does this on a fresh machine)", file=sys.stderr)
        return EXIT_NO_QEMU
    for path, what in ((args.kernel, "kernel image"), (args.dtb, "device tree")):
        if path is not None and not os.path.isfile(path):
            print(f"run_qemu: {what} {path} does not exist", file=sys.stderr)
            return EXIT_EXPECT
    cmd = qemu_command(qemu, args, extra)
    if args.interactive:
        os.execv(qemu, cmd)

    print("run_qemu: " + " ".join(cmd), flush=True)
    start = time.monotonic()
    status, out = run(cmd, args.timeout)
    elapsed = time.monotonic() - start
    text = out.decode("utf-8", errors="replace")
    missing = [e for e in args.expect if e not in text]
    if text and not text.endswith("\n"):
        print()
    if status is None:
        print(f"run_qemu: FAIL: timeout: QEMU still running after {args.timeout:g} s and was "
              "killed (the kernel never powered off)", file=sys.stderr)
        for e in missing:
            print(f"run_qemu:   not seen before the timeout: {e!r}", file=sys.stderr)
        return EXIT_TIMEOUT
    if missing:
        print(f"run_qemu: FAIL: QEMU exited with status {status} after {elapsed:.2f} s, but the "
              "output lacks:", file=sys.stderr)
        for e in missing:
            print(f"run_qemu:   {e!r}", file=sys.stderr)
        return EXIT_EXPECT
    tap_problems = check_tap(text) if args.tap else []
    if tap_problems:
        print(f"run_qemu: FAIL: QEMU exited with status {status} after {elapsed:.2f} s; TAP:",
              file=sys.stderr)
        for p in tap_problems:
            print(f"run_qemu:   {p}", file=sys.stderr)
        return status if status else EXIT_EXPECT
    print(f"run_qemu: QEMU exited with status {status} after {elapsed:.2f} s", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
