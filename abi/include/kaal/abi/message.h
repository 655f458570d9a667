/*
 * Message info word and IPC buffer layout (docs/ABI.md, "Messages").
 *
 * The first KAAL_MSG_REGISTERS message words travel in registers; the rest
 * and the extra caps' CPtrs live in the thread's IPC buffer. msg[i] for
 * i < KAAL_MSG_REGISTERS is not read by the kernel.
 */
#ifndef KAAL_ABI_MESSAGE_H
#define KAAL_ABI_MESSAGE_H

#include <kaal/abi/types.h>

#define KAAL_MSG_REGISTERS 4u
#define KAAL_MSG_MAX_WORDS 64u
#define KAAL_MSG_MAX_EXTRA_CAPS 3u

/* Message info: | label (52) | caps unwrapped (3) | extra caps (2) | length (7) | */
#define KAAL_MSGINFO_LENGTH_BITS 7u
#define KAAL_MSGINFO_EXTRA_CAPS_BITS 2u
#define KAAL_MSGINFO_UNWRAPPED_BITS 3u
#define KAAL_MSGINFO_LABEL_SHIFT 12u

static inline kaal_word_t kaal_msginfo(kaal_word_t label, kaal_word_t unwrapped,
                                       kaal_word_t extra_caps, kaal_word_t length)
{
    return (label << KAAL_MSGINFO_LABEL_SHIFT) | ((unwrapped & 0x7u) << 9) |
           ((extra_caps & 0x3u) << 7) | (length & 0x7fu);
}
static inline kaal_word_t kaal_msginfo_label(kaal_word_t mi) { return mi >> KAAL_MSGINFO_LABEL_SHIFT; }
static inline kaal_word_t kaal_msginfo_unwrapped(kaal_word_t mi) { return (mi >> 9) & 0x7u; }
static inline kaal_word_t kaal_msginfo_extra_caps(kaal_word_t mi) { return (mi >> 7) & 0x3u; }
static inline kaal_word_t kaal_msginfo_length(kaal_word_t mi) { return mi & 0x7fu; }

struct kaal_ipc_buffer {
    kaal_word_t tag;
    kaal_word_t msg[KAAL_MSG_MAX_WORDS];
    kaal_word_t user_data;
    kaal_word_t caps_or_badges[KAAL_MSG_MAX_EXTRA_CAPS];
    kaal_word_t receive_cnode;
    kaal_word_t receive_index;
    kaal_word_t receive_depth;
};

#endif
