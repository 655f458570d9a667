/* Untyped_Retype: every object type, placement and watermark rules, device memory, and every refusal. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static kaal_word_t free_slot(unsigned i)
{
    return kt_bootinfo()->empty.start + i;
}

/* The largest RAM untyped (4 MiB of the 8 MiB test RAM) and its region. */
static kaal_word_t ut(void)
{
    return kt_first_untyped();
}
static kaal_word_t ut_base(void)
{
    return kt_slot(ut())->cap.obj;
}
static kaal_word_t ut_end(void)
{
    return ut_base() + BIT(kt_slot(ut())->cap.size_bits);
}

static kaal_word_t device_untyped(void)
{
    const struct kaal_bootinfo *bi = kt_bootinfo();
    for (kaal_word_t i = bi->untyped.start; i < bi->untyped.end; i++) {
        if (bi->untyped_list[i - bi->untyped.start].is_device)
            return i;
    }
    fail_msg("boot info lists no device untyped");
    return 0;
}

static struct kresult retype_raw(kaal_word_t untyped, kaal_word_t label, const kaal_word_t *args,
                                 unsigned nargs, kaal_word_t root, unsigned ncaps)
{
    kaal_word_t caps[] = {root};
    return kt_invoke(untyped, label, args, nargs, caps, ncaps);
}

static kaal_word_t align_up(kaal_word_t x, unsigned bits)
{
    return (x + BIT(bits) - 1) & ~(BIT(bits) - 1);
}

/* Bytes a Retype of 2^bits objects may still use: from the aligned watermark to the end. */
static kaal_word_t expected_available(kaal_word_t used, unsigned bits)
{
    kaal_word_t start = align_up(ut_base() + used, bits);
    return start < ut_end() ? ut_end() - start : 0;
}

/* ---- every type ---- */

struct type_case {
    kaal_word_t type, size;
    unsigned obj_bits; /* the object's size per the ABI */
    unsigned cap_bits; /* what the cap records in size_bits */
};

static const struct type_case all_types[] = {
    {KAAL_OBJ_UNTYPED, 12, 12, 12},
    {KAAL_OBJ_UNTYPED, KAAL_UNTYPED_MIN_BITS, KAAL_UNTYPED_MIN_BITS, KAAL_UNTYPED_MIN_BITS},
    {KAAL_OBJ_CNODE, 4, 4 + KAAL_SLOT_BITS, 4},
    {KAAL_OBJ_CNODE, KAAL_CNODE_MIN_RADIX, KAAL_CNODE_MIN_RADIX + KAAL_SLOT_BITS, KAAL_CNODE_MIN_RADIX},
    {KAAL_OBJ_TCB, 0, KAAL_TCB_BITS, 0},
    {KAAL_OBJ_ENDPOINT, 0, KAAL_ENDPOINT_BITS, 0},
    {KAAL_OBJ_NOTIFICATION, 0, KAAL_NOTIFICATION_BITS, 0},
    {KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, KAAL_FRAME_BITS_SMALL, KAAL_FRAME_BITS_SMALL},
    {KAAL_OBJ_VSPACE, 0, KAAL_PAGE_TABLE_BITS, 0},
    {KAAL_OBJ_PAGE_UPPER_DIR, 0, KAAL_PAGE_TABLE_BITS, 0},
    {KAAL_OBJ_PAGE_DIR, 0, KAAL_PAGE_TABLE_BITS, 0},
    {KAAL_OBJ_PAGE_TABLE, 0, KAAL_PAGE_TABLE_BITS, 0},
    /* Last: 2 MiB alignment puts it in the untyped's upper half, after everything above. */
    {KAAL_OBJ_FRAME, KAAL_FRAME_BITS_LARGE, KAAL_FRAME_BITS_LARGE, KAAL_FRAME_BITS_LARGE},
};

