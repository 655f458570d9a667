/*
 * Address spaces: ASIDs, page tables, frame mappings (docs/memory.md).
 *
 * The tables live in the memory of VSpace (level 0) and page-table objects
 * (levels 1-3); entries are in the backend's format (hal_pte_*), so the
 * hardware walks them on aarch64. The kernel never allocates a table: user
 * code maps the levels it needs, and a walk that meets a missing one says
 * which.
 *
 * A frame or table cap that maps something records where: (ASID, vaddr) in
 * its data. Nothing points back from the tables to the caps, so records can
 * go stale (the VSpace was deleted, a table above was unmapped); an unmap
 * therefore looks at the entry the record names and clears it only if it
 * still maps this very object at this very level. Two rules keep stale
 * records harmless:
 *   - a table cap cannot be copied, so each table is entered in at most one
 *     place, by the one cap that records it;
 *   - unmapping a table also empties it, so a table is always empty when it
 *     is entered anywhere, and nothing below a detached table is reachable.
 */
#include <kaal/abi/syscalls.h>
#include <kaal/core/kernel.h>
#include <kaal/core/kmem.h>
#include <kaal/core/syscall.h>
#include <kaal/core/vspace.h>
#include <kaal/hal/vspace.h>

#define LAST_LEVEL (KAAL_PAGE_TABLE_LEVELS - 1u)

/* log2 of the bytes one entry at `level` covers: 39, 30, 21, 12. */
static unsigned level_shift(unsigned level)
{
    return KAAL_FRAME_BITS_SMALL + KAAL_PAGE_TABLE_INDEX_BITS * (LAST_LEVEL - level);
}

static hal_pte_t *pte_at(word_t table, unsigned level, word_t vaddr)
{
    return (hal_pte_t *)(uintptr_t)table + ((vaddr >> level_shift(level)) & MASK(KAAL_PAGE_TABLE_INDEX_BITS));
}

/* The level of the table that holds the entry for this frame or table. */
static unsigned entry_level(const struct cap *c)
{
    switch (c->type) {
    case CAP_PAGE_UPPER_DIR: return 0;
    case CAP_PAGE_DIR: return 1;
    case CAP_PAGE_TABLE: return 2;
    default: return c->size_bits == KAAL_FRAME_BITS_HUGE ? 1 : c->size_bits == KAAL_FRAME_BITS_LARGE ? 2 : LAST_LEVEL;
    }
}

void asid_table_init(void)
{
    ks.asids_free = KAAL_ASID_COUNT - 1;
    ks.asid_next = 1;
}

word_t asid_free_count(void)
{
    return ks.asids_free;
}

struct cap vspace_create(word_t root)
{
    word_t asid = ks.asid_next;
    while (ks.asid_roots[asid] != 0)
        asid = asid + 1 < KAAL_ASID_COUNT ? asid + 1 : 1;
    ks.asid_roots[asid] = root;
    ks.asids_free--;
    ks.asid_next = asid + 1 < KAAL_ASID_COUNT ? asid + 1 : 1;
    return (struct cap){.obj = root, .type = CAP_VSPACE, .rights = KAAL_RIGHTS_ALL, .data = asid};
}

void vspace_finalise(const struct cap *vspace)
{
    ks.asid_roots[vspace->data] = 0;
    ks.asids_free++;
    hal_vspace_release(vspace->data);
}

/* Where a walk from the root towards the entry at `level` for vaddr ended. */
struct walk {
    hal_pte_t *entry; /* the entry at that level; NULL if the walk stopped above it */
    unsigned stopped; /* then: the level of the missing table, or of the block in the way */
    bool blocked;     /* a frame (block) mapping covers vaddr at level `stopped` */
};

static struct walk walk(word_t root, word_t vaddr, unsigned level)
{
    word_t table = root;
    for (unsigned l = 0; l < level; l++) {
        hal_pte_t pte = *pte_at(table, l, vaddr);
        if (pte == 0)
            return (struct walk){.stopped = l + 1};
        if (!hal_pte_is_table(pte, l))
            return (struct walk){.stopped = l, .blocked = true};
        table = hal_pte_kaddr(pte);
    }
    return (struct walk){.entry = pte_at(table, level, vaddr)};
}

/* Does this entry at `level` enter exactly the object of c (a table as a table, a frame as a frame)? */
static bool entry_maps(hal_pte_t pte, unsigned level, const struct cap *c)
{
    if (pte == 0 || hal_pte_kaddr(pte) != c->obj)
        return false;
    bool is_table = level < LAST_LEVEL && hal_pte_is_table(pte, level);
    return is_table == (c->type != CAP_FRAME);
}

