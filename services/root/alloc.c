/*
 * The root task's slots and memory: a bump over the free slots of its CNode,
 * Retype from the RAM untyped caps the kernel handed over, and device frames
 * at given physical addresses.
 *
 * A device frame at an exact address: the kernel hands device memory out of
 * an untyped upwards from its watermark, so the root task first retypes
 * padding (the largest aligned untyped blocks that fit) up to the address,
 * then the frame. The padding caps are kept: an untyped whose children are
 * all gone starts again from its beginning. It remembers how far each
 * device untyped is used, so a frame below that point cannot be had twice,
 * and it checks the frame's address before it hands the frame out.
 */
#include "root.h"

kaal_cptr_t alloc_slots(struct root_alloc *a, kaal_word_t count)
{
    if (a->end_slot - a->next_slot < count)
        return 0;
    kaal_cptr_t first = a->next_slot;
    a->next_slot += count;
    return first;
}

kaal_cptr_t alloc_slot(struct root_alloc *a)
{
    return alloc_slots(a, 1);
}

static const struct kaal_untyped_desc *untyped_desc(const struct root_alloc *a, kaal_word_t i)
{
    return &a->bi->untyped_list[i];
}

int alloc_object(struct root_alloc *a, kaal_word_t type, kaal_word_t size, kaal_cptr_t dest)
{
    int err = KAAL_ERR_NOT_ENOUGH_MEMORY;
    kaal_word_t count = a->bi->untyped.end - a->bi->untyped.start;
    /* Largest first: small blocks stay for small objects. */
    for (unsigned bits = KAAL_UNTYPED_MAX_BITS + 1; bits-- > KAAL_UNTYPED_MIN_BITS;) {
        for (kaal_word_t i = 0; i < count; i++) {
            const struct kaal_untyped_desc *d = untyped_desc(a, i);
            if (d->is_device || d->size_bits != bits)
                continue;
            err = kaal_untyped_retype(a->bi->untyped.start + i, type, size, ROOT_CNODE, 0, 0, dest, 1);
            if (err != KAAL_ERR_NOT_ENOUGH_MEMORY)
                return err;
        }
    }
    return err;
}

/* log2 of the largest block that starts at `at` (aligned) and ends by `end`. */
static unsigned padding_bits(kaal_word_t at, kaal_word_t end)
{
    unsigned bits = KAAL_UNTYPED_MAX_BITS;
    while (bits > KAAL_UNTYPED_MIN_BITS && ((at & (((kaal_word_t)1 << bits) - 1)) != 0 || end - at < ((kaal_word_t)1 << bits)))
        bits--;
    return bits;
}

int alloc_device_frame(struct root_alloc *a, kaal_word_t paddr, kaal_cptr_t dest)
{
    kaal_word_t count = a->bi->untyped.end - a->bi->untyped.start;
    for (kaal_word_t i = 0; i < count; i++) {
        const struct kaal_untyped_desc *d = untyped_desc(a, i);
        kaal_word_t size = (kaal_word_t)1 << d->size_bits;
        if (!d->is_device || paddr < d->paddr || paddr - d->paddr >= size)
            continue;
        if (paddr < d->paddr + a->device_used[i] || (paddr & 0xfff) != 0)
            return KAAL_ERR_INVALID_ARGUMENT; /* already handed out, or not a page */
        kaal_cptr_t ut = a->bi->untyped.start + i;
        /*
         * device_used follows the kernel's watermark block by block: should a
         * padding retype or a slot fail half-way, the blocks made so far are
         * counted, and the next request pads from where the kernel really is.
         */
        while (d->paddr + a->device_used[i] < paddr) {
            kaal_word_t at = d->paddr + a->device_used[i];
            unsigned bits = padding_bits(at, paddr);
            kaal_cptr_t pad = alloc_slot(a);
            if (pad == 0)
                return KAAL_ERR_NOT_ENOUGH_MEMORY;
            int err = kaal_untyped_retype(ut, KAAL_OBJ_UNTYPED, bits, ROOT_CNODE, 0, 0, pad, 1);
            if (err != KAAL_OK)
                return err;
            a->device_used[i] += (kaal_word_t)1 << bits;
        }
        int err = kaal_untyped_retype(ut, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, ROOT_CNODE, 0, 0, dest, 1);
        if (err != KAAL_OK)
            return err;
        a->device_used[i] += 4096;
        /* A frame anywhere else would drive the wrong device: check where the kernel put it. */
        kaal_word_t got = 0;
        err = kaal_frame_get_address(dest, &got);
        if (err == KAAL_OK && got != paddr) {
            kaal_cnode_delete(ROOT_CNODE, dest, ROOT_DEPTH);
            err = KAAL_ERR_ILLEGAL_OPERATION;
        }
        return err;
    }
    return KAAL_ERR_RANGE_ERROR; /* no device memory there */
}
