/*
 * The IPC fastpath: Call and ReplyRecv in their common case (see fastpath.h).
 *
 * Principle, as in seL4: the round trip of a client and a server is two
 * syscalls, and almost always the same two: the client's Call finds the
 * server waiting in Recv, the server's ReplyRecv answers it and goes back to
 * wait. For those, one straight-line function per syscall first checks every
 * condition of the common case, changing nothing, and then performs the
 * syscall with no further decision: no error paths, no cap transfer, no
 * fault messages, no IPC buffer, no deletes. Anything else (a condition not
 * met) goes, before the first store, to slowpath_syscall() (a tail call),
 * which runs as if the fastpath did not exist.
 *
 * The fastpath is not a second semantics: each step below is the slow path's
 * own step (named in the comments) specialised to what the conditions
 * guarantee, in the slow path's order, writing the same fields with the same
 * values. So the result is exactly the slow path's: the same registers of
 * both threads (only the words sent are written), the same endpoint and
 * ready queues (the woken thread at the head or the tail of its queue where
 * the slow path puts it), the same reply cap in the same place of the CDT,
 * and the same choice of the next thread, made by the same bitmap lookup as
 * schedule(). No priority condition is needed for that: the fastpath does
 * not switch to the receiver directly, it schedules as the slow path does.
 * tests/unit/test_fastpath.c runs syscalls both ways from one state and
 * compares all kernel memory.
 *
 * Call (on an endpoint), the conditions:
 *   - message length <= 4 (the words are all in registers) and no extra caps;
 *   - the caller has no pending fault (always so for a running thread);
 *   - the CPtr resolves in one CSpace level to an Endpoint cap with Write;
 *   - the head of the endpoint's queue is a thread waiting in Recv;
 *   - that receiver's reply slot is empty (no unanswered earlier caller).
 * ReplyRecv, the conditions:
 *   - message length <= 4 and no extra caps; no pending fault on the replier;
 *   - the replier's reply slot holds a reply cap (without CDT children, as
 *     always), for a caller blocked waiting for the reply, without a pending
 *     fault (a fault reply is read by the kernel: slow path);
 *   - the CPtr resolves in one CSpace level to an Endpoint cap with Read;
 *   - no notification bound to the replier has a pending word;
 *   - no sender is queued on the endpoint (so the replier blocks in Recv).
 * What the slow path would do for these is then known, and so is what it
 * skips: the general CSpace walk and its error reports, the fault and cap
 * transfer branches of ipc_transfer, the IPC buffer lookups (four words
 * never reach it), cap_delete on the empty reply slot, kmem_zero of the used
 * reply slot, and the calls between all of these.
 *
 * The queue and scheduler steps are written out here rather than called in
 * sched.c and ipc.c; they must stay the same operations as those.
 */
#include <kaal/core/fastpath.h>
#include <kaal/core/ipc.h>
#include <kaal/core/kernel.h>
#include <kaal/core/ready_queue.h>

#ifdef KAAL_DEBUG
struct fastpath_stats fastpath_stats;
bool fastpath_disabled;
#define FASTPATH_DISABLED() fastpath_disabled
#define FASTPATH_COUNT(what) (fastpath_stats.what++)
#else
#define FASTPATH_DISABLED() false
#define FASTPATH_COUNT(what) ((void)0)
#endif

/*
 * The slot cptr names in t's CSpace if the first CNode level already ends the
 * lookup at an Endpoint cap; else NULL (the slow path's walk then decides).
 * This is resolve()'s first iteration with 64 bits to go: when it ends at a
 * non-CNode cap, lookup_cap returns that slot, whether or not bits are left.
 * With 1 <= radix and guard_bits + radix <= 64, the guard is the top
 * guard_bits bits of cptr (0 when there are none) and the index the radix
 * bits below them; the shifts are written so that none is by 64.
 */
static inline struct slot *lookup_endpoint(const struct tcb *t, word_t cptr)
{
    const struct cap *root = &t->slots[TCB_SLOT_CSPACE].cap;
    word_t radix = root->size_bits, guard_bits = root->guard_bits;
    if (root->type != CAP_CNODE || radix == 0 || guard_bits + radix > KAAL_WORD_BITS)
        return NULL;
    if ((cptr >> 1) >> (KAAL_WORD_BITS - 1 - guard_bits) != root->data)
        return NULL;
    struct slot *slot = cnode_slots(root) + ((cptr << guard_bits) >> (KAAL_WORD_BITS - radix));
    return slot->cap.type == CAP_ENDPOINT ? slot : NULL;
}

/*
 * The end of kernel_syscall(): a fresh work budget, then schedule(). Both
 * fastpaths have just made a thread runnable, so some ready queue is
 * non-empty (ready_l1 != 0) and schedule()'s idle case cannot arise here.
 */
static inline void finish(void)
{
    ks.work_units = 0;
    unsigned group = 63u - (unsigned)__builtin_clzll(ks.ready_l1);
    unsigned p = group * 64 + 63u - (unsigned)__builtin_clzll(ks.ready_l2[group]);
    ks.current = ks.ready[p].head;
}

/* ipc_transfer for a message of length <= 4 words and no caps, from registers to registers. */
static inline void transfer_registers(const struct tcb *s, struct tcb *r, word_t info, word_t length, word_t badge)
{
    for (word_t i = 0; i < length; i++) {
        enum hal_reg mr = (enum hal_reg)(HAL_REG_MR0 + i);
        hal_ctx_set(&r->ctx, mr, hal_ctx_get(&s->ctx, mr));
    }
    hal_ctx_set(&r->ctx, HAL_REG_CPTR, badge);
    hal_ctx_set(&r->ctx, HAL_REG_MSGINFO, kaal_msginfo(kaal_msginfo_label(info), 0, 0, length));
}

