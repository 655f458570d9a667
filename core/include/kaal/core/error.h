/*
 * Invocation errors inside the kernel: the code and its detail words, exactly
 * as they are returned to the caller (docs/ABI.md, "Errors").
 *
 * Decoders fail through the err_* helpers, which also write one log line with
 * the reason in debug builds. A release build compiles the log out.
 */
#ifndef KAAL_CORE_ERROR_H
#define KAAL_CORE_ERROR_H

#include <kaal/abi/errors.h>
#include <kaal/core/klog.h>
#include <kaal/core/types.h>

#define SYSCALL_ERROR_MAX_DETAIL 5

struct syscall_error {
    enum kaal_error code;
    unsigned count;  /* detail words used (or answer words written, on success) */
    bool preempted;  /* the operation stopped at a preemption point: restart the syscall */
    word_t detail[SYSCALL_ERROR_MAX_DETAIL];
};

enum kaal_error err_set(struct syscall_error *e, enum kaal_error code, unsigned count, word_t d0,
                        word_t d1, word_t d2, word_t d3, word_t d4);

static inline enum kaal_error err_invalid_argument(struct syscall_error *e, unsigned pos)
{
    return err_set(e, KAAL_ERR_INVALID_ARGUMENT, 1, pos, 0, 0, 0, 0);
}
static inline enum kaal_error err_invalid_cap(struct syscall_error *e, unsigned pos)
{
    return err_set(e, KAAL_ERR_INVALID_CAPABILITY, 1, pos, 0, 0, 0, 0);
}
static inline enum kaal_error err_illegal(struct syscall_error *e, enum kaal_illegal_reason why)
{
    return err_set(e, KAAL_ERR_ILLEGAL_OPERATION, 1, why, 0, 0, 0, 0);
}
static inline enum kaal_error err_range(struct syscall_error *e, unsigned pos, word_t min, word_t max)
{
    return err_set(e, KAAL_ERR_RANGE_ERROR, 3, pos, min, max, 0, 0);
}
static inline enum kaal_error err_alignment(struct syscall_error *e, unsigned pos, word_t bits)
{
    return err_set(e, KAAL_ERR_ALIGNMENT_ERROR, 2, pos, bits, 0, 0, 0);
}
static inline enum kaal_error err_truncated(struct syscall_error *e, word_t words, word_t caps)
{
    return err_set(e, KAAL_ERR_TRUNCATED_MESSAGE, 2, words, caps, 0, 0, 0);
}
static inline enum kaal_error err_delete_first(struct syscall_error *e, unsigned pos, word_t index)
{
    return err_set(e, KAAL_ERR_DELETE_FIRST, 2, pos, index, 0, 0, 0);
}
static inline enum kaal_error err_revoke_first(struct syscall_error *e, unsigned pos)
{
    return err_set(e, KAAL_ERR_REVOKE_FIRST, 1, pos, 0, 0, 0, 0);
}
static inline enum kaal_error err_no_memory(struct syscall_error *e, word_t available)
{
    return err_set(e, KAAL_ERR_NOT_ENOUGH_MEMORY, 1, available, 0, 0, 0, 0);
}
static inline enum kaal_error err_lookup(struct syscall_error *e, unsigned pos,
                                         enum kaal_lookup_failure kind, word_t bits_left,
                                         word_t d3, word_t d4)
{
    return err_set(e, KAAL_ERR_FAILED_LOOKUP, 5, pos, kind, bits_left, d3, d4);
}

/*
 * REJECT(err_call, "reason %lu", ...): log why an invocation is refused (debug
 * builds) and evaluate to the error code.
 */
#define REJECT(errexpr, ...) (KLOG("reject: " __VA_ARGS__), (errexpr))

#endif
