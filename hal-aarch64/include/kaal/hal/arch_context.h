/*
 * aarch64 user register context: what the trap entry saves of an EL0 thread
 * and what the return to EL0 restores. Register roles of the syscall ABI:
 * x7 syscall number, x0 capability (badge on return), x1 message info,
 * x2..x5 message registers 0..3 (docs/ABI.md, "Registers").
 *
 * Included only through <kaal/hal/context.h>, which defines enum hal_reg.
 */
#ifndef KAAL_HAL_ARCH_CONTEXT_H
#define KAAL_HAL_ARCH_CONTEXT_H

#include <stddef.h>

#include <kaal/abi/types.h>

/*
 * The layout is shared with the trap entry assembly (a later issue): keep the
 * offsets below in step with it. A multiple of 16 bytes, so a context can sit
 * on an SP-aligned stack frame.
 */
struct hal_context {
    kaal_word_t x[31];  /* x0..x30 (x30 is the link register) */
    kaal_word_t sp_el0; /* the thread's stack pointer */
    kaal_word_t elr;    /* where the thread resumes: its pc */
    kaal_word_t spsr;   /* the thread's PSTATE (EL0t, flags, DAIF) */
    /* FP/SIMD state (q0..q31, fpsr, fpcr) goes here with the issue that
     * enables FP/SIMD at EL0. */
};

_Static_assert(offsetof(struct hal_context, sp_el0) == 31 * 8, "trap entry layout");
_Static_assert(offsetof(struct hal_context, elr) == 32 * 8, "trap entry layout");
_Static_assert(offsetof(struct hal_context, spsr) == 33 * 8, "trap entry layout");
_Static_assert(sizeof(struct hal_context) % 16 == 0, "SP alignment");

/*
 * Role -> register number. The roles after SYSNO are x0, x1, x2... in enum
 * order, so the mapping is arithmetic; the asserts pin the enum it relies on.
 */
_Static_assert(HAL_REG_SYSNO == 0 && HAL_REG_CPTR == 1 && HAL_REG_MR3 == 6 && HAL_REG_COUNT == 7,
               "enum hal_reg order assumed by hal_ctx_index");

static inline unsigned hal_ctx_index(enum hal_reg r)
{
    return r == HAL_REG_SYSNO ? 7u : (unsigned)r - 1u;
}

static inline kaal_word_t hal_ctx_get(const struct hal_context *c, enum hal_reg r)
{
    return c->x[hal_ctx_index(r)];
}

static inline void hal_ctx_set(struct hal_context *c, enum hal_reg r, kaal_word_t v)
{
    c->x[hal_ctx_index(r)] = v;
}

static inline kaal_word_t hal_ctx_pc(const struct hal_context *c)
{
    return c->elr;
}

static inline void hal_ctx_set_pc(struct hal_context *c, kaal_word_t pc)
{
    c->elr = pc;
}

static inline kaal_word_t hal_ctx_sp(const struct hal_context *c)
{
    return c->sp_el0;
}

static inline void hal_ctx_set_sp(struct hal_context *c, kaal_word_t sp)
{
    c->sp_el0 = sp;
}

#endif
