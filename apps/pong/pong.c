/*
 * pong: answers each ping with the number it got plus one, until told to
 * stop. Its "service" endpoint is shared with ping by the root task.
 */
#include <kaal/env.h>
#include <kaal/kaal.h>

#define PING_LABEL 1u
#define PING_STOP 2u

int kaal_main(const struct kaal_env *env)
{
    kaal_cptr_t ep = kaal_env_cap(env, "service");
    if (ep == 0)
        return 1;
    kaal_word_t badge;
    kaal_word_t info = kaal_recv(ep, &badge);
    for (;;) {
        switch (kaal_msginfo_label(info)) {
        case PING_LABEL:
            kaal_set_mr(0, kaal_get_mr(0) + 1);
            info = kaal_reply_recv(ep, kaal_msginfo(KAAL_OK, 0, 0, 1), &badge);
            break;
        case PING_STOP:
            kaal_reply(kaal_msginfo(KAAL_OK, 0, 0, 0));
            return 0;
        default:
            kaal_set_mr(0, KAAL_ILLEGAL_LABEL);
            info = kaal_reply_recv(ep, kaal_msginfo(KAAL_ERR_ILLEGAL_OPERATION, 0, 0, 1), &badge);
        }
    }
}
