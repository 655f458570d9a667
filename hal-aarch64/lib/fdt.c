/*
 * Flattened device tree reader. The structure block is a token stream
 * (BEGIN_NODE name, PROP len nameoff value, END_NODE, NOP, END), every item
 * padded to 4 bytes. One cursor function reads the next token and checks
 * every offset it computes against the structure block before reading
 * there; lookups are walks over that cursor that track how many components
 * of the wanted path the current branch matches, so no recursion and no
 * stack that grows with the tree's depth.
 *
 * All reads are byte loads: the blob's alignment is whatever the loader
 * chose, and with the MMU off an unaligned wide load faults.
 */
#include <stdint.h>

#include "lib/fdt.h"

#define FDT_MAGIC 0xd00dfeedu
#define FDT_HEADER_SIZE 40u /* version 17 header: ten 32-bit words */
#define FDT_VERSION 17u

enum { TOK_BEGIN_NODE = 1, TOK_END_NODE = 2, TOK_PROP = 3, TOK_NOP = 4, TOK_END = 9 };

#define MAX_PATH_DEPTH 8u

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

const char *fdt_status_name(enum fdt_status s)
{
    switch (s) {
    case FDT_OK: return "ok";
    case FDT_NOT_FOUND: return "not found";
    case FDT_ERR_MAGIC: return "bad magic (no device tree)";
    case FDT_ERR_SIZE: return "bad total size";
    case FDT_ERR_VERSION: return "unsupported version";
    case FDT_ERR_LAYOUT: return "block outside the blob or misaligned";
    case FDT_ERR_STRUCTURE: return "malformed structure block";
    case FDT_ERR_VALUE: return "property of unexpected length or value";
    case FDT_ERR_PATH: return "path too deep";
    }
    return "unknown error";
}

/* [off, off + len) lies inside [0, limit)? In 64 bits, so nothing wraps. */
static int in_bounds(uint64_t off, uint64_t len, uint64_t limit)
{
    return off <= limit && len <= limit - off;
}

struct token {
    unsigned type;
    const char *name;     /* node name, or property name in the strings block */
    uint32_t name_len;    /* without the NUL */
    const uint8_t *value; /* property value */
    uint32_t len;
};

/* Length of the NUL-terminated string at p, or -1 if no NUL before p + max. */
static int64_t bounded_strlen(const uint8_t *p, uint32_t max)
{
    for (uint32_t i = 0; i < max; i++) {
        if (p[i] == 0)
            return i;
    }
    return -1;
}

/*
 * Read the token at *off (relative to the structure block) and advance *off
 * past it. Fails with FDT_ERR_STRUCTURE on anything that does not fit.
 */
static enum fdt_status next_token(const struct fdt *f, uint32_t *off, struct token *t)
{
    const uint8_t *s = f->blob + f->struct_off;
    uint32_t limit = f->struct_size;
    uint64_t o = *off;

    if (!in_bounds(o, 4, limit))
        return FDT_ERR_STRUCTURE;
    t->type = be32(s + o);
    o += 4;
    switch (t->type) {
    case TOK_BEGIN_NODE: {
        int64_t n = bounded_strlen(s + o, (uint32_t)(limit - o));
        if (n < 0)
            return FDT_ERR_STRUCTURE;
        t->name = (const char *)(s + o);
        t->name_len = (uint32_t)n;
        o += ((uint64_t)n + 1 + 3) & ~(uint64_t)3;
        break;
    }
    case TOK_PROP: {
        if (!in_bounds(o, 8, limit))
            return FDT_ERR_STRUCTURE;
        uint32_t len = be32(s + o);
        uint32_t nameoff = be32(s + o + 4);
        o += 8;
        if (!in_bounds(o, len, limit) || nameoff >= f->strings_size)
            return FDT_ERR_STRUCTURE;
        const uint8_t *str = f->blob + f->strings_off + nameoff;
        int64_t n = bounded_strlen(str, f->strings_size - nameoff);
        if (n < 0)
            return FDT_ERR_STRUCTURE;
        t->name = (const char *)str;
        t->name_len = (uint32_t)n;
        t->value = s + o;
        t->len = len;
        o += ((uint64_t)len + 3) & ~(uint64_t)3;
        break;
    }
    case TOK_END_NODE:
    case TOK_NOP:
    case TOK_END:
        break;
    default:
        return FDT_ERR_STRUCTURE;
    }
    /* Padding may run the offset past the end only if nothing follows; the
     * next read's bounds check catches that. */
    if (o > limit)
        o = limit;
    *off = (uint32_t)o;
    return FDT_OK;
}

