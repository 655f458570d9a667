/*
 * The scheduler (see sched.h).
 *
 * The bitmaps make "highest runnable priority" two count-leading-zeros
 * instructions: ready_l1 says which 64-priority group has work, ready_l2
 * which priority inside it.
 */
#include <kaal/core/kernel.h>
#include <kaal/core/sched.h>

static void bitmap_set(unsigned p)
{
    ks.ready_l2[p / 64] |= BIT(p % 64);
    ks.ready_l1 |= BIT(p / 64);
}

static void bitmap_clear(unsigned p)
{
    ks.ready_l2[p / 64] &= ~BIT(p % 64);
    if (ks.ready_l2[p / 64] == 0)
        ks.ready_l1 &= ~BIT(p / 64);
}

int sched_highest_priority(void)
{
    if (ks.ready_l1 == 0)
        return -1;
    unsigned group = 63u - (unsigned)__builtin_clzll(ks.ready_l1);
    return (int)(group * 64 + 63u - (unsigned)__builtin_clzll(ks.ready_l2[group]));
}

void sched_enqueue(struct tcb *t)
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
    bitmap_set(t->priority);
}

void sched_enqueue_first(struct tcb *t)
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
    bitmap_set(t->priority);
}

void sched_dequeue(struct tcb *t)
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
    if (q->head == NULL)
        bitmap_clear(t->priority);
}

void sched_set_priority(struct tcb *t, uint8_t priority)
{
    if (t->state != THREAD_RUNNING) {
        t->priority = priority;
        return;
    }
    sched_dequeue(t);
    t->priority = priority;
    sched_enqueue(t);
}

void schedule(void)
{
    int p = sched_highest_priority();
    ks.current = p < 0 ? &ks.idle : ks.ready[p].head;
}

/* Move the current thread behind its equals with a fresh timeslice. */
static void rotate_current(void)
{
    struct tcb *t = ks.current;
    t->timeslice = SCHED_TIMESLICE_TICKS;
    if (t->state == THREAD_RUNNING) {
        sched_dequeue(t);
        sched_enqueue(t);
    }
}

void sched_yield_current(void)
{
    rotate_current();
}

void sched_tick(void)
{
    struct tcb *t = ks.current;
    /* NULL: the thread deleted its own TCB in a syscall that then stopped for this interrupt. */
    if (t == NULL || t == &ks.idle)
        return;
    if (t->timeslice > 1) {
        t->timeslice--;
        return;
    }
    rotate_current();
}
