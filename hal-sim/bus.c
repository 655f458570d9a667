/*
 * The sim bus (<kaal/sim/bus.h>, docs/machine.md): which device model
 * answers at which physical address, the levels of the interrupt lines the
 * models drive, and MMIO dispatch from a host address in a device frame
 * mapping to the model's register function.
 *
 * Principle of operation: a fixed table of device pointers, written by
 * attach/detach (serialised by a mutex among writers) and read without
 * locks: a reader loads a slot's pointer (acquire) and reads the device's
 * fields, which the owner keeps unchanged while it is attached. So lookups
 * may run in a signal handler and on any thread. An MMIO access goes
 * host address -> physical address (the mapping records of vspace.c) ->
 * device -> model, all on the calling thread.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include <kaal/hal/irq.h>
#include <kaal/sim/bus.h>
#include <kaal/sim/engine.h>

#include "sim_internal.h"

static _Atomic(const struct sim_device *) devices[SIM_BUS_MAX_DEVICES];
static pthread_mutex_t writers = PTHREAD_MUTEX_INITIALIZER;

/* [a, a + an) and [b, b + bn) overlap (neither wraps: checked at attach). */
static bool overlap(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
    return a < b + bn && b < a + an;
}

int sim_bus_attach(const struct sim_device *dev)
{
    if (dev->size == 0 || dev->base + dev->size < dev->base) {
        fprintf(stderr, "kaal-sim: bus: device %s has an empty or wrapping range\n", dev->name);
        return -1;
    }
    pthread_mutex_lock(&writers);
    int free_slot = -1;
    for (unsigned i = 0; i < SIM_BUS_MAX_DEVICES; i++) {
        const struct sim_device *d = atomic_load_explicit(&devices[i], memory_order_acquire);
        if (d == NULL) {
            if (free_slot < 0)
                free_slot = (int)i;
            continue;
        }
        if (overlap(d->base, d->size, dev->base, dev->size)) {
            pthread_mutex_unlock(&writers);
            fprintf(stderr, "kaal-sim: bus: device %s at 0x%llx overlaps %s at 0x%llx\n", dev->name,
                    (unsigned long long)dev->base, d->name, (unsigned long long)d->base);
            return -1;
        }
    }
    if (free_slot < 0) {
        pthread_mutex_unlock(&writers);
        fprintf(stderr, "kaal-sim: bus: no room for device %s (%u attached)\n", dev->name, SIM_BUS_MAX_DEVICES);
        return -1;
    }
    atomic_store_explicit(&devices[free_slot], dev, memory_order_release);
    pthread_mutex_unlock(&writers);
    return 0;
}

void sim_bus_detach(const struct sim_device *dev)
{
    pthread_mutex_lock(&writers);
    for (unsigned i = 0; i < SIM_BUS_MAX_DEVICES; i++) {
        if (atomic_load_explicit(&devices[i], memory_order_relaxed) == dev)
            atomic_store_explicit(&devices[i], NULL, memory_order_release);
    }
    pthread_mutex_unlock(&writers);
}

const struct sim_device *sim_bus_find(uint64_t paddr)
{
    for (unsigned i = 0; i < SIM_BUS_MAX_DEVICES; i++) {
        const struct sim_device *d = atomic_load_explicit(&devices[i], memory_order_acquire);
        if (d != NULL && paddr >= d->base && paddr - d->base < d->size)
            return d;
    }
    return NULL;
}

bool sim_bus_any_in(uint64_t paddr, uint64_t bytes)
{
    for (unsigned i = 0; i < SIM_BUS_MAX_DEVICES; i++) {
        const struct sim_device *d = atomic_load_explicit(&devices[i], memory_order_acquire);
        if (d != NULL && overlap(d->base, d->size, paddr, bytes))
            return true;
    }
    return false;
}

/* Interrupt lines ------------------------------------------------------------------------------ */

static _Atomic uint64_t levels; /* bit n: the level models last reported for line n */

void sim_bus_set_irq(unsigned line, bool level)
{
    if (line >= SIM_IRQ_LINES)
        return;
    uint64_t bit = (uint64_t)1 << line;
    if (level) {
        atomic_fetch_or(&levels, bit);
        sim_irq_raise(line); /* the engine's entry for device models (<kaal/sim/engine.h>) */
    } else if (atomic_fetch_and(&levels, ~bit) & bit) {
        /* The input dropped: a pending bit the kernel has not taken goes with it (as a GIC level input). */
        sim_intc_lower(line);
    }
}

bool sim_bus_irq_level(unsigned line)
{
    return line < SIM_IRQ_LINES && (atomic_load(&levels) >> line & 1u);
}

/* MMIO dispatch -------------------------------------------------------------------------------- */

/* "1-, 2- and 4-byte accesses" for a SIM_ACCESS_* mask, into buf. */
static const char *access_sizes_text(unsigned mask, char *buf, size_t len)
{
    static const unsigned widths[4] = {1, 2, 4, 8};
    unsigned n = 0, total = 0;
    for (unsigned i = 0; i < 4; i++)
        total += (mask >> widths[i]) & 1u;
    size_t used = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < 4 && used < len; i++) {
        if (!((mask >> widths[i]) & 1u))
            continue;
        n++;
        const char *sep = n == 1 ? "" : n == total ? " and " : ", ";
        used += (size_t)snprintf(buf + used, len - used, "%s%u-", sep, widths[i]);
    }
    if (used < len)
        snprintf(buf + used, len - used, "%s", total == 0 ? "no accesses" : "byte accesses");
    return buf;
}

