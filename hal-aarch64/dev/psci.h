/*
 * PSCI, the firmware interface that powers the machine off. The call goes to
 * the firmware by HVC or SMC as the device tree's /psci "method" says.
 */
#ifndef KAAL_A64_PSCI_H
#define KAAL_A64_PSCI_H

enum psci_conduit { PSCI_HVC, PSCI_SMC };

void psci_set_conduit(enum psci_conduit c);
enum psci_conduit psci_get_conduit(void);
const char *psci_conduit_name(enum psci_conduit c);

/* SYSTEM_OFF; if the firmware refuses, says so and waits forever. */
_Noreturn void psci_system_off(void);

#endif
