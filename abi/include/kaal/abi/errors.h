/*
 * Error codes returned by every invocation (docs/ABI.md, "Errors").
 *
 * An invocation answers with a message whose label is one of these codes and
 * whose words carry the detail the caller needs (which argument, the allowed
 * range, which lookup step failed). Errors go back to the caller; faults go to
 * a fault handler. The two are never mixed.
 */
#ifndef KAAL_ABI_ERRORS_H
#define KAAL_ABI_ERRORS_H

enum kaal_error {
    KAAL_OK = 0,
    KAAL_ERR_INVALID_ARGUMENT = 1,   /* MR0 = argument position */
    KAAL_ERR_INVALID_CAPABILITY = 2, /* MR0 = argument position */
    KAAL_ERR_ILLEGAL_OPERATION = 3,  /* MR0 = reason (enum kaal_illegal_reason) */
    KAAL_ERR_RANGE_ERROR = 4,        /* MR0 = position, MR1 = min, MR2 = max */
    KAAL_ERR_ALIGNMENT_ERROR = 5,    /* MR0 = position, MR1 = required log2 alignment */
    KAAL_ERR_FAILED_LOOKUP = 6,      /* MR0 = position, MR1..MR4 = lookup failure */
    KAAL_ERR_TRUNCATED_MESSAGE = 7,  /* MR0 = words needed, MR1 = extra caps needed */
    KAAL_ERR_DELETE_FIRST = 8,       /* MR0 = position, MR1 = index of the occupied slot */
    KAAL_ERR_REVOKE_FIRST = 9,       /* MR0 = position of the cap with children */
    KAAL_ERR_NOT_ENOUGH_MEMORY = 10, /* MR0 = bytes available */
    KAAL_ERR_COUNT
};

/*
 * Argument positions used in error details: message words are 0..63, the
 * extra caps are KAAL_ARG_CAP(i), the invoked capability itself is
 * KAAL_ARG_INVOKED.
 */
#define KAAL_ARG_CAP(i) (0x100u + (i))
#define KAAL_ARG_INVOKED 0x200u

/* Why an operation is illegal (MR0 of KAAL_ERR_ILLEGAL_OPERATION). */
enum kaal_illegal_reason {
    KAAL_ILLEGAL_LABEL = 1,          /* label not defined for this object type */
    KAAL_ILLEGAL_BADGE_SET_ONCE = 2, /* the cap already carries another badge */
    KAAL_ILLEGAL_DEVICE_MEMORY = 3,  /* device untyped makes only Frames and Untyped */
    KAAL_ILLEGAL_NOT_DERIVABLE = 4,  /* this cap cannot be copied (IRQControl, a cap being deleted) */
    KAAL_ILLEGAL_SELF = 5,           /* not allowed on the calling thread itself */
    KAAL_ILLEGAL_ALREADY_BOUND = 6,  /* the TCB or notification is already bound */
    KAAL_ILLEGAL_NOT_BOUND = 7,      /* the TCB has no bound notification */
    KAAL_ILLEGAL_KERNEL_IRQ = 8,     /* the kernel keeps this interrupt line (the timer) */
    KAAL_ILLEGAL_BEING_DELETED = 9,  /* the cap is a half-deleted object: only Delete continues it */
    KAAL_ILLEGAL_ALREADY_MAPPED = 10, /* this frame or table cap maps something already: unmap it first */
    KAAL_ILLEGAL_NOT_MAPPED = 11,     /* Unmap of a frame or table cap that maps nothing */
};

/* Lookup failure kinds (MR1 of KAAL_ERR_FAILED_LOOKUP). */
enum kaal_lookup_failure {
    KAAL_LOOKUP_INVALID_ROOT = 1,   /* the root is not a CNode cap */
    KAAL_LOOKUP_MISSING_CAP = 2,    /* MR2 = bits left; the slot reached is empty */
    KAAL_LOOKUP_DEPTH_MISMATCH = 3, /* MR2 = bits left, MR3 = bits the level needs */
    KAAL_LOOKUP_GUARD_MISMATCH = 4, /* MR2 = bits left, MR3 = guard found, MR4 = guard bits */
    KAAL_LOOKUP_MISSING_TABLE = 5,  /* MR2 = the page-table level (1-3) missing at that address */
};

#endif
