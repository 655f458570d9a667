/*
 * HAL contract: the processor.
 */
#ifndef KAAL_HAL_CPU_H
#define KAAL_HAL_CPU_H

/* Wait for an interrupt with the CPU otherwise idle; returns after one. */
void hal_cpu_idle(void);

/* Stop the machine: power off on hardware, exit the process on the sim. */
_Noreturn void hal_cpu_halt(int status);

/*
 * Leave the kernel and run the current thread from its saved context. The
 * backend decides how (eret on aarch64, a baton handoff on the sim).
 */
_Noreturn void hal_return_to_user(void);

#endif
