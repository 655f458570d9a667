/*
 * libkaal: the user-side library. One API and one set of headers for both
 * backends; only the raw syscall primitive differs (src/syscall_<backend>.c).
 *
 * Message registers: MR0..MR3 travel in registers, but user code reads and
 * writes them all in the IPC buffer (kaal_set_mr/kaal_get_mr); the syscall
 * functions load MR0..MR3 from the buffer before the kernel entry and store
 * them back after, as seL4's do. Extra caps: kaal_set_cap(i, cptr).
 */
#ifndef KAAL_KAAL_H
#define KAAL_KAAL_H

#include <stdbool.h>

#include <kaal/abi/bootinfo.h>
#include <kaal/abi/errors.h>
#include <kaal/abi/faults.h>
#include <kaal/abi/message.h>
#include <kaal/abi/objects.h>
#include <kaal/abi/syscalls.h>
#include <kaal/abi/types.h>

/* The calling thread's IPC buffer. */
struct kaal_ipc_buffer *kaal_ipc_buffer(void);

static inline void kaal_set_mr(unsigned i, kaal_word_t v) { kaal_ipc_buffer()->msg[i] = v; }
static inline kaal_word_t kaal_get_mr(unsigned i) { return kaal_ipc_buffer()->msg[i]; }
static inline void kaal_set_cap(unsigned i, kaal_cptr_t c) { kaal_ipc_buffer()->caps_or_badges[i] = c; }

/* The raw primitive: one syscall with the message registers of the IPC buffer. */
kaal_word_t kaal_syscall(kaal_word_t sysno, kaal_cptr_t cap, kaal_word_t info, kaal_word_t *badge);

/* IPC (docs/ABI.md, "Syscalls"). Each returns the message info of what came back, where something does. */
static inline kaal_word_t kaal_call(kaal_cptr_t cap, kaal_word_t info)
{
    return kaal_syscall(KAAL_SYS_CALL, cap, info, (kaal_word_t *)0);
}
static inline void kaal_send(kaal_cptr_t cap, kaal_word_t info) { kaal_syscall(KAAL_SYS_SEND, cap, info, 0); }
static inline void kaal_nbsend(kaal_cptr_t cap, kaal_word_t info) { kaal_syscall(KAAL_SYS_NB_SEND, cap, info, 0); }
static inline kaal_word_t kaal_recv(kaal_cptr_t cap, kaal_word_t *badge)
{
    return kaal_syscall(KAAL_SYS_RECV, cap, 0, badge);
}
static inline kaal_word_t kaal_nbrecv(kaal_cptr_t cap, kaal_word_t *badge)
{
    return kaal_syscall(KAAL_SYS_NB_RECV, cap, 0, badge);
}
static inline void kaal_reply(kaal_word_t info) { kaal_syscall(KAAL_SYS_REPLY, 0, info, 0); }
static inline kaal_word_t kaal_reply_recv(kaal_cptr_t cap, kaal_word_t info, kaal_word_t *badge)
{
    return kaal_syscall(KAAL_SYS_REPLY_RECV, cap, info, badge);
}
static inline void kaal_yield(void) { kaal_syscall(KAAL_SYS_YIELD, 0, 0, 0); }

/* Notifications: Signal, Wait (returns the word), Poll (0 if nothing). */
static inline void kaal_signal(kaal_cptr_t ntfn) { kaal_syscall(KAAL_SYS_SEND, ntfn, 0, 0); }
static inline kaal_word_t kaal_wait(kaal_cptr_t ntfn)
{
    kaal_word_t word = 0;
    kaal_syscall(KAAL_SYS_RECV, ntfn, 0, &word);
    return word;
}
static inline kaal_word_t kaal_poll(kaal_cptr_t ntfn)
{
    kaal_word_t word = 0;
    kaal_syscall(KAAL_SYS_NB_RECV, ntfn, 0, &word);
    return word;
}