/* The wanted path, split into components (no copies: pointers into it). */
struct path {
    const char *comp[MAX_PATH_DEPTH];
    uint32_t len[MAX_PATH_DEPTH];
    unsigned n;
};

static enum fdt_status split_path(const char *p, struct path *out)
{
    out->n = 0;
    if (*p != '/')
        return FDT_ERR_PATH;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        if (out->n == MAX_PATH_DEPTH)
            return FDT_ERR_PATH;
        const char *start = p;
        while (*p && *p != '/')
            p++;
        out->comp[out->n] = start;
        out->len[out->n] = (uint32_t)(p - start);
        out->n++;
    }
    return FDT_OK;
}

static int bytes_equal(const char *a, const char *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (a[i] != b[i])
            return 0;
    }
    return 1;
}

/* Node name `name` matches component `c`: exactly, or as c@unit-address when
 * c has no unit address of its own. */
static int name_matches(const char *name, uint32_t name_len, const char *c, uint32_t c_len)
{
    if (name_len < c_len || !bytes_equal(name, c, c_len))
        return 0;
    if (name_len == c_len)
        return 1;
    for (uint32_t i = 0; i < c_len; i++) {
        if (c[i] == '@')
            return 0;
    }
    return name[c_len] == '@';
}

/*
 * Walk the whole structure block. With a path and a property name, stop at
 * the first matching property; without, only check that the tree is well
 * formed: one root node, balanced, then END.
 */
static enum fdt_status walk(const struct fdt *f, const struct path *want, const char *prop,
                            struct token *found)
{
    uint32_t off = 0, level = 0, matched = 0;
    uint32_t prop_len = 0;
    int root_done = 0;
    struct token t;

    if (prop) {
        while (prop[prop_len])
            prop_len++;
    }
    for (;;) {
        enum fdt_status st = next_token(f, &off, &t);
        if (st != FDT_OK)
            return st;
        switch (t.type) {
        case TOK_BEGIN_NODE:
            if (root_done || (level == 0 && t.name_len != 0))
                return FDT_ERR_STRUCTURE;
            level++;
            /* Level 1 is the root; path component k names a node at level k + 2. */
            if (want && matched == level - 1 &&
                (level == 1 || (level - 2 < want->n &&
                                name_matches(t.name, t.name_len, want->comp[level - 2],
                                             want->len[level - 2]))))
                matched = level;
            break;
        case TOK_END_NODE:
            if (level == 0)
                return FDT_ERR_STRUCTURE;
            if (matched == level)
                matched--;
            if (--level == 0)
                root_done = 1;
            break;
        case TOK_PROP:
            if (level == 0)
                return FDT_ERR_STRUCTURE;
            if (want && matched == level && level == want->n + 1 && t.name_len == prop_len &&
                bytes_equal(t.name, prop, prop_len)) {
                *found = t;
                return FDT_OK;
            }
            break;
        case TOK_NOP:
            break;
        case TOK_END:
            return root_done ? (want ? FDT_NOT_FOUND : FDT_OK) : FDT_ERR_STRUCTURE;
        }
    }
}

enum fdt_status fdt_open(struct fdt *f, const void *blob, size_t avail)
{
    const uint8_t *b = blob;

    f->blob = b;
    f->size = 0;
    if (avail < FDT_HEADER_SIZE)
        return FDT_ERR_SIZE;
    if (be32(b + 0) != FDT_MAGIC)
        return FDT_ERR_MAGIC;
    uint32_t total = be32(b + 4);
    uint32_t off_struct = be32(b + 8), off_strings = be32(b + 12), off_rsvmap = be32(b + 16);
    uint32_t version = be32(b + 20), last_comp = be32(b + 24);
    uint32_t size_strings = be32(b + 32), size_struct = be32(b + 36);

    if (total < FDT_HEADER_SIZE || total > avail)
        return FDT_ERR_SIZE;
    /* Version 17 added size_dt_struct, which bounds the walk; a blob that
     * claims compatibility only with a later version changed the format. */
    if (version < FDT_VERSION || last_comp > FDT_VERSION)
        return FDT_ERR_VERSION;
    if (off_struct < FDT_HEADER_SIZE || off_struct % 4 || size_struct % 4 ||
        !in_bounds(off_struct, size_struct, total) || off_strings < FDT_HEADER_SIZE ||
        !in_bounds(off_strings, size_strings, total) || off_rsvmap < FDT_HEADER_SIZE ||
        off_rsvmap % 8 || off_rsvmap > total)
        return FDT_ERR_LAYOUT;

