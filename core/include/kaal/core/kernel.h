/*
 * The kernel's global state. Everything else lives in objects made from
 * Untyped memory.
 */
#ifndef KAAL_CORE_KERNEL_H
#define KAAL_CORE_KERNEL_H

#include <kaal/core/cap.h>
#include <kaal/core/tcb.h>

struct kernel_state {
    struct tcb *current;   /* the thread whose syscall is being handled */
    struct slot cdt_root;  /* CDT sentinel: parent of every cap with no other parent */
    struct slot swap_slot; /* scratch for swaps during delete; empty between syscalls */
};

extern struct kernel_state ks;

#endif
