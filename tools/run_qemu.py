#!/usr/bin/env python3
"""Boot a KaaL kernel image on qemu-system-aarch64 -M virt and check its console.

Runs QEMU with the guest's serial console on this process's stdout (streamed
as it comes), waits for QEMU to exit (the kernel powers off through PSCI) and
then checks that every --expect string appeared in the output. Used by the
CTest tests labelled qemu, by ./kaal run --target qemu (--interactive) and
./kaal debug --target qemu (--interactive -- -S -gdb ...).

With --semihosting the guest (EL0 included) may print and exit through Arm
semihosting: QEMU then exits with the status the guest gave. With --tap the
output must hold a TAP plan (1..N) and N test lines, all "ok" (the qemu
user-mode test prints them).

PSCI has no exit status, so the kernel prints the status it powers off with
as its last line ("KaaL: power off, status N"); with --status-from-console
that number is the exit status when QEMU itself exited 0.

--interactive: the guest's serial on this terminal, QEMU's monitor behind
Ctrl-A (Ctrl-A x quits; -nographic); when standard input is no terminal
(a pipe, a file) the serial alone is on stdin and stdout, so every byte of
the input reaches the guest, Ctrl-A too.

Exit status:
  QEMU's own status (0 after a PSCI power-off, the guest's after a
  semihosting exit) if every expectation was met, or the guest's power-off
  status with --status-from-console;
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
import signal
import subprocess
import sys
import threading
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
                   help="QEMU with the terminal attached (Ctrl-A x quits); the serial alone on stdin and "
                        "stdout when stdin is no terminal")
    p.add_argument("--status-from-console", action="store_true",
                   help="exit with the status of the kernel's last 'KaaL: power off, status N' line")
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


POWER_OFF = re.compile(rb"KaaL: power off, status (-?\d+)\r?\n")


def console_status(output):
    """The status of the last 'KaaL: power off, status N' line in output, or None."""
    found = POWER_OFF.findall(output)
    return int(found[-1]) & 0xFF if found else None


def qemu_command(qemu, args, extra, serial_only=False):
    """The QEMU command line. serial_only: the guest's serial alone on stdio (no monitor, no Ctrl-A)."""
    machine = f"virt,gic-version={args.gic_version}"
    if args.el2:
        machine += ",virtualization=on"
    if serial_only:
        console = ["-display", "none", "-monitor", "none", "-serial", "stdio"]
    else:
        # -nographic's serial and monitor multiplexed on stdio (Ctrl-A c, Ctrl-A x), with the terminal's
        # signals on: Ctrl-C ends QEMU, as it ends kaal-sim.
        console = ["-display", "none", "-chardev", "stdio,id=console,mux=on,signal=on", "-serial", "chardev:console",
                   "-mon", "chardev=console,mode=readline"]
    cmd = [qemu, "-M", machine, "-cpu", "cortex-a53", "-m", "128M", *console,
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


def run(cmd, timeout, stdin=subprocess.DEVNULL):
    """Run QEMU, stream its output, return (status or None on timeout, output)."""
    out = bytearray()
    proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
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
    if args.interactive:
        return interactive(qemu, args, extra)
    cmd = qemu_command(qemu, args, extra)

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
    if args.status_from_console and status == 0:
        guest = console_status(out)
        if guest is None:
            print("run_qemu: FAIL: no 'KaaL: power off, status N' line", file=sys.stderr)
            return EXIT_EXPECT
        return guest
    return status


# After the end of a piped input, a guest that prints nothing for this long is taken to be idle.
IDLE_AFTER_INPUT = 2.0


def forward_input(proc, started, ended):
    """Copy this process's stdin to QEMU's, from the guest's first output on (started), then close it."""
    started.wait()
    try:
        while True:
            data = os.read(0, 65536)
            if not data:
                break
            proc.stdin.write(data)
            proc.stdin.flush()
    except (BrokenPipeError, OSError):
        pass
    finally:
        ended.set()
        try:
            proc.stdin.close()
        except OSError:
            pass


def run_piped(cmd):
    """
    QEMU with this process's stdin (no terminal) fed to the guest's serial, its output streamed;
    (status, output). The input waits for the guest's first output: QEMU's PL011 holds one byte
    until the kernel has turned its FIFOs on (boot/start.S), and drops it then. Once the input
    has ended and the guest has been quiet for IDLE_AFTER_INPUT seconds, QEMU is stopped: the
    guest cannot hear that the input has ended.
    """
    out = bytearray()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    started, ended = threading.Event(), threading.Event()
    threading.Thread(target=forward_input, args=(proc, started, ended), daemon=True).start()
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    fd = proc.stdout.fileno()
    try:
        while True:
            if not sel.select(IDLE_AFTER_INPUT):
                if ended.is_set():
                    print("run_qemu: the input has ended and the guest is idle: stopping QEMU", file=sys.stderr)
                    proc.terminate()
                    proc.wait()
                    return 0, bytes(out)
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            out += chunk
            started.set()
            sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
        return proc.wait(), bytes(out)
    finally:
        started.set()
        sel.close()
        proc.stdout.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def interactive(qemu, args, extra):
    """QEMU on this terminal (or the serial alone on a stdin that is no terminal) until it exits."""
    terminal = os.isatty(0)
    cmd = qemu_command(qemu, args, extra, serial_only=not terminal)
    if terminal and not args.status_from_console:
        os.execv(qemu, cmd)
    # The output passes through here, so the power-off line can give the status. Ctrl-C reaches
    # QEMU (its terminal's signal), which ends; this process waits for that rather than dying first.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    status, out = run(cmd, None, stdin=None) if terminal else run_piped(cmd)
    if status != 0 or not args.status_from_console:
        return status
    guest = console_status(out)
    return 0 if guest is None else guest


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
