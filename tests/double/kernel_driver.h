/*
 * Drive the kernel core as a state machine from host code: boot it over host
 * memory and issue syscalls as a thread by filling its saved registers and
 * IPC buffer. Used by the unit-test harness and the fuzzers; no test
 * framework here.
 *
 * The scripted engine: the caller decides which runnable thread acts next
 * (kd_act_as), as if the scheduler had picked it, or follows the kernel's
 * own choice (ks.current after each entry).
 */
#ifndef KAAL_TESTS_KERNEL_DRIVER_H
#define KAAL_TESTS_KERNEL_DRIVER_H

#include <stdbool.h>

#include <kaal/abi/errors.h>
#include <kaal/abi/types.h>

struct tcb;

#define KD_MAX_DETAIL 8u

struct kd_result {
    bool answered;       /* false: the thread is blocked, stopped or gone, and got no answer (yet) */
    enum kaal_error code;
    kaal_word_t count;   /* detail words */
    kaal_word_t mr[KD_MAX_DETAIL];
};

/* A message as a thread sees it in its registers (and IPC buffer) after a syscall. */
struct kd_message {
    kaal_word_t label, length, extra_caps, unwrapped, badge;
    kaal_word_t mr[KD_MAX_DETAIL];
};

/* The current thread's syscall: registers and IPC buffer in, answer out. */
struct kd_result kd_syscall(kaal_word_t sysno, kaal_word_t cptr, kaal_word_t msginfo, const kaal_word_t *args,
                            unsigned nargs, const kaal_word_t *caps, unsigned ncaps);

/* Make runnable thread t the current thread. Returns false (and changes nothing) if t cannot run. */
bool kd_act_as(struct tcb *t);

/*
 * If the current thread's last syscall was set to restart (preempted, or its
 * endpoint was deleted), issue it again with its registers unchanged.
 * Returns true if it did.
 */
bool kd_restart(void);

/* What thread t last received (its registers and IPC buffer). */
struct kd_message kd_message(const struct tcb *t);

#endif
