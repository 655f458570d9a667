/*
 * A whole system on the sim machine: the kernel boots with the machine's
 * memory map (guest RAM, the device tree as a boot module, the device region
 * as device Untyped), and the root task acts as a UART driver would:
 *   - finds the UART in the device tree it got as a boot module;
 *   - retypes the device Untyped down to the frames at 0x09000000 (PL011) and
 *     0x09010000 (PL031), maps them, and a device frame where no device is
 *     is refused;
 *   - writes "hi" to DR through kaal_mmio_write32: the machine's UART output
 *     shows "hi"; reads FR, the IDs, the RTC's counter;
 *   - takes the UART's receive interrupt through an IRQHandler and a
 *     notification, twice, the second time reading one byte of two, so the
 *     line, still high, must come back after the Ack;
 *   - a thread that writes to DR with a raw store faults: its handler gets a
 *     VM fault at the register's address, and the sim names the register.
 *
 * The boot is done here, step by step, the way sim_boot is to do it with a
 * machine (docs/machine.md, "Booting"), until the engine takes a layout.
 */
#include <libfdt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <kaal/core/boot.h>
#include <kaal/kaal.h>
#include <kaal/machine/machine.h>
#include <kaal/machine/pl011.h>
#include <kaal/machine/virt.h>
#include <kaal/mmio.h>
#include <kaal/sim/engine.h>

#include "../sim/sim_test.h"
#include "sim_internal.h"

#define ROOT KAAL_ROOT_SLOT_CNODE
#define VSPACE KAAL_ROOT_SLOT_VSPACE
#define DEPTH 64u
#define RW (KAAL_RIGHT_READ | KAAL_RIGHT_WRITE)
#define UART_VADDR 0x10000u
#define RTC_VADDR 0x11000u
#define GAP_VADDR 0x12000u
#define DTB_VADDR 0x20000u
#define IRQ_BADGE 0x4u
#define FAULT_BADGE 0xfau

static struct sim_machine *machine;
static char output[256];
static _Atomic size_t output_len;

static void capture(void *ctx, uint8_t byte)
{
    (void)ctx;
    size_t at = atomic_load(&output_len);
    if (at < sizeof output - 1)
        output[at] = (char)byte;
    atomic_store(&output_len, at + 1);
}

/* Input for the UART from a host thread, as the terminal gives it: what `feed` holds, once `go` is set. */
static const char *_Atomic feed;
static void *feeder_main(void *arg)
{
    (void)arg;
    for (;;) {
        const char *s = atomic_exchange(&feed, NULL);
        if (s != NULL && strcmp(s, "end") == 0)
            return NULL;
        if (s != NULL) {
            size_t n = strlen(s), done = 0;
            while (done < n) {
                done += pl011_receive(sim_machine_uart(machine), (const uint8_t *)s + done, n - done);
                if (done < n)
                    pl011_wait_room(sim_machine_uart(machine), 10000000u);
            }
        }
        sim_test_sleep_ns(1000000);
    }
}

/* PUD, PD and PT for the first 2 MiB of the root's VSpace, from slot on. */
static int map_tables(kaal_cptr_t ut, kaal_word_t slot)
{
    int err = kaal_untyped_retype(ut, KAAL_OBJ_PAGE_UPPER_DIR, 0, ROOT, 0, 0, slot, 1);
    err = err ? err : kaal_untyped_retype(ut, KAAL_OBJ_PAGE_DIR, 0, ROOT, 0, 0, slot + 1, 1);
    err = err ? err : kaal_untyped_retype(ut, KAAL_OBJ_PAGE_TABLE, 0, ROOT, 0, 0, slot + 2, 1);
    err = err ? err : kaal_page_table_map(slot, VSPACE, 0);
    err = err ? err : kaal_page_table_map(slot + 1, VSPACE, 0);
    err = err ? err : kaal_page_table_map(slot + 2, VSPACE, 0);
    return err;
}

