/*
 * What the pieces of hal-sim share among themselves (not the HAL contract).
 */
#ifndef KAAL_HAL_SIM_INTERNAL_H
#define KAAL_HAL_SIM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kaal/abi/types.h>

#define SIM_IRQ_LINES 64u
#define SIM_TIMER_LINE 27u /* as QEMU virt's virtual timer, so logs read alike */

/* Interrupt controller: any line pending and unmasked (safe from any thread). */
bool sim_intc_any_pending(void);
void sim_intc_raise(unsigned line);
void sim_intc_reset(void);

/* Timer: the deadline the kernel set (0: none), read by the hardware-model loop. */
uint64_t sim_timer_deadline(void);
void sim_timer_expire(void);
void sim_timer_reset(void);

/* Guest RAM (vspace.c): a memfd mapped at an address aligned to `align`; NULL with a message on failure. */
void *sim_ram_create(size_t bytes, size_t align);
/* Release guest RAM and every VSpace window. */
void sim_ram_destroy(void);

/*
 * The user address of a host address, if it lies in the window of t's
 * VSpace (vspace.c): true and *vaddr set; false for any other address (NULL,
 * the host's own memory, another VSpace's window).
 */
struct tcb;
bool sim_window_address(const struct tcb *t, uintptr_t host, kaal_word_t *vaddr);

#endif
