/*
 * The qemu user-mode test: a root task at EL0, linked into the kernel image
 * (kaal-qemu-usertest.elf), that exercises the aarch64 backend's user mode
 * through the kernel's ABI and prints TAP by semihosting:
 *   - the boot info and TCB_GetInfo on itself;
 *   - Retype, PageTable_Map (a missing table is named), Frame_Map, a write
 *     through the mapping, a read-only copy of the frame at a second address;
 *   - faults its second thread handles through its fault endpoint: a NULL
 *     read (VM fault, address 0, read), a write to the read-only copy (VM
 *     fault, write), an undefined instruction (user exception with ESR), an
 *     unknown syscall; each resumed by the handler's reply;
 *   - FP/SIMD registers (q0..q31, FPCR, FPSR) and TPIDR_EL0 kept per thread
 *     across those switches and across timer preemption by a third thread;
 *   - the time of a null syscall and of a Call/ReplyRecv round trip with a
 *     fourth thread, by the virtual counter (instructions under -icount).
 * It exits with the number of failed tests as QEMU's status.
 */
#include <stdint.h>

#include <kaal/kaal.h>

#include "semihost.h"

#define DATA_VADDR 0x40000000ul    /* GiB 1: tables the test maps itself */
#define ALIAS_VADDR 0x40001000ul   /* a read-only copy of the data frame */
#define HANDLER_BUFFER 0x40002000ul
#define SPINNER_BUFFER 0x40003000ul
#define PONG_BUFFER 0x40004000ul
#define BENCH_ROUNDS 1000u
#define SEED_MAIN 0x1000ul
#define SEED_HANDLER 0x2000ul
#define SEED_SPIN_MAIN 0x3001ul
#define SEED_SPINNER 0x4002ul
#define SPIN_LIMIT (1ul << 30)

#define ESR_EC(esr) (((esr) >> 26) & 0x3fu)

/* fp.S */
unsigned fp_across_fault(uint64_t seed);
unsigned fp_reply_recv(uint64_t seed, uint64_t regs[6]);
unsigned fp_until_changed(uint64_t seed, volatile uint64_t *word, uint64_t limit);
_Noreturn void fp_spin(uint64_t seed, volatile uint64_t counters[2]);
extern char fp_fault_insn[];

static unsigned tests, failures;

/* ---- output ---- */

static void put(const char *s) { semihost_write(s); }

static char *fmt_u(char *p, uint64_t v, unsigned base)
{
    char tmp[24];
    unsigned n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v != 0);
    if (base == 16) {
        *p++ = '0';
        *p++ = 'x';
    }
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

static char *fmt_s(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    return p;
}

/* One TAP line: "ok N - what" or "not ok N - what # got <got>". */
static void check(int ok, const char *what, uint64_t got)
{
    char line[160], *p = line;
    tests++;
    if (!ok)
        failures++;
    p = fmt_s(p, ok ? "ok " : "not ok ");
    p = fmt_u(p, tests, 10);
    p = fmt_s(p, " - ");
    p = fmt_s(p, what);
    if (!ok) {
        p = fmt_s(p, " # got ");
        p = fmt_u(p, got, 16);
    }
    *p++ = '\n';
    *p = 0;
    put(line);
}

/* ---- the fault handler thread ---- */

static volatile struct {
    uint64_t count;     /* faults received */
    uint64_t label;     /* of the last one */
    uint64_t words[4];  /* its MR0..MR3 */
    uint64_t badge;
    uint64_t fp_errors; /* the handler's own registers after an fp_reply_recv round */
    int fp_round;       /* main asks: answer the next fault with fp_reply_recv */
} fault;

static kaal_cptr_t fault_ep, main_tcb;

