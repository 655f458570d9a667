/*
 * Kernel start-up.
 *
 * The root task's own objects (root CNode, TCB, VSpace, IPC buffer and boot
 * info frames) come from a bump allocation in the first RAM region that can hold
 * them; every other byte of every region becomes Untyped caps in the root
 * CNode: the largest naturally aligned power-of-two blocks that tile it.
 * Boot modules are the exception: their pages become read-only 4 KiB Frame
 * caps in the slots after the untyped caps, listed in the boot info.
 * After this the kernel allocates nothing ever again.
 */
#include <kaal/abi/bootinfo.h>
#include <kaal/core/boot.h>
#include <kaal/core/cdt.h>
#include <kaal/core/kernel.h>
#include <kaal/core/klog.h>
#include <kaal/core/kmem.h>
#include <kaal/core/sched.h>
#include <kaal/core/vspace.h>
#include <kaal/hal/irq.h>
#include <kaal/hal/timer.h>
#include <kaal/hal/vspace.h>

#define ROOT_CNODE_BITS (KAAL_ROOT_CNODE_RADIX + KAAL_SLOT_BITS)
#define FRAME_BITS KAAL_FRAME_BITS_SMALL

_Static_assert(sizeof(struct kaal_bootinfo) <= BIT(FRAME_BITS), "boot info must fit one frame");

struct boot_objects {
    word_t cnode, tcb, ipc_buffer, bootinfo, vspace;
    word_t start, end; /* the range they use, to keep out of the untyped */
};

struct boot_builder {
    struct slot *cnode;
    struct kaal_bootinfo *info;
    word_t next_slot;
    word_t untyped_count;
};

const char *boot_status_name(enum boot_status status)
{
    switch (status) {
    case BOOT_OK: return "ok";
    case BOOT_NO_MEMORY: return "no RAM region can hold the root task's objects";
    case BOOT_TOO_MANY_REGIONS: return "memory splits into more untyped blocks than boot info can list";
    case BOOT_BAD_REGION: return "a memory region wraps around the address space or overlaps another";
    case BOOT_TOO_MANY_MODULES: return "more boot modules than boot info can list";
    case BOOT_MODULE_MISALIGNED: return "a boot module does not start on a 4 KiB page boundary";
    case BOOT_MODULE_DEVICE: return "a boot module is marked as device memory";
    case BOOT_MODULE_OVERLAP: return "a boot module's pages overlap another memory region";
    case BOOT_MODULE_NO_SLOTS: return "the boot modules need more frame caps than the root CNode has free slots";
    }
    return "unknown boot status";
}

/* The bytes a region covers: a module covers whole pages. 0 if that wraps. */
static word_t region_span(const struct boot_region *r)
{
    word_t span = r->module != 0 ? ALIGN_UP(r->size, FRAME_BITS) : r->size;
    if (span < r->size || r->kaddr + span < r->kaddr)
        return 0;
    return span;
}

static bool regions_apart(const struct boot_region *a, const struct boot_region *b)
{
    word_t a_span = region_span(a), b_span = region_span(b);
    return a_span == 0 || b_span == 0 || a->kaddr + a_span <= b->kaddr || b->kaddr + b_span <= a->kaddr;
}

static bool region_wraps(const struct boot_region *r)
{
    return r->size != 0 && region_span(r) == 0;
}

static enum boot_status check_regions(const struct boot_region *r, unsigned count)
{
    unsigned modules = 0;
    for (unsigned i = 0; i < count; i++) {
        if (region_wraps(&r[i]))
            return BOOT_BAD_REGION;
        if (r[i].module != 0) {
            if (++modules > KAAL_BOOTINFO_MAX_MODULES)
                return BOOT_TOO_MANY_MODULES;
            if (r[i].is_device)
                return BOOT_MODULE_DEVICE;
            if (!IS_ALIGNED(r[i].kaddr, FRAME_BITS))
                return BOOT_MODULE_MISALIGNED;
        }
        for (unsigned j = 0; j < i; j++) {
            if (!regions_apart(&r[i], &r[j]))
                return r[i].module != 0 || r[j].module != 0 ? BOOT_MODULE_OVERLAP : BOOT_BAD_REGION;
        }
    }
    return BOOT_OK;
}

/* Place the root objects in region r, largest first so alignment wastes least. */
static bool place_root_objects(const struct boot_region *r, struct boot_objects *o)
{
    word_t end = r->kaddr + r->size;
    word_t at = ALIGN_UP(r->kaddr, ROOT_CNODE_BITS);
    if (at < r->kaddr || at > end)
        return false;
    o->start = at;
    o->cnode = at;
    at += BIT(ROOT_CNODE_BITS);
    o->ipc_buffer = at;
    at += BIT(FRAME_BITS);
    o->bootinfo = at;
    at += BIT(FRAME_BITS);
    o->vspace = at;
    at += BIT(KAAL_PAGE_TABLE_BITS);
    o->tcb = at;
    at += BIT(KAAL_TCB_BITS);
    if (at > end || at < o->start)
        return false;
    o->end = at;
    return true;
}

