/*
 * Unit-test harness (see harness.h).
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kaal/core/syscall.h>

static void *ram;

int kt_setup(void **state)
{
    (void)state;
    ram = aligned_alloc(BIT(KT_RAM_BITS), BIT(KT_RAM_BITS));
    if (ram == NULL)
        return -1;
    struct boot_region regions[] = {
        {.kaddr = (uintptr_t)ram, .size = BIT(KT_RAM_BITS)},
        {.kaddr = KT_DEVICE_BASE, .size = BIT(KT_DEVICE_BITS), .is_device = true},
    };
    double_console_clear();
    if (kernel_boot(regions, 2) != BOOT_OK)
        return -1;
    kt_check();
    return 0;
}

int kt_teardown(void **state)
{
    (void)state;
    free(ram);
    ram = NULL;
    return 0;
}

const struct kaal_bootinfo *kt_bootinfo(void)
{
    return (const struct kaal_bootinfo *)(uintptr_t)kt_slot(KAAL_ROOT_SLOT_BOOTINFO)->cap.obj;
}

struct slot *kt_slot(kaal_word_t index)
{
    assert_true(index < BIT(KAAL_ROOT_CNODE_RADIX));
    struct slot *root = (struct slot *)(uintptr_t)ks.current->slots[TCB_SLOT_CSPACE].cap.obj;
    return root + index;
}

kaal_word_t kt_first_untyped(void)
{
    const struct kaal_bootinfo *bi = kt_bootinfo();
    kaal_word_t best = bi->untyped.start;
    for (kaal_word_t i = bi->untyped.start; i < bi->untyped.end; i++) {
        const struct kaal_untyped_desc *d = &bi->untyped_list[i - bi->untyped.start];
        const struct kaal_untyped_desc *b = &bi->untyped_list[best - bi->untyped.start];
        if (!d->is_device && d->size_bits > b->size_bits)
            best = i;
    }
    return best;
}

void kt_check(void)
{
    struct invariant_report r = kernel_check_invariants();
    if (r.what != NULL) {
        fail_msg("kernel invariant broken: %s (slot %p, type %s)", r.what, (const void *)r.where,
                 r.where ? cap_type_name(r.where->cap.type) : "-");
    }
}

int kt_logged(const char *text)
{
    return strstr(double_console(), text) != NULL;
}

struct kresult kt_raw(kaal_word_t sysno, kaal_word_t cptr, kaal_word_t msginfo, const kaal_word_t *args,
                      unsigned nargs, const kaal_word_t *caps, unsigned ncaps)
{
    struct tcb *t = ks.current;
    assert_non_null(t);
    struct kaal_ipc_buffer *buf = tcb_ipc_buffer(t);
    memset(&t->ctx, 0, sizeof t->ctx);
    hal_ctx_set(&t->ctx, HAL_REG_SYSNO, sysno);
    hal_ctx_set(&t->ctx, HAL_REG_CPTR, cptr);
    hal_ctx_set(&t->ctx, HAL_REG_MSGINFO, msginfo);
    for (unsigned i = 0; i < nargs; i++) {
        if (i < KAAL_MSG_REGISTERS)
            hal_ctx_set(&t->ctx, (enum hal_reg)(HAL_REG_MR0 + i), args[i]);
        else if (buf != NULL)
            buf->msg[i] = args[i];
    }
    for (unsigned i = 0; i < ncaps && buf != NULL; i++)
        buf->caps_or_badges[i] = caps[i];

    double_console_clear();
    kernel_syscall();
    kt_check();

    struct kresult r = {0};
    if (ks.current != t)
        return r; /* the thread deleted itself: nobody got an answer */
    kaal_word_t info = hal_ctx_get(&t->ctx, HAL_REG_MSGINFO);
    r.code = (enum kaal_error)kaal_msginfo_label(info);
    r.count = kaal_msginfo_length(info);
    buf = tcb_ipc_buffer(t);
    for (kaal_word_t i = 0; i < r.count && i < 8; i++)
        r.mr[i] = i < KAAL_MSG_REGISTERS ? hal_ctx_get(&t->ctx, (enum hal_reg)(HAL_REG_MR0 + i)) : buf->msg[i];
    return r;
}

struct kresult kt_invoke(kaal_word_t cptr, kaal_word_t label, const kaal_word_t *args, unsigned nargs,
                         const kaal_word_t *caps, unsigned ncaps)
{
    return kt_raw(KAAL_SYS_CALL, cptr, kaal_msginfo(label, 0, ncaps, nargs), args, nargs, caps, ncaps);
}

struct kresult kt_retype(kaal_word_t ut, kaal_word_t type, kaal_word_t size, kaal_word_t dest_index,
                         kaal_word_t dest_depth, kaal_word_t offset, kaal_word_t num)
{
    kaal_word_t args[] = {type, size, dest_index, dest_depth, offset, num};
    kaal_word_t caps[] = {KT_ROOT};
    return kt_invoke(ut, KAAL_UNTYPED_RETYPE, args, 6, caps, 1);
}

struct kresult kt_copy(kaal_word_t dest, kaal_word_t src, kaal_word_t rights)
{
    kaal_word_t args[] = {dest, KT_DEPTH, src, KT_DEPTH, rights};
    kaal_word_t caps[] = {KT_ROOT};
    return kt_invoke(KT_ROOT, KAAL_CNODE_COPY, args, 5, caps, 1);
}

struct kresult kt_mint(kaal_word_t dest, kaal_word_t src, kaal_word_t rights, kaal_word_t data)
{
    kaal_word_t args[] = {dest, KT_DEPTH, src, KT_DEPTH, rights, data};
    kaal_word_t caps[] = {KT_ROOT};
    return kt_invoke(KT_ROOT, KAAL_CNODE_MINT, args, 6, caps, 1);
}

struct kresult kt_move(kaal_word_t dest, kaal_word_t src)
{
    kaal_word_t args[] = {dest, KT_DEPTH, src, KT_DEPTH};
    kaal_word_t caps[] = {KT_ROOT};
    return kt_invoke(KT_ROOT, KAAL_CNODE_MOVE, args, 4, caps, 1);
}

struct kresult kt_mutate(kaal_word_t dest, kaal_word_t src, kaal_word_t data)
{
    kaal_word_t args[] = {dest, KT_DEPTH, src, KT_DEPTH, data};
    kaal_word_t caps[] = {KT_ROOT};
    return kt_invoke(KT_ROOT, KAAL_CNODE_MUTATE, args, 5, caps, 1);
}

struct kresult kt_delete(kaal_word_t index)
{
    kaal_word_t args[] = {index, KT_DEPTH};
    return kt_invoke(KT_ROOT, KAAL_CNODE_DELETE, args, 2, NULL, 0);
}

struct kresult kt_revoke(kaal_word_t index)
{
    kaal_word_t args[] = {index, KT_DEPTH};
    return kt_invoke(KT_ROOT, KAAL_CNODE_REVOKE, args, 2, NULL, 0);
}
