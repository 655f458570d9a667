/*
 * The host terminal for the sim's UART (<kaal/machine/terminal.h>).
 *
 * Principle of operation:
 *   - Raw mode is process state (one terminal, the signal handlers and the
 *     atexit hook must all find it), so it lives in the static `tty`; only
 *     an input fd that isatty() and whose foreground process group is ours
 *     is touched. Raw: input unprocessed (no ICRNL, IXON, ISTRIP...), no
 *     ECHO/ICANON/IEXTEN, ISIG kept, 8-bit characters, read returns as soon
 *     as one byte is there (VMIN 1, VTIME 0); output processing is forced on
 *     (OPOST | ONLCR). Changes are made with TCSANOW so typed-ahead input is
 *     kept.
 *   - Restoring: close, atexit, and handlers for SIGINT, SIGTERM, SIGHUP,
 *     SIGQUIT (restore, then the previous action: a handler is called and
 *     raw mode comes back if the program goes on; the default action is put
 *     back and the signal raised again, so the process ends by it as it
 *     would have) and SIGTSTP (restore, stop, raw again on SIGCONT). A
 *     signal that was ignored before stays ignored and gets no handler.
 *     Handlers use only tcsetattr, tcgetpgrp, getpgrp, sigaction,
 *     pthread_sigmask and raise (all async-signal-safe).
 *   - Input: a thread polls the input fd and a stop pipe; what it reads it
 *     offers to the device until all is taken, waiting for room in slices
 *     of INPUT_WAIT_NS so that close is never kept waiting long. End of file
 *     or a read error ends the thread after one call of the eof callback.
 *     EINTR restarts poll, read and write.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <kaal/machine/terminal.h>

#define INPUT_BUFFER 256u
#define INPUT_WAIT_NS 20000000u /* 20 ms */

struct sim_terminal {
    struct sim_terminal_config config;
    pthread_t thread;
    bool has_thread;
    int stop_pipe[2];
    _Atomic bool stopping;
};

/* The signals whose arrival restores the terminal; SIGTSTP is handled apart. */
static const int end_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define END_SIGNALS (sizeof end_signals / sizeof end_signals[0])

static struct {
    _Atomic bool open;             /* a sim_terminal exists */
    int fd;                        /* the terminal in raw mode, or -1 */
    struct termios saved, raw;
    volatile sig_atomic_t wanted;  /* raw mode should be on (between open and close) */
    volatile sig_atomic_t is_raw;  /* it is on now */
    struct sigaction previous[END_SIGNALS], previous_tstp;
    bool installed[END_SIGNALS], installed_tstp;
    bool atexit_registered;
} tty = {.fd = -1};

static bool in_foreground(int fd)
{
    return tcgetpgrp(fd) == getpgrp();
}

static void tty_restore(void)
{
    if (tty.is_raw) {
        tcsetattr(tty.fd, TCSANOW, &tty.saved);
        tty.is_raw = 0;
    }
}

static void tty_apply(void)
{
    if (tty.wanted && !tty.is_raw && tty.fd >= 0 && in_foreground(tty.fd) &&
        tcsetattr(tty.fd, TCSANOW, &tty.raw) == 0)
        tty.is_raw = 1;
}

static void restore_at_exit(void) { tty_restore(); }

static void on_end_signal(int sig, siginfo_t *info, void *uc)
{
    int saved_errno = errno;
    tty_restore();
    const struct sigaction *prev = NULL;
    for (unsigned i = 0; i < END_SIGNALS; i++) {
        if (end_signals[i] == sig)
            prev = &tty.previous[i];
    }
    if (prev == NULL) {
        errno = saved_errno;
        return;
    }
    if (prev->sa_flags & SA_SIGINFO) {
        prev->sa_sigaction(sig, info, uc);
        tty_apply(); /* the program goes on */
    } else if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
        prev->sa_handler(sig);
        tty_apply();
    } else {
        /* The default action, as if we had never been here: it runs when this handler returns. */
        sigaction(sig, prev, NULL);
        raise(sig);
    }
    errno = saved_errno;
}

static void on_tstp(int sig)
{
    int saved_errno = errno;
    tty_restore();
    struct sigaction ours;
    sigaction(sig, &tty.previous_tstp, &ours);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    raise(sig); /* stops the process here, until SIGCONT */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    sigaction(sig, &ours, NULL);
    tty_apply();
    errno = saved_errno;
}

static void install_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    for (unsigned i = 0; i < END_SIGNALS; i++)
        sigaddset(&sa.sa_mask, end_signals[i]);
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sa.sa_sigaction = on_end_signal;
    for (unsigned i = 0; i < END_SIGNALS; i++) {
        tty.installed[i] = false;
        if (sigaction(end_signals[i], NULL, &tty.previous[i]) != 0)
            continue;
        if (!(tty.previous[i].sa_flags & SA_SIGINFO) && tty.previous[i].sa_handler == SIG_IGN)
            continue; /* ignored stays ignored */
        tty.installed[i] = sigaction(end_signals[i], &sa, NULL) == 0;
    }
    tty.installed_tstp = false;
    if (sigaction(SIGTSTP, NULL, &tty.previous_tstp) == 0 && !(tty.previous_tstp.sa_flags & SA_SIGINFO) &&
        tty.previous_tstp.sa_handler == SIG_DFL) {
        struct sigaction tstp;
        memset(&tstp, 0, sizeof tstp);
        sigemptyset(&tstp.sa_mask);
        tstp.sa_flags = SA_RESTART;
        tstp.sa_handler = on_tstp;
        tty.installed_tstp = sigaction(SIGTSTP, &tstp, NULL) == 0;
    }
}

