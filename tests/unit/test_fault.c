/* Faults: each kind delivered to the fault endpoint as a Call, the handler's answers, and no handler at all. */
#include "harness.h"

#include <string.h>

#include <kaal/abi/faults.h>
#include <kaal/core/entry.h>

#define EP 150u  /* the fault endpoint */
#define EPB 151u /* a badged copy: what the faulting thread's TCB holds */
#define EPR 152u /* a copy without the Write right */
#define EMPTY 160u
#define BADGE 0x77u

/* kt_thread() slot groups (TCB, VSpace, frame). */
#define H 200  /* handler */
#define F 210  /* faulting thread */
#define F2 220 /* another faulting thread */

#define PC 0x401000u
#define SP 0x7fff0u

static struct tcb *handler, *faulter;

static void configure_fault_ep(kaal_word_t tcb, kaal_word_t fault_cptr)
{
    kt_act(kt_root_thread());
    kaal_word_t args[] = {0, fault_cptr};
    kaal_word_t caps[] = {KT_ROOT, tcb + 1, tcb + 2};
    kt_assert_success(kt_invoke(tcb, KAAL_TCB_CONFIGURE, args, 2, caps, 3));
}

/* Handler and faulting thread at one priority; the faulting thread's fault endpoint is EPB. */
static void setup(void)
{
    assert_ok(kt_retype(kt_first_untyped(), KAAL_OBJ_ENDPOINT, 0, 0, 0, EP, 1));
    kt_assert_success(kt_mint(EPB, EP, KAAL_RIGHTS_ALL, BADGE));
    handler = kt_thread(H, 100);
    faulter = kt_thread(F, 100);
    configure_fault_ep(F, EPB);
    hal_ctx_set_pc(&faulter->ctx, PC);
    hal_ctx_set_sp(&faulter->ctx, SP);
}

static void handler_waits(void)
{
    kt_act(handler);
    kt_raw(KAAL_SYS_RECV, EP, 0, NULL, 0, NULL, 0);
    assert_int_equal(handler->state, THREAD_BLOCKED_RECV);
}

static void handler_replies(kaal_word_t label, const kaal_word_t *words, unsigned n)
{
    kt_act(handler);
    kt_raw(KAAL_SYS_REPLY, 0, kaal_msginfo(label, 0, 0, n), words, n, NULL, 0);
}

static void vm_fault(struct tcb *t, kaal_word_t address)
{
    kt_act(t);
    double_console_clear();
    kernel_vm_fault(address, KAAL_VM_ACCESS_WRITE, 0x92);
    kt_check();
}

/* The faulting thread waits for the handler's answer, which holds the reply cap. */
static void assert_waiting_for_handler(struct tcb *t)
{
    assert_int_equal(t->state, THREAD_BLOCKED_REPLY);
    assert_ptr_equal(t->reply_held_at, &handler->slots[TCB_SLOT_REPLY]);
    assert_int_equal(handler->slots[TCB_SLOT_REPLY].cap.type, CAP_REPLY);
    assert_ptr_equal(tcb_of(&handler->slots[TCB_SLOT_REPLY].cap), t);
    assert_int_equal(handler->state, THREAD_RUNNING);
}

static unsigned occurrences(const char *text)
{
    unsigned n = 0;
    for (const char *p = strstr(double_console(), text); p != NULL; p = strstr(p + 1, text))
        n++;
    return n;
}

/* ---- delivery of each kind ---- */

