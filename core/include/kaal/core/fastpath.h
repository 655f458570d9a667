/*
 * The IPC fastpath: Call and ReplyRecv in their common case, in a few dozen
 * instructions each (see core/kernel/fastpath.c and docs/fastpath.md).
 *
 * kernel_syscall() enters these for KAAL_SYS_CALL and KAAL_SYS_REPLY_RECV.
 * Each either performs the whole syscall, ending in exactly the kernel state
 * and registers the slow path would have produced, including the choice of
 * ks.current; or it declines having changed nothing and hands the syscall to
 * the slow path, which then runs as if the fastpath did not exist.
 */
#ifndef KAAL_CORE_FASTPATH_H
#define KAAL_CORE_FASTPATH_H

#include <kaal/core/tcb.h>

/*
 * t (the current thread) makes a Call or a ReplyRecv. If the common case holds, the syscall is done
 * here and the next thread chosen; otherwise nothing is changed and slowpath_syscall() does it.
 */
void fastpath_call(struct tcb *t);
void fastpath_reply_recv(struct tcb *t);

/* The slow path (syscall.c): any syscall sysno of t, in full, ending by choosing the next thread. */
void slowpath_syscall(struct tcb *t, word_t sysno);

#ifdef KAAL_DEBUG
/*
 * Debug builds only (compiled out of a release kernel): how often each
 * fastpath completed a syscall, and a switch that makes both decline, so
 * tests can run one syscall both ways from the same state and compare.
 */
struct fastpath_stats {
    word_t call;
    word_t reply_recv;
};
extern struct fastpath_stats fastpath_stats;
extern bool fastpath_disabled;
#endif

#endif
