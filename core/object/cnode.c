/*
 * CNode invocations: Copy, Mint, Move, Mutate, Delete, Revoke, Identify.
 *
 * The invoked CNode cap is the root for the destination (or the target of
 * Delete and Revoke); the first extra cap is the root for the source. Rights
 * only shrink along a derivation and a badge is set once.
 */
#include <kaal/abi/syscalls.h>
#include <kaal/core/cdt.h>
#include <kaal/core/cspace.h>
#include <kaal/core/delete.h>
#include <kaal/core/syscall.h>

enum cnode_arg {
    ARG_DEST_INDEX,
    ARG_DEST_DEPTH,
    ARG_SRC_INDEX,
    ARG_SRC_DEPTH,
    ARG_RIGHTS,      /* Copy, Mint */
    ARG_MINT_DATA,   /* Mint */
    ARG_MUTATE_DATA = ARG_RIGHTS,
};

static bool has_badge(const struct cap *c)
{
    return c->type == CAP_ENDPOINT || c->type == CAP_NOTIFICATION;
}

/*
 * Apply Mint/Mutate data to cap c: a badge for endpoints and notifications,
 * a guard for CNodes, nothing (0) for every other type.
 */
static enum kaal_error apply_data(struct cap *c, word_t data, unsigned pos, struct syscall_error *err)
{
    if (has_badge(c)) {
        if (data != 0 && c->data != 0 && data != c->data)
            return REJECT(err_illegal(err, KAAL_ILLEGAL_BADGE_SET_ONCE),
                          "CNode: cap already has badge 0x%lx; a badge is set once", c->data);
        if (data != 0)
            c->data = data;
        return KAAL_OK;
    }
    if (c->type == CAP_CNODE) {
        word_t guard_bits = data & 0x3f;
        word_t guard = data >> 6;
        if (guard_bits + c->size_bits > KAAL_WORD_BITS)
            return REJECT(err_range(err, pos, 0, KAAL_WORD_BITS - c->size_bits),
                          "CNode: guard of %lu bits and radix %u exceed 64 bits", guard_bits, c->size_bits);
        if (guard_bits < KAAL_WORD_BITS && (guard >> guard_bits) != 0)
            return REJECT(err_invalid_argument(err, pos), "CNode: guard 0x%lx does not fit in %lu bits", guard,
                          guard_bits);
        c->guard_bits = (uint8_t)guard_bits;
        c->data = guard;
        return KAAL_OK;
    }
    if (data != 0)
        return REJECT(err_invalid_argument(err, pos), "CNode: a %s cap takes no badge or guard (data 0x%lx)",
                      cap_type_name(c->type), data);
    return KAAL_OK;
}

/* Look up an empty destination slot in the invoked CNode. */
static struct slot *dest_slot(const struct invocation *inv, struct syscall_error *err)
{
    struct slot *dest =
        lookup_slot(&inv->slot->cap, inv_arg(inv, ARG_DEST_INDEX), inv_arg(inv, ARG_DEST_DEPTH), ARG_DEST_INDEX, err);
    if (dest != NULL && !slot_is_empty(dest))
        return REJECT(err_delete_first(err, ARG_DEST_INDEX, inv_arg(inv, ARG_DEST_INDEX)),
                      "CNode: destination 0x%lx holds a %s cap", inv_arg(inv, ARG_DEST_INDEX),
                      cap_type_name(dest->cap.type)),
               NULL;
    return dest;
}

/* Look up an occupied source slot under the first extra cap. */
static struct slot *src_slot(const struct invocation *inv, struct syscall_error *err)
{
    struct slot *src =
        lookup_slot(&inv->caps[0]->cap, inv_arg(inv, ARG_SRC_INDEX), inv_arg(inv, ARG_SRC_DEPTH), ARG_SRC_INDEX, err);
    if (src != NULL && slot_is_empty(src))
        return REJECT(err_lookup(err, ARG_SRC_INDEX, KAAL_LOOKUP_MISSING_CAP, 0, 0, 0),
                      "CNode: source 0x%lx is empty", inv_arg(inv, ARG_SRC_INDEX)),
               NULL;
    return src;
}

/* Copy and Mint: a new child of the source with rights masked and data applied. */
static enum kaal_error decode_derive(const struct invocation *inv, bool mint, struct syscall_error *err)
{
    if (inv_require(inv, mint ? ARG_MINT_DATA + 1 : ARG_RIGHTS + 1, 1, err) != KAAL_OK)
        return err->code;
    word_t rights = inv_arg(inv, ARG_RIGHTS);
    if ((rights & ~(word_t)KAAL_RIGHTS_ALL) != 0)
        return REJECT(err_invalid_argument(err, ARG_RIGHTS), "CNode: rights word 0x%lx has unknown bits", rights);
    struct slot *dest = dest_slot(inv, err);
    if (dest == NULL)
        return err->code;
    struct slot *src = src_slot(inv, err);
    if (src == NULL)
        return err->code;
    if (src->cap.type == CAP_UNTYPED && cdt_has_children(src))
        return REJECT(err_revoke_first(err, ARG_SRC_INDEX),
                      "CNode: an Untyped cap with children cannot be copied; revoke it first");
    if (!cdt_can_derive(src))
        return REJECT(err_illegal(err, src->cap.type == CAP_ZOMBIE ? KAAL_ILLEGAL_BEING_DELETED
                                                                   : KAAL_ILLEGAL_NOT_DERIVABLE),
                      "CNode: a %s cap cannot be copied", cap_type_name(src->cap.type));

