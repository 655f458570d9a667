/*
 * A read-only reader of a flattened device tree (DTB, devicetree spec v0.4,
 * chapter 5), for the few facts the boot path needs: RAM and the PSCI
 * conduit. The blob comes from outside the kernel, so nothing it says is
 * trusted: fdt_open checks the header and walks the whole structure block
 * once; every later read is bounds-checked again against the blob. No call
 * ever reads outside [blob, blob + size).
 */
#ifndef KAAL_A64_FDT_H
#define KAAL_A64_FDT_H

#include <stddef.h>
#include <stdint.h>

struct fdt {
    const uint8_t *blob;
    uint32_t size; /* totalsize from the header, checked against the space given */
    uint32_t struct_off, struct_size;
    uint32_t strings_off, strings_size;
};

enum fdt_status {
    FDT_OK = 0,
    FDT_NOT_FOUND,       /* well-formed, but no such node or property */
    FDT_ERR_MAGIC,       /* no device tree here */
    FDT_ERR_SIZE,        /* totalsize smaller than a header or larger than the space given */
    FDT_ERR_VERSION,     /* not readable as version 17 */
    FDT_ERR_LAYOUT,      /* a block lies outside the blob or is misaligned */
    FDT_ERR_STRUCTURE,   /* bad token, unterminated name, unbalanced nodes, truncated property */
    FDT_ERR_VALUE,       /* a property has the wrong length or an unsupported value */
    FDT_ERR_PATH,        /* the caller's path is too deep for this reader */
};

const char *fdt_status_name(enum fdt_status s);

/* Validate the blob at `blob`, of which at most `avail` bytes may be read. */
enum fdt_status fdt_open(struct fdt *f, const void *blob, size_t avail);

/*
 * Find property `name` of the node at `path` ("/" is the root). A path
 * component without a unit address matches a node with one: "/memory" finds
 * "memory@40000000". The first match in tree order wins.
 */
enum fdt_status fdt_get_prop(const struct fdt *f, const char *path, const char *name,
                             const uint8_t **value, uint32_t *len);

/* The root's #address-cells and #size-cells (defaults 2 and 1); each must be 1 or 2. */
enum fdt_status fdt_root_cells(const struct fdt *f, unsigned *addr_cells, unsigned *size_cells);

/* Entry `index` of a "reg" value with the given cell counts. */
enum fdt_status fdt_reg_entry(const uint8_t *value, uint32_t len, unsigned addr_cells,
                              unsigned size_cells, unsigned index, uint64_t *addr,
                              uint64_t *size);

/* True if the property value is exactly the NUL-terminated string `s`. */
int fdt_prop_is(const uint8_t *value, uint32_t len, const char *s);

#endif
