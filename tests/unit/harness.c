/*
 * Unit-test harness (see harness.h).
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include "kernel_driver.h"

#include <kaal/core/cdt.h>

static void *ram;
static struct slot *root_cnode;  /* the root CNode's slots, whoever is running */
static struct tcb *root_thread;

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
    double_irq = (struct double_irq){.pending = HAL_IRQ_NONE, .count = 64, .timer_line = 30};
    if (kernel_boot(regions, 2) != BOOT_OK)
        return -1;
    kt_adopt_boot();
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
    return root_cnode + index;
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

void kt_adopt_boot(void)
{
    root_thread = ks.current;
    root_cnode = (struct slot *)(uintptr_t)root_thread->slots[TCB_SLOT_CSPACE].cap.obj;
}

struct tcb *kt_root_thread(void)
{
    return root_thread;
}

void kt_act(struct tcb *t)
{
    if (!kd_act_as(t))
        fail_msg("thread %p cannot act: it is not runnable (state %u)", (void *)t, t->state);
}

struct tcb *kt_thread(kaal_word_t first_slot, kaal_word_t priority)
{
    struct tcb *self = ks.current;
    kaal_word_t ut = kt_first_untyped();
    assert_ok(kt_retype(ut, KAAL_OBJ_TCB, 0, 0, 0, first_slot, 1));
    assert_ok(kt_retype(ut, KAAL_OBJ_VSPACE, 0, 0, 0, first_slot + 1, 1));
    assert_ok(kt_retype(ut, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, 0, 0, first_slot + 2, 1));
    kaal_word_t args[] = {0, 0};
    kaal_word_t caps[] = {KT_ROOT, first_slot + 1, first_slot + 2};
    assert_ok(kt_invoke(first_slot, KAAL_TCB_CONFIGURE, args, 2, caps, 3));
    kaal_word_t prio[] = {priority};
    kaal_word_t authority[] = {KAAL_ROOT_SLOT_TCB};
    assert_ok(kt_invoke(first_slot, KAAL_TCB_SET_PRIORITY, prio, 1, authority, 1));
    assert_ok(kt_invoke(first_slot, KAAL_TCB_RESUME, NULL, 0, NULL, 0));
    kt_act(self); /* the creator keeps acting until the test says otherwise */
    return tcb_of(&kt_slot(first_slot)->cap);
}

