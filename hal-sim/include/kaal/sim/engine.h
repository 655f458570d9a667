/*
 * The sim execution engine: the kernel core on host threads.
 *
 * One simulated CPU: exactly one host thread at a time holds it (the baton)
 * and only that thread runs component code or kernel code. A thread that
 * enters the kernel runs it on its own host stack; when the kernel picks
 * another thread, the baton is handed over and the caller parks. The launcher
 * thread becomes the hardware-model loop: it owns time, raises the timer
 * line, and holds the baton while the system is idle.
 *
 * See docs/sim.md.
 */
#ifndef KAAL_SIM_ENGINE_H
#define KAAL_SIM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kaal/abi/types.h>
#include <kaal/sim/bus.h>

/* The registers of one syscall, in and out (the roles of docs/ABI.md). */
struct sim_syscall_regs {
    kaal_word_t cptr;    /* in: the cap; out: the badge */
    kaal_word_t msginfo;
    kaal_word_t mr[4];
};

/*
 * Boot the kernel over `ram_bytes` of fresh host memory. Returns 0, or -1
 * with a message on stderr.
 */
int sim_boot(size_t ram_bytes);

/* A boot module: bytes the root task gets as read-only frames (KAAL_MODULE_* kind). */
struct sim_boot_module {
    unsigned kind;
    const void *data;
    size_t size;
};

/* A range of device physical addresses, handed to the root task as device untyped memory. */
struct sim_device_range {
    kaal_word_t paddr, size;
};

struct sim_boot_config {
    size_t ram_bytes;
    const struct sim_boot_module *modules; /* copied into the top of guest RAM */
    unsigned module_count;
    const struct sim_device_range *devices;
    unsigned device_count;
    /*
     * A machine's layout of the rest of guest RAM (below the modules),
     * called once RAM exists (<kaal/sim/bus.h>: it may write a device tree
     * there); NULL: all of it is RAM.
     */
    sim_layout_fn layout;
    void *layout_ctx;
    /*
     * The device models' clock: called by the hardware loop, returns the ns
     * until a model next needs a look (UINT64_MAX: none). NULL: none.
     */
    uint64_t (*poll)(void *ctx);
    void *poll_ctx;
};

/* Boot a machine: guest RAM, boot modules and device ranges. Returns 0, or -1 with a message on stderr. */
int sim_boot_machine(const struct sim_boot_config *config);

/*
 * Run the booted system: the root thread starts at entry(ipc_buffer,
 * bootinfo, 0), the addresses of its IPC buffer and of the boot info.
 * Returns the status given to sim_halt() once some thread halts the
 * machine; every host thread of the system has ended by then.
 */
int sim_run(void (*entry)(kaal_word_t, kaal_word_t, kaal_word_t));

/*
 * Deterministic runs (docs/sim.md, "Deterministic mode"): the kernel's clock
 * is virtual and moves by a cost per kernel entry (seeded jitter: the seed
 * decides where timeslices end) and by what the idle hook advances; no
 * signal preemption, no host time anywhere in the kernel's view. Given the
 * same seed and the same events from the idle hook, a run repeats exactly.
 * `idle` is called by the hardware loop whenever nothing can run: it brings
 * the next event (raises a line; it may advance the clock first) and returns
 * true, or returns false when no event will ever come, and the run ends with
 * status 0. It may block (for input). Call before sim_boot (the kernel sets
 * its first deadline at boot); NULL: real time. sim_run ends a run's choice.
 */
struct sim_virtual_time {
    uint64_t seed;
    bool (*idle)(void *ctx);
    void *ctx;
};
void sim_set_virtual_time(const struct sim_virtual_time *vt);

/* Deterministic runs: move the virtual clock (the timer line rises at its deadline). */
void sim_time_advance(uint64_t ns);

/* The kernel's clock (virtual in deterministic runs), in ns. */
uint64_t sim_time_now_ns(void);

/*
 * Real-time runs: `done` is asked whenever the system is idle (nothing to
 * run, no line pending); true ends the run with status 0 (the launcher: its
 * input ended and the system took every byte of it). Must not block. Set
 * before sim_run; sim_run ends a run's choice. NULL: never.
 */
void sim_set_idle_check(bool (*done)(void *ctx), void *ctx);

/* Keep the debug kernel's "kaal: reject: ..." lines off standard error (every other log line stays). */
void sim_console_mute_rejections(bool mute);

/* Stop the machine with a status (what sim_run returns). Called by a running thread; does not return. */
_Noreturn void sim_halt(int status);

/* A syscall by the calling thread (libkaal's sim side calls this). */
void sim_syscall(kaal_word_t sysno, struct sim_syscall_regs *regs);

/* The calling thread's IPC buffer, or NULL. */
void *sim_ipc_buffer(void);

/*
 * A device model raises interrupt line `line` (any host thread, a sim
 * thread or not). The kernel takes it at the next kernel entry; if the
 * running component makes none, the preemption signal brings one (within
 * about a tick plus SIM_PREEMPT_GRACE_NS, docs/sim.md "Preemption").
 */
void sim_irq_raise(unsigned line);

/*
 * A VM fault from SIGBUS carries this bit in its code word (KAAL_FAULT_VM_CODE),
 * beside the si_code; one from SIGSEGV carries the si_code alone.
 */
#define SIM_VM_FAULT_SIGBUS 0x100u

/* What the signal handlers did since the current (or last) sim_run began. */
struct sim_signal_stats {
    uint64_t kicks;       /* preemption signals the hardware loop sent */
    uint64_t preemptions; /* signals that found component code and entered the kernel */
    uint64_t deferred;    /* signals that found the thread elsewhere (libc, the engine, the kernel) and left it */
    uint64_t vm_faults;   /* SIGSEGV/SIGBUS made into VM faults */
    uint64_t chained;     /* SIGSEGV/SIGBUS passed on to the handler that was there before */
};
void sim_signal_stats(struct sim_signal_stats *out);

#endif
