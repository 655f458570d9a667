/*
 * Test-side view of the HAL test double.
 */
#ifndef KAAL_TESTS_HAL_DOUBLE_H
#define KAAL_TESTS_HAL_DOUBLE_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include <kaal/hal/irq.h>

#define DOUBLE_IRQ_LINES 1024u

/* The interrupt controller and timer of the double: tests set `pending`, read the rest. */
struct double_irq {
    unsigned pending;    /* the line hal_irq_pending() reports; acking it clears it */
    unsigned count;      /* lines the controller has */
    unsigned timer_line; /* the line hal_irq_is_timer() names */
    unsigned acks;       /* hal_irq_ack() calls so far */
    uint64_t deadline;   /* the last timer deadline the kernel set */
    uint8_t enabled[DOUBLE_IRQ_LINES];
};
extern struct double_irq double_irq;

/* Address spaces: what the core asked of the backend (vspace_double.c). */
struct double_vspace_call {
    uint64_t asid, vaddr;
    unsigned size_bits;
    uint64_t frame;
    unsigned flags;
};
struct double_vspace {
    uint64_t user_top;  /* what hal_vspace_user_top() answers */
    bool refuse_map;    /* hal_vspace_map() fails (as the sim does without host address space) */
    unsigned maps, unmaps, releases;
    struct double_vspace_call last_map, last_unmap;
    uint64_t last_release;
};
extern struct double_vspace double_vspace;
#define DOUBLE_USER_POINTER(asid, vaddr) (((uint64_t)(asid) << 44) + (vaddr))
/* The HAL_MAP_* flags of an entry hal_pte_frame() made. */
unsigned double_pte_flags(uint64_t pte);

/*
 * Power off (hal_cpu_halt): the double records the status and jumps to
 * `escape`, which a test or fuzzer sets with setjmp before the call that may
 * halt; with no escape set, a halt is a bug of the caller: abort.
 */
struct double_halt {
    bool halted;
    int status;
    jmp_buf *escape;
};
extern struct double_halt double_halt;

/* Move the double's clock forward. */
void double_advance_time(uint64_t ns);

/* Everything the kernel printed since the last clear. */
const char *double_console(void);
void double_console_clear(void);

#endif
