/*
 * Filling in invocation errors.
 */
#include <kaal/core/error.h>

enum kaal_error err_set(struct syscall_error *e, enum kaal_error code, unsigned count, word_t d0,
                        word_t d1, word_t d2, word_t d3, word_t d4)
{
    e->code = code;
    e->count = count;
    e->detail[0] = d0;
    e->detail[1] = d1;
    e->detail[2] = d2;
    e->detail[3] = d3;
    e->detail[4] = d4;
    return code;
}

const char *error_name(enum kaal_error code)
{
    static const char *const names[KAAL_ERR_COUNT] = {
        [KAAL_OK] = "ok",
        [KAAL_ERR_INVALID_ARGUMENT] = "invalid argument",
        [KAAL_ERR_INVALID_CAPABILITY] = "invalid capability",
        [KAAL_ERR_ILLEGAL_OPERATION] = "illegal operation",
        [KAAL_ERR_RANGE_ERROR] = "range error",
        [KAAL_ERR_ALIGNMENT_ERROR] = "alignment error",
        [KAAL_ERR_FAILED_LOOKUP] = "failed lookup",
        [KAAL_ERR_TRUNCATED_MESSAGE] = "truncated message",
        [KAAL_ERR_DELETE_FIRST] = "delete first",
        [KAAL_ERR_REVOKE_FIRST] = "revoke first",
        [KAAL_ERR_NOT_ENOUGH_MEMORY] = "not enough memory",
    };
    if ((unsigned)code >= KAAL_ERR_COUNT)
        return "unknown error";
    return names[code];
}
