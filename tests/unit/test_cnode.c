/* CNode Copy, Mint, Move, Mutate, Delete, Revoke, Identify: derivation rules, answers and every refusal. */
#include "harness.h"

static kaal_word_t free_slot(unsigned i)
{
    return kt_bootinfo()->empty.start + i;
}

static kaal_word_t ut(void)
{
    return kt_first_untyped();
}

/* Made by the setup: an endpoint, a notification and a radix-4 CNode, all children of ut(). */
#define EP free_slot(0)
#define NTF free_slot(1)
#define NODE free_slot(2)
#define NODE_RADIX 4u
#define FREE(i) free_slot(10 + (i))

static int setup_objects(void **state)
{
    if (kt_setup(state) != 0)
        return -1;
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, EP, 1));
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_NOTIFICATION, 0, 0, 0, NTF, 1));
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_CNODE, NODE_RADIX, 0, 0, NODE, 1));
    return 0;
}

static struct slot *node_slot(unsigned i)
{
    return cnode_slots(&kt_slot(NODE)->cap) + i;
}

static struct kresult op(kaal_word_t label, const kaal_word_t *args, unsigned nargs, unsigned ncaps)
{
    kaal_word_t caps[] = {KT_ROOT};
    return kt_invoke(KT_ROOT, label, args, nargs, caps, ncaps);
}

/* ---- Copy ---- */

static void test_copy_makes_a_child_to_the_same_object(void **state)
{
    (void)state;
    kt_assert_success(kt_copy(FREE(0), EP, KAAL_RIGHTS_ALL));
    struct slot *src = kt_slot(EP), *dst = kt_slot(FREE(0));
    assert_int_equal(dst->cap.type, CAP_ENDPOINT);
    assert_int_equal(dst->cap.obj, src->cap.obj);
    assert_int_equal(dst->cap.rights, KAAL_RIGHTS_ALL);
    assert_int_equal(dst->cap.data, 0);
    assert_ptr_equal(dst->parent, src);
    assert_ptr_equal(src->first_child, dst);
    assert_int_equal(src->cap.type, CAP_ENDPOINT); /* the source is untouched */
}

static void test_rights_only_shrink(void **state)
{
    (void)state;
    kt_assert_success(kt_copy(FREE(0), EP, KAAL_RIGHT_READ | KAAL_RIGHT_GRANT));
    assert_int_equal(kt_slot(FREE(0))->cap.rights, KAAL_RIGHT_READ | KAAL_RIGHT_GRANT);
    kt_assert_success(kt_copy(FREE(1), FREE(0), KAAL_RIGHTS_ALL));
    assert_int_equal(kt_slot(FREE(1))->cap.rights, KAAL_RIGHT_READ | KAAL_RIGHT_GRANT);
    kt_assert_success(kt_mint(FREE(2), FREE(1), KAAL_RIGHTS_ALL, 0));
    assert_int_equal(kt_slot(FREE(2))->cap.rights, KAAL_RIGHT_READ | KAAL_RIGHT_GRANT);
    kt_assert_success(kt_copy(FREE(3), FREE(2), KAAL_RIGHT_WRITE));
    assert_int_equal(kt_slot(FREE(3))->cap.rights, 0);
    /* Mutate and Move carry the rights unchanged. */
    kt_assert_success(kt_move(FREE(4), FREE(1)));
    assert_int_equal(kt_slot(FREE(4))->cap.rights, KAAL_RIGHT_READ | KAAL_RIGHT_GRANT);
}

static void test_rights_word_with_unknown_bits(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t bad[] = {KAAL_RIGHTS_ALL + 1, 0x10, (kaal_word_t)1 << 63};
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        KT_REJECT(r, kt_copy(FREE(0), EP, bad[i]), KAAL_ERR_INVALID_ARGUMENT);
        assert_detail(r, 4);
        KT_REJECT(r, kt_mint(FREE(0), EP, bad[i], 5), KAAL_ERR_INVALID_ARGUMENT);
        assert_detail(r, 4);
    }
}

static void test_copy_dest_occupied(void **state)
{
    (void)state;
    struct kresult r;
    KT_REJECT(r, kt_copy(NTF, EP, KAAL_RIGHTS_ALL), KAAL_ERR_DELETE_FIRST);
    assert_detail(r, 0, NTF);
    KT_REJECT(r, kt_copy(EP, EP, KAAL_RIGHTS_ALL), KAAL_ERR_DELETE_FIRST);
    assert_detail(r, 0, EP);
    KT_REJECT(r, kt_mint(KAAL_ROOT_SLOT_TCB, EP, KAAL_RIGHTS_ALL, 1), KAAL_ERR_DELETE_FIRST);
    assert_detail(r, 0, KAAL_ROOT_SLOT_TCB);
}

static void test_copy_src_empty(void **state)
{
    (void)state;
    struct kresult r;
    KT_REJECT(r, kt_copy(FREE(0), FREE(1), KAAL_RIGHTS_ALL), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 2, KAAL_LOOKUP_MISSING_CAP, 0, 0, 0);
    KT_REJECT(r, kt_mint(FREE(0), FREE(1), KAAL_RIGHTS_ALL, 3), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 2, KAAL_LOOKUP_MISSING_CAP, 0, 0, 0);
}

static void test_copy_untyped_with_children(void **state)
{
    (void)state;
    struct kresult r;
    KT_REJECT(r, kt_copy(FREE(0), ut(), KAAL_RIGHTS_ALL), KAAL_ERR_REVOKE_FIRST);
    assert_detail(r, 2);
    KT_REJECT(r, kt_mint(FREE(0), ut(), KAAL_RIGHTS_ALL, 0), KAAL_ERR_REVOKE_FIRST);
    assert_detail(r, 2);
}

