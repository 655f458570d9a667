/*
 * Drive the kernel core as a state machine from host code: boot it over host
 * memory and issue syscalls as the current thread by filling its saved
 * registers and IPC buffer. Used by the unit-test harness and the fuzzers;
 * no test framework here.
 */
#ifndef KAAL_TESTS_KERNEL_DRIVER_H
#define KAAL_TESTS_KERNEL_DRIVER_H

#include <stdbool.h>

#include <kaal/abi/errors.h>
#include <kaal/abi/types.h>

#define KD_MAX_DETAIL 8u

struct kd_result {
    bool answered;       /* false: the thread deleted itself and got no answer */
    enum kaal_error code;
    kaal_word_t count;   /* detail words */
    kaal_word_t mr[KD_MAX_DETAIL];
};

/* The current thread's syscall: registers and IPC buffer in, answer out. */
struct kd_result kd_syscall(kaal_word_t sysno, kaal_word_t cptr, kaal_word_t msginfo, const kaal_word_t *args,
                            unsigned nargs, const kaal_word_t *caps, unsigned ncaps);

#endif
