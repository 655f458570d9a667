/*
 * A read-only reader of a flattened device tree (DTB, devicetree spec v0.4,
 * chapter 5), for the few facts the boot path needs: RAM, the PSCI conduit,
 * the interrupt controller and the timer. The blob comes from outside the kernel, so nothing it says is
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

/* True if the property value is a string list (as "compatible") holding `s`. */
int fdt_prop_has_string(const uint8_t *value, uint32_t len, const char *s);

/* Nodes deeper than this (the root is depth 0) are never found by compatible. */
#define FDT_MAX_NODE_DEPTH 15u

/* A node, by the offset of its BEGIN_NODE token in the structure block. */
struct fdt_node {
    uint32_t off;
    uint32_t parent_off; /* the parent's node offset */
    unsigned depth;      /* 1 for a child of the root */
};

/*
 * The first node in tree order, other than the root, whose "compatible"
 * lists `compat` and whose "status" is absent, "okay" or "ok".
 */
enum fdt_status fdt_find_compatible(const struct fdt *f, const char *compat, struct fdt_node *node);

/* Property `name` of the node at `node_off` itself (not of its children). */
enum fdt_status fdt_node_prop(const struct fdt *f, uint32_t node_off, const char *name,
                              const uint8_t **value, uint32_t *len);

/* A 32-bit property of the node at `node_off` (one cell, or FDT_ERR_VALUE). */
enum fdt_status fdt_node_u32(const struct fdt *f, uint32_t node_off, const char *name,
                             uint32_t *out);

/* The #address-cells and #size-cells a node gives its children (defaults 2
 * and 1); each must be 1 or 2. */
enum fdt_status fdt_node_cells(const struct fdt *f, uint32_t node_off, unsigned *addr_cells,
                               unsigned *size_cells);

/* Cell `index` (32-bit, big-endian) of a property value. */
enum fdt_status fdt_cell(const uint8_t *value, uint32_t len, unsigned index, uint32_t *out);

#endif
