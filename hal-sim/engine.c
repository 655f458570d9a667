/*
 * The sim execution engine (see kaal/sim/engine.h and docs/sim.md).
 *
 * Principle of operation:
 *   - every TCB that runs is carried by a host thread, made the first time
 *     the kernel picks the TCB;
 *   - a thread holds the CPU ("the baton") while its `go` word says so; it
 *     hands the CPU on by setting the next thread's word (waking it if it
 *     sleeps), then waits on its own word (see "The handoff" below). Wake
 *     tokens latch: a baton given before the target waits is found in the
 *     word, never lost; a wait interrupted by a signal simply waits again;
 *   - kernel code only ever runs on the thread that holds the baton, on that
 *     thread's own host stack: the core needs no locks;
 *   - the launcher thread is the hardware-model loop: it raises the timer
 *     line when the deadline passes, and holds the baton whenever the kernel
 *     has nothing to run (the idle thread). A line raised while a component
 *     runs is taken at that component's next kernel entry, or, if it does not
 *     come within a tick, by a signal that preempts the component (preempt.c);
 *   - a component's stray access is a SIGSEGV on its own host thread, which
 *     becomes a VM fault (fault.c). Both signal handlers enter the kernel
 *     here (sim_enter_vm_fault, sim_enter_preempted) and park inside the
 *     handler, as a syscall parks inside sim_syscall ("Signals" below).
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
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
#include <kaal/sim/component.h>
#include <kaal/sim/engine.h>

#include "sim_internal.h"

/* A component thread returned from its entry function: reported as a user exception with this code. */
#define SIM_EXCEPTION_RETURNED 0x5e7u
/* A thread was started with no entry point. */
#define SIM_EXCEPTION_NO_ENTRY 0x5e0u

/*
 * The handoff
 * ===========
 *
 * What it costs decides the sim's IPC latency (docs/sim.md, "Handoff", has
 * the measurements). Two ways to hand the baton over, chosen at run time:
 *
 *   PINNED  every sim thread on one host CPU (the launcher's); the giver
 *           wakes the target by futex and sleeps on its own word, so the
 *           host switches from one to the other on that CPU: ~2 us each way
 *           here, steady, whatever else the machine runs.
 *   SPREAD  threads may sit on different host CPUs. A thread that gives
 *           the baton to another component thread spins (bounded, with a
 *           pause instruction) on its own word, on a CPU other than the
 *           target's, before it sleeps: when the answer comes within the
 *           spin, no syscall and no host scheduler at all: ~0.1 us each
 *           way here, the kernel's work included. But a wake-up of a thread
 *           asleep on another (idle, halted) vCPU costs 30-50 us, and a
 *           spinner whose CPU is taken by a busy host thread stalls the
 *           baton for a time slice (milliseconds).
 *
 * Which one is better depends on the workload and on what else runs on the
 * host, so the engine measures it (struct handoff_control): the wall time
 * per handoff over windows of HANDOFF_WINDOW_NS, idle time left out; a
 * SPREAD window counts HANDOFF_SPREAD_WEIGHT times its time, since it keeps
 * a second host CPU busy (on a shared machine, spinning that gains 10% is a
 * bad trade: it takes a CPU from someone else, and it is what stalls). Now
 * and then one window runs in the other mode (a probe), which is kept if it
 * was clearly cheaper. A losing probe doubles the wait before the next one;
 * while the mode in use costs under half what the other one did, the next
 * probe waits for the longest gap. So the mode that loses costs little,
 * and a change of workload or of host load is still seen within seconds.
 * One host CPU: PINNED only.
 * KAAL_SIM_HANDOFF=pinned|spread in the environment fixes the mode
 * (measurements, tests); KAAL_SIM_HANDOFF_TRACE=1 prints every window.
 *
 * The `go` word of a thread: BATON_NONE, BATON_GO (given, not yet taken),
 * BATON_SPINNING (its owner spins on it) or BATON_ASLEEP (its owner sleeps
 * on it in the futex). Only the owner sets NONE, SPINNING and ASLEEP, and
 * only by a compare-and-swap from NONE or from its own SPINNING/ASLEEP,
 * which fails if GO came first; only a giver sets GO, by an atomic exchange,
 * and wakes the futex when it finds ASLEEP. The futex wait returns at once
 * unless the word still says ASLEEP. So no give is lost, and EINTR or a
 * spurious wake-up just means "look at the word again".
 *
 * Spin slots: at most one spinner per host CPU but the one the baton holder
 * needs (eng.spinners). A giver that finds its target SPINNING takes over
 * the target's slot, since the target stops spinning: in a ping-pong the
 * slot goes back and forth with the baton and the giver may spin at once.
 */
enum { BATON_NONE, BATON_GO, BATON_SPINNING, BATON_ASLEEP };
/* How a component thread comes (back) to its start loop: sigsetjmp's answer. */
enum { START_FIRST, START_AGAIN, START_END };
enum handoff_mode { HANDOFF_PINNED, HANDOFF_SPREAD };