void vspace_unmap_cap(struct cap *c)
{
    word_t asid = cap_mapping_asid(c);
    word_t vaddr = cap_mapping_vaddr(c);
    unsigned level = entry_level(c);
    word_t root = ks.asid_roots[asid];
    if (root != 0) {
        struct walk w = walk(root, vaddr, level);
        if (w.entry != NULL && entry_maps(*w.entry, level, c)) {
            *w.entry = 0;
            hal_vspace_unmap(asid, vaddr, level_shift(level));
        }
    }
    c->data = 0;
    if (c->type != CAP_FRAME)
        kmem_zero((void *)(uintptr_t)c->obj, BIT(KAAL_PAGE_TABLE_BITS));
}

/*
 * The checks Map shares for frames and tables: the cap is free to map, the
 * VSpace is one, the address is aligned and in range, and the walk reaches a
 * free entry. Returns that entry, or NULL with the error set.
 */
static hal_pte_t *find_free_entry(const struct invocation *inv, word_t vaddr, unsigned vaddr_pos,
                                  struct syscall_error *err)
{
    const struct cap *c = &inv->slot->cap;
    if (cap_is_mapped(c))
        return REJECT(err_illegal(err, KAAL_ILLEGAL_ALREADY_MAPPED),
                      "%s_Map: this cap maps 0x%lx already; unmap it first (or map a copy)", cap_type_name(c->type),
                      cap_mapping_vaddr(c)),
               NULL;
    const struct cap *vs = &inv->caps[0]->cap;
    if (vs->type != CAP_VSPACE)
        return REJECT(err_invalid_cap(err, KAAL_ARG_CAP(0)), "%s_Map: the address space is a %s cap, not a VSpace",
                      cap_type_name(c->type), cap_type_name(vs->type)),
               NULL;
    unsigned level = entry_level(c);
    unsigned bits = level_shift(level);
    if (!IS_ALIGNED(vaddr, bits))
        return REJECT(err_alignment(err, vaddr_pos, bits), "%s_Map: 0x%lx is not aligned to 2^%u", cap_type_name(c->type), vaddr, bits),
               NULL;
    /* A frame must lie below the top; a table may reach beyond it (the sim's top is below one level-1 table's span). */
    word_t top = hal_vspace_user_top();
    word_t need = c->type == CAP_FRAME ? BIT(bits) : 1;
    if (vaddr >= top || top - vaddr < need)
        return REJECT(err_range(err, vaddr_pos, 0, top >= need ? top - need : 0),
                      "%s_Map: 0x%lx is outside the user range (below 0x%lx)", cap_type_name(c->type), vaddr, top),
               NULL;
    struct walk w = walk(vs->obj, vaddr, level);
    if (w.entry == NULL && !w.blocked)
        return REJECT(err_lookup(err, vaddr_pos, KAAL_LOOKUP_MISSING_TABLE, w.stopped, 0, 0),
                      "%s_Map: no level-%u table at 0x%lx; map one first", cap_type_name(c->type), w.stopped, vaddr),
               NULL;
    if (w.entry == NULL || *w.entry != 0) {
        unsigned at = w.entry == NULL ? w.stopped : level;
        word_t start = vaddr & ~MASK(level_shift(at));
        return REJECT(err_delete_first(err, vaddr_pos, start),
                      "%s_Map: 0x%lx is mapped already (by the entry for 0x%lx at level %u)", cap_type_name(c->type), vaddr, start, at),
               NULL;
    }
    return w.entry;
}

enum { TABLE_MAP_VADDR, TABLE_MAP_ARGS };

static enum kaal_error table_invoke(const struct invocation *inv, struct syscall_error *err)
{
    struct cap *c = &inv->slot->cap;
    switch (inv->label) {
    case KAAL_PAGE_TABLE_MAP: {
        if (inv_require(inv, TABLE_MAP_ARGS, 1, err) != KAAL_OK)
            return err->code;
        word_t vaddr = inv_arg(inv, TABLE_MAP_VADDR);
        hal_pte_t *entry = find_free_entry(inv, vaddr, TABLE_MAP_VADDR, err);
        if (entry == NULL)
            return err->code;
        *entry = hal_pte_table(c->obj);
        c->data = vaddr | inv->caps[0]->cap.data;
        return KAAL_OK;
    }
    case KAAL_PAGE_TABLE_UNMAP:
        if (!cap_is_mapped(c))
            return REJECT(err_illegal(err, KAAL_ILLEGAL_NOT_MAPPED), "%s_Unmap: the table is not mapped",
                          cap_type_name(c->type));
        vspace_unmap_cap(c);
        return KAAL_OK;
    default:
        return REJECT(err_illegal(err, KAAL_ILLEGAL_LABEL), "%s: label %lu is not a page-table operation",
                      cap_type_name(c->type), inv->label);
    }
}