    f->size = total;
    f->struct_off = off_struct;
    f->struct_size = size_struct;
    f->strings_off = off_strings;
    f->strings_size = size_strings;
    enum fdt_status st = walk(f, NULL, NULL, NULL);
    if (st != FDT_OK)
        f->size = 0; /* an unusable blob stays unusable */
    return st;
}

enum fdt_status fdt_get_prop(const struct fdt *f, const char *path, const char *name,
                             const uint8_t **value, uint32_t *len)
{
    struct path want;
    struct token t;

    if (f->size == 0)
        return FDT_ERR_MAGIC;
    enum fdt_status st = split_path(path, &want);
    if (st != FDT_OK)
        return st;
    st = walk(f, &want, name, &t);
    if (st != FDT_OK)
        return st;
    *value = t.value;
    *len = t.len;
    return FDT_OK;
}

static enum fdt_status root_cell_prop(const struct fdt *f, const char *name, unsigned dflt,
                                      unsigned *out)
{
    const uint8_t *v;
    uint32_t len;
    enum fdt_status st = fdt_get_prop(f, "/", name, &v, &len);

    if (st == FDT_NOT_FOUND) {
        *out = dflt;
        return FDT_OK;
    }
    if (st != FDT_OK)
        return st;
    if (len != 4)
        return FDT_ERR_VALUE;
    uint32_t cells = be32(v);
    if (cells < 1 || cells > 2) /* 64-bit addresses and sizes at most */
        return FDT_ERR_VALUE;
    *out = cells;
    return FDT_OK;
}

enum fdt_status fdt_root_cells(const struct fdt *f, unsigned *addr_cells, unsigned *size_cells)
{
    enum fdt_status st = root_cell_prop(f, "#address-cells", 2, addr_cells);
    return st != FDT_OK ? st : root_cell_prop(f, "#size-cells", 1, size_cells);
}

static uint64_t read_cells(const uint8_t *p, unsigned cells)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < cells; i++)
        v = v << 32 | be32(p + 4 * i);
    return v;
}

enum fdt_status fdt_reg_entry(const uint8_t *value, uint32_t len, unsigned addr_cells,
                              unsigned size_cells, unsigned index, uint64_t *addr,
                              uint64_t *size)
{
    if (addr_cells < 1 || addr_cells > 2 || size_cells < 1 || size_cells > 2)
        return FDT_ERR_VALUE;
    uint32_t entry = 4 * (addr_cells + size_cells);
    if (len == 0 || len % entry)
        return FDT_ERR_VALUE;
    if (index >= len / entry)
        return FDT_NOT_FOUND;
    const uint8_t *p = value + (uint64_t)index * entry;
    *addr = read_cells(p, addr_cells);
    *size = read_cells(p + 4 * addr_cells, size_cells);
    return FDT_OK;
}

int fdt_prop_is(const uint8_t *value, uint32_t len, const char *s)
{
    uint32_t n = 0;
    while (s[n])
        n++;
    return len == n + 1 && bytes_equal((const char *)value, s, n) && value[n] == 0;
}

int fdt_prop_has_string(const uint8_t *value, uint32_t len, const char *s)
{
    uint32_t n = 0;
    while (s[n])
        n++;
    /* Each string of the list with its NUL; an unterminated tail matches nothing. */
    for (uint32_t i = 0; i < len;) {
        uint32_t j = i;
        while (j < len && value[j] != 0)
            j++;
        if (j == len)
            return 0;
        if (j - i == n && bytes_equal((const char *)value + i, s, n))
            return 1;
        i = j + 1;
    }
    return 0;
}

static int token_is(const struct token *t, const char *name)
{
    uint32_t n = 0;
    while (name[n])
        n++;
    return t->name_len == n && bytes_equal(t->name, name, n);
}