/*
 * Resolve an access: the device and offset, or why not (a line on stderr).
 * NOT_DEVICE leaves nothing on stderr: that address is not the bus's business.
 */
static enum sim_mmio_status resolve(uintptr_t host, unsigned bytes, bool write, const struct sim_device **dev,
                                    uint64_t *offset)
{
    uint64_t paddr;
    if (!sim_mmio_paddr(host, &paddr))
        return SIM_MMIO_NOT_DEVICE;
    const char *what = write ? "write" : "read";
    const struct sim_device *d = sim_bus_find(paddr);
    if (d == NULL) {
        fprintf(stderr, "kaal-sim: MMIO: %u-byte %s at physical 0x%llx: no device there\n", bytes, what,
                (unsigned long long)paddr);
        return SIM_MMIO_REFUSED;
    }
    uint64_t off = paddr - d->base;
    const char *why = NULL, *prefix = "";
    char widths[48];
    if (bytes != 1 && bytes != 2 && bytes != 4 && bytes != 8) {
        why = "not an access width";
    } else if (paddr % bytes != 0) {
        why = "misaligned";
    } else if (!(d->access_sizes & (1u << bytes))) {
        prefix = "the device takes ";
        why = access_sizes_text(d->access_sizes, widths, sizeof widths);
    } else if (bytes > d->size - off) {
        why = "crosses the end of the device";
    }
    if (why != NULL) {
        fprintf(stderr, "kaal-sim: MMIO: %u-byte %s of %s register 0x%llx refused (%s%s)\n", bytes, what, d->name,
                (unsigned long long)off, prefix, why);
        return SIM_MMIO_REFUSED;
    }
    *dev = d;
    *offset = off;
    return SIM_MMIO_OK;
}

enum sim_mmio_status sim_mmio_read(uintptr_t host, unsigned bytes, uint64_t *value)
{
    const struct sim_device *d;
    uint64_t off;
    enum sim_mmio_status s = resolve(host, bytes, false, &d, &off);
    if (s == SIM_MMIO_OK)
        *value = d->read(d->ctx, off, bytes);
    return s;
}

enum sim_mmio_status sim_mmio_write(uintptr_t host, unsigned bytes, uint64_t value)
{
    const struct sim_device *d;
    uint64_t off;
    enum sim_mmio_status s = resolve(host, bytes, true, &d, &off);
    if (s == SIM_MMIO_OK)
        d->write(d->ctx, off, bytes, value);
    return s;
}

bool sim_mmio_device_at(uintptr_t host, const struct sim_device **dev, uint64_t *offset)
{
    uint64_t paddr;
    if (!sim_mmio_paddr(host, &paddr))
        return false;
    const struct sim_device *d = sim_bus_find(paddr);
    if (d == NULL)
        return false;
    *dev = d;
    *offset = paddr - d->base;
    return true;
}

/* The fault message: a few appends into a bounded buffer, no stdio (signal handlers call it). */
struct text {
    char *buf;
    size_t len, used; /* used may exceed len - 1: then the text was cut */
};

static void put_str(struct text *t, const char *s)
{
    for (; *s != '\0'; s++, t->used++) {
        if (t->used + 1 < t->len)
            t->buf[t->used] = *s;
    }
}

static void put_hex(struct text *t, uint64_t v)
{
    char digits[17];
    int n = 0;
    do {
        digits[n++] = "0123456789abcdef"[v & 0xf];
        v >>= 4;
    } while (v != 0);
    char s[19] = "0x";
    for (int i = 0; i < n; i++)
        s[2 + i] = digits[n - 1 - i];
    s[2 + n] = '\0';
    put_str(t, s);
}

int sim_mmio_describe(uintptr_t host, char *buf, size_t len)
{
    uint64_t paddr;
    struct text t = {.buf = buf, .len = len, .used = 0};
    const struct sim_device *d;
    if (!sim_mmio_paddr(host, &paddr)) {
        /* A device's physical address used as a pointer (the machine keeps those host pages inaccessible). */
        d = sim_bus_find(host);
        if (d == NULL)
            return -1;
        put_str(&t, "access to ");
        put_str(&t, d->name);
        put_str(&t, " register ");
        put_hex(&t, host - d->base);
        put_str(&t, " through its physical address: map the device frame and use the pointer Frame_Map gives");
    } else if ((d = sim_bus_find(paddr)) != NULL) {
        put_str(&t, "raw access to ");
        put_str(&t, d->name);
        put_str(&t, " register ");
        put_hex(&t, paddr - d->base);
        put_str(&t, " bypasses the MMIO accessors");
    } else {
        put_str(&t, "raw access to device memory at physical ");
        put_hex(&t, paddr);
        put_str(&t, ", where no device is");
    }
    if (len > 0)
        buf[t.used < len ? t.used : len - 1] = '\0';
    return (int)(t.used < len ? t.used : (len > 0 ? len - 1 : 0));
}
