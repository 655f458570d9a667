#!/usr/bin/env python3
"""System tests on QEMU: the first system booted on qemu-system-aarch64, the shell driven through its serial.

The same sessions as the sim's system tests (tests/system/run_system.py: its
inputs, its expected transcripts), run on the aarch64 kernel images of the
build (--images DIR, build/aarch64): QEMU's serial is its stdin and stdout,
the input is written once the kernel has printed its first line (QEMU's PL011
drops a byte that came before the kernel turned its FIFOs on). The output is
cut in two: the kernel's boot log, up to "starting the root task at EL0",
and the system's transcript after it, whose last line is the kernel's
"KaaL: power off, status N" (PSCI has no exit status: that line is the
status). The transcript must be the sim's expected one, with the allowances
of a real-time run (tests/system/README.md): a ps row may find the console
ready to run, and a fault report may land anywhere.

What only this backend has is checked too: component tables that are cut
short, not a table, or hold an image that is no ELF file or is cut short
(each stops what it must, with its message, never a hang), and the time from
starting QEMU to the shell's prompt.

    run_system_qemu.py --images DIR [--qemu BINARY] CASE...   (or --all)
    run_system_qemu.py --list

Python 3 standard library only. Every QEMU run has a timeout: a hang fails
the case rather than stalling CTest.
"""
import argparse
import importlib.util
import os
import re
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SYSTEM_DIR = os.path.join(os.path.dirname(HERE), "system")

# The sim's system tests: their inputs, expected transcripts and helpers.
_spec = importlib.util.spec_from_file_location("run_system", os.path.join(SYSTEM_DIR, "run_system.py"))
sim = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sim)

RUN_TIMEOUT = 60.0
BOOT_GOAL = 2.0  # seconds from starting QEMU to the prompt (issue 7)
BOOT_SAMPLES = 5

ROOT_STARTS = b"starting the root task at EL0\r\n"
POWER_OFF = re.compile(rb"KaaL: power off, status (\d+)\r\n\Z")


class Failure(Exception):
    pass


class Run:
    def __init__(self, image, status, boot, out, prompt_after):
        self.image, self.status, self.boot, self.out, self.prompt_after = image, status, boot, out, prompt_after

    def describe(self):
        return "%s: status %s, boot log:\n%s\ntranscript:\n%s" % (
            os.path.basename(self.image), self.status, sim.show(self.boot), sim.show(self.out))


class Context:
    def __init__(self, images, qemu):
        self.images, self.qemu = images, qemu

    def image(self, name):
        path = os.path.join(self.images, name)
        if not os.path.isfile(path):
            raise Failure("no kernel image %s (build the aarch64 preset)" % path)
        return path

    def run(self, image, data=b"", timeout=RUN_TIMEOUT, after=None):
        """Boot image, write data to its serial once the kernel speaks (or `after` is in the output), read to the end."""
        path = self.image(image)
        cmd = [self.qemu, "-M", "virt,gic-version=2", "-cpu", "cortex-a53", "-m", "128M", "-display", "none",
               "-monitor", "none", "-serial", "stdio", "-no-reboot", "-kernel", path]
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        spoke = threading.Event()
        out = bytearray()
        prompt_after = [None]

        def feed():
            spoke.wait()
            try:
                proc.stdin.write(data)
                proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass

        def read():
            while True:
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    return
                out.extend(chunk)
                if after is None or after in out:
                    spoke.set()
                if prompt_after[0] is None and sim.PROMPT in out:
                    prompt_after[0] = time.monotonic() - start

        threads = [threading.Thread(target=feed, daemon=True), threading.Thread(target=read, daemon=True)]
        for t in threads:
            t.start()
        try:
            status = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            threads[1].join(5)
            raise Failure("%s did not power off within %.0f s (QEMU killed); output:\n%s" % (
                image, timeout, sim.show(bytes(out))))
        finally:
            spoke.set()
        threads[1].join(5)
        err = proc.stderr.read()
        proc.stderr.close()
        proc.stdout.close()
        if status != 0:
            raise Failure("QEMU exited with status %d: %s\n%s" % (status, err.decode(errors="replace"),
                                                                    sim.show(bytes(out))))
        text = bytes(out)
        cut = text.find(ROOT_STARTS)
        if cut < 0:
            raise Failure("%s: the kernel never started the root task:\n%s" % (image, sim.show(text)))
        boot, rest = text[:cut + len(ROOT_STARTS)], text[cut + len(ROOT_STARTS):]
        m = POWER_OFF.search(rest)
        if m is None:
            raise Failure("%s: the output does not end with the kernel's power-off line:\n%s" % (image, sim.show(rest)))
        return Run(path, int(m.group(1)), boot, rest[:m.start()], prompt_after[0])