/* The device tree the root task got: the UART's register base, or 0. */
static uint64_t uart_from_device_tree(const struct kaal_bootinfo *bi)
{
    const struct kaal_boot_module *m = kaal_bootinfo_module(bi, KAAL_MODULE_DTB);
    EXPECT(m != NULL);
    if (m == NULL)
        return 0;
    EXPECT(m->frames.end - m->frames.start == 1); /* a few hundred bytes: one page */
    const void *dtb = NULL;
    EXPECT(kaal_frame_map(m->frames.start, VSPACE, DTB_VADDR, KAAL_RIGHT_READ, 0, (void **)&dtb) == KAAL_OK);
    if (dtb == NULL)
        return 0;
    size_t size = 0;
    const void *built = sim_machine_dtb(machine, &size);
    EXPECT(fdt_check_header(dtb) == 0 && fdt_totalsize(dtb) == m->size && m->size == size);
    EXPECT(built != NULL && memcmp(dtb, built, size) == 0);
    int node = fdt_node_offset_by_compatible(dtb, -1, "arm,pl011");
    int len = 0;
    const fdt32_t *reg = node >= 0 ? fdt_getprop(dtb, node, "reg", &len) : NULL;
    EXPECT(reg != NULL && len == 16);
    return reg != NULL && len == 16 ? (uint64_t)fdt32_to_cpu(reg[0]) << 32 | fdt32_to_cpu(reg[1]) : 0;
}

/* The device Untyped over 0x08000000 (32 MiB), or 0. */
static kaal_cptr_t device_untyped(const struct kaal_bootinfo *bi)
{
    for (kaal_word_t s = bi->untyped.start; s < bi->untyped.end; s++) {
        const struct kaal_untyped_desc *d = &bi->untyped_list[s - bi->untyped.start];
        if (d->is_device && d->paddr == VIRT_DEVICE_BASE) {
            EXPECT(d->size_bits == 25);
            return s;
        }
    }
    return 0;
}

static void raw_writer(kaal_word_t uart, kaal_word_t unused1, kaal_word_t unused2)
{
    (void)unused1, (void)unused2;
    *(volatile uint32_t *)(uintptr_t)(uart + PL011_DR) = 'X'; /* bypasses the accessors: faults */
    sim_halt(3);                                               /* never reached */
}

