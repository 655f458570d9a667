/*
 * The root task linked into the kernel image (boot/root.c).
 */
#ifndef KAAL_A64_ROOT_H
#define KAAL_A64_ROOT_H

#include <stdbool.h>
#include <stdint.h>

/* Does this image carry a root task? */
bool root_task_present(void);

/*
 * Before kernel_boot: check the root task's ELF and reserve the pages for
 * its image, stack and tables at [start, end) (physical, start page-aligned);
 * *reserved_end is where the RAM for the core begins. False, after saying
 * why, if the ELF is unusable or there is no room.
 */
bool root_reserve(uint64_t start, uint64_t end, uint64_t *reserved_end);

/*
 * After kernel_boot: map the image, stack, IPC buffer and boot info into the
 * root thread's (ks.current's) VSpace and set its registers. False, after
 * saying why, if it cannot.
 */
bool root_start(void);

#endif
