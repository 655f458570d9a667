/*
 * libkaal's calls for the first system (TCB_GetInfo, CNode_Identify, boot
 * modules, the name tables) against the real core: the library's sources
 * with a syscall primitive that enters the core through the double, as the
 * root thread.
 */
#include "harness.h"

#include <kaal/core/entry.h>
#include <kaal/kaal.h>

/* ---- the syscall primitive on the double ---- */

struct kaal_ipc_buffer *kaal_ipc_buffer(void)
{
    return tcb_ipc_buffer(ks.current);
}

kaal_word_t kaal_syscall(kaal_word_t sysno, kaal_cptr_t cap, kaal_word_t info, kaal_word_t *badge)
{
    struct tcb *t = ks.current;
    struct kaal_ipc_buffer *buf = tcb_ipc_buffer(t);
    hal_ctx_set(&t->ctx, HAL_REG_SYSNO, sysno);
    hal_ctx_set(&t->ctx, HAL_REG_CPTR, cap);
    hal_ctx_set(&t->ctx, HAL_REG_MSGINFO, info);
    for (unsigned i = 0; i < KAAL_MSG_REGISTERS; i++)
        hal_ctx_set(&t->ctx, (enum hal_reg)(HAL_REG_MR0 + i), buf->msg[i]);
    double_console_clear();
    kernel_syscall();
    kt_check();
    for (unsigned i = 0; i < KAAL_MSG_REGISTERS; i++)
        buf->msg[i] = hal_ctx_get(&t->ctx, (enum hal_reg)(HAL_REG_MR0 + i));
    if (badge != NULL)
        *badge = hal_ctx_get(&t->ctx, HAL_REG_CPTR);
    return hal_ctx_get(&t->ctx, HAL_REG_MSGINFO);
}

/* ---- the tests ---- */

#define SLOT(i) (kt_bootinfo()->empty.start + (i))

static void test_thread_info(void **state)
{
    (void)state;
    struct kaal_thread_info info = {0};
    assert_int_equal(kaal_tcb_get_info(KAAL_ROOT_SLOT_TCB, &info), KAAL_OK);
    assert_int_equal(info.state, KAAL_THREAD_RUNNING);
    assert_int_equal(info.priority, 255);
    assert_int_equal(info.mcp, 255);
    assert_int_equal(info.fault, 0);
    assert_string_equal(kaal_thread_state_name(info.state), "running");

    kaal_cptr_t ut = kaal_bootinfo_largest_untyped(kt_bootinfo());
    assert_int_equal(kaal_untyped_retype(ut, KAAL_OBJ_TCB, 0, KT_ROOT, 0, 0, SLOT(0), 1), KAAL_OK);
    assert_int_equal(kaal_tcb_set_mc_priority(SLOT(0), KAAL_ROOT_SLOT_TCB, 9), KAAL_OK);
    assert_int_equal(kaal_tcb_get_info(SLOT(0), &info), KAAL_OK);
    assert_int_equal(info.state, KAAL_THREAD_INACTIVE);
    assert_int_equal(info.priority, 0);
    assert_int_equal(info.mcp, 9);
    assert_int_equal(kaal_tcb_get_info(SLOT(0), NULL), KAAL_OK);

    /* An error leaves *info alone and its detail in the message registers. */
    info.state = 77;
    assert_int_equal(kaal_tcb_get_info(KT_ROOT, &info), KAAL_ERR_ILLEGAL_OPERATION);
    assert_int_equal(kaal_get_mr(0), KAAL_ILLEGAL_LABEL);
    assert_int_equal(info.state, 77);

    static const char *const names[] = {"inactive", "running", "blocked-send", "blocked-recv", "blocked-reply",
                                        "blocked-notification"};
    for (kaal_word_t s = 0; s < ARRAY_SIZE(names); s++)
        assert_string_equal(kaal_thread_state_name(s), names[s]);
    assert_string_equal(kaal_thread_state_name(6), "unknown");
}

