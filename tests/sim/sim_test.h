/*
 * What the sim integration tests share: a failure counter with EXPECT, a
 * watchdog that ends a hung test with a message, the clock, and spawning a
 * thread with a fault endpoint. Each test is one program: the statics here
 * are its own.
 */
#ifndef KAAL_TESTS_SIM_TEST_H
#define KAAL_TESTS_SIM_TEST_H

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <kaal/kaal.h>

static int sim_test_failures;
static const char *sim_test_name = "sim test";

#define EXPECT(cond)                                                                                               \
    do {                                                                                                           \
        if (!(cond)) {                                                                                             \
            printf("%s: FAILED: %s (line %d)\n", sim_test_name, #cond, __LINE__);                                  \
            sim_test_failures++;                                                                                   \
        }                                                                                                          \
    } while (0)

static inline uint64_t sim_test_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sleep for ns, whatever signals come meanwhile (nanosleep gives EINTR for each). */
static inline void sim_test_sleep_ns(uint64_t ns)
{
    struct timespec left = {.tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u)};
    while (nanosleep(&left, &left) != 0 && errno == EINTR)
        ;
}

static void *sim_test_watchdog_main(void *arg)
{
    sim_test_sleep_ns((uint64_t)(uintptr_t)arg * 1000000000u);
    printf("%s: FAILED: still running after %lu s (a hang)\n", sim_test_name, (unsigned long)(uintptr_t)arg);
    fflush(stdout);
    _exit(1);
    return NULL;
}

/* End the process with a failure if it still runs after `seconds`. */
static inline void sim_test_watchdog(unsigned seconds)
{
    pthread_t t;
    if (pthread_create(&t, NULL, sim_test_watchdog_main, (void *)(uintptr_t)seconds) == 0)
        pthread_detach(t);
}

/*
 * A thread in the root task's CSpace, as kaal_thread_spawn makes it, but with
 * `fault_ep` (a CPtr in the root CNode, 0: none) as its fault endpoint and
 * three arguments.
 */
static inline int sim_test_spawn(kaal_cptr_t ut, kaal_word_t slot, kaal_word_t priority, kaal_cptr_t fault_ep,
                                 void (*entry)(kaal_word_t, kaal_word_t, kaal_word_t), kaal_word_t a0,
                                 kaal_word_t a1, kaal_word_t a2)
{
    const kaal_cptr_t root = KAAL_ROOT_SLOT_CNODE;
    int err = kaal_untyped_retype(ut, KAAL_OBJ_TCB, 0, root, 0, 0, slot, 1);
    err = err ? err : kaal_untyped_retype(ut, KAAL_OBJ_VSPACE, 0, root, 0, 0, slot + 1, 1);
    err = err ? err : kaal_untyped_retype(ut, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, root, 0, 0, slot + 2, 1);
    err = err ? err : kaal_tcb_configure(slot, root, slot + 1, slot + 2, 0, fault_ep);
    err = err ? err : kaal_tcb_set_priority(slot, KAAL_ROOT_SLOT_TCB, priority);
    err = err ? err : kaal_tcb_start(slot, entry, 0, a0, a1, a2);
    return err;
}

typedef void (*sim_test_entry)(kaal_word_t, kaal_word_t, kaal_word_t);

#endif
