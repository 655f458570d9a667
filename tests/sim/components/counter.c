/*
 * A test component: a server that counts the calls it answered. The count
 * is a global, so two instances of this component must count apart.
 */
#define _GNU_SOURCE
#include <pthread.h>

#include <kaal/kaal.h>

#define EXPORT __attribute__((visibility("default")))

static kaal_word_t answered;

EXPORT kaal_word_t *counter_address(void)
{
    return &answered;
}

/* The host thread's name as gdb lists it, taken when serving starts (this test component is sim-only). */
EXPORT char thread_name[16];

/* Serve on endpoint `ep`: each call is answered with the number of calls so far. */
EXPORT void kaal_main(kaal_word_t ep, kaal_word_t unused1, kaal_word_t unused2)
{
    (void)unused1, (void)unused2;
    pthread_getname_np(pthread_self(), thread_name, sizeof thread_name);
    kaal_word_t badge;
    kaal_recv(ep, &badge);
    for (;;) {
        answered++;
        kaal_set_mr(0, answered);
        kaal_reply_recv(ep, kaal_msginfo(0, 0, 0, 1), &badge);
    }
}
