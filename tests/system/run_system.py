#!/usr/bin/env python3
"""System tests: boot kaal-sim, drive the shell through stdin, check what comes out.

Each case starts build/<preset>/sim/kaal-sim (its path is --sim), writes the
shell's input to its stdin (a pipe, or a file for some cases) and checks the
exit status, stdout and stderr. Deterministic runs are compared byte for byte
with tests/system/expected/<name>.out and fail with a unified diff (control
bytes shown escaped); --update rewrites those files instead, which is the
only way they change (tests/system/README.md). Every run has a timeout, so a
hang fails the case rather than stalling CTest.

    run_system.py --sim PATH [--update] [--release] CASE...   run cases (or all with --all)
    run_system.py --list                          the case names, one a line

Python 3 standard library only.
"""
import argparse
import difflib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED_DIR = os.path.join(HERE, "expected")

# Seconds one kaal-sim run may take before the case fails. The slowest run
# (64 KiB fed one byte per virtual 100 us) takes about 3 s, under ASan too.
RUN_TIMEOUT = 60.0
# Seconds to wait for the prompt, a line, or the exit after a signal.
WAIT_TIMEOUT = 20.0

PROMPT = b"kaal> "
BANNER = b"KaaL shell: 'help' lists the commands\r\n" + PROMPT
CRASH_REPORT = b"root: crash faulted: read at address 0x0; stopped\r\n"

# ---- inputs -------------------------------------------------------------------------------

# Every command, each once, then `exit 7`.
SESSION = (
    b"help\n"
    b"echo hello  from   the shell\n"
    b"echo\n"
    b"ps\n"
    b"caps\n"
    b"ping 5\n"
    b"ping\n"
    b"ps\n"
    b"exit 7\n"
)

BAD_COMMANDS = (
    b"frobnicate\n"
    b"Help\n"
    b"help me\n"
    b"ps -a\n"
    b"caps all\n"
    b"ping 1 2\n"
    b"ping abc\n"
    b"ping 0\n"
    b"ping -1\n"
    b"ping 100001\n"
    b"ping 99999999999999999999999\n"
    b"exit 300\n"
    b"exit abc\n"
    b"exit 1 2\n"
    b"echo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n"   # 16 words: the most a line may have
    b"echo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"  # 17: refused
    b"echo the shell still works\n"
    b"exit 255\n"
)

LINE_EDITING = (
    b"echo abcX\x7fd\n"                 # DEL
    b"echo abcX\bd\n"                   # BS
    b"\x7f\x7f\x7fecho nothing to erase\n"  # backspace on an empty line
    b"echo wrong line\x15echo after ctrl-u\n"
    b"\x15\n"                           # Ctrl-U on an empty line, then an empty line
    b"pX\x7fs\n"                        # a command made by editing: ps
    b"echo tab\there\n"                 # a tab is not printable text: dropped and counted
    b"echo esc \x1b[A\x1b[B arrows\n"   # arrow keys: ESC dropped, the rest is text
    b"echo caf\xc3\xa9\n"               # UTF-8: two bytes dropped
    b"echo nul\x00byte\n"               # one NUL
    b"echo three\x01\x02\x03 controls\n"
    b"echo dropped then\x01\x15echo cleared\n"  # Ctrl-U also forgets the dropped count
    b"   \n"
    b"  echo   leading   spaces  \n"
    b"exit 1\n"
)

LINE_ENDS = (
    b"echo lf\n"
    b"echo crlf\r\n"
    b"echo cr\r"
    b"echo cr again\r"
    b"\r\n"                             # CR LF alone: one empty line
    b"\n\n"                             # LF, LF: two empty lines
    b"\r\r\n"                           # CR, then CR LF: two empty lines
    b"\n\r"                             # LF, then CR: two empty lines
    b"echo last\r\n"
    b"exit 2\n"
)


