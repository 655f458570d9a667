/*
 * libFuzzer target: every syscall, issued by several threads, over a CSpace
 * seeded with every object type.
 *
 * Principle: each input first builds the same small world through the
 * syscall interface (three threads, endpoints with badged copies,
 * notifications, a CNode, frames, page tables, an Untyped, an IRQHandler, a
 * fault endpoint for one thread, a read-only frame of a boot module whose
 * bytes must never change); then the bytes are decoded into events:
 * a thread acts (any syscall number, a CPtr and message from a vocabulary of
 * meaningful values with raw words mixed in), an interrupt arrives, a thread
 * faults, a preempted syscall restarts. After every event the invariant
 * checker runs; a violation aborts, and so does any sanitizer report.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kaal/abi/bootinfo.h>
#include <kaal/abi/faults.h>
#include <kaal/abi/message.h>
#include <kaal/abi/objects.h>
#include <kaal/abi/syscalls.h>
#include <kaal/core/boot.h>
#include <kaal/core/entry.h>
#include <kaal/core/invariants.h>
#include <kaal/core/kernel.h>

#include "fuzz_common.h"
#include "hal_double.h"
#include "kernel_driver.h"

#define RAM_BITS 20u
#define ROOT KAAL_ROOT_SLOT_CNODE
#define DEPTH 64u
#define THREADS 3u

/* The world every input starts from: root CNode slots, above the boot untyped caps. */
enum {
    S_UT = 200, /* a 64 KiB untyped for the fuzzer to retype */
    S_EP, S_EP_BADGED, S_EP_RO, S_EP2,
    S_NTFN, S_NTFN_BADGED,
    S_CNODE, S_FRAME, S_VSPACE, S_PT,
    S_IRQ, S_FAULT_EP,
    S_PUD, S_PD, /* mapped at 0 in S_VSPACE; S_PT and S_FRAME are not mapped */
    S_MODULE,    /* a read-only frame of the boot module (moved here from the boot slots) */
    S_THREAD0 = 220, /* each thread: TCB, VSpace, IPC buffer frame, in 3 slots */
    S_FREE = 232,    /* first free slot; the fuzzer's caps go from here */
    S_END = 244,
};

static struct tcb *threads[THREADS + 1];
static kaal_word_t first_untyped;

static kaal_word_t word(struct input *in)
{
    static const kaal_word_t interesting[] = {
        0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 21, 22, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 48, 49, 50, 51,
        63, 64, 65, 72, 73, 74, 255, 256, 1024, 0x1000, 0x200000, 0x40000000, KAAL_RIGHTS_ALL, KAAL_RIGHT_READ, KAAL_RIGHT_WRITE, KAAL_RIGHT_GRANT,
        KAAL_CNODE_DATA(0, 2), UINT64_MAX, (kaal_word_t)1 << 63,
    };
    uint8_t sel = (uint8_t)take(in, 1);
    if (sel < 112)
        return sel < 8 ? KAAL_ROOT_SLOT_TCB + sel % 5 /* the root task's own caps */
                       : S_UT - 2 + sel % (S_END - S_UT + 2); /* the world */
    if (sel < 240)
        return interesting[sel % (sizeof interesting / sizeof interesting[0])];
    return take(in, 8);
}

/* A setup step that must work; the world is the same for every input. */
static void must(struct kd_result r)
{
    if (!r.answered || r.code != KAAL_OK) {
        fprintf(stderr, "fuzz_syscalls: setup step failed (code %d)\n", r.code);
        abort();
    }
}

static struct kd_result invoke(kaal_word_t cptr, kaal_word_t label, const kaal_word_t *args, unsigned nargs,
                               const kaal_word_t *caps, unsigned ncaps)
{
    return kd_syscall(KAAL_SYS_CALL, cptr, kaal_msginfo(label, 0, ncaps, nargs), args, nargs, caps, ncaps);
}

static void retype(kaal_word_t ut, kaal_word_t type, kaal_word_t size, kaal_word_t slot)
{
    kaal_word_t args[] = {type, size, 0, 0, slot, 1};
    kaal_word_t caps[] = {ROOT};
    must(invoke(ut, KAAL_UNTYPED_RETYPE, args, 6, caps, 1));
}

static void mint(kaal_word_t dest, kaal_word_t src, kaal_word_t rights, kaal_word_t badge)
{
    kaal_word_t args[] = {dest, DEPTH, src, DEPTH, rights, badge};
    kaal_word_t caps[] = {ROOT};
    must(invoke(ROOT, KAAL_CNODE_MINT, args, 6, caps, 1));
}

