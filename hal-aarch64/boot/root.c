/*
 * The root task linked into the kernel image (boot/root_image.S: an ELF
 * file of an EL0 program), and its start.
 *
 * The core makes the root task's objects (TCB, CNode, VSpace, IPC buffer,
 * boot info) but maps nothing: its VSpace is an empty level-0 table. So the
 * backend does it, in two steps:
 *   root_reserve (before kernel_boot): check the ELF and take the pages its
 *     segments, a stack and the page tables for both need from the RAM
 *     above the kernel image, before the rest goes to the core. These pages
 *     are no objects: the root task has no caps to them, cannot unmap or
 *     reuse them, and they are never handed out as Untyped.
 *   root_start (after kernel_boot): enter them into the root VSpace (whose
 *     ASID is 1), with the tables from the same pages, in the core's entry
 *     format (hal_pte_*); map the IPC buffer (read/write) and the boot info
 *     (read-only) frames the core made; set the registers; run it.
 *
 * The root task's address space (all in its first GiB, under one level-1
 * and one level-2 table of the backend):
 *   0x1000-0x3ffeb000        its ELF segments at their link addresses (page 0
 *                            is never mapped), read-only, read/write or
 *                            read/execute as the segment says (write and
 *                            execute together are refused)
 *   0x3ffeb000-0x3ffec000    guard page
 *   0x3ffec000-0x3fffc000    stack, 64 KiB
 *   0x3fffc000-0x3fffd000    guard page
 *   0x3fffd000-0x3fffe000    (free)
 *   0x3fffe000               IPC buffer
 *   0x3ffff000               boot info
 * It starts at the ELF's entry with sp = 0x3fffc000, x0 = the IPC buffer's
 * address, x1 = the boot info's (the sim's convention: root task entry
 * (ipc_buffer, bootinfo)). Its other threads and mappings are its own
 * business: it maps with caps from its Untyped, anywhere but where the
 * backend's tables already are (a PageTable_Map in its first GiB is
 * refused with DELETE_FIRST; frames in free entries of that GiB are fine).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kaal/abi/bootinfo.h>
#include <kaal/core/kernel.h>
#include <kaal/core/klog.h>
#include <kaal/hal/vspace.h>

#include "boot/boot.h"
#include "boot/root.h"
#include "mm/kmap.h"

#define PAGE_SIZE 4096ul
#define PAGE_MASK (PAGE_SIZE - 1)
#define ROOT_BOOTINFO_VADDR 0x3ffff000ul
#define ROOT_IPC_BUFFER_VADDR 0x3fffe000ul
#define ROOT_STACK_TOP 0x3fffc000ul
#define ROOT_STACK_PAGES 16ul
#define ROOT_IMAGE_MIN PAGE_SIZE
#define ROOT_IMAGE_LIMIT (ROOT_STACK_TOP - ROOT_STACK_PAGES * PAGE_SIZE - PAGE_SIZE)
#define ROOT_MAX_SEGMENTS 8u

/* ELF64 (System V gABI), the parts a static executable needs. */
struct elf64_ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
#define ELF_CLASS64 2u
#define ELF_DATA2LSB 1u
#define ET_EXEC 2u
#define EM_AARCH64 183u
#define PT_LOAD 1u
#define PF_X 1u
#define PF_W 2u

struct segment {
    uint64_t vaddr, memsz, offset, filesz;
    unsigned flags; /* HAL_MAP_* */
};

static struct {
    struct segment seg[ROOT_MAX_SEGMENTS];
    unsigned nseg;
    uint64_t entry;
    uint64_t pool, pool_end; /* physical: the reserved pages not yet used */
} root;

bool root_task_present(void)
{
    return (uintptr_t)aarch64_root_elf_end != (uintptr_t)aarch64_root_elf;
}

static bool bad_elf(const char *why)
{
    kprintf("KaaL: the root task's ELF file is unusable: %s\n", why);
    return false;
}