void fastpath_call(struct tcb *t)
{
    if (FASTPATH_DISABLED())
        goto slow;
    word_t info = hal_ctx_get(&t->ctx, HAL_REG_MSGINFO);
    word_t length = kaal_msginfo_length(info);
    if (length > KAAL_MSG_REGISTERS || kaal_msginfo_extra_caps(info) != 0 || t->fault.type != 0)
        goto slow;
    struct slot *ep_slot = lookup_endpoint(t, hal_ctx_get(&t->ctx, HAL_REG_CPTR));
    if (ep_slot == NULL || !(ep_slot->cap.rights & KAAL_RIGHT_WRITE))
        goto slow;
    struct endpoint *ep = endpoint_of(&ep_slot->cap);
    struct tcb *r = ep->queue.head;
    if (r == NULL || r->state != THREAD_BLOCKED_RECV)
        goto slow;
    struct slot *reply = &r->slots[TCB_SLOT_REPLY];
    if (!slot_is_empty(reply))
        goto slow;

    /* endpoint_send: take the receiver (the head: queue_remove), then ipc_transfer. */
    struct tcb *next = r->queue_next;
    ep->queue.head = next;
    if (next != NULL)
        next->queue_prev = NULL;
    else
        ep->queue.tail = NULL;
    r->queue_prev = r->queue_next = NULL;
    r->blocked_on = 0;
    transfer_registers(t, r, info, length, ep_slot->cap.data);

    /* reply_setup: the reply cap into the empty reply slot (cdt_insert under the sentinel), the caller blocks. */
    reply->cap = (struct cap){.obj = (word_t)(uintptr_t)t, .type = CAP_REPLY, .rights = KAAL_RIGHTS_ALL,
                              .aux = (ep_slot->cap.rights & KAAL_RIGHT_GRANT_REPLY) != 0};
    reply->parent = &ks.cdt_root;
    reply->first_child = NULL;
    reply->prev = NULL;
    reply->next = ks.cdt_root.first_child;
    if (reply->next != NULL)
        reply->next->prev = reply;
    ks.cdt_root.first_child = reply;
    bool was_running = t->state == THREAD_RUNNING;
    if (was_running)
        ready_unlink(t);
    t->state = THREAD_BLOCKED_REPLY;
    t->blocked_on = 0;
    t->reply_held_at = reply;

    /* The CPU follows the message: the receiver runs next among its equals (sched_enqueue_first). */
    ready_link_first(r);
    if (!was_running || t->priority != r->priority) {
        if (was_running && ks.ready[t->priority].head == NULL)
            ready_bit_clear(t->priority);
        ready_bit_set(r->priority);
    }
    FASTPATH_COUNT(call);
    finish();
    return;
slow:
    slowpath_syscall(t, KAAL_SYS_CALL);
}

void fastpath_reply_recv(struct tcb *t)
{
    if (FASTPATH_DISABLED())
        goto slow;
    word_t info = hal_ctx_get(&t->ctx, HAL_REG_MSGINFO);
    word_t length = kaal_msginfo_length(info);
    if (length > KAAL_MSG_REGISTERS || kaal_msginfo_extra_caps(info) != 0 || t->fault.type != 0)
        goto slow;
    struct slot *reply = &t->slots[TCB_SLOT_REPLY];
    if (reply->cap.type != CAP_REPLY || reply->first_child != NULL)
        goto slow;
    struct tcb *caller = tcb_of(&reply->cap);
    if (caller->state != THREAD_BLOCKED_REPLY || caller->fault.type != 0)
        goto slow;
    struct slot *ep_slot = lookup_endpoint(t, hal_ctx_get(&t->ctx, HAL_REG_CPTR));
    if (ep_slot == NULL || !(ep_slot->cap.rights & KAAL_RIGHT_READ))
        goto slow;
    struct notification *bound = t->bound_notification;
    if (bound != NULL && bound->word != 0)
        goto slow;
    struct endpoint *ep = endpoint_of(&ep_slot->cap);
    if (ep->queue.head != NULL && ep->queue.head->state == THREAD_BLOCKED_SEND)
        goto slow;

    /* do_reply: the reply cap is used up (cdt_remove of a node without children), then ipc_transfer. */
    caller->reply_held_at = NULL;
    struct slot *prev = reply->prev, *next = reply->next;
    if (prev != NULL)
        prev->next = next;
    else
        reply->parent->first_child = next;
    if (next != NULL)
        next->prev = prev;
    reply->cap = (struct cap){0};
    reply->parent = reply->first_child = reply->prev = reply->next = NULL;
    reply->reserved = 0;
    transfer_registers(t, caller, info, length, 0);
    ready_link_last(caller); /* sched_enqueue */

    /* endpoint_recv with nothing to take: block_on the endpoint's queue (sched_dequeue, queue_append). */
    bool was_running = t->state == THREAD_RUNNING;
    if (was_running)
        ready_unlink(t);
    if (!was_running || t->priority != caller->priority) {
        if (was_running && ks.ready[t->priority].head == NULL)
            ready_bit_clear(t->priority);
        ready_bit_set(caller->priority);
    }
    t->state = THREAD_BLOCKED_RECV;
    t->blocked_on = ep_slot->cap.obj;
    t->queue_next = NULL;
    t->queue_prev = ep->queue.tail;
    if (ep->queue.tail != NULL)
        ep->queue.tail->queue_next = t;
    else
        ep->queue.head = t;
    ep->queue.tail = t;
    FASTPATH_COUNT(reply_recv);
    finish();
    return;
slow:
    slowpath_syscall(t, KAAL_SYS_REPLY_RECV);
}
