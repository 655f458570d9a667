/*
 * See core_loops.h. Per syscall we do what the sim backend's syscall entry
 * does (hal-sim/engine.c, sim_syscall): the thread's registers go into its
 * saved context, kernel_syscall() runs, and the thread the kernel chose
 * (ks.current) gets its registers back. What the backend adds on top, the
 * host handoff between threads, is exactly what the linux_* benchmarks
 * measure, so it is left out here. Every kernel choice is checked: if the
 * core ever picked another thread, the numbers would be of a different path.
 */
#include "core_loops.h"

#include <kaal/abi/message.h>
#include <kaal/abi/syscalls.h>
#include <kaal/core/entry.h>
#include <kaal/core/kernel.h>

#include "bench.h"

/* A thread's syscall registers as user code holds them (struct sim_syscall_regs in the sim). */
struct regs {
    kaal_word_t cptr, msginfo, mr[KAAL_MSG_REGISTERS];
};

/* Kernel entry: t (the current thread) makes syscall sysno with registers r. */
static inline void enter(struct tcb *t, kaal_word_t sysno, const struct regs *r)
{
    hal_ctx_set(&t->ctx, HAL_REG_SYSNO, sysno);
    hal_ctx_set(&t->ctx, HAL_REG_CPTR, r->cptr);
    hal_ctx_set(&t->ctx, HAL_REG_MSGINFO, r->msginfo);
    for (unsigned i = 0; i < KAAL_MSG_REGISTERS; i++)
        hal_ctx_set(&t->ctx, (enum hal_reg)(HAL_REG_MR0 + i), r->mr[i]);
    t->ctx.restart = 0;
    kernel_syscall();
}

/* Kernel exit: the kernel must have chosen t; t's registers come back into r. */
static inline void leave(struct tcb *t, struct regs *r)
{
    if (__builtin_expect(ks.current != t || t->ctx.restart, 0))
        bench_die("the kernel chose another thread (or a restart) than the benchmark expects");
    r->cptr = hal_ctx_get(&t->ctx, HAL_REG_CPTR);
    r->msginfo = hal_ctx_get(&t->ctx, HAL_REG_MSGINFO);
    for (unsigned i = 0; i < KAAL_MSG_REGISTERS; i++)
        r->mr[i] = hal_ctx_get(&t->ctx, (enum hal_reg)(HAL_REG_MR0 + i));
}

#define REQUEST_LABEL 1u
#define REPLY_LABEL 2u

__attribute__((noinline)) void bench_core_call_loop(const struct core_world *w, uint64_t n)
{
    struct tcb *client = w->client, *server = w->server;
    struct regs c = {0}, s = {0};
    for (uint64_t i = 0; i < n; i++) {
        c.cptr = w->ep;
        c.msginfo = kaal_msginfo(REQUEST_LABEL, 0, 0, 1);
        c.mr[0] = i;
        enter(client, KAAL_SYS_CALL, &c);
        leave(server, &s); /* the server's Recv (or ReplyRecv) returns with the request */

        s.cptr = w->ep;
        s.msginfo = kaal_msginfo(REPLY_LABEL, 0, 0, 1);
        s.mr[0] += 1; /* the "service": answer with the request plus one */
        enter(server, KAAL_SYS_REPLY_RECV, &s);
        leave(client, &c); /* the client's Call returns with the answer */
    }
    /* Checked once per batch, not per round trip: the last answer proves the messages went through. */
    if (n > 0 && (c.mr[0] != n || kaal_msginfo_label(c.msginfo) != REPLY_LABEL || kaal_msginfo_length(c.msginfo) != 1))
        bench_die("wrong answer: word %lu label %lu, expected %lu label %u", (unsigned long)c.mr[0],
                  (unsigned long)kaal_msginfo_label(c.msginfo), (unsigned long)n, REPLY_LABEL);
}

__attribute__((noinline)) void bench_core_null_loop(const struct core_world *w, uint64_t n)
{
    struct tcb *client = w->client;
    struct regs c = {0};
    for (uint64_t i = 0; i < n; i++) {
        c.cptr = w->ntfn;
        c.msginfo = 0;
        enter(client, KAAL_SYS_NB_RECV, &c);
        leave(client, &c);
    }
    /* An empty notification answers badge 0 and an empty message; a stale value would be ours, not 0. */
    if (n > 0 && (c.cptr != 0 || c.msginfo != 0))
        bench_die("Poll on an empty notification answered badge %lu, msginfo %lu", (unsigned long)c.cptr,
                  (unsigned long)c.msginfo);
}