/* A copy of an Untyped names the same region and keeps the watermark: below it the memory is dirty. */
static void test_copy_untyped_without_children(void **state)
{
    (void)state;
    kt_assert_success(kt_revoke(ut()));
    assert_true(kt_slot(ut())->cap.data != 0); /* stale watermark left by the setup's objects */
    kt_assert_success(kt_copy(FREE(0), ut(), KAAL_RIGHTS_ALL));
    struct slot *c = kt_slot(FREE(0));
    assert_int_equal(c->cap.type, CAP_UNTYPED);
    assert_int_equal(c->cap.obj, kt_slot(ut())->cap.obj);
    assert_int_equal(c->cap.size_bits, kt_slot(ut())->cap.size_bits);
    assert_int_equal(c->cap.data, kt_slot(ut())->cap.data);
}

/* Rights mean something on Endpoint, Notification and Frame caps only; a mask leaves the others whole. */
static void test_rights_mask_applies_only_to_types_with_rights(void **state)
{
    (void)state;
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_UNTYPED, 12, 0, 0, FREE(0), 1));
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_VSPACE, 0, 0, 0, FREE(1), 1));
    kaal_word_t without[] = {KAAL_ROOT_SLOT_TCB, KT_ROOT, NODE, FREE(0), FREE(1)};
    for (unsigned i = 0; i < ARRAY_SIZE(without); i++) {
        kt_assert_success(kt_copy(FREE(5), without[i], KAAL_RIGHT_READ));
        assert_int_equal(kt_slot(FREE(5))->cap.rights, KAAL_RIGHTS_ALL);
        kt_assert_success(kt_mint(FREE(6), FREE(5), 0, 0));
        assert_int_equal(kt_slot(FREE(6))->cap.rights, KAAL_RIGHTS_ALL);
        kt_assert_success(kt_delete(FREE(6)));
        kt_assert_success(kt_delete(FREE(5)));
    }
    kaal_word_t with[] = {EP, NTF, KAAL_ROOT_SLOT_IPC_BUFFER};
    for (unsigned i = 0; i < ARRAY_SIZE(with); i++) {
        kt_assert_success(kt_copy(FREE(5), with[i], KAAL_RIGHT_READ | KAAL_RIGHT_GRANT_REPLY));
        assert_int_equal(kt_slot(FREE(5))->cap.rights, KAAL_RIGHT_READ | KAAL_RIGHT_GRANT_REPLY);
        kt_assert_success(kt_mint(FREE(6), FREE(5), KAAL_RIGHT_WRITE | KAAL_RIGHT_READ, 0));
        assert_int_equal(kt_slot(FREE(6))->cap.rights, KAAL_RIGHT_READ);
        kt_assert_success(kt_revoke(FREE(5)));
        kt_assert_success(kt_delete(FREE(5)));
    }
}

/* ---- Mint ---- */

static void test_mint_badges_endpoint_and_notification(void **state)
{
    (void)state;
    kt_assert_success(kt_mint(FREE(0), EP, KAAL_RIGHT_WRITE, 0x42));
    assert_int_equal(kt_slot(FREE(0))->cap.data, 0x42);
    assert_int_equal(kt_slot(FREE(0))->cap.rights, KAAL_RIGHT_WRITE);
    assert_ptr_equal(kt_slot(FREE(0))->parent, kt_slot(EP));
    kt_assert_success(kt_mint(FREE(1), NTF, KAAL_RIGHTS_ALL, ~(kaal_word_t)0));
    assert_int_equal(kt_slot(FREE(1))->cap.data, ~(kaal_word_t)0);
    /* The source keeps no badge. */
    assert_int_equal(kt_slot(EP)->cap.data, 0);
    /* Copy carries the badge. */
    kt_assert_success(kt_copy(FREE(2), FREE(0), KAAL_RIGHTS_ALL));
    assert_int_equal(kt_slot(FREE(2))->cap.data, 0x42);
}

static void test_badge_is_set_once(void **state)
{
    (void)state;
    struct kresult r;
    kt_assert_success(kt_mint(FREE(0), EP, KAAL_RIGHTS_ALL, 0x42));
    KT_REJECT(r, kt_mint(FREE(1), FREE(0), KAAL_RIGHTS_ALL, 0x43), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_BADGE_SET_ONCE);
    KT_REJECT(r, kt_mutate(FREE(1), FREE(0), 0x43), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_BADGE_SET_ONCE);

    kt_assert_success(kt_mint(FREE(1), FREE(0), KAAL_RIGHTS_ALL, 0));
    assert_int_equal(kt_slot(FREE(1))->cap.data, 0x42);
    kt_assert_success(kt_mint(FREE(2), FREE(0), KAAL_RIGHTS_ALL, 0x42));
    assert_int_equal(kt_slot(FREE(2))->cap.data, 0x42);
    kt_assert_success(kt_mutate(FREE(3), FREE(2), 0));
    assert_int_equal(kt_slot(FREE(3))->cap.data, 0x42);
}

static void test_data_on_a_type_without_data(void **state)
{
    (void)state;
    struct kresult r;
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_UNTYPED, 12, 0, 0, FREE(0), 1));
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_VSPACE, 0, 0, 0, FREE(1), 1));
    kaal_word_t srcs[] = {KAAL_ROOT_SLOT_TCB, KAAL_ROOT_SLOT_IPC_BUFFER, FREE(0), FREE(1)};
    for (unsigned i = 0; i < ARRAY_SIZE(srcs); i++) {
        KT_REJECT(r, kt_mint(FREE(5), srcs[i], KAAL_RIGHTS_ALL, 1), KAAL_ERR_INVALID_ARGUMENT);
        assert_detail(r, 5);
        KT_REJECT(r, kt_mutate(FREE(5), srcs[i], 1), KAAL_ERR_INVALID_ARGUMENT);
        assert_detail(r, 4);
    }
    /* Data 0 means "none" and is accepted. */
    kt_assert_success(kt_mint(FREE(5), KAAL_ROOT_SLOT_TCB, KAAL_RIGHTS_ALL, 0));
    assert_int_equal(kt_slot(FREE(5))->cap.type, CAP_TCB);
}