    struct cap derived = src->cap; /* an Untyped copy keeps the watermark: its memory is dirty up to there */
    if (cap_has_rights(derived.type))
        derived.rights &= (uint8_t)rights;
    if (mint && apply_data(&derived, inv_arg(inv, ARG_MINT_DATA), ARG_MINT_DATA, err) != KAAL_OK)
        return err->code;

    cdt_insert(src, dest, &derived);
    return KAAL_OK;
}

/* Move and Mutate: the cap changes slot and keeps its place in the derivation tree. */
static enum kaal_error decode_move(const struct invocation *inv, bool mutate, struct syscall_error *err)
{
    if (inv_require(inv, mutate ? ARG_MUTATE_DATA + 1 : ARG_SRC_DEPTH + 1, 1, err) != KAAL_OK)
        return err->code;
    struct slot *dest = dest_slot(inv, err);
    if (dest == NULL)
        return err->code;
    struct slot *src = src_slot(inv, err);
    if (src == NULL)
        return err->code;
    if (src->cap.type == CAP_ZOMBIE)
        return REJECT(err_illegal(err, KAAL_ILLEGAL_BEING_DELETED),
                      "CNode: the source is being deleted; Delete it to finish");

    struct cap changed = src->cap;
    if (mutate) {
        if (apply_data(&changed, inv_arg(inv, ARG_MUTATE_DATA), ARG_MUTATE_DATA, err) != KAAL_OK)
            return err->code;
        /* Children were derived from the cap as it is; changing it under them would break that. */
        bool changes = changed.data != src->cap.data || changed.guard_bits != src->cap.guard_bits;
        if (changes && cdt_has_children(src))
            return REJECT(err_revoke_first(err, ARG_SRC_INDEX),
                          "CNode: Mutate would change a cap that has children; revoke it first");
    }

    cdt_move(src, dest);
    dest->cap = changed;
    return KAAL_OK;
}

/* Delete, Revoke and Identify name one slot of the invoked CNode. */
static struct slot *target_slot(const struct invocation *inv, struct syscall_error *err)
{
    if (inv_require(inv, ARG_DEST_DEPTH + 1, 0, err) != KAAL_OK)
        return NULL;
    return lookup_slot(&inv->slot->cap, inv_arg(inv, ARG_DEST_INDEX), inv_arg(inv, ARG_DEST_DEPTH),
                       ARG_DEST_INDEX, err);
}

/* The answer words of Identify. */
enum identify_word { ID_TYPE, ID_RIGHTS, ID_SIZE_BITS, ID_DATA, ID_FLAGS, ID_MAPPING_ASID, ID_WORDS };

/* Identify: what a slot holds, in the words a user can act on (docs/ABI.md); an empty slot is type 0. */
static enum kaal_error identify(const struct invocation *inv, const struct slot *s, struct syscall_error *err)
{
    const struct cap *c = &s->cap;
    word_t answer[ID_WORDS] = {[ID_TYPE] = c->type, [ID_RIGHTS] = c->rights};
    switch (c->type) {
    case CAP_UNTYPED:
        answer[ID_SIZE_BITS] = c->size_bits;
        answer[ID_FLAGS] = c->aux ? KAAL_CAP_INFO_DEVICE : 0;
        break;
    case CAP_CNODE:
        answer[ID_SIZE_BITS] = c->size_bits;
        answer[ID_DATA] = KAAL_CNODE_DATA(c->data, c->guard_bits); /* a guard is below 2^58: Mint's data >> 6 */
        break;
    case CAP_ENDPOINT:
    case CAP_NOTIFICATION:
    case CAP_VSPACE:
        answer[ID_DATA] = c->data; /* the badge; a VSpace's ASID */
        break;
    case CAP_FRAME:
        answer[ID_SIZE_BITS] = c->size_bits;
        answer[ID_FLAGS] = c->aux ? KAAL_CAP_INFO_DEVICE : 0;
        break;
    case CAP_IRQ_HANDLER:
        answer[ID_DATA] = c->obj; /* the line */
        break;
    default: /* empty, TCB, tables (below), Reply, IRQControl, Zombie */
        break;
    }
    if (cap_is_mapped(c)) { /* a Frame or table that maps something */
        answer[ID_DATA] = cap_mapping_vaddr(c);
        answer[ID_FLAGS] |= KAAL_CAP_INFO_MAPPED;
        answer[ID_MAPPING_ASID] = cap_mapping_asid(c);
    }
    for (unsigned i = 0; i < ID_WORDS; i++)
        inv_answer(inv, err, i, answer[i]);
    return KAAL_OK;
}

enum kaal_error cnode_invoke(const struct invocation *inv, struct syscall_error *err)
{
    struct slot *target;
    switch (inv->label) {
    case KAAL_CNODE_COPY:
        return decode_derive(inv, false, err);
    case KAAL_CNODE_MINT:
        return decode_derive(inv, true, err);
    case KAAL_CNODE_MOVE:
        return decode_move(inv, false, err);
    case KAAL_CNODE_MUTATE:
        return decode_move(inv, true, err);
    case KAAL_CNODE_DELETE:
        if ((target = target_slot(inv, err)) == NULL)
            return err->code;
        err->preempted = cap_delete(target);
        return KAAL_OK;
    case KAAL_CNODE_REVOKE:
        if ((target = target_slot(inv, err)) == NULL)
            return err->code;
        err->preempted = cap_revoke(target);
        return KAAL_OK;
    case KAAL_CNODE_IDENTIFY:
        if ((target = target_slot(inv, err)) == NULL)
            return err->code;
        return identify(inv, target, err);
    default:
        return REJECT(err_illegal(err, KAAL_ILLEGAL_LABEL), "CNode: label %lu is not a CNode operation",
                      inv->label);
    }
}