struct kresult kt_raw(kaal_word_t sysno, kaal_word_t cptr, kaal_word_t msginfo, const kaal_word_t *args,
                      unsigned nargs, const kaal_word_t *caps, unsigned ncaps)
{
    assert_non_null(ks.current);
    double_console_clear();
    struct kd_result d = kd_syscall(sysno, cptr, msginfo, args, nargs, caps, ncaps);
    kt_check();

    struct kresult r = {.code = d.code, .count = d.count};
    for (kaal_word_t i = 0; i < 8; i++)
        r.mr[i] = d.mr[i];
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

const struct slot *kt_next_cap(const struct slot *n)
{
    return cdt_next_preorder(&ks.cdt_root, n);
}

kaal_word_t kt_count_caps(void)
{
    kaal_word_t count = 0;
    for (const struct slot *n = kt_next_cap(&ks.cdt_root); n != NULL; n = kt_next_cap(n))
        count++;
    return count;
}

int kt_descends(const struct slot *a, const struct slot *ancestor)
{
    for (const struct slot *p = a->parent; p != NULL; p = p->parent) {
        if (p == ancestor)
            return 1;
    }
    return 0;
}

void kt_snapshot_take(struct kt_snapshot *s)
{
    s->ram = malloc(BIT(KT_RAM_BITS));
    assert_non_null(s->ram);
    memcpy(s->ram, ram, BIT(KT_RAM_BITS));
    s->ks = ks;
}

/* Let the snapshot agree with RAM on [p, p + size) if that range lies in test RAM. */
static void snapshot_ignore(struct kt_snapshot *s, const void *p, size_t size)
{
    uintptr_t base = (uintptr_t)ram, at = (uintptr_t)p;
    if (at >= base && at - base + size <= BIT(KT_RAM_BITS))
        memcpy(s->ram + (at - base), p, size);
}

void kt_snapshot_assert_same(struct kt_snapshot *s)
{
    struct tcb *t = ks.current;
    if (t != NULL) {
        snapshot_ignore(s, &t->ctx, sizeof t->ctx);
        const struct cap *frame = &t->slots[TCB_SLOT_IPC_BUFFER].cap;
        if (frame->type == CAP_FRAME)
            snapshot_ignore(s, (const void *)(uintptr_t)frame->obj, BIT(frame->size_bits));
    }
    const unsigned char *now = ram;
    size_t diff = BIT(KT_RAM_BITS);
    for (size_t i = 0; i < BIT(KT_RAM_BITS) && diff == BIT(KT_RAM_BITS); i += 4096) {
        if (memcmp(s->ram + i, now + i, 4096) != 0) {
            for (diff = i; s->ram[diff] == now[diff]; diff++)
                ;
        }
    }
    bool ks_same = memcmp(&s->ks, &ks, sizeof ks) == 0;
    free(s->ram);
    s->ram = NULL;
    if (diff != BIT(KT_RAM_BITS))
        fail_msg("kernel memory changed at RAM offset 0x%zx", diff);
    if (!ks_same)
        fail_msg("the kernel's global state changed");
}

void kt_assert_rejected(struct kt_snapshot *snap, struct kresult r, enum kaal_error e)
{
    kt_snapshot_assert_same(snap);
    assert_int_equal(r.code, e);
#ifdef KAAL_DEBUG
    if (!kt_logged("reject"))
        fail_msg("refusal (error %d) was not logged; console: %s", (int)e, double_console());
#endif
}

void kt_assert_success(struct kresult r)
{
    if (r.code != KAAL_OK)
        fail_msg("call failed: error %d, detail %lu %lu %lu %lu %lu; console: %s", (int)r.code,
                 (unsigned long)r.mr[0], (unsigned long)r.mr[1], (unsigned long)r.mr[2],
                 (unsigned long)r.mr[3], (unsigned long)r.mr[4], double_console());
    assert_int_equal(r.count, 0);
    assert_false(kt_logged("reject"));
}

void kt_assert_detail(struct kresult r, const kaal_word_t *want, size_t n)
{
    if (r.count != n)
        fail_msg("answer has %lu detail words, expected %zu", (unsigned long)r.count, n);
    for (size_t i = 0; i < n; i++) {
        if (r.mr[i] != want[i])
            fail_msg("detail word %zu is 0x%lx, expected 0x%lx", i, (unsigned long)r.mr[i],
                     (unsigned long)want[i]);
    }
}

/* ---- IPC and notification helpers (test_ipc.c, test_notification.c) ---- */

void kt_set_fault_endpoint(kaal_word_t first_slot, kaal_word_t fault_cptr)
{
    struct tcb *self = ks.current;
    kt_act(root_thread); /* the fault endpoint CPtr is looked up in the invoker's CSpace */
    kaal_word_t args[] = {0, fault_cptr};
    kaal_word_t caps[] = {KT_ROOT, first_slot + 1, first_slot + 2};
    assert_ok(kt_invoke(first_slot, KAAL_TCB_CONFIGURE, args, 2, caps, 3));
    if (self->state == THREAD_RUNNING)
        kt_act(self);
}

void kt_set_receive_slot(struct tcb *t, kaal_word_t cnode, kaal_word_t index, kaal_word_t depth)
{
    struct kaal_ipc_buffer *buf = tcb_ipc_buffer(t);
    assert_non_null(buf);
    buf->receive_cnode = cnode;
    buf->receive_index = index;
    buf->receive_depth = depth;
}

kaal_word_t kt_count_caps_of_type(unsigned type)
{
    kaal_word_t count = 0;
    for (const struct slot *n = kt_next_cap(&ks.cdt_root); n != NULL; n = kt_next_cap(n))
        count += n->cap.type == type;
    return count;
}

void kt_assert_queue(const struct tcb_queue *q, struct tcb *const *want, size_t n)
{
    size_t i = 0;
    for (const struct tcb *t = q->head; t != NULL; t = t->queue_next, i++) {
        if (i >= n)
            fail_msg("queue holds more than the %zu threads expected", n);
        if (t != want[i])
            fail_msg("queue position %zu holds %p, expected %p", i, (const void *)t, (const void *)want[i]);
    }
    if (i != n)
        fail_msg("queue holds %zu threads, expected %zu", i, n);
    if (n > 0 && q->tail != want[n - 1])
        fail_msg("queue tail is %p, expected %p", (const void *)q->tail, (const void *)want[n - 1]);
}

/* ---- Thread, scheduler, interrupt and preemption helpers (test_tcb/sched/fault/irq/preempt.c) ---- */

#include <kaal/core/entry.h>

struct tcb *kt_tcb(kaal_word_t slot)
{
    assert_int_equal(kt_slot(slot)->cap.type, CAP_TCB);
    return tcb_of(&kt_slot(slot)->cap);
}

void kt_assert_ready(unsigned priority, struct tcb *const *want, size_t n)
{
    const struct ready_queue *q = &ks.ready[priority];
    size_t i = 0;
    for (const struct tcb *t = q->head; t != NULL; t = t->sched_next, i++) {
        if (i >= n)
            fail_msg("ready queue %u holds more than the %zu threads expected", priority, n);
        if (t != want[i])
            fail_msg("ready queue %u position %zu holds %p, expected %p", priority, i, (const void *)t,
                     (const void *)want[i]);
    }
    if (i != n)
        fail_msg("ready queue %u holds %zu threads, expected %zu", priority, i, n);
    if (n > 0 && q->tail != want[n - 1])
        fail_msg("ready queue %u tail is %p, expected %p", priority, (const void *)q->tail,
                 (const void *)want[n - 1]);
    int bit = (int)((ks.ready_l2[priority / 64] >> (priority % 64)) & 1);
    if (bit != (n > 0))
        fail_msg("ready bitmap bit of priority %u is %d with %zu threads queued", priority, bit, n);
}

void kt_interrupt(unsigned line)
{
    double_console_clear();
    double_irq.pending = line;
    kernel_interrupt();
    kt_check();
}

int kt_restart(void)
{
    double_console_clear();
    int done = kd_restart();
    kt_check();
    return done;
}

/* ---- end of thread, scheduler, interrupt and preemption helpers ---- */