static void test_unknown_syscall_is_delivered_to_the_fault_handler(void **state)
{
    (void)state;
    setup();
    handler_waits();
    kt_act(faulter);
    kaal_word_t args[] = {0xa0, 0xa1, 0xa2, 0xa3};
    kt_raw(0x55, 0x1234, 0x5678, args, 4, NULL, 0);

    assert_waiting_for_handler(faulter);
    assert_int_equal(faulter->fault.type, KAAL_FAULT_UNKNOWN_SYSCALL);
    struct kd_message m = kd_message(handler);
    assert_int_equal(m.label, KAAL_FAULT_UNKNOWN_SYSCALL);
    assert_int_equal(m.length, KAAL_FAULT_SYSCALL_WORDS);
    assert_int_equal(m.badge, BADGE);
    assert_int_equal(m.extra_caps, 0);
    assert_int_equal(m.mr[KAAL_FAULT_SYSCALL_PC], PC);
    assert_int_equal(m.mr[KAAL_FAULT_SYSCALL_SP], SP);
    assert_int_equal(m.mr[KAAL_FAULT_SYSCALL_NUMBER], 0x55);
    assert_int_equal(m.mr[KAAL_FAULT_SYSCALL_ARG0], 0x1234);     /* the CPtr register */
    assert_int_equal(m.mr[KAAL_FAULT_SYSCALL_ARG0 + 1], 0x5678); /* MSGINFO */
    assert_int_equal(m.mr[KAAL_FAULT_SYSCALL_ARG0 + 2], 0xa0);
    assert_int_equal(m.mr[KAAL_FAULT_SYSCALL_ARG0 + 3], 0xa1);
    assert_int_equal(m.mr[KAAL_FAULT_SYSCALL_ARG0 + 4], 0xa2);
    assert_int_equal(tcb_ipc_buffer(handler)->msg[KAAL_FAULT_SYSCALL_ARG0 + 5], 0xa3);

    /* RESUME: the thread goes on after the syscall instruction; nothing is re-run. */
    handler_replies(KAAL_FAULT_RESUME, NULL, 0);
    assert_int_equal(faulter->state, THREAD_RUNNING);
    assert_int_equal(faulter->fault.type, 0);
    assert_int_equal(hal_ctx_pc(&faulter->ctx), PC);
    assert_int_equal(faulter->ctx.restart, 0);
    assert_true(slot_is_empty(&handler->slots[TCB_SLOT_REPLY]));
    assert_null(faulter->reply_held_at);
}

static void test_vm_fault_is_delivered_to_the_fault_handler(void **state)
{
    (void)state;
    setup();
    handler_waits();
    vm_fault(faulter, 0xdead008);

    assert_waiting_for_handler(faulter);
    struct kd_message m = kd_message(handler);
    assert_int_equal(m.label, KAAL_FAULT_VM);
    assert_int_equal(m.length, KAAL_FAULT_VM_WORDS);
    assert_int_equal(m.badge, BADGE);
    assert_int_equal(m.mr[KAAL_FAULT_VM_PC], PC);
    assert_int_equal(m.mr[KAAL_FAULT_VM_ADDRESS], 0xdead008);
    assert_int_equal(m.mr[KAAL_FAULT_VM_ACCESS], KAAL_VM_ACCESS_WRITE);
    assert_int_equal(m.mr[KAAL_FAULT_VM_CODE], 0x92);
    /* The handler runs next among its equals; the faulting thread left the ready queue. */
    assert_ready(100, handler);

    handler_replies(KAAL_FAULT_RESUME, NULL, 0);
    assert_int_equal(faulter->state, THREAD_RUNNING);
    assert_int_equal(hal_ctx_pc(&faulter->ctx), PC); /* the access is retried */
    assert_ready(100, handler, faulter);
}

static void test_user_exception_is_delivered_to_the_fault_handler(void **state)
{
    (void)state;
    setup();
    handler_waits();
    kt_act(faulter);
    kernel_user_exception(7, 0x99);
    kt_check();

    assert_waiting_for_handler(faulter);
    struct kd_message m = kd_message(handler);
    assert_int_equal(m.label, KAAL_FAULT_USER_EXCEPTION);
    assert_int_equal(m.length, KAAL_FAULT_EXCEPTION_WORDS);
    assert_int_equal(m.badge, BADGE);
    assert_int_equal(m.mr[KAAL_FAULT_EXCEPTION_PC], PC);
    assert_int_equal(m.mr[KAAL_FAULT_EXCEPTION_SP], SP);
    assert_int_equal(m.mr[KAAL_FAULT_EXCEPTION_CODE], 7);
    assert_int_equal(m.mr[KAAL_FAULT_EXCEPTION_DETAIL], 0x99);
}

