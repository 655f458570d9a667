/*
 * Moving a message from one thread to another.
 *
 * Principle: the message stays in the sender's registers and IPC buffer
 * until the receiver arrives (a blocked sender's registers are its saved
 * context), so a transfer is one copy, done when both sides are known. The
 * receiver gets at most what it can hold: four words without an IPC buffer.
 * Extra caps go only through a cap with Grant; a cap to the very endpoint the
 * message travels through arrives as its badge ("unwrapped"); at most one
 * other cap is copied, into the receiver's receive slot, and transfer stops
 * at the first cap that cannot go (lookup fails, no slot, not derivable).
 */
#include <kaal/core/cdt.h>
#include <kaal/core/cspace.h>
#include <kaal/core/ipc.h>
#include <kaal/core/kernel.h>

void queue_append(struct tcb_queue *q, struct tcb *t)
{
    t->queue_next = NULL;
    t->queue_prev = q->tail;
    if (q->tail != NULL)
        q->tail->queue_next = t;
    else
        q->head = t;
    q->tail = t;
}

void queue_remove(struct tcb_queue *q, struct tcb *t)
{
    if (t->queue_prev != NULL)
        t->queue_prev->queue_next = t->queue_next;
    else
        q->head = t->queue_next;
    if (t->queue_next != NULL)
        t->queue_next->queue_prev = t->queue_prev;
    else
        q->tail = t->queue_prev;
    t->queue_prev = t->queue_next = NULL;
}

static word_t min_word(word_t a, word_t b) { return a < b ? a : b; }

static void set_mr(struct tcb *t, struct kaal_ipc_buffer *buf, word_t i, word_t v)
{
    if (i < KAAL_MSG_REGISTERS)
        hal_ctx_set(&t->ctx, (enum hal_reg)(HAL_REG_MR0 + i), v);
    else
        buf->msg[i] = v;
}

static word_t get_mr(const struct tcb *t, const struct kaal_ipc_buffer *buf, word_t i)
{
    return i < KAAL_MSG_REGISTERS ? hal_ctx_get(&t->ctx, (enum hal_reg)(HAL_REG_MR0 + i)) : buf->msg[i];
}

/* The empty slot the receiver named for an incoming cap, or NULL. */
static struct slot *receive_slot(struct tcb *r, const struct kaal_ipc_buffer *rbuf)
{
    struct syscall_error ignored;
    const struct cap *root = &r->slots[TCB_SLOT_CSPACE].cap;
    struct slot *cnode = lookup_cap(root, rbuf->receive_cnode, 0, &ignored);
    if (cnode == NULL || cnode->cap.type != CAP_CNODE)
        return NULL;
    struct slot *dest = lookup_slot(&cnode->cap, rbuf->receive_index, rbuf->receive_depth, 0, &ignored);
    return dest != NULL && slot_is_empty(dest) ? dest : NULL;
}

/* Returns how many of the sender's extra caps were delivered; sets *unwrapped. */
static word_t transfer_caps(struct tcb *s, struct tcb *r, const struct kaal_ipc_buffer *sbuf,
                            struct kaal_ipc_buffer *rbuf, word_t count, const struct endpoint *ep,
                            word_t *unwrapped)
{
    struct syscall_error ignored;
    const struct cap *root = &s->slots[TCB_SLOT_CSPACE].cap;
    struct slot *dest = NULL;
    bool dest_looked_up = false;
    word_t i;
    for (i = 0; i < count; i++) {
        struct slot *src = lookup_cap(root, sbuf->caps_or_badges[i], KAAL_ARG_CAP(i), &ignored);
        if (src == NULL)
            break;
        if (ep != NULL && src->cap.type == CAP_ENDPOINT && endpoint_of(&src->cap) == ep) {
            rbuf->caps_or_badges[i] = src->cap.data;
            *unwrapped |= BIT(i);
            continue;
        }
        if (!dest_looked_up) {
            dest = receive_slot(r, rbuf);
            dest_looked_up = true;
        }
        if (dest == NULL || !cdt_can_derive(src))
            break;
        cdt_insert(src, dest, &src->cap);
        dest = NULL; /* one cap per message goes into the receive slot */
    }
    return i;
}

void ipc_transfer(struct tcb *s, struct tcb *r, word_t badge, bool can_grant, const struct endpoint *ep)
{
    struct kaal_ipc_buffer *rbuf = tcb_ipc_buffer(r);
    word_t room = rbuf != NULL ? KAAL_MSG_MAX_WORDS : KAAL_MSG_REGISTERS;
    word_t info;

    if (s->fault.type != 0) {
        word_t length = min_word(s->fault.length, room);
        for (word_t i = 0; i < length; i++)
            set_mr(r, rbuf, i, s->fault.words[i]);
        info = kaal_msginfo(s->fault.type, 0, 0, length);
    } else {
        const struct kaal_ipc_buffer *sbuf = tcb_ipc_buffer(s);
        word_t sent = hal_ctx_get(&s->ctx, HAL_REG_MSGINFO);
        word_t length = min_word(kaal_msginfo_length(sent), sbuf != NULL ? KAAL_MSG_MAX_WORDS : KAAL_MSG_REGISTERS);
        length = min_word(length, room);
        for (word_t i = 0; i < length; i++)
            set_mr(r, rbuf, i, get_mr(s, sbuf, i));
        word_t caps = 0, unwrapped = 0;
        if (can_grant && sbuf != NULL && rbuf != NULL)
            caps = transfer_caps(s, r, sbuf, rbuf, kaal_msginfo_extra_caps(sent), ep, &unwrapped);
        info = kaal_msginfo(kaal_msginfo_label(sent), unwrapped, caps, length);
    }
    hal_ctx_set(&r->ctx, HAL_REG_CPTR, badge);
    hal_ctx_set(&r->ctx, HAL_REG_MSGINFO, info);
}

void ipc_deliver_signal(struct tcb *t, word_t word)
{
    hal_ctx_set(&t->ctx, HAL_REG_CPTR, word);
    hal_ctx_set(&t->ctx, HAL_REG_MSGINFO, 0);
}
