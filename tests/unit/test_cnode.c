/* CNode Copy, Mint, Move, Mutate, Delete, Revoke: derivation rules and every refusal. */
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

/* ---- target lookups and malformed requests ---- */

static void test_delete_and_revoke_target_lookup(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t labels[] = {KAAL_CNODE_DELETE, KAAL_CNODE_REVOKE};
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
    kaal_word_t labels[] = {0, KAAL_UNTYPED_RETYPE, KAAL_CNODE_COPY - 1, KAAL_CNODE_REVOKE + 1,
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
        T(test_delete_and_revoke_target_lookup),
        T(test_invalid_labels),
        T(test_truncated_message_for_each_label),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
