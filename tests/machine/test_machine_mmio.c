/*
 * The sim bus and MMIO dispatch without a running system: attach and find
 * devices, interrupt levels on the sim interrupt controller, device frames
 * mapped into a VSpace window (hal_vspace_map as the kernel calls it) reached
 * through libkaal's accessors, every refusal, the fault description, and a
 * raw access that faults (in a child process, with a SIGSEGV handler of its
 * own: no engine runs here).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <kaal/hal/irq.h>
#include <kaal/hal/vspace.h>
#include <kaal/mmio.h>
#include <kaal/sim/bus.h>

/* A register file that remembers the last access. */
struct fake {
    uint64_t regs[64];
    uint64_t last_offset;
    unsigned last_bytes, reads, writes;
};

static uint64_t fake_read(void *ctx, uint64_t offset, unsigned bytes)
{
    struct fake *f = ctx;
    f->last_offset = offset;
    f->last_bytes = bytes;
    f->reads++;
    return f->regs[offset / 8 % 64] >> (8 * (offset % 8));
}

static void fake_write(void *ctx, uint64_t offset, unsigned bytes, uint64_t value)
{
    struct fake *f = ctx;
    f->last_offset = offset;
    f->last_bytes = bytes;
    f->writes++;
    f->regs[offset / 8 % 64] = value;
}

#define FAKE_BASE 0x0a000000u /* where QEMU virt's virtio-mmio slots are */
#define ASID 7u
#define VADDR 0x5000u
#define RW_DEVICE (HAL_MAP_READ | HAL_MAP_WRITE | HAL_MAP_DEVICE)

static struct fake fake;
static struct sim_device fake_dev = {.name = "fake@a000000", .base = FAKE_BASE, .size = 0x200,
                                     .access_sizes = SIM_ACCESS_16 | SIM_ACCESS_32 | SIM_ACCESS_64,
                                     .read = fake_read, .write = fake_write, .ctx = &fake};

static int attach_fake(void **state)
{
    (void)state;
    memset(&fake, 0, sizeof fake);
    return sim_bus_attach(&fake_dev);
}

static int detach_fake(void **state)
{
    (void)state;
    hal_vspace_release(ASID);
    sim_bus_detach(&fake_dev);
    return 0;
}

static void attach_find_detach(void **state)
{
    (void)state;
    assert_ptr_equal(sim_bus_find(FAKE_BASE), &fake_dev);
    assert_ptr_equal(sim_bus_find(FAKE_BASE + 0x1ff), &fake_dev);
    assert_null(sim_bus_find(FAKE_BASE + 0x200));
    assert_null(sim_bus_find(FAKE_BASE - 1));
    assert_true(sim_bus_any_in(FAKE_BASE - 0x1000, 0x1001));
    assert_false(sim_bus_any_in(FAKE_BASE - 0x1000, 0x1000));

    struct sim_device overlapping = fake_dev;
    overlapping.name = "overlap";
    overlapping.base = FAKE_BASE + 0x100;
    assert_int_equal(sim_bus_attach(&overlapping), -1);
    struct sim_device empty = fake_dev;
    empty.base = 0x1000;
    empty.size = 0;
    assert_int_equal(sim_bus_attach(&empty), -1);
    struct sim_device wrapping = fake_dev;
    wrapping.base = UINT64_MAX - 0xff;
    assert_int_equal(sim_bus_attach(&wrapping), -1);

    /* The table is fixed: one is taken by the fake, the rest fill up, then no more. */
    static struct sim_device many[SIM_BUS_MAX_DEVICES];
    unsigned attached = 0;
    for (unsigned i = 0; i < SIM_BUS_MAX_DEVICES; i++) {
        many[i] = fake_dev;
        many[i].base = 0x40000000u + 0x1000u * i;
        if (sim_bus_attach(&many[i]) == 0)
            attached++;
    }
    assert_int_equal(attached, SIM_BUS_MAX_DEVICES - 1);
    for (unsigned i = 0; i < SIM_BUS_MAX_DEVICES; i++)
        sim_bus_detach(&many[i]);
    assert_null(sim_bus_find(0x40000000u));
}

