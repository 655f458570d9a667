/*
 * Fault messages (docs/ABI.md, "Faults").
 *
 * A thread that faults sends a message to the endpoint cap in its TCB's fault
 * slot, as if by Call: the label says which fault, the words say where, the
 * badge identifies the thread. The handler's reply resumes the thread:
 * label KAAL_FAULT_RESUME as it is (a VM fault retries the access), label
 * KAAL_FAULT_RESUME_AT with MR0 = new PC and MR1 = new SP. Any other label,
 * or no reply at all, leaves the thread stopped.
 */
#ifndef KAAL_ABI_FAULTS_H
#define KAAL_ABI_FAULTS_H

enum kaal_fault {
    KAAL_FAULT_CAP = 1,             /* a syscall named a cap it cannot use */
    KAAL_FAULT_UNKNOWN_SYSCALL = 2, /* no such syscall number */
    KAAL_FAULT_USER_EXCEPTION = 3,  /* undefined instruction, alignment, ... */
    KAAL_FAULT_VM = 4,              /* access to an address not mapped with that right */
};

/* KAAL_FAULT_CAP words */
enum {
    KAAL_FAULT_CAP_PC,
    KAAL_FAULT_CAP_CPTR,
    KAAL_FAULT_CAP_RECEIVING, /* 1: the receive phase of the syscall failed */
    KAAL_FAULT_CAP_KIND,      /* enum kaal_lookup_failure, or 0: the cap is the wrong type or lacks a right */
    KAAL_FAULT_CAP_BITS_LEFT,
    KAAL_FAULT_CAP_DETAIL,    /* as MR3 of FAILED_LOOKUP */
    KAAL_FAULT_CAP_WORDS
};

/* KAAL_FAULT_UNKNOWN_SYSCALL words */
enum {
    KAAL_FAULT_SYSCALL_PC,
    KAAL_FAULT_SYSCALL_SP,
    KAAL_FAULT_SYSCALL_NUMBER,
    KAAL_FAULT_SYSCALL_ARG0, /* the CPtr register, then MSGINFO, MR0..MR3 */
    KAAL_FAULT_SYSCALL_WORDS = KAAL_FAULT_SYSCALL_ARG0 + 6
};

/* KAAL_FAULT_USER_EXCEPTION words */
enum {
    KAAL_FAULT_EXCEPTION_PC,
    KAAL_FAULT_EXCEPTION_SP,
    KAAL_FAULT_EXCEPTION_CODE,   /* backend-defined: ESR_EL1 on aarch64, the signal on the sim */
    KAAL_FAULT_EXCEPTION_DETAIL, /* backend-defined */
    KAAL_FAULT_EXCEPTION_WORDS
};

/* KAAL_FAULT_VM words */
enum {
    KAAL_FAULT_VM_PC,
    KAAL_FAULT_VM_ADDRESS,
    KAAL_FAULT_VM_ACCESS, /* KAAL_VM_ACCESS_* bits */
    KAAL_FAULT_VM_CODE,   /* backend-defined status (ESR_EL1, si_code) */
    KAAL_FAULT_VM_WORDS
};

#define KAAL_VM_ACCESS_READ 1u
#define KAAL_VM_ACCESS_WRITE 2u
#define KAAL_VM_ACCESS_EXEC 4u

/* Labels of the handler's reply. */
#define KAAL_FAULT_RESUME 0u
#define KAAL_FAULT_RESUME_AT 1u

#endif