static void uninstall_handlers(void)
{
    for (unsigned i = 0; i < END_SIGNALS; i++) {
        if (tty.installed[i])
            sigaction(end_signals[i], &tty.previous[i], NULL);
        tty.installed[i] = false;
    }
    if (tty.installed_tstp)
        sigaction(SIGTSTP, &tty.previous_tstp, NULL);
    tty.installed_tstp = false;
}

/* Raw mode on fd, if it is a terminal we may change. */
static void raw_mode_enter(int fd)
{
    if (fd < 0 || !isatty(fd) || !in_foreground(fd) || tcgetattr(fd, &tty.saved) != 0)
        return;
    struct termios raw = tty.saved;
    raw.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF);
    raw.c_oflag |= OPOST | ONLCR;
    raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | IEXTEN);
    raw.c_lflag |= ISIG;
    raw.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    raw.c_cflag |= CS8;
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    tty.raw = raw;
    tty.fd = fd;
    if (!tty.atexit_registered)
        tty.atexit_registered = atexit(restore_at_exit) == 0;
    install_handlers();
    tty.wanted = 1;
    tty_apply();
}

static void raw_mode_leave(void)
{
    if (tty.fd < 0)
        return;
    tty.wanted = 0;
    tty_restore();
    uninstall_handlers();
    tty.fd = -1;
}

bool sim_terminal_raw(void) { return tty.is_raw != 0; }

/* Offer n bytes to the device until it took them all (or the terminal closes). */
static void deliver(struct sim_terminal *t, const uint8_t *bytes, size_t n)
{
    size_t done = 0;
    while (done < n && !atomic_load(&t->stopping)) {
        done += t->config.receive(t->config.ctx, bytes + done, n - done);
        if (done < n)
            t->config.wait_room(t->config.ctx, INPUT_WAIT_NS);
    }
}

static void *input_main(void *arg)
{
    struct sim_terminal *t = arg;
    uint8_t buf[INPUT_BUFFER];
    for (;;) {
        struct pollfd fds[2] = {{.fd = t->config.in_fd, .events = POLLIN}, {.fd = t->stop_pipe[0], .events = POLLIN}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            if (t->config.eof != NULL)
                t->config.eof(t->config.ctx, errno);
            return NULL;
        }
        if (fds[1].revents != 0 || atomic_load(&t->stopping))
            return NULL;
        if (fds[0].revents & POLLNVAL) {
            if (t->config.eof != NULL)
                t->config.eof(t->config.ctx, EBADF);
            return NULL;
        }
        if (fds[0].revents == 0)
            continue;
        ssize_t n = read(t->config.in_fd, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) {
            if (t->config.eof != NULL)
                t->config.eof(t->config.ctx, n == 0 ? 0 : errno);
            return NULL;
        }
        deliver(t, buf, (size_t)n);
    }
}

struct sim_terminal *sim_terminal_open(const struct sim_terminal_config *config)
{
    bool expected = false;
    if (!atomic_compare_exchange_strong(&tty.open, &expected, true)) {
        fprintf(stderr, "kaal-sim: terminal: one is open already\n");
        return NULL;
    }
    struct sim_terminal *t = calloc(1, sizeof *t);
    if (t == NULL) {
        fprintf(stderr, "kaal-sim: terminal: out of memory\n");
        atomic_store(&tty.open, false);
        return NULL;
    }
    t->config = *config;
    t->stop_pipe[0] = t->stop_pipe[1] = -1;
    if (config->in_fd >= 0) {
        if (pipe2(t->stop_pipe, O_CLOEXEC) != 0) {
            fprintf(stderr, "kaal-sim: terminal: no pipe: %s\n", strerror(errno));
            free(t);
            atomic_store(&tty.open, false);
            return NULL;
        }
        raw_mode_enter(config->in_fd);
        int rc = pthread_create(&t->thread, NULL, input_main, t);
        if (rc != 0) {
            fprintf(stderr, "kaal-sim: terminal: no input thread: %s\n", strerror(rc));
            raw_mode_leave();
            close(t->stop_pipe[0]);
            close(t->stop_pipe[1]);
            free(t);
            atomic_store(&tty.open, false);
            return NULL;
        }
        pthread_setname_np(t->thread, "kaal-terminal");
        t->has_thread = true;
    }
    return t;
}

void sim_terminal_close(struct sim_terminal *t)
{
    if (t == NULL)
        return;
    if (t->has_thread) {
        atomic_store(&t->stopping, true);
        uint8_t b = 0;
        while (write(t->stop_pipe[1], &b, 1) < 0 && errno == EINTR)
            ;
        pthread_join(t->thread, NULL);
    }
    if (t->stop_pipe[0] >= 0) {
        close(t->stop_pipe[0]);
        close(t->stop_pipe[1]);
    }
    raw_mode_leave();
    free(t);
    atomic_store(&tty.open, false);
}

void sim_terminal_write(struct sim_terminal *t, uint8_t byte)
{
    for (;;) {
        ssize_t n = write(t->config.out_fd, &byte, 1);
        if (n == 1)
            return;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) { /* a non-blocking output: wait until it takes more */
            struct pollfd p = {.fd = t->config.out_fd, .events = POLLOUT};
            while (poll(&p, 1, -1) < 0 && errno == EINTR)
                ;
            continue;
        }
        return; /* a closed or broken output: nothing to tell the UART */
    }
}