static void test_every_type(void **state)
{
    (void)state;
    /* Garbage in the untyped shows whether new objects start zeroed. */
    memset((void *)(uintptr_t)ut_base(), 0xa5, (size_t)(ut_end() - ut_base()));

    kaal_word_t next = free_slot(0);
    kaal_word_t lo[2 * ARRAY_SIZE(all_types)], hi[2 * ARRAY_SIZE(all_types)];
    unsigned objects = 0;
    for (unsigned t = 0; t < ARRAY_SIZE(all_types); t++) {
        const struct type_case *c = &all_types[t];
        unsigned num = c->obj_bits == KAAL_FRAME_BITS_LARGE ? 1 : 2;
        kt_assert_success(kt_retype(ut(), c->type, c->size, 0, 0, next, num));
        for (unsigned i = 0; i < num; i++) {
            struct slot *s = kt_slot(next + i);
            assert_int_equal(s->cap.type, c->type);
            assert_int_equal(s->cap.size_bits, c->cap_bits);
            assert_int_equal(s->cap.guard_bits, 0);
            if (c->type == KAAL_OBJ_VSPACE) /* its ASID */
                assert_true(s->cap.data != 0 && ks.asid_roots[s->cap.data] == s->cap.obj);
            else
                assert_int_equal(s->cap.data, 0);
            assert_int_equal(s->cap.rights, KAAL_RIGHTS_ALL);
            assert_int_equal(s->cap.aux, 0);
            assert_ptr_equal(s->parent, kt_slot(ut()));
            assert_int_equal(cap_object_bits(&s->cap), c->obj_bits);
            assert_true(IS_ALIGNED(s->cap.obj, c->obj_bits));
            assert_true(s->cap.obj >= ut_base() && s->cap.obj + BIT(c->obj_bits) <= ut_end());
            const unsigned char *mem = (const unsigned char *)(uintptr_t)s->cap.obj;
            /* A TCB starts with its scheduling fields set; everything else starts as zeroes. */
            kaal_word_t check = c->type == KAAL_OBJ_TCB ? offsetof(struct tcb, ipc_buffer_offset) : BIT(c->obj_bits);
            for (kaal_word_t b = 0; b < check; b++) {
                if (mem[b] != 0)
                    fail_msg("type %lu: byte %lu of a new object is not zero", (unsigned long)c->type,
                             (unsigned long)b);
            }
            lo[objects] = s->cap.obj;
            hi[objects] = s->cap.obj + BIT(c->obj_bits);
            objects++;
        }
        next += num;
    }
    for (unsigned a = 0; a < objects; a++) {
        for (unsigned b = a + 1; b < objects; b++)
            assert_false(lo[a] < hi[b] && lo[b] < hi[a]);
    }
    /* The watermark ends at the last object, which is the highest. */
    assert_int_equal(kt_slot(ut())->cap.data, hi[objects - 1] - ut_base());
}

static void test_objects_of_one_call_are_consecutive(void **state)
{
    (void)state;
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(0), KAAL_RETYPE_MAX_OBJECTS));
    for (unsigned i = 0; i < KAAL_RETYPE_MAX_OBJECTS; i++)
        assert_int_equal(kt_slot(free_slot(i))->cap.obj, ut_base() + ((kaal_word_t)i << KAAL_ENDPOINT_BITS));
    assert_true(slot_is_empty(kt_slot(free_slot(KAAL_RETYPE_MAX_OBJECTS))));
    assert_int_equal(kt_slot(ut())->cap.data, KAAL_RETYPE_MAX_OBJECTS << KAAL_ENDPOINT_BITS);
}

static void test_alignment_skips_to_the_object_size(void **state)
{
    (void)state;
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(0), 1));
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_TCB, 0, 0, 0, free_slot(1), 1));
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(2), 1));
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, 0, 0, free_slot(3), 1));
    kaal_word_t ep0 = ut_base();
    kaal_word_t tcb = align_up(ep0 + BIT(KAAL_ENDPOINT_BITS), KAAL_TCB_BITS);
    kaal_word_t ep1 = tcb + BIT(KAAL_TCB_BITS);
    kaal_word_t frame = align_up(ep1 + BIT(KAAL_ENDPOINT_BITS), KAAL_FRAME_BITS_SMALL);
    assert_int_equal(kt_slot(free_slot(0))->cap.obj, ep0);
    assert_int_equal(kt_slot(free_slot(1))->cap.obj, tcb);
    assert_int_equal(kt_slot(free_slot(2))->cap.obj, ep1);
    assert_int_equal(kt_slot(free_slot(3))->cap.obj, frame);
}

/* ---- the watermark ---- */

static void test_watermark_continues_while_children_exist(void **state)
{
    (void)state;
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(0), 2));
    kt_assert_success(kt_delete(free_slot(0)));
    /* The first endpoint's memory is free again, but an Untyped never looks behind its watermark. */
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(0), 1));
    assert_int_equal(kt_slot(free_slot(0))->cap.obj, ut_base() + 2 * BIT(KAAL_ENDPOINT_BITS));
}