/* How long a thread spins for the baton before it sleeps: about one cross-CPU wake-up. */
#define HANDOFF_SPIN_NS 30000u
/* The controller's window, and the gaps between probes of the other mode (in windows). */
#define HANDOFF_WINDOW_NS 10000000u
#define HANDOFF_PROBE_GAP_MIN 4u
#define HANDOFF_PROBE_GAP_MAX 256u
/* SPREAD's cost counts this many times (see above). */
#define HANDOFF_SPREAD_WEIGHT 1.5
/* A probe wins when it costs under this share of the running average of the mode before it. */
#define HANDOFF_PROBE_WIN 0.9
/* No probe before the longest gap while the mode in use costs under this share of the other. */
#define HANDOFF_CLEAR_WIN 0.5
/* The clock is read once per this many handoffs. */
#define HANDOFF_CLOCK_EVERY 64u

/* One per host thread, on a cache line of its own: a spinner reads `go` there, in a loop. */
struct sim_thread {
    _Atomic uint32_t go; /* BATON_*: written by givers, read by the owner */
    _Atomic int cpu;     /* the host CPU this thread is pinned to (set by the thread itself; others read it as a hint) */
    unsigned id;         /* order of making, from 0 (the launcher) */
    /*
     * 1 while the thread runs engine or kernel code, or waits for the baton;
     * 0 only while it runs user code. Its own signal handlers read it.
     */
    volatile sig_atomic_t in_kernel;
    pthread_t pthread;
    struct tcb *tcb;     /* NULL for the hardware-model thread */
    struct sim_thread *next_made;
    sigjmp_buf start;    /* thread_main's start loop: a new pc starts there, the halt ends there */
} __attribute__((aligned(64)));

/* The mode controller; touched only by the thread holding the baton. */
struct handoff_control {
    bool adaptive;         /* false: the mode was fixed (environment, or one host CPU) */
    bool trace;
    bool probing;          /* the current window runs the other mode, on trial */
    unsigned probe_gap;    /* windows between probes */
    unsigned to_probe;     /* windows left before the next probe */
    unsigned since_probe;  /* windows since the last probe */
    uint64_t window_start; /* ns */
    uint64_t idle_ns;      /* time the idle thread slept in this window */
    uint64_t handoffs;     /* in this window */
    double cost[2];        /* weighted ns per handoff of each mode: a running average of its windows; 0: none yet */
};

static struct {
    struct sim_thread hw;    /* the launcher: hardware model and idle */
    struct sim_thread *made; /* every component thread, for the teardown */
    unsigned made_count;     /* for the next thread's id */
    cpu_set_t cpus;          /* the host CPUs the launcher could use when sim_run began (restored at its end) */
    int ncpus;
    int home;                /* the launcher's CPU: every thread's CPU in PINNED mode */
    _Atomic int mode;        /* enum handoff_mode; written by the baton holder, read by anyone */
    _Atomic int spinners;    /* threads spinning for the baton now */
    int max_spinners;        /* host CPUs minus the one the baton holder runs on */
    struct handoff_control ctl;
    _Atomic(struct sim_thread *) holder; /* the thread that took the baton last: the one a preemption signal goes to */
    uint64_t pending_since;  /* hardware loop: when it first saw a line pending that no thread took (0: none) */
    uint64_t next_kick;      /* hardware loop: when to signal the holder next */
    uint64_t jitter;         /* hardware loop: a pseudo-random state for the retry interval */
    uint64_t acks_seen;      /* hardware loop: sim_intc_acks() when pending_since was set */
    _Atomic int halted;
    struct sim_virtual_time virtual_time; /* idle == NULL: real time */
    uint64_t (*poll)(void *ctx);          /* the device models' clock (sim_boot_config) */
    bool (*idle_done)(void *ctx);         /* real time: asked when idle; true ends the run */
    void *idle_done_ctx;
    void *poll_ctx;
    _Atomic uint32_t wakeups;                /* bumped when a device raises a line: wakes the idle loop */
    uint64_t rng;
    int status;
    void *ram;
} eng;

static __thread struct sim_thread *self;

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ volatile("yield" ::: "memory")
#else
#define cpu_relax() atomic_signal_fence(memory_order_seq_cst)
#endif

/* The host's clock: the engine's own bookkeeping never reads the kernel's (virtual) one. */
static uint64_t now_ns(void)
{
    return sim_wall_ns();
}

static void futex_wait(_Atomic uint32_t *word, uint32_t expected, const struct timespec *timeout)
{
    /* EINTR, EAGAIN and ETIMEDOUT all mean "look at the word again": the callers loop. */
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, timeout, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *word)
{
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Pin the calling thread to one host CPU. */
static void move_to(struct sim_thread *me, int cpu)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0)
        atomic_store_explicit(&me->cpu, cpu, memory_order_relaxed);
}

/*
 * A host CPU of the run other than `avoid` (there is one: SPREAD needs two),
 * chosen by the thread's id so that spinners spread over more than two CPUs.
 */
static int cpu_other_than(int avoid, const struct sim_thread *me)
{
    int skip = (int)(me->id % (unsigned)(eng.ncpus - 1));
    for (int i = 1; i < CPU_SETSIZE; i++) {
        int c = (avoid + i) % CPU_SETSIZE;
        if (CPU_ISSET(c, &eng.cpus) && skip-- == 0)
            return c;
    }
    return avoid;
}

