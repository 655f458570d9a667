/*
 * Untyped memory and Retype.
 *
 * Rules that keep objects apart:
 *   - every object is aligned to its own size;
 *   - an Untyped hands out memory upwards from its watermark while it has
 *     children, and starts again from zero only once it has none (then
 *     nothing of it is in use);
 *   - memory above the watermark is always zero, so new objects need no
 *     clearing: starting again from zero ("reset") first clears everything
 *     below the watermark, from the top down, a page per preemption point,
 *     lowering the watermark as it goes, so a preempted Retype resumes where
 *     it stopped;
 *   - an Untyped cap with a copy of itself as a child may not retype: the
 *     copy hands out that memory now (see cnode.c for when copying is allowed);
 *   - device memory is never touched by the kernel and only makes Frames and
 *     smaller device Untypeds.
 */
#include <kaal/abi/syscalls.h>
#include <kaal/core/cdt.h>
#include <kaal/core/cspace.h>
#include <kaal/core/kmem.h>
#include <kaal/core/preempt.h>
#include <kaal/core/tcb.h>
#include <kaal/core/syscall.h>
#include <kaal/core/untyped.h>
#include <kaal/core/vspace.h>

struct size_range {
    word_t min, max;
};

static struct size_range size_arg_range(word_t type)
{
    switch (type) {
    case KAAL_OBJ_UNTYPED:
        return (struct size_range){KAAL_UNTYPED_MIN_BITS, KAAL_UNTYPED_MAX_BITS};
    case KAAL_OBJ_CNODE:
        return (struct size_range){KAAL_CNODE_MIN_RADIX, KAAL_CNODE_MAX_RADIX};
    case KAAL_OBJ_FRAME:
        return (struct size_range){KAAL_FRAME_BITS_SMALL, KAAL_FRAME_BITS_HUGE};
    default: /* fixed-size objects take 0 */
        return (struct size_range){0, 0};
    }
}

static bool is_frame_size(word_t bits)
{
    return bits == KAAL_FRAME_BITS_SMALL || bits == KAAL_FRAME_BITS_LARGE || bits == KAAL_FRAME_BITS_HUGE;
}

unsigned object_size_bits(word_t type, word_t size_arg)
{
    struct size_range r = size_arg_range(type);
    if (size_arg < r.min || size_arg > r.max)
        return 0;
    switch (type) {
    case KAAL_OBJ_UNTYPED:
        return (unsigned)size_arg;
    case KAAL_OBJ_CNODE:
        return (unsigned)size_arg + KAAL_SLOT_BITS;
    case KAAL_OBJ_FRAME:
        return is_frame_size(size_arg) ? (unsigned)size_arg : 0;
    case KAAL_OBJ_TCB:
        return KAAL_TCB_BITS;
    case KAAL_OBJ_ENDPOINT:
        return KAAL_ENDPOINT_BITS;
    case KAAL_OBJ_NOTIFICATION:
        return KAAL_NOTIFICATION_BITS;
    default: /* the page-table levels */
        return KAAL_PAGE_TABLE_BITS;
    }
}

void object_init(word_t type, word_t obj, unsigned bits, bool device)
{
    (void)bits;
    (void)device;
    /* The memory is already zero: empty slots, idle queues. Only threads need more. */
    if (type == KAAL_OBJ_TCB)
        tcb_init((struct tcb *)(uintptr_t)obj);
}

struct cap object_cap(word_t type, word_t obj, unsigned bits, word_t size_arg, bool device)
{
    struct cap c = {
        .obj = obj,
        .type = (uint8_t)type,
        .rights = KAAL_RIGHTS_ALL,
        .aux = device,
    };
    if (type == KAAL_OBJ_UNTYPED || type == KAAL_OBJ_FRAME)
        c.size_bits = (uint8_t)bits;
    else if (type == KAAL_OBJ_CNODE)
        c.size_bits = (uint8_t)size_arg;
    return c;
}

bool untyped_has_copy_child(const struct slot *u)
{
    return u->first_child != NULL && cap_same_object(&u->first_child->cap, &u->cap);
}

void untyped_before_delete(struct slot *u)
{
    struct slot *p = u->parent;
    if (u->cap.data == 0 || p->cap.type != CAP_UNTYPED)
        return;
    /* Children in use or dirty memory: either way the parent must not see zero there. */
    word_t needed = u->cap.obj - p->cap.obj + u->cap.data;
    if (p->cap.data < needed)
        p->cap.data = needed;
}

/* Clear [base, base + watermark) from the top, a page at a time. Returns true if preempted. */
static bool reset(struct slot *u)
{
    if (u->cap.aux != 0) { /* device memory is never touched */
        u->cap.data = 0;
        return false;
    }
    while (u->cap.data > 0) {
        word_t chunk = u->cap.data & MASK(KAAL_FRAME_BITS_SMALL);
        if (chunk == 0)
            chunk = BIT(KAAL_FRAME_BITS_SMALL);
        u->cap.data -= chunk;
        kmem_zero((void *)(uintptr_t)(u->cap.obj + u->cap.data), chunk);
        if (u->cap.data > 0 && preemption_point())
            return true;
    }
    return false;
}

enum retype_arg {
    ARG_TYPE,
    ARG_SIZE,
    ARG_NODE_INDEX,
    ARG_NODE_DEPTH,
    ARG_NODE_OFFSET,
    ARG_NUM_OBJECTS,
    RETYPE_ARGS
};