/*
 * Invocations: each returns the error code (KAAL_OK on success); the error's
 * detail is in kaal_get_mr(0..).
 */
int kaal_untyped_retype(kaal_cptr_t ut, kaal_word_t type, kaal_word_t size, kaal_cptr_t root,
                        kaal_word_t node_index, kaal_word_t node_depth, kaal_word_t offset, kaal_word_t num);
int kaal_cnode_copy(kaal_cptr_t dest_root, kaal_word_t dest, kaal_word_t dest_depth, kaal_cptr_t src_root,
                    kaal_word_t src, kaal_word_t src_depth, kaal_word_t rights);
int kaal_cnode_mint(kaal_cptr_t dest_root, kaal_word_t dest, kaal_word_t dest_depth, kaal_cptr_t src_root,
                    kaal_word_t src, kaal_word_t src_depth, kaal_word_t rights, kaal_word_t data);
int kaal_cnode_move(kaal_cptr_t dest_root, kaal_word_t dest, kaal_word_t dest_depth, kaal_cptr_t src_root,
                    kaal_word_t src, kaal_word_t src_depth);
int kaal_cnode_mutate(kaal_cptr_t dest_root, kaal_word_t dest, kaal_word_t dest_depth, kaal_cptr_t src_root,
                      kaal_word_t src, kaal_word_t src_depth, kaal_word_t data);
int kaal_cnode_delete(kaal_cptr_t root, kaal_word_t index, kaal_word_t depth);
int kaal_cnode_revoke(kaal_cptr_t root, kaal_word_t index, kaal_word_t depth);

/* What a slot holds (CNode_Identify, docs/ABI.md): the answer words in order. */
struct kaal_cap_info {
    kaal_word_t type;         /* enum kaal_cap_type; KAAL_CAP_NULL: the slot is empty */
    kaal_word_t rights;       /* KAAL_RIGHT_* */
    kaal_word_t size_bits;    /* Untyped, Frame: log2 bytes; CNode: radix; else 0 */
    kaal_word_t data;         /* badge; CNode guard as KAAL_CNODE_DATA; VSpace ASID; mapped vaddr; IRQ line */
    kaal_word_t flags;        /* KAAL_CAP_INFO_MAPPED, KAAL_CAP_INFO_DEVICE */
    kaal_word_t mapping_asid; /* the ASID a mapped Frame or table is in, else 0 */
};
int kaal_cnode_identify(kaal_cptr_t root, kaal_word_t index, kaal_word_t depth, struct kaal_cap_info *info);
/* "Untyped", "CNode", ... ("Null" for an empty slot, "Unknown" for a value the ABI does not define). */
const char *kaal_cap_type_name(kaal_word_t type);

int kaal_tcb_configure(kaal_cptr_t tcb, kaal_cptr_t cspace, kaal_cptr_t vspace, kaal_cptr_t buffer_frame,
                       kaal_word_t buffer_offset, kaal_cptr_t fault_ep);
int kaal_tcb_read_registers(kaal_cptr_t tcb, kaal_word_t count, kaal_word_t *regs);
int kaal_tcb_write_registers(kaal_cptr_t tcb, bool resume, kaal_word_t count, const kaal_word_t *regs);
int kaal_tcb_resume(kaal_cptr_t tcb);
int kaal_tcb_suspend(kaal_cptr_t tcb);
int kaal_tcb_set_priority(kaal_cptr_t tcb, kaal_cptr_t authority, kaal_word_t priority);
int kaal_tcb_set_mc_priority(kaal_cptr_t tcb, kaal_cptr_t authority, kaal_word_t mcp);
int kaal_tcb_bind_notification(kaal_cptr_t tcb, kaal_cptr_t ntfn);
int kaal_tcb_unbind_notification(kaal_cptr_t tcb);