static void test_cap_info(void **state)
{
    (void)state;
    struct kaal_cap_info info;
    assert_int_equal(kaal_cnode_identify(KT_ROOT, KAAL_ROOT_SLOT_CNODE, KT_DEPTH, &info), KAAL_OK);
    assert_int_equal(info.type, KAAL_CAP_CNODE);
    assert_string_equal(kaal_cap_type_name(info.type), "CNode");
    assert_int_equal(info.size_bits, KAAL_ROOT_CNODE_RADIX);
    assert_int_equal(KAAL_CNODE_DATA_GUARD_BITS(info.data), 64 - KAAL_ROOT_CNODE_RADIX);

    /* All six words arrive, the last two through the IPC buffer. */
    kaal_cptr_t ut = kaal_bootinfo_largest_untyped(kt_bootinfo());
    kaal_word_t vs = SLOT(0), pud = SLOT(1), pd = SLOT(2), pt = SLOT(3), frame = SLOT(4);
    static const kaal_word_t types[] = {KAAL_OBJ_VSPACE, KAAL_OBJ_PAGE_UPPER_DIR, KAAL_OBJ_PAGE_DIR,
                                        KAAL_OBJ_PAGE_TABLE};
    for (unsigned i = 0; i < ARRAY_SIZE(types); i++)
        assert_int_equal(kaal_untyped_retype(ut, types[i], 0, KT_ROOT, 0, 0, SLOT(i), 1), KAAL_OK);
    assert_int_equal(kaal_untyped_retype(ut, KAAL_OBJ_FRAME, 12, KT_ROOT, 0, 0, frame, 1), KAAL_OK);
    assert_int_equal(kaal_page_table_map(pud, vs, 0), KAAL_OK);
    assert_int_equal(kaal_page_table_map(pd, vs, 0), KAAL_OK);
    assert_int_equal(kaal_page_table_map(pt, vs, 0), KAAL_OK);
    assert_int_equal(kaal_frame_map(frame, vs, 0x3000, KAAL_RIGHT_READ, 0, NULL), KAAL_OK);
    assert_int_equal(kaal_cnode_identify(KT_ROOT, frame, KT_DEPTH, &info), KAAL_OK);
    assert_int_equal(info.type, KAAL_CAP_FRAME);
    assert_int_equal(info.rights, KAAL_RIGHTS_ALL);
    assert_int_equal(info.size_bits, 12);
    assert_int_equal(info.data, 0x3000);
    assert_int_equal(info.flags, KAAL_CAP_INFO_MAPPED);
    assert_int_equal(info.mapping_asid, kt_slot(vs)->cap.data);

    assert_int_equal(kaal_cnode_identify(KT_ROOT, SLOT(9), KT_DEPTH, &info), KAAL_OK);
    assert_int_equal(info.type, KAAL_CAP_NULL);
    assert_int_equal(kaal_cnode_identify(KT_ROOT, SLOT(9), KT_DEPTH, NULL), KAAL_OK);
    info.type = 99;
    assert_int_equal(kaal_cnode_identify(KT_ROOT, SLOT(9), 0, &info), KAAL_ERR_RANGE_ERROR);
    assert_int_equal(info.type, 99);

    static const struct {
        kaal_word_t type;
        const char *name;
    } names[] = {
        {KAAL_CAP_NULL, "Null"},          {KAAL_CAP_UNTYPED, "Untyped"},       {KAAL_CAP_CNODE, "CNode"},
        {KAAL_CAP_TCB, "TCB"},            {KAAL_CAP_ENDPOINT, "Endpoint"},     {KAAL_CAP_NOTIFICATION, "Notification"},
        {KAAL_CAP_FRAME, "Frame"},        {KAAL_CAP_VSPACE, "VSpace"},         {KAAL_CAP_PAGE_UPPER_DIR, "PageUpperDir"},
        {KAAL_CAP_PAGE_DIR, "PageDir"},   {KAAL_CAP_PAGE_TABLE, "PageTable"}, {KAAL_CAP_REPLY, "Reply"},
        {KAAL_CAP_IRQ_CONTROL, "IRQControl"}, {KAAL_CAP_IRQ_HANDLER, "IRQHandler"}, {KAAL_CAP_ZOMBIE, "Zombie"},
        {11, "Unknown"},                  {33, "Unknown"},
    };
    for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
        assert_string_equal(kaal_cap_type_name(names[i].type), names[i].name);
        /* The same names as the kernel log uses. */
        assert_string_equal(kaal_cap_type_name(names[i].type), cap_type_name((unsigned)names[i].type));
    }
}

static void test_bootinfo_module(void **state)
{
    (void)state;
    struct kaal_bootinfo bi = {0};
    assert_null(kaal_bootinfo_module(&bi, KAAL_MODULE_DTB));
    bi.module_count = 3;
    bi.modules[0] = (struct kaal_boot_module){.kind = KAAL_MODULE_COMPONENTS, .size = 1};
    bi.modules[1] = (struct kaal_boot_module){.kind = KAAL_MODULE_DTB, .size = 2};
    bi.modules[2] = (struct kaal_boot_module){.kind = KAAL_MODULE_DTB, .size = 3};
    assert_ptr_equal(kaal_bootinfo_module(&bi, KAAL_MODULE_DTB), &bi.modules[1]); /* the first of its kind */
    assert_ptr_equal(kaal_bootinfo_module(&bi, KAAL_MODULE_COMPONENTS), &bi.modules[0]);
    assert_null(kaal_bootinfo_module(&bi, 7));
    bi.modules[5].kind = 7; /* past the count: not listed */
    assert_null(kaal_bootinfo_module(&bi, 7));
    bi.module_count = 1000; /* a corrupt count reads no further than the array */
    bi.modules[KAAL_BOOTINFO_MAX_MODULES - 1].kind = 9;
    assert_ptr_equal(kaal_bootinfo_module(&bi, 9), &bi.modules[KAAL_BOOTINFO_MAX_MODULES - 1]);
    assert_null(kaal_bootinfo_module(&bi, 10));

    /* The real boot info of the harness's boot has none. */
    assert_int_equal(kt_bootinfo()->module_count, 0);
    assert_null(kaal_bootinfo_module(kt_bootinfo(), KAAL_MODULE_DTB));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_thread_info, kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_cap_info, kt_setup, kt_teardown),
        cmocka_unit_test_setup_teardown(test_bootinfo_module, kt_setup, kt_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
