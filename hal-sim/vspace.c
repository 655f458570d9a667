/*
 * Address spaces on the sim (<kaal/hal/vspace.h>, docs/memory.md).
 *
 * Guest RAM is a memfd, mapped once for the kernel: a kernel address is the
 * host address of that mapping, and "physical" addresses are the same
 * numbers. Each VSpace that maps a frame gets a host address window of
 * 2^SIM_WINDOW_BITS bytes, reserved PROT_NONE; a frame mapping places the
 * frame's pages of the memfd at window + vaddr with the mapping's rights,
 * so a component's pointer into its window reaches the frame, and any other
 * access in the window is a real SIGSEGV that becomes a VM fault.
 *
 * The page-table entries themselves (the core's walk) use a format of the
 * sim's own: the table or frame's kernel address, with the kind and the
 * HAL_MAP_* flags in the low bits, which a 4 KiB-aligned address leaves free.
 *
 * Device frames (HAL_MAP_DEVICE) are not guest RAM: their physical
 * addresses are QEMU virt's, where the bus has device models
 * (<kaal/sim/bus.h>). Mapping one leaves its window pages PROT_NONE, so
 * a raw load or store faults, and records (window range -> physical range)
 * in device_maps, which libkaal's MMIO accessors and the fault handler read
 * without locks.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <kaal/abi/objects.h>
#include <kaal/core/cap.h>
#include <kaal/core/tcb.h>
#include <kaal/hal/vspace.h>
#include <kaal/sim/bus.h>

#include "sim_internal.h"

/* 64 GiB per address space: room for ~2,000 windows in x86_64's 128 TiB of user addresses. */
#define SIM_WINDOW_BITS 36u
#define SIM_WINDOW_BYTES ((uintptr_t)1 << SIM_WINDOW_BITS)

#define PTE_VALID 0x1u
#define PTE_TABLE 0x2u
#define PTE_FLAGS_SHIFT 2u
#define PTE_ADDRESS_MASK (~(hal_pte_t)0xfff)

static struct {
    int fd;           /* the guest-RAM memfd, or -1 */
    uintptr_t base;   /* its mapping for the kernel */
    size_t bytes;
    uintptr_t windows[KAAL_ASID_COUNT]; /* each ASID's host window, once reserved; 0: none */
} sim_mem = {.fd = -1};

hal_pte_t hal_pte_table(kaal_word_t table_kaddr)
{
    return (table_kaddr & PTE_ADDRESS_MASK) | PTE_TABLE | PTE_VALID;
}

hal_pte_t hal_pte_frame(kaal_word_t frame_kaddr, unsigned level, unsigned flags)
{
    (void)level;
    return (frame_kaddr & PTE_ADDRESS_MASK) | (hal_pte_t)flags << PTE_FLAGS_SHIFT | PTE_VALID;
}

bool hal_pte_is_table(hal_pte_t pte, unsigned level)
{
    (void)level;
    return (pte & PTE_TABLE) != 0;
}

kaal_word_t hal_pte_kaddr(hal_pte_t pte)
{
    return pte & PTE_ADDRESS_MASK;
}

kaal_word_t hal_kaddr_to_paddr(kaal_word_t kaddr)
{
    return kaddr;
}

kaal_word_t hal_vspace_user_top(void)
{
    return SIM_WINDOW_BYTES;
}

