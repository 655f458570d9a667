/*
 * The sim execution engine (see kaal/sim/engine.h and docs/sim.md).
 *
 * Principle of operation:
 *   - every TCB that runs is carried by a host thread, made the first time
 *     the kernel picks the TCB; all of them are pinned to one host CPU, where
 *     a futex handoff between two threads is cheap and steady;
 *   - a thread holds the CPU ("the baton") while its `go` word is 1; it
 *     hands the CPU on by setting the next thread's word and waking it, then
 *     waits on its own. Wake tokens latch: a wake that comes before the
 *     target waits is found in the word, never lost; a wait interrupted by a
 *     signal simply waits again;
 *   - kernel code only ever runs on the thread that holds the baton, on that
 *     thread's own host stack: the core needs no locks;
 *   - the launcher thread is the hardware-model loop: it raises the timer
 *     line when the deadline passes, and holds the baton whenever the kernel
 *     has nothing to run (the idle thread). A line raised while a component
 *     runs is taken at that component's next kernel entry.
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <kaal/abi/bootinfo.h>
#include <kaal/core/boot.h>
#include <kaal/core/entry.h>
#include <kaal/core/kernel.h>
#include <kaal/hal/cpu.h>
#include <kaal/hal/timer.h>
#include <kaal/sim/engine.h>

#include "sim_internal.h"

/* A component thread returned from its entry function: reported as a user exception with this code. */
#define SIM_EXCEPTION_RETURNED 0x5e7u
/* A thread was started with no entry point. */
#define SIM_EXCEPTION_NO_ENTRY 0x5e0u

struct sim_thread {
    _Atomic uint32_t go; /* 1: this thread holds the CPU */
    pthread_t pthread;
    struct tcb *tcb;     /* NULL for the hardware-model thread */
    struct sim_thread *next_made;
};

static struct {
    struct sim_thread hw;    /* the launcher: hardware model and idle */
    struct sim_thread *made; /* every component thread, for the teardown */
    cpu_set_t cpu;           /* the one host CPU all sim threads share */
    _Atomic int halted;
    int status;
    void *ram;
} eng;

static __thread struct sim_thread *self;

