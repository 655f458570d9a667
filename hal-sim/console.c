/*
 * The kernel's debug console on the sim: the host's standard error.
 *
 * Lines are written whole, as they end (the kernel log is rare, and a line
 * is short). A debug kernel logs every refused invocation ("kaal: reject:
 * ..."); a launcher whose users are not debugging the kernel may mute those
 * lines (sim_console_mute_rejections) while every other line still shows.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include <kaal/hal/console.h>
#include <kaal/sim/engine.h>

#define LINE_MAX_BYTES 512u
#define REJECTION "kaal: reject: "

static char line[LINE_MAX_BYTES];
static size_t len;
static bool mute_rejections;

void sim_console_mute_rejections(bool mute)
{
    mute_rejections = mute;
}

static void flush_line(void)
{
    if (!(mute_rejections && len >= sizeof REJECTION - 1 && memcmp(line, REJECTION, sizeof REJECTION - 1) == 0)) {
        size_t done = 0;
        while (done < len) {
            /* A signal may come meanwhile (the preemption signal, on a thread in the kernel): then write again. */
            ssize_t n = write(STDERR_FILENO, line + done, len - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break; /* nowhere to report a failing stderr */
            done += (size_t)n;
        }
    }
    len = 0;
}

/* Only the thread holding the CPU runs the kernel, so the line buffer needs no lock. */
void hal_console_putc(char c)
{
    line[len++] = c;
    if (c == '\n' || len == LINE_MAX_BYTES)
        flush_line();
}

int hal_console_getc(void)
{
    return -1; /* input goes to the console server's UART model (sim/), not to the kernel */
}
