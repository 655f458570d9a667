/*
 * libFuzzer target: arbitrary sequences of invocations by the root thread,
 * which holds the read-only frame of a one-page boot module among its caps.
 *
 * Principle: the input is a byte stream decoded into syscalls. Each record
 * picks an operation and its arguments from a small vocabulary (slot numbers
 * near the interesting ones, object types, sizes, rights, badges, guards,
 * depths) with a few raw words mixed in, so most calls are well-formed enough
 * to reach deep into decode and perform, and some are garbage. After every
 * syscall the invariant checker runs; a violation aborts (a crash to
 * libFuzzer), as does any sanitizer report.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kaal/abi/bootinfo.h>
#include <kaal/abi/message.h>
#include <kaal/abi/objects.h>
#include <kaal/abi/syscalls.h>
#include <kaal/core/boot.h>
#include <kaal/core/invariants.h>
#include <kaal/core/kernel.h>

#include "fuzz_common.h"
#include "hal_double.h"
#include "kernel_driver.h"

#define RAM_BITS 20u /* 1 MiB: small, so memory runs out and reuse paths run */
#define SLOTS 48u    /* root slots the fuzzer plays with (untyped caps start at 16) */

/* A word that is usually meaningful for the kernel and sometimes raw. */
static kaal_word_t word(struct input *in)
{
    static const kaal_word_t interesting[] = {
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16, 20, 21, 22, 30, 41, 47, 48, 56, 63, 64, 65, 255, 256, 257, 4095, 4096,
        0x200000, 0x40000000, (kaal_word_t)1 << 39,
        KAAL_RIGHTS_ALL, KAAL_RIGHT_READ, KAAL_RIGHT_WRITE, 0x10, KAAL_CNODE_DATA(0, 52), KAAL_CNODE_DATA(1, 2),
        UINT64_MAX, (kaal_word_t)1 << 63,
    };
    uint8_t sel = (uint8_t)take(in, 1);
    if (sel < 96)
        return sel % SLOTS;
    if (sel < 224)
        return interesting[sel % (sizeof interesting / sizeof interesting[0])];
    return take(in, 8);
}

static uint8_t *module; /* one page of boot module, right after the untyped caps: never written */

static void boot(void)
{
    static void *ram; /* allocated once: the kernel clears what it hands out */
    if (ram == NULL) {
        ram = aligned_alloc((size_t)1 << RAM_BITS, (size_t)1 << RAM_BITS);
        module = aligned_alloc(4096, 4096);
        if (ram == NULL || module == NULL)
            abort();
        memset(module, 0x3c, 4096);
    }
    struct boot_region regions[] = {
        {.kaddr = (uintptr_t)ram, .size = (kaal_word_t)1 << RAM_BITS},
        {.kaddr = 0x100000000000ull, .size = (kaal_word_t)1 << 21, .is_device = true},
        {.kaddr = (uintptr_t)module, .size = 4096, .module = KAAL_MODULE_COMPONENTS},
    };
    if (kernel_boot(regions, 3) != BOOT_OK)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    boot();
    /* Machine_PowerOff is a fine thing to find: the input ends there (the next one starts afresh). */
    static jmp_buf halted;
    double_halt = (struct double_halt){.escape = &halted};
    if (setjmp(halted) != 0)
        return 0;
    struct input in = {data, size};
    while (in.left > 0 && ks.current != NULL) {
        uint8_t op = (uint8_t)take(&in, 1);
        kaal_word_t args[8], caps[KAAL_MSG_MAX_EXTRA_CAPS];
        unsigned nargs = op >> 5;        /* 0..7 words */
        unsigned ncaps = (op >> 3) & 3u; /* 0..3 caps */
        kaal_word_t label = op & 7u;
        static const kaal_word_t labels[8] = {KAAL_UNTYPED_RETYPE, KAAL_CNODE_COPY, KAAL_CNODE_MINT,
                                              KAAL_CNODE_MOVE,     KAAL_CNODE_MUTATE, KAAL_CNODE_DELETE,
                                              KAAL_CNODE_REVOKE,   0};
        /*
         * The eighth choice: an address-space operation, Identify or GetInfo, or (1 in 4) a raw
         * message info word.
         */
        static const kaal_word_t vm_labels[8] = {KAAL_PAGE_TABLE_MAP,    KAAL_PAGE_TABLE_UNMAP, KAAL_FRAME_MAP,
                                                 KAAL_FRAME_UNMAP,       KAAL_FRAME_GET_ADDRESS, KAAL_CNODE_IDENTIFY,
                                                 KAAL_TCB_GET_INFO,      99};
        uint8_t vm = label == 7 ? (uint8_t)take(&in, 1) : 0;
        kaal_word_t cptr = word(&in);
        for (unsigned i = 0; i < nargs; i++)
            args[i] = word(&in);
        for (unsigned i = 0; i < ncaps; i++)
            caps[i] = word(&in);
        /* Mostly a well-formed Call; now and then a raw message info or syscall number. */
        kaal_word_t sysno = (op & 0xc0) == 0xc0 && (in.left & 1) ? word(&in) : KAAL_SYS_CALL;
        kaal_word_t info = kaal_msginfo(label == 7 ? vm_labels[vm % 8] : labels[label], 0, ncaps, nargs);
        if (label == 7 && vm >= 192)
            info = word(&in);
        kd_syscall(sysno, cptr, info, args, nargs, caps, ncaps);
        check();
    }
    for (unsigned i = 0; i < 4096; i++) {
        if (module[i] != 0x3c) {
            fprintf(stderr, "fuzz_invocations: boot module byte %u was written\n", i);
            abort();
        }
    }
    double_console_clear();
    return 0;
}
