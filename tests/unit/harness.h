/*
 * Unit-test harness: boots the kernel core over host memory and issues
 * invocations as the root thread, exactly through the syscall entry, checking
 * every kernel invariant after every call.
 *
 * The root CNode has 2^12 slots and a 52-bit guard of 0, so a CPtr below 4096
 * names a root slot at depth 64 (KT_DEPTH).
 */
#ifndef KAAL_TESTS_HARNESS_H
#define KAAL_TESTS_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <kaal/abi/bootinfo.h>
#include <kaal/abi/errors.h>
#include <kaal/abi/message.h>
#include <kaal/abi/objects.h>
#include <kaal/abi/syscalls.h>
#include <kaal/core/boot.h>
#include <kaal/core/cap.h>
#include <kaal/core/invariants.h>
#include <kaal/core/kernel.h>

#include "hal_double.h"
#include "kernel_driver.h"

#define KT_DEPTH 64u
#define KT_ROOT KAAL_ROOT_SLOT_CNODE
#define KT_RAM_BITS 23u /* 8 MiB of test RAM */
#define KT_DEVICE_BASE 0x100000000000ull /* a device range the kernel must never touch */
#define KT_DEVICE_BITS 21u

struct kresult {
    enum kaal_error code;
    kaal_word_t count; /* detail words */
    kaal_word_t mr[8];
};

/* cmocka group setup/teardown: boot a fresh kernel for every test. */
int kt_setup(void **state);
int kt_teardown(void **state);

/* The boot info, the root CNode slots, and the first free slot. */
const struct kaal_bootinfo *kt_bootinfo(void);
struct slot *kt_slot(kaal_word_t index);
kaal_word_t kt_first_untyped(void); /* the largest RAM untyped's slot */

/* One invocation of cptr as the root thread; the invariants are checked after it. */
struct kresult kt_invoke(kaal_word_t cptr, kaal_word_t label, const kaal_word_t *args, unsigned nargs,
                         const kaal_word_t *caps, unsigned ncaps);
/* The same, with the raw message info word and syscall number (for malformed requests). */
struct kresult kt_raw(kaal_word_t sysno, kaal_word_t cptr, kaal_word_t msginfo, const kaal_word_t *args,
                      unsigned nargs, const kaal_word_t *caps, unsigned ncaps);

/* Wrappers in the argument order of docs/ABI.md; every CPtr is looked up at depth 64 in the root CNode. */
struct kresult kt_retype(kaal_word_t ut, kaal_word_t type, kaal_word_t size, kaal_word_t dest_index,
                         kaal_word_t dest_depth, kaal_word_t offset, kaal_word_t num);
struct kresult kt_copy(kaal_word_t dest, kaal_word_t src, kaal_word_t rights);
struct kresult kt_mint(kaal_word_t dest, kaal_word_t src, kaal_word_t rights, kaal_word_t data);
struct kresult kt_move(kaal_word_t dest, kaal_word_t src);
struct kresult kt_mutate(kaal_word_t dest, kaal_word_t src, kaal_word_t data);
struct kresult kt_delete(kaal_word_t index);
struct kresult kt_revoke(kaal_word_t index);

/* After a test calls kernel_boot() itself: make the harness use the new root thread and CNode. */
void kt_adopt_boot(void);

/* The root thread (made at boot). */
struct tcb *kt_root_thread(void);

/*
 * A new thread sharing the root CNode as its CSpace: TCB in root slot
 * first_slot, its VSpace and IPC buffer frame in the next two, at
 * `priority`, runnable. The acting thread stays the acting thread.
 */
struct tcb *kt_thread(kaal_word_t first_slot, kaal_word_t priority);

/* Let runnable thread t make the next syscall (the test plays scheduler). */
void kt_act(struct tcb *t);

/* Fail the test with the checker's report if any invariant is broken. */
void kt_check(void);

/* Was a line containing `text` logged since the last call to kt_invoke? */
int kt_logged(const char *text);

#define assert_ok(r) assert_int_equal((r).code, KAAL_OK)
#define assert_err(r, e) assert_int_equal((r).code, (e))