/* Hand the baton to t. True if t was spinning for it: its spin slot is the caller's now. */
static bool give(struct sim_thread *t)
{
    uint32_t was = atomic_exchange_explicit(&t->go, BATON_GO, memory_order_acq_rel);
    if (was == BATON_ASLEEP)
        futex_wake(&t->go);
    return was == BATON_SPINNING;
}

/* Take a baton that was given (the owner only). */
static bool try_take(struct sim_thread *me)
{
    if (atomic_load_explicit(&me->go, memory_order_acquire) != BATON_GO)
        return false;
    atomic_store_explicit(&me->go, BATON_NONE, memory_order_relaxed);
    atomic_store_explicit(&eng.holder, me, memory_order_relaxed);
    return true;
}

/* Sleep once on the word, until a give, a timeout (NULL: none), a signal or a spurious wake-up. */
static bool sleep_for_baton(struct sim_thread *me, const struct timespec *timeout)
{
    uint32_t seen = BATON_NONE;
    if (atomic_compare_exchange_strong(&me->go, &seen, BATON_ASLEEP))
        futex_wait(&me->go, BATON_ASLEEP, timeout);
    /* Still ASLEEP: nothing came; say so no more, so that a later giver does not wake in vain. */
    seen = BATON_ASLEEP;
    if (atomic_compare_exchange_strong(&me->go, &seen, BATON_NONE))
        return false;
    return try_take(me);
}

static bool take_spin_slot(void)
{
    int n = atomic_load_explicit(&eng.spinners, memory_order_relaxed);
    do {
        if (n >= eng.max_spinners)
            return false;
    } while (!atomic_compare_exchange_weak_explicit(&eng.spinners, &n, n + 1, memory_order_relaxed,
                                                    memory_order_relaxed));
    return true;
}

static void drop_spin_slot(void)
{
    atomic_fetch_sub_explicit(&eng.spinners, 1, memory_order_relaxed);
}

/*
 * Spin on the word for up to HANDOFF_SPIN_NS, pausing between looks; the
 * caller holds a spin slot. If the baton comes while the word says
 * SPINNING, the giver has taken the slot over; else it is dropped here.
 */
static bool spin_for_baton(struct sim_thread *me)
{
    uint32_t seen = BATON_NONE;
    if (!atomic_compare_exchange_strong(&me->go, &seen, BATON_SPINNING)) {
        drop_spin_slot(); /* GO came first: the giver saw no spinner */
        return try_take(me);
    }
    uint64_t deadline = 0; /* read the clock only once the first round of looks failed */
    do {
        for (unsigned i = 0; i < 64; i++) {
            if (try_take(me))
                return true;
            cpu_relax();
        }
        if (deadline == 0)
            deadline = now_ns() + HANDOFF_SPIN_NS;
    } while (now_ns() < deadline);
    seen = BATON_SPINNING;
    if (atomic_compare_exchange_strong(&me->go, &seen, BATON_NONE)) {
        drop_spin_slot();
        return false;
    }
    return try_take(me); /* GO came at the last moment, with the slot */
}

/*
 * Spin for the baton just given to `next`? Only in SPREAD mode and only for
 * a component thread (a baton handed to the idle thread waits for time).
 */
static bool spin_worth_it(struct sim_thread *me, struct sim_thread *next)
{
    return next != NULL && next != &eng.hw && me != &eng.hw &&
           atomic_load_explicit(&eng.mode, memory_order_relaxed) == HANDOFF_SPREAD;
}

/*
 * Wait for the baton after giving it to `next` (NULL: a new thread's first
 * wait); `slot`: the give took over a spin slot. A spinner never shares a
 * host CPU with the thread it waits for: it moves away first (once per pair,
 * in practice). On return the caller holds the CPU, on the CPU the mode
 * wants. A component thread woken by the teardown ends: it jumps back to
 * thread_main, which returns (from a signal handler too).
 */
static void park(struct sim_thread *me, struct sim_thread *next, bool slot)
{
    bool taken = false;
    if (spin_worth_it(me, next) && (slot || take_spin_slot())) {
        int there = atomic_load_explicit(&next->cpu, memory_order_relaxed);
        if (atomic_load_explicit(&me->cpu, memory_order_relaxed) == there)
            move_to(me, cpu_other_than(there, me));
        taken = spin_for_baton(me);
    } else if (slot) {
        drop_spin_slot();
    }
    while (!taken)
        taken = sleep_for_baton(me, NULL);
    if (atomic_load(&eng.halted) && me != &eng.hw)
        siglongjmp(me->start, START_END);
    if (atomic_load_explicit(&eng.mode, memory_order_relaxed) == HANDOFF_PINNED &&
        atomic_load_explicit(&me->cpu, memory_order_relaxed) != eng.home)
        move_to(me, eng.home);
}

static const char *mode_name(int mode)
{
    return mode == HANDOFF_SPREAD ? "spread" : "pinned";
}

/*
 * Close a controller window: its cost per handoff decides whether a probe of
 * the other mode is kept, or whether one starts now.
 */