enum fdt_status fdt_node_prop(const struct fdt *f, uint32_t node_off, const char *name,
                              const uint8_t **value, uint32_t *len)
{
    uint32_t off = node_off;
    struct token t;

    if (f->size == 0)
        return FDT_ERR_MAGIC;
    enum fdt_status st = next_token(f, &off, &t);
    if (st != FDT_OK)
        return st;
    if (t.type != TOK_BEGIN_NODE)
        return FDT_ERR_STRUCTURE;
    /* A node's properties come before its children: stop at the first node token.
     * Every token advances off, and next_token fails at the end of the block. */
    for (;;) {
        st = next_token(f, &off, &t);
        if (st != FDT_OK)
            return st;
        if (t.type == TOK_NOP)
            continue;
        if (t.type != TOK_PROP)
            return FDT_NOT_FOUND;
        if (token_is(&t, name)) {
            *value = t.value;
            *len = t.len;
            return FDT_OK;
        }
    }
}

enum fdt_status fdt_cell(const uint8_t *value, uint32_t len, unsigned index, uint32_t *out)
{
    if (len % 4)
        return FDT_ERR_VALUE;
    if (index >= len / 4)
        return FDT_NOT_FOUND;
    *out = be32(value + 4 * (uint64_t)index);
    return FDT_OK;
}

enum fdt_status fdt_node_u32(const struct fdt *f, uint32_t node_off, const char *name,
                             uint32_t *out)
{
    const uint8_t *v;
    uint32_t len;
    enum fdt_status st = fdt_node_prop(f, node_off, name, &v, &len);

    if (st != FDT_OK)
        return st;
    if (len != 4)
        return FDT_ERR_VALUE;
    *out = be32(v);
    return FDT_OK;
}

static enum fdt_status node_cell_count(const struct fdt *f, uint32_t node_off, const char *name,
                                       unsigned dflt, unsigned *out)
{
    uint32_t cells;
    enum fdt_status st = fdt_node_u32(f, node_off, name, &cells);

    if (st == FDT_NOT_FOUND) {
        *out = dflt;
        return FDT_OK;
    }
    if (st != FDT_OK)
        return st;
    if (cells < 1 || cells > 2)
        return FDT_ERR_VALUE;
    *out = cells;
    return FDT_OK;
}

enum fdt_status fdt_node_cells(const struct fdt *f, uint32_t node_off, unsigned *addr_cells,
                               unsigned *size_cells)
{
    enum fdt_status st = node_cell_count(f, node_off, "#address-cells", 2, addr_cells);
    return st != FDT_OK ? st : node_cell_count(f, node_off, "#size-cells", 1, size_cells);
}

/* A node without "status", or with "okay" ("ok" in older trees), is in use. */
static int node_available(const struct fdt *f, uint32_t node_off)
{
    const uint8_t *v;
    uint32_t len;
    enum fdt_status st = fdt_node_prop(f, node_off, "status", &v, &len);

    if (st == FDT_NOT_FOUND)
        return 1;
    return st == FDT_OK && (fdt_prop_is(v, len, "okay") || fdt_prop_is(v, len, "ok"));
}

enum fdt_status fdt_find_compatible(const struct fdt *f, const char *compat, struct fdt_node *node)
{
    /* The open nodes of the current branch by depth (0 = the root). Nodes
     * deeper than the array are walked over but never matched. */
    uint32_t open[FDT_MAX_NODE_DEPTH + 1] = {0};
    uint32_t off = 0, level = 0; /* level = depth + 1 inside a node, 0 outside the root */
    struct token t;

    if (f->size == 0)
        return FDT_ERR_MAGIC;
    for (;;) {
        uint32_t tok_off = off;
        enum fdt_status st = next_token(f, &off, &t);
        if (st != FDT_OK)
            return st;
        switch (t.type) {
        case TOK_BEGIN_NODE:
            if (level <= FDT_MAX_NODE_DEPTH)
                open[level] = tok_off;
            level++;
            break;
        case TOK_END_NODE:
            if (level == 0)
                return FDT_ERR_STRUCTURE;
            level--;
            break;
        case TOK_PROP: {
            if (level == 0)
                return FDT_ERR_STRUCTURE;
            uint32_t depth = level - 1;
            if (depth >= 1 && depth <= FDT_MAX_NODE_DEPTH && token_is(&t, "compatible") &&
                fdt_prop_has_string(t.value, t.len, compat) && node_available(f, open[depth])) {
                node->off = open[depth];
                node->parent_off = open[depth - 1];
                node->depth = depth;
                return FDT_OK;
            }
            break;
        }
        case TOK_NOP:
            break;
        case TOK_END:
            return FDT_NOT_FOUND;
        }
    }
}