/* ---- CNode guards ---- */

static void test_cnode_guard_by_mint(void **state)
{
    (void)state;
    struct kresult r;
    kt_assert_success(kt_mint(FREE(0), NODE, KAAL_RIGHTS_ALL, KAAL_CNODE_DATA(0x5, 3)));
    assert_int_equal(kt_slot(FREE(0))->cap.guard_bits, 3);
    assert_int_equal(kt_slot(FREE(0))->cap.data, 0x5);
    assert_int_equal(kt_slot(FREE(0))->cap.size_bits, NODE_RADIX);
    /* The largest guard that still fits beside the radix. */
    kt_assert_success(kt_mint(FREE(1), NODE, KAAL_RIGHTS_ALL, KAAL_CNODE_DATA(1, 64 - NODE_RADIX)));
    assert_int_equal(kt_slot(FREE(1))->cap.guard_bits, 64 - NODE_RADIX);
    /* Minting with data 0 from a guarded cap removes the guard. */
    kt_assert_success(kt_mint(FREE(2), FREE(0), KAAL_RIGHTS_ALL, 0));
    assert_int_equal(kt_slot(FREE(2))->cap.guard_bits, 0);
    assert_int_equal(kt_slot(FREE(2))->cap.data, 0);
    /* Copy keeps it. */
    kt_assert_success(kt_copy(FREE(3), FREE(0), KAAL_RIGHTS_ALL));
    assert_int_equal(kt_slot(FREE(3))->cap.guard_bits, 3);
    assert_int_equal(kt_slot(FREE(3))->cap.data, 0x5);

    KT_REJECT(r, kt_mint(FREE(4), NODE, KAAL_RIGHTS_ALL, KAAL_CNODE_DATA(0, 64 - NODE_RADIX + 1)),
              KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 5, 0, 64 - NODE_RADIX);
    KT_REJECT(r, kt_mint(FREE(4), NODE, KAAL_RIGHTS_ALL, KAAL_CNODE_DATA(0, 63)), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 5, 0, 64 - NODE_RADIX);
    KT_REJECT(r, kt_mint(FREE(4), NODE, KAAL_RIGHTS_ALL, KAAL_CNODE_DATA(0x8, 3)), KAAL_ERR_INVALID_ARGUMENT);
    assert_detail(r, 5);
    KT_REJECT(r, kt_mint(FREE(4), NODE, KAAL_RIGHTS_ALL, KAAL_CNODE_DATA(1, 0)), KAAL_ERR_INVALID_ARGUMENT);
    assert_detail(r, 5);
}

static void test_cnode_guard_by_mutate(void **state)
{
    (void)state;
    struct kresult r;
    /* The root CNode (radix 12) limits guards to 52 bits. */
    kt_assert_success(kt_copy(FREE(0), KT_ROOT, KAAL_RIGHTS_ALL));
    KT_REJECT(r, kt_mutate(FREE(1), FREE(0), KAAL_CNODE_DATA(0, 53)), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 4, 0, 64 - KAAL_ROOT_CNODE_RADIX);
    KT_REJECT(r, kt_mutate(FREE(1), FREE(0), KAAL_CNODE_DATA(0x10, 4)), KAAL_ERR_INVALID_ARGUMENT);
    assert_detail(r, 4);
    kt_assert_success(kt_mutate(FREE(1), FREE(0), KAAL_CNODE_DATA(0xf, 4)));
    assert_true(slot_is_empty(kt_slot(FREE(0))));
    assert_int_equal(kt_slot(FREE(1))->cap.guard_bits, 4);
    assert_int_equal(kt_slot(FREE(1))->cap.data, 0xf);
    assert_ptr_equal(kt_slot(FREE(1))->parent, kt_slot(KT_ROOT));
}

/* ---- Move and Mutate ---- */

static void test_move_keeps_the_cdt_position(void **state)
{
    (void)state;
    kt_assert_success(kt_copy(FREE(0), EP, KAAL_RIGHTS_ALL));
    kt_assert_success(kt_copy(FREE(1), FREE(0), KAAL_RIGHTS_ALL));
    kaal_word_t obj = kt_slot(EP)->cap.obj;
    kt_assert_success(kt_move(FREE(5), EP));
    assert_true(slot_is_empty(kt_slot(EP)));
    struct slot *moved = kt_slot(FREE(5));
    assert_int_equal(moved->cap.obj, obj);
    assert_ptr_equal(moved->parent, kt_slot(ut()));
    assert_ptr_equal(kt_slot(FREE(0))->parent, moved);

    /* The children still revoke with the moved cap... */
    kt_assert_success(kt_revoke(FREE(5)));
    assert_true(slot_is_empty(kt_slot(FREE(0))));
    assert_true(slot_is_empty(kt_slot(FREE(1))));
    /* ...and the moved cap still revokes with its untyped. */
    kt_assert_success(kt_revoke(ut()));
    assert_true(slot_is_empty(kt_slot(FREE(5))));
}