static void control_window(uint64_t now)
{
    struct handoff_control *c = &eng.ctl;
    uint64_t busy = now - c->window_start;
    busy = busy > c->idle_ns ? busy - c->idle_ns : 0;
    int mode = atomic_load_explicit(&eng.mode, memory_order_relaxed);
    double ns = (double)busy / (double)c->handoffs;
    double cost = mode == HANDOFF_SPREAD ? ns * HANDOFF_SPREAD_WEIGHT : ns;
    int next = mode;
    const char *why = "stay";
    if (c->probing) {
        /* One window of the other mode against the running average of the mode in use before it. */
        c->probing = false;
        c->since_probe = 0;
        c->cost[mode] = cost;
        if (cost < c->cost[!mode] * HANDOFF_PROBE_WIN) {
            c->probe_gap = HANDOFF_PROBE_GAP_MIN;
            why = "the probe won";
        } else {
            next = !mode;
            c->probe_gap = c->probe_gap * 2 > HANDOFF_PROBE_GAP_MAX ? HANDOFF_PROBE_GAP_MAX : c->probe_gap * 2;
            why = "the probe lost";
        }
        c->to_probe = c->probe_gap;
    } else {
        /* A running average over about four windows: one stalled window does not decide alone. */
        c->cost[mode] = c->cost[mode] > 0 ? (3 * c->cost[mode] + cost) / 4 : cost;
        c->since_probe++;
        if (--c->to_probe == 0) {
            if (c->cost[!mode] > 0 && c->cost[mode] < c->cost[!mode] * HANDOFF_CLEAR_WIN &&
                c->since_probe < HANDOFF_PROBE_GAP_MAX) {
                c->to_probe = c->probe_gap; /* far ahead of the other mode: no probe yet */
            } else {
                c->probing = true;
                next = !mode;
                why = "probe";
            }
        }
    }
    if (c->trace)
        fprintf(stderr, "kaal-sim: handoff: %s %.0f ns per handoff (weighted %.0f; %llu handoffs, %.1f ms idle): %s -> %s\n",
                mode_name(mode), ns, cost, (unsigned long long)c->handoffs, (double)c->idle_ns / 1e6, why,
                mode_name(next));
    atomic_store_explicit(&eng.mode, next, memory_order_relaxed);
    c->window_start = now;
    c->idle_ns = 0;
    c->handoffs = 0;
}

/* The baton holder counts a handoff; now and then the window is closed. */
static void control_count(void)
{
    struct handoff_control *c = &eng.ctl;
    if (!c->adaptive || ++c->handoffs % HANDOFF_CLOCK_EVERY != 0)
        return;
    uint64_t now = now_ns();
    if (now - c->window_start >= HANDOFF_WINDOW_NS)
        control_window(now);
}

/* Set up the handoff for a run: the CPUs, the mode, the controller. The calling thread is the launcher. */
static void handoff_init(void)
{
    if (pthread_getaffinity_np(pthread_self(), sizeof eng.cpus, &eng.cpus) != 0) {
        CPU_ZERO(&eng.cpus);
        CPU_SET(0, &eng.cpus);
    }
    int cpu = sched_getcpu();
    eng.home = cpu >= 0 && CPU_ISSET(cpu, &eng.cpus) ? cpu : 0;
    eng.ncpus = CPU_COUNT(&eng.cpus);
    eng.max_spinners = eng.ncpus - 1;
    move_to(&eng.hw, eng.home);
    atomic_store(&eng.spinners, 0);

    const char *want = getenv("KAAL_SIM_HANDOFF");
    const char *trace = getenv("KAAL_SIM_HANDOFF_TRACE");
    int mode = eng.ncpus > 1 ? HANDOFF_SPREAD : HANDOFF_PINNED;
    bool adaptive = eng.ncpus > 1;
    if (want != NULL && strcmp(want, "pinned") == 0) {
        mode = HANDOFF_PINNED;
        adaptive = false;
    } else if (want != NULL && strcmp(want, "spread") == 0 && eng.ncpus > 1) {
        adaptive = false;
    } else if (want != NULL && *want != '\0' && strcmp(want, "adaptive") != 0 && strcmp(want, "spread") != 0) {
        fprintf(stderr, "kaal-sim: KAAL_SIM_HANDOFF='%s' is not pinned, spread or adaptive; adaptive it is\n", want);
    }
    atomic_store(&eng.mode, mode);
    eng.ctl = (struct handoff_control){
        .adaptive = adaptive,
        .trace = trace != NULL && *trace != '\0' && strcmp(trace, "0") != 0,
        .probe_gap = HANDOFF_PROBE_GAP_MIN,
        .to_probe = HANDOFF_PROBE_GAP_MIN,
        .window_start = now_ns(),
    };
}