static void test_cap_fault_on_send_is_delivered_and_the_syscall_restarts(void **state)
{
    (void)state;
    setup();
    handler_waits();
    kt_act(faulter);
    kt_raw(KAAL_SYS_SEND, EMPTY, kaal_msginfo(1, 0, 0, 0), NULL, 0, NULL, 0);

    assert_waiting_for_handler(faulter);
    struct kd_message m = kd_message(handler);
    assert_int_equal(m.label, KAAL_FAULT_CAP);
    assert_int_equal(m.length, KAAL_FAULT_CAP_WORDS);
    assert_int_equal(m.badge, BADGE);
    assert_int_equal(m.mr[KAAL_FAULT_CAP_PC], PC);
    assert_int_equal(m.mr[KAAL_FAULT_CAP_CPTR], EMPTY);
    assert_int_equal(m.mr[KAAL_FAULT_CAP_RECEIVING], 0);
    assert_int_equal(m.mr[KAAL_FAULT_CAP_KIND], KAAL_LOOKUP_MISSING_CAP);
    assert_int_equal(m.mr[KAAL_FAULT_CAP_BITS_LEFT], 0);
    assert_int_equal(m.mr[KAAL_FAULT_CAP_DETAIL], 0);
    assert_int_equal(faulter->ctx.restart, 1);

    /* After RESUME the Send runs again and, the slot still being empty, faults again. */
    handler_replies(KAAL_FAULT_RESUME, NULL, 0);
    assert_int_equal(faulter->state, THREAD_RUNNING);
    kt_act(faulter);
    assert_true(kt_restart());
    assert_int_equal(faulter->state, THREAD_BLOCKED_SEND); /* the handler is not receiving now */
    assert_queue(&endpoint_of(&kt_slot(EP)->cap)->queue, faulter);
    assert_int_equal(faulter->fault.type, KAAL_FAULT_CAP);
}

static void test_cap_fault_on_recv_reports_receiving_and_the_lookup_failure(void **state)
{
    (void)state;
    setup();
    /* A guard mismatch: which guard was found, and the bits left. */
    handler_waits();
    kt_act(faulter);
    kt_raw(KAAL_SYS_RECV, 1ull << 60, 0, NULL, 0, NULL, 0);
    assert_waiting_for_handler(faulter);
    struct kd_message m = kd_message(handler);
    assert_int_equal(m.label, KAAL_FAULT_CAP);
    assert_int_equal(m.mr[KAAL_FAULT_CAP_CPTR], 1ull << 60);
    assert_int_equal(m.mr[KAAL_FAULT_CAP_RECEIVING], 1);
    assert_int_equal(m.mr[KAAL_FAULT_CAP_KIND], KAAL_LOOKUP_GUARD_MISMATCH);
    assert_int_equal(m.mr[KAAL_FAULT_CAP_BITS_LEFT], 64);
    assert_int_equal(m.mr[KAAL_FAULT_CAP_DETAIL], 1ull << 48);
    handler_replies(KAAL_FAULT_RESUME, NULL, 0);

    /* The cap is there but cannot receive (a TCB): kind 0. */
    handler_waits();
    kt_act(faulter);
    kt_raw(KAAL_SYS_NB_RECV, H, 0, NULL, 0, NULL, 0);
    assert_waiting_for_handler(faulter);
    m = kd_message(handler);
    assert_int_equal(m.mr[KAAL_FAULT_CAP_CPTR], H);
    assert_int_equal(m.mr[KAAL_FAULT_CAP_RECEIVING], 1);
    assert_int_equal(m.mr[KAAL_FAULT_CAP_KIND], 0);
    assert_int_equal(m.mr[KAAL_FAULT_CAP_BITS_LEFT], 0);
    handler_replies(KAAL_FAULT_RESUME, NULL, 0);

    /* An endpoint without Write cannot be sent to: kind 0, not receiving. */
    kt_act(kt_root_thread());
    kt_assert_success(kt_copy(EPR, EP, KAAL_RIGHT_READ));
    handler_waits();
    kt_act(faulter);
    kt_raw(KAAL_SYS_NB_SEND, EPR, 0, NULL, 0, NULL, 0);
    assert_waiting_for_handler(faulter);
    m = kd_message(handler);
    assert_int_equal(m.mr[KAAL_FAULT_CAP_CPTR], EPR);
    assert_int_equal(m.mr[KAAL_FAULT_CAP_RECEIVING], 0);
    assert_int_equal(m.mr[KAAL_FAULT_CAP_KIND], 0);
}

/* ---- the handler's answer ---- */

static void test_resume_at_sets_pc_and_sp(void **state)
{
    (void)state;
    setup();
    handler_waits();
    vm_fault(faulter, 0x1000);
    kaal_word_t where[] = {0x5000, 0x6000};
    handler_replies(KAAL_FAULT_RESUME_AT, where, 2);
    assert_int_equal(faulter->state, THREAD_RUNNING);
    assert_int_equal(hal_ctx_pc(&faulter->ctx), 0x5000);
    assert_int_equal(hal_ctx_sp(&faulter->ctx), 0x6000);
    assert_int_equal(faulter->fault.type, 0);
}