/* A thread's state (TCB_GetInfo, docs/ABI.md): the answer words in order. */
struct kaal_thread_info {
    kaal_word_t state;    /* enum kaal_thread_state */
    kaal_word_t priority;
    kaal_word_t mcp;
    kaal_word_t fault;    /* 1: a fault is pending or stopped the thread; else 0 */
};
int kaal_tcb_get_info(kaal_cptr_t tcb, struct kaal_thread_info *info);
/* "inactive", "running", "blocked-send", ... ("unknown" for a value the ABI does not define). */
const char *kaal_thread_state_name(kaal_word_t state);

int kaal_irq_control_get(kaal_cptr_t control, kaal_word_t line, kaal_cptr_t dest_root, kaal_word_t dest,
                         kaal_word_t dest_depth);
int kaal_irq_handler_set_notification(kaal_cptr_t handler, kaal_cptr_t ntfn);
int kaal_irq_handler_ack(kaal_cptr_t handler);
int kaal_irq_handler_clear(kaal_cptr_t handler);

/* Address spaces: enter a PageUpperDir, PageDir or PageTable at vaddr (aligned to its span), or take it out (and empty it). */
int kaal_page_table_map(kaal_cptr_t table, kaal_cptr_t vspace, kaal_word_t vaddr);
int kaal_page_table_unmap(kaal_cptr_t table);

/*
 * Map a frame at vaddr of vspace with rights KAAL_RIGHT_READ or
 * KAAL_RIGHT_READ | KAAL_RIGHT_WRITE and KAAL_MAP_* attributes. On success
 * *pointer (if not NULL) is what this program uses to reach the frame: vaddr
 * itself on aarch64, its place in the VSpace's host window on the sim.
 */
int kaal_frame_map(kaal_cptr_t frame, kaal_cptr_t vspace, kaal_word_t vaddr, kaal_word_t rights,
                   kaal_word_t attributes, void **pointer);
int kaal_frame_unmap(kaal_cptr_t frame);
/* The frame's physical address (for DMA). */
int kaal_frame_get_address(kaal_cptr_t frame, kaal_word_t *paddr);

/*
 * Machine_PowerOff: stop the machine with a status 0..255 (on the sim the
 * process exits with it; on aarch64, PSCI SYSTEM_OFF). Returns only when it
 * was refused: the error code.
 */
int kaal_machine_power_off(kaal_cptr_t machine, kaal_word_t status);

/*
 * The root task's power switch: Machine_PowerOff through the Machine cap the
 * kernel gave it (root slot KAAL_ROOT_SLOT_MACHINE). If the kernel refuses
 * (a status above 255, no Machine cap there) the thread yields for ever.
 */
_Noreturn void kaal_power_off(int status);

/* The largest RAM Untyped the boot info lists (its CPtr in the root CNode). */
kaal_cptr_t kaal_bootinfo_largest_untyped(const struct kaal_bootinfo *bi);

/* The first boot module of a kind (KAAL_MODULE_DTB, ...), or NULL if the boot info lists none. */
const struct kaal_boot_module *kaal_bootinfo_module(const struct kaal_bootinfo *bi, kaal_word_t kind);

/*
 * A thread in the root task's CSpace: retype its TCB, VSpace and a 4 KiB IPC
 * buffer frame from `ut` into root slots slot, slot + 1, slot + 2, configure
 * it (no fault endpoint), give it `priority` under the root TCB's authority,
 * and start it at entry(arg, 0, 0). Returns the first error code, or KAAL_OK.
 */
int kaal_thread_spawn(kaal_cptr_t ut, kaal_word_t slot, kaal_word_t priority,
                      void (*entry)(kaal_word_t, kaal_word_t, kaal_word_t), kaal_word_t arg);

/*
 * Start a thread at entry(arg0, arg1, arg2) with stack pointer sp: writes
 * pc, sp and the first three argument registers, and resumes it.
 */
int kaal_tcb_start(kaal_cptr_t tcb, void (*entry)(kaal_word_t, kaal_word_t, kaal_word_t), kaal_word_t sp,
                   kaal_word_t arg0, kaal_word_t arg1, kaal_word_t arg2);

#endif