static void test_watermark_resets_after_revoke(void **state)
{
    (void)state;
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_TCB, 0, 0, 0, free_slot(0), 3));
    kt_assert_success(kt_revoke(ut()));
    for (unsigned i = 0; i < 3; i++)
        assert_true(slot_is_empty(kt_slot(free_slot(i))));
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(1), 1));
    assert_int_equal(kt_slot(free_slot(1))->cap.obj, ut_base());
    assert_int_equal(kt_slot(ut())->cap.data, BIT(KAAL_ENDPOINT_BITS));
}

/* Deleting the last child by hand frees the whole untyped too: nothing of it is in use. */
static void test_watermark_resets_when_last_child_deleted(void **state)
{
    (void)state;
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, 0, 0, free_slot(0), 1));
    kt_assert_success(kt_delete(free_slot(0)));
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_UNTYPED, kt_slot(ut())->cap.size_bits, 0, 0, free_slot(0), 1));
    assert_int_equal(kt_slot(free_slot(0))->cap.obj, ut_base());
}

static void test_exact_fit_then_nothing_left(void **state)
{
    (void)state;
    struct kresult r;
    unsigned bits = kt_slot(ut())->cap.size_bits;
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_UNTYPED, bits - 1, 0, 0, free_slot(0), 2));
    assert_int_equal(kt_slot(free_slot(1))->cap.obj, ut_base() + BIT(bits - 1));
    KT_REJECT(r, kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(2), 1), KAAL_ERR_NOT_ENOUGH_MEMORY);
    assert_detail(r, 0);
}

/* ---- destinations ---- */

static void test_retype_into_cnode_below_root(void **state)
{
    (void)state;
    kaal_word_t node = free_slot(0);
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_CNODE, 4, 0, 0, node, 1));
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_NOTIFICATION, 0, node, KT_DEPTH, 3, 5));
    struct slot *slots = cnode_slots(&kt_slot(node)->cap);
    for (unsigned i = 0; i < 16; i++) {
        bool made = i >= 3 && i < 8;
        assert_int_equal(slots[i].cap.type, made ? CAP_NOTIFICATION : CAP_NULL);
        if (made)
            assert_ptr_equal(slots[i].parent, kt_slot(ut()));
    }
    assert_true(slot_is_empty(kt_slot(free_slot(1))));
    /* The node index may also name the root CNode itself. */
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, KT_ROOT, KT_DEPTH, free_slot(1), 1));
    assert_int_equal(kt_slot(free_slot(1))->cap.type, CAP_ENDPOINT);
}

/* node_index and node_depth are resolved in the root the caller passes, whatever its guard. */
static void test_retype_node_resolved_in_given_root(void **state)
{
    (void)state;
    kaal_word_t shortroot = free_slot(0), node = free_slot(1);
    kt_assert_success(kt_mint(shortroot, KT_ROOT, KAAL_RIGHTS_ALL, KAAL_CNODE_DATA(0, 0)));
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_CNODE, 2, 0, 0, node, 1));
    kaal_word_t args[] = {KAAL_OBJ_ENDPOINT, 0, node, KAAL_ROOT_CNODE_RADIX, 3, 1};
    kt_assert_success(retype_raw(ut(), KAAL_UNTYPED_RETYPE, args, 6, shortroot, 1));
    assert_int_equal(cnode_slots(&kt_slot(node)->cap)[3].cap.type, CAP_ENDPOINT);
    /* With depth 0 the given root itself receives the caps. */
    kaal_word_t to_root[] = {KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(2), 1};
    kt_assert_success(retype_raw(ut(), KAAL_UNTYPED_RETYPE, to_root, 6, shortroot, 1));
    assert_int_equal(kt_slot(free_slot(2))->cap.type, CAP_ENDPOINT);
}

static void test_node_not_a_cnode(void **state)
{
    (void)state;
    struct kresult r;
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(0), 1));
    kaal_word_t nodes[] = {free_slot(0), free_slot(1) /* empty */, KAAL_ROOT_SLOT_TCB, ut()};
    for (unsigned i = 0; i < ARRAY_SIZE(nodes); i++) {
        KT_REJECT(r, kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, nodes[i], KT_DEPTH, 0, 1),
                  KAAL_ERR_INVALID_CAPABILITY);
        assert_detail(r, 2);
    }
}