/* Record the fault in regs (badge, info, MR0..MR3) and build the reply: regs = (cap, info, MR0..MR3). */
static void answer(uint64_t regs[6])
{
    fault.badge = regs[0];
    fault.label = kaal_msginfo_label(regs[1]);
    for (unsigned i = 0; i < 4; i++)
        fault.words[i] = regs[2 + i];
    fault.count++;
    regs[0] = fault_ep;
    if (fault.label == KAAL_FAULT_UNKNOWN_SYSCALL) {
        regs[1] = kaal_msginfo(KAAL_FAULT_RESUME, 0, 0, 0); /* goes on after the syscall */
        return;
    }
    /* VM faults and exceptions would repeat: resume after the instruction, on the same stack. */
    kaal_word_t pcsp[2] = {0, 0};
    kaal_tcb_read_registers(main_tcb, 2, pcsp);
    regs[1] = kaal_msginfo(KAAL_FAULT_RESUME_AT, 0, 0, 2);
    regs[2] = fault.words[0] + 4;
    regs[3] = pcsp[1];
}

/* Each thread's control block (TPIDR_EL0 points to it): its first word is the thread's IPC buffer. */
struct thread_block {
    kaal_word_t ipc_buffer, unused;
};

static void set_thread_block(kaal_word_t block)
{
    __asm__ volatile("msr tpidr_el0, %0" ::"r"(block));
}

static void handler_main(kaal_word_t block, kaal_word_t arg1, kaal_word_t arg2)
{
    (void)arg1, (void)arg2;
    set_thread_block(block);
    uint64_t regs[6];
    regs[1] = kaal_recv(fault_ep, &regs[0]);
    for (unsigned i = 0; i < 4; i++)
        regs[2 + i] = kaal_get_mr(i);
    for (;;) {
        answer(regs);
        if (fault.fp_round) {
            fault.fp_round = 0;
            fault.fp_errors = fp_reply_recv(SEED_HANDLER, regs);
            continue;
        }
        for (unsigned i = 0; i < 4; i++)
            kaal_set_mr(i, regs[2 + i]);
        regs[1] = kaal_reply_recv(regs[0], regs[1], &regs[0]);
        for (unsigned i = 0; i < 4; i++)
            regs[2 + i] = kaal_get_mr(i);
    }
}

/* ---- the spinner thread ---- */

static volatile uint64_t spin_counters[2]; /* rounds, rounds with its FP registers off the pattern */

static void spinner_main(kaal_word_t a0, kaal_word_t a1, kaal_word_t a2)
{
    (void)a0, (void)a1, (void)a2;
    fp_spin(SEED_SPINNER, spin_counters);
}

/* ---- the Call/ReplyRecv server ---- */

static kaal_cptr_t pong_ep;

static void pong_main(kaal_word_t block, kaal_word_t a1, kaal_word_t a2)
{
    (void)a1, (void)a2;
    set_thread_block(block);
    kaal_word_t badge;
    kaal_recv(pong_ep, &badge);
    for (;;)
        kaal_reply_recv(pong_ep, kaal_msginfo(0, 0, 0, 1), &badge);
}

static uint64_t counter(void)
{
    uint64_t v;
    __asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v)::"memory");
    return v;
}

static uint64_t ticks_to_ns(uint64_t ticks)
{
    uint64_t hz;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(hz));
    return ticks * (1000000000ul / hz);
}

static uint64_t handler_stack[2048] __attribute__((aligned(16)));
static uint64_t pong_stack[2048] __attribute__((aligned(16)));
static uint64_t spinner_stack[2048] __attribute__((aligned(16)));

#define STACK_TOP(s) ((kaal_word_t)(uintptr_t)((s) + sizeof(s) / sizeof((s)[0])))

/* ---- the tests ---- */

/*
 * A second thread in the root CNode and VSpace, at priority 255, its IPC buffer frame mapped at buffer_vaddr;
 * it starts with its control block (block->ipc_buffer = buffer_vaddr) as its argument.
 */
