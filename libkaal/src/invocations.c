/*
 * Invocation wrappers: arguments into the message, one Call, the error code
 * out of the answer's label. The argument orders are those of docs/ABI.md.
 */
#include <kaal/kaal.h>

static int invoke(kaal_cptr_t cap, kaal_word_t label, const kaal_word_t *args, unsigned nargs,
                  const kaal_cptr_t *caps, unsigned ncaps)
{
    for (unsigned i = 0; i < nargs; i++)
        kaal_set_mr(i, args[i]);
    for (unsigned i = 0; i < ncaps; i++)
        kaal_set_cap(i, caps[i]);
    kaal_word_t answer = kaal_call(cap, kaal_msginfo(label, 0, ncaps, nargs));
    return (int)kaal_msginfo_label(answer);
}

#define INVOKE(cap, label, caps, ...)                                                                              \
    invoke((cap), (label), (const kaal_word_t[]){__VA_ARGS__}, sizeof((const kaal_word_t[]){__VA_ARGS__}) /       \
                                                                  sizeof(kaal_word_t),                             \
           (caps), sizeof(caps) / sizeof(kaal_cptr_t))

int kaal_untyped_retype(kaal_cptr_t ut, kaal_word_t type, kaal_word_t size, kaal_cptr_t root,
                        kaal_word_t node_index, kaal_word_t node_depth, kaal_word_t offset, kaal_word_t num)
{
    kaal_cptr_t caps[] = {root};
    return INVOKE(ut, KAAL_UNTYPED_RETYPE, caps, type, size, node_index, node_depth, offset, num);
}

int kaal_cnode_copy(kaal_cptr_t dest_root, kaal_word_t dest, kaal_word_t dest_depth, kaal_cptr_t src_root,
                    kaal_word_t src, kaal_word_t src_depth, kaal_word_t rights)
{
    kaal_cptr_t caps[] = {src_root};
    return INVOKE(dest_root, KAAL_CNODE_COPY, caps, dest, dest_depth, src, src_depth, rights);
}

int kaal_cnode_mint(kaal_cptr_t dest_root, kaal_word_t dest, kaal_word_t dest_depth, kaal_cptr_t src_root,
                    kaal_word_t src, kaal_word_t src_depth, kaal_word_t rights, kaal_word_t data)
{
    kaal_cptr_t caps[] = {src_root};
    return INVOKE(dest_root, KAAL_CNODE_MINT, caps, dest, dest_depth, src, src_depth, rights, data);
}

int kaal_cnode_move(kaal_cptr_t dest_root, kaal_word_t dest, kaal_word_t dest_depth, kaal_cptr_t src_root,
                    kaal_word_t src, kaal_word_t src_depth)
{
    kaal_cptr_t caps[] = {src_root};
    return INVOKE(dest_root, KAAL_CNODE_MOVE, caps, dest, dest_depth, src, src_depth);
}

int kaal_cnode_mutate(kaal_cptr_t dest_root, kaal_word_t dest, kaal_word_t dest_depth, kaal_cptr_t src_root,
                      kaal_word_t src, kaal_word_t src_depth, kaal_word_t data)
{
    kaal_cptr_t caps[] = {src_root};
    return INVOKE(dest_root, KAAL_CNODE_MUTATE, caps, dest, dest_depth, src, src_depth, data);
}

int kaal_cnode_delete(kaal_cptr_t root, kaal_word_t index, kaal_word_t depth)
{
    return invoke(root, KAAL_CNODE_DELETE, (const kaal_word_t[]){index, depth}, 2, 0, 0);
}

int kaal_cnode_revoke(kaal_cptr_t root, kaal_word_t index, kaal_word_t depth)
{
    return invoke(root, KAAL_CNODE_REVOKE, (const kaal_word_t[]){index, depth}, 2, 0, 0);
}

int kaal_cnode_identify(kaal_cptr_t root, kaal_word_t index, kaal_word_t depth, struct kaal_cap_info *info)
{
    int err = invoke(root, KAAL_CNODE_IDENTIFY, (const kaal_word_t[]){index, depth}, 2, 0, 0);
    if (err == KAAL_OK && info != 0)
        *info = (struct kaal_cap_info){kaal_get_mr(0), kaal_get_mr(1), kaal_get_mr(2),
                                       kaal_get_mr(3), kaal_get_mr(4), kaal_get_mr(5)};
    return err;
}

const char *kaal_cap_type_name(kaal_word_t type)
{
    switch (type) {
    case KAAL_CAP_NULL: return "Null";
    case KAAL_CAP_UNTYPED: return "Untyped";
    case KAAL_CAP_CNODE: return "CNode";
    case KAAL_CAP_TCB: return "TCB";
    case KAAL_CAP_ENDPOINT: return "Endpoint";
    case KAAL_CAP_NOTIFICATION: return "Notification";
    case KAAL_CAP_FRAME: return "Frame";
    case KAAL_CAP_VSPACE: return "VSpace";
    case KAAL_CAP_PAGE_UPPER_DIR: return "PageUpperDir";
    case KAAL_CAP_PAGE_DIR: return "PageDir";
    case KAAL_CAP_PAGE_TABLE: return "PageTable";
    case KAAL_CAP_REPLY: return "Reply";
    case KAAL_CAP_IRQ_CONTROL: return "IRQControl";
    case KAAL_CAP_IRQ_HANDLER: return "IRQHandler";
    case KAAL_CAP_MACHINE: return "Machine";
    case KAAL_CAP_ZOMBIE: return "Zombie";
    default: return "Unknown";
    }
}

