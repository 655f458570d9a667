/*
 * Booting a sim machine (sim_boot_machine): a boot module reaches the root
 * task as read-only frames holding its bytes, a device range as device
 * untyped; a configuration that cannot work is refused before anything
 * boots, with a message.
 */
#define _GNU_SOURCE
#include <string.h>

#include <kaal/kaal.h>
#include <kaal/sim/engine.h>

#include "sim_test.h"

#define ROOT KAAL_ROOT_SLOT_CNODE
#define DEVICE_BASE 0x09000000u
#define DEVICE_SIZE 0x00200000u

static char module_bytes[5000]; /* more than a page: two frames, the second part-filled */

static void root(kaal_word_t ipc_buffer, kaal_word_t bootinfo, kaal_word_t unused)
{
    (void)ipc_buffer, (void)unused;
    const struct kaal_bootinfo *bi = (const struct kaal_bootinfo *)(uintptr_t)bootinfo;
    const struct kaal_boot_module *m = kaal_bootinfo_module(bi, KAAL_MODULE_COMPONENTS);
    EXPECT(m != NULL);
    if (m != NULL) {
        EXPECT(m->size == sizeof module_bytes);
        EXPECT(m->frames.end - m->frames.start == 2);
        /* Read-only: mapping with Write is refused, with Read the bytes are there. */
        kaal_cptr_t ut = kaal_bootinfo_largest_untyped(bi);
        kaal_word_t s = bi->empty.start;
        int err = kaal_untyped_retype(ut, KAAL_OBJ_PAGE_UPPER_DIR, 0, ROOT, 0, 0, s, 1);
        err = err ? err : kaal_untyped_retype(ut, KAAL_OBJ_PAGE_DIR, 0, ROOT, 0, 0, s + 1, 1);
        err = err ? err : kaal_untyped_retype(ut, KAAL_OBJ_PAGE_TABLE, 0, ROOT, 0, 0, s + 2, 1);
        for (kaal_word_t i = 0; i < 3 && err == KAAL_OK; i++)
            err = kaal_page_table_map(s + i, KAAL_ROOT_SLOT_VSPACE, 0);
        EXPECT(err == KAAL_OK);
        EXPECT(kaal_frame_map(m->frames.start, KAAL_ROOT_SLOT_VSPACE, 0x1000,
                              KAAL_RIGHT_READ | KAAL_RIGHT_WRITE, 0, NULL) == KAAL_ERR_INVALID_ARGUMENT);
        char *p[2] = {NULL, NULL};
        for (kaal_word_t f = 0; f < 2; f++)
            EXPECT(kaal_frame_map(m->frames.start + f, KAAL_ROOT_SLOT_VSPACE, 0x1000 + f * 4096, KAAL_RIGHT_READ, 0,
                                  (void **)&p[f]) == KAAL_OK);
        EXPECT(p[0] != NULL && p[1] == p[0] + 4096 && memcmp(p[0], module_bytes, sizeof module_bytes) == 0);
    }
    bool device = false;
    for (kaal_word_t i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        const struct kaal_untyped_desc *d = &bi->untyped_list[i];
        if (d->is_device && d->paddr == DEVICE_BASE && ((kaal_word_t)1 << d->size_bits) == DEVICE_SIZE)
            device = true;
    }
    EXPECT(device);
    kaal_power_off(sim_test_failures == 0 ? 0 : 1);
}

int main(void)
{
    sim_test_name = "test_sim_boot";
    sim_test_watchdog(60);
    for (size_t i = 0; i < sizeof module_bytes; i++)
        module_bytes[i] = (char)(i * 7 + 1);
    struct sim_boot_module big = {KAAL_MODULE_COMPONENTS, module_bytes, (size_t)64 << 20};
    /* Refused: modules that do not fit in guest RAM, more regions than a machine may have. */
    EXPECT(sim_boot_machine(&(struct sim_boot_config){.ram_bytes = 16u << 20, .modules = &big, .module_count = 1}) ==
           -1);
    struct sim_device_range many[20];
    for (unsigned i = 0; i < 20; i++)
        many[i] = (struct sim_device_range){DEVICE_BASE + i * DEVICE_SIZE, DEVICE_SIZE};
    EXPECT(sim_boot_machine(&(struct sim_boot_config){.ram_bytes = 16u << 20, .devices = many, .device_count = 20}) ==
           -1);
    /* Booted: one module, one device range. */
    struct sim_boot_module module = {KAAL_MODULE_COMPONENTS, module_bytes, sizeof module_bytes};
    struct sim_device_range device = {DEVICE_BASE, DEVICE_SIZE};
    EXPECT(sim_boot_machine(&(struct sim_boot_config){.ram_bytes = 16u << 20, .modules = &module, .module_count = 1,
                                                      .devices = &device, .device_count = 1}) == 0);
    EXPECT(sim_run(root) == 0);
    printf("test_sim_boot: %s\n", sim_test_failures == 0 ? "ok" : "FAILED");
    return sim_test_failures == 0 ? 0 : 1;
}