void *sim_ram_create(size_t bytes, size_t align)
{
    int fd = memfd_create("kaal-guest-ram", MFD_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "kaal-sim: cannot create the guest-RAM memfd: %s\n", strerror(errno));
        return NULL;
    }
    if (ftruncate(fd, (off_t)bytes) != 0) {
        fprintf(stderr, "kaal-sim: cannot size guest RAM to %zu bytes: %s\n", bytes, strerror(errno));
        close(fd);
        return NULL;
    }
    /* Reserve room to align the start (the kernel's objects are aligned to their size), then map there. */
    void *span = mmap(NULL, bytes + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (span == MAP_FAILED) {
        fprintf(stderr, "kaal-sim: cannot reserve %zu bytes for guest RAM: %s\n", bytes, strerror(errno));
        close(fd);
        return NULL;
    }
    uintptr_t start = ((uintptr_t)span + align - 1) & ~(uintptr_t)(align - 1);
    if (start > (uintptr_t)span)
        munmap(span, start - (uintptr_t)span);
    uintptr_t end = (uintptr_t)span + bytes + align;
    if (end > start + bytes)
        munmap((void *)(start + bytes), end - (start + bytes));
    if (mmap((void *)start, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED) {
        fprintf(stderr, "kaal-sim: cannot map guest RAM: %s\n", strerror(errno));
        munmap((void *)start, bytes);
        close(fd);
        return NULL;
    }
    sim_mem.fd = fd;
    sim_mem.base = start;
    sim_mem.bytes = bytes;
    return (void *)start;
}

void sim_ram_destroy(void)
{
    for (unsigned asid = 0; asid < KAAL_ASID_COUNT; asid++)
        hal_vspace_release(asid);
    if (sim_mem.fd >= 0) {
        munmap((void *)sim_mem.base, sim_mem.bytes);
        close(sim_mem.fd);
    }
    sim_mem.fd = -1;
    sim_mem.base = 0;
    sim_mem.bytes = 0;
}

/*
 * Device frame mappings: a window range and the physical range behind it.
 * Written only by the thread that holds the simulated CPU (the kernel's
 * map/unmap/release, or the launcher after the system stopped), read by any
 * thread and by signal handlers. Each record is a seqlock: the writer makes
 * `seq` odd, changes the fields, makes it even again; a reader that sees an
 * odd or changed `seq` treats the record as absent (it is appearing or
 * going away at that very moment). `top` bounds the scan.
 */
#define SIM_DEVICE_MAPPINGS 256u

static struct device_map {
    _Atomic uint32_t seq;
    _Atomic uintptr_t host; /* window address of the mapping; 0: record free */
    _Atomic uintptr_t bytes;
    _Atomic uint64_t paddr;
    _Atomic kaal_word_t asid;
} device_maps[SIM_DEVICE_MAPPINGS];
static _Atomic unsigned device_maps_top; /* one past the highest record ever used */

static void device_map_set(struct device_map *m, uintptr_t host, uintptr_t bytes, uint64_t paddr, kaal_word_t asid)
{
    uint32_t seq = atomic_load_explicit(&m->seq, memory_order_relaxed);
    atomic_store_explicit(&m->seq, seq + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&m->bytes, bytes, memory_order_relaxed);
    atomic_store_explicit(&m->paddr, paddr, memory_order_relaxed);
    atomic_store_explicit(&m->asid, asid, memory_order_relaxed);
    atomic_store_explicit(&m->host, host, memory_order_relaxed);
    atomic_store_explicit(&m->seq, seq + 2, memory_order_release);
}

static bool device_map_add(kaal_word_t asid, uintptr_t host, uintptr_t bytes, uint64_t paddr)
{
    for (unsigned i = 0; i < SIM_DEVICE_MAPPINGS; i++) {
        struct device_map *m = &device_maps[i];
        if (atomic_load_explicit(&m->host, memory_order_relaxed) != 0)
            continue;
        device_map_set(m, host, bytes, paddr, asid);
        if (atomic_load(&device_maps_top) <= i)
            atomic_store(&device_maps_top, i + 1);
        return true;
    }
    return false;
}

/* Drop asid's records inside [host, host + bytes) (bytes 0: all of asid's). */
static void device_map_drop(kaal_word_t asid, uintptr_t host, uintptr_t bytes)
{
    unsigned top = atomic_load(&device_maps_top);
    for (unsigned i = 0; i < top; i++) {
        struct device_map *m = &device_maps[i];
        uintptr_t h = atomic_load_explicit(&m->host, memory_order_relaxed);
        if (h == 0 || atomic_load_explicit(&m->asid, memory_order_relaxed) != asid)
            continue;
        if (bytes == 0 || (h >= host && h - host < bytes))
            device_map_set(m, 0, 0, 0, 0);
    }
}

bool sim_mmio_paddr(uintptr_t host, uint64_t *paddr)
{
    unsigned top = atomic_load_explicit(&device_maps_top, memory_order_acquire);
    for (unsigned i = 0; i < top; i++) {
        struct device_map *m = &device_maps[i];
        uint32_t seq = atomic_load_explicit(&m->seq, memory_order_acquire);
        if (seq & 1u)
            continue;
        uintptr_t h = atomic_load_explicit(&m->host, memory_order_relaxed);
        uintptr_t n = atomic_load_explicit(&m->bytes, memory_order_relaxed);
        uint64_t p = atomic_load_explicit(&m->paddr, memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&m->seq, memory_order_relaxed) != seq)
            continue;
        if (h != 0 && host >= h && host - h < n) {
            *paddr = p + (host - h);
            return true;
        }
    }
    return false;
}

