/*
 * The sim machine: QEMU virt's devices that the sim models, wired to the
 * sim bus and interrupt lines, its device tree, and the memory map for the
 * kernel (<kaal/machine/machine.h>, docs/machine.md).
 *
 * Principle of operation: create makes the models, attaches each to the bus
 * at its virt address, routes each interrupt output to its GIC SPI line
 * (sim_bus_set_irq), and connects the UART to its output (and, if asked, to
 * the host terminal). The device region's host addresses (0x08000000 ..
 * 0x0a000000) are reserved PROT_NONE while the machine exists, so nothing
 * of the host (guest RAM included) can land on the numbers the kernel uses
 * as device physical addresses, and a driver that dereferences a physical
 * address instead of its mapping faults. layout builds the DTB for the guest
 * RAM it is given and places it in RAM's first pages, as QEMU virt does for
 * a bare-metal image.
 *
 * Dependencies: the models and the terminal (libc only) and hal-sim's
 * public bus header; never the kernel core.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <kaal/machine/fdt.h>
#include <kaal/machine/machine.h>
#include <kaal/machine/pl011.h>
#include <kaal/machine/pl031.h>
#include <kaal/machine/terminal.h>
#include <kaal/machine/virt.h>

#define PAGE 4096u
#define DTB_MAX (64u * 1024u) /* QEMU virt's limit is 1 MiB with all its devices; ours is a few hundred bytes */

struct sim_machine {
    struct sim_machine_config config;
    struct pl011 *uart;
    struct pl031 *rtc;
    struct sim_device uart_dev, rtc_dev;
    bool uart_attached, rtc_attached;
    struct sim_terminal *terminal;
    void *reserved; /* the device region's host addresses, or NULL */
    uint8_t *dtb;
    size_t dtb_size;
};

static void uart_irq(void *ctx, bool level)
{
    (void)ctx;
    sim_bus_set_irq(VIRT_SPI_LINE(VIRT_PL011_SPI), level);
}

static void rtc_irq(void *ctx, bool level)
{
    (void)ctx;
    sim_bus_set_irq(VIRT_SPI_LINE(VIRT_PL031_SPI), level);
}

static void uart_to_config(void *ctx, uint8_t byte)
{
    struct sim_machine *m = ctx;
    m->config.uart_output(m->config.ctx, byte);
}

static void uart_to_terminal(void *ctx, uint8_t byte)
{
    struct sim_machine *m = ctx;
    sim_terminal_write(m->terminal, byte);
}