def long_lines_input():
    """Lines at, just past and far past the 255-character limit (each refused as a whole)."""
    at_limit = b"echo " + b"a" * 250            # 255 characters: accepted
    past = b"echo " + b"b" * 251                # 256: refused
    far = b"echo " + b"c" * 295                 # 300: refused
    fixed = b"echo " + b"d" * 295 + b"\x7f" * 10 + b"\n"  # backspace does not undo an overflow
    cleared = b"echo " + b"e" * 295 + b"\x15" + b"echo cleared by ctrl-u\n"
    return (at_limit + b"\n" + past + b"\n" + far + b"\n" + fixed + cleared +
            b"echo still fine\n" + b"exit 4\n")


def pseudo_random_bytes(n, seed=0x2545F491):
    """A fixed byte sequence (xorshift32): the same garbage on every run and every machine."""
    x = seed
    out = bytearray(n)
    for i in range(n):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out[i] = x & 0xFF
    return bytes(out)


GARBAGE_SIZE = 64 * 1024
# After the garbage: end whatever line it left open, forget it, and check the shell.
AFTER_GARBAGE = b"\n\x15echo still here\nps\nping 3\nexit 5\n"


def garbage_input():
    return pseudo_random_bytes(GARBAGE_SIZE) + AFTER_GARBAGE


# 64 KiB of text and not one line end: the line overflows, nothing runs, end of input ends the run.
NO_NEWLINE = bytes(b"abcdefghijklmnopqrstuvwxyz0123456789"[i % 36] for i in range(GARBAGE_SIZE))

EOF_WITHOUT_EXIT = b"echo one\nping 50\n"
EOF_PARTIAL_LINE = b"echo complete\necho partial"

CRASH_SESSION = b"ps\necho still running\nping 2\nps\n"

# ping and pong started over and over (more times than there are instance entries), a long ping, then ps.
MANY_PINGS = b"ping 1\n" * 50 + b"ping\n" * 20 + b"ping 100000\nps\nping 1\nexit 3\n"

# What the shell gets after the probe component has done its part (--with probe).
PROBE_SESSION = b"ps\nping 3\nps\nexit 6\n"

# A component replaced by crash (it faults at start): what the user sees, and what is left running.
FAILURE_SESSION = b"ping 1\n" * 16 + b"ps\nping\nexit 4\n"

# Input far faster than the shell reads it: a long ping keeps the shell from running while
# 2000 lines (110 KiB) wait; the console's ring fills and input waits in the UART and the host pipe.
FLOOD_LINES = 2000


def flood_input():
    return (b"ping 100000\n" + b"".join(b"echo line%05d %s\n" % (i, b"x" * 40) for i in range(FLOOD_LINES)) +
            b"ping 3\nps\nexit 4\n")

# ---- running kaal-sim ---------------------------------------------------------------------


class Failure(Exception):
    pass


class Run:
    def __init__(self, args, status, out, err):
        self.args, self.status, self.out, self.err = args, status, out, err

    def describe(self):
        return "kaal-sim %s: status %s, %d bytes on stdout, stderr:\n%s" % (
            " ".join(self.args), self.status, len(self.out),
            self.err.decode("utf-8", "backslashreplace") or "(empty)")