int kaal_machine_power_off(kaal_cptr_t machine, kaal_word_t status)
{
    return invoke(machine, KAAL_MACHINE_POWER_OFF, (const kaal_word_t[]){status}, 1, 0, 0);
}

_Noreturn void kaal_power_off(int status)
{
    kaal_machine_power_off(KAAL_ROOT_SLOT_MACHINE, (kaal_word_t)status);
    for (;;)
        kaal_yield();
}

int kaal_page_table_map(kaal_cptr_t table, kaal_cptr_t vspace, kaal_word_t vaddr)
{
    kaal_cptr_t caps[] = {vspace};
    return INVOKE(table, KAAL_PAGE_TABLE_MAP, caps, vaddr);
}

int kaal_page_table_unmap(kaal_cptr_t table)
{
    return invoke(table, KAAL_PAGE_TABLE_UNMAP, 0, 0, 0, 0);
}

int kaal_frame_map(kaal_cptr_t frame, kaal_cptr_t vspace, kaal_word_t vaddr, kaal_word_t rights,
                   kaal_word_t attributes, void **pointer)
{
    kaal_cptr_t caps[] = {vspace};
    int err = INVOKE(frame, KAAL_FRAME_MAP, caps, vaddr, rights, attributes);
    if (err == KAAL_OK && pointer != 0)
        *pointer = (void *)(uintptr_t)kaal_get_mr(0);
    return err;
}

int kaal_frame_unmap(kaal_cptr_t frame)
{
    return invoke(frame, KAAL_FRAME_UNMAP, 0, 0, 0, 0);
}

int kaal_frame_get_address(kaal_cptr_t frame, kaal_word_t *paddr)
{
    int err = invoke(frame, KAAL_FRAME_GET_ADDRESS, 0, 0, 0, 0);
    if (err == KAAL_OK && paddr != 0)
        *paddr = kaal_get_mr(0);
    return err;
}

int kaal_tcb_configure(kaal_cptr_t tcb, kaal_cptr_t cspace, kaal_cptr_t vspace, kaal_cptr_t buffer_frame,
                       kaal_word_t buffer_offset, kaal_cptr_t fault_ep)
{
    kaal_cptr_t caps[] = {cspace, vspace, buffer_frame};
    return INVOKE(tcb, KAAL_TCB_CONFIGURE, caps, buffer_offset, fault_ep);
}

int kaal_tcb_read_registers(kaal_cptr_t tcb, kaal_word_t count, kaal_word_t *regs)
{
    int err = invoke(tcb, KAAL_TCB_READ_REGISTERS, (const kaal_word_t[]){count}, 1, 0, 0);
    for (kaal_word_t i = 0; err == KAAL_OK && i < count; i++)
        regs[i] = kaal_get_mr((unsigned)i);
    return err;
}

int kaal_tcb_write_registers(kaal_cptr_t tcb, bool resume, kaal_word_t count, const kaal_word_t *regs)
{
    if (count > KAAL_MSG_MAX_WORDS - 2)
        return KAAL_ERR_RANGE_ERROR; /* more than a message holds; the kernel would see it truncated */
    kaal_set_mr(0, resume);
    kaal_set_mr(1, count);
    for (kaal_word_t i = 0; i < count; i++)
        kaal_set_mr((unsigned)(2 + i), regs[i]);
    kaal_word_t answer = kaal_call(tcb, kaal_msginfo(KAAL_TCB_WRITE_REGISTERS, 0, 0, 2 + count));
    return (int)kaal_msginfo_label(answer);
}

int kaal_tcb_resume(kaal_cptr_t tcb) { return invoke(tcb, KAAL_TCB_RESUME, 0, 0, 0, 0); }
int kaal_tcb_suspend(kaal_cptr_t tcb) { return invoke(tcb, KAAL_TCB_SUSPEND, 0, 0, 0, 0); }

int kaal_tcb_set_priority(kaal_cptr_t tcb, kaal_cptr_t authority, kaal_word_t priority)
{
    kaal_cptr_t caps[] = {authority};
    return INVOKE(tcb, KAAL_TCB_SET_PRIORITY, caps, priority);
}

int kaal_tcb_set_mc_priority(kaal_cptr_t tcb, kaal_cptr_t authority, kaal_word_t mcp)
{
    kaal_cptr_t caps[] = {authority};
    return INVOKE(tcb, KAAL_TCB_SET_MC_PRIORITY, caps, mcp);
}