/*
 * Signals
 * =======
 *
 * Two signals reach component threads: SIGSEGV/SIGBUS, raised by their own
 * stray accesses (fault.c), and SIM_PREEMPT_SIGNAL, sent by the hardware
 * loop to the baton holder when an interrupt line stays pending (preempt.c).
 * A handler that acts enters the kernel right there, on the thread's signal
 * stack, and parks inside the handler until the kernel runs the thread again:
 * exactly what a syscall does inside sim_syscall. While it waits, the TCB's
 * pc is the interrupted pc (what a fault message and ReadRegisters show);
 * when the thread runs again with that pc unchanged, the handler returns and
 * the interrupted code goes on (a faulting access is retried); with another
 * pc (a fault handler's RESUME_AT, or WriteRegisters), the thread jumps back
 * to its start loop in thread_main and starts there.
 *
 * Why a signal cannot break the baton protocol:
 *   - a handler acts only on a thread it could claim (sim_signal_claim):
 *     one that carries a TCB and whose in_kernel flag is 0, which the claim
 *     sets to 1 before the handler does anything else; the preemption
 *     handler also wants the interrupted pc in a component's code
 *     (sim_in_component_code), and gives the claim back if not. in_kernel
 *     is set before the thread's first engine step (give, park, try_take,
 *     run_current, the kernel) and cleared only after its last one, around
 *     every kernel entry: sim_syscall, thread_main, the signal entries below,
 *     hal_cpu_halt; a new thread starts with it set. A signal compiler fence
 *     keeps the flag's stores on the right side of those steps;
 *   - so a thread found with in_kernel 0 runs user code, and only the baton
 *     holder does that. It is the kernel's current thread, between two
 *     kernel entries, in the very state a syscall would enter from;
 *   - a handler that does not act touches nothing but its own flag and the
 *     code-range table (atomics); the thread goes on where it was. In the
 *     middle of a handoff that is harmless: the go word only changes by
 *     atomic exchange and compare-and-swap, and a futex wait cut short by
 *     EINTR looks at the word again (see "The handoff");
 *   - the hardware loop, which also takes batons, is never signalled by the
 *     engine, and its handlers would find no TCB;
 *   - nested signals: the fault handler blocks the preemption signal, the
 *     preemption handler blocks itself, and a fault inside either one after
 *     the claim (in the handler's own decoding, sim_window_address, the
 *     kernel) finds in_kernel 1, so it goes to the previous handler: a
 *     crash with a report, not a VM fault, and no loop.
 * What a parked handler calls is async-signal-safe in practice: atomics, the
 * futex, the vDSO clock, sched_setaffinity; and the kernel, which uses no
 * libc but the console's write(). Making a host thread for a TCB that never
 * ran before (pthread_create, malloc) is not: it is safe only because the
 * interrupted code is a component's own, not libc's, which holds for
 * preemption (the pc check) but not for a fault inside libc, e.g. in a
 * malloc whose heap a component wrecked (docs/sim.md, "Limits").
 */

static void *thread_main(void *arg);

/*
 * Deterministic runs: a kernel entry costs 1-2 us of virtual time, the
 * fraction drawn from the seed (xorshift64*), so a seed decides where the
 * timeslices end. Only the baton holder enters the kernel: no race on rng.
 */
static void virtual_entry_cost(void)
{
    uint64_t x = eng.rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    eng.rng = x;
    sim_time_advance(1000u + ((x * 0x2545f4914f6cdd1dull) >> 54));
}

static inline void enter_kernel(struct sim_thread *me)
{
    me->in_kernel = 1;
    atomic_signal_fence(memory_order_seq_cst);
    if (eng.virtual_time.idle != NULL)
        virtual_entry_cost();
}

static inline void leave_kernel(struct sim_thread *me)
{
    atomic_signal_fence(memory_order_seq_cst);
    me->in_kernel = 0;
}

/*
 * The host thread of a TCB, made if it has none yet. The new thread starts by
 * waiting for the baton, and all bookkeeping is done before it exists, so it
 * never races its creator.
 */
static struct sim_thread *host_thread(struct tcb *t)
{
    if (t->ctx.thread != NULL)
        return t->ctx.thread;
    struct sim_thread *st = aligned_alloc(_Alignof(struct sim_thread), sizeof *st);
    if (st == NULL) {
        fprintf(stderr, "kaal-sim: out of host memory for a thread\n");
        abort();
    }
    memset(st, 0, sizeof *st);
    st->cpu = eng.home;
    st->id = ++eng.made_count;
    st->in_kernel = 1; /* until its entry point runs */
    st->tcb = t;
    st->next_made = eng.made;
    eng.made = st;
    t->ctx.thread = st;
    cpu_set_t home;
    CPU_ZERO(&home);
    CPU_SET(eng.home, &home);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setaffinity_np(&attr, sizeof home, &home);
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
    struct sim_thread *t = next == &ks.idle ? &eng.hw : host_thread(next);
    if (t == me)
        return true;
    control_count();
    bool slot = give(t);
    if (me == &eng.hw) {
        if (slot)
            drop_spin_slot(); /* the idle thread never spins */
        return false;
    }
    park(me, t, slot);
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
    struct sim_thread *me = self;
    struct tcb *t = me->tcb;
    enter_kernel(me);
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
    leave_kernel(me);
}

void *sim_ipc_buffer(void)
{
    return self != NULL && self->tcb != NULL ? tcb_ipc_buffer(self->tcb) : NULL;
}

