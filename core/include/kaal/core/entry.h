/*
 * The kernel's entry points: the events that drive the state machine.
 *
 * A backend calls one of these with the current thread's registers saved in
 * ks.current->ctx; each handles its event and ends by choosing the thread to
 * run (ks.current), whose saved registers the backend then restores.
 */
#ifndef KAAL_CORE_ENTRY_H
#define KAAL_CORE_ENTRY_H

#include <kaal/core/types.h>

/* The current thread made a syscall (HAL_REG_SYSNO and the other roles say which). */
void kernel_syscall(void);

/* An interrupt is pending (hal_irq_pending() says which line). */
void kernel_interrupt(void);

/* The current thread touched address without the right (KAAL_VM_ACCESS_* in access). */
void kernel_vm_fault(word_t address, word_t access, word_t code);

/* The current thread hit an exception that is not a syscall or VM fault. */
void kernel_user_exception(word_t code, word_t detail);

#endif