def check_status(run, status):
    if run.status != status:
        raise Failure("expected power-off status %d:\n%s" % (status, run.describe()))


def check_clean(run):
    """No kernel line in the system's transcript: the rejection log is muted, nothing else may appear."""
    for line in run.out.split(b"\r\n"):
        if line.startswith((b"KaaL:", b"kaal:")):
            raise Failure("a kernel line in the transcript: %r\n%s" % (line, run.describe()))


def compare(name, actual, what):
    expected = sim.expected_bytes(None, name)
    actual = sim.realtime_transcript(actual)
    if actual != expected:
        raise Failure("%s: the transcript differs from tests/system/expected/%s.out:\n%s" % (
            what, name, sim.diff(expected, actual, "expected/%s.out" % name, "qemu")))


CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


# The sessions of the sim's system tests that end with exit: input, expected transcript, status.
SESSIONS = {
    "session": (sim.SESSION, 7),
    "bad_commands": (sim.BAD_COMMANDS, 255),
    "line_editing": (sim.LINE_EDITING, 1),
    "line_ends": (sim.LINE_ENDS, 2),
    "long_lines": (sim.long_lines_input(), 4),
    "garbage": (sim.garbage_input(), 5),
    "many_pings": (sim.MANY_PINGS, 3),
}


def session_case(name):
    data, status = SESSIONS[name]

    def run_case(ctx):
        run = ctx.run("kaal-system.elf", data)
        check_status(run, status)
        check_clean(run)
        compare(name, run.out, name)

    run_case.__name__ = name
    run_case.__doc__ = "the sim's '%s' session: its transcript, power-off status %d" % (name, status)
    return case(run_case)


for _name in SESSIONS:
    session_case(_name)


@case
def crash(ctx):
    """with crash in the table: its fault reported once, anywhere; the rest as on the sim; exit 0"""
    run = ctx.run("kaal-system-crash.elf", sim.CRASH_SESSION + b"exit\n")
    check_status(run, 0)
    check_clean(run)
    if run.out.count(sim.CRASH_REPORT) != 1:
        raise Failure("expected the fault report once:\n" + run.describe())
    expected = sim.expected_bytes(None, "crash").replace(sim.CRASH_REPORT, b"", 1) + b"exit\r\nbye\r\n"
    rest = sim.realtime_transcript(run.out.replace(sim.CRASH_REPORT, b"", 1))
    if rest != expected and sim.CRASH_PS_ROW.sub(b"", rest, count=1) != expected:
        raise Failure("apart from where the fault report is, the transcript differs from crash.out:\n" +
                      sim.diff(expected, rest, "expected/crash.out without the report, then exit", "qemu"))


@case
def probe(ctx):
    """with probe in the table: its wrong requests refused and said, as on the sim"""
    # The probe (priority 50) runs when everything else waits: typed before it is done, the shell's
    # commands would all run first (the sim's virtual time types slowly enough).
    run = ctx.run("kaal-system-probe.elf", sim.PROBE_SESSION, after=b"root: probe exited with status 3\r\n")
    check_status(run, 6)
    check_clean(run)
    compare("probe", run.out, "probe")


@case
def component_failures(ctx):
    """console, shell, ping or pong replaced by crash's code: reported; without console or shell, status 98"""
    for name, status in (("console", 98), ("shell", 98), ("ping", 4), ("pong", 4)):
        run = ctx.run("kaal-system-failure-%s.elf" % name, sim.FAILURE_SESSION)
        check_status(run, status)
        check_clean(run)
        compare("failure_" + name, run.out, "%s replaced by crash" % name)