static void test_node_lookup_failures(void **state)
{
    (void)state;
    struct kresult r;
    KT_REJECT(r, kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, KT_ROOT, 65, 0, 1), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 3, 1, 64);
    KT_REJECT(r, kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, KT_ROOT, 32, 0, 1), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 2, KAAL_LOOKUP_DEPTH_MISMATCH, 32, 64, 0);
    kaal_word_t bad = BIT(40) | KT_ROOT;
    KT_REJECT(r, kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, bad, KT_DEPTH, 0, 1), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 2, KAAL_LOOKUP_GUARD_MISMATCH, 64, BIT(40 - KAAL_ROOT_CNODE_RADIX),
                  64 - KAAL_ROOT_CNODE_RADIX);
}

static void test_root_cap_not_a_cnode(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t args[] = {KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(0), 1};
    KT_REJECT(r, retype_raw(ut(), KAAL_UNTYPED_RETYPE, args, 6, KAAL_ROOT_SLOT_TCB, 1),
              KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 2, KAAL_LOOKUP_INVALID_ROOT, 0, 0, 0);
    /* With a node to look up, the lookup itself reports the bad root, also at the node index. */
    kaal_word_t with_node[] = {KAAL_OBJ_ENDPOINT, 0, KT_ROOT, KT_DEPTH, free_slot(0), 1};
    KT_REJECT(r, retype_raw(ut(), KAAL_UNTYPED_RETYPE, with_node, 6, ut(), 1), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 2, KAAL_LOOKUP_INVALID_ROOT, KT_DEPTH, 0, 0);
}

static void test_offset_out_of_range(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t slots = BIT(KAAL_ROOT_CNODE_RADIX);
    KT_REJECT(r, kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, slots, 1), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 4, 0, slots - 1);
    KT_REJECT(r, kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, ~(kaal_word_t)0, 1), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 4, 0, slots - 1);

    kaal_word_t node = free_slot(0);
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_CNODE, 3, 0, 0, node, 1));
    KT_REJECT(r, kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, node, KT_DEPTH, 8, 1), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 4, 0, 7);
}

static void test_num_overruns_the_cnode(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t slots = BIT(KAAL_ROOT_CNODE_RADIX);
    KT_REJECT(r, kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, slots - 6, 7), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 5, 1, 6);

    kaal_word_t node = free_slot(0);
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_CNODE, 4, 0, 0, node, 1));
    KT_REJECT(r, kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, node, KT_DEPTH, 14, 3), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 5, 1, 2);
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, node, KT_DEPTH, 14, 2));
}

static void test_destination_occupied(void **state)
{
    (void)state;
    struct kresult r;
    KT_REJECT(r, kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, KAAL_ROOT_SLOT_TCB, 1), KAAL_ERR_DELETE_FIRST);
    assert_detail(r, 4, KAAL_ROOT_SLOT_TCB);
    /* One occupied slot in the middle of the range: nothing is made, not even the slots before it. */
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(3), 1));
    KT_REJECT(r, kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(0), 5), KAAL_ERR_DELETE_FIRST);
    assert_detail(r, 4, free_slot(3));
    /* The untyped slots themselves are occupied too. */
    KT_REJECT(r, kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, ut(), 1), KAAL_ERR_DELETE_FIRST);
    assert_detail(r, 4, ut());
}

static void test_not_enough_memory(void **state)
{
    (void)state;
    struct kresult r;
    unsigned bits = kt_slot(ut())->cap.size_bits;
    KT_REJECT(r, kt_retype(ut(), KAAL_OBJ_UNTYPED, bits, 0, 0, free_slot(0), 2), KAAL_ERR_NOT_ENOUGH_MEMORY);
    assert_detail(r, BIT(bits));
    KT_REJECT(r, kt_retype(ut(), KAAL_OBJ_UNTYPED, bits + 1, 0, 0, free_slot(0), 1),
              KAAL_ERR_NOT_ENOUGH_MEMORY);
    assert_detail(r, expected_available(0, bits + 1));

    kt_assert_success(kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(0), 1));
    kaal_word_t used = kt_slot(ut())->cap.data;
    /* The 2 MiB alignment leaves room for one large frame, not two. */
    KT_REJECT(r, kt_retype(ut(), KAAL_OBJ_FRAME, KAAL_FRAME_BITS_LARGE, 0, 0, free_slot(1), 2),
              KAAL_ERR_NOT_ENOUGH_MEMORY);
    assert_detail(r, expected_available(used, KAAL_FRAME_BITS_LARGE));
    assert_int_equal(r.mr[0], BIT(KAAL_FRAME_BITS_LARGE));
    KT_REJECT(r, kt_retype(ut(), KAAL_OBJ_FRAME, KAAL_FRAME_BITS_HUGE, 0, 0, free_slot(1), 1),
              KAAL_ERR_NOT_ENOUGH_MEMORY);
    assert_detail(r, expected_available(used, KAAL_FRAME_BITS_HUGE));
    KT_REJECT(r, kt_retype(ut(), KAAL_OBJ_CNODE, KAAL_CNODE_MAX_RADIX, 0, 0, free_slot(1), 1),
              KAAL_ERR_NOT_ENOUGH_MEMORY);
    assert_detail(r, expected_available(used, KAAL_CNODE_MAX_RADIX + KAAL_SLOT_BITS));
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_FRAME, KAAL_FRAME_BITS_LARGE, 0, 0, free_slot(1), 1));
}

