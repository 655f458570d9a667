/*
 * Object types, capability rights and object sizes (docs/ABI.md, "Objects").
 */
#ifndef KAAL_ABI_OBJECTS_H
#define KAAL_ABI_OBJECTS_H

/* Types that Untyped_Retype can make. 0 is never a valid type. */
enum kaal_object_type {
    KAAL_OBJ_UNTYPED = 1,
    KAAL_OBJ_CNODE = 2,
    KAAL_OBJ_TCB = 3,
    KAAL_OBJ_ENDPOINT = 4,
    KAAL_OBJ_NOTIFICATION = 5,
    KAAL_OBJ_FRAME = 6,
    KAAL_OBJ_VSPACE = 7,          /* page-table level 0: the root of an address space */
    KAAL_OBJ_PAGE_UPPER_DIR = 8,  /* level 1 */
    KAAL_OBJ_PAGE_DIR = 9,        /* level 2 */
    KAAL_OBJ_PAGE_TABLE = 10,     /* level 3 */
    KAAL_OBJ_TYPE_COUNT
};

/*
 * What a capability slot holds, as CNode_Identify answers it: 0 for an empty
 * slot, the object types above, and the caps that name no memory object.
 */
enum kaal_cap_type {
    KAAL_CAP_NULL = 0, /* an empty slot */
    KAAL_CAP_UNTYPED = KAAL_OBJ_UNTYPED,
    KAAL_CAP_CNODE = KAAL_OBJ_CNODE,
    KAAL_CAP_TCB = KAAL_OBJ_TCB,
    KAAL_CAP_ENDPOINT = KAAL_OBJ_ENDPOINT,
    KAAL_CAP_NOTIFICATION = KAAL_OBJ_NOTIFICATION,
    KAAL_CAP_FRAME = KAAL_OBJ_FRAME,
    KAAL_CAP_VSPACE = KAAL_OBJ_VSPACE,
    KAAL_CAP_PAGE_UPPER_DIR = KAAL_OBJ_PAGE_UPPER_DIR,
    KAAL_CAP_PAGE_DIR = KAAL_OBJ_PAGE_DIR,
    KAAL_CAP_PAGE_TABLE = KAAL_OBJ_PAGE_TABLE,
    KAAL_CAP_REPLY = 16,        /* the right to answer one Call (held in a TCB, never in a CNode) */
    KAAL_CAP_IRQ_CONTROL = 17,  /* the authority to make IRQHandler caps */
    KAAL_CAP_IRQ_HANDLER = 18,  /* one interrupt line */
    KAAL_CAP_MACHINE = 19,      /* the machine itself: power off */
    KAAL_CAP_ZOMBIE = 32,       /* a CNode or TCB whose deletion stopped half-way: Delete it to finish */
};

/* Flags of CNode_Identify's answer (MR4). */
#define KAAL_CAP_INFO_MAPPED 0x1u /* a Frame or table cap that maps something (MR3 = where, MR5 = ASID) */
#define KAAL_CAP_INFO_DEVICE 0x2u /* an Untyped or Frame of device memory */

/* States of a thread, as TCB_GetInfo answers them (MR0). */
enum kaal_thread_state {
    KAAL_THREAD_INACTIVE = 0,             /* not scheduled: new, suspended, or stopped by a fault */
    KAAL_THREAD_RUNNING = 1,              /* runnable: running now or ready to */
    KAAL_THREAD_BLOCKED_SEND = 2,         /* waiting on an endpoint to send (or to deliver a fault) */
    KAAL_THREAD_BLOCKED_RECV = 3,         /* waiting on an endpoint to receive */
    KAAL_THREAD_BLOCKED_REPLY = 4,        /* waiting for the reply to a Call (or to its fault) */
    KAAL_THREAD_BLOCKED_NOTIFICATION = 5, /* waiting on a notification */
};

/* Rights of a capability. Rights only ever shrink along a derivation. */
#define KAAL_RIGHT_READ 0x1u
#define KAAL_RIGHT_WRITE 0x2u
#define KAAL_RIGHT_GRANT 0x4u
#define KAAL_RIGHT_GRANT_REPLY 0x8u
#define KAAL_RIGHTS_ALL 0xfu

/* log2 sizes of the fixed-size objects, in bytes. */
#define KAAL_SLOT_BITS 6u          /* one capability slot */
#define KAAL_TCB_BITS 11u
#define KAAL_ENDPOINT_BITS 4u
#define KAAL_NOTIFICATION_BITS 5u
#define KAAL_PAGE_TABLE_BITS 12u   /* every page-table level, 4 KiB granule */

/* Frame sizes: 4 KiB, 2 MiB and 1 GiB, the AArch64 4 KiB-granule page sizes. */
#define KAAL_FRAME_BITS_SMALL 12u
#define KAAL_FRAME_BITS_LARGE 21u
#define KAAL_FRAME_BITS_HUGE 30u

/* Page tables: four levels (0 = the VSpace root) of 512 entries. */
#define KAAL_PAGE_TABLE_LEVELS 4u
#define KAAL_PAGE_TABLE_INDEX_BITS 9u

/* Address spaces: each VSpace takes an address-space identifier (ASID); 0 is never one. */
#define KAAL_ASID_COUNT 4096u

/* Attributes of Frame_Map (the rights are KAAL_RIGHT_READ and KAAL_RIGHT_WRITE). */
#define KAAL_MAP_EXECUTABLE 0x1u
#define KAAL_MAP_ATTRIBUTES_ALL 0x1u

/* Ranges of the size argument of Retype. */
#define KAAL_UNTYPED_MIN_BITS 4u
#define KAAL_UNTYPED_MAX_BITS 47u
#define KAAL_CNODE_MIN_RADIX 1u
#define KAAL_CNODE_MAX_RADIX 24u

/* Most objects one Retype call may make. */
#define KAAL_RETYPE_MAX_OBJECTS 256u

/*
 * CNode cap data, as given to Mint and Mutate: the guard's size in bits in
 * the low 6 bits, the guard's value above.
 */
#define KAAL_CNODE_DATA(guard, guard_bits) (((kaal_word_t)(guard) << 6) | (guard_bits))
#define KAAL_CNODE_DATA_GUARD(data) ((kaal_word_t)(data) >> 6)
#define KAAL_CNODE_DATA_GUARD_BITS(data) ((kaal_word_t)(data) & 0x3fu)

#endif