static struct tcb *make_thread(unsigned i, kaal_word_t fault_ep)
{
    kaal_word_t slot = S_THREAD0 + 3 * i;
    retype(first_untyped, KAAL_OBJ_TCB, 0, slot);
    retype(first_untyped, KAAL_OBJ_VSPACE, 0, slot + 1);
    retype(first_untyped, KAAL_OBJ_FRAME, 12, slot + 2);
    kaal_word_t args[] = {0, fault_ep};
    kaal_word_t caps[] = {ROOT, slot + 1, slot + 2};
    must(invoke(slot, KAAL_TCB_CONFIGURE, args, 2, caps, 3));
    kaal_word_t prio[] = {100 + i % 2};
    kaal_word_t authority[] = {KAAL_ROOT_SLOT_TCB};
    must(invoke(slot, KAAL_TCB_SET_PRIORITY, prio, 1, authority, 1));
    must(invoke(slot, KAAL_TCB_RESUME, NULL, 0, NULL, 0));
    return tcb_of(&((struct slot *)(uintptr_t)ks.current->slots[TCB_SLOT_CSPACE].cap.obj)[slot].cap);
}

static void *ram;
static void *module; /* two pages of boot module: the kernel must never write them */

static void build_world(void)
{
    struct boot_region regions[] = {
        {.kaddr = (uintptr_t)ram, .size = (kaal_word_t)1 << RAM_BITS},
        {.kaddr = 0x100000000000ull, .size = (kaal_word_t)1 << 21, .is_device = true},
        {.kaddr = (uintptr_t)module, .size = 4096 + 100, .module = KAAL_MODULE_DTB},
    };
    double_irq = (struct double_irq){.pending = HAL_IRQ_NONE, .count = 64, .timer_line = 30};
    if (kernel_boot(regions, 3) != BOOT_OK)
        abort();
    const struct kaal_bootinfo *bi =
        (const struct kaal_bootinfo *)(uintptr_t)((struct slot *)(uintptr_t)ks.current->slots[TCB_SLOT_CSPACE]
                                                      .cap.obj)[KAAL_ROOT_SLOT_BOOTINFO]
            .cap.obj;
    first_untyped = bi->untyped.start;
    for (kaal_word_t i = bi->untyped.start; i < bi->untyped.end; i++) {
        const struct kaal_untyped_desc *d = &bi->untyped_list[i - bi->untyped.start];
        if (!d->is_device && d->size_bits > bi->untyped_list[first_untyped - bi->untyped.start].size_bits)
            first_untyped = i;
    }
    retype(first_untyped, KAAL_OBJ_UNTYPED, 16, S_UT);
    retype(first_untyped, KAAL_OBJ_ENDPOINT, 0, S_EP);
    mint(S_EP_BADGED, S_EP, KAAL_RIGHTS_ALL, 0x5);
    mint(S_EP_RO, S_EP, KAAL_RIGHT_READ, 0);
    retype(first_untyped, KAAL_OBJ_ENDPOINT, 0, S_EP2);
    retype(first_untyped, KAAL_OBJ_NOTIFICATION, 0, S_NTFN);
    mint(S_NTFN_BADGED, S_NTFN, KAAL_RIGHTS_ALL, 0x30);
    retype(first_untyped, KAAL_OBJ_CNODE, 2, S_CNODE);
    retype(first_untyped, KAAL_OBJ_FRAME, 12, S_FRAME);
    retype(first_untyped, KAAL_OBJ_VSPACE, 0, S_VSPACE);
    retype(first_untyped, KAAL_OBJ_PAGE_TABLE, 0, S_PT);
    retype(first_untyped, KAAL_OBJ_PAGE_UPPER_DIR, 0, S_PUD);
    retype(first_untyped, KAAL_OBJ_PAGE_DIR, 0, S_PD);
    kaal_word_t at_zero[] = {0};
    kaal_word_t vspace_cap[] = {S_VSPACE};
    must(invoke(S_PUD, KAAL_PAGE_TABLE_MAP, at_zero, 1, vspace_cap, 1));
    must(invoke(S_PD, KAAL_PAGE_TABLE_MAP, at_zero, 1, vspace_cap, 1));
    kaal_word_t irq_args[] = {5, S_IRQ, DEPTH};
    kaal_word_t root_cap[] = {ROOT};
    must(invoke(KAAL_ROOT_SLOT_IRQ_CONTROL, KAAL_IRQ_CONTROL_GET, irq_args, 3, root_cap, 1));
    mint(S_FAULT_EP, S_EP2, KAAL_RIGHTS_ALL, 0x77);
    kaal_word_t move_args[] = {S_MODULE, DEPTH, bi->modules[0].frames.start, DEPTH};
    must(invoke(ROOT, KAAL_CNODE_MOVE, move_args, 4, root_cap, 1));
    threads[0] = ks.current; /* the root thread */
    for (unsigned i = 0; i < THREADS; i++)
        threads[i + 1] = make_thread(i, i == 0 ? S_FAULT_EP : 0);
}

