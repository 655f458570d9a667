/*
 * The kernel's console on the PL011 (dev/pl011.c): what the boot sets.
 */
#ifndef KAAL_A64_CONSOLE_H
#define KAAL_A64_CONSOLE_H

#include <stdbool.h>

/*
 * Drop the debug kernel's rejection lines ("kaal: reject: ...") from here
 * on, as kaal-sim does by default: the boot sets it before the root task
 * runs, unless the boot arguments ask for them (docs/aarch64.md, "The UART").
 */
void console_mute_rejections(bool mute);

#endif