/* ---- malformed requests ---- */

static void test_bad_label(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t args[] = {KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(0), 1};
    kaal_word_t labels[] = {0, 2, KAAL_CNODE_COPY, KAAL_CNODE_REVOKE, (kaal_word_t)1 << 40};
    for (unsigned i = 0; i < ARRAY_SIZE(labels); i++) {
        KT_REJECT(r, retype_raw(ut(), labels[i], args, 6, KT_ROOT, 1), KAAL_ERR_ILLEGAL_OPERATION);
        assert_detail(r, KAAL_ILLEGAL_LABEL);
    }
}

static void test_truncated_message(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t args[] = {KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(0), 1};
    for (unsigned words = 0; words < 6; words++) {
        KT_REJECT(r, retype_raw(ut(), KAAL_UNTYPED_RETYPE, args, words, KT_ROOT, 1),
                  KAAL_ERR_TRUNCATED_MESSAGE);
        assert_detail(r, 6, 1);
    }
    KT_REJECT(r, retype_raw(ut(), KAAL_UNTYPED_RETYPE, args, 6, KT_ROOT, 0), KAAL_ERR_TRUNCATED_MESSAGE);
    assert_detail(r, 6, 1);
}

static void test_bad_type(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t types[] = {0, KAAL_OBJ_TYPE_COUNT, KAAL_OBJ_TYPE_COUNT + 1, CAP_ZOMBIE, ~(kaal_word_t)0};
    for (unsigned i = 0; i < ARRAY_SIZE(types); i++) {
        KT_REJECT(r, kt_retype(ut(), types[i], 0, 0, 0, free_slot(0), 1), KAAL_ERR_INVALID_ARGUMENT);
        assert_detail(r, 0);
    }
}

struct size_case {
    kaal_word_t type, min, max;
};

static void test_size_out_of_range(void **state)
{
    (void)state;
    struct kresult r;
    static const struct size_case cases[] = {
        {KAAL_OBJ_UNTYPED, KAAL_UNTYPED_MIN_BITS, KAAL_UNTYPED_MAX_BITS},
        {KAAL_OBJ_CNODE, KAAL_CNODE_MIN_RADIX, KAAL_CNODE_MAX_RADIX},
        {KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, KAAL_FRAME_BITS_HUGE},
        {KAAL_OBJ_TCB, 0, 0},
        {KAAL_OBJ_ENDPOINT, 0, 0},
        {KAAL_OBJ_NOTIFICATION, 0, 0},
        {KAAL_OBJ_VSPACE, 0, 0},
        {KAAL_OBJ_PAGE_UPPER_DIR, 0, 0},
        {KAAL_OBJ_PAGE_DIR, 0, 0},
        {KAAL_OBJ_PAGE_TABLE, 0, 0},
    };
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct size_case *c = &cases[i];
        kaal_word_t bad[] = {c->min - 1, c->max + 1, ~(kaal_word_t)0};
        for (unsigned j = c->min == 0 ? 1 : 0; j < ARRAY_SIZE(bad); j++) {
            KT_REJECT(r, kt_retype(ut(), c->type, bad[j], 0, 0, free_slot(0), 1), KAAL_ERR_RANGE_ERROR);
            assert_detail(r, 1, c->min, c->max);
        }
    }
}