static void irq_levels(void **state)
{
    (void)state;
    const unsigned line = 40;
    hal_irq_enable(line);
    assert_int_equal(hal_irq_pending(), HAL_IRQ_NONE);
    sim_bus_set_irq(line, true);
    assert_true(sim_bus_irq_level(line));
    assert_int_equal(hal_irq_pending(), line);
    /* Dropped before the kernel took it: no longer pending. */
    sim_bus_set_irq(line, false);
    assert_false(sim_bus_irq_level(line));
    assert_int_equal(hal_irq_pending(), HAL_IRQ_NONE);
    /* Taken by the kernel (ack) while still high: pending again at the model's next report. */
    sim_bus_set_irq(line, true);
    hal_irq_ack(line);
    assert_int_equal(hal_irq_pending(), HAL_IRQ_NONE);
    sim_bus_set_irq(line, true);
    assert_int_equal(hal_irq_pending(), line);
    sim_bus_set_irq(line, false);
    hal_irq_disable(line);
    sim_bus_set_irq(64, true); /* no such line: ignored */
    assert_false(sim_bus_irq_level(64));
}

static volatile uint8_t *map_fake(void)
{
    assert_true(hal_vspace_map(ASID, VADDR, 12, FAKE_BASE & ~0xfffu, RW_DEVICE));
    return (volatile uint8_t *)(uintptr_t)hal_vspace_user_pointer(ASID, VADDR);
}