static void test_move_errors(void **state)
{
    (void)state;
    struct kresult r;
    KT_REJECT(r, kt_move(NTF, EP), KAAL_ERR_DELETE_FIRST);
    assert_detail(r, 0, NTF);
    KT_REJECT(r, kt_move(EP, EP), KAAL_ERR_DELETE_FIRST);
    assert_detail(r, 0, EP);
    KT_REJECT(r, kt_move(FREE(0), FREE(1)), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 2, KAAL_LOOKUP_MISSING_CAP, 0, 0, 0);
    KT_REJECT(r, kt_mutate(FREE(0), FREE(1), 0), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 2, KAAL_LOOKUP_MISSING_CAP, 0, 0, 0);
    KT_REJECT(r, kt_mutate(NTF, EP, 0), KAAL_ERR_DELETE_FIRST);
    assert_detail(r, 0, NTF);
}

static void test_mutate_sets_badge_and_moves(void **state)
{
    (void)state;
    kaal_word_t obj = kt_slot(EP)->cap.obj;
    kt_assert_success(kt_mutate(FREE(0), EP, 9));
    assert_true(slot_is_empty(kt_slot(EP)));
    assert_int_equal(kt_slot(FREE(0))->cap.obj, obj);
    assert_int_equal(kt_slot(FREE(0))->cap.data, 9);
    assert_int_equal(kt_slot(FREE(0))->cap.rights, KAAL_RIGHTS_ALL);
    assert_ptr_equal(kt_slot(FREE(0))->parent, kt_slot(ut()));
}

static void test_mutate_of_a_cap_with_children(void **state)
{
    (void)state;
    struct kresult r;
    kt_assert_success(kt_copy(FREE(0), EP, KAAL_RIGHTS_ALL));
    KT_REJECT(r, kt_mutate(FREE(1), EP, 7), KAAL_ERR_REVOKE_FIRST);
    assert_detail(r, 2);
    kt_assert_success(kt_copy(FREE(2), NODE, KAAL_RIGHTS_ALL));
    KT_REJECT(r, kt_mutate(FREE(1), NODE, KAAL_CNODE_DATA(1, 2)), KAAL_ERR_REVOKE_FIRST);
    assert_detail(r, 2);
    KT_REJECT(r, kt_mutate(FREE(1), NODE, KAAL_CNODE_DATA(0, 2)), KAAL_ERR_REVOKE_FIRST);
    assert_detail(r, 2);

    /* A Mutate that changes nothing is a Move, children and all. */
    kt_assert_success(kt_mutate(FREE(1), EP, 0));
    assert_ptr_equal(kt_slot(FREE(0))->parent, kt_slot(FREE(1)));
    kt_assert_success(kt_mutate(FREE(3), NODE, KAAL_CNODE_DATA(0, 0)));
    assert_ptr_equal(kt_slot(FREE(2))->parent, kt_slot(FREE(3)));
    /* With the children gone the change is allowed. */
    kt_assert_success(kt_revoke(FREE(1)));
    kt_assert_success(kt_mutate(FREE(4), FREE(1), 7));
    assert_int_equal(kt_slot(FREE(4))->cap.data, 7);
}

/* ---- Delete ---- */

static void test_delete_empty_slot_is_ok(void **state)
{
    (void)state;
    struct kt_snapshot snap;
    kt_snapshot_take(&snap);
    kt_assert_success(kt_delete(FREE(0)));
    kt_snapshot_assert_same(&snap);
}

static void test_delete_one_cap_children_move_up(void **state)
{
    (void)state;
    kt_assert_success(kt_copy(FREE(0), EP, KAAL_RIGHTS_ALL));
    kt_assert_success(kt_copy(FREE(1), FREE(0), KAAL_RIGHTS_ALL));
    kt_assert_success(kt_delete(FREE(0)));
    assert_true(slot_is_empty(kt_slot(FREE(0))));
    assert_int_equal(kt_slot(FREE(1))->cap.type, CAP_ENDPOINT);
    assert_ptr_equal(kt_slot(FREE(1))->parent, kt_slot(EP));
    kt_assert_success(kt_delete(EP));
    assert_ptr_equal(kt_slot(FREE(1))->parent, kt_slot(ut()));
}

static void test_deleting_last_cnode_cap_deletes_its_contents(void **state)
{
    (void)state;
    /* Retype straight into the node, and copy into it by invoking it (radix 4, no guard: depth 4). */
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_TCB, 0, NODE, KT_DEPTH, 0, 2));
    kaal_word_t args[] = {9, NODE_RADIX, EP, KT_DEPTH, KAAL_RIGHTS_ALL};
    kaal_word_t caps[] = {KT_ROOT};
    kt_assert_success(kt_invoke(NODE, KAAL_CNODE_COPY, args, 5, caps, 1));
    assert_ptr_equal(node_slot(9)->parent, kt_slot(EP));

    /* A second cap keeps the node alive. */
    kt_assert_success(kt_copy(FREE(0), NODE, KAAL_RIGHTS_ALL));
    kt_assert_success(kt_delete(NODE));
    struct slot *inside = cnode_slots(&kt_slot(FREE(0))->cap);
    assert_int_equal(inside[0].cap.type, CAP_TCB);
    assert_int_equal(inside[9].cap.type, CAP_ENDPOINT);

    kt_assert_success(kt_delete(FREE(0)));
    for (unsigned i = 0; i < BIT(NODE_RADIX); i++)
        assert_true(slot_is_empty(&inside[i]));
    assert_null(kt_slot(EP)->first_child);
    assert_int_equal(kt_slot(EP)->cap.type, CAP_ENDPOINT);
}

/* ---- Revoke ---- */