/* Find the CNode that receives the new caps: the root itself, or a CNode below it. */
static const struct cap *retype_dest_cnode(const struct invocation *inv, struct syscall_error *err)
{
    const struct cap *root = &inv->caps[0]->cap;
    word_t depth = inv_arg(inv, ARG_NODE_DEPTH);
    if (depth == 0) {
        if (root->type != CAP_CNODE)
            return REJECT(err_lookup(err, ARG_NODE_INDEX, KAAL_LOOKUP_INVALID_ROOT, 0, 0, 0),
                          "Retype: destination root is a %s cap, not a CNode",
                          cap_type_name(root->type)),
                   NULL;
        return root;
    }
    struct slot *node = lookup_slot(root, inv_arg(inv, ARG_NODE_INDEX), depth, ARG_NODE_INDEX, err);
    if (node == NULL)
        return NULL;
    if (node->cap.type != CAP_CNODE)
        return REJECT(err_invalid_cap(err, ARG_NODE_INDEX), "Retype: destination is a %s cap, not a CNode",
                      cap_type_name(node->cap.type)),
               NULL;
    return &node->cap;
}

enum kaal_error untyped_invoke(const struct invocation *inv, struct syscall_error *err)
{
    if (inv->label != KAAL_UNTYPED_RETYPE)
        return REJECT(err_illegal(err, KAAL_ILLEGAL_LABEL), "Untyped: label %lu is not an Untyped operation",
                      inv->label);
    if (inv_require(inv, RETYPE_ARGS, 1, err) != KAAL_OK)
        return err->code;

    struct slot *u = inv->slot;
    word_t type = inv_arg(inv, ARG_TYPE);
    word_t size_arg = inv_arg(inv, ARG_SIZE);
    word_t num = inv_arg(inv, ARG_NUM_OBJECTS);
    bool device = u->cap.aux != 0;

    if (type == 0 || type >= KAAL_OBJ_TYPE_COUNT)
        return REJECT(err_invalid_argument(err, ARG_TYPE), "Retype: %lu is not an object type", type);
    struct size_range range = size_arg_range(type);
    if (size_arg < range.min || size_arg > range.max)
        return REJECT(err_range(err, ARG_SIZE, range.min, range.max),
                      "Retype: size %lu for %s is outside %lu..%lu", size_arg, cap_type_name((unsigned)type),
                      range.min, range.max);
    unsigned bits = object_size_bits(type, size_arg);
    if (bits == 0)
        return REJECT(err_invalid_argument(err, ARG_SIZE), "Retype: %lu is not a frame size (12, 21, 30)",
                      size_arg);
    if (device && type != KAAL_OBJ_FRAME && type != KAAL_OBJ_UNTYPED)
        return REJECT(err_illegal(err, KAAL_ILLEGAL_DEVICE_MEMORY),
                      "Retype: device memory cannot hold a %s", cap_type_name((unsigned)type));
    if (num < 1 || num > KAAL_RETYPE_MAX_OBJECTS)
        return REJECT(err_range(err, ARG_NUM_OBJECTS, 1, KAAL_RETYPE_MAX_OBJECTS),
                      "Retype: %lu objects is outside 1..%u", num, KAAL_RETYPE_MAX_OBJECTS);
    if (type == KAAL_OBJ_VSPACE && num > asid_free_count())
        return REJECT(err_range(err, ARG_NUM_OBJECTS, 1, asid_free_count()),
                      "Retype: %lu VSpaces, but only %lu ASIDs are free", num, asid_free_count());

    const struct cap *dest = retype_dest_cnode(inv, err);
    if (dest == NULL)
        return err->code;
    word_t slots = BIT(dest->size_bits);
    word_t offset = inv_arg(inv, ARG_NODE_OFFSET);
    if (offset >= slots)
        return REJECT(err_range(err, ARG_NODE_OFFSET, 0, slots - 1),
                      "Retype: offset %lu is outside the CNode's %lu slots", offset, slots);
    if (num > slots - offset)
        return REJECT(err_range(err, ARG_NUM_OBJECTS, 1, slots - offset),
                      "Retype: %lu objects from offset %lu overrun the CNode's %lu slots", num, offset, slots);
    struct slot *first = cnode_slots(dest) + offset;
    for (word_t i = 0; i < num; i++) {
        if (!slot_is_empty(&first[i]))
            return REJECT(err_delete_first(err, ARG_NODE_OFFSET, offset + i),
                          "Retype: destination slot %lu is occupied", offset + i);
    }

    if (untyped_has_copy_child(u))
        return REJECT(err_revoke_first(err, KAAL_ARG_INVOKED),
                      "Retype: this Untyped has a copy that owns its memory; revoke it first");
    word_t base = u->cap.obj;
    word_t end = base + BIT(u->cap.size_bits);
    word_t used = u->first_child != NULL ? u->cap.data : 0;
    word_t start = ALIGN_UP(base + used, bits);
    /* Aligning up near the top of the address space may wrap: then nothing fits. */
    word_t available = start >= base + used && start < end ? end - start : 0;
    if ((available >> bits) < num)
        return REJECT(err_no_memory(err, available),
                      "Retype: %lu x 2^%u bytes do not fit in the %lu bytes left", num, bits, available);

    /* Perform: nothing below can fail, but a reset can be preempted (and the call restarts). */
    if (u->first_child == NULL && reset(u)) {
        err->preempted = true;
        return KAAL_OK;
    }
    for (word_t i = 0; i < num; i++) {
        word_t obj = start + (i << bits);
        object_init(type, obj, bits, device);
        struct cap c = type == KAAL_OBJ_VSPACE ? vspace_create(obj) : object_cap(type, obj, bits, size_arg, device);
        cdt_insert(u, &first[i], &c);
    }
    u->cap.data = start + (num << bits) - base;
    return KAAL_OK;
}
