/*
 * The kernel's global state. Everything else lives in objects made from
 * Untyped memory.
 */
#ifndef KAAL_CORE_KERNEL_H
#define KAAL_CORE_KERNEL_H

#include <kaal/abi/objects.h>
#include <kaal/abi/syscalls.h>
#include <kaal/core/cap.h>
#include <kaal/core/tcb.h>

/* The scheduler's tick. */
#define KERNEL_TICK_NS 1000000u /* 1 ms */

/* Interrupt lines the kernel can hand out (GICv2/v3 have at most 1020). */
#define KERNEL_MAX_IRQS 1024u

struct ready_queue {
    struct tcb *head, *tail;
};

struct kernel_state {
    struct tcb *current;   /* the running thread, or &idle */
    struct slot cdt_root;  /* CDT sentinel: parent of every cap with no other parent */
    struct slot swap_slot; /* scratch for swaps during delete; empty between syscalls */

    struct ready_queue ready[KAAL_PRIORITIES];
    uint64_t ready_l2[KAAL_PRIORITIES / 64]; /* bit p%64 of word p/64: queue p is non-empty */
    uint64_t ready_l1;                       /* bit i: ready_l2[i] is non-zero */
    struct tcb idle;

    /* Per interrupt line: an IRQHandler cap exists, and the notification it signals. */
    uint8_t irq_issued[KERNEL_MAX_IRQS];
    struct slot irq_slots[KERNEL_MAX_IRQS]; /* a copy of the notification cap, or empty */
    unsigned irq_count;                     /* lines the HAL has, at most KERNEL_MAX_IRQS */

    /* Address spaces: the level-0 table of each ASID in use (0: free); ASID 0 is never given out. */
    word_t asid_roots[KAAL_ASID_COUNT];
    word_t asids_free;
    word_t asid_next; /* where the search for a free ASID starts */

    word_t work_units; /* units of a long operation done since the last preemption check */
    bool preempted;    /* a long operation stopped for a pending interrupt */
};

extern struct kernel_state ks;

#endif
