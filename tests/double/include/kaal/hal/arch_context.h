/*
 * The test double's register context: one word per register role, so unit
 * tests set up a syscall by role and read the answer back the same way.
 */
#ifndef KAAL_HAL_ARCH_CONTEXT_H
#define KAAL_HAL_ARCH_CONTEXT_H

struct hal_context {
    kaal_word_t regs[HAL_REG_COUNT];
    kaal_word_t pc;
    kaal_word_t sp;
};

static inline kaal_word_t hal_ctx_get(const struct hal_context *c, enum hal_reg r) { return c->regs[r]; }
static inline void hal_ctx_set(struct hal_context *c, enum hal_reg r, kaal_word_t v) { c->regs[r] = v; }
static inline kaal_word_t hal_ctx_pc(const struct hal_context *c) { return c->pc; }
static inline void hal_ctx_set_pc(struct hal_context *c, kaal_word_t v) { c->pc = v; }
static inline kaal_word_t hal_ctx_sp(const struct hal_context *c) { return c->sp; }
static inline void hal_ctx_set_sp(struct hal_context *c, kaal_word_t v) { c->sp = v; }

#endif
