/*
 * The host terminal as the far end of the sim's serial line (sim/terminal.c,
 * docs/machine.md "The terminal").
 *
 * Output: every byte the UART sends is written to the output fd at once.
 * Input: a host thread reads the input fd and offers what it reads to the
 * UART model, waiting while its FIFO is full (no byte is ever dropped);
 * end of input is reported to the owner, who decides what it means.
 *
 * When the input fd is a terminal (and this process is in its foreground),
 * it is put in raw mode while the terminal is open: no echo, no line
 * editing, no CR/LF or flow-control translation of input; ISIG stays, so
 * Ctrl-C, Ctrl-\ and Ctrl-Z still send their signals; output processing
 * stays (OPOST, ONLCR), so "\n" starts a new line. The original mode comes
 * back on every way out: sim_terminal_close, exit() (atexit), SIGINT,
 * SIGTERM, SIGHUP and SIGQUIT (restored, then the action that was there
 * before: by default the process ends by that signal), and Ctrl-Z (restored
 * while stopped, raw again on continue). An input fd that is not a terminal
 * (a pipe, a file) gets no termios call at all.
 *
 * One terminal may be open at a time in a process.
 */
#ifndef KAAL_MACHINE_TERMINAL_H
#define KAAL_MACHINE_TERMINAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_terminal_config {
    int in_fd;  /* usually STDIN_FILENO; -1: no input */
    int out_fd; /* usually STDOUT_FILENO */
    /* Offer bytes to the device; returns how many it took (it takes none while it is full). */
    size_t (*receive)(void *ctx, const uint8_t *bytes, size_t n);
    /* Wait up to timeout_ns for the device to have room again. */
    bool (*wait_room)(void *ctx, uint64_t timeout_ns);
    /* Input ended: error 0 at end of file, else the errno of the failed read. Called once, on the input thread. */
    void (*eof)(void *ctx, int error);
    void *ctx;
};

struct sim_terminal;

/*
 * Open: raw mode if in_fd is a terminal, and the input thread if in_fd >= 0.
 * NULL with a message on stderr on failure (another terminal is open, no
 * thread); the terminal mode is then unchanged.
 */
struct sim_terminal *sim_terminal_open(const struct sim_terminal_config *config);

/* Stop the input thread (bytes it still holds are dropped), restore the terminal mode, free. */
void sim_terminal_close(struct sim_terminal *t);

/* Send one byte to the output fd (retried on EINTR and short writes; errors are dropped). */
void sim_terminal_write(struct sim_terminal *t, uint8_t byte);

/* Is a terminal in raw mode now (for tests)? */
bool sim_terminal_raw(void);

#endif
