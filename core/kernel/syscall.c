/*
 * The syscall entry: fetch the request from the current thread's registers,
 * look up the caps it names, dispatch on the invoked cap's type, and write
 * the answer back. An answer is a message: label = error code (0 = success),
 * words = the error's detail.
 */
#include <kaal/abi/syscalls.h>
#include <kaal/core/cspace.h>
#include <kaal/core/kernel.h>
#include <kaal/core/syscall.h>

struct kernel_state ks;

word_t inv_arg(const struct invocation *inv, word_t i)
{
    if (i < KAAL_MSG_REGISTERS)
        return hal_ctx_get(&inv->caller->ctx, (enum hal_reg)(HAL_REG_MR0 + i));
    return inv->buffer->msg[i];
}

enum kaal_error inv_require(const struct invocation *inv, word_t words, word_t caps, struct syscall_error *err)
{
    if (inv->length < words || inv->extra_caps < caps)
        return REJECT(err_truncated(err, words, caps),
                      "%s label %lu: needs %lu words and %lu caps, got %lu and %lu",
                      cap_type_name(inv->slot->cap.type), inv->label, words, caps, inv->length,
                      inv->extra_caps);
    return KAAL_OK;
}

static word_t min_word(word_t a, word_t b) { return a < b ? a : b; }

static enum kaal_error handle_invocation(struct tcb *t, struct syscall_error *err)
{
    const struct cap *root = &t->slots[TCB_SLOT_CSPACE].cap;
    struct invocation inv = {.caller = t, .buffer = tcb_ipc_buffer(t)};

    inv.slot = lookup_cap(root, hal_ctx_get(&t->ctx, HAL_REG_CPTR), KAAL_ARG_INVOKED, err);
    if (inv.slot == NULL)
        return err->code;

    /* Words and caps beyond what the thread can supply are not there: truncate, as documented. */
    word_t info = hal_ctx_get(&t->ctx, HAL_REG_MSGINFO);
    inv.label = kaal_msginfo_label(info);
    inv.length = min_word(kaal_msginfo_length(info), KAAL_MSG_MAX_WORDS);
    inv.extra_caps = kaal_msginfo_extra_caps(info);
    if (inv.buffer == NULL) {
        inv.length = min_word(inv.length, KAAL_MSG_REGISTERS);
        inv.extra_caps = 0;
    }
    for (word_t i = 0; i < inv.extra_caps; i++) {
        inv.caps[i] = lookup_cap(root, inv.buffer->caps_or_badges[i], KAAL_ARG_CAP(i), err);
        if (inv.caps[i] == NULL)
            return err->code;
    }

    switch (inv.slot->cap.type) {
    case CAP_UNTYPED:
        return untyped_invoke(&inv, err);
    case CAP_CNODE:
        return cnode_invoke(&inv, err);
    default:
        return REJECT(err_illegal(err, KAAL_ILLEGAL_LABEL), "%s caps have no operations (label %lu)",
                      cap_type_name(inv.slot->cap.type), inv.label);
    }
}

/* Write the answer: label = code, then the detail words (registers first, then the IPC buffer). */
static void reply_result(struct tcb *t, enum kaal_error code, const struct syscall_error *err)
{
    struct kaal_ipc_buffer *buffer = tcb_ipc_buffer(t);
    word_t count = code == KAAL_OK ? 0 : err->count;
    if (buffer == NULL)
        count = min_word(count, KAAL_MSG_REGISTERS);
    for (word_t i = 0; i < count; i++) {
        if (i < KAAL_MSG_REGISTERS)
            hal_ctx_set(&t->ctx, (enum hal_reg)(HAL_REG_MR0 + i), err->detail[i]);
        else
            buffer->msg[i] = err->detail[i];
    }
    hal_ctx_set(&t->ctx, HAL_REG_MSGINFO, kaal_msginfo(code, 0, 0, count));
}

void kernel_syscall(void)
{
    struct tcb *t = ks.current;
    struct syscall_error err = {0};
    enum kaal_error code;

    word_t sysno = hal_ctx_get(&t->ctx, HAL_REG_SYSNO);
    if (sysno == KAAL_SYS_CALL)
        code = handle_invocation(t, &err);
    else
        code = REJECT(err_illegal(&err, KAAL_ILLEGAL_UNKNOWN_SYSCALL), "unknown syscall %lu", sysno);

    /* The caller may have deleted its own TCB; then nobody is there to answer. */
    if (ks.current == t)
        reply_result(t, code, &err);
}
