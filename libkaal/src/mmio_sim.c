/*
 * MMIO accessors on the sim (<kaal/mmio.h>): a call into the device model
 * that owns the address (hal-sim's bus, <kaal/sim/bus.h>). An address in no
 * device frame mapping is accessed as plain memory, so ordinary memory
 * works and a bad pointer faults as any other access does; an access the
 * bus refuses (it printed why) is made raw too, and so faults on the device
 * frame's inaccessible page.
 *
 * The fences order the model call with the thread's other memory accesses as
 * the aarch64 barriers do (a model may hand data to another host thread).
 */
#include <stdatomic.h>

#include <kaal/mmio.h>
#include <kaal/sim/bus.h>

#define KAAL_MMIO_SIM(bits)                                                                                        \
    uint##bits##_t kaal_mmio_read##bits(const volatile void *addr)                                                 \
    {                                                                                                              \
        uint64_t v;                                                                                                \
        if (sim_mmio_read((uintptr_t)addr, bits / 8, &v) != SIM_MMIO_OK)                                           \
            v = *(const volatile uint##bits##_t *)addr;                                                            \
        atomic_thread_fence(memory_order_seq_cst);                                                                 \
        return (uint##bits##_t)v;                                                                                  \
    }                                                                                                              \
    void kaal_mmio_write##bits(volatile void *addr, uint##bits##_t value)                                          \
    {                                                                                                              \
        atomic_thread_fence(memory_order_seq_cst);                                                                 \
        if (sim_mmio_write((uintptr_t)addr, bits / 8, value) != SIM_MMIO_OK)                                       \
            *(volatile uint##bits##_t *)addr = value;                                                              \
    }

KAAL_MMIO_SIM(8)
KAAL_MMIO_SIM(16)
KAAL_MMIO_SIM(32)
KAAL_MMIO_SIM(64)
