/*
 * The single kernel entry for system calls.
 */
#ifndef KAAL_CORE_SYSCALL_H
#define KAAL_CORE_SYSCALL_H

#include <kaal/core/cap.h>
#include <kaal/core/error.h>
#include <kaal/core/tcb.h>

/* An invocation being decoded: what the caller sent, after cap lookups. */
struct invocation {
    struct tcb *caller;
    struct kaal_ipc_buffer *buffer; /* the caller's IPC buffer, or NULL */
    struct slot *slot;  /* the invoked cap */
    word_t label;
    word_t length;      /* message words actually available */
    word_t extra_caps;  /* extra caps actually looked up */
    struct slot *caps[KAAL_MSG_MAX_EXTRA_CAPS];
};

/* Message word i of the invocation (register or IPC buffer); i < inv->length. */
word_t inv_arg(const struct invocation *inv, word_t i);

/*
 * Write word i of a successful invocation's answer into the caller's message
 * registers. Call only after the last inv_arg(): the answer overwrites the
 * arguments.
 */
void inv_answer(const struct invocation *inv, struct syscall_error *err, word_t i, word_t value);

/* Refuse unless the message carries at least `words` words and `caps` extra caps. */
enum kaal_error inv_require(const struct invocation *inv, word_t words, word_t caps,
                            struct syscall_error *err);

/* Object-type decoders, called by the dispatcher; each decodes, then performs. */
enum kaal_error untyped_invoke(const struct invocation *inv, struct syscall_error *err);
enum kaal_error cnode_invoke(const struct invocation *inv, struct syscall_error *err);
enum kaal_error tcb_invoke(const struct invocation *inv, struct syscall_error *err);
enum kaal_error irq_invoke(const struct invocation *inv, struct syscall_error *err);
enum kaal_error machine_invoke(const struct invocation *inv, struct syscall_error *err);
enum kaal_error vspace_invoke(const struct invocation *inv, struct syscall_error *err); /* Frames and page tables */

#endif