static void test_frame_size_not_a_page_size(void **state)
{
    (void)state;
    struct kresult r;
    for (kaal_word_t bits = KAAL_FRAME_BITS_SMALL; bits <= KAAL_FRAME_BITS_HUGE; bits++) {
        if (bits == KAAL_FRAME_BITS_SMALL || bits == KAAL_FRAME_BITS_LARGE || bits == KAAL_FRAME_BITS_HUGE)
            continue;
        KT_REJECT(r, kt_retype(ut(), KAAL_OBJ_FRAME, bits, 0, 0, free_slot(0), 1), KAAL_ERR_INVALID_ARGUMENT);
        assert_detail(r, 1);
    }
}

static void test_num_objects_out_of_range(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t bad[] = {0, KAAL_RETYPE_MAX_OBJECTS + 1, ~(kaal_word_t)0};
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        KT_REJECT(r, kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(0), bad[i]), KAAL_ERR_RANGE_ERROR);
        assert_detail(r, 5, 1, KAAL_RETYPE_MAX_OBJECTS);
    }
}

/* ---- device memory ---- */

static void test_device_untyped_refuses_kernel_objects(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t dev = device_untyped();
    assert_int_equal(kt_slot(dev)->cap.aux, 1);
    static const kaal_word_t kinds[][2] = {
        {KAAL_OBJ_TCB, 0},          {KAAL_OBJ_CNODE, 4},  {KAAL_OBJ_ENDPOINT, 0},
        {KAAL_OBJ_NOTIFICATION, 0}, {KAAL_OBJ_VSPACE, 0}, {KAAL_OBJ_PAGE_TABLE, 0},
    };
    for (unsigned i = 0; i < ARRAY_SIZE(kinds); i++) {
        KT_REJECT(r, kt_retype(dev, kinds[i][0], kinds[i][1], 0, 0, free_slot(0), 1),
                  KAAL_ERR_ILLEGAL_OPERATION);
        assert_detail(r, KAAL_ILLEGAL_DEVICE_MEMORY);
    }
}

/* KT_DEVICE_BASE is not mapped in the test process: touching device memory would crash the test. */
static void test_device_untyped_makes_frames_and_untyped(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t dev = device_untyped();
    kt_assert_success(kt_retype(dev, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, 0, 0, free_slot(0), 2));
    kt_assert_success(kt_retype(dev, KAAL_OBJ_UNTYPED, 16, 0, 0, free_slot(2), 1));
    for (unsigned i = 0; i < 3; i++) {
        struct slot *s = kt_slot(free_slot(i));
        assert_int_equal(s->cap.aux, 1);
        assert_true(s->cap.obj >= KT_DEVICE_BASE && s->cap.obj < KT_DEVICE_BASE + BIT(KT_DEVICE_BITS));
    }
    assert_int_equal(kt_slot(free_slot(0))->cap.type, CAP_FRAME);
    assert_int_equal(kt_slot(free_slot(1))->cap.obj, KT_DEVICE_BASE + BIT(KAAL_FRAME_BITS_SMALL));
    assert_int_equal(kt_slot(free_slot(2))->cap.obj, KT_DEVICE_BASE + BIT(16));

    /* A device untyped made from device memory is device memory as well. */
    KT_REJECT(r, kt_retype(free_slot(2), KAAL_OBJ_TCB, 0, 0, 0, free_slot(3), 1), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_DEVICE_MEMORY);
    kt_assert_success(kt_retype(free_slot(2), KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, 0, 0, free_slot(3), 1));
    assert_int_equal(kt_slot(free_slot(3))->cap.aux, 1);
    assert_int_equal(kt_slot(free_slot(3))->cap.obj, KT_DEVICE_BASE + BIT(16));
}

static void test_device_large_frame(void **state)
{
    (void)state;
    kaal_word_t dev = device_untyped();
    kt_assert_success(kt_retype(dev, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_LARGE, 0, 0, free_slot(0), 1));
    assert_int_equal(kt_slot(free_slot(0))->cap.obj, KT_DEVICE_BASE);
    assert_int_equal(kt_slot(free_slot(0))->cap.size_bits, KAAL_FRAME_BITS_LARGE);
    assert_int_equal(kt_slot(free_slot(0))->cap.aux, 1);
}