static void test_revoke_deletes_all_descendants_not_siblings(void **state)
{
    (void)state;
    kt_assert_success(kt_copy(FREE(0), EP, KAAL_RIGHTS_ALL));
    kt_assert_success(kt_copy(FREE(1), FREE(0), KAAL_RIGHTS_ALL));              /* copy of a copy */
    kt_assert_success(kt_mint(FREE(2), EP, KAAL_RIGHTS_ALL, 0x77));             /* badged */
    kt_assert_success(kt_copy(FREE(3), FREE(2), KAAL_RIGHT_READ));              /* copy of the badged */
    kt_assert_success(kt_copy(FREE(4), NTF, KAAL_RIGHTS_ALL));                  /* a sibling's child */
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_ENDPOINT, 0, 0, 0, FREE(5), 1)); /* a sibling */

    kt_assert_success(kt_revoke(FREE(0)));
    assert_true(slot_is_empty(kt_slot(FREE(1))));
    assert_int_equal(kt_slot(FREE(0))->cap.type, CAP_ENDPOINT);
    assert_int_equal(kt_slot(FREE(2))->cap.data, 0x77);

    kt_assert_success(kt_revoke(EP));
    for (unsigned i = 0; i < 4; i++)
        assert_true(slot_is_empty(kt_slot(FREE(i))));
    assert_int_equal(kt_slot(EP)->cap.type, CAP_ENDPOINT);
    assert_null(kt_slot(EP)->first_child);
    assert_int_equal(kt_slot(NTF)->cap.type, CAP_NOTIFICATION);
    assert_int_equal(kt_slot(FREE(4))->cap.type, CAP_NOTIFICATION);
    assert_int_equal(kt_slot(FREE(5))->cap.type, CAP_ENDPOINT);
}

static void test_revoke_without_children_changes_nothing(void **state)
{
    (void)state;
    struct kt_snapshot snap;
    kt_snapshot_take(&snap);
    kt_assert_success(kt_revoke(EP));
    kt_assert_success(kt_revoke(FREE(0)));
    kt_snapshot_assert_same(&snap);
}

static void test_revoke_untyped_deletes_its_objects_and_their_copies(void **state)
{
    (void)state;
    kt_assert_success(kt_mint(FREE(0), EP, KAAL_RIGHTS_ALL, 3));
    kt_assert_success(kt_revoke(ut()));
    kaal_word_t gone[] = {EP, NTF, NODE, FREE(0)};
    for (unsigned i = 0; i < ARRAY_SIZE(gone); i++)
        assert_true(slot_is_empty(kt_slot(gone[i])));
    assert_int_equal(kt_slot(ut())->cap.type, CAP_UNTYPED);
}

/* ---- Identify ---- */

struct cap_info {
    kaal_word_t type, rights, size_bits, data, flags, asid;
};

/* Identify root slot `index`; the answer is six words and the call changes nothing. */
static struct cap_info identify(kaal_word_t index)
{
    kaal_word_t args[] = {index, KT_DEPTH};
    struct kt_snapshot snap;
    kt_snapshot_take(&snap);
    struct kresult r = op(KAAL_CNODE_IDENTIFY, args, 2, 0);
    kt_snapshot_assert_same(&snap);
    assert_ok(r);
    assert_int_equal(r.count, 6);
    assert_false(kt_logged("reject"));
    return (struct cap_info){r.mr[0], r.mr[1], r.mr[2], r.mr[3], r.mr[4], r.mr[5]};
}

#define assert_identify(index, type_, rights_, size_, data_, flags_, asid_)                                        \
    do {                                                                                                           \
        struct cap_info i_ = identify(index);                                                                      \
        assert_int_equal(i_.type, (type_));                                                                        \
        assert_int_equal(i_.rights, (rights_));                                                                    \
        assert_int_equal(i_.size_bits, (size_));                                                                   \
        assert_int_equal(i_.data, (data_));                                                                        \
        assert_int_equal(i_.flags, (flags_));                                                                      \
        assert_int_equal(i_.asid, (asid_));                                                                        \
    } while (0)

static kaal_word_t device_untyped(void)
{
    const struct kaal_bootinfo *bi = kt_bootinfo();
    for (kaal_word_t i = bi->untyped.start; i < bi->untyped.end; i++) {
        if (bi->untyped_list[i - bi->untyped.start].is_device)
            return i;
    }
    fail_msg("no device untyped");
    return 0;
}

static void test_identify_empty_slot_and_root_caps(void **state)
{
    (void)state;
    assert_identify(FREE(0), KAAL_CAP_NULL, 0, 0, 0, 0, 0);   /* empty: an answer, not an error */
    assert_identify(KAAL_ROOT_SLOT_NULL, KAAL_CAP_NULL, 0, 0, 0, 0, 0);
    assert_identify(KAAL_ROOT_SLOT_TCB, KAAL_CAP_TCB, KAAL_RIGHTS_ALL, 0, 0, 0, 0);
    /* The root CNode: radix 12, a 52-bit guard of 0, in Mint's data format. */
    assert_identify(KT_ROOT, KAAL_CAP_CNODE, KAAL_RIGHTS_ALL, KAAL_ROOT_CNODE_RADIX,
                    KAAL_CNODE_DATA(0, 64 - KAAL_ROOT_CNODE_RADIX), 0, 0);
    assert_identify(KAAL_ROOT_SLOT_IPC_BUFFER, KAAL_CAP_FRAME, KAAL_RIGHTS_ALL, 12, 0, 0, 0);
    assert_identify(KAAL_ROOT_SLOT_BOOTINFO, KAAL_CAP_FRAME, KAAL_RIGHTS_ALL, 12, 0, 0, 0);
    assert_identify(KAAL_ROOT_SLOT_IRQ_CONTROL, KAAL_CAP_IRQ_CONTROL, KAAL_RIGHTS_ALL, 0, 0, 0, 0);
    assert_identify(KAAL_ROOT_SLOT_VSPACE, KAAL_CAP_VSPACE, KAAL_RIGHTS_ALL, 0, 1, 0, 0); /* ASID 1 */
}

