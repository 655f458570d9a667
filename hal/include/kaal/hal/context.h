/*
 * HAL contract: the saved user register context of a thread.
 *
 * The core keeps one struct hal_context inside every TCB and touches it only
 * through the abstract register roles below, so it never knows which
 * registers a backend uses. Each backend provides <kaal/hal/arch_context.h>
 * (found through its own include directory), which must define:
 *
 *   struct hal_context             the saved registers of one thread;
 *   hal_ctx_get(ctx, role)         read a register by role (static inline);
 *   hal_ctx_set(ctx, role, value)  write a register by role (static inline);
 *   hal_ctx_pc / hal_ctx_set_pc    the program counter;
 *   hal_ctx_sp / hal_ctx_set_sp    the stack pointer;
 *   HAL_CTX_WORDS                  how many registers ReadRegisters/WriteRegisters see;
 *   hal_ctx_word(ctx, i)           register i of that list (0 = pc, 1 = sp, then the rest);
 *   hal_ctx_set_word(ctx, i, v)    write it; the backend keeps the thread in user mode
 *                                  whatever is written (it masks privileged bits);
 *   hal_ctx_restart_syscall(ctx)   make the thread execute its syscall again when it next
 *                                  runs (a syscall's saved pc points after the syscall
 *                                  instruction; this moves it back).
 *
 * A context of all zeroes is a valid fresh user thread. They are inline
 * because they sit on the IPC path.
 */
#ifndef KAAL_HAL_CONTEXT_H
#define KAAL_HAL_CONTEXT_H

#include <kaal/abi/types.h>

/* Register roles of the syscall ABI (docs/ABI.md, "Registers"). */
enum hal_reg {
    HAL_REG_SYSNO,   /* in: syscall number */
    HAL_REG_CPTR,    /* in: invoked capability; out: badge */
    HAL_REG_MSGINFO, /* in and out: message info word */
    HAL_REG_MR0,     /* message registers 0..3 */
    HAL_REG_MR1,
    HAL_REG_MR2,
    HAL_REG_MR3,
    HAL_REG_COUNT
};

#include <kaal/hal/arch_context.h>

#endif
