/*
 * Memory on the sim: frames mapped into a VSpace are reached through the
 * pointer Frame_Map answers, with the mapping's rights; two mappings of one
 * frame share its bytes (guest RAM is one memfd); each VSpace has its own
 * window; unmapping keeps the frame's contents; a deleted VSpace leaves its
 * frame caps with stale records that unmap cleanly; a write to a read-only
 * mapping is a VM fault with the user address, and after the handler maps a
 * writable copy there and answers RESUME, the write goes through.
 */
#define _DEFAULT_SOURCE /* mincore */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <kaal/kaal.h>
#include <kaal/sim/engine.h>

#define ROOT KAAL_ROOT_SLOT_CNODE
#define VSPACE KAAL_ROOT_SLOT_VSPACE
#define RW (KAAL_RIGHT_READ | KAAL_RIGHT_WRITE)

static int failures;

#define EXPECT(cond)                                                                                               \
    do {                                                                                                           \
        if (!(cond)) {                                                                                             \
            printf("test_sim_memory: FAILED: %s (line %d)\n", #cond, __LINE__);                                    \
            failures++;                                                                                            \
        }                                                                                                          \
    } while (0)

/* Is the host page at p mapped at all (mincore fails with ENOMEM on an unmapped page)? */
static int host_mapped(const void *p)
{
    unsigned char v;
    uintptr_t page = (uintptr_t)p & ~(uintptr_t)(sysconf(_SC_PAGESIZE) - 1);
    return mincore((void *)page, 1, &v) == 0;
}

/* PUD, PD and PT for the first 2 MiB of vspace, retyped into slots from `slot`. */
static int map_tables(kaal_cptr_t ut, kaal_word_t slot, kaal_cptr_t vspace)
{
    int err = kaal_untyped_retype(ut, KAAL_OBJ_PAGE_UPPER_DIR, 0, ROOT, 0, 0, slot, 1);
    err = err ? err : kaal_untyped_retype(ut, KAAL_OBJ_PAGE_DIR, 0, ROOT, 0, 0, slot + 1, 1);
    err = err ? err : kaal_untyped_retype(ut, KAAL_OBJ_PAGE_TABLE, 0, ROOT, 0, 0, slot + 2, 1);
    err = err ? err : kaal_page_table_map(slot, vspace, 0);
    err = err ? err : kaal_page_table_map(slot + 1, vspace, 0);
    err = err ? err : kaal_page_table_map(slot + 2, vspace, 0);
    return err;
}

/* A thread in an address space of its own writes 42 through a pointer given to it, then says so. */
static void writer(kaal_word_t pointer, kaal_word_t done_ntfn, kaal_word_t unused)
{
    (void)unused;
    *(volatile kaal_word_t *)(uintptr_t)pointer = 42;
    kaal_signal(done_ntfn);
    for (;;)
        kaal_wait(done_ntfn + 1); /* a notification nobody signals */
}

/*
 * The read-only case: frame F mapped read-only at 0x5000 of a fresh VSpace;
 * the writer faults; the handler (this root thread) unmaps F, maps a writable
 * copy of F at the same address and answers RESUME.
 */
static void read_only_write(kaal_cptr_t ut, kaal_word_t s)
{
    kaal_cptr_t tcb = s, vspace = s + 1, ipc = s + 2, frame = s + 3, rw_copy = s + 4, ep = s + 5, done = s + 6,
                never = s + 7, fault_ep = s + 8;
    int err = kaal_untyped_retype(ut, KAAL_OBJ_TCB, 0, ROOT, 0, 0, tcb, 1);
    err = err ? err : kaal_untyped_retype(ut, KAAL_OBJ_VSPACE, 0, ROOT, 0, 0, vspace, 1);
    err = err ? err : kaal_untyped_retype(ut, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, ROOT, 0, 0, ipc, 2);
    err = err ? err : kaal_untyped_retype(ut, KAAL_OBJ_ENDPOINT, 0, ROOT, 0, 0, ep, 1);
    err = err ? err : kaal_untyped_retype(ut, KAAL_OBJ_NOTIFICATION, 0, ROOT, 0, 0, done, 2);
    err = err ? err : kaal_cnode_mint(ROOT, fault_ep, 64, ROOT, ep, 64, KAAL_RIGHTS_ALL, 0x77);
    err = err ? err : map_tables(ut, s + 9, vspace);
    void *p = NULL;
    err = err ? err : kaal_frame_map(frame, vspace, 0x5000, KAAL_RIGHT_READ, 0, &p);
    err = err ? err : kaal_tcb_configure(tcb, ROOT, vspace, ipc, 0, fault_ep);
    err = err ? err : kaal_tcb_set_priority(tcb, KAAL_ROOT_SLOT_TCB, 100);
    err = err ? err : kaal_tcb_start(tcb, writer, 0, (kaal_word_t)(uintptr_t)p, done, 0);
    EXPECT(err == KAAL_OK);
    if (err != KAAL_OK)
        return;
    EXPECT(never == done + 1);

    kaal_word_t badge = 0;
    kaal_word_t info = kaal_recv(ep, &badge);
    EXPECT(badge == 0x77);
    EXPECT(kaal_msginfo_label(info) == KAAL_FAULT_VM);
    EXPECT(kaal_get_mr(KAAL_FAULT_VM_ADDRESS) == 0x5000);
    EXPECT(kaal_get_mr(KAAL_FAULT_VM_ACCESS) & KAAL_VM_ACCESS_WRITE);
    /* The handler's remedy: the same frame, writable, at the same place. */
    void *q = NULL;
    EXPECT(kaal_frame_unmap(frame) == KAAL_OK);
    EXPECT(kaal_cnode_copy(ROOT, rw_copy, 64, ROOT, frame, 64, RW) == KAAL_OK);
    EXPECT(kaal_frame_map(rw_copy, vspace, 0x5000, RW, 0, &q) == KAAL_OK);
    EXPECT(q == p);
    kaal_reply(kaal_msginfo(KAAL_FAULT_RESUME, 0, 0, 0));
    kaal_wait(done);
    kaal_word_t *mine = NULL;
    EXPECT(kaal_frame_map(frame, VSPACE, 0x6000, KAAL_RIGHT_READ, 0, (void **)&mine) == KAAL_OK);
    EXPECT(mine != NULL && *mine == 42);
    EXPECT(kaal_cnode_delete(ROOT, tcb, 64) == KAAL_OK);
}

static void root(kaal_word_t ipc_buffer, kaal_word_t bootinfo, kaal_word_t unused)
{
    (void)ipc_buffer, (void)unused;
    const struct kaal_bootinfo *bi = (const struct kaal_bootinfo *)(uintptr_t)bootinfo;
    kaal_cptr_t ut = kaal_bootinfo_largest_untyped(bi);
    kaal_word_t s = bi->empty.start;
    kaal_cptr_t frame = s + 3, other = s + 4, big = s + 5, ro_copy = s + 6, vspace2 = s + 7, copy2 = s + 11;

    EXPECT(map_tables(ut, s, VSPACE) == KAAL_OK);
    EXPECT(kaal_untyped_retype(ut, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, ROOT, 0, 0, frame, 2) == KAAL_OK);
    EXPECT(kaal_untyped_retype(ut, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_LARGE, ROOT, 0, 0, big, 1) == KAAL_OK);

    /* Read-write: what is written through the pointer stays in the frame. */
    unsigned char *p = NULL;
    EXPECT(kaal_frame_map(frame, VSPACE, 0x1000, RW, 0, (void **)&p) == KAAL_OK);
    EXPECT(p != NULL && host_mapped(p));
    if (p == NULL)
        sim_halt(1);
    for (unsigned i = 0; i < 4096; i++)
        EXPECT(p[i] == 0); /* fresh from Retype */
    memset(p, 0x5a, 4096);

    /* A read-only copy at another address sees the same bytes, and later writes through the first. */
    unsigned char *q = NULL;
    EXPECT(kaal_cnode_copy(ROOT, ro_copy, 64, ROOT, frame, 64, KAAL_RIGHT_READ) == KAAL_OK);
    EXPECT(kaal_frame_map(ro_copy, VSPACE, 0x2000, RW, 0, NULL) == KAAL_ERR_INVALID_ARGUMENT);
    EXPECT(kaal_frame_map(ro_copy, VSPACE, 0x2000, KAAL_RIGHT_READ, 0, (void **)&q) == KAAL_OK);
    EXPECT(q == p + 0x1000);
    EXPECT(q != NULL && q[0] == 0x5a && q[4095] == 0x5a);
    p[100] = 0x17;
    EXPECT(q != NULL && q[100] == 0x17);

    /* Errors the sim backend adds nothing to: an occupied entry, an address past the sim's user top. */
    EXPECT(kaal_frame_map(other, VSPACE, 0x1000, RW, 0, NULL) == KAAL_ERR_DELETE_FIRST);
    EXPECT(kaal_frame_map(other, VSPACE, (kaal_word_t)1 << 36, RW, 0, NULL) == KAAL_ERR_RANGE_ERROR);

    /* A 2 MiB frame in the PD's second entry. */
    unsigned char *r = NULL;
    EXPECT(kaal_frame_map(big, VSPACE, 0x200000, RW, 0, (void **)&r) == KAAL_OK);
    EXPECT(r == p - 0x1000 + 0x200000);
    if (r != NULL) {
        r[0] = 1;
        r[(2u << 20) - 1] = 2;
        EXPECT(r[0] == 1 && r[(2u << 20) - 1] == 2);
    }

    /* Unmapped, the page is gone from the window; mapped again elsewhere, the contents are still there. */
    EXPECT(kaal_frame_unmap(frame) == KAAL_OK);
    EXPECT(kaal_frame_unmap(frame) == KAAL_ERR_ILLEGAL_OPERATION);
    unsigned char *again = NULL;
    EXPECT(kaal_frame_map(frame, VSPACE, 0x3000, RW, 0, (void **)&again) == KAAL_OK);
    EXPECT(again != NULL && again[0] == 0x5a && again[100] == 0x17);

    /* A second address space: its own window, the same frame through a copy. */
    unsigned char *w2 = NULL;
    EXPECT(kaal_untyped_retype(ut, KAAL_OBJ_VSPACE, 0, ROOT, 0, 0, vspace2, 1) == KAAL_OK);
    EXPECT(map_tables(ut, vspace2 + 1, vspace2) == KAAL_OK);
    EXPECT(kaal_cnode_copy(ROOT, copy2, 64, ROOT, frame, 64, RW) == KAAL_OK);
    EXPECT(kaal_frame_map(copy2, vspace2, 0x1000, RW, 0, (void **)&w2) == KAAL_OK);
    EXPECT(w2 != NULL && w2 != p && w2[100] == 0x17);

    /* Deleting that VSpace releases its window; the copy's record is stale and unmaps without effect. */
    EXPECT(kaal_cnode_delete(ROOT, vspace2, 64) == KAAL_OK);
    EXPECT(w2 == NULL || !host_mapped(w2));
    EXPECT(kaal_frame_unmap(copy2) == KAAL_OK);
    EXPECT(again != NULL && again[100] == 0x17); /* the root's own mapping is untouched */

    kaal_word_t paddr = 0;
    EXPECT(kaal_frame_get_address(frame, &paddr) == KAAL_OK && paddr != 0);

    read_only_write(ut, s + 20);
    sim_halt(failures == 0 ? 0 : 1);
}

int main(void)
{
    if (sim_boot(16u << 20) != 0)
        return 2;
    int status = sim_run(root);
    printf("test_sim_memory: %s\n", failures == 0 && status == 0 ? "ok" : "FAILED");
    return failures == 0 && status == 0 ? 0 : 1;
}
