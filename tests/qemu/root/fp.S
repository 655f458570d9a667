/*
 * FP/SIMD state across thread switches: each routine fills q0..q31, FPCR's
 * rounding mode and FPSR's cumulative flags with a pattern made from a
 * seed, lets other threads run (a fault, a syscall, or preemption), then
 * counts the registers that no longer hold the pattern. In assembly because
 * compiled C may use any FP register between the fill and the check.
 *
 * Pattern for seed s: q_i = (s + i + 0x100) << 64 | (s + i); FPCR.RMode =
 * s & 3; FPSR = s & 0x1f. Each routine keeps d8..d15, FPCR, x19 and up as
 * the AAPCS64 says.
 */
#define SYS_REPLY_RECV 7

/* The high half of q\n (a macro of its own: gas reads "\i.d" as one name inside .irp). */
.macro set_hi n, src
    mov     v\n\().d[1], \src
.endm
.macro get_hi dst, n
    mov     \dst, v\n\().d[1]
.endm

.macro fill seed
    .irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    add     x9, \seed, #\i
    add     x10, x9, #0x100
    fmov    d\i, x9
    set_hi  \i, x10
    .endr
    and     x9, \seed, #3
    lsl     x9, x9, #22
    msr     fpcr, x9
    and     x9, \seed, #0x1f
    msr     fpsr, x9
.endm

/* Adds the number of registers (and FPCR, FPSR) off the pattern to \err. */
.macro check seed, err
    .irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fmov    x9, d\i
    add     x10, \seed, #\i
    cmp     x9, x10
    cinc    \err, \err, ne
    get_hi  x9, \i
    add     x10, x10, #0x100
    cmp     x9, x10
    cinc    \err, \err, ne
    .endr
    mrs     x9, fpcr
    and     x10, \seed, #3
    lsl     x10, x10, #22
    cmp     x9, x10
    cinc    \err, \err, ne
    mrs     x9, fpsr
    and     x10, \seed, #0x1f
    cmp     x9, x10
    cinc    \err, \err, ne
.endm

.macro enter
    stp     x29, x30, [sp, #-96]!
    stp     d8, d9, [sp, #16]
    stp     d10, d11, [sp, #32]
    stp     d12, d13, [sp, #48]
    stp     d14, d15, [sp, #64]
    mrs     x9, fpcr
    str     x9, [sp, #80]
.endm

.macro leave
    ldr     x9, [sp, #80]
    msr     fpcr, x9
    msr     fpsr, xzr
    ldp     d8, d9, [sp, #16]
    ldp     d10, d11, [sp, #32]
    ldp     d12, d13, [sp, #48]
    ldp     d14, d15, [sp, #64]
    ldp     x29, x30, [sp], #96
    ret
.endm

    .text
/*
 * unsigned fp_across_fault(uint64_t seed): fill, take an undefined-
 * instruction fault at fp_fault_insn (the handler resumes after it), check.
 */
    .global fp_across_fault, fp_fault_insn
fp_across_fault:
    enter
    mov     x12, x0
    mov     x11, #0
    fill    x12
fp_fault_insn:
    udf     #0x42
    check   x12, x11
    mov     x0, x11
    leave

/*
 * unsigned fp_reply_recv(uint64_t seed, uint64_t regs[6]): fill, then
 * ReplyRecv with x0..x5 = regs[0..5] (cap, info, MR0..MR3); when it returns,
 * regs[0..5] = x0..x5 (badge, info, MR0..MR3) and the registers are checked.
 */
    .global fp_reply_recv
fp_reply_recv:
    enter
    mov     x12, x0
    mov     x13, x1
    mov     x11, #0
    fill    x12
    ldp     x0, x1, [x13]
    ldp     x2, x3, [x13, #16]
    ldp     x4, x5, [x13, #32]
    mov     x7, #SYS_REPLY_RECV
    svc     #0
    stp     x0, x1, [x13]
    stp     x2, x3, [x13, #16]
    stp     x4, x5, [x13, #32]
    check   x12, x11
    mov     x0, x11
    leave

/*
 * unsigned fp_until_changed(uint64_t seed, volatile uint64_t *word, uint64_t
 * limit): fill, spin (no syscall) until *word is not 0 or limit rounds
 * passed, check. Only preemption lets another thread change *word.
 */
    .global fp_until_changed
fp_until_changed:
    enter
    mov     x12, x0
    mov     x11, #0
    fill    x12
1:  ldr     x9, [x1]
    cbnz    x9, 2f
    subs    x2, x2, #1
    b.ne    1b
2:  check   x12, x11
    mov     x0, x11
    leave

/*
 * _Noreturn void fp_spin(uint64_t seed, volatile uint64_t counters[2]):
 * fill, then forever: counters[0]++, and counters[1]++ whenever q0, q31 or
 * FPCR is off the pattern. Preempted by the timer, never blocks.
 */
    .global fp_spin
fp_spin:
    mov     x12, x0
    mov     x13, x1
    fill    x12
    add     x14, x12, #31
    and     x15, x12, #3
    lsl     x15, x15, #22
1:  ldr     x9, [x13]
    add     x9, x9, #1
    str     x9, [x13]
    fmov    x9, d0
    cmp     x9, x12
    b.ne    2f
    fmov    x9, d31
    cmp     x9, x14
    b.ne    2f
    mrs     x9, fpcr
    cmp     x9, x15
    b.eq    1b
2:  ldr     x9, [x13, #8]
    add     x9, x9, #1
    str     x9, [x13, #8]
    b       1b