static void test_identify_untyped_cnode_endpoint_notification(void **state)
{
    (void)state;
    const struct kaal_bootinfo *bi = kt_bootinfo();
    kaal_word_t u = ut(), dev = device_untyped();
    assert_identify(u, KAAL_CAP_UNTYPED, KAAL_RIGHTS_ALL, bi->untyped_list[u - bi->untyped.start].size_bits, 0, 0,
                    0);
    assert_identify(dev, KAAL_CAP_UNTYPED, KAAL_RIGHTS_ALL, KT_DEVICE_BITS, 0, KAAL_CAP_INFO_DEVICE, 0);

    assert_identify(NODE, KAAL_CAP_CNODE, KAAL_RIGHTS_ALL, NODE_RADIX, 0, 0, 0);
    kt_assert_success(kt_mint(FREE(0), NODE, KAAL_RIGHTS_ALL, KAAL_CNODE_DATA(5, 3)));
    struct cap_info guarded = identify(FREE(0));
    assert_int_equal(guarded.data, KAAL_CNODE_DATA(5, 3));
    assert_int_equal(KAAL_CNODE_DATA_GUARD(guarded.data), 5);
    assert_int_equal(KAAL_CNODE_DATA_GUARD_BITS(guarded.data), 3);
    /* The widest guard Mint can set round-trips. */
    kaal_word_t widest = KAAL_CNODE_DATA(BIT(58) - 1, 60);
    kt_assert_success(kt_mint(FREE(1), NODE, KAAL_RIGHTS_ALL, widest));
    assert_identify(FREE(1), KAAL_CAP_CNODE, KAAL_RIGHTS_ALL, NODE_RADIX, widest, 0, 0);

    assert_identify(EP, KAAL_CAP_ENDPOINT, KAAL_RIGHTS_ALL, 0, 0, 0, 0);
    kt_assert_success(kt_mint(FREE(2), EP, KAAL_RIGHT_WRITE | KAAL_RIGHT_GRANT, 0x77));
    assert_identify(FREE(2), KAAL_CAP_ENDPOINT, KAAL_RIGHT_WRITE | KAAL_RIGHT_GRANT, 0, 0x77, 0, 0);
    kt_assert_success(kt_mint(FREE(3), NTF, KAAL_RIGHT_READ, 0x30));
    assert_identify(NTF, KAAL_CAP_NOTIFICATION, KAAL_RIGHTS_ALL, 0, 0, 0, 0);
    assert_identify(FREE(3), KAAL_CAP_NOTIFICATION, KAAL_RIGHT_READ, 0, 0x30, 0, 0);
}

static void test_identify_frames_tables_and_mappings(void **state)
{
    (void)state;
    kaal_word_t vs = FREE(0), pud = FREE(1), pd = FREE(2), pt = FREE(3), frame = FREE(4), large = FREE(5),
                devframe = FREE(6), copy = FREE(7);
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_VSPACE, 0, 0, 0, vs, 1));
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_PAGE_UPPER_DIR, 0, 0, 0, pud, 1));
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_PAGE_DIR, 0, 0, 0, pd, 1));
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_PAGE_TABLE, 0, 0, 0, pt, 1));
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, 0, 0, frame, 1));
    kt_assert_success(kt_retype(ut(), KAAL_OBJ_FRAME, KAAL_FRAME_BITS_LARGE, 0, 0, large, 1));
    kt_assert_success(kt_retype(device_untyped(), KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, 0, 0, devframe, 1));
    kaal_word_t asid = kt_slot(vs)->cap.data;
    assert_int_not_equal(asid, 0);
    assert_identify(vs, KAAL_CAP_VSPACE, KAAL_RIGHTS_ALL, 0, asid, 0, 0);

    /* Unmapped: no address, no flag. */
    assert_identify(pud, KAAL_CAP_PAGE_UPPER_DIR, KAAL_RIGHTS_ALL, 0, 0, 0, 0);
    assert_identify(pd, KAAL_CAP_PAGE_DIR, KAAL_RIGHTS_ALL, 0, 0, 0, 0);
    assert_identify(pt, KAAL_CAP_PAGE_TABLE, KAAL_RIGHTS_ALL, 0, 0, 0, 0);
    assert_identify(frame, KAAL_CAP_FRAME, KAAL_RIGHTS_ALL, 12, 0, 0, 0);
    assert_identify(large, KAAL_CAP_FRAME, KAAL_RIGHTS_ALL, 21, 0, 0, 0);
    assert_identify(devframe, KAAL_CAP_FRAME, KAAL_RIGHTS_ALL, 12, 0, KAAL_CAP_INFO_DEVICE, 0);

    /* Mapped at 0 (the tables) and above: the flag tells a mapping at 0 from none. */
    kaal_word_t zero[] = {0}, vspace[] = {vs};
    kt_assert_success(kt_invoke(pud, KAAL_PAGE_TABLE_MAP, zero, 1, vspace, 1));
    kt_assert_success(kt_invoke(pd, KAAL_PAGE_TABLE_MAP, zero, 1, vspace, 1));
    kt_assert_success(kt_invoke(pt, KAAL_PAGE_TABLE_MAP, zero, 1, vspace, 1));
    assert_identify(pud, KAAL_CAP_PAGE_UPPER_DIR, KAAL_RIGHTS_ALL, 0, 0, KAAL_CAP_INFO_MAPPED, asid);
    assert_identify(pd, KAAL_CAP_PAGE_DIR, KAAL_RIGHTS_ALL, 0, 0, KAAL_CAP_INFO_MAPPED, asid);
    assert_identify(pt, KAAL_CAP_PAGE_TABLE, KAAL_RIGHTS_ALL, 0, 0, KAAL_CAP_INFO_MAPPED, asid);
    kaal_word_t at[] = {0x5000, KAAL_RIGHT_READ, 0};
    assert_ok(kt_invoke(frame, KAAL_FRAME_MAP, at, 3, vspace, 1));
    assert_identify(frame, KAAL_CAP_FRAME, KAAL_RIGHTS_ALL, 12, 0x5000, KAAL_CAP_INFO_MAPPED, asid);
    kaal_word_t dev_at[] = {0x6000, KAAL_RIGHT_READ | KAAL_RIGHT_WRITE, 0};
    assert_ok(kt_invoke(devframe, KAAL_FRAME_MAP, dev_at, 3, vspace, 1));
    assert_identify(devframe, KAAL_CAP_FRAME, KAAL_RIGHTS_ALL, 12, 0x6000,
                    KAAL_CAP_INFO_MAPPED | KAAL_CAP_INFO_DEVICE, asid);
    kaal_word_t large_at[] = {0x200000, KAAL_RIGHT_READ, 0};
    assert_ok(kt_invoke(large, KAAL_FRAME_MAP, large_at, 3, vspace, 1));
    assert_identify(large, KAAL_CAP_FRAME, KAAL_RIGHTS_ALL, 21, 0x200000, KAAL_CAP_INFO_MAPPED, asid);

    /* A read-only copy starts unmapped; unmapping clears the answer. */
    kt_assert_success(kt_copy(copy, frame, KAAL_RIGHT_READ));
    assert_identify(copy, KAAL_CAP_FRAME, KAAL_RIGHT_READ, 12, 0, 0, 0);
    kt_assert_success(kt_invoke(frame, KAAL_FRAME_UNMAP, NULL, 0, NULL, 0));
    assert_identify(frame, KAAL_CAP_FRAME, KAAL_RIGHTS_ALL, 12, 0, 0, 0);

    /* A stale record (its VSpace deleted) still reads as mapped: the cap records where it went. */
    kt_assert_success(kt_delete(vs));
    assert_identify(large, KAAL_CAP_FRAME, KAAL_RIGHTS_ALL, 21, 0x200000, KAAL_CAP_INFO_MAPPED, asid);
}