/* Walk the whole derivation tree (preorder); NULL after the last cap. */
const struct slot *kt_next_cap(const struct slot *n);
/* Number of caps in the derivation tree. */
kaal_word_t kt_count_caps(void);
/* Does `a` descend from `ancestor` in the derivation tree? */
int kt_descends(const struct slot *a, const struct slot *ancestor);

/*
 * "A rejected call changes nothing": a copy of all kernel state (test RAM and
 * ks) taken before a call. The caller's registers and IPC buffer carry the
 * request and the answer, so they are the only bytes allowed to differ.
 */
struct kt_snapshot {
    unsigned char *ram;
    struct kernel_state ks;
};
void kt_snapshot_take(struct kt_snapshot *s);
/* Fail if kernel state differs from the snapshot; releases it either way. */
void kt_snapshot_assert_same(struct kt_snapshot *s);

/* r was refused with code e, changed nothing since snap and (debug builds) logged its reason. */
void kt_assert_rejected(struct kt_snapshot *snap, struct kresult r, enum kaal_error e);

/* r = call, which must be refused with e and leave the kernel exactly as it was. */
#define KT_REJECT(r, call, e)                                                                      \
    do {                                                                                           \
        struct kt_snapshot kt_snap_;                                                               \
        kt_snapshot_take(&kt_snap_);                                                               \
        (r) = (call);                                                                              \
        kt_assert_rejected(&kt_snap_, (r), (e));                                                   \
    } while (0)

/* r succeeded and nothing was logged as a rejection. */
void kt_assert_success(struct kresult r);

/* The answer carries exactly these detail words. */
void kt_assert_detail(struct kresult r, const kaal_word_t *want, size_t n);
#define assert_detail(r, ...)                                                                      \
    kt_assert_detail((r), (const kaal_word_t[]){__VA_ARGS__},                                      \
                     sizeof((const kaal_word_t[]){__VA_ARGS__}) / sizeof(kaal_word_t))

/* ---- IPC and notification helpers (test_ipc.c, test_notification.c) ---- */

#include <kaal/core/ipc.h>

/* Give the thread whose TCB is in root slot first_slot (made by kt_thread) a fault endpoint (0: none). */
void kt_set_fault_endpoint(kaal_word_t first_slot, kaal_word_t fault_cptr);

/* Where t's incoming caps go: a CNode CPtr in t's CSpace, then index and depth inside that CNode. */
void kt_set_receive_slot(struct tcb *t, kaal_word_t cnode, kaal_word_t index, kaal_word_t depth);

/* Number of caps of one type in the derivation tree (CAP_REPLY: reply caps held anywhere). */
kaal_word_t kt_count_caps_of_type(unsigned type);

/* q holds exactly these threads, in this order. */
void kt_assert_queue(const struct tcb_queue *q, struct tcb *const *want, size_t n);
#define assert_queue(q, ...)                                                                       \
    kt_assert_queue((q), (struct tcb *const[]){__VA_ARGS__},                                       \
                    sizeof((struct tcb *const[]){__VA_ARGS__}) / sizeof(struct tcb *))
#define assert_queue_empty(q) kt_assert_queue((q), NULL, 0)


/* ---- Thread, scheduler, interrupt and preemption helpers (test_tcb/sched/fault/irq/preempt.c) ---- */

/* The TCB whose cap is in root slot `slot`. */
struct tcb *kt_tcb(kaal_word_t slot);

/* The ready queue of `priority` holds exactly these threads, in this order, and its bitmap bits agree. */
void kt_assert_ready(unsigned priority, struct tcb *const *want, size_t n);
#define assert_ready(p, ...)                                                                       \
    kt_assert_ready((p), (struct tcb *const[]){__VA_ARGS__},                                       \
                    sizeof((struct tcb *const[]){__VA_ARGS__}) / sizeof(struct tcb *))
#define assert_ready_empty(p) kt_assert_ready((p), NULL, 0)

/* Make `line` pending at the double's interrupt controller, enter the kernel for it, check the invariants. */
void kt_interrupt(unsigned line);

/* Re-issue the acting thread's syscall if it was set to restart (kd_restart), then check the invariants. */
int kt_restart(void);

/* ---- end of thread, scheduler, interrupt and preemption helpers ---- */

#endif
