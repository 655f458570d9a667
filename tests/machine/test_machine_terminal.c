/*
 * The host terminal of the sim's UART.
 *
 * Input that is not a terminal (a pipe): no raw mode, every byte reaches
 * the device in order even when it takes only a few at a time, end of input
 * is reported once; output goes out byte by byte.
 *
 * A real terminal: each case runs in a child on a pseudo-terminal that is
 * its controlling terminal (forkpty), the parent plays the user at the
 * master side: raw mode while open (no echo, no line editing, no CR->NL,
 * ISIG kept, "\n" printed as CR LF), and the original mode back after close,
 * exit(), SIGTERM (the child then dies by SIGTERM), Ctrl-Z (restored while
 * stopped, raw again after SIGCONT) and Ctrl-C with a handler of the
 * program's own (restored, the handler runs, raw again).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <kaal/machine/terminal.h>

/* A device that takes at most `room` bytes before it is read (the test reads it). */
struct sink {
    uint8_t got[4096];
    _Atomic size_t len;
    size_t room; /* bytes it takes per wait_room */
    size_t credit;
    _Atomic int eofs, eof_error;
    void (*on_byte)(uint8_t);
};

static size_t sink_receive(void *ctx, const uint8_t *bytes, size_t n)
{
    struct sink *s = ctx;
    size_t take = s->room == 0 ? n : (n < s->credit ? n : s->credit);
    for (size_t i = 0; i < take; i++) {
        size_t at = atomic_load(&s->len);
        if (at < sizeof s->got)
            s->got[at] = bytes[i];
        atomic_store(&s->len, at + 1);
        if (s->on_byte != NULL)
            s->on_byte(bytes[i]);
    }
    if (s->room != 0)
        s->credit -= take;
    return take;
}

static bool sink_wait_room(void *ctx, uint64_t timeout_ns)
{
    struct sink *s = ctx;
    (void)timeout_ns;
    s->credit = s->room; /* the device was read meanwhile */
    return true;
}

static void sink_eof(void *ctx, int error)
{
    struct sink *s = ctx;
    atomic_store(&s->eof_error, error);
    atomic_fetch_add(&s->eofs, 1);
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void write_all(int fd, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        assert_true(w > 0);
        p += w;
        n -= (size_t)w;
    }
}

