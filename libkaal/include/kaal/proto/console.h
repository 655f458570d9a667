/*
 * The console server's protocol (docs/system.md). Writes carry bytes in the
 * message; reads never block the server: a read answers what is buffered
 * (possibly nothing), and the server signals the reader's notification when
 * input arrives, so a reader waits on its own notification between reads.
 */
#ifndef KAAL_PROTO_CONSOLE_H
#define KAAL_PROTO_CONSOLE_H

#include <stddef.h>

#include <kaal/abi/message.h>
#include <kaal/abi/types.h>

enum kaal_console_request {
    KAAL_CONSOLE_WRITE = 1, /* MR0 = length, bytes from MR1; answer: OK */
    KAAL_CONSOLE_READ = 2,  /* MR0 = most bytes wanted; answer: MR0 = count, bytes from MR1 */
};

/* Bytes one message carries after the length word. */
#define KAAL_CONSOLE_CHUNK ((KAAL_MSG_MAX_WORDS - 1) * sizeof(kaal_word_t))

/* Write all of buf (several messages if needed). Returns 0 or a KAAL error code. */
int kaal_console_write(kaal_cptr_t console, const char *buf, size_t len);
int kaal_console_puts(kaal_cptr_t console, const char *s);
/* Read what is buffered, at most max bytes (0: nothing buffered now). Negative: -error code. */
long kaal_console_read(kaal_cptr_t console, char *buf, size_t max);

#endif
