/*
 * System call numbers and invocation labels (docs/ABI.md).
 *
 * There is one kernel entry. The syscall number says what the thread wants;
 * KAAL_SYS_CALL on a kernel object's capability is an invocation whose
 * message label selects the operation. Labels are unique across all object
 * types, so a label sent to the wrong type of cap is always caught.
 */
#ifndef KAAL_ABI_SYSCALLS_H
#define KAAL_ABI_SYSCALLS_H

enum kaal_syscall {
    KAAL_SYS_CALL = 1, /* invoke a capability and wait for the answer */
};

enum kaal_invocation_label {
    KAAL_UNTYPED_RETYPE = 1,

    KAAL_CNODE_COPY = 16,
    KAAL_CNODE_MINT = 17,
    KAAL_CNODE_MOVE = 18,
    KAAL_CNODE_MUTATE = 19,
    KAAL_CNODE_DELETE = 20,
    KAAL_CNODE_REVOKE = 21,
};

#endif
