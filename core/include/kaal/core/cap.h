/*
 * Capabilities and the slots that hold them.
 *
 * A slot is 64 bytes: the capability (what object, which rights, per-type
 * data) and its node in the capability derivation tree (CDT). Every non-empty
 * slot is in the CDT; caps with no derivation parent hang under the kernel's
 * sentinel node (kernel_state.cdt_root), so every node has a parent.
 */
#ifndef KAAL_CORE_CAP_H
#define KAAL_CORE_CAP_H

#include <kaal/abi/objects.h>
#include <kaal/core/types.h>

/*
 * Capability types. The values of the object types equal the ABI's
 * enum kaal_object_type so Retype can convert without a table.
 */
enum cap_type {
    CAP_NULL = 0,
    CAP_UNTYPED = KAAL_OBJ_UNTYPED,
    CAP_CNODE = KAAL_OBJ_CNODE,
    CAP_TCB = KAAL_OBJ_TCB,
    CAP_ENDPOINT = KAAL_OBJ_ENDPOINT,
    CAP_NOTIFICATION = KAAL_OBJ_NOTIFICATION,
    CAP_FRAME = KAAL_OBJ_FRAME,
    CAP_VSPACE = KAAL_OBJ_VSPACE,
    CAP_PAGE_UPPER_DIR = KAAL_OBJ_PAGE_UPPER_DIR,
    CAP_PAGE_DIR = KAAL_OBJ_PAGE_DIR,
    CAP_PAGE_TABLE = KAAL_OBJ_PAGE_TABLE,
    /* Caps to things that are not memory objects: */
    CAP_REPLY = 16,       /* obj = the caller's TCB; aux = the reply may carry caps */
    CAP_IRQ_CONTROL = 17, /* the authority to hand out IRQHandler caps */
    CAP_IRQ_HANDLER = 18, /* obj = the interrupt line */
    CAP_MACHINE = 19,     /* the machine itself (one object: obj 0) */
    /*
     * A container object (CNode, TCB) whose last cap is being deleted: the
     * slot keeps the object while its contents are deleted. Seen between
     * syscalls only when a Delete or Revoke stopped at a preemption point;
     * then only Delete (or Revoke of an ancestor) continues it.
     */
    CAP_ZOMBIE = 32,
};

/* CNode_Identify answers the type as it is: core's values are the ABI's enum kaal_cap_type. */
#define CAP_TYPE_IS_ABI(core, abi) ((int)(core) == (int)(abi))
_Static_assert(CAP_TYPE_IS_ABI(CAP_NULL, KAAL_CAP_NULL) && CAP_TYPE_IS_ABI(CAP_UNTYPED, KAAL_CAP_UNTYPED) &&
                   CAP_TYPE_IS_ABI(CAP_CNODE, KAAL_CAP_CNODE) && CAP_TYPE_IS_ABI(CAP_TCB, KAAL_CAP_TCB) &&
                   CAP_TYPE_IS_ABI(CAP_ENDPOINT, KAAL_CAP_ENDPOINT) &&
                   CAP_TYPE_IS_ABI(CAP_NOTIFICATION, KAAL_CAP_NOTIFICATION) &&
                   CAP_TYPE_IS_ABI(CAP_FRAME, KAAL_CAP_FRAME) && CAP_TYPE_IS_ABI(CAP_VSPACE, KAAL_CAP_VSPACE) &&
                   CAP_TYPE_IS_ABI(CAP_PAGE_UPPER_DIR, KAAL_CAP_PAGE_UPPER_DIR) &&
                   CAP_TYPE_IS_ABI(CAP_PAGE_DIR, KAAL_CAP_PAGE_DIR) &&
                   CAP_TYPE_IS_ABI(CAP_PAGE_TABLE, KAAL_CAP_PAGE_TABLE) &&
                   CAP_TYPE_IS_ABI(CAP_REPLY, KAAL_CAP_REPLY) &&
                   CAP_TYPE_IS_ABI(CAP_IRQ_CONTROL, KAAL_CAP_IRQ_CONTROL) &&
                   CAP_TYPE_IS_ABI(CAP_IRQ_HANDLER, KAAL_CAP_IRQ_HANDLER) &&
                   CAP_TYPE_IS_ABI(CAP_MACHINE, KAAL_CAP_MACHINE) &&
                   CAP_TYPE_IS_ABI(CAP_ZOMBIE, KAAL_CAP_ZOMBIE),
               "core's cap types must equal the ABI's enum kaal_cap_type");