/* Check the ELF and note its loadable segments; false after saying why. */
static bool read_elf(const uint8_t *file, uint64_t size)
{
    struct elf64_ehdr eh;
    if (size < sizeof eh)
        return bad_elf("shorter than an ELF header");
    __builtin_memcpy(&eh, file, sizeof eh);
    if (eh.ident[0] != 0x7f || eh.ident[1] != 'E' || eh.ident[2] != 'L' || eh.ident[3] != 'F')
        return bad_elf("no ELF magic");
    if (eh.ident[4] != ELF_CLASS64 || eh.ident[5] != ELF_DATA2LSB || eh.type != ET_EXEC || eh.machine != EM_AARCH64)
        return bad_elf("not a little-endian 64-bit AArch64 executable");
    if (eh.phentsize != sizeof(struct elf64_phdr) || eh.phoff > size ||
        (uint64_t)eh.phnum * sizeof(struct elf64_phdr) > size - eh.phoff)
        return bad_elf("program headers outside the file");
    root.nseg = 0;
    for (unsigned i = 0; i < eh.phnum; i++) {
        struct elf64_phdr ph;
        __builtin_memcpy(&ph, file + eh.phoff + i * sizeof ph, sizeof ph);
        if (ph.type != PT_LOAD || ph.memsz == 0)
            continue;
        if (root.nseg == ROOT_MAX_SEGMENTS)
            return bad_elf("more than 8 loadable segments");
        if (ph.filesz > ph.memsz || ph.offset > size || ph.filesz > size - ph.offset)
            return bad_elf("a segment's bytes lie outside the file");
        if (ph.vaddr < ROOT_IMAGE_MIN || ph.vaddr >= ROOT_IMAGE_LIMIT || ph.memsz > ROOT_IMAGE_LIMIT - ph.vaddr)
            return bad_elf("a segment lies outside 0x1000-0x3ffeb000");
        if ((ph.flags & PF_W) && (ph.flags & PF_X))
            return bad_elf("a segment is writable and executable");
        for (unsigned j = 0; j < root.nseg; j++) {
            const struct segment *o = &root.seg[j];
            if ((ph.vaddr & ~PAGE_MASK) < ((o->vaddr + o->memsz + PAGE_MASK) & ~PAGE_MASK) &&
                (o->vaddr & ~PAGE_MASK) < ((ph.vaddr + ph.memsz + PAGE_MASK) & ~PAGE_MASK))
                return bad_elf("two segments share a page");
        }
        root.seg[root.nseg++] = (struct segment){
            .vaddr = ph.vaddr, .memsz = ph.memsz, .offset = ph.offset, .filesz = ph.filesz,
            .flags = HAL_MAP_READ | ((ph.flags & PF_W) ? HAL_MAP_WRITE : 0) | ((ph.flags & PF_X) ? HAL_MAP_EXEC : 0)};
    }
    if (root.nseg == 0)
        return bad_elf("no loadable segment");
    if (eh.entry < ROOT_IMAGE_MIN || eh.entry >= ROOT_IMAGE_LIMIT)
        return bad_elf("the entry point is outside the image");
    root.entry = eh.entry;
    return true;
}

static uint64_t seg_pages(const struct segment *s)
{
    return (((s->vaddr + s->memsz + PAGE_MASK) & ~PAGE_MASK) - (s->vaddr & ~PAGE_MASK)) / PAGE_SIZE;
}

bool root_reserve(uint64_t start, uint64_t end, uint64_t *reserved_end)
{
    uint64_t size = (uint64_t)(aarch64_root_elf_end - aarch64_root_elf);
    if (!read_elf(aarch64_root_elf, size))
        return false;
    /* Tables: one level-1 and one level-2 (everything is in the first GiB), and a level-3 per 2 MiB touched. */
    uint64_t pages = ROOT_STACK_PAGES + 2 + 1; /* the stack's 2 MiB holds the IPC buffer and boot info too */
    for (unsigned i = 0; i < root.nseg; i++)
        pages += seg_pages(&root.seg[i]) + seg_pages(&root.seg[i]) / 512 + 2;
    uint64_t bytes = pages * PAGE_SIZE;
    if (start & PAGE_MASK || end < start || end - start < bytes) {
        kprintf("KaaL: no room for the root task's %lu pages above the kernel image\n", pages);
        return false;
    }
    root.pool = start;
    root.pool_end = start + bytes;
    __builtin_memset((void *)(uintptr_t)kmap_kaddr(start), 0, bytes);
    *reserved_end = root.pool_end;
    kprintf("KaaL: root task: %lu bytes of ELF, %u segments; %lu KiB reserved at 0x%lx for its image, stack and "
            "tables\n", size, root.nseg, bytes >> 10, start);
    return true;
}

/* A zeroed page of the reservation, by kernel address; 0 if none is left (root_reserve counted wrong). */
static uint64_t pool_page(void)
{
    if (root.pool == root.pool_end) {
        kprintf("KaaL: root task: the reserved pages ran out\n");
        return 0;
    }
    uint64_t pa = root.pool;
    root.pool += PAGE_SIZE;
    return kmap_kaddr(pa);
}