static void test_identify_irq_handler(void **state)
{
    (void)state;
    kaal_word_t args[] = {7, FREE(0), KT_DEPTH};
    kaal_word_t caps[] = {KT_ROOT};
    kt_assert_success(kt_invoke(KAAL_ROOT_SLOT_IRQ_CONTROL, KAAL_IRQ_CONTROL_GET, args, 3, caps, 1));
    assert_identify(FREE(0), KAAL_CAP_IRQ_HANDLER, KAAL_RIGHTS_ALL, 0, 7, 0, 0);
    args[0] = 0; /* line 0 answers 0, like no line: the type says which */
    args[1] = FREE(1);
    kt_assert_success(kt_invoke(KAAL_ROOT_SLOT_IRQ_CONTROL, KAAL_IRQ_CONTROL_GET, args, 3, caps, 1));
    assert_identify(FREE(1), KAAL_CAP_IRQ_HANDLER, KAAL_RIGHTS_ALL, 0, 0, 0, 0);
}

/* A slot of another CNode, through its guard: the lookup is Delete's. */
static void test_identify_through_a_guard(void **state)
{
    (void)state;
    /* NODE behind a 2-bit guard of 2: index = 2 << 4 | slot, depth 6. */
    kt_assert_success(kt_mint(FREE(0), NODE, KAAL_RIGHTS_ALL, KAAL_CNODE_DATA(2, 2)));
    kaal_word_t move[] = {(2u << 4) | 3, 6, EP, KT_DEPTH};
    kaal_word_t caps[] = {KT_ROOT};
    kt_assert_success(kt_invoke(FREE(0), KAAL_CNODE_MOVE, move, 4, caps, 1));
    kaal_word_t args[] = {(2u << 4) | 3, 6};
    struct kresult r = kt_invoke(FREE(0), KAAL_CNODE_IDENTIFY, args, 2, NULL, 0);
    assert_ok(r);
    assert_int_equal(r.mr[0], KAAL_CAP_ENDPOINT);
    args[0] = (2u << 4) | 4;
    r = kt_invoke(FREE(0), KAAL_CNODE_IDENTIFY, args, 2, NULL, 0);
    assert_ok(r);
    assert_int_equal(r.mr[0], KAAL_CAP_NULL);
    args[0] = (1u << 4) | 3;
    KT_REJECT(r, kt_invoke(FREE(0), KAAL_CNODE_IDENTIFY, args, 2, NULL, 0), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_GUARD_MISMATCH, 6, 1, 2);
    args[0] = (2u << 4) | 3;
    args[1] = 4;
    KT_REJECT(r, kt_invoke(FREE(0), KAAL_CNODE_IDENTIFY, args, 2, NULL, 0), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 0, KAAL_LOOKUP_DEPTH_MISMATCH, 4, 6, 0);
    args[1] = 65;
    KT_REJECT(r, kt_invoke(FREE(0), KAAL_CNODE_IDENTIFY, args, 2, NULL, 0), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 1, 1, 64);
}

