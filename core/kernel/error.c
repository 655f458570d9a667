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
