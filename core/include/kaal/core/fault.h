/*
 * Faults: a thread that cannot go on is stopped and its fault is sent, as a
 * Call, to the endpoint in its TCB's fault slot; the handler's reply resumes
 * it. With no usable fault endpoint the thread stays stopped and the kernel
 * logs one line.
 */
#ifndef KAAL_CORE_FAULT_H
#define KAAL_CORE_FAULT_H

#include <kaal/abi/faults.h>
#include <kaal/core/error.h>
#include <kaal/core/tcb.h>

/* Raise a fault of type for t with the given message words. */
void fault_raise(struct tcb *t, word_t type, const word_t *words, word_t count);

/* A syscall named a cap it cannot use: a cap fault; the syscall restarts after the handler's reply. */
void fault_cap(struct tcb *t, word_t cptr, bool receiving, const struct syscall_error *lookup);

/* The handler replied to t's fault (the reply message is in replier's registers). */
void fault_reply(struct tcb *replier, struct tcb *t);

#endif
