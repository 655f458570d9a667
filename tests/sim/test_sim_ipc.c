/*
 * The sim engine runs real host threads: a client and a server component
 * thread, made by the root task through libkaal, do Call/ReplyRecv round
 * trips; every answer must be right, and the machine halts cleanly.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <time.h>

#include <kaal/kaal.h>
#include <kaal/sim/engine.h>

#define ROOT KAAL_ROOT_SLOT_CNODE
#define DEPTH 64u
#define ROUND_TRIPS 20000u

static kaal_cptr_t ep;

static void server(kaal_word_t a0, kaal_word_t a1, kaal_word_t a2)
{
    (void)a0, (void)a1, (void)a2;
    kaal_word_t badge;
    kaal_recv(ep, &badge);
    for (;;) {
        kaal_set_mr(0, kaal_get_mr(0) + badge);
        kaal_reply_recv(ep, kaal_msginfo(0, 0, 0, 1), &badge);
    }
}

static void client(kaal_word_t badge, kaal_word_t a1, kaal_word_t a2)
{
    (void)a1, (void)a2;
    unsigned wrong = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (kaal_word_t i = 0; i < ROUND_TRIPS; i++) {
        kaal_set_mr(0, i);
        kaal_word_t info = kaal_call(ep + 1, kaal_msginfo(5, 0, 0, 1));
        if (kaal_msginfo_length(info) != 1 || kaal_get_mr(0) != i + badge)
            wrong++;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
    printf("test_sim_ipc: %u round trips, %u wrong, %.0f ns per round trip\n", ROUND_TRIPS, wrong, ns / ROUND_TRIPS);
    sim_halt(wrong == 0 ? 0 : 1);
}

static void root(kaal_word_t ipc_buffer, kaal_word_t bootinfo, kaal_word_t unused)
{
    (void)ipc_buffer, (void)unused;
    const struct kaal_bootinfo *bi = (const struct kaal_bootinfo *)(uintptr_t)bootinfo;
    kaal_cptr_t ut = kaal_bootinfo_largest_untyped(bi);
    kaal_word_t slot = bi->empty.start;
    ep = slot;
    int err = kaal_untyped_retype(ut, KAAL_OBJ_ENDPOINT, 0, ROOT, 0, 0, ep, 1);
    err = err ? err : kaal_cnode_mint(ROOT, ep + 1, DEPTH, ROOT, ep, DEPTH, KAAL_RIGHTS_ALL, 7);
    err = err ? err : kaal_thread_spawn(ut, slot + 2, 100, server, 0);
    err = err ? err : kaal_thread_spawn(ut, slot + 5, 100, client, 7);
    if (err != KAAL_OK) {
        printf("test_sim_ipc: setting up failed with error %d\n", err);
        sim_halt(2);
    }
    kaal_tcb_suspend(KAAL_ROOT_SLOT_TCB); /* the root's work is done; the client halts the machine */
}

int main(void)
{
    if (sim_boot(16u << 20) != 0)
        return 2;
    int status = sim_run(root);
    printf("test_sim_ipc: machine halted with status %d\n", status);
    return status;
}