static void root(kaal_word_t ipc_buffer, kaal_word_t bootinfo, kaal_word_t unused)
{
    (void)ipc_buffer, (void)unused;
    const struct kaal_bootinfo *bi = (const struct kaal_bootinfo *)(uintptr_t)bootinfo;
    kaal_cptr_t ut = kaal_bootinfo_largest_untyped(bi);
    kaal_word_t s = bi->empty.start;
    kaal_cptr_t filler = s + 3, frames = s + 4; /* 17 frames: 0x09000000 .. 0x09010000 */
    kaal_cptr_t ntfn = s + 21, ntfn_badged = s + 22, irq = s + 23, fault_ep = s + 24, fault_badged = s + 25;
    kaal_cptr_t thread = s + 26; /* TCB, IPC buffer */

    EXPECT(map_tables(ut, s) == KAAL_OK);
    EXPECT(uart_from_device_tree(bi) == VIRT_PL011_BASE);

    /* 0x08000000 + 16 MiB = 0x09000000: the UART's page is the first frame after a 16 MiB filler. */
    kaal_cptr_t dev = device_untyped(bi);
    EXPECT(dev != 0);
    EXPECT(kaal_untyped_retype(dev, KAAL_OBJ_UNTYPED, 24, ROOT, 0, 0, filler, 1) == KAAL_OK);
    EXPECT(kaal_untyped_retype(dev, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, ROOT, 0, 0, frames, 17) == KAAL_OK);
    kaal_word_t paddr = 0;
    EXPECT(kaal_frame_get_address(frames, &paddr) == KAAL_OK && paddr == VIRT_PL011_BASE);
    EXPECT(kaal_frame_get_address(frames + 16, &paddr) == KAAL_OK && paddr == VIRT_PL031_BASE);
    struct kaal_cap_info info;
    EXPECT(kaal_cnode_identify(ROOT, frames, DEPTH, &info) == KAAL_OK && (info.flags & KAAL_CAP_INFO_DEVICE));

    volatile uint8_t *uart = NULL, *rtc = NULL;
    EXPECT(kaal_frame_map(frames, VSPACE, UART_VADDR, RW, 0, (void **)&uart) == KAAL_OK);
    EXPECT(kaal_frame_map(frames + 16, VSPACE, RTC_VADDR, RW, 0, (void **)&rtc) == KAAL_OK);
    /* 0x09001000 is device memory with no device: the sim cannot serve it. */
    EXPECT(kaal_frame_map(frames + 1, VSPACE, GAP_VADDR, RW, 0, NULL) == KAAL_ERR_NOT_ENOUGH_MEMORY);
    if (uart == NULL || rtc == NULL)
        sim_halt(1);

    /* The driver's part: set the UART up, say hi. */
    EXPECT(kaal_mmio_read32(uart + 0xfe0) == 0x11 && kaal_mmio_read32(uart + 0xff0) == 0x0d);
    kaal_mmio_write32(uart + PL011_LCR_H, PL011_LCR_H_FEN | 3u << 5);
    kaal_mmio_write32(uart + PL011_CR, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE);
    for (const char *c = "hi"; *c; c++) {
        while (kaal_mmio_read32(uart + PL011_FR) & PL011_FR_TXFF)
            ;
        kaal_mmio_write32(uart + PL011_DR, (uint8_t)*c);
    }
    EXPECT(atomic_load(&output_len) == 2 && memcmp(output, "hi", 2) == 0);
    EXPECT(kaal_mmio_read32(uart + PL011_FR) == (PL011_FR_TXFE | PL011_FR_RXFE));

    /* The RTC counts the host's seconds. */
    uint32_t now = kaal_mmio_read32(rtc + 0x00);
    EXPECT(kaal_mmio_read8(rtc + 0xfe0) == 0x31);
    EXPECT(now + 2 >= (uint32_t)time(NULL) && now <= (uint32_t)time(NULL));

    /* The receive interrupt: line 33 (SPI 1) to a notification. */
    EXPECT(kaal_untyped_retype(ut, KAAL_OBJ_NOTIFICATION, 0, ROOT, 0, 0, ntfn, 1) == KAAL_OK);
    EXPECT(kaal_cnode_mint(ROOT, ntfn_badged, DEPTH, ROOT, ntfn, DEPTH, KAAL_RIGHTS_ALL, IRQ_BADGE) == KAAL_OK);
    EXPECT(kaal_irq_control_get(KAAL_ROOT_SLOT_IRQ_CONTROL, VIRT_SPI_LINE(VIRT_PL011_SPI), ROOT, irq, DEPTH) ==
           KAAL_OK);
    EXPECT(kaal_irq_handler_set_notification(irq, ntfn_badged) == KAAL_OK);
    kaal_mmio_write32(uart + PL011_IMSC, PL011_INT_RX | PL011_INT_RT);

    atomic_store(&feed, "k");
    EXPECT(kaal_wait(ntfn) == IRQ_BADGE);
    EXPECT(kaal_mmio_read32(uart + PL011_MIS) == PL011_INT_RT); /* one byte, below the trigger: timeout */
    EXPECT((kaal_mmio_read32(uart + PL011_DR) & 0xff) == 'k');
    EXPECT(kaal_mmio_read32(uart + PL011_MIS) == 0);
    EXPECT(kaal_irq_handler_ack(irq) == KAAL_OK);

    /* Two bytes, one read per interrupt: the line stays high, so it comes again after the Ack. */
    atomic_store(&feed, "xy");
    EXPECT(kaal_wait(ntfn) == IRQ_BADGE);
    while (kaal_mmio_read32(uart + PL011_FR) & PL011_FR_RXFE) /* the burst may still be arriving */
        kaal_yield();
    EXPECT((kaal_mmio_read32(uart + PL011_DR) & 0xff) == 'x');
    EXPECT(kaal_irq_handler_ack(irq) == KAAL_OK);
    EXPECT(kaal_wait(ntfn) == IRQ_BADGE);
    EXPECT(kaal_mmio_read32(uart + PL011_MIS) == PL011_INT_RT);
    EXPECT((kaal_mmio_read32(uart + PL011_DR) & 0xff) == 'y');
    EXPECT(kaal_mmio_read32(uart + PL011_MIS) == 0);
    EXPECT(kaal_irq_handler_ack(irq) == KAAL_OK);
    EXPECT(kaal_poll(ntfn) == 0); /* nothing more */

    /* A raw store to the mapped UART: a VM fault at DR's address, and the sim names the register. */
    char why[128];
    EXPECT(sim_mmio_describe((uintptr_t)(uart + PL011_DR), why, sizeof why) > 0);
    EXPECT(strcmp(why, "raw access to pl011@9000000 register 0x0 bypasses the MMIO accessors") == 0);
    EXPECT(kaal_untyped_retype(ut, KAAL_OBJ_ENDPOINT, 0, ROOT, 0, 0, fault_ep, 1) == KAAL_OK);
    EXPECT(kaal_cnode_mint(ROOT, fault_badged, DEPTH, ROOT, fault_ep, DEPTH, KAAL_RIGHTS_ALL, FAULT_BADGE) ==
           KAAL_OK);
    EXPECT(kaal_untyped_retype(ut, KAAL_OBJ_TCB, 0, ROOT, 0, 0, thread, 1) == KAAL_OK);
    EXPECT(kaal_untyped_retype(ut, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, ROOT, 0, 0, thread + 1, 1) == KAAL_OK);
    EXPECT(kaal_tcb_configure(thread, ROOT, VSPACE, thread + 1, 0, fault_badged) == KAAL_OK);
    EXPECT(kaal_tcb_set_priority(thread, KAAL_ROOT_SLOT_TCB, 100) == KAAL_OK);
    EXPECT(kaal_tcb_start(thread, raw_writer, 0, (kaal_word_t)(uintptr_t)uart, 0, 0) == KAAL_OK);
    kaal_word_t badge = 0;
    kaal_word_t mi = kaal_recv(fault_ep, &badge);
    EXPECT(badge == FAULT_BADGE);
    EXPECT(kaal_msginfo_label(mi) == KAAL_FAULT_VM);
    EXPECT(kaal_get_mr(KAAL_FAULT_VM_ADDRESS) == UART_VADDR + PL011_DR);
    EXPECT(kaal_get_mr(KAAL_FAULT_VM_ACCESS) == KAAL_VM_ACCESS_WRITE);
    EXPECT(atomic_load(&output_len) == 2); /* the model never saw that 'X' */

    sim_halt(sim_test_failures == 0 ? 0 : 1);
}