static void pipe_input(void **state)
{
    (void)state;
    int in[2], out[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    static struct sink s;
    memset(&s, 0, sizeof s);
    s.room = 7; /* a small FIFO: the terminal must wait and offer the rest */
    struct sim_terminal_config config = {.in_fd = in[0], .out_fd = out[1], .receive = sink_receive,
                                         .wait_room = sink_wait_room, .eof = sink_eof, .ctx = &s};
    struct sim_terminal *t = sim_terminal_open(&config);
    assert_non_null(t);
    assert_false(sim_terminal_raw());
    /* A second terminal is refused while one is open. */
    assert_null(sim_terminal_open(&config));

    uint8_t data[1000];
    for (unsigned i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7);
    write_all(in[1], data, sizeof data);
    close(in[1]);
    for (unsigned i = 0; i < 500 && atomic_load(&s.eofs) == 0; i++)
        sleep_ms(10);
    assert_int_equal(atomic_load(&s.eofs), 1);
    assert_int_equal(atomic_load(&s.eof_error), 0);
    assert_int_equal(atomic_load(&s.len), sizeof data);
    assert_memory_equal(s.got, data, sizeof data);

    sim_terminal_write(t, 'o');
    sim_terminal_write(t, '\n');
    char buf[4];
    assert_int_equal(read(out[0], buf, sizeof buf), 2);
    assert_memory_equal(buf, "o\n", 2); /* a pipe: no translation */
    sim_terminal_close(t);
    assert_int_equal(atomic_load(&s.eofs), 1);
    close(in[0]);
    close(out[0]);
    close(out[1]);
}

static void close_while_input_waits(void **state)
{
    (void)state;
    int in[2];
    assert_int_equal(pipe(in), 0);
    static struct sink s;
    memset(&s, 0, sizeof s);
    struct sim_terminal_config config = {.in_fd = in[0], .out_fd = 1, .receive = sink_receive,
                                         .wait_room = sink_wait_room, .eof = sink_eof, .ctx = &s};
    struct sim_terminal *t = sim_terminal_open(&config);
    assert_non_null(t);
    sleep_ms(20); /* the thread sits in poll with nothing to read */
    sim_terminal_close(t);
    assert_int_equal(atomic_load(&s.eofs), 0); /* closing is not end of input */
    /* Without an input fd there is no thread at all. */
    config.in_fd = -1;
    t = sim_terminal_open(&config);
    assert_non_null(t);
    sim_terminal_close(t);
    close(in[0]);
    close(in[1]);
}

/* --- On a pseudo-terminal --------------------------------------------------------------------- */

enum scenario { CLOSE_ON_Q, EXIT_ON_Q, WAIT_FOR_SIGNALS, OWN_SIGINT_HANDLER };

static volatile sig_atomic_t child_q, child_sigint;

static void child_byte(uint8_t b)
{
    char line[16];
    int n = snprintf(line, sizeof line, "GOT:%02x\n", b);
    write_all(1, line, (size_t)n);
    if (b == 'q')
        child_q = 1;
}

static void child_byte_exit(uint8_t b)
{
    if (b == 'q')
        exit(0); /* from the input thread: atexit restores the terminal */
}

static void child_sigint_handler(int sig)
{
    (void)sig;
    child_sigint = 1;
}

static _Noreturn void child_main(enum scenario sc)
{
    static struct sink s;
    s.on_byte = sc == EXIT_ON_Q ? child_byte_exit : child_byte;
    if (sc == OWN_SIGINT_HANDLER)
        signal(SIGINT, child_sigint_handler);
    struct sim_terminal_config config = {.in_fd = 0, .out_fd = 1, .receive = sink_receive,
                                         .wait_room = sink_wait_room, .eof = sink_eof, .ctx = &s};
    struct sim_terminal *t = sim_terminal_open(&config);
    if (t == NULL || !sim_terminal_raw())
        _exit(3);
    char ready[32];
    snprintf(ready, sizeof ready, "READY %d\n", (int)getpid());
    for (const char *p = ready; *p; p++)
        sim_terminal_write(t, (uint8_t)*p);
    for (unsigned i = 0; i < 1000; i++) {
        if (child_q && sc == CLOSE_ON_Q) {
            sim_terminal_close(t);
            write_all(1, "CLOSED\n", 7);
            sleep_ms(10000); /* the parent looks at the mode, then ends us */
            _exit(4);
        }
        if (child_sigint) {
            child_sigint = 0;
            write_all(1, "HANDLED\n", 8);
        }
        sleep_ms(10);
    }
    _exit(5);
}

struct child {
    pid_t pid;    /* the session leader on the pseudo-terminal */
    pid_t runner; /* its child, which runs the scenario in the foreground process group */
    int master;
    char out[4096];
    size_t out_len;
};

/*
 * forkpty's child leads the terminal's session, and a session leader's
 * process group is orphaned (its parent is in another session), where the
 * kernel discards stop signals. So the scenario runs in a grandchild, in a
 * process group of its own made the terminal's foreground; the session
 * leader waits for it and ends with its status: the exit code, or 128 + the
 * signal that ended it.
 */
/*
 * A machine without pseudo-terminals (a chroot without /dev/pts mounted) cannot
 * run these cases at all: they are reported as skipped, with the reason, not
 * as passed and not as failures of the code under test.
 */
static void need_pseudo_terminals(void)
{
    int fd = posix_openpt(O_RDWR | O_NOCTTY);
    if (fd >= 0 && grantpt(fd) == 0 && unlockpt(fd) == 0 && ptsname(fd) != NULL && access(ptsname(fd), R_OK) == 0) {
        close(fd);
        return;
    }
    int error = errno;
    if (fd >= 0)
        close(fd);
    printf("test_machine_terminal: no usable pseudo-terminal here (%s): this case is skipped\n", strerror(error));
    skip();
}

static void start(struct child *c, enum scenario sc)
{
    memset(c, 0, sizeof *c);
    need_pseudo_terminals();
    fflush(NULL);
    c->pid = forkpty(&c->master, NULL, NULL, NULL);
    assert_true(c->pid >= 0);
    if (c->pid != 0)
        return;
    pid_t runner = fork();
    if (runner == 0) {
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        setpgid(0, 0);
        signal(SIGTTOU, SIG_IGN); /* a background group may not take the terminal otherwise */
        tcsetpgrp(0, getpid());
        signal(SIGTTOU, SIG_DFL);
        child_main(sc);
    }
    setpgid(runner, runner);
    int status;
    while (waitpid(runner, &status, 0) < 0 && errno == EINTR)
        ;
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* Read the child's output until it holds `marker` (true) or 5 s pass (false). */
static bool wait_for(struct child *c, const char *marker)
{
    for (unsigned i = 0; i < 500; i++) {
        c->out[c->out_len] = '\0';
        if (strstr(c->out, marker) != NULL)
            return true;
        struct pollfd p = {.fd = c->master, .events = POLLIN};
        if (poll(&p, 1, 10) > 0) {
            ssize_t n = read(c->master, c->out + c->out_len, sizeof c->out - 1 - c->out_len);
            if (n > 0)
                c->out_len += (size_t)n;
        }
    }
    return false;
}

static bool is_raw(int master)
{
    struct termios tio;
    assert_int_equal(tcgetattr(master, &tio), 0);
    bool raw = !(tio.c_lflag & (ECHO | ICANON | IEXTEN)) && !(tio.c_iflag & (ICRNL | IXON));
    bool cooked = (tio.c_lflag & (ECHO | ICANON)) == (ECHO | ICANON) && (tio.c_iflag & ICRNL);
    assert_true(raw || cooked);
    /* Either way: signals from keys, and "\n" printed as a new line. */
    assert_true(tio.c_lflag & ISIG);
    assert_true((tio.c_oflag & (OPOST | ONLCR)) == (OPOST | ONLCR));
    return raw;
}

/* Wait until the mode is `raw` (a signal handler on the other side may still be at work). */
static bool becomes(int master, bool raw)
{
    for (unsigned i = 0; i < 500; i++) {
        if (is_raw(master) == raw)
            return true;
        sleep_ms(10);
    }
    return false;
}

/* Wait for "READY <pid>" and note the runner's pid. */
static bool ready(struct child *c)
{
    if (!wait_for(c, "\r\n") || sscanf(c->out, "READY %d", &c->runner) != 1)
        return false;
    return true;
}

/* Wait for the child to end; its code, or 128 + the signal that ended the runner. The master stays open. */
static int finish(struct child *c)
{
    int status;
    assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* The runner's state letter in /proc (T: stopped). */
static char proc_state(pid_t pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return '?';
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *close_paren = strrchr(buf, ')');
    return close_paren != NULL && close_paren[1] == ' ' ? close_paren[2] : '?';
}

static void raw_while_open_then_close(void **state)
{
    (void)state;
    struct child c;
    start(&c, CLOSE_ON_Q);
    assert_true(ready(&c));
    assert_non_null(strstr(c.out, "\r\n")); /* ONLCR: the UART's "\n" is a new line */
    assert_true(is_raw(c.master));
    write_all(c.master, "ab\r", 3);
    assert_true(wait_for(&c, "GOT:0d"));
    assert_non_null(strstr(c.out, "GOT:61\r\nGOT:62\r\nGOT:0d")); /* in order, CR stays CR */
    assert_null(strstr(c.out, "ab"));                          /* no echo */
    write_all(c.master, "q", 1);
    assert_true(wait_for(&c, "CLOSED"));
    assert_false(is_raw(c.master));
    kill(c.runner, SIGKILL);
    assert_int_equal(finish(&c), 128 + SIGKILL);
    close(c.master);
}

static void restored_at_exit(void **state)
{
    (void)state;
    struct child c;
    start(&c, EXIT_ON_Q);
    assert_true(ready(&c));
    assert_true(is_raw(c.master));
    write_all(c.master, "q", 1);
    assert_int_equal(finish(&c), 0);
    assert_false(is_raw(c.master));
    close(c.master);
}

static void restored_on_sigterm(void **state)
{
    (void)state;
    struct child c;
    start(&c, WAIT_FOR_SIGNALS);
    assert_true(ready(&c));
    assert_true(is_raw(c.master));
    kill(c.runner, SIGTERM);
    assert_int_equal(finish(&c), 128 + SIGTERM); /* it still ends by the signal */
    assert_false(is_raw(c.master));
    close(c.master);
}

static void ctrl_z_and_continue(void **state)
{
    (void)state;
    struct child c;
    start(&c, WAIT_FOR_SIGNALS);
    assert_true(ready(&c));
    assert_true(is_raw(c.master));
    write_all(c.master, "\x1a", 1); /* Ctrl-Z: SIGTSTP from the terminal (ISIG) */
    for (unsigned i = 0; i < 500 && proc_state(c.runner) != 'T'; i++)
        sleep_ms(10);
    assert_int_equal(proc_state(c.runner), 'T');
    assert_false(is_raw(c.master)); /* the shell gets its terminal back */
    kill(c.runner, SIGCONT);
    assert_true(becomes(c.master, true));
    write_all(c.master, "\x1c", 1); /* Ctrl-\: SIGQUIT, default action */
    assert_int_equal(finish(&c), 128 + SIGQUIT);
    assert_false(is_raw(c.master));
    close(c.master);
}

static void ctrl_c_with_a_handler(void **state)
{
    (void)state;
    struct child c;
    start(&c, OWN_SIGINT_HANDLER);
    assert_true(ready(&c));
    assert_true(is_raw(c.master));
    write_all(c.master, "\x03", 1); /* Ctrl-C: SIGINT; the program's own handler runs, the program goes on */
    assert_true(wait_for(&c, "HANDLED"));
    assert_true(becomes(c.master, true));
    write_all(c.master, "z", 1);
    assert_true(wait_for(&c, "GOT:7a")); /* still reading, still raw */
    kill(c.runner, SIGHUP);
    assert_int_equal(finish(&c), 128 + SIGHUP);
    assert_false(is_raw(c.master));
    close(c.master);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pipe_input),          cmocka_unit_test(close_while_input_waits),
        cmocka_unit_test(raw_while_open_then_close), cmocka_unit_test(restored_at_exit),
        cmocka_unit_test(restored_on_sigterm), cmocka_unit_test(ctrl_z_and_continue),
        cmocka_unit_test(ctrl_c_with_a_handler),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