/* Enter a 4 KiB frame at va of the VSpace at root_kaddr, making tables from the reservation. */
static bool map_page(uint64_t root_kaddr, uint64_t asid, uint64_t va, uint64_t frame_kaddr, unsigned flags)
{
    hal_pte_t *table = (hal_pte_t *)(uintptr_t)root_kaddr;
    for (unsigned level = 0; level < 3; level++) {
        hal_pte_t *e = &table[(va >> (39 - 9 * level)) & 511];
        if (*e == 0) {
            uint64_t t = pool_page();
            if (t == 0)
                return false;
            *e = hal_pte_table(t);
        } else if (!hal_pte_is_table(*e, level)) {
            return false;
        }
        table = (hal_pte_t *)(uintptr_t)hal_pte_kaddr(*e);
    }
    hal_pte_t *e = &table[(va >> 12) & 511];
    if (*e != 0) {
        kprintf("KaaL: root task: 0x%lx is mapped twice\n", va);
        return false;
    }
    *e = hal_pte_frame(frame_kaddr, 3, flags);
    return hal_vspace_map(asid, va, 12, frame_kaddr, flags);
}

/* Clean a page's data cache lines to the point of unification, so instruction fetch can see what was written. */
static void clean_to_pou(uint64_t kaddr)
{
    uint64_t ctr;
    __asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
    uint64_t line = 4ul << ((ctr >> 16) & 0xf); /* DminLine: log2 of words */
    for (uint64_t a = kaddr; a < kaddr + PAGE_SIZE; a += line)
        __asm__ volatile("dc cvau, %0" ::"r"(a) : "memory");
}

bool root_start(void)
{
    struct tcb *t = ks.current;
    if (t == NULL || t == &ks.idle || t->slots[TCB_SLOT_VSPACE].cap.type != CAP_VSPACE ||
        t->slots[TCB_SLOT_CSPACE].cap.type != CAP_CNODE) {
        kprintf("KaaL: root task: the core chose no root thread with a VSpace and a CSpace\n");
        return false;
    }
    uint64_t vs = t->slots[TCB_SLOT_VSPACE].cap.obj, asid = t->slots[TCB_SLOT_VSPACE].cap.data;
    for (unsigned i = 0; i < root.nseg; i++) {
        const struct segment *s = &root.seg[i];
        uint64_t first = s->vaddr & ~PAGE_MASK;
        for (uint64_t p = 0; p < seg_pages(s); p++) {
            uint64_t page = pool_page(), va = first + p * PAGE_SIZE;
            if (page == 0 || !map_page(vs, asid, va, page, s->flags))
                return false;
            /* The part of the file inside this page. */
            uint64_t lo = va > s->vaddr ? va : s->vaddr, hi = s->vaddr + s->filesz;
            if (hi > va + PAGE_SIZE)
                hi = va + PAGE_SIZE;
            if (lo < hi)
                __builtin_memcpy((void *)(uintptr_t)(page + (lo - va)), aarch64_root_elf + s->offset + (lo - s->vaddr),
                                 hi - lo);
            if (s->flags & HAL_MAP_EXEC)
                clean_to_pou(page);
        }
    }
    for (uint64_t p = 1; p <= ROOT_STACK_PAGES; p++) {
        uint64_t page = pool_page();
        if (page == 0 || !map_page(vs, asid, ROOT_STACK_TOP - p * PAGE_SIZE, page, HAL_MAP_READ | HAL_MAP_WRITE))
            return false;
    }
    const struct slot *cnode = (const struct slot *)(uintptr_t)t->slots[TCB_SLOT_CSPACE].cap.obj;
    if (!map_page(vs, asid, ROOT_IPC_BUFFER_VADDR, cnode[KAAL_ROOT_SLOT_IPC_BUFFER].cap.obj,
                  HAL_MAP_READ | HAL_MAP_WRITE) ||
        !map_page(vs, asid, ROOT_BOOTINFO_VADDR, cnode[KAAL_ROOT_SLOT_BOOTINFO].cap.obj, HAL_MAP_READ))
        return false;
    /* The code was written through the linear map: make it visible to instruction fetch. */
    __asm__ volatile("dsb ish\n\tic iallu\n\tdsb ish\n\tisb" ::: "memory");

    hal_ctx_set_pc(&t->ctx, root.entry);
    hal_ctx_set_sp(&t->ctx, ROOT_STACK_TOP);
    t->ctx.x[0] = ROOT_IPC_BUFFER_VADDR;
    t->ctx.x[1] = ROOT_BOOTINFO_VADDR;
    kprintf("KaaL: root task: entry 0x%lx, stack 0x%lx-0x%lx, IPC buffer 0x%lx, boot info 0x%lx, ASID %lu\n",
            root.entry, ROOT_STACK_TOP - ROOT_STACK_PAGES * PAGE_SIZE, ROOT_STACK_TOP, ROOT_IPC_BUFFER_VADDR,
            ROOT_BOOTINFO_VADDR, asid);
    return true;
}
