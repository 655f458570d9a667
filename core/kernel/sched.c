/*
 * The scheduler (see sched.h).
 *
 * The bitmaps make "highest runnable priority" two count-leading-zeros
 * instructions: ready_l1 says which 64-priority group has work, ready_l2
 * which priority inside it.
 */
#include <kaal/core/kernel.h>
#include <kaal/core/ready_queue.h>
#include <kaal/core/sched.h>

int sched_highest_priority(void)
{
    if (ks.ready_l1 == 0)
        return -1;
    unsigned group = 63u - (unsigned)__builtin_clzll(ks.ready_l1);
    return (int)(group * 64 + 63u - (unsigned)__builtin_clzll(ks.ready_l2[group]));
}

void sched_enqueue(struct tcb *t)
{
    ready_link_last(t);
    ready_bit_set(t->priority);
}

void sched_enqueue_first(struct tcb *t)
{
    ready_link_first(t);
    ready_bit_set(t->priority);
}

void sched_dequeue(struct tcb *t)
{
    ready_unlink(t);
    if (ks.ready[t->priority].head == NULL)
        ready_bit_clear(t->priority);
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