bool sim_signal_claim(void)
{
    struct sim_thread *me = self;
    if (me == NULL || me->tcb == NULL || me->in_kernel)
        return false;
    enter_kernel(me);
    return true;
}

void sim_signal_unclaim(void)
{
    leave_kernel(self);
}

const struct tcb *sim_self_tcb(void)
{
    return self != NULL ? self->tcb : NULL;
}

/* A handler that claimed the thread enters the kernel: the TCB's pc becomes the interrupted one. Returns the pc it had. */
static kaal_word_t signal_enter(struct sim_thread *me, uintptr_t pc)
{
    struct hal_context *ctx = &me->tcb->ctx;
    kaal_word_t start = hal_ctx_pc(ctx);
    hal_ctx_set_pc(ctx, (kaal_word_t)pc);
    return start;
}

/* The thread runs again: go on where it was, or start over at a new pc (see "Signals"). */
static void signal_return(struct sim_thread *me, uintptr_t pc, kaal_word_t start)
{
    struct hal_context *ctx = &me->tcb->ctx;
    if (hal_ctx_pc(ctx) != (kaal_word_t)pc)
        siglongjmp(me->start, START_AGAIN);
    hal_ctx_set_pc(ctx, start);
    leave_kernel(me);
}

void sim_enter_vm_fault(uintptr_t pc, kaal_word_t address, kaal_word_t access, kaal_word_t code)
{
    struct sim_thread *me = self;
    kaal_word_t start = signal_enter(me, pc);
    kernel_vm_fault(address, access, code);
    run_current();
    signal_return(me, pc, start);
}

void sim_enter_preempted(uintptr_t pc)
{
    struct sim_thread *me = self;
    kaal_word_t start = signal_enter(me, pc);
    take_interrupts();
    signal_return(me, pc, start);
}