static void test_resume_at_without_both_words_leaves_the_thread_stopped(void **state)
{
    (void)state;
    setup();
    handler_waits();
    vm_fault(faulter, 0x1000);
    kaal_word_t where[] = {0x5000};
    handler_replies(KAAL_FAULT_RESUME_AT, where, 1);
    assert_int_equal(faulter->state, THREAD_INACTIVE);
    assert_int_equal(hal_ctx_pc(&faulter->ctx), PC);
    assert_int_equal(hal_ctx_sp(&faulter->ctx), SP);
}

static void test_any_other_answer_leaves_the_thread_stopped(void **state)
{
    (void)state;
    setup();
    handler_waits();
    vm_fault(faulter, 0x1000);
    kaal_word_t words[] = {0x5000, 0x6000};
    handler_replies(2, words, 2);
    assert_int_equal(faulter->state, THREAD_INACTIVE);
    assert_int_equal(faulter->fault.type, 0);
    assert_null(faulter->reply_held_at);
    assert_ready(100, handler);
    assert_int_equal(hal_ctx_pc(&faulter->ctx), PC);
    assert_true(kt_logged("stays stopped"));

    /* Stopped, not gone: Resume runs it again. */
    kt_act(kt_root_thread());
    kt_assert_success(kt_invoke(F, KAAL_TCB_RESUME, NULL, 0, NULL, 0));
    assert_int_equal(faulter->state, THREAD_RUNNING);
}

/* ---- no usable handler ---- */

static void test_no_fault_endpoint_stops_the_thread_with_one_log_line(void **state)
{
    (void)state;
    struct tcb *t = kt_thread(F, 100);
    static const char *const names[] = {"unknown syscall", "VM fault", "user exception", "capability fault"};
    for (unsigned kind = 0; kind < ARRAY_SIZE(names); kind++) {
        kt_act(kt_root_thread());
        if (t->state != THREAD_RUNNING)
            kt_assert_success(kt_invoke(F, KAAL_TCB_RESUME, NULL, 0, NULL, 0));
        kt_act(t);
        double_console_clear();
        switch (kind) {
        case 0:
            kd_syscall(0x99, 0, 0, NULL, 0, NULL, 0);
            break;
        case 1:
            kernel_vm_fault(0x2000, KAAL_VM_ACCESS_READ, 0);
            break;
        case 2:
            kernel_user_exception(1, 2);
            break;
        default:
            kd_syscall(KAAL_SYS_SEND, EMPTY, 0, NULL, 0, NULL, 0);
            break;
        }
        kt_check();
        assert_int_equal(t->state, THREAD_INACTIVE);
        assert_int_equal(t->fault.type, 0);
        assert_ready_empty(100);
        assert_ptr_equal(ks.current, kt_root_thread());
        assert_int_equal(occurrences("no fault handler"), 1);
        if (kind != 3) /* a cap fault also logs why the lookup failed (debug builds) */
            assert_int_equal(occurrences("\n"), 1);
        assert_true(kt_logged(names[kind]));
    }
}

static void test_fault_endpoint_without_write_right_counts_as_none(void **state)
{
    (void)state;
    setup();
    kt_assert_success(kt_copy(EPR, EP, KAAL_RIGHT_READ | KAAL_RIGHT_GRANT));
    configure_fault_ep(F, EPR);
    handler_waits();
    vm_fault(faulter, 0x3000);
    assert_int_equal(faulter->state, THREAD_INACTIVE);
    assert_int_equal(occurrences("no fault handler"), 1);
    /* Nothing reached the handler. */
    assert_int_equal(handler->state, THREAD_BLOCKED_RECV);
    assert_queue(&endpoint_of(&kt_slot(EP)->cap)->queue, handler);
}

/* ---- timing: the handler not yet there, several faults, cancelled faults ---- */

static void test_fault_waits_until_the_handler_receives(void **state)
{
    (void)state;
    setup();
    struct endpoint *ep = endpoint_of(&kt_slot(EP)->cap);
    vm_fault(faulter, 0x4000);
    assert_int_equal(faulter->state, THREAD_BLOCKED_SEND);
    assert_queue(&ep->queue, faulter);
    assert_int_equal(faulter->fault.type, KAAL_FAULT_VM);
    assert_ready(100, handler);

    kt_act(handler);
    kt_raw(KAAL_SYS_RECV, EP, 0, NULL, 0, NULL, 0);
    assert_waiting_for_handler(faulter);
    assert_queue_empty(&ep->queue);
    struct kd_message m = kd_message(handler);
    assert_int_equal(m.label, KAAL_FAULT_VM);
    assert_int_equal(m.badge, BADGE);
    assert_int_equal(m.mr[KAAL_FAULT_VM_ADDRESS], 0x4000);
}

