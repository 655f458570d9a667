/*
 * The sim machine's device tree read by the aarch64 kernel's own reader
 * (hal-aarch64/lib/fdt.c), with the lookups its boot path makes: the blob
 * validates, the root's cells, /memory's reg, the GICv2 node by compatible
 * with its two reg ranges, the virtual timer's specifier, the UART by
 * compatible with its reg and interrupt, /chosen's stdout-path. One device
 * tree reader, one enumeration path, both backends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/fdt.h"

#include <kaal/machine/fdt.h>

#define RAM_BASE 0x7f0000400000ull
#define RAM_SIZE (16ull << 20)

static uint8_t blob[8192];
static int blob_size;
static struct fdt f;

static int build(void **state)
{
    (void)state;
    struct sim_fdt_config config = {.ram_base = RAM_BASE, .ram_size = RAM_SIZE};
    blob_size = sim_fdt_build(blob, sizeof blob, &config);
    return blob_size > 0 && fdt_open(&f, blob, (size_t)blob_size) == FDT_OK ? 0 : -1;
}

static void memory(void **state)
{
    (void)state;
    unsigned ac, sc;
    assert_int_equal(fdt_root_cells(&f, &ac, &sc), FDT_OK);
    assert_int_equal(ac, 2);
    assert_int_equal(sc, 2);
    const uint8_t *reg;
    uint32_t len;
    uint64_t base, size;
    assert_int_equal(fdt_get_prop(&f, "/memory", "reg", &reg, &len), FDT_OK);
    assert_int_equal(fdt_reg_entry(reg, len, ac, sc, 0, &base, &size), FDT_OK);
    assert_int_equal(base, RAM_BASE);
    assert_int_equal(size, RAM_SIZE);
    assert_int_equal(fdt_reg_entry(reg, len, ac, sc, 1, &base, &size), FDT_NOT_FOUND);
}

static void gic_and_timer(void **state)
{
    (void)state;
    struct fdt_node node;
    assert_int_equal(fdt_find_compatible(&f, "arm,cortex-a15-gic", &node), FDT_OK);
    assert_int_equal(node.depth, 1);
    unsigned ac, sc;
    assert_int_equal(fdt_node_cells(&f, node.parent_off, &ac, &sc), FDT_OK);
    const uint8_t *reg;
    uint32_t len;
    uint64_t dist, dsize, cpu, csize;
    assert_int_equal(fdt_node_prop(&f, node.off, "reg", &reg, &len), FDT_OK);
    assert_int_equal(fdt_reg_entry(reg, len, ac, sc, 0, &dist, &dsize), FDT_OK);
    assert_int_equal(fdt_reg_entry(reg, len, ac, sc, 1, &cpu, &csize), FDT_OK);
    assert_int_equal(dist, 0x08000000);
    assert_int_equal(cpu, 0x08010000);
    uint32_t cells;
    assert_int_equal(fdt_node_u32(&f, node.off, "#interrupt-cells", &cells), FDT_OK);
    assert_int_equal(cells, 3);

    assert_int_equal(fdt_find_compatible(&f, "arm,armv8-timer", &node), FDT_OK);
    const uint8_t *v;
    assert_int_equal(fdt_node_prop(&f, node.off, "interrupts", &v, &len), FDT_OK);
    assert_int_equal(len, 4 * 3 * 4);
    uint32_t type, number;
    assert_int_equal(fdt_cell(v, len, 2 * 3, &type), FDT_OK); /* the third specifier: the virtual timer */
    assert_int_equal(fdt_cell(v, len, 2 * 3 + 1, &number), FDT_OK);
    assert_int_equal(type, 1); /* PPI */
    assert_int_equal(16 + number, 27); /* the sim's timer line */
}

static void uart(void **state)
{
    (void)state;
    struct fdt_node node;
    assert_int_equal(fdt_find_compatible(&f, "arm,pl011", &node), FDT_OK);
    const uint8_t *v;
    uint32_t len;
    uint64_t base, size;
    assert_int_equal(fdt_node_prop(&f, node.off, "reg", &v, &len), FDT_OK);
    assert_int_equal(fdt_reg_entry(v, len, 2, 2, 0, &base, &size), FDT_OK);
    assert_int_equal(base, 0x09000000);
    assert_int_equal(size, 0x1000);
    uint32_t type, number;
    assert_int_equal(fdt_node_prop(&f, node.off, "interrupts", &v, &len), FDT_OK);
    assert_int_equal(fdt_cell(v, len, 0, &type), FDT_OK);
    assert_int_equal(fdt_cell(v, len, 1, &number), FDT_OK);
    assert_int_equal(type, 0); /* SPI */
    assert_int_equal(32 + number, 33);
    assert_int_equal(fdt_find_compatible(&f, "arm,pl031", &node), FDT_OK);
    assert_int_equal(fdt_get_prop(&f, "/chosen", "stdout-path", &v, &len), FDT_OK);
    assert_true(fdt_prop_is(v, len, "/pl011@9000000"));
    assert_int_equal(fdt_get_prop(&f, "/", "compatible", &v, &len), FDT_OK);
    assert_true(fdt_prop_has_string(v, len, "linux,dummy-virt"));
    /* No PSCI on the sim: the aarch64 boot path would say so and go on. */
    assert_int_equal(fdt_get_prop(&f, "/psci", "method", &v, &len), FDT_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(memory),
        cmocka_unit_test(gic_and_timer),
        cmocka_unit_test(uart),
    };
    return cmocka_run_group_tests(tests, build, NULL);
}