static void accessors_reach_the_model(void **state)
{
    (void)state;
    volatile uint8_t *p = map_fake();
    const struct sim_device *d = NULL;
    uint64_t off = 0;
    assert_true(sim_mmio_device_at((uintptr_t)p + 0x18, &d, &off));
    assert_ptr_equal(d, &fake_dev);
    assert_int_equal(off, 0x18);

    kaal_mmio_write32(p + 0x10, 0xdeadbeef);
    assert_int_equal(fake.writes, 1);
    assert_int_equal(fake.last_offset, 0x10);
    assert_int_equal(fake.last_bytes, 4);
    assert_int_equal(kaal_mmio_read32(p + 0x10), 0xdeadbeef);
    assert_int_equal(fake.last_bytes, 4);
    kaal_mmio_write64(p + 0x20, 0x0123456789abcdefull);
    assert_int_equal(kaal_mmio_read64(p + 0x20), 0x0123456789abcdefull);
    assert_int_equal(fake.last_bytes, 8);
    kaal_mmio_write16(p + 0x28, 0xbeef);
    assert_int_equal(kaal_mmio_read16(p + 0x28), 0xbeef);
    assert_int_equal(fake.last_bytes, 2);

    /* Refused by the bus, model untouched: a width it does not take, misaligned, past its end. */
    unsigned reads = fake.reads, writes = fake.writes;
    uint64_t v;
    assert_int_equal(sim_mmio_read((uintptr_t)p, 1, &v), SIM_MMIO_REFUSED);
    assert_int_equal(sim_mmio_read((uintptr_t)p + 2, 4, &v), SIM_MMIO_REFUSED);
    assert_int_equal(sim_mmio_write((uintptr_t)p + 4, 8, 0), SIM_MMIO_REFUSED);
    assert_int_equal(sim_mmio_read((uintptr_t)p, 3, &v), SIM_MMIO_REFUSED);
    assert_int_equal(sim_mmio_read((uintptr_t)p + 0x200, 4, &v), SIM_MMIO_REFUSED); /* past the device */
    assert_int_equal(fake.reads, reads);
    assert_int_equal(fake.writes, writes);

    /* Not a device mapping: plain memory, for the bus and for the accessors. */
    static uint32_t plain = 5;
    assert_int_equal(sim_mmio_read((uintptr_t)&plain, 4, &v), SIM_MMIO_NOT_DEVICE);
    assert_false(sim_mmio_device_at((uintptr_t)&plain, &d, &off));
    kaal_mmio_write32(&plain, 6);
    assert_int_equal(kaal_mmio_read32(&plain), 6);
    assert_int_equal(plain, 6);
    uint8_t bytes[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(kaal_mmio_read8(bytes + 3), 4);
    kaal_mmio_write8(bytes + 3, 9);
    assert_int_equal(bytes[3], 9);
}

static void device_frames_need_a_device(void **state)
{
    (void)state;
    /* A 4 KiB device frame with no device behind it: refused, nothing recorded. */
    assert_false(hal_vspace_map(ASID, 0x8000, 12, 0x09100000, RW_DEVICE));
    assert_false(sim_mmio_device_at(hal_vspace_user_pointer(ASID, 0x8000), &(const struct sim_device *){0},
                                    &(uint64_t){0}));
    /* A 2 MiB frame that holds the device: mapped; its other pages are device memory with no device. */
    assert_true(hal_vspace_map(ASID, 0x200000, 21, FAKE_BASE, RW_DEVICE));
    uintptr_t big = hal_vspace_user_pointer(ASID, 0x200000);
    const struct sim_device *d;
    uint64_t off, paddr;
    assert_true(sim_mmio_device_at(big + 0x1f8, &d, &off));
    assert_int_equal(off, 0x1f8);
    assert_false(sim_mmio_device_at(big + 0x1000, &d, &off));
    assert_true(sim_mmio_paddr(big + 0x1000, &paddr));
    assert_int_equal(paddr, FAKE_BASE + 0x1000);
    uint64_t v;
    assert_int_equal(sim_mmio_read(big + 0x1000, 4, &v), SIM_MMIO_REFUSED);
    char msg[128];
    assert_true(sim_mmio_describe(big + 0x1004, msg, sizeof msg) > 0);
    assert_string_equal(msg, "raw access to device memory at physical 0xa001004, where no device is");
    hal_vspace_unmap(ASID, 0x200000, 21);
    assert_false(sim_mmio_paddr(big, &paddr));
}

static void unmap_and_release_drop_records(void **state)
{
    (void)state;
    volatile uint8_t *p = map_fake();
    const struct sim_device *d;
    uint64_t off;
    assert_true(sim_mmio_device_at((uintptr_t)p, &d, &off));
    hal_vspace_unmap(ASID, VADDR, 12);
    assert_false(sim_mmio_device_at((uintptr_t)p, &d, &off));
    p = map_fake();
    assert_true(sim_mmio_device_at((uintptr_t)p, &d, &off));
    /* A table's unmap covers the frames below it. */
    hal_vspace_unmap(ASID, 0, 21);
    assert_false(sim_mmio_device_at((uintptr_t)p, &d, &off));
    p = map_fake();
    hal_vspace_release(ASID);
    assert_false(sim_mmio_device_at((uintptr_t)p, &d, &off));
    /* Many mappings come and go; the records are reused. */
    for (unsigned round = 0; round < 3; round++) {
        for (unsigned i = 0; i < 200; i++)
            assert_true(hal_vspace_map(ASID, 0x100000 + 0x1000 * i, 12, FAKE_BASE, RW_DEVICE));
        assert_true(sim_mmio_device_at(hal_vspace_user_pointer(ASID, 0x100000 + 0x1000 * 199) + 8, &d, &off));
        hal_vspace_release(ASID);
    }
}

static void describe(void **state)
{
    (void)state;
    volatile uint8_t *p = map_fake();
    char msg[128];
    int n = sim_mmio_describe((uintptr_t)p + 0x18, msg, sizeof msg);
    assert_string_equal(msg, "raw access to fake@a000000 register 0x18 bypasses the MMIO accessors");
    assert_int_equal(n, (int)strlen(msg));
    /* Cut to the buffer, still terminated. */
    char small[12];
    assert_int_equal(sim_mmio_describe((uintptr_t)p + 0x18, small, sizeof small), 11);
    assert_string_equal(small, "raw access ");
    /* A device's physical address used as a pointer. */
    assert_true(sim_mmio_describe(FAKE_BASE + 4, msg, sizeof msg) > 0);
    assert_string_equal(msg, "access to fake@a000000 register 0x4 through its physical address: map the device "
                             "frame and use the pointer Frame_Map gives");
    /* Anything else: -1, buffer untouched. */
    strcpy(msg, "untouched");
    static int plain;
    assert_int_equal(sim_mmio_describe((uintptr_t)&plain, msg, sizeof msg), -1);
    assert_string_equal(msg, "untouched");
}

/* In a child: report the fault's description on the pipe and end with 42. */
static int report_fd;

static void report_segv(int sig, siginfo_t *info, void *uc)
{
    (void)sig, (void)uc;
    char msg[160];
    int n = sim_mmio_describe((uintptr_t)info->si_addr, msg, sizeof msg);
    if (n > 0 && write(report_fd, msg, (size_t)n) != n)
        _exit(1);
    _exit(42);
}

/* Run `access` on p in a child with report_segv; the child's description of its fault, or "" if none. */
static int fault_in_child(volatile uint8_t *p, void (*access)(volatile uint8_t *), char *msg, size_t len)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        report_fd = fds[1];
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = report_segv;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGSEGV, &sa, NULL);
        access(p);
        _exit(0);
    }
    close(fds[1]);
    ssize_t n = read(fds[0], msg, len - 1);
    msg[n > 0 ? n : 0] = '\0';
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void raw_write(volatile uint8_t *p) { *(volatile uint32_t *)(p + 0x18) = 1; }
static void raw_read(volatile uint8_t *p) { (void)*(volatile uint32_t *)(p + 0x10); }
static void refused_read(volatile uint8_t *p) { (void)kaal_mmio_read32(p + 0x12); }
static void physical_read(volatile uint8_t *p)
{
    (void)p;
    (void)kaal_mmio_read32((volatile void *)(uintptr_t)(FAKE_BASE + 0x10));
}

