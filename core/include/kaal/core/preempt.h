/*
 * Preemption points in long kernel operations (Revoke, the deletion of a
 * container's contents, clearing memory for Retype).
 *
 * The kernel is not preemptible; instead long operations call
 * preemption_point() after each unit of work. Every PREEMPT_WORK_UNITS units
 * it asks the HAL whether an interrupt is pending. If so the operation stops
 * with its progress recorded in kernel objects, the syscall is set to
 * restart, and the interrupt is taken; the restarted syscall carries on.
 */
#ifndef KAAL_CORE_PREEMPT_H
#define KAAL_CORE_PREEMPT_H

#include <kaal/core/types.h>

#define PREEMPT_WORK_UNITS 16u

bool preemption_point(void);

#endif
