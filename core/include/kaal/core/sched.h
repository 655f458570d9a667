/*
 * The scheduler: 256 priorities, a FIFO ready queue per priority, a
 * two-level bitmap for O(1) lookup of the highest non-empty queue, round
 * robin by timeslices inside a priority.
 *
 * Runnable threads (THREAD_RUNNING) are exactly those in a ready queue; the
 * current thread is one of them (or the idle thread when none is runnable).
 */
#ifndef KAAL_CORE_SCHED_H
#define KAAL_CORE_SCHED_H

#include <kaal/core/tcb.h>

#define SCHED_TIMESLICE_TICKS 5u

/* Make t runnable at the tail of its queue (it runs after its equals). */
void sched_enqueue(struct tcb *t);

/* Make t runnable at the head of its queue (it runs next among its equals). */
void sched_enqueue_first(struct tcb *t);

/* Take t out of its ready queue. */
void sched_dequeue(struct tcb *t);

/* Set t's priority, keeping its place in the ready queues right. */
void sched_set_priority(struct tcb *t, uint8_t priority);

/* Pick the thread to run: the head of the highest non-empty queue, or idle. */
void schedule(void);

/* The current thread gives up the rest of its timeslice. */
void sched_yield_current(void);

/* One timer tick: charge the current thread; rotate its queue when its slice ends. */
void sched_tick(void);

/* The highest priority with a runnable thread, or -1. */
int sched_highest_priority(void);

#endif
