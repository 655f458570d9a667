/*
 * A test component that never gives the CPU up by itself: spin() counts for
 * ever without a syscall, and in each round also calls a function of the
 * test's (code outside any component, where it must never be preempted);
 * work() computes for a while (host CPU time, set by the test), also
 * without a kernel entry, and watches another instance meanwhile. Only
 * preemption by signal lets anything else run.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <time.h>

#include <kaal/kaal.h>

#define EXPORT __attribute__((visibility("default")))

EXPORT volatile kaal_word_t spins;           /* spin(): rounds so far */
EXPORT void (*volatile host_call)(void);     /* spin(): called each round, if set (by the test) */
EXPORT uint64_t work_cpu_ns;                 /* work(): how much CPU time to use (set by the test) */
EXPORT volatile kaal_word_t *watched;        /* work(): a counter to watch (set by the test) */
EXPORT volatile kaal_word_t watched_moves;   /* work(): how often it moved while working */
EXPORT volatile int *watched_flag;           /* work(): a flag that must read 0 whenever it runs (set by the test) */
EXPORT volatile kaal_word_t flag_seen;       /* work(): how often it read 1 */
EXPORT volatile kaal_word_t worked;          /* work(): 1 once done */

static volatile kaal_word_t sum; /* work()'s computation */

EXPORT void spin(kaal_word_t unused0, kaal_word_t unused1, kaal_word_t unused2)
{
    (void)unused0, (void)unused1, (void)unused2;
    for (;;) {
        spins++;
        if (host_call != NULL)
            host_call();
        for (volatile unsigned i = 0; i < 20000; i++)
            ;
    }
}

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Compute for work_cpu_ns of this thread's CPU time, then signal `done` and wait on `park` for good. */
EXPORT void work(kaal_word_t done, kaal_word_t park, kaal_word_t unused)
{
    (void)unused;
    uint64_t end = cpu_ns() + work_cpu_ns;
    kaal_word_t last = *watched;
    do {
        for (unsigned i = 0; i < 4096; i++)
            sum += i;
        if (watched_flag != NULL && *watched_flag)
            flag_seen++;
        kaal_word_t now = *watched;
        if (now != last) {
            watched_moves++;
            last = now;
        }
    } while (cpu_ns() < end);
    worked = 1;
    kaal_signal(done);
    for (;;)
        kaal_wait(park);
}
