/*
 * Offsets in struct hal_context (<kaal/hal/arch_context.h>) for the trap
 * assembly; boot/trap.c checks them against the C layout.
 */
#ifndef KAAL_A64_CONTEXT_H
#define KAAL_A64_CONTEXT_H

#define CTX_X0 0
#define CTX_X30 240
#define CTX_SP_EL0 248
#define CTX_ELR 256
#define CTX_SPSR 264
#define CTX_TPIDR_EL0 272
#define CTX_FPSR 280
#define CTX_FPCR 288
#define CTX_Q 304

#endif
