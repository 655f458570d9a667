/*
 * The sim machine's device tree, read back with libfdt: header, every node,
 * every property and value; the phandles resolve; the interrupt specifiers
 * decode (GIC binding) to the sim interrupt controller's lines the machine
 * wires; a buffer that is too small is an error, not a truncated tree.
 * (test_machine_fdt_kernel reads the same tree with the aarch64 kernel's own
 * reader.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <libfdt.h>

#include <kaal/machine/fdt.h>
#include <kaal/machine/virt.h>

#define RAM_BASE 0x7f1234200000ull
#define RAM_SIZE (64ull << 20)

static uint8_t blob[16384];

static int build(void **state)
{
    (void)state;
    struct sim_fdt_config config = {.ram_base = RAM_BASE, .ram_size = RAM_SIZE};
    int size = sim_fdt_build(blob, sizeof blob, &config);
    return size > 0 ? 0 : -1;
}

static int node(const char *path)
{
    int off = fdt_path_offset(blob, path);
    if (off < 0)
        fail_msg("no node %s: %s", path, fdt_strerror(off));
    return off;
}

/* The property's value, checking its length. */
static const void *prop(const char *path, const char *name, int want_len)
{
    int len = -1;
    const void *v = fdt_getprop(blob, node(path), name, &len);
    if (v == NULL)
        fail_msg("%s has no %s", path, name);
    if (want_len >= 0 && len != want_len)
        fail_msg("%s %s: %d bytes, want %d", path, name, len, want_len);
    return v;
}

static void str_is(const char *path, const char *name, const char *want)
{
    const char *v = prop(path, name, (int)strlen(want) + 1);
    assert_string_equal(v, want);
}

/* A string list, given as "a\0b\0" with its size. */
static void strs_are(const char *path, const char *name, const char *want, int size)
{
    assert_memory_equal(prop(path, name, size), want, (size_t)size);
}

static void cells_are(const char *path, const char *name, const uint32_t *want, int count)
{
    const fdt32_t *v = prop(path, name, count * 4);
    for (int i = 0; i < count; i++)
        assert_int_equal(fdt32_to_cpu(v[i]), want[i]);
}

static void u32_is(const char *path, const char *name, uint32_t want) { cells_are(path, name, &want, 1); }

static void empty(const char *path, const char *name) { prop(path, name, 0); }

/* The names of node's properties, in order, joined by spaces. */
static void property_names(const char *path, char *out, size_t len)
{
    out[0] = '\0';
    int off;
    fdt_for_each_property_offset(off, blob, node(path))
    {
        const char *name;
        fdt_getprop_by_offset(blob, off, &name, NULL);
        snprintf(out + strlen(out), len - strlen(out), "%s%s", out[0] ? " " : "", name);
    }
}

static void header_and_nodes(void **state)
{
    (void)state;
    assert_int_equal(fdt_check_header(blob), 0);
    assert_int_equal(fdt_version(blob), 17);
    assert_true(fdt_totalsize(blob) < 4096); /* one page of guest RAM */
    assert_int_equal(fdt_num_mem_rsv(blob), 0);
    /* Exactly these nodes, in this order. */
    const char *want[] = {"", "memory@7f1234200000", "cpus", "cpu@0", "intc@8000000", "timer", "apb-pclk",
                          "pl011@9000000", "pl031@9010000", "chosen"};
    int i = 0, off = -1, depth = 0;
    while ((off = fdt_next_node(blob, off, &depth)) >= 0) {
        assert_true(i < (int)(sizeof want / sizeof want[0]));
        assert_string_equal(fdt_get_name(blob, off, NULL), want[i]);
        i++;
    }
    assert_int_equal(i, sizeof want / sizeof want[0]);
}

static void root(void **state)
{
    (void)state;
    char names[256];
    property_names("/", names, sizeof names);
    assert_string_equal(names, "interrupt-parent #size-cells #address-cells compatible");
    u32_is("/", "interrupt-parent", SIM_FDT_PHANDLE_INTC);
    u32_is("/", "#size-cells", 2);
    u32_is("/", "#address-cells", 2);
    str_is("/", "compatible", "linux,dummy-virt");
}

static void memory(void **state)
{
    (void)state;
    char names[256];
    property_names("/memory@7f1234200000", names, sizeof names);
    assert_string_equal(names, "reg device_type");
    uint32_t reg[4] = {(uint32_t)(RAM_BASE >> 32), (uint32_t)RAM_BASE, 0, (uint32_t)RAM_SIZE};
    cells_are("/memory@7f1234200000", "reg", reg, 4);
    str_is("/memory@7f1234200000", "device_type", "memory");
}

static void cpus(void **state)
{
    (void)state;
    char names[256];
    property_names("/cpus", names, sizeof names);
    assert_string_equal(names, "#size-cells #address-cells");
    u32_is("/cpus", "#size-cells", 0);
    u32_is("/cpus", "#address-cells", 1);
    property_names("/cpus/cpu@0", names, sizeof names);
    assert_string_equal(names, "reg compatible device_type");
    u32_is("/cpus/cpu@0", "reg", 0);
    str_is("/cpus/cpu@0", "compatible", "kaal,sim-cpu");
    str_is("/cpus/cpu@0", "device_type", "cpu");
}