static void event_syscall(struct input *in)
{
    uint8_t head = (uint8_t)take(in, 1);
    unsigned nargs = head & 7u;
    unsigned ncaps = (head >> 3) & 3u;
    kaal_word_t sysno = 1 + (head >> 5);             /* 1..8: every syscall */
    if ((head >> 5) == 7 && (in->left & 1))
        sysno = word(in);                            /* now and then an unknown one */
    kaal_word_t cptr = word(in);
    kaal_word_t label = word(in);
    kaal_word_t args[8], caps[KAAL_MSG_MAX_EXTRA_CAPS];
    for (unsigned i = 0; i < nargs; i++)
        args[i] = word(in);
    for (unsigned i = 0; i < ncaps; i++)
        caps[i] = word(in);
    kaal_word_t info = kaal_msginfo(label, 0, ncaps, nargs);
    struct kaal_ipc_buffer *buf = tcb_ipc_buffer(ks.current);
    if (buf != NULL && (head & 0x40)) { /* offer a receive slot for caps */
        buf->receive_cnode = ROOT;
        buf->receive_index = S_FREE + take(in, 1) % (S_END - S_FREE);
        buf->receive_depth = DEPTH;
    }
    kd_syscall(sysno, cptr, info, args, nargs, caps, ncaps);
}

/*
 * The world is built once through syscalls and checked; every input then
 * starts from a byte copy of it (RAM and kernel state at the same
 * addresses), which is what makes this target fast.
 */
static void restore_world(void)
{
    static void *ram_copy;
    static struct kernel_state ks_copy;
    if (ram == NULL) {
        ram = aligned_alloc((size_t)1 << RAM_BITS, (size_t)1 << RAM_BITS);
        ram_copy = malloc((size_t)1 << RAM_BITS);
        module = aligned_alloc(4096, 2 * 4096);
        if (ram == NULL || ram_copy == NULL || module == NULL)
            abort();
        memset(module, 0xd7, 2 * 4096);
        build_world();
        check();
        memcpy(ram_copy, ram, (size_t)1 << RAM_BITS);
        ks_copy = ks;
    }
    memcpy(ram, ram_copy, (size_t)1 << RAM_BITS);
    ks = ks_copy;
    double_vspace = (struct double_vspace){.user_top = (uint64_t)1 << 40};
    double_irq = (struct double_irq){.pending = HAL_IRQ_NONE, .count = 64, .timer_line = 30};
}

/* The boot module is read-only for everyone: its bytes never change. */
static void check_module(void)
{
    const uint8_t *m = module;
    for (unsigned i = 0; i < 2 * 4096; i++) {
        if (m[i] != 0xd7) {
            fprintf(stderr, "fuzz_syscalls: boot module byte %u was written\n", i);
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    restore_world();
    /* Machine_PowerOff is a fine thing to find: the input ends there (the next one starts afresh). */
    static jmp_buf halted;
    double_halt = (struct double_halt){.escape = &halted};
    if (setjmp(halted) != 0)
        return 0;
    struct input in = {data, size};
    while (in.left > 0) {
        uint8_t ev = (uint8_t)take(&in, 1);
        struct tcb *actor = threads[ev % (THREADS + 1)];
        switch ((ev >> 2) & 7u) {
        case 0: /* an interrupt: the timer, the fuzzer's IRQ line, or a line nobody owns */
            double_irq.pending = (ev & 0x80) ? 5 : (ev & 0x40) ? double_irq.timer_line : 9;
            kernel_interrupt();
            double_irq.pending = HAL_IRQ_NONE;
            break;
        case 1: /* a fault of the running thread */
            if (ks.current != &ks.idle) {
                if (ev & 0x80)
                    kernel_vm_fault(word(&in), take(&in, 1) & 7u, 0);
                else
                    kernel_user_exception(word(&in), 0);
            }
            break;
        case 2: /* the kernel's choice runs, and restarts its syscall if it must */
            if (!kd_restart() && ks.current != &ks.idle)
                event_syscall(&in);
            break;
        case 3: /* a syscall with an interrupt pending: long operations get preempted */
            if (kd_act_as(actor)) {
                double_irq.pending = 9;
                event_syscall(&in);
                double_irq.pending = HAL_IRQ_NONE;
            }
            break;
        default: /* the chosen thread makes a syscall, if it can run */
            if (kd_act_as(actor))
                event_syscall(&in);
            break;
        }
        check();
    }
    check_module();
    double_console_clear();
    return 0;
}
