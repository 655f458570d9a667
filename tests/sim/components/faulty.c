/*
 * A test component that goes wrong on purpose: it reads or writes through
 * NULL, writes to a page the test protected, or makes a syscall that does
 * not exist, and records how far it got. `report` is a notification it
 * signals when it ran on past the trouble, `park` a notification nobody
 * signals, where it waits for good at the end.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include <kaal/kaal.h>

#define EXPORT __attribute__((visibility("default")))
/* The bad access is the point: UBSan's null check would stop it before the hardware sees it. */
#define ON_PURPOSE __attribute__((no_sanitize("null")))

EXPORT volatile kaal_word_t progress;        /* the last step reached */
EXPORT volatile uint64_t before_fault_ns;    /* CLOCK_MONOTONIC just before the bad access */
EXPORT volatile kaal_word_t *volatile guarded; /* set by the test: a page it made inaccessible */
EXPORT char thread_name[16];                 /* the host thread's name when recovered() ran */

static kaal_cptr_t report, park;
static kaal_word_t *volatile null_pointer; /* NULL, but the compiler cannot know */

static void stamp(kaal_word_t step)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    before_fault_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    progress = step;
}

static _Noreturn void stay(void)
{
    for (;;)
        kaal_wait(park);
}

EXPORT ON_PURPOSE void read_null(kaal_word_t report_ntfn, kaal_word_t park_ntfn, kaal_word_t unused)
{
    (void)unused;
    report = report_ntfn, park = park_ntfn;
    stamp(1);
    kaal_word_t v = *null_pointer;
    progress = 2 + v; /* only if a read of NULL gave something */
    kaal_signal(report);
    stay();
}

EXPORT ON_PURPOSE void write_null(kaal_word_t report_ntfn, kaal_word_t park_ntfn, kaal_word_t unused)
{
    (void)unused;
    report = report_ntfn, park = park_ntfn;
    stamp(1);
    *null_pointer = 1;
    progress = 2;
    kaal_signal(report);
    stay();
}

/*
 * Where a fault handler sends the thread after write_null (RESUME_AT): it
 * writes to the guarded page, which faults again; once the handler opened
 * the page and answered RESUME, the write is retried and the thread goes on.
 */
EXPORT void recovered(kaal_word_t unused0, kaal_word_t unused1, kaal_word_t unused2)
{
    (void)unused0, (void)unused1, (void)unused2;
    pthread_getname_np(pthread_self(), thread_name, sizeof thread_name);
    stamp(3);
    *guarded = 42;
    progress = 4;
    kaal_signal(report);
    stay();
}

EXPORT void bad_syscall(kaal_word_t report_ntfn, kaal_word_t park_ntfn, kaal_word_t unused)
{
    (void)unused;
    report = report_ntfn, park = park_ntfn;
    progress = 1;
    kaal_syscall(0x77, 5, kaal_msginfo(0, 0, 0, 0), NULL);
    progress = 2;
    kaal_signal(report);
    stay();
}