static void *thread_main(void *arg)
{
    struct sim_thread *me = arg;
    self = me;
    sim_signals_thread_start();
    int how = sigsetjmp(me->start, 1);
    if (how == START_END) {
        sim_signals_thread_end(); /* off the signal stack by now: the jump left it */
        return NULL;
    }
    if (how == START_FIRST)
        park(me, NULL, false);
    for (;;) {
        struct hal_context *ctx = &me->tcb->ctx;
        kaal_word_t pc = hal_ctx_pc(ctx);
        if (pc == 0) {
            kernel_user_exception(SIM_EXCEPTION_NO_ENTRY, 0);
        } else {
            /* gdb lists threads by name: a thread starting in a component carries the component's. */
            const char *component = sim_component_name_at((uintptr_t)pc);
            if (component != NULL) {
                char name[16];
                snprintf(name, sizeof name, "%s", component);
                pthread_setname_np(pthread_self(), name);
            }
            void (*entry)(kaal_word_t, kaal_word_t, kaal_word_t) =
                (void (*)(kaal_word_t, kaal_word_t, kaal_word_t))(uintptr_t)pc;
            kaal_word_t a0 = hal_ctx_get(ctx, HAL_REG_CPTR), a1 = hal_ctx_get(ctx, HAL_REG_MSGINFO),
                        a2 = hal_ctx_get(ctx, HAL_REG_MR0);
            leave_kernel(me);
            entry(a0, a1, a2);
            enter_kernel(me);
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
    struct sim_thread *me = self;
    if (me != NULL)
        enter_kernel(me);
    eng.status = status;
    atomic_store(&eng.halted, 1);
    give(&eng.hw);
    if (me != NULL && me->tcb != NULL)
        siglongjmp(me->start, START_END);
    pthread_exit(NULL);
}

void hal_cpu_idle(void)
{
    /* The idle thread is the hardware-model loop in sim_run(); the kernel never calls this on the sim. */
}

int sim_boot(size_t ram_bytes)
{
    return sim_boot_machine(&(struct sim_boot_config){.ram_bytes = ram_bytes});
}

#define SIM_MAX_BOOT_REGIONS 16u

int sim_boot_machine(const struct sim_boot_config *config)
{
    size_t align = (size_t)1 << 21, page = 4096;
    size_t ram_bytes = (config->ram_bytes + align - 1) & ~(align - 1);
    if (1 + config->module_count + config->device_count > SIM_MAX_BOOT_REGIONS) {
        fprintf(stderr, "kaal-sim: at most %u boot regions (RAM, modules, devices)\n", SIM_MAX_BOOT_REGIONS);
        return -1;
    }
    /* Modules go at the top of guest RAM, each from a page boundary; the RAM below is the kernel's. */
    size_t module_bytes = 0;
    for (unsigned i = 0; i < config->module_count; i++)
        module_bytes += (config->modules[i].size + page - 1) & ~(page - 1);
    if (module_bytes >= ram_bytes) {
        fprintf(stderr, "kaal-sim: %zu bytes of boot modules do not fit in %zu bytes of guest RAM\n", module_bytes,
                ram_bytes);
        return -1;
    }
    eng.ram = sim_ram_create(ram_bytes, align);
    if (eng.ram == NULL)
        return -1; /* the reason is on stderr */
    sim_intc_reset();
    sim_timer_reset();
    struct boot_region regions[SIM_MAX_BOOT_REGIONS];
    unsigned count = 0;
    uintptr_t at = (uintptr_t)eng.ram + ram_bytes - module_bytes;
    if (config->layout != NULL) {
        struct sim_boot_region laid[SIM_MAX_BOOT_REGIONS];
        unsigned room = SIM_MAX_BOOT_REGIONS - config->module_count - config->device_count;
        int n = config->layout(config->layout_ctx, eng.ram, at - (uintptr_t)eng.ram, laid, room);
        if (n < 0) {
            sim_ram_destroy();
            eng.ram = NULL;
            return -1; /* the layout said why */
        }
        for (int i = 0; i < n; i++)
            regions[count++] = (struct boot_region){.kaddr = laid[i].base, .size = laid[i].size,
                                                    .is_device = laid[i].kind == SIM_REGION_DEVICE,
                                                    .zeroed = laid[i].kind == SIM_REGION_RAM,
                                                    .module = laid[i].kind == SIM_REGION_DTB ? KAAL_MODULE_DTB : 0};
    } else {
        regions[count++] =
            (struct boot_region){.kaddr = (uintptr_t)eng.ram, .size = at - (uintptr_t)eng.ram, .zeroed = true};
    }
    eng.poll = config->poll;
    eng.poll_ctx = config->poll_ctx;
    for (unsigned i = 0; i < config->module_count; i++) {
        const struct sim_boot_module *m = &config->modules[i];
        memcpy((void *)at, m->data, m->size);
        regions[count++] = (struct boot_region){.kaddr = at, .size = m->size, .module = (uint8_t)m->kind};
        at += (m->size + page - 1) & ~(page - 1);
    }
    for (unsigned i = 0; i < config->device_count; i++)
        regions[count++] = (struct boot_region){.kaddr = config->devices[i].paddr, .size = config->devices[i].size,
                                                .is_device = true};
    enum boot_status status = kernel_boot(regions, count);
    if (status != BOOT_OK) {
        fprintf(stderr, "kaal-sim: the kernel did not boot: %s\n", boot_status_name(status));
        sim_ram_destroy();
        eng.ram = NULL;
        return -1;
    }
    return 0;
}

/*
 * Preemption, the hardware loop's side: a line pending that no thread takes
 * within SIM_PREEMPT_GRACE_NS means the holder runs without entering the
 * kernel, so it gets the preemption signal; again every SIM_PREEMPT_RETRY_NS
 * while the line stays pending (the signal finds the thread where it is,
 * maybe in libc, and then does nothing). Called while the loop does not hold
 * the CPU; returns when to look again (0: nothing pending).
 *
 * The loop wakes for the look even when the line was taken long before, and
 * a wake-up costs a host context switch on the holder's CPU in PINNED mode:
 * the first look comes SIM_PREEMPT_LOOK_SLACK_NS after the grace, by when a
 * holder that took the tick has its next tick due too, so both are one
 * wake-up; the ack count tells that the line pending then is a new one.
 */
static uint64_t watch_pending(uint64_t now)
{
    if (!sim_intc_any_pending()) {
        eng.pending_since = 0;
        return 0;
    }
    /* Pending since a line was taken (or for the first time): the grace starts now. */
    uint64_t acks = sim_intc_acks();
    if (eng.pending_since == 0 || acks != eng.acks_seen) {
        eng.pending_since = now;
        eng.acks_seen = acks;
        eng.next_kick = now + SIM_PREEMPT_GRACE_NS + SIM_PREEMPT_LOOK_SLACK_NS;
    }
    if (now >= eng.next_kick) {
        struct sim_thread *h = atomic_load_explicit(&eng.holder, memory_order_relaxed);
        if (h != NULL && h != &eng.hw)
            sim_preempt_kick(h->pthread);
        /*
         * Retry at a jittered interval, from half to one and a half times
         * SIM_PREEMPT_RETRY_NS: a fixed one can lock in phase with a loop that
         * calls into libc at a steady rate, and then every signal finds it in
         * libc (seen: 120 in a row).
         */
        eng.jitter = eng.jitter * 6364136223846793005u + 1442695040888963407u; /* an LCG: Knuth's MMIX constants */
        eng.next_kick = now + SIM_PREEMPT_RETRY_NS / 2 + (eng.jitter >> 33) % SIM_PREEMPT_RETRY_NS;
    }
    return eng.next_kick;
}

void sim_set_idle_check(bool (*done)(void *ctx), void *ctx)
{
    eng.idle_done = done;
    eng.idle_done_ctx = ctx;
}

void sim_engine_wake(void)
{
    atomic_fetch_add(&eng.wakeups, 1);
    futex_wake(&eng.wakeups);
}

/* The hardware-model loop: time, the timer line, preemption, and the CPU while idle. */
static void hardware_loop(void)
{
    bool holding = false;
    while (!atomic_load(&eng.halted)) {
        uint32_t wakeups = atomic_load(&eng.wakeups); /* before looking: a raise after this ends the idle wait */
        uint64_t deadline = sim_timer_deadline();
        uint64_t now = now_ns();
        if (deadline != 0 && now >= deadline) {
            sim_timer_expire();
            deadline = 0;
        }
        if (!holding)
            holding = try_take(&eng.hw);
        if (atomic_load(&eng.halted))
            break;
        if (holding && sim_intc_any_pending()) {
            kernel_interrupt();
            holding = run_current();
            continue;
        }
        uint64_t wake = deadline == 0 ? now + 100000000u : deadline; /* re-check at least every 100 ms */
        uint64_t model = eng.poll != NULL ? eng.poll(eng.poll_ctx) : UINT64_MAX;
        if (model < wake - now)
            wake = now + model;
        if (holding) {
            eng.pending_since = 0;
        } else {
            uint64_t look = watch_pending(now);
            if (look != 0 && look < wake)
                wake = look;
        }
        uint64_t wait = wake > now ? wake - now : 0;
        struct timespec ts = {.tv_sec = (time_t)(wait / 1000000000u), .tv_nsec = (long)(wait % 1000000000u)};
        if (holding && eng.idle_done != NULL && eng.idle_done(eng.idle_done_ctx)) {
            eng.status = 0;
            atomic_store(&eng.halted, 1);
            break;
        }
        if (holding) {
            /* Idle: only time or a device can bring work. EINTR or a spurious wake-up: look again. */
            futex_wait(&eng.wakeups, wakeups, &ts);
            eng.ctl.idle_ns += now_ns() - now; /* not the handoff's cost */
        } else {
            holding = sleep_for_baton(&eng.hw, &ts);
        }
    }
}

void sim_set_virtual_time(const struct sim_virtual_time *vt)
{
    eng.virtual_time = vt != NULL ? *vt : (struct sim_virtual_time){0};
    eng.rng = (vt != NULL ? vt->seed : 0) * 2 + 0x9e3779b97f4a7c15ull; /* never 0: xorshift stays at 0 */
    sim_time_use_virtual(vt != NULL && vt->idle != NULL);
}

/*
 * The hardware loop of a deterministic run: no host time at all. While a
 * component holds the CPU the loop sleeps until the baton comes back (time
 * moves at kernel entries, which raise the timer line themselves); when the
 * system is idle, pending lines go to the kernel, else the idle hook brings
 * the next event or ends the run.
 */
static void virtual_hardware_loop(void)
{
    bool holding = false;
    while (!atomic_load(&eng.halted)) {
        if (!holding) {
            holding = sleep_for_baton(&eng.hw, NULL);
            continue;
        }
        if (sim_intc_any_pending()) {
            kernel_interrupt();
            holding = run_current();
            continue;
        }
        if (!eng.virtual_time.idle(eng.virtual_time.ctx)) {
            eng.status = 0;
            atomic_store(&eng.halted, 1);
        }
    }
}

int sim_run(void (*entry)(kaal_word_t, kaal_word_t, kaal_word_t))
{
    self = &eng.hw;
    atomic_store(&eng.halted, 0);
    atomic_store(&eng.hw.go, BATON_NONE);
    atomic_store(&eng.holder, &eng.hw);
    eng.pending_since = 0;
    handoff_init();
    eng.made = NULL;
    eng.made_count = 0;
    sim_signals_install();

    struct tcb *root = ks.current;
    hal_ctx_set_pc(&root->ctx, (kaal_word_t)(uintptr_t)entry);
    hal_ctx_set(&root->ctx, HAL_REG_CPTR, (kaal_word_t)(uintptr_t)tcb_ipc_buffer(root));
    struct slot *root_cnode = (struct slot *)(uintptr_t)root->slots[TCB_SLOT_CSPACE].cap.obj;
    hal_ctx_set(&root->ctx, HAL_REG_MSGINFO, root_cnode[KAAL_ROOT_SLOT_BOOTINFO].cap.obj);
    give(host_thread(root));
    if (eng.virtual_time.idle != NULL)
        virtual_hardware_loop();
    else
        hardware_loop();

    /*
     * Halted. Every other thread is parked (only the baton holder runs, and
     * it halted): in sim_syscall, or inside a signal handler (a thread
     * preempted in a busy loop, one stopped at a fault). Wake each: it jumps
     * back to thread_main and ends. pthread_join does not fail with EINTR.
     */
    for (struct sim_thread *t = eng.made; t != NULL; t = t->next_made)
        give(t);
    /*
     * Every thread ends before any is freed: a thread that gave the baton
     * just before the halt may still read the receiver's sim_thread on its
     * way into park() (its CPU, in SPREAD mode) after the receiver ended.
     */
    for (struct sim_thread *t = eng.made; t != NULL; t = t->next_made)
        pthread_join(t->pthread, NULL);
    while (eng.made != NULL) {
        struct sim_thread *t = eng.made;
        eng.made = t->next_made;
        free(t);
    }
    sim_signals_restore();
    sim_ram_destroy();
    sim_set_virtual_time(NULL); /* each run chooses its clock and its end anew */
    sim_set_idle_check(NULL, NULL);
    eng.ram = NULL;
    pthread_setaffinity_np(pthread_self(), sizeof eng.cpus, &eng.cpus);
    return eng.status;
}