static int start_thread(kaal_cptr_t tcb, kaal_cptr_t frame, kaal_word_t buffer_vaddr,
                        void (*entry)(kaal_word_t, kaal_word_t, kaal_word_t), kaal_word_t sp,
                        struct thread_block *block)
{
    block->ipc_buffer = buffer_vaddr;
    int err = kaal_frame_map(frame, KAAL_ROOT_SLOT_VSPACE, buffer_vaddr, KAAL_RIGHT_READ | KAAL_RIGHT_WRITE, 0, 0);
    err = err ? err : kaal_tcb_configure(tcb, KAAL_ROOT_SLOT_CNODE, KAAL_ROOT_SLOT_VSPACE, frame, 0, 0);
    err = err ? err : kaal_tcb_set_priority(tcb, KAAL_ROOT_SLOT_TCB, KAAL_MAX_PRIORITY);
    err = err ? err : kaal_tcb_start(tcb, entry, sp, (kaal_word_t)(uintptr_t)block, 0, 0);
    return err;
}

static struct thread_block handler_block, spinner_block, pong_block;

static void null_read(void)
{
    register uint64_t x9 __asm__("x9") = 0;
    __asm__ volatile(".global null_read_insn\nnull_read_insn: ldr %0, [%0]" : "+r"(x9)::"memory");
}
extern char null_read_insn[];

