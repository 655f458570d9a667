/*
 * Guarded radix lookup of CPtrs.
 *
 * Each CNode level consumes guard_bits + radix bits from the top of the
 * remaining CPtr bits: the guard must equal the cap's guard value, the radix
 * bits index a slot. A failure says which step failed and how many bits were
 * left, so a caller can tell a wrong guard from a short depth.
 */
#include <kaal/core/cspace.h>

enum lookup_rule {
    LOOKUP_EXACT,     /* resolve exactly `depth` bits (CNode invocations) */
    LOOKUP_TO_OBJECT, /* stop at the first cap that is not a CNode (invoked caps) */
};

static struct slot *resolve(const struct cap *root, word_t cptr, word_t depth, enum lookup_rule rule,
                            unsigned pos, struct syscall_error *err)
{
    if (root->type != CAP_CNODE)
        return REJECT(err_lookup(err, pos, KAAL_LOOKUP_INVALID_ROOT, depth, 0, 0),
                      "lookup of 0x%lx: root is a %s cap, not a CNode", cptr,
                      cap_type_name(root->type)),
               NULL;

    const struct cap *node = root;
    word_t bits = depth;
    for (;;) {
        word_t radix = node->size_bits;
        word_t guard_bits = node->guard_bits;
        word_t level = radix + guard_bits;
        if (level > bits)
            return REJECT(err_lookup(err, pos, KAAL_LOOKUP_DEPTH_MISMATCH, bits, level, 0),
                          "lookup of 0x%lx: %lu bits left, CNode needs %lu", cptr, bits, level),
                   NULL;
        word_t guard = guard_bits == 0 ? 0 : (cptr >> (bits - guard_bits)) & MASK(guard_bits);
        if (guard != node->data)
            return REJECT(err_lookup(err, pos, KAAL_LOOKUP_GUARD_MISMATCH, bits, guard, guard_bits),
                          "lookup of 0x%lx: guard 0x%lx found, 0x%lx expected", cptr, guard,
                          node->data),
                   NULL;
        word_t index = (cptr >> (bits - level)) & MASK(radix);
        struct slot *slot = cnode_slots(node) + index;
        bits -= level;
        if (bits == 0)
            return slot;
        if (slot->cap.type != CAP_CNODE) {
            if (slot_is_empty(slot))
                return REJECT(err_lookup(err, pos, KAAL_LOOKUP_MISSING_CAP, bits, 0, 0),
                              "lookup of 0x%lx: empty slot with %lu bits left", cptr, bits),
                       NULL;
            if (rule == LOOKUP_TO_OBJECT)
                return slot;
            return REJECT(err_lookup(err, pos, KAAL_LOOKUP_DEPTH_MISMATCH, bits, 0, 0),
                          "lookup of 0x%lx: %s cap with %lu bits left", cptr,
                          cap_type_name(slot->cap.type), bits),
                   NULL;
        }
        node = &slot->cap;
    }
}

struct slot *lookup_slot(const struct cap *root, word_t cptr, word_t depth, unsigned pos,
                         struct syscall_error *err)
{
    if (depth < 1 || depth > KAAL_WORD_BITS)
        return REJECT(err_range(err, pos + 1, 1, KAAL_WORD_BITS),
                      "lookup of 0x%lx: depth %lu is not 1..64", cptr, depth),
               NULL;
    return resolve(root, cptr, depth, LOOKUP_EXACT, pos, err);
}

/* The general case of lookup_cap: any number of levels, every failure reported. */
static __attribute__((noinline)) struct slot *lookup_cap_walk(const struct cap *root, word_t cptr, unsigned pos,
                                                              struct syscall_error *err)
{
    struct slot *slot = resolve(root, cptr, KAAL_WORD_BITS, LOOKUP_TO_OBJECT, pos, err);
    if (slot != NULL && slot_is_empty(slot))
        return REJECT(err_lookup(err, pos, KAAL_LOOKUP_MISSING_CAP, 0, 0, 0),
                      "lookup of 0x%lx: empty slot", cptr),
               NULL;
    return slot;
}

struct slot *lookup_cap(const struct cap *root, word_t cptr, unsigned pos, struct syscall_error *err)
{
    /*
     * The common case first: resolve()'s first step ends the lookup at a cap, because the root level
     * uses all 64 bits or reaches a cap that is not a CNode. With 1 <= radix and guard_bits + radix
     * <= 64, the guard is the top guard_bits bits (0 when there are none) and the index the radix bits
     * below them, so this is the slot resolve() finds; the shifts are written so that none is by 64.
     * Anything else, failures included, goes the general way.
     */
    word_t radix = root->size_bits, guard_bits = root->guard_bits;
    if (root->type == CAP_CNODE && radix != 0 && guard_bits + radix <= KAAL_WORD_BITS &&
        (cptr >> 1) >> (KAAL_WORD_BITS - 1 - guard_bits) == root->data) {
        struct slot *first = cnode_slots(root) + ((cptr << guard_bits) >> (KAAL_WORD_BITS - radix));
        if (!slot_is_empty(first) && (guard_bits + radix == KAAL_WORD_BITS || first->cap.type != CAP_CNODE))
            return first;
    }
    return lookup_cap_walk(root, cptr, pos, err);
}
