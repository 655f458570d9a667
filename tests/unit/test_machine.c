/*
 * The Machine cap: the root task has one at boot (slot 7); Machine_PowerOff
 * hands the status to the backend's hal_cpu_halt (the double records it and
 * jumps back here); every refusal changes nothing.
 */
#include "harness.h"

#define MACHINE KAAL_ROOT_SLOT_MACHINE
#define COPY 300u

static struct kresult power_off(kaal_word_t cap, kaal_word_t status)
{
    kaal_word_t args[] = {status};
    return kt_invoke(cap, KAAL_MACHINE_POWER_OFF, args, 1, NULL, 0);
}

static void test_root_has_the_machine(void **state)
{
    (void)state;
    const struct slot *s = kt_slot(MACHINE);
    assert_int_equal(s->cap.type, CAP_MACHINE);
    assert_int_equal(s->cap.rights, KAAL_RIGHTS_ALL);
    assert_string_equal(cap_type_name(CAP_MACHINE), "Machine");
}

static void test_power_off_halts_with_the_status(void **state)
{
    (void)state;
    jmp_buf escape;
    double_halt = (struct double_halt){.escape = &escape};
    if (setjmp(escape) == 0) {
        power_off(MACHINE, 42);
        fail_msg("Machine_PowerOff returned");
    }
    assert_true(double_halt.halted);
    assert_int_equal(double_halt.status, 42);
    double_halt = (struct double_halt){0};
}

static void test_a_copy_powers_off_too(void **state)
{
    (void)state;
    kt_assert_success(kt_copy(COPY, MACHINE, KAAL_RIGHTS_ALL));
    jmp_buf escape;
    double_halt = (struct double_halt){.escape = &escape};
    if (setjmp(escape) == 0) {
        power_off(COPY, 255);
        fail_msg("Machine_PowerOff returned");
    }
    assert_int_equal(double_halt.status, 255);
    double_halt = (struct double_halt){0};
}

static void test_refusals_change_nothing(void **state)
{
    (void)state;
    struct kresult r;
    KT_REJECT(r, power_off(MACHINE, 256), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 0, 0, 255);
    KT_REJECT(r, kt_invoke(MACHINE, KAAL_MACHINE_POWER_OFF, NULL, 0, NULL, 0), KAAL_ERR_TRUNCATED_MESSAGE);
    assert_detail(r, 1, 0);
    KT_REJECT(r, kt_invoke(MACHINE, KAAL_MACHINE_POWER_OFF + 1, NULL, 0, NULL, 0), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_LABEL);
    assert_false(double_halt.halted);
}

static void test_deleting_it_leaves_no_way_to_power_off(void **state)
{
    (void)state;
    kt_assert_success(kt_delete(MACHINE));
    struct kresult r = power_off(MACHINE, 0);
    assert_int_equal(r.code, KAAL_ERR_FAILED_LOOKUP); /* the slot is empty now */
    assert_false(double_halt.halted);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, kt_setup, kt_teardown)
    const struct CMUnitTest tests[] = {
        T(test_root_has_the_machine), T(test_power_off_halts_with_the_status), T(test_a_copy_powers_off_too),
        T(test_refusals_change_nothing), T(test_deleting_it_leaves_no_way_to_power_off),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