int root_main(struct kaal_ipc_buffer *ipc, const struct kaal_bootinfo *bi)
{
    put("# KaaL qemu user-mode test: root task at EL0\n");

    /* 1-2: what the kernel handed over. */
    check(bi->magic == KAAL_BOOTINFO_MAGIC && bi->untyped.end > bi->untyped.start, "boot info mapped, magic and untyped",
          bi->magic);
    check(kaal_bootinfo_module(bi, KAAL_MODULE_DTB) != 0, "the device tree is a boot module", bi->module_count);
    struct kaal_thread_info self;
    int err = kaal_tcb_get_info(KAAL_ROOT_SLOT_TCB, &self);
    check(err == KAAL_OK && self.state == KAAL_THREAD_RUNNING && self.priority == 255 && self.mcp == 255 &&
              self.fault == 0,
          "TCB_GetInfo on itself: running, priority 255, MCP 255, no fault", err ? (uint64_t)err : self.state);

    /* 3: objects. */
    kaal_cptr_t ut = kaal_bootinfo_largest_untyped(bi), s = bi->empty.start;
    kaal_cptr_t ep = s, frame = s + 1, pd = s + 2, pt = s + 3, alias = s + 4, handler = s + 5, handler_frame = s + 6,
                spinner = s + 7, spinner_frame = s + 8;
    const kaal_cptr_t cn = KAAL_ROOT_SLOT_CNODE;
    err = kaal_untyped_retype(ut, KAAL_OBJ_ENDPOINT, 0, cn, 0, 0, ep, 1);
    err = err ? err : kaal_untyped_retype(ut, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, cn, 0, 0, frame, 1);
    err = err ? err : kaal_untyped_retype(ut, KAAL_OBJ_PAGE_DIR, 0, cn, 0, 0, pd, 1);
    err = err ? err : kaal_untyped_retype(ut, KAAL_OBJ_PAGE_TABLE, 0, cn, 0, 0, pt, 1);
    err = err ? err : kaal_untyped_retype(ut, KAAL_OBJ_TCB, 0, cn, 0, 0, handler, 1);
    err = err ? err : kaal_untyped_retype(ut, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, cn, 0, 0, handler_frame, 1);
    err = err ? err : kaal_untyped_retype(ut, KAAL_OBJ_TCB, 0, cn, 0, 0, spinner, 1);
    err = err ? err : kaal_untyped_retype(ut, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, cn, 0, 0, spinner_frame, 1);
    check(err == KAAL_OK, "Untyped_Retype: endpoint, frames, page dir, page table, TCBs", (uint64_t)err);

    /* 4-7: mappings. The backend's tables hold level 0 of GiB 0..511; GiB 1 has no level-2 table yet. */
    err = kaal_frame_map(frame, KAAL_ROOT_SLOT_VSPACE, DATA_VADDR, KAAL_RIGHT_READ | KAAL_RIGHT_WRITE, 0, 0);
    check(err == KAAL_ERR_FAILED_LOOKUP && kaal_get_mr(1) == KAAL_LOOKUP_MISSING_TABLE && kaal_get_mr(2) == 2,
          "Frame_Map without tables: FAILED_LOOKUP, missing level-2 table", err ? kaal_get_mr(2) : 0);
    void *ptr = 0;
    err = kaal_page_table_map(pd, KAAL_ROOT_SLOT_VSPACE, DATA_VADDR);
    err = err ? err : kaal_page_table_map(pt, KAAL_ROOT_SLOT_VSPACE, DATA_VADDR);
    err = err ? err : kaal_frame_map(frame, KAAL_ROOT_SLOT_VSPACE, DATA_VADDR, KAAL_RIGHT_READ | KAAL_RIGHT_WRITE, 0, &ptr);
    volatile uint64_t *data = (volatile uint64_t *)ptr;
    if (err == KAAL_OK && ptr == (void *)DATA_VADDR)
        data[0] = 0x1234abcdul;
    check(err == KAAL_OK && ptr == (void *)DATA_VADDR && data[0] == 0x1234abcdul,
          "PageTable_Map x2, Frame_Map read/write, write and read back", (uint64_t)err);
    kaal_word_t paddr = 0;
    err = kaal_frame_get_address(frame, &paddr);
    check(err == KAAL_OK && paddr >= 0x40000000ul && paddr < 0x48000000ul && (paddr & 0xfff) == 0,
          "Frame_GetAddress: a page of RAM", paddr);
    err = kaal_cnode_copy(cn, alias, 64, cn, frame, 64, KAAL_RIGHTS_ALL);
    err = err ? err : kaal_frame_map(alias, KAAL_ROOT_SLOT_VSPACE, ALIAS_VADDR, KAAL_RIGHT_READ, 0, 0);
    volatile uint64_t *ro = (volatile uint64_t *)ALIAS_VADDR;
    check(err == KAAL_OK && ro[0] == 0x1234abcdul, "a copy of the frame cap mapped read-only shows the same word",
          (uint64_t)err);

    /* 8-12: faults, handled by the second thread. */
    fault_ep = ep;
    main_tcb = KAAL_ROOT_SLOT_TCB;
    err = start_thread(handler, handler_frame, HANDLER_BUFFER, handler_main, STACK_TOP(handler_stack),
                       &handler_block);
    err = err ? err : kaal_tcb_configure(KAAL_ROOT_SLOT_TCB, cn, KAAL_ROOT_SLOT_VSPACE, KAAL_ROOT_SLOT_IPC_BUFFER, 0, ep);
    check(err == KAAL_OK, "a handler thread, and the endpoint as this thread's fault handler", (uint64_t)err);

    null_read();
    check(fault.count == 1 && fault.label == KAAL_FAULT_VM && fault.words[1] == 0 &&
              fault.words[2] == KAAL_VM_ACCESS_READ && fault.words[0] == (uint64_t)(uintptr_t)null_read_insn &&
              ESR_EC(fault.words[3]) == 0x24,
          "NULL read: VM fault IPC, address 0, read, pc of the load, ESR data abort", fault.words[1]);

    ro[0] = 1;
    check(fault.count == 2 && fault.label == KAAL_FAULT_VM && fault.words[1] == ALIAS_VADDR &&
              fault.words[2] == KAAL_VM_ACCESS_WRITE && data[0] == 0x1234abcdul,
          "write to the read-only copy: VM fault, write, word unchanged", fault.words[1]);

    __asm__ volatile("udf #7" ::: "memory");
    check(fault.count == 3 && fault.label == KAAL_FAULT_USER_EXCEPTION && ESR_EC(fault.words[2]) == 0,
          "undefined instruction: user exception, ESR class 0", fault.label);

    kaal_syscall(99, 0, 0, 0);
    check(fault.count == 4 && fault.label == KAAL_FAULT_UNKNOWN_SYSCALL && fault.words[2] == 99,
          "unknown syscall 99: fault IPC, continues after it", fault.words[2]);

    /* 13-15: FP/SIMD and TPIDR_EL0 per thread. */
    fault.fp_round = 1;
    unsigned bad = fp_across_fault(SEED_MAIN);
    check(bad == 0 && fault.count == 5 && fault.words[0] == (uint64_t)(uintptr_t)fp_fault_insn,
          "q0-q31, FPCR, FPSR survive a fault whose handler fills its own", bad);
    __asm__ volatile("udf #8" ::: "memory"); /* ends the handler's fp_reply_recv round */
    check(fault.count == 6 && fault.fp_errors == 0, "the handler's q0-q31, FPCR, FPSR survive the switch back",
          fault.fp_errors);
    check(kaal_ipc_buffer() == ipc, "TPIDR_EL0 is this thread's after six switches", (uint64_t)(uintptr_t)kaal_ipc_buffer());

    /* 16-17: timer preemption between two threads of the same priority, neither making syscalls. */
    err = start_thread(spinner, spinner_frame, SPINNER_BUFFER, spinner_main, STACK_TOP(spinner_stack),
                       &spinner_block);
    bad = err ? 0 : fp_until_changed(SEED_SPIN_MAIN, &spin_counters[0], SPIN_LIMIT);
    uint64_t rounds = spin_counters[0];
    int suspended = kaal_tcb_suspend(spinner);
    check(err == KAAL_OK && rounds != 0 && suspended == KAAL_OK,
          "timer preemption: a spinning thread of equal priority ran while this one spun", rounds);
    check(bad == 0 && spin_counters[1] == 0, "FP/SIMD state of both survives preemption by the timer",
          bad + spin_counters[1]);

    /* 19-20: costs, in counter ticks turned into ns: under QEMU's -icount shift=0, one ns is one instruction. */
    kaal_cptr_t ep2 = s + 9, pong = s + 10, pong_frame = s + 11;
    err = kaal_untyped_retype(ut, KAAL_OBJ_ENDPOINT, 0, cn, 0, 0, ep2, 1);
    err = err ? err : kaal_untyped_retype(ut, KAAL_OBJ_TCB, 0, cn, 0, 0, pong, 1);
    err = err ? err : kaal_untyped_retype(ut, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, cn, 0, 0, pong_frame, 1);
    pong_ep = ep2;
    err = err ? err : start_thread(pong, pong_frame, PONG_BUFFER, pong_main, STACK_TOP(pong_stack), &pong_block);
    uint64_t null_ns = 0, call_ns = 0;
    if (err == KAAL_OK) {
        kaal_call(ep2, kaal_msginfo(0, 0, 0, 1)); /* the server is in ReplyRecv from here on */
        uint64_t t0 = counter();
        for (unsigned i = 0; i < BENCH_ROUNDS; i++)
            kaal_yield();
        uint64_t t1 = counter();
        for (unsigned i = 0; i < BENCH_ROUNDS; i++)
            kaal_call(ep2, kaal_msginfo(0, 0, 0, 1));
        uint64_t t2 = counter();
        null_ns = ticks_to_ns(t1 - t0) / BENCH_ROUNDS;
        call_ns = ticks_to_ns(t2 - t1) / BENCH_ROUNDS;
    }
    check(err == KAAL_OK && null_ns != 0 && call_ns != 0, "a Call/ReplyRecv server thread; Yield and Call timed",
          (uint64_t)err);
    char bench[256], *q = fmt_s(bench, "# bench: null syscall (Yield) ");
    q = fmt_u(q, null_ns, 10);
    q = fmt_s(q, " ns, Call + ReplyRecv round trip ");
    q = fmt_u(q, call_ns, 10);
    q = fmt_s(q, " ns (under -icount shift=0: instructions, user-side wrappers included)\n");
    *q = 0;
    put(bench);

    struct kaal_thread_info h;
    err = kaal_tcb_get_info(handler, &h);
    check(err == KAAL_OK && h.state == KAAL_THREAD_BLOCKED_RECV, "the handler waits in Recv", h.state);

    char line[32], *p = fmt_s(line, "1..");
    p = fmt_u(p, tests, 10);
    *p++ = '\n';
    *p = 0;
    put(line);
    return (int)failures;
}
