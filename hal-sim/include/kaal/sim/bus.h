/*
 * The sim's physical address space: device models on a bus, the interrupt
 * lines they drive, MMIO dispatch from user mappings to the models, and the
 * memory map a machine hands to the kernel (docs/machine.md).
 *
 * Principle of operation:
 *   - a device model (sim/) is a pair of functions over register offsets;
 *     the machine attaches it at a physical range. Physical addresses of
 *     devices are QEMU virt's (0x09000000 ...); they never collide with
 *     guest RAM, whose physical addresses are host addresses of the memfd's
 *     mapping (docs/memory.md);
 *   - a device frame mapped into a VSpace leaves its window pages PROT_NONE
 *     and is recorded (window range -> physical range) in a lock-free table
 *     (vspace.c). libkaal's MMIO accessors ask sim_mmio_read/sim_mmio_write,
 *     which find the record, then the device, and call the model on the
 *     calling thread. A raw load or store through the same pointer faults;
 *     the fault handler names the register with sim_mmio_describe;
 *   - a model reports the level of its interrupt output after every change
 *     of its state (sim_bus_set_irq); the sim interrupt controller latches a
 *     pending bit per line (intc.c), so a high level sets it and a low level
 *     clears it again while the kernel has not taken it.
 *
 * Tables here are fixed-size and read without locks, so a signal handler may
 * call every lookup function (sim_bus_find, sim_mmio_device_at,
 * sim_mmio_describe).
 */
#ifndef KAAL_SIM_BUS_H
#define KAAL_SIM_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_BUS_MAX_DEVICES 32u

/* Access widths a device takes, as a mask of byte counts (1, 2, 4, 8). */
#define SIM_ACCESS_8 (1u << 1)
#define SIM_ACCESS_16 (1u << 2)
#define SIM_ACCESS_32 (1u << 4)
#define SIM_ACCESS_64 (1u << 8)

/*
 * A device model on the bus. The caller owns the struct and keeps it
 * unchanged while it is attached. read/write are called on the thread that
 * makes the access (a component thread, holding the simulated CPU), with an
 * offset inside [0, size) that is aligned to `bytes`, and only for widths in
 * `access_sizes`; a model that other host threads also touch (input, time)
 * locks its own state.
 */
struct sim_device {
    const char *name;      /* as in the device tree: "pl011@9000000" */
    uint64_t base, size;   /* physical range */
    unsigned access_sizes; /* SIM_ACCESS_* mask */
    uint64_t (*read)(void *ctx, uint64_t offset, unsigned bytes);
    void (*write)(void *ctx, uint64_t offset, unsigned bytes, uint64_t value);
    void *ctx;
};

/*
 * Put a device on the bus. Returns 0, or -1 with a message on stderr: no
 * free entry, an empty or wrapping range, or an overlap with an attached
 * device (named in the message).
 */
int sim_bus_attach(const struct sim_device *dev);

/* Take it off again. No access to it may be in flight (stop the system first). */
void sim_bus_detach(const struct sim_device *dev);

/* The device whose range holds physical address `paddr`, or NULL. Safe in a signal handler. */
const struct sim_device *sim_bus_find(uint64_t paddr);

/* Does any attached device overlap [paddr, paddr + bytes)? */
bool sim_bus_any_in(uint64_t paddr, uint64_t bytes);

/*
 * A model's interrupt output `line` (a line of the sim interrupt controller)
 * is now `level`. High: the line is raised (pending until the kernel takes
 * it). Low: a pending bit the kernel has not taken yet is cleared, as a
 * level-triggered GIC input that drops before it is acknowledged. Models
 * call this after every change of state that may change the level, also
 * when it stays high, so that a line still high after the kernel took it
 * becomes pending again at the model's next event (docs/machine.md,
 * "Interrupts"). Safe from any thread. A high level goes through
 * sim_irq_raise (<kaal/sim/engine.h>), the engine's entry for device models.
 */
void sim_bus_set_irq(unsigned line, bool level);

/* The last level reported for `line` (false for a line no model drives). */
bool sim_bus_irq_level(unsigned line);

/* MMIO dispatch (bus.c), for libkaal's accessors. */
enum sim_mmio_status {
    SIM_MMIO_OK = 0,
    SIM_MMIO_NOT_DEVICE, /* no device frame mapping holds the address: not for the bus */
    SIM_MMIO_REFUSED,    /* a device mapping, but the access is not one the device takes (a line on stderr says why) */
};

/*
 * A read or write of `bytes` (1, 2, 4 or 8) at host address `host` inside a
 * device frame mapping. OK: the model served it (*value holds what a read
 * gives). REFUSED: misaligned, not a width the device takes, crossing the
 * device's end, or no device at that place of the frame; the model was not
 * called. Safe from any thread; the model runs on the caller's.
 */
enum sim_mmio_status sim_mmio_read(uintptr_t host, unsigned bytes, uint64_t *value);
enum sim_mmio_status sim_mmio_write(uintptr_t host, unsigned bytes, uint64_t value);

/*
 * Is `host` inside a device frame mapping, at a device? True with the device
 * and the register offset in it; false for any other address (and for the
 * parts of a device frame no device covers). Lock-free (vspace.c).
 */
bool sim_mmio_device_at(uintptr_t host, const struct sim_device **dev, uint64_t *offset);

/* The physical address behind `host` if it lies in a device frame mapping (vspace.c). Lock-free. */
bool sim_mmio_paddr(uintptr_t host, uint64_t *paddr);

/*
 * For the fault handler: if `host` lies in a device frame mapping, write
 * "raw access to <device> register 0x<offset> bypasses the MMIO accessors"
 * (or, where the frame has no device, "raw access to device memory at
 * physical 0x<paddr>, where no device is") into buf, NUL-terminated and cut
 * to len, and return its length (without the NUL, after the cut). If `host`
 * is itself a device's physical address (a driver that dereferences the
 * physical address instead of its mapping), say that. Else return -1 and
 * leave buf alone. Async-signal-safe: no stdio, no locks.
 */
int sim_mmio_describe(uintptr_t host, char *buf, size_t len);

/*
 * The physical memory map a machine hands to the kernel at boot. The engine
 * turns each entry into a kernel boot region (base = kernel address; on the
 * sim both are the same number): RAM as Untyped, DEVICE as device Untyped,
 * DTB as the device-tree boot module (its pages lie in guest RAM, outside
 * every RAM entry).
 */
enum sim_region_kind {
    SIM_REGION_RAM = 1,
    SIM_REGION_DEVICE = 2,
    SIM_REGION_DTB = 3,
};

struct sim_boot_region {
    uint64_t base, size; /* DTB: size in bytes of the blob, base page-aligned */
    enum sim_region_kind kind;
};

/*
 * What a machine provides to sim_boot: given the guest RAM just created
 * (`ram`, `ram_bytes`; physical address = (uintptr_t)ram), fill out[0..max)
 * and return the count, or -1 with a message on stderr. It may write into
 * guest RAM (the DTB).
 */
typedef int (*sim_layout_fn)(void *ctx, void *ram, size_t ram_bytes, struct sim_boot_region *out, unsigned max);

#endif
