/*
 * aarch64 user register context: what the trap entry saves of an EL0 thread
 * and what the return to EL0 restores. Register roles of the syscall ABI:
 * x7 syscall number, x0 capability (badge on return), x1 message info,
 * x2..x5 message registers 0..3 (docs/ABI.md, "Registers").
 *
 * Included only through <kaal/hal/context.h>, which defines enum hal_reg.
 * A context of all zeroes is a fresh EL0 thread: SPSR 0 is EL0t with
 * interrupts unmasked; FPCR 0 rounds to nearest with no FP traps.
 */
#ifndef KAAL_HAL_ARCH_CONTEXT_H
#define KAAL_HAL_ARCH_CONTEXT_H

#include <stddef.h>

#include <kaal/abi/types.h>

/*
 * The layout is shared with the trap entry assembly (hal-aarch64/boot/
 * vectors.S, offsets in boot/context.h): keep them in step.
 *
 * Two parts. The trap entry saves x0..x30, SP_EL0, ELR and SPSR on every
 * entry from EL0 and the return restores them. The rest (TPIDR_EL0, FPSR,
 * FPCR, q0..q31) the kernel never touches, so it stays in the registers
 * across kernel entries and is saved and loaded only when a different
 * thread is to run (boot/trap.c, "FP/SIMD"). 816 bytes.
 */
struct hal_context {
    kaal_word_t x[31];  /* x0..x30 (x30 is the link register) */
    kaal_word_t sp_el0; /* the thread's stack pointer */
    kaal_word_t elr;    /* where the thread resumes: its pc */
    kaal_word_t spsr;   /* the thread's PSTATE (EL0t, flags, DAIF) */
    kaal_word_t tpidr_el0; /* the thread pointer (user-writable) */
    kaal_word_t fpsr;
    kaal_word_t fpcr;
    kaal_word_t reserved; /* keeps q 16-byte aligned */
    _Alignas(16) kaal_word_t q[64]; /* q0..q31: q_n = q[2n] (low) and q[2n + 1] (high) */
};

_Static_assert(offsetof(struct hal_context, sp_el0) == 31 * 8, "trap entry layout");
_Static_assert(offsetof(struct hal_context, elr) == 32 * 8, "trap entry layout");
_Static_assert(offsetof(struct hal_context, spsr) == 33 * 8, "trap entry layout");
_Static_assert(offsetof(struct hal_context, tpidr_el0) == 34 * 8, "trap entry layout");
_Static_assert(offsetof(struct hal_context, fpsr) == 35 * 8, "trap entry layout");
_Static_assert(offsetof(struct hal_context, q) == 38 * 8, "trap entry layout");
_Static_assert(sizeof(struct hal_context) == 38 * 8 + 32 * 16, "trap entry layout");

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

/*
 * The register list of TCB ReadRegisters/WriteRegisters, in this order:
 *   word 0       pc    (ELR: where the thread resumes)
 *   word 1       sp    (SP_EL0)
 *   words 2..32  x0..x30
 *   word 33      spsr  (the thread's PSTATE; only NZCV, bits 31..28, are writable)
 */
#define HAL_CTX_WORDS 34u
#define HAL_CTX_WORD_PC 0u
#define HAL_CTX_WORD_SP 1u
#define HAL_CTX_WORD_X0 2u
#define HAL_CTX_WORD_SPSR 33u

/*
 * What WriteRegisters may set in SPSR: the condition flags. Everything else
 * is forced to a plain EL0 thread: M[4:0] = 0 (AArch64 EL0t), DAIF clear (an
 * EL0 thread cannot mask interrupts), and no SS, IL, PAN, UAO, SSBS, BTYPE,
 * TCO... that would change how the eret behaves.
 */
#define HAL_SPSR_USER_MASK 0xf0000000u

static inline kaal_word_t hal_ctx_word(const struct hal_context *c, unsigned i)
{
    if (i == HAL_CTX_WORD_PC)
        return c->elr;
    if (i == HAL_CTX_WORD_SP)
        return c->sp_el0;
    if (i < HAL_CTX_WORD_SPSR)
        return c->x[i - HAL_CTX_WORD_X0];
    if (i == HAL_CTX_WORD_SPSR)
        return c->spsr;
    return 0;
}

static inline void hal_ctx_set_word(struct hal_context *c, unsigned i, kaal_word_t v)
{
    if (i == HAL_CTX_WORD_PC)
        c->elr = v;
    else if (i == HAL_CTX_WORD_SP)
        c->sp_el0 = v;
    else if (i < HAL_CTX_WORD_SPSR)
        c->x[i - HAL_CTX_WORD_X0] = v;
    else if (i == HAL_CTX_WORD_SPSR)
        c->spsr = v & HAL_SPSR_USER_MASK;
    /* i >= HAL_CTX_WORDS: ignored (the core never passes one) */
}

/* A syscall's saved ELR points after its SVC; every A64 instruction is 4 bytes. */
static inline void hal_ctx_restart_syscall(struct hal_context *c)
{
    c->elr -= 4;
}

#endif