static uint64_t rtc_clock(void *ctx)
{
    struct sim_machine *m = ctx;
    if (m->config.clock_ns != NULL)
        return m->config.clock_ns(m->config.ctx);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t terminal_receive(void *ctx, const uint8_t *bytes, size_t n)
{
    struct sim_machine *m = ctx;
    return pl011_receive(m->uart, bytes, n);
}

static bool terminal_wait_room(void *ctx, uint64_t timeout_ns)
{
    struct sim_machine *m = ctx;
    return pl011_wait_room(m->uart, timeout_ns);
}

static void terminal_eof(void *ctx, int error)
{
    struct sim_machine *m = ctx;
    if (m->config.input_end != NULL)
        m->config.input_end(m->config.ctx, error);
}

/* Claim the device region's host addresses; leave them alone if anything is there already. */
static void *reserve_device_region(void)
{
    size_t bytes = VIRT_DEVICE_END - VIRT_DEVICE_BASE;
    void *want = (void *)(uintptr_t)VIRT_DEVICE_BASE;
    void *got = mmap(want, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (got == MAP_FAILED)
        return NULL;
    if (got != want) { /* a kernel older than MAP_FIXED_NOREPLACE took it as a hint */
        munmap(got, bytes);
        return NULL;
    }
    return got;
}

struct sim_machine *sim_machine_create(const struct sim_machine_config *config)
{
    struct sim_machine *m = calloc(1, sizeof *m);
    if (m == NULL) {
        fprintf(stderr, "kaal-sim: machine: out of memory\n");
        return NULL;
    }
    m->config = *config;
    struct pl011_config uc = {.irq = uart_irq, .ctx = m};
    if (config->uart_output != NULL)
        uc.output = uart_to_config;
    else if (config->terminal)
        uc.output = uart_to_terminal;
    m->uart = pl011_create(&uc);
    struct pl031_config rc = {.now_ns = rtc_clock, .irq = rtc_irq, .ctx = m};
    m->rtc = pl031_create(&rc);
    if (m->uart == NULL || m->rtc == NULL)
        goto fail;

    m->uart_dev = (struct sim_device){.name = "pl011@9000000", .base = VIRT_PL011_BASE, .size = PL011_SIZE,
                                      .access_sizes = SIM_ACCESS_8 | SIM_ACCESS_16 | SIM_ACCESS_32,
                                      .read = pl011_read, .write = pl011_write, .ctx = m->uart};
    m->rtc_dev = (struct sim_device){.name = "pl031@9010000", .base = VIRT_PL031_BASE, .size = PL031_SIZE,
                                     .access_sizes = SIM_ACCESS_8 | SIM_ACCESS_16 | SIM_ACCESS_32,
                                     .read = pl031_read, .write = pl031_write, .ctx = m->rtc};
    m->uart_attached = sim_bus_attach(&m->uart_dev) == 0;
    m->rtc_attached = m->uart_attached && sim_bus_attach(&m->rtc_dev) == 0;
    if (!m->rtc_attached)
        goto fail;
    m->reserved = reserve_device_region();

    if (config->terminal) {
        struct sim_terminal_config tc = {.in_fd = 0, .out_fd = 1, .receive = terminal_receive,
                                         .wait_room = terminal_wait_room, .eof = terminal_eof, .ctx = m};
        m->terminal = sim_terminal_open(&tc);
        if (m->terminal == NULL)
            goto fail;
    }
    return m;

fail:
    sim_machine_destroy(m);
    return NULL;
}

void sim_machine_destroy(struct sim_machine *m)
{
    if (m == NULL)
        return;
    sim_terminal_close(m->terminal); /* first: its thread feeds the UART */
    if (m->rtc_attached)
        sim_bus_detach(&m->rtc_dev);
    if (m->uart_attached)
        sim_bus_detach(&m->uart_dev);
    sim_bus_set_irq(VIRT_SPI_LINE(VIRT_PL011_SPI), false);
    sim_bus_set_irq(VIRT_SPI_LINE(VIRT_PL031_SPI), false);
    if (m->reserved != NULL)
        munmap(m->reserved, VIRT_DEVICE_END - VIRT_DEVICE_BASE);
    pl011_destroy(m->uart);
    pl031_destroy(m->rtc);
    free(m->dtb);
    free(m);
}

int sim_machine_layout(void *machine, void *ram, size_t ram_bytes, struct sim_boot_region *out, unsigned max)
{
    struct sim_machine *m = machine;
    if (max < 3) {
        fprintf(stderr, "kaal-sim: machine: the layout has 3 regions, room was given for %u\n", max);
        return -1;
    }
    if (m->dtb == NULL && (m->dtb = malloc(DTB_MAX)) == NULL) {
        fprintf(stderr, "kaal-sim: machine: out of memory\n");
        return -1;
    }
    uint64_t base = (uintptr_t)ram;
    struct sim_fdt_config fc = {.ram_base = base, .ram_size = ram_bytes};
    int size = sim_fdt_build(m->dtb, DTB_MAX, &fc);
    if (size < 0)
        return -1; /* the reason is on stderr */
    m->dtb_size = (size_t)size;
    size_t span = (m->dtb_size + PAGE - 1) & ~(size_t)(PAGE - 1);
    if ((base & (PAGE - 1)) != 0 || ram_bytes <= span) {
        fprintf(stderr, "kaal-sim: machine: guest RAM at 0x%llx (%zu bytes) cannot hold the %zu-byte device tree\n",
                (unsigned long long)base, ram_bytes, m->dtb_size);
        return -1;
    }
    memcpy(ram, m->dtb, m->dtb_size);
    out[0] = (struct sim_boot_region){.base = base, .size = m->dtb_size, .kind = SIM_REGION_DTB};
    out[1] = (struct sim_boot_region){.base = base + span, .size = ram_bytes - span, .kind = SIM_REGION_RAM};
    out[2] = (struct sim_boot_region){.base = VIRT_DEVICE_BASE, .size = VIRT_DEVICE_END - VIRT_DEVICE_BASE,
                                      .kind = SIM_REGION_DEVICE};
    return 3;
}

const void *sim_machine_dtb(const struct sim_machine *m, size_t *bytes)
{
    if (bytes != NULL)
        *bytes = m->dtb_size;
    return m->dtb_size != 0 ? m->dtb : NULL;
}

uint64_t sim_machine_poll(struct sim_machine *m)
{
    uint64_t next = pl031_poll(m->rtc);
    if (next == 0)
        return UINT64_MAX;
    uint64_t now = rtc_clock(m);
    return next > now ? next - now : 0;
}

struct pl011 *sim_machine_uart(struct sim_machine *m) { return m->uart; }
struct pl031 *sim_machine_rtc(struct sim_machine *m) { return m->rtc; }
