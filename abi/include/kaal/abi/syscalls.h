/*
 * System call numbers and invocation labels (docs/ABI.md).
 *
 * There is one kernel entry. The syscall number says what the thread wants;
 * the capability it names decides what that means: IPC on an endpoint,
 * signal/wait on a notification, an invocation on any other kernel object
 * (the message label selects the operation). Labels are unique across all
 * object types, so a label sent to the wrong type of cap is always caught.
 */
#ifndef KAAL_ABI_SYSCALLS_H
#define KAAL_ABI_SYSCALLS_H

enum kaal_syscall {
    KAAL_SYS_CALL = 1,       /* send, then wait for the answer (invocations, IPC Call) */
    KAAL_SYS_SEND = 2,       /* send; block until a receiver takes it (Signal on a notification) */
    KAAL_SYS_NB_SEND = 3,    /* send only if a receiver is waiting; never block */
    KAAL_SYS_RECV = 4,       /* wait for a message (Wait on a notification) */
    KAAL_SYS_NB_RECV = 5,    /* take a message only if one is waiting (Poll on a notification) */
    KAAL_SYS_REPLY = 6,      /* answer the last Call received */
    KAAL_SYS_REPLY_RECV = 7, /* Reply, then Recv: the server loop in one syscall */
    KAAL_SYS_YIELD = 8,      /* give up the rest of the timeslice */
    KAAL_SYS_COUNT
};

enum kaal_invocation_label {
    KAAL_UNTYPED_RETYPE = 1,

    KAAL_CNODE_COPY = 16,
    KAAL_CNODE_MINT = 17,
    KAAL_CNODE_MOVE = 18,
    KAAL_CNODE_MUTATE = 19,
    KAAL_CNODE_DELETE = 20,
    KAAL_CNODE_REVOKE = 21,
    KAAL_CNODE_IDENTIFY = 22,

    KAAL_TCB_CONFIGURE = 32,
    KAAL_TCB_READ_REGISTERS = 33,
    KAAL_TCB_WRITE_REGISTERS = 34,
    KAAL_TCB_RESUME = 35,
    KAAL_TCB_SUSPEND = 36,
    KAAL_TCB_SET_PRIORITY = 37,
    KAAL_TCB_SET_MC_PRIORITY = 38,
    KAAL_TCB_BIND_NOTIFICATION = 39,
    KAAL_TCB_UNBIND_NOTIFICATION = 40,
    KAAL_TCB_GET_INFO = 41,

    KAAL_IRQ_CONTROL_GET = 48,
    KAAL_IRQ_HANDLER_SET_NOTIFICATION = 49,
    KAAL_IRQ_HANDLER_ACK = 50,
    KAAL_IRQ_HANDLER_CLEAR = 51,

    KAAL_MACHINE_POWER_OFF = 56,

    /* On PageUpperDir, PageDir and PageTable caps (the level comes from the cap's type). */
    KAAL_PAGE_TABLE_MAP = 64,
    KAAL_PAGE_TABLE_UNMAP = 65,

    KAAL_FRAME_MAP = 72,
    KAAL_FRAME_UNMAP = 73,
    KAAL_FRAME_GET_ADDRESS = 74,
};

/* Scheduling. */
#define KAAL_PRIORITIES 256u
#define KAAL_MAX_PRIORITY 255u

#endif
