/*
 * The ready queues' building blocks, shared by the scheduler (sched.c) and
 * the IPC fastpath (fastpath.c) so both change the queues in one way. Inline
 * because both sit on the IPC path. The list steps leave the bitmaps alone:
 * sched.c updates them with each step, the fastpath once both of its queue
 * changes are known.
 */
#ifndef KAAL_CORE_READY_QUEUE_H
#define KAAL_CORE_READY_QUEUE_H

#include <kaal/core/kernel.h>

static inline void ready_bit_set(unsigned p)
{
    ks.ready_l2[p / 64] |= BIT(p % 64);
    ks.ready_l1 |= BIT(p / 64);
}

static inline void ready_bit_clear(unsigned p)
{
    ks.ready_l2[p / 64] &= ~BIT(p % 64);
    if (ks.ready_l2[p / 64] == 0)
        ks.ready_l1 &= ~BIT(p / 64);
}

/* Take t out of the ready queue of its priority. */
static inline void ready_unlink(struct tcb *t)
{
    struct ready_queue *q = &ks.ready[t->priority];
    if (t->sched_prev != NULL)
        t->sched_prev->sched_next = t->sched_next;
    else
        q->head = t->sched_next;
    if (t->sched_next != NULL)
        t->sched_next->sched_prev = t->sched_prev;
    else
        q->tail = t->sched_prev;
    t->sched_prev = t->sched_next = NULL;
}

/* Make t runnable at the tail of the queue of its priority. */
static inline void ready_link_last(struct tcb *t)
{
    struct ready_queue *q = &ks.ready[t->priority];
    t->state = THREAD_RUNNING;
    t->sched_next = NULL;
    t->sched_prev = q->tail;
    if (q->tail != NULL)
        q->tail->sched_next = t;
    else
        q->head = t;
    q->tail = t;
}

/* Make t runnable at the head of the queue of its priority. */
static inline void ready_link_first(struct tcb *t)
{
    struct ready_queue *q = &ks.ready[t->priority];
    t->state = THREAD_RUNNING;
    t->sched_prev = NULL;
    t->sched_next = q->head;
    if (q->head != NULL)
        q->head->sched_prev = t;
    else
        q->tail = t;
    q->head = t;
}

#endif
