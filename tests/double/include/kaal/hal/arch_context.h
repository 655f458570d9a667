/*
 * The test double's register context: one word per register role, so unit
 * tests set up a syscall by role and read the answer back the same way. A
 * restarted syscall is a flag the kernel driver sees (it re-issues the call).
 */
#ifndef KAAL_HAL_ARCH_CONTEXT_H
#define KAAL_HAL_ARCH_CONTEXT_H

/* The register list of ReadRegisters/WriteRegisters: pc, sp, then one word per role. */
#define HAL_CTX_WORDS (2u + HAL_REG_COUNT)
#define HAL_DOUBLE_PC 0u
#define HAL_DOUBLE_SP 1u

struct hal_context {
    kaal_word_t words[HAL_CTX_WORDS];
    kaal_word_t restart; /* 1: the syscall runs again when the thread next acts */
};

static inline kaal_word_t hal_ctx_get(const struct hal_context *c, enum hal_reg r) { return c->words[2 + r]; }
static inline void hal_ctx_set(struct hal_context *c, enum hal_reg r, kaal_word_t v) { c->words[2 + r] = v; }
static inline kaal_word_t hal_ctx_pc(const struct hal_context *c) { return c->words[HAL_DOUBLE_PC]; }
static inline void hal_ctx_set_pc(struct hal_context *c, kaal_word_t v) { c->words[HAL_DOUBLE_PC] = v; }
static inline kaal_word_t hal_ctx_sp(const struct hal_context *c) { return c->words[HAL_DOUBLE_SP]; }
static inline void hal_ctx_set_sp(struct hal_context *c, kaal_word_t v) { c->words[HAL_DOUBLE_SP] = v; }
static inline kaal_word_t hal_ctx_word(const struct hal_context *c, unsigned i) { return c->words[i]; }
static inline void hal_ctx_set_word(struct hal_context *c, unsigned i, kaal_word_t v) { c->words[i] = v; }
static inline void hal_ctx_restart_syscall(struct hal_context *c) { c->restart = 1; }

#endif