@case
def flood(ctx):
    """110 KiB of commands behind ping 100000: every line runs, in order; exit 4"""
    run = ctx.run("kaal-system.elf", sim.flood_input())
    check_status(run, 4)
    check_clean(run)
    lines = [l for l in run.out.split(b"\r\n") if l.startswith(b"line")]
    if lines != [b"line%05d %s" % (i, b"x" * 40) for i in range(sim.FLOOD_LINES)]:
        raise Failure("the echoed lines are not all there, in order (%d of %d)" % (len(lines), sim.FLOOD_LINES))
    if b"ping: 100000 round trips to pong, 0 wrong answers\r\n" not in run.out:
        raise Failure("ping 100000 did not end well:\n" + run.describe())


# Component tables that are not what they should be (tests/qemu/make_bad_components.py): the image,
# the lines the transcript must hold, the power-off status.
BAD_TABLES = {
    "table_truncated": ("kaal-system-bad-truncated.elf", [
        b"root: the component table (4000 bytes) is unusable: an image lies past its end; powering off (status 99)"],
        99),
    "table_magic": ("kaal-system-bad-magic.elf", [
        b"root: the component table (", b") is unusable: no component table magic; powering off (status 99)"], 99),
    "table_count": ("kaal-system-bad-count.elf", [
        b") is unusable: more entries than its bytes hold; powering off (status 99)"], 99),
    "image_not_elf": ("kaal-system-bad-shell.elf", [
        b"root: cannot start 'shell': its image is unusable: not an ELF file",
        b"root: the system cannot go on without its shell; powering off (status 98)"], 98),
}


def bad_table_case(name):
    image, lines, status = BAD_TABLES[name]

    def run_case(ctx):
        run = ctx.run(image, b"")
        check_status(run, status)
        check_clean(run)
        for line in lines:
            if line not in run.out:
                raise Failure("no %r in the transcript:\n%s" % (line, run.describe()))

    run_case.__name__ = name
    run_case.__doc__ = "%s: the root task says what is wrong and powers off with %d" % (image, status)
    return case(run_case)


for _name in BAD_TABLES:
    bad_table_case(_name)


@case
def image_truncated(ctx):
    """ping's ELF cut short inside the table: 'ping' says why it cannot start; the shell goes on"""
    run = ctx.run("kaal-system-bad-ping.elf", b"ping 1\necho still here\nexit 3\n")
    check_status(run, 3)
    check_clean(run)
    for line in (b"kaal> ping 1\r\nroot: cannot start 'ping': its image is unusable: ",
                 b"kaal> echo still here\r\nstill here\r\n"):
        if line not in run.out:
            raise Failure("no %r in the transcript:\n%s" % (line, run.describe()))


@case
def boot_time(ctx):
    """from starting QEMU to the shell's prompt: under 2 s in every one of 5 runs (the median printed)"""
    times = []
    for _ in range(BOOT_SAMPLES):
        run = ctx.run("kaal-system.elf", b"exit\n")
        check_status(run, 0)
        if run.prompt_after is None:
            raise Failure("no prompt:\n" + run.describe())
        times.append(run.prompt_after)
    print("# boot to prompt: median %.3f s, max %.3f s over %d runs (wall time, QEMU start included)" % (
        statistics.median(times), max(times), len(times)))
    if max(times) >= BOOT_GOAL:
        raise Failure("boot to prompt took %.3f s (goal: under %.1f s)" % (max(times), BOOT_GOAL))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--images", help="the directory of the kernel images (build/aarch64)")
    p.add_argument("--qemu", default="qemu-system-aarch64")
    p.add_argument("--list", action="store_true", help="print the case names")
    p.add_argument("--all", action="store_true", help="run every case")
    p.add_argument("cases", nargs="*")
    a = p.parse_args()
    if a.list:
        for name in CASES:
            print(name)
        return 0
    names = list(CASES) if a.all else a.cases
    unknown = [n for n in names if n not in CASES]
    if not names or unknown or not a.images:
        p.error("unknown cases: %s" % " ".join(unknown) if unknown else "give --images and cases (or --all)")
    ctx = Context(a.images, a.qemu)
    failed = 0
    for name in names:
        t0 = time.monotonic()
        try:
            CASES[name](ctx)
            print("ok %s (%.1f s)" % (name, time.monotonic() - t0), flush=True)
        except Failure as e:
            failed += 1
            print("FAILED %s: %s" % (name, e), flush=True)
    print("%d passed, %d failed" % (len(names) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
