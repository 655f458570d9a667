/*
 * See core_world.h. Set-up goes through the scripted engine
 * (tests/double/kernel_driver.h); none of it is timed.
 */
#include "core_world.h"

#include <stdlib.h>

#include <kaal/abi/bootinfo.h>
#include <kaal/abi/message.h>
#include <kaal/abi/objects.h>
#include <kaal/abi/syscalls.h>
#include <kaal/core/boot.h>
#include <kaal/core/kernel.h>

#include "bench.h"
#include "hal_double.h"
#include "kernel_driver.h"

#define RAM_BITS 23u /* 8 MiB, as the unit tests: plenty for a few objects */
#define PRIO 100u    /* below the root's 255; any value works once the root is suspended */
#define DEPTH 64u    /* a CPtr below 2^12 names a root CNode slot at depth 64 (one-level CSpace) */

/* Root slots of our objects (the boot info's first free slot is 16). */
enum { EP = 300, NTFN = 301, SERVER = 400, CLIENT = 410 };

static struct slot *root_cnode;

/* One invocation as the current thread; it must succeed. */
static void invoke(const char *what, kaal_word_t cptr, kaal_word_t label, const kaal_word_t *args, unsigned nargs,
                   const kaal_word_t *caps, unsigned ncaps)
{
    struct kd_result r = kd_syscall(KAAL_SYS_CALL, cptr, kaal_msginfo(label, 0, ncaps, nargs), args, nargs, caps, ncaps);
    if (!r.answered || r.code != KAAL_OK)
        bench_die("set-up step '%s' failed (answered %d, error %d)", what, r.answered, (int)r.code);
}

static kaal_word_t largest_ram_untyped(void)
{
    const struct kaal_bootinfo *bi =
        (const struct kaal_bootinfo *)(uintptr_t)root_cnode[KAAL_ROOT_SLOT_BOOTINFO].cap.obj;
    kaal_word_t best = 0;
    uint8_t best_bits = 0;
    for (kaal_word_t i = bi->untyped.start; i < bi->untyped.end; i++) {
        const struct kaal_untyped_desc *d = &bi->untyped_list[i - bi->untyped.start];
        if (!d->is_device && d->size_bits > best_bits) {
            best = i;
            best_bits = d->size_bits;
        }
    }
    if (best == 0)
        bench_die("the boot info lists no RAM untyped");
    return best;
}

static void retype(kaal_word_t ut, kaal_word_t type, kaal_word_t size_bits, kaal_word_t slot)
{
    kaal_word_t args[] = {type, size_bits, 0, 0, slot, 1}; /* into the root CNode itself, one object */
    kaal_word_t caps[] = {KAAL_ROOT_SLOT_CNODE};
    invoke("retype", ut, KAAL_UNTYPED_RETYPE, args, 6, caps, 1);
}

/* TCB, VSpace and IPC buffer frame in three consecutive slots; configured and resumed at PRIO. */
static struct tcb *make_thread(kaal_word_t ut, kaal_word_t first)
{
    retype(ut, KAAL_OBJ_TCB, 0, first);
    retype(ut, KAAL_OBJ_VSPACE, 0, first + 1);
    retype(ut, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, first + 2);
    kaal_word_t cfg[] = {0, 0}; /* buffer at the frame's start, no fault endpoint */
    kaal_word_t cfg_caps[] = {KAAL_ROOT_SLOT_CNODE, first + 1, first + 2};
    invoke("TCB_Configure", first, KAAL_TCB_CONFIGURE, cfg, 2, cfg_caps, 3);
    kaal_word_t prio[] = {PRIO};
    kaal_word_t authority[] = {KAAL_ROOT_SLOT_TCB};
    invoke("TCB_SetPriority", first, KAAL_TCB_SET_PRIORITY, prio, 1, authority, 1);
    invoke("TCB_Resume", first, KAAL_TCB_RESUME, NULL, 0, NULL, 0);
    return tcb_of(&root_cnode[first].cap);
}

void core_world_build(struct core_world *w)
{
    void *ram = aligned_alloc(BIT(RAM_BITS), BIT(RAM_BITS));
    if (ram == NULL)
        bench_die("cannot allocate %lu bytes of kernel RAM", (unsigned long)BIT(RAM_BITS));
    struct boot_region region = {.kaddr = (uintptr_t)ram, .size = BIT(RAM_BITS)};
    /* The double's interrupt controller: nothing pending, so no interrupt ever enters the loops. */
    double_irq = (struct double_irq){.pending = HAL_IRQ_NONE, .count = 64, .timer_line = 30};
    enum boot_status status = kernel_boot(&region, 1);
    if (status != BOOT_OK)
        bench_die("kernel_boot failed: %s", boot_status_name(status));
    struct tcb *root = ks.current;
    root_cnode = (struct slot *)(uintptr_t)root->slots[TCB_SLOT_CSPACE].cap.obj;

    kaal_word_t ut = largest_ram_untyped();
    retype(ut, KAAL_OBJ_ENDPOINT, 0, EP);
    retype(ut, KAAL_OBJ_NOTIFICATION, 0, NTFN);
    /* Server first: it is first in its ready queue, so it runs first once the root is gone. */
    w->server = make_thread(ut, SERVER);
    w->client = make_thread(ut, CLIENT);
    w->ep = EP;
    w->ntfn = NTFN;

    /* The root suspends itself: from here on ks.current is the kernel's choice alone. */
    kd_syscall(KAAL_SYS_CALL, KAAL_ROOT_SLOT_TCB, kaal_msginfo(KAAL_TCB_SUSPEND, 0, 0, 0), NULL, 0, NULL, 0);
    if (root->state != THREAD_INACTIVE || ks.current != w->server)
        bench_die("after the root suspended itself, the server should run (state %u)", root->state);
    struct kd_result r = kd_syscall(KAAL_SYS_RECV, EP, 0, NULL, 0, NULL, 0);
    if (r.answered || w->server->state != THREAD_BLOCKED_RECV || ks.current != w->client)
        bench_die("the server should wait in Recv and the client run");
}