static void test_faults_of_several_threads_are_served_in_order(void **state)
{
    (void)state;
    setup();
    struct tcb *second = kt_thread(F2, 100);
    configure_fault_ep(F2, EP); /* unbadged */
    vm_fault(faulter, 0x1111000);
    vm_fault(second, 0x2222000);
    assert_queue(&endpoint_of(&kt_slot(EP)->cap)->queue, faulter, second);

    kt_act(handler);
    kt_raw(KAAL_SYS_RECV, EP, 0, NULL, 0, NULL, 0);
    assert_int_equal(kd_message(handler).mr[KAAL_FAULT_VM_ADDRESS], 0x1111000);
    assert_int_equal(kd_message(handler).badge, BADGE);

    /* ReplyRecv: the first resumes, the second's fault arrives in the same syscall. */
    kt_act(handler);
    kt_raw(KAAL_SYS_REPLY_RECV, EP, kaal_msginfo(KAAL_FAULT_RESUME, 0, 0, 0), NULL, 0, NULL, 0);
    assert_int_equal(faulter->state, THREAD_RUNNING);
    assert_waiting_for_handler(second);
    assert_int_equal(kd_message(handler).mr[KAAL_FAULT_VM_ADDRESS], 0x2222000);
    assert_int_equal(kd_message(handler).badge, 0);
}

static void test_suspending_a_faulted_thread_drops_the_fault(void **state)
{
    (void)state;
    setup();
    handler_waits();
    vm_fault(faulter, 0x5000);
    assert_waiting_for_handler(faulter);

    kt_act(kt_root_thread());
    kt_assert_success(kt_invoke(F, KAAL_TCB_SUSPEND, NULL, 0, NULL, 0));
    assert_int_equal(faulter->state, THREAD_INACTIVE);
    assert_int_equal(faulter->fault.type, 0);
    assert_true(slot_is_empty(&handler->slots[TCB_SLOT_REPLY]));
    /* Not a syscall: on resume the faulting instruction runs again, nothing restarts. */
    assert_int_equal(faulter->ctx.restart, 0);

    handler_replies(KAAL_FAULT_RESUME, NULL, 0); /* nobody to answer any more */
    assert_int_equal(faulter->state, THREAD_INACTIVE);
    kt_act(kt_root_thread());
    kt_assert_success(kt_invoke(F, KAAL_TCB_RESUME, NULL, 0, NULL, 0));
    assert_int_equal(faulter->state, THREAD_RUNNING);
}

static void test_fault_endpoint_destroyed_while_a_fault_waits(void **state)
{
    (void)state;
    setup();
    vm_fault(faulter, 0x6000);
    assert_int_equal(faulter->state, THREAD_BLOCKED_SEND);
    /* The copy in F's TCB becomes the last cap; replacing it destroys the endpoint. */
    kt_act(kt_root_thread());
    kt_assert_success(kt_delete(EPB));
    kt_assert_success(kt_delete(EP));
    configure_fault_ep(F, 0);
    assert_int_equal(kt_count_caps_of_type(CAP_ENDPOINT), 0);
    /* The thread runs again: the access re-runs and faults afresh (now without a handler). */
    assert_int_equal(faulter->state, THREAD_RUNNING);
    assert_int_equal(faulter->fault.type, 0);
    vm_fault(faulter, 0x6000);
    assert_int_equal(faulter->state, THREAD_INACTIVE);
    assert_true(kt_logged("no fault handler"));
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, kt_setup, kt_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_unknown_syscall_is_delivered_to_the_fault_handler),
        TEST(test_vm_fault_is_delivered_to_the_fault_handler),
        TEST(test_user_exception_is_delivered_to_the_fault_handler),
        TEST(test_cap_fault_on_send_is_delivered_and_the_syscall_restarts),
        TEST(test_cap_fault_on_recv_reports_receiving_and_the_lookup_failure),
        TEST(test_resume_at_sets_pc_and_sp),
        TEST(test_resume_at_without_both_words_leaves_the_thread_stopped),
        TEST(test_any_other_answer_leaves_the_thread_stopped),
        TEST(test_no_fault_endpoint_stops_the_thread_with_one_log_line),
        TEST(test_fault_endpoint_without_write_right_counts_as_none),
        TEST(test_fault_waits_until_the_handler_receives),
        TEST(test_faults_of_several_threads_are_served_in_order),
        TEST(test_suspending_a_faulted_thread_drops_the_fault),
        TEST(test_fault_endpoint_destroyed_while_a_fault_waits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