class Context:
    def __init__(self, sim, update, workdir, debug_kernel):
        self.sim, self.update, self.workdir, self.debug_kernel = sim, update, workdir, debug_kernel
        self.updated = []

    def components_with(self, name, image):
        """A component directory like the build's, but with component NAME's file holding IMAGE's code."""
        built = os.path.join(os.path.dirname(os.path.dirname(self.sim)), "components")
        path = os.path.join(self.workdir, "components-%s-is-%s" % (name, image))
        if not os.path.isdir(path):
            os.mkdir(path)
            for f in os.listdir(built):
                if f.endswith(".so"):
                    shutil.copyfile(os.path.join(built, f), os.path.join(path, f))
            shutil.copyfile(os.path.join(built, image + ".so"), os.path.join(path, name + ".so"))
        return path

    def run(self, args, data=b"", from_file=False, timeout=RUN_TIMEOUT):
        """kaal-sim ARGS with DATA on stdin (a pipe, or a file with from_file); wait for its end."""
        cmd = [self.sim] + list(args)
        stdin = subprocess.PIPE
        f = None
        if from_file:
            path = os.path.join(self.workdir, "input-%d.bin" % time.monotonic_ns())
            with open(path, "wb") as w:
                w.write(data)
            f = open(path, "rb")
            stdin = f
        try:
            p = subprocess.run(cmd, input=None if from_file else data, stdin=stdin if from_file else None,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise Failure("kaal-sim %s did not end within %.0f s (killed); stdout so far:\n%s\nstderr so far:\n%s" % (
                " ".join(args), timeout, show(e.stdout or b""), show(e.stderr or b"")))
        finally:
            if f is not None:
                f.close()
        return Run(args, p.returncode, p.stdout, p.stderr)


def show(data):
    """Bytes as readable text: printable ASCII and LF as they are, everything else escaped."""
    out = []
    for b in data:
        if b == 0x0A or 0x20 <= b <= 0x7E and b != 0x5C:
            out.append(chr(b))
        elif b == 0x5C:
            out.append("\\\\")
        elif b == 0x0D:
            out.append("\\r")
        elif b == 0x08:
            out.append("\\b")
        elif b == 0x09:
            out.append("\\t")
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


def diff(expected, actual, expected_name, actual_name):
    a = show(expected).splitlines(keepends=True)
    b = show(actual).splitlines(keepends=True)
    lines = difflib.unified_diff(a, b, expected_name, actual_name, n=3)
    return "".join(line if line.endswith("\n") else line + "\n\\ no newline at the end\n" for line in lines)


def check_status(run, status):
    if run.status != status:
        raise Failure("expected exit status %d\n%s\nstdout:\n%s" % (status, run.describe(), show(run.out)))


def check_quiet(run):
    """Nothing on stderr: a run of the system logs nothing there unless something went wrong."""
    if run.err:
        raise Failure("expected nothing on stderr\n" + run.describe())


def expected_path(name):
    return os.path.join(EXPECTED_DIR, name + ".out")


def compare(ctx, name, actual, what):
    """Compare ACTUAL with expected/NAME.out, byte for byte (or write it with --update)."""
    path = expected_path(name)
    if ctx.update:
        old = None
        if os.path.exists(path):
            with open(path, "rb") as f:
                old = f.read()
        if old != actual:
            with open(path, "wb") as f:
                f.write(actual)
            ctx.updated.append(os.path.relpath(path, HERE))
        return
    if not os.path.exists(path):
        raise Failure("%s: no expected transcript %s (run with --update to write it, then read it)" % (what, path))
    with open(path, "rb") as f:
        expected = f.read()
    if expected != actual:
        raise Failure("%s: the transcript differs from %s (%d bytes expected, %d got):\n%s" % (
            what, os.path.relpath(path, os.getcwd()), len(expected), len(actual),
            diff(expected, actual, "expected/" + name + ".out", "actual")))


def expected_bytes(ctx, name):
    """The expected transcript NAME (after compare() of this run has checked or written it)."""
    with open(expected_path(name), "rb") as f:
        return f.read()


def same(a, b, what):
    if a != b:
        raise Failure("%s differ:\n%s" % (what, diff(a, b, "first", "second")))


# ---- cases --------------------------------------------------------------------------------

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


@case
def session(ctx):
    """Every command once (help, echo, ps, caps, ping, exit 7): exact transcript, exit status 7."""
    run = ctx.run(["--deterministic"], SESSION)
    check_status(run, 7)
    check_quiet(run)
    compare(ctx, "session", run.out, "session")
    # The same bytes from a file rather than a pipe: the same run.
    from_file = ctx.run(["--deterministic"], SESSION, from_file=True)
    check_status(from_file, 7)
    same(run.out, from_file.out, "the transcripts with input from a pipe and from a file")
    # Rejection lines go to stderr only: stdout does not change.
    logged = ctx.run(["--deterministic", "--log-rejections"], SESSION)
    check_status(logged, 7)
    same(run.out, logged.out, "the transcripts without and with --log-rejections")
    if ctx.debug_kernel and b"kaal: reject: " not in logged.err:
        raise Failure("--log-rejections logged no rejection on stderr\n" + logged.describe())


@case
def determinism(ctx):
    """The same input twice per seed (none, 1, 2): identical bytes; and no seed changes them."""
    reference = None
    for seed in (None, 1, 2):
        args = ["--deterministic"] + ([] if seed is None else ["--seed", str(seed)])
        first = ctx.run(args, SESSION)
        second = ctx.run(args, SESSION)
        check_status(first, 7)
        check_status(second, 7)
        same(first.out, second.out, "two runs with %s" % " ".join(args))
        if reference is None:
            reference = first.out
        # Priorities alone order this session's output; where timeslices end cannot move it.
        same(reference, first.out, "the transcripts without a seed and with --seed %s" % seed)
    compare(ctx, "session", reference, "determinism")


@case
def bad_commands(ctx):
    """Unknown commands, wrong argument counts, bad numbers (ping abc, ping 0, exit 300), 17 words."""
    run = ctx.run(["--deterministic"], BAD_COMMANDS)
    check_status(run, 255)
    check_quiet(run)
    compare(ctx, "bad_commands", run.out, "bad_commands")


@case
def line_editing(ctx):
    """DEL and BS, Ctrl-U, bytes that are not printable text (tab, ESC, UTF-8, NUL), spaces."""
    run = ctx.run(["--deterministic"], LINE_EDITING)
    check_status(run, 1)
    check_quiet(run)
    compare(ctx, "line_editing", run.out, "line_editing")


@case
def line_ends(ctx):
    """LF, CR LF, lone CR, and empty lines made of each."""
    run = ctx.run(["--deterministic"], LINE_ENDS)
    check_status(run, 2)
    check_quiet(run)
    compare(ctx, "line_ends", run.out, "line_ends")


@case
def long_lines(ctx):
    """255 characters accepted; 256 and 300 refused as a whole; backspace and Ctrl-U after an overflow."""
    run = ctx.run(["--deterministic"], long_lines_input())
    check_status(run, 4)
    check_quiet(run)
    compare(ctx, "long_lines", run.out, "long_lines")



@case
def garbage(ctx):
    """64 KiB of fixed pseudo-random bytes from a file, then commands that must still work."""
    data = garbage_input()
    run = ctx.run(["--deterministic"], data, from_file=True)
    check_status(run, 5)
    check_quiet(run)
    compare(ctx, "garbage", run.out, "garbage")


@case
def no_newline(ctx):
    """64 KiB of text without a line end: the line overflows, nothing runs, end of input ends the run (0)."""
    run = ctx.run(["--deterministic"], NO_NEWLINE)
    check_status(run, 0)
    check_quiet(run)
    compare(ctx, "no_newline", run.out, "no_newline")


@case
def eof_without_exit(ctx):
    """End of input without exit: status 0, and the last command's output is complete."""
    run = ctx.run(["--deterministic"], EOF_WITHOUT_EXIT)
    check_status(run, 0)
    check_quiet(run)
    compare(ctx, "eof_without_exit", run.out, "eof_without_exit")
    if not run.out.endswith(b"ping: 50 round trips to pong, 0 wrong answers\r\n" + PROMPT):
        raise Failure("the transcript does not end with ping's result and a prompt:\n" + show(run.out))
    partial = ctx.run(["--deterministic"], EOF_PARTIAL_LINE)
    check_status(partial, 0)
    check_quiet(partial)
    compare(ctx, "eof_partial_line", partial.out, "eof_partial_line")


@case
def crash(ctx):
    """--with crash: the root task reports the fault by name, the shell and ping/pong go on."""
    run = ctx.run(["--deterministic", "--with", "crash"], CRASH_SESSION)
    check_status(run, 0)
    check_quiet(run)
    compare(ctx, "crash", run.out, "crash")
    if run.out.count(CRASH_REPORT) != 1:
        raise Failure("expected the fault report once:\n" + show(run.out))


@case
def many_pings(ctx):
    """ping 70 times (more than the 16 instance entries), ping 100000, then ps: nothing left over, all reused."""
    run = ctx.run(["--deterministic"], MANY_PINGS)
    check_status(run, 3)
    check_quiet(run)
    compare(ctx, "many_pings", run.out, "many_pings")
    if run.out.count(b"wrong answers") != 72 or b"ping: 100000 round trips to pong, 0 wrong answers" not in run.out:
        raise Failure("not every ping ran to its end:\n" + show(run.out))


@case
def probe(ctx):
    """--with probe: wrong requests to the root task and the console (refused, and said), every instance entry in use, then the shell."""
    run = ctx.run(["--deterministic", "--with", "probe"], PROBE_SESSION)
    check_status(run, 6)
    check_quiet(run)
    compare(ctx, "probe", run.out, "probe")
    for line in (b"probe: 13 pongs started, then error 10 (not enough memory)\r\n",
                 b"root: cannot start 'pong': all 16 instances are in use (ps lists them)\r\n",
                 b"probe: ps lists 4 threads\r\n",
                 b"root: probe exited with status 3\r\n"):
        if line not in run.out:
            raise Failure("no %r in the transcript:\n%s" % (line, show(run.out)))


@case
def component_failures(ctx):
    """console, shell, ping or pong replaced by crash: the root task says so; without console or shell it powers off (98)."""
    for name, status, modes in (("console", 98, (["--deterministic"], [])),
                                ("shell", 98, (["--deterministic"], [])),
                                ("ping", 4, (["--deterministic"],)),
                                ("pong", 4, (["--deterministic"],))):
        components = ctx.components_with(name, "crash")
        for mode in modes:
            run = ctx.run(mode + ["--components", components], FAILURE_SESSION)
            check_status(run, status)
            check_quiet(run)
            if mode:
                compare(ctx, "failure_" + name, run.out, "%s replaced by crash" % name)
            elif not ctx.update:
                compare(ctx, "failure_" + name, run.out, "%s replaced by crash, real time" % name)
            report = b"root: %s faulted: read at address 0x0; stopped\r\n" % name.encode()
            if report not in run.out:
                raise Failure("no fault report for %s:\n%s" % (name, show(run.out)))
        if name in ("ping", "pong") and not run.out.endswith(b"shell            reply    100\r\nkaal> ping\r\n" +
                                                              report + b"root: %s stopped with %s\r\n" % (
                                                                  (b"pong", b"ping") if name == "ping" else
                                                                  (b"ping", b"pong")) + PROMPT +
                                                              b"exit 4\r\nbye\r\n"):
            raise Failure("%s replaced by crash: its partner is not stopped, or ps lists more than root, console "
                          "and shell:\n%s" % (name, show(run.out)))


@case
def flood(ctx):
    """110 KiB of commands behind a long ping, real time: every line runs, in order, as in virtual time."""
    data = flood_input()
    virtual = ctx.run(["--deterministic"], data)
    real = ctx.run([], data)
    for run in (virtual, real):
        check_status(run, 4)
        check_quiet(run)
    lines = [l for l in virtual.out.split(b"\r\n") if l.startswith(b"line")]
    if lines != [b"line%05d %s" % (i, b"x" * 40) for i in range(FLOOD_LINES)]:
        raise Failure("virtual time: the echoed lines are not all there, in order (%d of %d)" % (
            len(lines), FLOOD_LINES))
    if realtime_transcript(real.out) != virtual.out:
        raise Failure("real time and virtual time differ:\n" + diff(virtual.out, realtime_transcript(real.out),
                                                                       "virtual time", "real time"))


# In real time an input byte may raise the UART's interrupt while the root task (priority 255)
# answers ps: the console (200) is then ready to run, and ps says so. That row is the one thing
# real time may change in a transcript without a crash; it is read back as the console waiting.
CONSOLE_READY_ROW = re.compile(rb"^console {10}running  200\r$", re.M)
CONSOLE_WAITING_ROW = b"console          receive  200\r"


def realtime_transcript(out):
    return CONSOLE_READY_ROW.sub(CONSOLE_WAITING_ROW, out)


def check_realtime(ctx, run, name, what):
    """A real-time run must give the deterministic transcript of the same input (but for ready consoles)."""
    if ctx.update:
        return  # the deterministic cases write the files; real time only reads them
    compare(ctx, name, realtime_transcript(run.out), what + " (real time)")


@case
def realtime(ctx):
    """Without --deterministic: the same sessions give the same bytes (every command, bad input, garbage, EOF)."""
    for name, data, status, from_file in (
            ("session", SESSION, 7, False),
            ("bad_commands", BAD_COMMANDS, 255, False),
            ("line_editing", LINE_EDITING, 1, False),
            ("line_ends", LINE_ENDS, 2, False),
            ("long_lines", long_lines_input(), 4, False),
            ("garbage", garbage_input(), 5, True),
            ("no_newline", NO_NEWLINE, 0, False),
            ("eof_without_exit", EOF_WITHOUT_EXIT, 0, False),
            ("eof_partial_line", EOF_PARTIAL_LINE, 0, False)):
        run = ctx.run([], data, from_file=from_file)
        check_status(run, status)
        check_quiet(run)
        check_realtime(ctx, run, name, name)


# A row of ps for the crash component, which real time may list before it has faulted.
CRASH_PS_ROW = re.compile(rb"crash {11}\S+ +100\r\n")


@case
def realtime_crash(ctx):
    """--with crash in real time: the report comes once, anywhere; the rest is the deterministic transcript."""
    if ctx.update:
        return
    expected = expected_bytes(ctx, "crash").replace(CRASH_REPORT, b"", 1)
    for attempt in range(5):
        run = ctx.run(["--with", "crash"], CRASH_SESSION)
        check_status(run, 0)
        check_quiet(run)
        if run.out.count(CRASH_REPORT) != 1:
            raise Failure("expected the fault report once:\n" + show(run.out))
        rest = realtime_transcript(run.out.replace(CRASH_REPORT, b"", 1))
        # The input is all there at boot: the shell (priority 100, like crash) may run the first ps
        # before crash has run at all; then that ps lists crash. Nothing else may differ.
        if rest != expected and CRASH_PS_ROW.sub(b"", rest, count=1) != expected:
            raise Failure("real time, --with crash, attempt %d: apart from where the fault report is, the "
                          "transcript differs from the deterministic one:\n%s" % (
                              attempt + 1, diff(expected, rest, "expected/crash.out without the report", "actual")))


class Live:
    """kaal-sim with its stdin kept open: write to it, wait for output, signal it."""

    def __init__(self, ctx, args):
        self.args = args
        self.proc = subprocess.Popen([ctx.sim] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.out = bytearray()
        self.err = bytearray()
        self.cond = threading.Condition()
        self.readers = [threading.Thread(target=self._read, args=(self.proc.stdout, self.out), daemon=True),
                        threading.Thread(target=self._read, args=(self.proc.stderr, self.err), daemon=True)]
        for t in self.readers:
            t.start()

    def _read(self, stream, into):
        while True:
            chunk = os.read(stream.fileno(), 65536)
            with self.cond:
                if not chunk:
                    self.cond.notify_all()
                    return
                into += chunk
                self.cond.notify_all()

    def wait_for(self, text, timeout=WAIT_TIMEOUT):
        with self.cond:
            if not self.cond.wait_for(lambda: text in self.out or self.proc.poll() is not None, timeout):
                self.kill()
                raise Failure("kaal-sim %s: no %r on stdout within %.0f s; stdout so far:\n%s" % (
                    " ".join(self.args), text, timeout, show(bytes(self.out))))
            if text not in self.out:
                raise Failure("kaal-sim %s ended (status %s) before %r appeared; stdout:\n%s" % (
                    " ".join(self.args), self.proc.returncode, text, show(bytes(self.out))))

    def write(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def end(self, timeout=WAIT_TIMEOUT):
        """Wait for the exit; return the status."""
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failure("kaal-sim %s did not end within %.0f s (killed); stdout:\n%s" % (
                " ".join(self.args), timeout, show(bytes(self.out))))
        for t in self.readers:
            t.join(WAIT_TIMEOUT)
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        return status

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@case
def signals(ctx):
    """SIGINT and SIGTERM end a run whose input is still open with status 0 (idle or busy, real or virtual time)."""
    for args, sig, busy in ((["--deterministic"], signal.SIGINT, False), ([], signal.SIGINT, False),
                            ([], signal.SIGTERM, False), ([], signal.SIGINT, True),
                            (["--deterministic"], signal.SIGTERM, True)):
        what = "kaal-sim %s, %s while %s" % (" ".join(args), signal.Signals(sig).name, "busy" if busy else "idle")
        live = Live(ctx, args)
        try:
            live.wait_for(BANNER)
            live.write(b"echo hi\n")
            live.wait_for(b"echo hi\r\nhi\r\n" + PROMPT)
            if busy:
                live.write(b"ping 100000\n")
                live.wait_for(b"ping 100000\r\n")
            live.proc.send_signal(sig)
            status = live.end()
        finally:
            live.kill()
        if status != 0:
            raise Failure("%s: status %s, expected 0; stderr:\n%s" % (what, status, show(bytes(live.err))))
        if b"interrupted" not in live.err:
            raise Failure("%s: no 'interrupted' on stderr:\n%s" % (what, show(bytes(live.err))))
        if not bytes(live.out).startswith(BANNER + b"echo hi\r\nhi\r\n" + PROMPT):
            raise Failure("%s: unexpected stdout:\n%s" % (what, show(bytes(live.out))))


@case
def interactive(ctx):
    """Real time, typed line by line (each after the prompt): the deterministic transcript, and with crash too."""
    if ctx.update:
        return
    for name, args, data in (("session", [], SESSION), ("crash", ["--with", "crash"], CRASH_SESSION)):
        expected = expected_bytes(ctx, name)
        live = Live(ctx, args)
        try:
            live.wait_for(BANNER)
            if name == "crash":
                live.wait_for(CRASH_REPORT)  # a user types after the report, so it sits where it does in virtual time
            lines = data.splitlines(keepends=True)
            for line in lines:
                with live.cond:
                    want = bytes(live.out).count(PROMPT) + 1  # the prompt after this line
                live.write(line)
                if not line.startswith(b"exit"):
                    with live.cond:
                        if not live.cond.wait_for(lambda: bytes(live.out).count(PROMPT) >= want, WAIT_TIMEOUT):
                            raise Failure("interactive %s: no prompt after %r; stdout:\n%s" % (
                                name, line, show(bytes(live.out))))
            if name == "crash":
                live.proc.stdin.close()  # end of input ends the run
            status = live.end()
        finally:
            live.kill()
        want_status = 7 if name == "session" else 0
        if status != want_status:
            raise Failure("interactive %s: status %s, expected %d; stderr:\n%s" % (
                name, status, want_status, show(bytes(live.err))))
        out = realtime_transcript(bytes(live.out))
        if out != expected:
            raise Failure("interactive %s: the transcript differs from expected/%s.out:\n%s" % (
                name, name, diff(expected, out, "expected/%s.out" % name, "actual")))


@case
def bad_options(ctx):
    """A bad option exits 2 with a message on stderr and nothing on stdout; --help exits 0."""
    for args, message in ((["--seed", "x"], b"--seed needs a number, not 'x'"),
                          (["--deterministic", "--seed", "x"], b"--seed needs a number, not 'x'"),
                          (["--deterministic", "--seed", "-1"], b"--seed needs a number"),
                          (["--deterministic", "--seed"], b"--seed needs a number"),
                          (["--seed", "1"], b"--seed only means something with --deterministic"),
                          (["--bogus"], b"unknown option '--bogus'"),
                          (["bogus"], b"unknown option 'bogus'"),
                          (["--ram", "8"], b"--ram needs a size in MiB"),
                          (["--components"], b"--components needs a directory"),
                          (["--with"], b"--with needs a component name"),
                          (["--with", "nosuch"], b"cannot load component 'nosuch'"),
                          (["--with", "shell"], b"--with shell: that component is loaded already"),
                          (["--with", "crash", "--with", "crash"], b"--with crash: that component is loaded already"),
                          (["--components", os.path.join(ctx.workdir, "none")], b"cannot load component 'console'")):
        run = ctx.run(args, b"exit 9\n", timeout=WAIT_TIMEOUT)
        check_status(run, 2)
        if message not in run.err:
            raise Failure("kaal-sim %s: stderr does not say %r:\n%s" % (" ".join(args), message, run.describe()))
        if run.out:
            raise Failure("kaal-sim %s: the system ran (stdout: %s)" % (" ".join(args), show(run.out)))
    run = ctx.run(["--help"], b"", timeout=WAIT_TIMEOUT)
    check_status(run, 0)
    if not run.out.startswith(b"usage: kaal-sim"):
        raise Failure("--help: no usage on stdout\n" + run.describe())


# ---- main ---------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description="KaaL system tests: kaal-sim driven through stdin.")
    parser.add_argument("--sim", help="the kaal-sim to test (build/<preset>/sim/kaal-sim)")
    parser.add_argument("--update", action="store_true",
                        help="rewrite tests/system/expected/ from this run instead of comparing (read the diff!)")
    parser.add_argument("--release", action="store_true",
                        help="kaal-sim of a KAAL_DEBUG=OFF build (the bench preset): it has no rejection log")
    parser.add_argument("--list", action="store_true", help="print the case names and stop")
    parser.add_argument("--all", action="store_true", help="run every case")
    parser.add_argument("cases", nargs="*", metavar="CASE")
    a = parser.parse_args()
    if a.list:
        for name, fn in CASES.items():
            print("%-18s %s" % (name, fn.__doc__.strip().splitlines()[0]))
        return 0
    names = list(CASES) if a.all else a.cases
    if not names or not a.sim:
        parser.error("give --sim PATH and the cases to run (or --all); --list names them")
    unknown = [n for n in names if n not in CASES]
    if unknown:
        parser.error("unknown case %s (--list names them)" % ", ".join(unknown))
    if not os.access(a.sim, os.X_OK):
        parser.error("%s is not an executable" % a.sim)

    failed = []
    with tempfile.TemporaryDirectory(prefix="kaal-system-") as workdir:
        ctx = Context(os.path.abspath(a.sim), a.update, workdir, not a.release)
        for name in names:
            start = time.monotonic()
            try:
                CASES[name](ctx)
            except Failure as e:
                failed.append(name)
                print("FAIL %s (%.1f s): %s" % (name, time.monotonic() - start, e), flush=True)
            else:
                print("ok   %s (%.1f s)" % (name, time.monotonic() - start), flush=True)
        for path in ctx.updated:
            print("updated %s: review it with git diff before committing" % path)
    if failed:
        print("%d of %d cases failed: %s" % (len(failed), len(names), " ".join(failed)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