int kaal_tcb_bind_notification(kaal_cptr_t tcb, kaal_cptr_t ntfn)
{
    kaal_cptr_t caps[] = {ntfn};
    return invoke(tcb, KAAL_TCB_BIND_NOTIFICATION, 0, 0, caps, 1);
}

int kaal_tcb_unbind_notification(kaal_cptr_t tcb) { return invoke(tcb, KAAL_TCB_UNBIND_NOTIFICATION, 0, 0, 0, 0); }

int kaal_tcb_get_info(kaal_cptr_t tcb, struct kaal_thread_info *info)
{
    int err = invoke(tcb, KAAL_TCB_GET_INFO, 0, 0, 0, 0);
    if (err == KAAL_OK && info != 0)
        *info = (struct kaal_thread_info){kaal_get_mr(0), kaal_get_mr(1), kaal_get_mr(2), kaal_get_mr(3)};
    return err;
}

const char *kaal_thread_state_name(kaal_word_t state)
{
    switch (state) {
    case KAAL_THREAD_INACTIVE: return "inactive";
    case KAAL_THREAD_RUNNING: return "running";
    case KAAL_THREAD_BLOCKED_SEND: return "blocked-send";
    case KAAL_THREAD_BLOCKED_RECV: return "blocked-recv";
    case KAAL_THREAD_BLOCKED_REPLY: return "blocked-reply";
    case KAAL_THREAD_BLOCKED_NOTIFICATION: return "blocked-notification";
    default: return "unknown";
    }
}

int kaal_irq_control_get(kaal_cptr_t control, kaal_word_t line, kaal_cptr_t dest_root, kaal_word_t dest,
                         kaal_word_t dest_depth)
{
    kaal_cptr_t caps[] = {dest_root};
    return INVOKE(control, KAAL_IRQ_CONTROL_GET, caps, line, dest, dest_depth);
}

int kaal_irq_handler_set_notification(kaal_cptr_t handler, kaal_cptr_t ntfn)
{
    kaal_cptr_t caps[] = {ntfn};
    return invoke(handler, KAAL_IRQ_HANDLER_SET_NOTIFICATION, 0, 0, caps, 1);
}

int kaal_irq_handler_ack(kaal_cptr_t handler) { return invoke(handler, KAAL_IRQ_HANDLER_ACK, 0, 0, 0, 0); }
int kaal_irq_handler_clear(kaal_cptr_t handler) { return invoke(handler, KAAL_IRQ_HANDLER_CLEAR, 0, 0, 0, 0); }

int kaal_tcb_start(kaal_cptr_t tcb, void (*entry)(kaal_word_t, kaal_word_t, kaal_word_t), kaal_word_t sp,
                   kaal_word_t arg0, kaal_word_t arg1, kaal_word_t arg2)
{
    /* The register list starts pc, sp, then the argument registers (docs/ABI.md). */
    kaal_word_t regs[] = {(kaal_word_t)(uintptr_t)entry, sp, arg0, arg1, arg2};
    return kaal_tcb_write_registers(tcb, true, 5, regs);
}

kaal_cptr_t kaal_bootinfo_largest_untyped(const struct kaal_bootinfo *bi)
{
    kaal_cptr_t best = bi->untyped.start;
    for (kaal_word_t i = bi->untyped.start; i < bi->untyped.end; i++) {
        const struct kaal_untyped_desc *d = &bi->untyped_list[i - bi->untyped.start];
        if (!d->is_device && d->size_bits > bi->untyped_list[best - bi->untyped.start].size_bits)
            best = i;
    }
    return best;
}

const struct kaal_boot_module *kaal_bootinfo_module(const struct kaal_bootinfo *bi, kaal_word_t kind)
{
    kaal_word_t count = bi->module_count < KAAL_BOOTINFO_MAX_MODULES ? bi->module_count : KAAL_BOOTINFO_MAX_MODULES;
    for (kaal_word_t i = 0; i < count; i++) {
        if (bi->modules[i].kind == kind)
            return &bi->modules[i];
    }
    return 0;
}

int kaal_thread_spawn(kaal_cptr_t ut, kaal_word_t slot, kaal_word_t priority,
                      void (*entry)(kaal_word_t, kaal_word_t, kaal_word_t), kaal_word_t arg)
{
    const kaal_cptr_t root = KAAL_ROOT_SLOT_CNODE;
    int err = kaal_untyped_retype(ut, KAAL_OBJ_TCB, 0, root, 0, 0, slot, 1);
    err = err ? err : kaal_untyped_retype(ut, KAAL_OBJ_VSPACE, 0, root, 0, 0, slot + 1, 1);
    err = err ? err : kaal_untyped_retype(ut, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, root, 0, 0, slot + 2, 1);
    err = err ? err : kaal_tcb_configure(slot, root, slot + 1, slot + 2, 0, 0);
    err = err ? err : kaal_tcb_set_priority(slot, KAAL_ROOT_SLOT_TCB, priority);
    err = err ? err : kaal_tcb_start(slot, entry, 0, arg, 0, 0);
    return err;
}