/* What sim_boot is to do with a machine: RAM, then the machine's layout, then the kernel. */
static int boot_machine(size_t ram_bytes)
{
    size_t align = (size_t)1 << 21;
    void *ram = sim_ram_create(ram_bytes, align);
    if (ram == NULL)
        return -1;
    sim_intc_reset();
    sim_timer_reset();
    struct sim_boot_region layout[8];
    int n = sim_machine_layout(machine, ram, ram_bytes, layout, 8);
    if (n < 0) {
        sim_ram_destroy();
        return -1;
    }
    struct boot_region regions[8];
    for (int i = 0; i < n; i++)
        regions[i] = (struct boot_region){.kaddr = layout[i].base, .size = layout[i].size,
                                          .is_device = layout[i].kind == SIM_REGION_DEVICE,
                                          .zeroed = layout[i].kind == SIM_REGION_RAM,
                                          .module = layout[i].kind == SIM_REGION_DTB ? KAAL_MODULE_DTB : 0};
    enum boot_status status = kernel_boot(regions, (unsigned)n);
    if (status != BOOT_OK) {
        fprintf(stderr, "test_machine_system: the kernel did not boot: %s\n", boot_status_name(status));
        sim_ram_destroy();
        return -1;
    }
    return 0;
}

int main(void)
{
    sim_test_name = "test_machine_system";
    sim_test_watchdog(60);
    struct sim_machine_config config = {.uart_output = capture};
    machine = sim_machine_create(&config);
    if (machine == NULL || boot_machine(16u << 20) != 0)
        return 2;
    pthread_t feeder;
    pthread_create(&feeder, NULL, feeder_main, NULL);
    int status = sim_run(root);
    atomic_store(&feed, "end");
    pthread_join(feeder, NULL);
    sim_machine_destroy(machine);
    int ok = sim_test_failures == 0 && status == 0;
    printf("test_machine_system: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