static void add_untyped(struct boot_builder *b, word_t base, unsigned bits, bool device, bool zeroed)
{
    /* A watermark at the end marks memory not known to be zero: the first Retype clears it. */
    struct cap c = {.obj = base, .type = CAP_UNTYPED, .rights = KAAL_RIGHTS_ALL, .size_bits = (uint8_t)bits,
                    .aux = device, .data = zeroed || device ? 0 : BIT(bits)};
    cdt_insert(&ks.cdt_root, b->cnode + b->next_slot, &c);
    b->info->untyped_list[b->untyped_count] = (struct kaal_untyped_desc){
        .paddr = hal_kaddr_to_paddr(base), .size_bits = (uint8_t)bits, .is_device = device};
    b->next_slot++;
    b->untyped_count++;
}

/* Largest block that starts at base (aligned) and fits in [base, end). */
static unsigned block_bits(word_t base, word_t end)
{
    unsigned bits = KAAL_UNTYPED_MAX_BITS;
    while (bits > KAAL_UNTYPED_MIN_BITS && (!IS_ALIGNED(base, bits) || end - base < BIT(bits)))
        bits--;
    return bits;
}

static bool add_range(struct boot_builder *b, word_t base, word_t end, bool device, bool zeroed)
{
    base = ALIGN_UP(base, KAAL_UNTYPED_MIN_BITS);
    while (base < end && end - base >= BIT(KAAL_UNTYPED_MIN_BITS)) {
        if (b->untyped_count == KAAL_BOOTINFO_MAX_UNTYPED)
            return false;
        unsigned bits = block_bits(base, end);
        add_untyped(b, base, bits, device, zeroed);
        base += BIT(bits);
    }
    return true;
}

/* Each module's pages as read-only Frame caps in the next slots, and its line in the boot info. */
static bool add_modules(struct boot_builder *b, const struct boot_region *regions, unsigned count)
{
    word_t frames = 0;
    for (unsigned i = 0; i < count; i++)
        frames += regions[i].module != 0 ? region_span(&regions[i]) >> FRAME_BITS : 0;
    if (frames > BIT(KAAL_ROOT_CNODE_RADIX) - b->next_slot)
        return false;
    for (unsigned i = 0; i < count; i++) {
        const struct boot_region *r = &regions[i];
        if (r->module == 0)
            continue;
        struct kaal_boot_module *m = &b->info->modules[b->info->module_count++];
        *m = (struct kaal_boot_module){.kind = r->module, .size = r->size, .paddr = hal_kaddr_to_paddr(r->kaddr),
                                       .frames = {b->next_slot, b->next_slot}};
        word_t span = region_span(r);
        for (word_t at = r->kaddr; at - r->kaddr < span; at += BIT(FRAME_BITS)) {
            struct cap frame = {.obj = at, .type = CAP_FRAME, .rights = KAAL_RIGHT_READ, .size_bits = FRAME_BITS};
            cdt_insert(&ks.cdt_root, b->cnode + b->next_slot, &frame);
            b->next_slot++;
        }
        m->frames.end = b->next_slot;
    }
    return true;
}

static struct slot *root_slot(struct slot *cnode, enum kaal_root_slot i) { return cnode + i; }

