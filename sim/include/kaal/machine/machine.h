/*
 * The sim machine (sim/machine.c, docs/machine.md): QEMU virt's PL011 and
 * PL031 on the sim bus, its device tree, the host terminal on the UART, and
 * what the launcher hands to the kernel.
 *
 * Use (the launcher, or a test):
 *     struct sim_machine *m = sim_machine_create(&config);
 *     ... sim_boot gets sim_machine_layout and m: guest RAM, the DTB at its
 *         start, the device region (docs/machine.md, "Booting") ...
 *     ... the hardware-model loop calls sim_machine_poll ...
 *     sim_machine_destroy(m);
 * One machine at a time (the bus has one set of addresses).
 */
#ifndef KAAL_MACHINE_MACHINE_H
#define KAAL_MACHINE_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kaal/sim/bus.h>

struct sim_machine_config {
    /* Where the UART's transmitted bytes go. NULL: the terminal if there is one, else standard output. */
    void (*uart_output)(void *ctx, uint8_t byte);
    /* Connect the host terminal (standard input and output) to the UART: raw mode, input thread. */
    bool terminal;
    /* The terminal's input ended (error 0: end of file, else errno). NULL: nothing happens. */
    void (*input_end)(void *ctx, int error);
    /* The RTC's time source, ns since the Unix epoch. NULL: the host's wall clock. */
    uint64_t (*clock_ns)(void *ctx);
    void *ctx;
};

struct sim_machine;

/* Create the devices and attach them to the bus. NULL with a message on stderr on failure. */
struct sim_machine *sim_machine_create(const struct sim_machine_config *config);

/* Close the terminal (its mode restored), detach and free the devices. The system must have stopped. */
void sim_machine_destroy(struct sim_machine *m);

/*
 * A sim_layout_fn (<kaal/sim/bus.h>): `machine` is the struct sim_machine.
 * Builds the device tree for guest RAM [ram, ram + ram_bytes), copies it to
 * the start of guest RAM and lists: the DTB module (its first pages), the
 * rest of RAM, and the device region 0x08000000..0x0a000000. Returns 3, or
 * -1 with a message (max below 3, RAM too small, a device tree that does not
 * fit).
 */
int sim_machine_layout(void *machine, void *ram, size_t ram_bytes, struct sim_boot_region *out, unsigned max);

/* The device tree of the last layout (NULL before one), and its size. */
const void *sim_machine_dtb(const struct sim_machine *m, size_t *bytes);

/*
 * For the hardware-model loop: let the device models see the time (the RTC's
 * match interrupt); returns the ns until a model next needs a look, or
 * UINT64_MAX if none does. Safe from any thread.
 */
uint64_t sim_machine_poll(struct sim_machine *m);

/* The models, for tests and for feeding input by hand. */
struct pl011 *sim_machine_uart(struct sim_machine *m);
struct pl031 *sim_machine_rtc(struct sim_machine *m);

#endif