static void intc(void **state)
{
    (void)state;
    const char *p = "/intc@8000000";
    char names[256];
    property_names(p, names, sizeof names);
    assert_string_equal(names, "phandle reg compatible ranges #size-cells #address-cells interrupt-controller "
                               "#interrupt-cells");
    u32_is(p, "phandle", SIM_FDT_PHANDLE_INTC);
    uint32_t reg[8] = {0, 0x08000000, 0, 0x10000, 0, 0x08010000, 0, 0x10000};
    cells_are(p, "reg", reg, 8);
    str_is(p, "compatible", "arm,cortex-a15-gic");
    empty(p, "ranges");
    u32_is(p, "#size-cells", 2);
    u32_is(p, "#address-cells", 2);
    empty(p, "interrupt-controller");
    u32_is(p, "#interrupt-cells", 3);
    assert_int_equal(fdt_node_offset_by_phandle(blob, SIM_FDT_PHANDLE_INTC), node(p));
}

static void timer(void **state)
{
    (void)state;
    char names[256];
    property_names("/timer", names, sizeof names);
    assert_string_equal(names, "interrupts always-on compatible");
    uint32_t irqs[12] = {1, 13, 0x104, 1, 14, 0x104, 1, 11, 0x104, 1, 10, 0x104};
    cells_are("/timer", "interrupts", irqs, 12);
    empty("/timer", "always-on");
    strs_are("/timer", "compatible", "arm,armv8-timer\0arm,armv7-timer", sizeof "arm,armv8-timer\0arm,armv7-timer");
    /* The virtual timer's PPI is the sim's timer line. */
    assert_int_equal(VIRT_PPI_LINE(irqs[7]), 27);
}

static void apb_pclk(void **state)
{
    (void)state;
    const char *p = "/apb-pclk";
    char names[256];
    property_names(p, names, sizeof names);
    assert_string_equal(names, "phandle clock-output-names clock-frequency #clock-cells compatible");
    u32_is(p, "phandle", SIM_FDT_PHANDLE_APB_PCLK);
    str_is(p, "clock-output-names", "clk24mhz");
    u32_is(p, "clock-frequency", 24000000);
    u32_is(p, "#clock-cells", 0);
    str_is(p, "compatible", "fixed-clock");
    assert_int_equal(fdt_node_offset_by_phandle(blob, SIM_FDT_PHANDLE_APB_PCLK), node(p));
}

static void pl011(void **state)
{
    (void)state;
    const char *p = "/pl011@9000000";
    char names[256];
    property_names(p, names, sizeof names);
    assert_string_equal(names, "compatible reg interrupts clock-names clocks");
    strs_are(p, "compatible", "arm,pl011\0arm,primecell", sizeof "arm,pl011\0arm,primecell");
    uint32_t reg[4] = {0, 0x09000000, 0, 0x1000};
    cells_are(p, "reg", reg, 4);
    uint32_t irq[3] = {0, 1, 4};
    cells_are(p, "interrupts", irq, 3);
    assert_int_equal(VIRT_SPI_LINE(irq[1]), 33);
    strs_are(p, "clock-names", "uartclk\0apb_pclk", sizeof "uartclk\0apb_pclk");
    uint32_t clocks[2] = {SIM_FDT_PHANDLE_APB_PCLK, SIM_FDT_PHANDLE_APB_PCLK};
    cells_are(p, "clocks", clocks, 2);
    assert_int_equal(fdt_node_offset_by_compatible(blob, -1, "arm,pl011"), node(p));
}

static void pl031(void **state)
{
    (void)state;
    const char *p = "/pl031@9010000";
    char names[256];
    property_names(p, names, sizeof names);
    assert_string_equal(names, "compatible reg interrupts clock-names clocks");
    strs_are(p, "compatible", "arm,pl031\0arm,primecell", sizeof "arm,pl031\0arm,primecell");
    uint32_t reg[4] = {0, 0x09010000, 0, 0x1000};
    cells_are(p, "reg", reg, 4);
    uint32_t irq[3] = {0, 2, 4};
    cells_are(p, "interrupts", irq, 3);
    assert_int_equal(VIRT_SPI_LINE(irq[1]), 34);
    str_is(p, "clock-names", "apb_pclk");
    u32_is(p, "clocks", SIM_FDT_PHANDLE_APB_PCLK);
}

static void chosen(void **state)
{
    (void)state;
    char names[256];
    property_names("/chosen", names, sizeof names);
    assert_string_equal(names, "stdout-path");
    str_is("/chosen", "stdout-path", "/pl011@9000000");
    assert_int_equal(fdt_path_offset(blob, fdt_getprop(blob, node("/chosen"), "stdout-path", NULL)),
                     node("/pl011@9000000"));
}

static void too_small(void **state)
{
    (void)state;
    static uint8_t small[256];
    struct sim_fdt_config config = {.ram_base = RAM_BASE, .ram_size = RAM_SIZE};
    assert_int_equal(sim_fdt_build(small, sizeof small, &config), -FDT_ERR_NOSPACE);
    assert_int_equal(sim_fdt_build(small, 8, &config), -FDT_ERR_NOSPACE); /* not even a header */
    /* Exactly the size it needs is enough. */
    int need = (int)fdt_totalsize(blob);
    static uint8_t exact[4096];
    assert_int_equal(sim_fdt_build(exact, (size_t)need, &config), need);
    assert_memory_equal(exact, blob, (size_t)need);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_and_nodes), cmocka_unit_test(root), cmocka_unit_test(memory),
        cmocka_unit_test(cpus), cmocka_unit_test(intc), cmocka_unit_test(timer), cmocka_unit_test(apb_pclk),
        cmocka_unit_test(pl011), cmocka_unit_test(pl031), cmocka_unit_test(chosen), cmocka_unit_test(too_small),
    };
    return cmocka_run_group_tests(tests, build, NULL);
}