/* A thread without an IPC buffer gets the four register words only. */
static void test_identify_without_an_ipc_buffer(void **state)
{
    (void)state;
    struct tcb *a = kt_thread(FREE(10), 100);
    kt_assert_success(kt_revoke(FREE(12))); /* its IPC buffer frame's copy in the TCB goes */
    assert_null(tcb_ipc_buffer(a));
    kt_assert_success(kt_mint(FREE(0), EP, KAAL_RIGHTS_ALL, 0x99));
    kt_act(a);
    struct kresult r = op(KAAL_CNODE_IDENTIFY, (const kaal_word_t[]){FREE(0), KT_DEPTH}, 2, 0);
    assert_ok(r);
    assert_int_equal(r.count, KAAL_MSG_REGISTERS);
    assert_int_equal(r.mr[0], KAAL_CAP_ENDPOINT);
    assert_int_equal(r.mr[3], 0x99);
}

/* ---- target lookups and malformed requests ---- */

static void test_delete_and_revoke_target_lookup(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t labels[] = {KAAL_CNODE_DELETE, KAAL_CNODE_REVOKE, KAAL_CNODE_IDENTIFY};
    for (unsigned i = 0; i < ARRAY_SIZE(labels); i++) {
        kaal_word_t depth0[] = {EP, 0};
        KT_REJECT(r, op(labels[i], depth0, 2, 0), KAAL_ERR_RANGE_ERROR);
        assert_detail(r, 1, 1, 64);
        kaal_word_t bad_guard[] = {BIT(63) | EP, KT_DEPTH};
        KT_REJECT(r, op(labels[i], bad_guard, 2, 0), KAAL_ERR_FAILED_LOOKUP);
        assert_detail(r, 0, KAAL_LOOKUP_GUARD_MISMATCH, 64, BIT(63 - KAAL_ROOT_CNODE_RADIX),
                      64 - KAAL_ROOT_CNODE_RADIX);
        kaal_word_t short_depth[] = {EP, 8};
        KT_REJECT(r, op(labels[i], short_depth, 2, 0), KAAL_ERR_FAILED_LOOKUP);
        assert_detail(r, 0, KAAL_LOOKUP_DEPTH_MISMATCH, 8, 64, 0);
    }
}

static void test_invalid_labels(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t args[] = {FREE(0), KT_DEPTH, EP, KT_DEPTH, KAAL_RIGHTS_ALL, 0};
    kaal_word_t labels[] = {0, KAAL_UNTYPED_RETYPE, KAAL_CNODE_COPY - 1, KAAL_CNODE_IDENTIFY + 1,
                            KAAL_TCB_GET_INFO,
                            (kaal_word_t)1 << 51};
    for (unsigned i = 0; i < ARRAY_SIZE(labels); i++) {
        KT_REJECT(r, op(labels[i], args, 6, 1), KAAL_ERR_ILLEGAL_OPERATION);
        assert_detail(r, KAAL_ILLEGAL_LABEL);
    }
}

struct shape {
    kaal_word_t label;
    unsigned words, caps;
};

static void test_truncated_message_for_each_label(void **state)
{
    (void)state;
    struct kresult r;
    static const struct shape shapes[] = {
        {KAAL_CNODE_COPY, 5, 1},   {KAAL_CNODE_MINT, 6, 1},   {KAAL_CNODE_MOVE, 4, 1},
        {KAAL_CNODE_MUTATE, 5, 1}, {KAAL_CNODE_DELETE, 2, 0}, {KAAL_CNODE_REVOKE, 2, 0},
        {KAAL_CNODE_IDENTIFY, 2, 0},
    };
    kaal_word_t args[] = {FREE(0), KT_DEPTH, EP, KT_DEPTH, KAAL_RIGHTS_ALL, 0};
    for (unsigned i = 0; i < ARRAY_SIZE(shapes); i++) {
        const struct shape *s = &shapes[i];
        for (unsigned words = 0; words < s->words; words++) {
            KT_REJECT(r, op(s->label, args, words, s->caps), KAAL_ERR_TRUNCATED_MESSAGE);
            assert_detail(r, s->words, s->caps);
        }
        if (s->caps > 0) {
            KT_REJECT(r, op(s->label, args, s->words, 0), KAAL_ERR_TRUNCATED_MESSAGE);
            assert_detail(r, s->words, s->caps);
        }
    }
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup_objects, kt_teardown)
    const struct CMUnitTest tests[] = {
        T(test_copy_makes_a_child_to_the_same_object),
        T(test_rights_only_shrink),
        T(test_rights_word_with_unknown_bits),
        T(test_copy_dest_occupied),
        T(test_copy_src_empty),
        T(test_copy_untyped_with_children),
        T(test_copy_untyped_without_children),
        T(test_rights_mask_applies_only_to_types_with_rights),
        T(test_mint_badges_endpoint_and_notification),
        T(test_badge_is_set_once),
        T(test_data_on_a_type_without_data),
        T(test_cnode_guard_by_mint),
        T(test_cnode_guard_by_mutate),
        T(test_move_keeps_the_cdt_position),
        T(test_move_errors),
        T(test_mutate_sets_badge_and_moves),
        T(test_mutate_of_a_cap_with_children),
        T(test_delete_empty_slot_is_ok),
        T(test_delete_one_cap_children_move_up),
        T(test_deleting_last_cnode_cap_deletes_its_contents),
        T(test_revoke_deletes_all_descendants_not_siblings),
        T(test_revoke_without_children_changes_nothing),
        T(test_revoke_untyped_deletes_its_objects_and_their_copies),
        T(test_identify_empty_slot_and_root_caps),
        T(test_identify_untyped_cnode_endpoint_notification),
        T(test_identify_frames_tables_and_mappings),
        T(test_identify_irq_handler),
        T(test_identify_through_a_guard),
        T(test_identify_without_an_ipc_buffer),
        T(test_delete_and_revoke_target_lookup),
        T(test_invalid_labels),
        T(test_truncated_message_for_each_label),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