enum { FRAME_MAP_VADDR, FRAME_MAP_RIGHTS, FRAME_MAP_ATTRIBUTES, FRAME_MAP_ARGS };

static enum kaal_error frame_map(const struct invocation *inv, struct syscall_error *err)
{
    if (inv_require(inv, FRAME_MAP_ARGS, 1, err) != KAAL_OK)
        return err->code;
    struct cap *c = &inv->slot->cap;
    word_t vaddr = inv_arg(inv, FRAME_MAP_VADDR);
    word_t rights = inv_arg(inv, FRAME_MAP_RIGHTS);
    word_t attributes = inv_arg(inv, FRAME_MAP_ATTRIBUTES);
    bool device = c->aux != 0;
    const word_t map_rights = KAAL_RIGHT_READ | KAAL_RIGHT_WRITE;
    if ((rights & ~map_rights) != 0 || !(rights & KAAL_RIGHT_READ))
        return REJECT(err_invalid_argument(err, FRAME_MAP_RIGHTS),
                      "Frame_Map: rights 0x%lx must be Read or Read|Write", rights);
    if ((rights & ~(word_t)c->rights) != 0)
        return REJECT(err_invalid_argument(err, FRAME_MAP_RIGHTS),
                      "Frame_Map: rights 0x%lx exceed the cap's rights 0x%x", rights, c->rights);
    if ((attributes & ~(word_t)KAAL_MAP_ATTRIBUTES_ALL) != 0)
        return REJECT(err_invalid_argument(err, FRAME_MAP_ATTRIBUTES),
                      "Frame_Map: attributes 0x%lx have unknown bits", attributes);
    if (device && (attributes & KAAL_MAP_EXECUTABLE))
        return REJECT(err_illegal(err, KAAL_ILLEGAL_DEVICE_MEMORY), "Frame_Map: device memory cannot be executable");
    hal_pte_t *entry = find_free_entry(inv, vaddr, FRAME_MAP_VADDR, err);
    if (entry == NULL)
        return err->code;

    word_t asid = inv->caps[0]->cap.data;
    unsigned flags = HAL_MAP_READ | ((rights & KAAL_RIGHT_WRITE) ? HAL_MAP_WRITE : 0) |
                     ((attributes & KAAL_MAP_EXECUTABLE) ? HAL_MAP_EXEC : 0) | (device ? HAL_MAP_DEVICE : 0);
    *entry = hal_pte_frame(c->obj, entry_level(c), flags);
    if (!hal_vspace_map(asid, vaddr, c->size_bits, c->obj, flags)) {
        *entry = 0; /* the one change so far: the call leaves no trace */
        return REJECT(err_no_memory(err, 0), "Frame_Map: the backend cannot map 0x%lx", vaddr);
    }
    c->data = vaddr | asid;
    inv_answer(inv, err, 0, hal_vspace_user_pointer(asid, vaddr));
    return KAAL_OK;
}

static enum kaal_error frame_invoke(const struct invocation *inv, struct syscall_error *err)
{
    struct cap *c = &inv->slot->cap;
    switch (inv->label) {
    case KAAL_FRAME_MAP:
        return frame_map(inv, err);
    case KAAL_FRAME_UNMAP:
        if (!cap_is_mapped(c))
            return REJECT(err_illegal(err, KAAL_ILLEGAL_NOT_MAPPED), "Frame_Unmap: the frame cap is not mapped");
        vspace_unmap_cap(c);
        return KAAL_OK;
    case KAAL_FRAME_GET_ADDRESS:
        inv_answer(inv, err, 0, hal_kaddr_to_paddr(c->obj));
        return KAAL_OK;
    default:
        return REJECT(err_illegal(err, KAAL_ILLEGAL_LABEL), "Frame: label %lu is not a Frame operation", inv->label);
    }
}

enum kaal_error vspace_invoke(const struct invocation *inv, struct syscall_error *err)
{
    if (inv->slot->cap.type == CAP_FRAME)
        return frame_invoke(inv, err);
    return table_invoke(inv, err);
}