/* The window of asid, reserved on first use; 0 if the host has no room. */
static uintptr_t window(kaal_word_t asid)
{
    if (sim_mem.windows[asid] == 0) {
        void *w = mmap(NULL, SIM_WINDOW_BYTES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (w == MAP_FAILED) {
            fprintf(stderr, "kaal-sim: no host address space for the window of ASID %lu: %s\n",
                    (unsigned long)asid, strerror(errno));
            return 0;
        }
        sim_mem.windows[asid] = (uintptr_t)w;
    }
    return sim_mem.windows[asid];
}

/*
 * A device frame: the window range stays PROT_NONE (made so again here, so
 * nothing the host put there earlier survives) and is recorded, if a device
 * model covers some of the frame.
 */
static bool map_device(kaal_word_t asid, kaal_word_t vaddr, size_t bytes, kaal_word_t frame_kaddr)
{
    uint64_t paddr = hal_kaddr_to_paddr(frame_kaddr);
    if (!sim_bus_any_in(paddr, bytes)) {
        fprintf(stderr, "kaal-sim: device frame 0x%lx (%zu bytes) holds no device model of the sim machine\n",
                (unsigned long)frame_kaddr, bytes);
        return false;
    }
    uintptr_t w = window(asid);
    if (w == 0)
        return false;
    if (mmap((void *)(w + vaddr), bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1,
             0) == MAP_FAILED) {
        fprintf(stderr, "kaal-sim: cannot reserve device frame 0x%lx at 0x%lx: %s\n", (unsigned long)frame_kaddr,
                (unsigned long)vaddr, strerror(errno));
        return false;
    }
    if (!device_map_add(asid, w + vaddr, bytes, paddr)) {
        fprintf(stderr, "kaal-sim: device frame 0x%lx: all %u device mapping records are in use\n",
                (unsigned long)frame_kaddr, SIM_DEVICE_MAPPINGS);
        return false;
    }
    return true;
}

bool hal_vspace_map(kaal_word_t asid, kaal_word_t vaddr, unsigned size_bits, kaal_word_t frame_kaddr,
                    unsigned flags)
{
    size_t bytes = (size_t)1 << size_bits;
    if (flags & HAL_MAP_DEVICE)
        return map_device(asid, vaddr, bytes, frame_kaddr);
    if (frame_kaddr < sim_mem.base || frame_kaddr - sim_mem.base >= sim_mem.bytes) {
        fprintf(stderr, "kaal-sim: frame 0x%lx is not guest RAM\n", (unsigned long)frame_kaddr);
        return false;
    }
    uintptr_t w = window(asid);
    if (w == 0)
        return false;
    int prot = PROT_READ | ((flags & HAL_MAP_WRITE) ? PROT_WRITE : 0) | ((flags & HAL_MAP_EXEC) ? PROT_EXEC : 0);
    if (mmap((void *)(w + vaddr), bytes, prot, MAP_SHARED | MAP_FIXED, sim_mem.fd,
             (off_t)(frame_kaddr - sim_mem.base)) == MAP_FAILED) {
        fprintf(stderr, "kaal-sim: cannot map frame 0x%lx at 0x%lx: %s\n", (unsigned long)frame_kaddr,
                (unsigned long)vaddr, strerror(errno));
        return false;
    }
    return true;
}

void hal_vspace_unmap(kaal_word_t asid, kaal_word_t vaddr, unsigned size_bits)
{
    uintptr_t w = sim_mem.windows[asid];
    if (w == 0 || vaddr >= SIM_WINDOW_BYTES)
        return; /* nothing was ever mapped there */
    /* A table's span may reach beyond the window: only the window's part was ever mapped. */
    uintptr_t bytes = size_bits >= SIM_WINDOW_BITS ? SIM_WINDOW_BYTES : (uintptr_t)1 << size_bits;
    if (bytes > SIM_WINDOW_BYTES - vaddr)
        bytes = SIM_WINDOW_BYTES - vaddr;
    device_map_drop(asid, w + vaddr, bytes); /* before the pages change: a reader never sees a stale record */
    /* Back to reserved and inaccessible; MAP_FIXED replaces the frame's pages in one step. */
    if (mmap((void *)(w + vaddr), bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) ==
        MAP_FAILED) {
        fprintf(stderr, "kaal-sim: cannot unmap 0x%lx in ASID %lu: %s\n", (unsigned long)vaddr, (unsigned long)asid,
                strerror(errno));
        abort(); /* a frame left mapped would let a component reach memory it no longer owns */
    }
}

void hal_vspace_release(kaal_word_t asid)
{
    if (sim_mem.windows[asid] != 0) {
        device_map_drop(asid, 0, 0);
        munmap((void *)sim_mem.windows[asid], SIM_WINDOW_BYTES);
    }
    sim_mem.windows[asid] = 0;
}

kaal_word_t hal_vspace_user_pointer(kaal_word_t asid, kaal_word_t vaddr)
{
    return sim_mem.windows[asid] + vaddr;
}

bool sim_window_address(const struct tcb *t, uintptr_t host, kaal_word_t *vaddr)
{
    const struct cap *vs = &t->slots[TCB_SLOT_VSPACE].cap;
    if (vs->type != CAP_VSPACE)
        return false;
    uintptr_t w = sim_mem.windows[vs->data];
    if (w == 0 || host < w || host - w >= SIM_WINDOW_BYTES)
        return false;
    *vaddr = host - w;
    return true;
}