static void make_root_caps(const struct boot_objects *o, struct boot_builder *b)
{
    struct slot *cn = b->cnode;
    struct tcb *tcb = (struct tcb *)(uintptr_t)o->tcb;
    struct cap cnode_cap = {.obj = o->cnode, .type = CAP_CNODE, .rights = KAAL_RIGHTS_ALL,
                            .size_bits = KAAL_ROOT_CNODE_RADIX,
                            .guard_bits = KAAL_WORD_BITS - KAAL_ROOT_CNODE_RADIX};
    struct cap tcb_cap = {.obj = o->tcb, .type = CAP_TCB, .rights = KAAL_RIGHTS_ALL};
    struct cap ipc_cap = {.obj = o->ipc_buffer, .type = CAP_FRAME, .rights = KAAL_RIGHTS_ALL,
                          .size_bits = FRAME_BITS};
    struct cap info_cap = {.obj = o->bootinfo, .type = CAP_FRAME, .rights = KAAL_RIGHTS_ALL,
                           .size_bits = FRAME_BITS};
    struct cap irq_cap = {.type = CAP_IRQ_CONTROL, .rights = KAAL_RIGHTS_ALL};
    struct cap vspace_cap = vspace_create(o->vspace);
    struct cap machine_cap = {.type = CAP_MACHINE, .rights = KAAL_RIGHTS_ALL};

    cdt_insert(&ks.cdt_root, root_slot(cn, KAAL_ROOT_SLOT_TCB), &tcb_cap);
    cdt_insert(&ks.cdt_root, root_slot(cn, KAAL_ROOT_SLOT_CNODE), &cnode_cap);
    cdt_insert(&ks.cdt_root, root_slot(cn, KAAL_ROOT_SLOT_IPC_BUFFER), &ipc_cap);
    cdt_insert(&ks.cdt_root, root_slot(cn, KAAL_ROOT_SLOT_BOOTINFO), &info_cap);
    cdt_insert(&ks.cdt_root, root_slot(cn, KAAL_ROOT_SLOT_IRQ_CONTROL), &irq_cap);
    cdt_insert(&ks.cdt_root, root_slot(cn, KAAL_ROOT_SLOT_VSPACE), &vspace_cap);
    cdt_insert(&ks.cdt_root, root_slot(cn, KAAL_ROOT_SLOT_MACHINE), &machine_cap);
    /* The thread's own references are derived copies, as Configure would make them. */
    cdt_insert(root_slot(cn, KAAL_ROOT_SLOT_CNODE), &tcb->slots[TCB_SLOT_CSPACE], &cnode_cap);
    cdt_insert(root_slot(cn, KAAL_ROOT_SLOT_IPC_BUFFER), &tcb->slots[TCB_SLOT_IPC_BUFFER], &ipc_cap);
    cdt_insert(root_slot(cn, KAAL_ROOT_SLOT_VSPACE), &tcb->slots[TCB_SLOT_VSPACE], &vspace_cap);
    tcb_init(tcb);
    tcb->priority = KAAL_MAX_PRIORITY;
    tcb->mcp = KAAL_MAX_PRIORITY;
    sched_enqueue(tcb);
}

static enum boot_status boot_failed(enum boot_status status)
{
    kprintf("kaal: boot: %s\n", boot_status_name(status));
    return status;
}

enum boot_status kernel_boot(const struct boot_region *regions, unsigned count)
{
    kmem_zero(&ks, sizeof ks);
    ks.idle.state = THREAD_IDLE;
    ks.current = &ks.idle;
    asid_table_init();
    ks.irq_count = hal_irq_count() < KERNEL_MAX_IRQS ? hal_irq_count() : KERNEL_MAX_IRQS;
    enum boot_status status = check_regions(regions, count);
    if (status != BOOT_OK)
        return boot_failed(status);

    struct boot_objects o = {0};
    unsigned home = count;
    for (unsigned i = 0; i < count && home == count; i++) {
        if (!regions[i].is_device && regions[i].module == 0 && place_root_objects(&regions[i], &o))
            home = i;
    }
    if (home == count)
        return boot_failed(BOOT_NO_MEMORY);
    kmem_zero((void *)(uintptr_t)o.start, o.end - o.start);

    struct boot_builder b = {
        .cnode = (struct slot *)(uintptr_t)o.cnode,
        .info = (struct kaal_bootinfo *)(uintptr_t)o.bootinfo,
        .next_slot = KAAL_ROOT_SLOT_FIRST_FREE,
    };
    make_root_caps(&o, &b);

    bool fits = true;
    for (unsigned i = 0; i < count && fits; i++) {
        const struct boot_region *r = &regions[i];
        word_t end = r->kaddr + r->size;
        if (r->module != 0)
            continue;
        if (i == home)
            fits = add_range(&b, r->kaddr, o.start, false, r->zeroed) &&
                   add_range(&b, o.end, end, false, r->zeroed);
        else
            fits = add_range(&b, r->kaddr, end, r->is_device, r->zeroed);
    }
    if (!fits)
        return boot_failed(BOOT_TOO_MANY_REGIONS);
    word_t untyped_end = b.next_slot;
    if (!add_modules(&b, regions, count))
        return boot_failed(BOOT_MODULE_NO_SLOTS);

    b.info->magic = KAAL_BOOTINFO_MAGIC;
    b.info->untyped = (struct kaal_slot_range){KAAL_ROOT_SLOT_FIRST_FREE, untyped_end};
    b.info->empty = (struct kaal_slot_range){b.next_slot, BIT(KAAL_ROOT_CNODE_RADIX)};
    schedule();
    hal_timer_set_deadline_ns(hal_timer_now_ns() + KERNEL_TICK_NS);
    return BOOT_OK;
}