/* RAM untypeds never hand out device caps. */
static void test_ram_untyped_children_are_not_device(void **state)
{
    (void)state;
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_UNTYPED, 16, 0, 0, free_slot(0), 1));
    kt_assert_success(kt_retype(free_slot(0), KAAL_OBJ_TCB, 0, 0, 0, free_slot(1), 1));
    assert_int_equal(kt_slot(free_slot(0))->cap.aux, 0);
    assert_ptr_equal(kt_slot(free_slot(1))->parent, kt_slot(free_slot(0)));
}

/* ---- copies of an untyped ---- */

static void test_untyped_with_copy_child_refuses(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t copy = free_slot(0);
    kt_assert_success(kt_copy(copy, ut(), KAAL_RIGHTS_ALL));
    KT_REJECT(r, kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(1), 1), KAAL_ERR_REVOKE_FIRST);
    assert_detail(r, KAAL_ARG_INVOKED);

    /* The copy owns the memory now, from its own empty watermark. */
    kt_assert_success(kt_retype(copy, KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(1), 2));
    assert_int_equal(kt_slot(free_slot(1))->cap.obj, ut_base());
    assert_ptr_equal(kt_slot(free_slot(1))->parent, kt_slot(copy));
    KT_REJECT(r, kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(3), 1), KAAL_ERR_REVOKE_FIRST);
    assert_detail(r, KAAL_ARG_INVOKED);

    /* Revoking the original removes the copy and everything it made. */
    kt_assert_success(kt_revoke(ut()));
    for (unsigned i = 0; i < 3; i++)
        assert_true(slot_is_empty(kt_slot(free_slot(i))));
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, free_slot(1), 1));
    assert_int_equal(kt_slot(free_slot(1))->cap.obj, ut_base());
}

/*
 * Aligning the watermark up to a large object size must not wrap around the
 * top of the address space: an Untyped high up would otherwise find "free"
 * memory at address 0.
 */
static void test_alignment_does_not_wrap_at_the_top(void **state)
{
    (void)state;
    struct kresult r;
    void *mem = aligned_alloc(1 << 20, 1 << 20);
    assert_non_null(mem);
    kaal_word_t top = ~(kaal_word_t)0 - BIT(40) + 1; /* the last 1 TiB: 0xffffff0000000000 */
    struct boot_region regions[] = {
        {.kaddr = (uintptr_t)mem, .size = 1 << 20},
        {.kaddr = top, .size = BIT(KT_DEVICE_BITS), .is_device = true},
    };
    assert_int_equal(kernel_boot(regions, 2), BOOT_OK);
    kt_adopt_boot();
    kaal_word_t dev = device_untyped();
    assert_int_equal(kt_slot(dev)->cap.obj, top);
    KT_REJECT(r, kt_retype(dev, KAAL_OBJ_UNTYPED, KAAL_UNTYPED_MAX_BITS, 0, 0, free_slot(0), 1),
              KAAL_ERR_NOT_ENOUGH_MEMORY);
    assert_detail(r, 0);
    assert_true(slot_is_empty(kt_slot(free_slot(0))));
    kt_assert_success(kt_retype(dev, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_LARGE, 0, 0, free_slot(0), 1));
    assert_int_equal(kt_slot(free_slot(0))->cap.obj, top);
    free(mem);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, kt_setup, kt_teardown)
    const struct CMUnitTest tests[] = {
        T(test_every_type),
        T(test_objects_of_one_call_are_consecutive),
        T(test_alignment_skips_to_the_object_size),
        T(test_watermark_continues_while_children_exist),
        T(test_watermark_resets_after_revoke),
        T(test_watermark_resets_when_last_child_deleted),
        T(test_exact_fit_then_nothing_left),
        T(test_retype_into_cnode_below_root),
        T(test_retype_node_resolved_in_given_root),
        T(test_node_not_a_cnode),
        T(test_node_lookup_failures),
        T(test_root_cap_not_a_cnode),
        T(test_offset_out_of_range),
        T(test_num_overruns_the_cnode),
        T(test_destination_occupied),
        T(test_not_enough_memory),
        T(test_bad_label),
        T(test_truncated_message),
        T(test_bad_type),
        T(test_size_out_of_range),
        T(test_frame_size_not_a_page_size),
        T(test_num_objects_out_of_range),
        T(test_device_untyped_refuses_kernel_objects),
        T(test_device_untyped_makes_frames_and_untyped),
        T(test_device_large_frame),
        T(test_ram_untyped_children_are_not_device),
        T(test_untyped_with_copy_child_refuses),
        T(test_alignment_does_not_wrap_at_the_top),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