/*
 * The meaning of data, aux and the bit fields depends on the type:
 *   Untyped:      obj = base, size_bits, data = watermark (bytes used), aux = device flag
 *   CNode:        obj = slots, size_bits = radix, guard_bits, data = guard value
 *   Endpoint,
 *   Notification: obj, data = badge (0: unbadged)
 *   Frame:        obj = base, size_bits, aux = device flag,
 *                 data = its mapping: vaddr | ASID (vaddr is page-aligned, ASIDs
 *                 fit in 12 bits and are never 0), or 0: maps nothing
 *   VSpace:       obj = the level-0 table, data = its ASID
 *   PageUpperDir,
 *   PageDir,
 *   PageTable:    obj = the table, data = its mapping, as for Frames
 *   Zombie:       obj = the container, aux = slots not yet known empty,
 *                 size_bits = the container's type, guard_bits = its radix (CNode),
 *                 data = chain (see delete.c)
 *   Reply:        obj = the caller's TCB, aux = the reply may carry caps
 *   IRQHandler:   obj = the interrupt line
 */
struct cap {
    word_t obj;
    word_t data;
    uint32_t aux;
    uint8_t type;
    uint8_t rights;
    uint8_t size_bits;
    uint8_t guard_bits;
};

struct slot {
    struct cap cap;
    struct slot *parent;      /* CDT parent; NULL only for the sentinel and empty slots */
    struct slot *first_child;
    struct slot *prev;        /* siblings */
    struct slot *next;
    word_t reserved;          /* a waiting zombie: the slot of the zombie it waits for (delete.c); else 0 */
};

_Static_assert(sizeof(struct slot) == BIT(KAAL_SLOT_BITS), "slot size must match the ABI");

static inline bool slot_is_empty(const struct slot *s) { return s->cap.type == CAP_NULL; }

/* The slot array of a CNode cap. */
static inline struct slot *cnode_slots(const struct cap *c) { return (struct slot *)(uintptr_t)c->obj; }

/* Frames and page tables below the root: the caps that record a mapping in data. */
static inline bool cap_is_mappable(unsigned type)
{
    return type == CAP_FRAME || type == CAP_PAGE_UPPER_DIR || type == CAP_PAGE_DIR || type == CAP_PAGE_TABLE;
}

#define CAP_MAPPING_ASID_MASK 0xfffu
static inline word_t cap_mapping_asid(const struct cap *c) { return c->data & CAP_MAPPING_ASID_MASK; }
static inline word_t cap_mapping_vaddr(const struct cap *c) { return c->data & ~(word_t)CAP_MAPPING_ASID_MASK; }
static inline bool cap_is_mapped(const struct cap *c) { return cap_is_mappable(c->type) && c->data != 0; }

/* log2 of the memory the object of this cap occupies. */
unsigned cap_object_bits(const struct cap *c);

/* Do a and b name the same object (so that deleting one of them is not final)? */
bool cap_same_object(const struct cap *a, const struct cap *b);

/*
 * Do rights mean anything for this cap type? Only for Endpoints,
 * Notifications and Frames; every other cap carries KAAL_RIGHTS_ALL, and a
 * rights mask given to Copy or Mint leaves it so (as in seL4).
 */
bool cap_has_rights(unsigned type);

/* Does the cap's object hold caps of its own (CNode, TCB)? */
bool cap_is_container(const struct cap *c);

/* Does the cap name memory made from Untyped (so it has an address range)? */
bool cap_is_memory_object(const struct cap *c);

/* The slots held by a container object, or by the container a zombie is dismantling. */
void container_slots(const struct cap *c, struct slot **first, word_t *count);

/* Name of a cap type, for the log and the shell. */
const char *cap_type_name(unsigned type);

#endif