static void futex_wait(_Atomic uint32_t *word, uint32_t expected, const struct timespec *timeout)
{
    /* EINTR, EAGAIN and ETIMEDOUT all mean "look at the word again": the callers loop. */
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, timeout, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *word)
{
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void give(struct sim_thread *t)
{
    atomic_store(&t->go, 1);
    futex_wake(&t->go);
}

/* Wait for the baton. A component thread woken by the teardown ends here. */
static void park(struct sim_thread *me)
{
    while (atomic_exchange(&me->go, 0) == 0)
        futex_wait(&me->go, 0, NULL);
    if (atomic_load(&eng.halted) && me != &eng.hw)
        pthread_exit(NULL);
}

static void *thread_main(void *arg);

/*
 * The host thread of a TCB, made if it has none yet. The new thread starts by
 * waiting for the baton, and all bookkeeping is done before it exists, so it
 * never races its creator.
 */
static struct sim_thread *host_thread(struct tcb *t)
{
    if (t->ctx.thread != NULL)
        return t->ctx.thread;
    struct sim_thread *st = calloc(1, sizeof *st);
    if (st == NULL) {
        fprintf(stderr, "kaal-sim: out of host memory for a thread\n");
        abort();
    }
    st->tcb = t;
    st->next_made = eng.made;
    eng.made = st;
    t->ctx.thread = st;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setaffinity_np(&attr, sizeof eng.cpu, &eng.cpu);
    pthread_attr_setstacksize(&attr, 256u << 10); /* ASan doubles frames; 128 KiB was seen to be enough */
    int err = pthread_create(&st->pthread, &attr, thread_main, st);
    pthread_attr_destroy(&attr);
    if (err != 0) {
        fprintf(stderr, "kaal-sim: cannot start a host thread: %s\n", strerror(err));
        abort();
    }
    char name[16];
    snprintf(name, sizeof name, "kaal-%04lx", (unsigned long)(((uintptr_t)t >> 11) & 0xffff));
    pthread_setname_np(st->pthread, name);
    return st;
}

/*
 * After a kernel entry: run whatever the kernel chose. Returns when the
 * calling thread holds the CPU again as the current thread (for the
 * hardware-model thread: at once if the system is idle, else false).
 */
static bool run_current(void)
{
    struct sim_thread *me = self;
    struct tcb *next = ks.current;
    if (next == &ks.idle) {
        if (me == &eng.hw)
            return true;
        give(&eng.hw);
    } else {
        struct sim_thread *t = host_thread(next);
        if (t == me)
            return true;
        give(t);
    }
    if (me == &eng.hw)
        return false;
    park(me);
    return true;
}

/* Interrupts raised while this thread ran are taken at its kernel entry. */
static void take_interrupts(void)
{
    while (sim_intc_any_pending()) {
        kernel_interrupt();
        run_current();
    }
}

void sim_syscall(kaal_word_t sysno, struct sim_syscall_regs *regs)
{
    struct tcb *t = self->tcb;
    take_interrupts();
    hal_ctx_set(&t->ctx, HAL_REG_SYSNO, sysno);
    hal_ctx_set(&t->ctx, HAL_REG_CPTR, regs->cptr);
    hal_ctx_set(&t->ctx, HAL_REG_MSGINFO, regs->msginfo);
    for (unsigned i = 0; i < 4; i++)
        hal_ctx_set(&t->ctx, (enum hal_reg)(HAL_REG_MR0 + i), regs->mr[i]);
    do {
        t->ctx.restart = 0;
        kernel_syscall();
        run_current();
    } while (t->ctx.restart);
    regs->cptr = hal_ctx_get(&t->ctx, HAL_REG_CPTR);
    regs->msginfo = hal_ctx_get(&t->ctx, HAL_REG_MSGINFO);
    for (unsigned i = 0; i < 4; i++)
        regs->mr[i] = hal_ctx_get(&t->ctx, (enum hal_reg)(HAL_REG_MR0 + i));
}

void *sim_ipc_buffer(void)
{
    return self != NULL && self->tcb != NULL ? tcb_ipc_buffer(self->tcb) : NULL;
}

static void *thread_main(void *arg)
{
    struct sim_thread *me = arg;
    self = me;
    park(me);
    for (;;) {
        struct hal_context *ctx = &me->tcb->ctx;
        kaal_word_t pc = hal_ctx_pc(ctx);
        if (pc == 0) {
            kernel_user_exception(SIM_EXCEPTION_NO_ENTRY, 0);
        } else {
            void (*entry)(kaal_word_t, kaal_word_t, kaal_word_t) =
                (void (*)(kaal_word_t, kaal_word_t, kaal_word_t))(uintptr_t)pc;
            entry(hal_ctx_get(ctx, HAL_REG_CPTR), hal_ctx_get(ctx, HAL_REG_MSGINFO),
                  hal_ctx_get(ctx, HAL_REG_MR0));
            /* Nothing left to run: a fault, so a supervisor learns and the CPU goes on. */
            kernel_user_exception(SIM_EXCEPTION_RETURNED, pc);
        }
        run_current(); /* a handler's RESUME starts the entry point again */
    }
    return NULL;
}

_Noreturn void sim_halt(int status)
{
    hal_cpu_halt(status);
}

_Noreturn void hal_cpu_halt(int status)
{
    eng.status = status;
    atomic_store(&eng.halted, 1);
    give(&eng.hw);
    pthread_exit(NULL);
}

void hal_cpu_idle(void)
{
    /* The idle thread is the hardware-model loop in sim_run(); the kernel never calls this on the sim. */
}

int sim_boot(size_t ram_bytes)
{
    size_t align = (size_t)1 << 21;
    ram_bytes = (ram_bytes + align - 1) & ~(align - 1);
    eng.ram = aligned_alloc(align, ram_bytes);
    if (eng.ram == NULL) {
        fprintf(stderr, "kaal-sim: cannot allocate %zu bytes of guest RAM\n", ram_bytes);
        return -1;
    }
    memset(eng.ram, 0, ram_bytes);
    sim_intc_reset();
    sim_timer_reset();
    struct boot_region ram = {.kaddr = (uintptr_t)eng.ram, .size = ram_bytes, .zeroed = true};
    enum boot_status status = kernel_boot(&ram, 1);
    if (status != BOOT_OK) {
        fprintf(stderr, "kaal-sim: the kernel did not boot: %s\n", boot_status_name(status));
        free(eng.ram);
        eng.ram = NULL;
        return -1;
    }
    return 0;
}

/* The hardware-model loop: time, the timer line, and the CPU while idle. */
static void hardware_loop(void)
{
    bool holding = false;
    while (!atomic_load(&eng.halted)) {
        uint64_t deadline = sim_timer_deadline();
        uint64_t now = hal_timer_now_ns();
        if (deadline != 0 && now >= deadline) {
            sim_timer_expire();
            deadline = 0;
        }
        if (!holding)
            holding = atomic_exchange(&eng.hw.go, 0) == 1;
        if (atomic_load(&eng.halted))
            break;
        if (holding && sim_intc_any_pending()) {
            kernel_interrupt();
            holding = run_current();
            continue;
        }
        uint64_t wait = deadline == 0 ? 100000000u : deadline - now; /* re-check at least every 100 ms */
        struct timespec ts = {.tv_sec = (time_t)(wait / 1000000000u), .tv_nsec = (long)(wait % 1000000000u)};
        if (holding)
            nanosleep(&ts, NULL); /* idle: only time can bring work */
        else
            futex_wait(&eng.hw.go, 0, &ts);
    }
}

int sim_run(void (*entry)(kaal_word_t, kaal_word_t, kaal_word_t))
{
    CPU_ZERO(&eng.cpu);
    int cpu = sched_getcpu();
    CPU_SET(cpu < 0 ? 0 : cpu, &eng.cpu);
    pthread_setaffinity_np(pthread_self(), sizeof eng.cpu, &eng.cpu);
    self = &eng.hw;
    atomic_store(&eng.halted, 0);
    atomic_store(&eng.hw.go, 0);
    eng.made = NULL;

    struct tcb *root = ks.current;
    hal_ctx_set_pc(&root->ctx, (kaal_word_t)(uintptr_t)entry);
    hal_ctx_set(&root->ctx, HAL_REG_CPTR, (kaal_word_t)(uintptr_t)tcb_ipc_buffer(root));
    struct slot *root_cnode = (struct slot *)(uintptr_t)root->slots[TCB_SLOT_CSPACE].cap.obj;
    hal_ctx_set(&root->ctx, HAL_REG_MSGINFO, root_cnode[KAAL_ROOT_SLOT_BOOTINFO].cap.obj);
    give(host_thread(root));
    hardware_loop();

    /* Halted: every other thread is parked. Wake each to end, then wait for all. */
    for (struct sim_thread *t = eng.made; t != NULL; t = t->next_made)
        give(t);
    while (eng.made != NULL) {
        struct sim_thread *t = eng.made;
        eng.made = t->next_made;
        pthread_join(t->pthread, NULL);
        free(t);
    }
    free(eng.ram);
    eng.ram = NULL;
    return eng.status;
}