static void raw_access_faults(void **state)
{
    (void)state;
    volatile uint8_t *p = map_fake();
    char msg[160];
    assert_int_equal(fault_in_child(p, raw_write, msg, sizeof msg), 42);
    assert_string_equal(msg, "raw access to fake@a000000 register 0x18 bypasses the MMIO accessors");
    assert_int_equal(fault_in_child(p, raw_read, msg, sizeof msg), 42);
    assert_string_equal(msg, "raw access to fake@a000000 register 0x10 bypasses the MMIO accessors");
    /* An access the bus refuses is made raw, so it faults too (after its line on stderr). */
    assert_int_equal(fault_in_child(p, refused_read, msg, sizeof msg), 42);
    assert_string_equal(msg, "raw access to fake@a000000 register 0x12 bypasses the MMIO accessors");
    /* The physical address as a pointer: faults if nothing of the host is there (the machine makes sure). */
    void *reserved = mmap((void *)(uintptr_t)FAKE_BASE, 0x1000, PROT_NONE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (reserved == (void *)(uintptr_t)FAKE_BASE) {
        assert_int_equal(fault_in_child(p, physical_read, msg, sizeof msg), 42);
        assert_string_equal(msg, "access to fake@a000000 register 0x10 through its physical address: map the "
                                 "device frame and use the pointer Frame_Map gives");
        munmap(reserved, 0x1000);
    }
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, attach_fake, detach_fake)
    const struct CMUnitTest tests[] = {
        T(attach_find_detach), T(irq_levels), T(accessors_reach_the_model), T(device_frames_need_a_device),
        T(unmap_and_release_drop_records), T(describe), T(raw_access_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
