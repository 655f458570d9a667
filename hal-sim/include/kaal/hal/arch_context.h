/*
 * The sim's user register context. Component code runs natively on a host
 * thread, so there is no real register file to save: the context holds the
 * syscall ABI's register roles as the host side of libkaal passes them, the
 * entry point and stack a thread starts with, and the host thread that
 * carries the TCB (made by the engine the first time the TCB runs).
 */
#ifndef KAAL_HAL_ARCH_CONTEXT_H
#define KAAL_HAL_ARCH_CONTEXT_H

/*
 * The register list of ReadRegisters/WriteRegisters: pc, sp, then the roles
 * in aarch64 register order (CPTR = x0, MSGINFO = x1, MR0..MR3 = x2..x5,
 * SYSNO last), so words 2, 3, 4 are a thread's first three arguments on
 * both backends.
 */
#define HAL_CTX_WORDS (2u + HAL_REG_COUNT)
#define HAL_SIM_PC 0u
#define HAL_SIM_SP 1u

_Static_assert(HAL_REG_SYSNO == 0 && HAL_REG_CPTR == 1 && HAL_REG_COUNT == 7, "enum hal_reg order assumed below");

static inline unsigned hal_sim_reg_word(enum hal_reg r)
{
    return 2u + (r == HAL_REG_SYSNO ? HAL_REG_COUNT - 1u : (unsigned)r - 1u);
}

struct sim_thread;

struct hal_context {
    kaal_word_t words[HAL_CTX_WORDS];
    kaal_word_t restart;       /* 1: the syscall runs again when the thread next holds the CPU */
    struct sim_thread *thread; /* the host thread, or NULL until the TCB first runs */
};

static inline kaal_word_t hal_ctx_get(const struct hal_context *c, enum hal_reg r)
{
    return c->words[hal_sim_reg_word(r)];
}
static inline void hal_ctx_set(struct hal_context *c, enum hal_reg r, kaal_word_t v)
{
    c->words[hal_sim_reg_word(r)] = v;
}
static inline kaal_word_t hal_ctx_pc(const struct hal_context *c) { return c->words[HAL_SIM_PC]; }
static inline void hal_ctx_set_pc(struct hal_context *c, kaal_word_t v) { c->words[HAL_SIM_PC] = v; }
static inline kaal_word_t hal_ctx_sp(const struct hal_context *c) { return c->words[HAL_SIM_SP]; }
static inline void hal_ctx_set_sp(struct hal_context *c, kaal_word_t v) { c->words[HAL_SIM_SP] = v; }
static inline kaal_word_t hal_ctx_word(const struct hal_context *c, unsigned i)
{
    return i < HAL_CTX_WORDS ? c->words[i] : 0;
}
static inline void hal_ctx_set_word(struct hal_context *c, unsigned i, kaal_word_t v)
{
    if (i < HAL_CTX_WORDS)
        c->words[i] = v;
}
static inline void hal_ctx_restart_syscall(struct hal_context *c) { c->restart = 1; }

#endif
