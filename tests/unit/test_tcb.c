/* TCB invocations: Configure, Read/WriteRegisters, Resume/Suspend, priorities and notification binding. */
#include "harness.h"

#include <kaal/abi/faults.h>
#include <kaal/core/tcb.h>

/* Root slots of the parts of a thread made by make_parts(). */
#define T 100    /* a fresh, unconfigured TCB */
#define VS 101   /* VSpace */
#define BUF 102  /* 4 KiB frame */
#define EP 103   /* endpoint */
#define NTFN 104 /* notification */
#define VS2 105
#define BUF2 106
#define EP2 107
#define CN 108    /* a CNode of radix 4 */
#define NTFN2 109
#define SPARE 110 /* free */
#define SPARE2 111

/* kt_thread() slot groups (TCB, VSpace, frame). */
#define A 200
#define B 210
#define C 220

#define FRAME_SIZE 4096u
#define BUFFER_ALIGN 10u /* IPC buffers are 1 KiB aligned inside their frame */

static void make(kaal_word_t type, kaal_word_t size, kaal_word_t slot)
{
    kt_assert_success(kt_retype(kt_first_untyped(), type, size, 0, 0, slot, 1));
}

static void make_parts(void)
{
    make(KAAL_OBJ_TCB, 0, T);
    make(KAAL_OBJ_VSPACE, 0, VS);
    make(KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, BUF);
    make(KAAL_OBJ_ENDPOINT, 0, EP);
    make(KAAL_OBJ_NOTIFICATION, 0, NTFN);
}

static struct kresult configure(kaal_word_t tcb, kaal_word_t offset, kaal_word_t fault, kaal_word_t cspace,
                                kaal_word_t vspace, kaal_word_t buffer)
{
    kaal_word_t args[] = {offset, fault};
    kaal_word_t caps[] = {cspace, vspace, buffer};
    return kt_invoke(tcb, KAAL_TCB_CONFIGURE, args, 2, caps, 3);
}

static struct kresult set_priority(kaal_word_t label, kaal_word_t tcb, kaal_word_t value, kaal_word_t authority)
{
    kaal_word_t args[] = {value};
    kaal_word_t caps[] = {authority};
    return kt_invoke(tcb, label, args, 1, caps, 1);
}

static struct kresult simple(kaal_word_t tcb, kaal_word_t label)
{
    return kt_invoke(tcb, label, NULL, 0, NULL, 0);
}

static struct kresult bind(kaal_word_t tcb, kaal_word_t ntfn)
{
    kaal_word_t caps[] = {ntfn};
    return kt_invoke(tcb, KAAL_TCB_BIND_NOTIFICATION, NULL, 0, caps, 1);
}

static kaal_word_t device_untyped(void)
{
    const struct kaal_bootinfo *bi = kt_bootinfo();
    for (kaal_word_t i = bi->untyped.start; i < bi->untyped.end; i++) {
        if (bi->untyped_list[i - bi->untyped.start].is_device)
            return i;
    }
    fail_msg("no device untyped at boot");
    return 0;
}

/* Let the root thread act again (after a test thread acted). */
static void root_acts(void)
{
    kt_act(kt_root_thread());
}

/* The root thread leaves the CPU so the threads under test are the highest runnable ones. */
static void root_sleeps(void)
{
    root_acts();
    kt_assert_success(simple(KAAL_ROOT_SLOT_TCB, KAAL_TCB_SUSPEND));
}

/* ---- Configure ---- */

static void test_configure_installs_children_of_the_given_caps(void **state)
{
    (void)state;
    make_parts();
    kaal_word_t before = kt_count_caps();
    kt_assert_success(configure(T, 1024, EP, KT_ROOT, VS, BUF));
    struct tcb *t = kt_tcb(T);
    assert_int_equal(kt_count_caps(), before + 4);

    static const struct {
        enum tcb_slot which;
        kaal_word_t src;
        unsigned type;
    } want[] = {
        {TCB_SLOT_CSPACE, KT_ROOT, CAP_CNODE},
        {TCB_SLOT_VSPACE, VS, CAP_VSPACE},
        {TCB_SLOT_IPC_BUFFER, BUF, CAP_FRAME},
        {TCB_SLOT_FAULT_EP, EP, CAP_ENDPOINT},
    };
    for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
        const struct slot *s = &t->slots[want[i].which];
        const struct slot *src = kt_slot(want[i].src);
        assert_int_equal(s->cap.type, want[i].type);
        /* A CDT child: a copy, so revoking the original takes it away again. */
        assert_ptr_equal(s->parent, src);
        assert_int_equal(s->cap.obj, src->cap.obj);
        assert_int_equal(s->cap.rights, src->cap.rights);
        assert_int_equal(s->cap.data, src->cap.data);
        assert_int_equal(s->cap.guard_bits, src->cap.guard_bits);
        assert_int_equal(s->cap.size_bits, src->cap.size_bits);
    }
    assert_true(slot_is_empty(&t->slots[TCB_SLOT_REPLY]));
    assert_int_equal(t->ipc_buffer_offset, 1024);
    assert_ptr_equal(tcb_ipc_buffer(t), (void *)(uintptr_t)(kt_slot(BUF)->cap.obj + 1024));
    /* Configure does not start the thread. */
    assert_int_equal(t->state, THREAD_INACTIVE);
    assert_int_equal(t->priority, 0);
    assert_int_equal(t->mcp, 0);
}

static void test_configure_fault_endpoint_keeps_badge_and_rights(void **state)
{
    (void)state;
    make_parts();
    kt_assert_success(kt_mint(SPARE, EP, KAAL_RIGHT_WRITE | KAAL_RIGHT_GRANT, 0x55));
    kt_assert_success(configure(T, 0, SPARE, KT_ROOT, VS, BUF));
    const struct slot *f = &kt_tcb(T)->slots[TCB_SLOT_FAULT_EP];
    assert_ptr_equal(f->parent, kt_slot(SPARE));
    assert_int_equal(f->cap.data, 0x55);
    assert_int_equal(f->cap.rights, KAAL_RIGHT_WRITE | KAAL_RIGHT_GRANT);
}

static void test_configure_ipc_buffer_offset_is_where_answers_go(void **state)
{
    (void)state;
    struct tcb *a = kt_thread(A, 100);
    kt_thread(B, 100);
    kt_assert_success(configure(A, 2048, 0, KT_ROOT, A + 1, A + 2));

    /* B's registers 4 and 5 are answer words 4 and 5: they only fit in the IPC buffer. */
    kaal_word_t regs[] = {0, 6, 10, 11, 12, 13, 14, 15};
    kt_assert_success(kt_invoke(B, KAAL_TCB_WRITE_REGISTERS, regs, ARRAY_SIZE(regs), NULL, 0));

    kt_act(a);
    kaal_word_t count[] = {6};
    struct kresult r = kt_invoke(B, KAAL_TCB_READ_REGISTERS, count, 1, NULL, 0);
    assert_ok(r);
    assert_int_equal(r.count, 6);
    word_t frame = kt_slot(A + 2)->cap.obj;
    const struct kaal_ipc_buffer *at = (const void *)(uintptr_t)(frame + 2048);
    const struct kaal_ipc_buffer *start = (const void *)(uintptr_t)frame;
    assert_int_equal(at->msg[4], 14);
    assert_int_equal(at->msg[5], 15);
    assert_int_equal(start->msg[4], 0);
    assert_int_equal(start->msg[5], 0);
}

static void test_configure_truncated(void **state)
{
    (void)state;
    make_parts();
    struct kresult r;
    kaal_word_t args[] = {0, 0};
    kaal_word_t caps[] = {KT_ROOT, VS, BUF};
    KT_REJECT(r, kt_invoke(T, KAAL_TCB_CONFIGURE, args, 1, caps, 3), KAAL_ERR_TRUNCATED_MESSAGE);
    assert_detail(r, 2, 3);
    KT_REJECT(r, kt_invoke(T, KAAL_TCB_CONFIGURE, args, 2, caps, 2), KAAL_ERR_TRUNCATED_MESSAGE);
    assert_detail(r, 2, 3);
    KT_REJECT(r, kt_invoke(T, KAAL_TCB_CONFIGURE, NULL, 0, NULL, 0), KAAL_ERR_TRUNCATED_MESSAGE);
    assert_detail(r, 2, 3);
}

static void test_configure_rejects_wrong_cap_types(void **state)
{
    (void)state;
    make_parts();
    const kaal_word_t devframe = SPARE, readonly = SPARE2;
    kt_assert_success(kt_retype(device_untyped(), KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, 0, 0, devframe, 1));
    kt_assert_success(kt_copy(readonly, BUF, KAAL_RIGHT_READ | KAAL_RIGHT_GRANT));
    static const struct {
        kaal_word_t cspace, vspace, buffer, position;
    } cases[] = {
        {VS, VS, BUF, KAAL_ARG_CAP(0)},           /* CSpace root is a VSpace */
        {EP, VS, BUF, KAAL_ARG_CAP(0)},           /* ... an endpoint */
        {KT_ROOT, BUF, BUF, KAAL_ARG_CAP(1)},     /* VSpace root is a frame */
        {KT_ROOT, KT_ROOT, BUF, KAAL_ARG_CAP(1)}, /* ... a CNode */
        {KT_ROOT, VS, VS, KAAL_ARG_CAP(2)},       /* IPC buffer is a VSpace */
        {KT_ROOT, VS, NTFN, KAAL_ARG_CAP(2)},     /* ... a notification */
        {KT_ROOT, VS, devframe, KAAL_ARG_CAP(2)}, /* ... a device frame: the kernel never touches those */
        {KT_ROOT, VS, readonly, KAAL_ARG_CAP(2)}, /* ... a frame cap without Write (a boot module's) */
        {VS, BUF, VS, KAAL_ARG_CAP(0)},           /* everything wrong: the first is reported */
    };
    struct kresult r;
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        KT_REJECT(r, configure(T, 0, 0, cases[i].cspace, cases[i].vspace, cases[i].buffer),
                  KAAL_ERR_INVALID_CAPABILITY);
        assert_detail(r, cases[i].position);
    }
}

static void test_configure_rejects_misaligned_buffer_offset(void **state)
{
    (void)state;
    make_parts();
    kaal_word_t offsets[] = {1, 8, 512, 1023, 1024 + 64, 3072 + 8};
    struct kresult r;
    for (unsigned i = 0; i < ARRAY_SIZE(offsets); i++) {
        KT_REJECT(r, configure(T, offsets[i], 0, KT_ROOT, VS, BUF), KAAL_ERR_ALIGNMENT_ERROR);
        assert_detail(r, 0, BUFFER_ALIGN);
    }
}

static void test_configure_rejects_buffer_past_the_frame(void **state)
{
    (void)state;
    make_parts();
    const kaal_word_t max = FRAME_SIZE - sizeof(struct kaal_ipc_buffer);
    kaal_word_t offsets[] = {FRAME_SIZE, 1ull << 20, ~0ull << BUFFER_ALIGN};
    struct kresult r;
    for (unsigned i = 0; i < ARRAY_SIZE(offsets); i++) {
        KT_REJECT(r, configure(T, offsets[i], 0, KT_ROOT, VS, BUF), KAAL_ERR_RANGE_ERROR);
        assert_detail(r, 0, 0, max);
    }
    /* The last aligned place the 576-byte buffer fits. */
    kt_assert_success(configure(T, 3072, 0, KT_ROOT, VS, BUF));
    assert_ptr_equal(tcb_ipc_buffer(kt_tcb(T)), (void *)(uintptr_t)(kt_slot(BUF)->cap.obj + 3072));

    /* A 2 MiB frame has room for far larger offsets; its limit is its own size. */
    make(KAAL_OBJ_FRAME, KAAL_FRAME_BITS_LARGE, BUF2);
    kt_assert_success(configure(T, 1ull << 20, 0, KT_ROOT, VS, BUF2));
    KT_REJECT(r, configure(T, 1ull << 21, 0, KT_ROOT, VS, BUF2), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 0, 0, (1ull << 21) - sizeof(struct kaal_ipc_buffer));
}

static void test_configure_rejects_bad_fault_endpoint(void **state)
{
    (void)state;
    make_parts();
    struct kresult r;
    /* The fault endpoint CPtr is message word 1, looked up in the invoker's CSpace. */
    KT_REJECT(r, configure(T, 0, SPARE, KT_ROOT, VS, BUF), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 1, KAAL_LOOKUP_MISSING_CAP, 0, 0, 0);
    KT_REJECT(r, configure(T, 0, 1ull << 60, KT_ROOT, VS, BUF), KAAL_ERR_FAILED_LOOKUP);
    assert_detail(r, 1, KAAL_LOOKUP_GUARD_MISMATCH, 64, 1ull << 48, 52);
    KT_REJECT(r, configure(T, 0, NTFN, KT_ROOT, VS, BUF), KAAL_ERR_INVALID_CAPABILITY);
    assert_detail(r, 1);
    KT_REJECT(r, configure(T, 0, T, KT_ROOT, VS, BUF), KAAL_ERR_INVALID_CAPABILITY);
    assert_detail(r, 1);
}

static void test_reconfigure_replaces_the_old_caps(void **state)
{
    (void)state;
    make_parts();
    make(KAAL_OBJ_VSPACE, 0, VS2);
    make(KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, BUF2);
    make(KAAL_OBJ_ENDPOINT, 0, EP2);
    make(KAAL_OBJ_CNODE, 4, CN);
    kt_assert_success(configure(T, 0, EP, KT_ROOT, VS, BUF));
    struct tcb *t = kt_tcb(T);
    kaal_word_t before = kt_count_caps();

    kt_assert_success(configure(T, 1024, EP2, CN, VS2, BUF2));
    assert_int_equal(kt_count_caps(), before); /* four caps out, four in */
    assert_ptr_equal(t->slots[TCB_SLOT_CSPACE].parent, kt_slot(CN));
    assert_ptr_equal(t->slots[TCB_SLOT_VSPACE].parent, kt_slot(VS2));
    assert_ptr_equal(t->slots[TCB_SLOT_IPC_BUFFER].parent, kt_slot(BUF2));
    assert_ptr_equal(t->slots[TCB_SLOT_FAULT_EP].parent, kt_slot(EP2));
    assert_null(kt_slot(VS)->first_child);
    assert_null(kt_slot(BUF)->first_child);
    assert_null(kt_slot(EP)->first_child);
    assert_int_equal(t->ipc_buffer_offset, 1024);

    /* Fault CPtr 0: no fault endpoint any more. */
    kt_assert_success(configure(T, 0, 0, CN, VS2, BUF2));
    assert_true(slot_is_empty(&t->slots[TCB_SLOT_FAULT_EP]));
    assert_null(kt_slot(EP2)->first_child);
    assert_int_equal(kt_count_caps(), before - 1);
    assert_int_equal(t->ipc_buffer_offset, 0);
}

static void test_reconfigure_deletes_the_last_cap_to_old_objects(void **state)
{
    (void)state;
    make_parts();
    make(KAAL_OBJ_VSPACE, 0, VS2);
    make(KAAL_OBJ_CNODE, 4, CN);
    /* CN holds the only cap to EP: it goes when CN's last cap (inside T) goes. */
    kaal_word_t args[] = {3, 4, EP, KT_DEPTH};
    kaal_word_t src_root[] = {KT_ROOT};
    kt_assert_success(kt_invoke(CN, KAAL_CNODE_MOVE, args, 4, src_root, 1));
    kt_assert_success(configure(T, 0, 0, CN, VS, BUF));
    kt_assert_success(kt_delete(CN));
    kt_assert_success(kt_delete(VS));
    kaal_word_t before = kt_count_caps();

    kt_assert_success(configure(T, 0, 0, KT_ROOT, VS2, BUF));
    /* Out: CN (last cap), EP inside it, the old VSpace (last cap). In: root CNode, VS2. */
    assert_int_equal(kt_count_caps(), before - 3 + 2);
    assert_int_equal(kt_count_caps_of_type(CAP_ENDPOINT), 0);
    assert_ptr_equal(kt_tcb(T)->slots[TCB_SLOT_VSPACE].parent, kt_slot(VS2));
}

/* Move a root cap into slot `index` of the radix-6 CNode in root slot `cnode`. */
static void move_into6(kaal_word_t cnode, kaal_word_t index, kaal_word_t src)
{
    kaal_word_t args[] = {index, 6, src, KT_DEPTH};
    kaal_word_t caps[] = {KT_ROOT};
    kt_assert_success(kt_invoke(cnode, KAAL_CNODE_MOVE, args, 4, caps, 1));
}

static void test_configure_that_deletes_the_thread_itself_installs_nothing(void **state)
{
    (void)state;
    /*
     * A's CSpace is CNode X, whose only cap is A's own CSpace slot; A's only TCB cap lives in X.
     * X[2] reaches the root CNode (a 46-bit guard after X's 6 bits), so the new caps A names
     * live outside X. Replacing the CSpace dismantles X, and with it A: nothing may then be
     * installed into the dead TCB.
     */
    const kaal_word_t X = 120, RC = 121, COPY = 122;
    make(KAAL_OBJ_CNODE, 6, X);
    struct tcb *a = kt_thread(A, 100);
    kt_assert_success(kt_mint(RC, KT_ROOT, KAAL_RIGHTS_ALL, KAAL_CNODE_DATA(0, 46)));
    move_into6(X, 2, RC);
    kt_assert_success(kt_copy(COPY, A, KAAL_RIGHTS_ALL));
    move_into6(X, 1, COPY);
    kt_assert_success(configure(A, 0, 0, X, A + 1, A + 2));
    kt_assert_success(kt_delete(X));
    kt_assert_success(kt_delete(A));

    const kaal_word_t via_x = 2ull << 58;
    kaal_word_t args[] = {0, 0};
    kaal_word_t caps[] = {via_x | KT_ROOT, via_x | (A + 1), via_x | (A + 2)};
    kt_act(a);
    kt_raw(KAAL_SYS_CALL, 1ull << 58, kaal_msginfo(KAAL_TCB_CONFIGURE, 0, 3, 2), args, 2, caps, 3);

    assert_int_equal(a->state, THREAD_INACTIVE);
    for (unsigned i = 0; i < TCB_SLOT_COUNT; i++)
        assert_true(slot_is_empty(&a->slots[i]));
    assert_null(kt_slot(A + 1)->first_child);
    assert_null(kt_slot(A + 2)->first_child);
    assert_int_equal(kt_count_caps_of_type(CAP_TCB), 1); /* the root thread's own */
    assert_ptr_equal(ks.current, kt_root_thread());
}

/* ---- ReadRegisters / WriteRegisters ---- */

static void test_read_registers_count_range(void **state)
{
    (void)state;
    kt_thread(A, 100);
    struct kresult r;
    kaal_word_t counts[] = {0, HAL_CTX_WORDS + 1, ~0ull};
    for (unsigned i = 0; i < ARRAY_SIZE(counts); i++) {
        KT_REJECT(r, kt_invoke(A, KAAL_TCB_READ_REGISTERS, &counts[i], 1, NULL, 0), KAAL_ERR_RANGE_ERROR);
        assert_detail(r, 0, 1, HAL_CTX_WORDS);
    }
    KT_REJECT(r, kt_invoke(A, KAAL_TCB_READ_REGISTERS, NULL, 0, NULL, 0), KAAL_ERR_TRUNCATED_MESSAGE);
    assert_detail(r, 1, 0);
}

static void test_write_then_read_registers_round_trip(void **state)
{
    (void)state;
    struct tcb *a = kt_thread(A, 100);
    kaal_word_t args[2 + HAL_CTX_WORDS] = {0, HAL_CTX_WORDS};
    for (unsigned i = 0; i < HAL_CTX_WORDS; i++)
        args[2 + i] = 0x1000 * (i + 1) + i;
    kt_assert_success(kt_invoke(A, KAAL_TCB_WRITE_REGISTERS, args, ARRAY_SIZE(args), NULL, 0));
    for (unsigned i = 0; i < HAL_CTX_WORDS; i++)
        assert_int_equal(hal_ctx_word(&a->ctx, i), args[2 + i]);
    assert_int_equal(hal_ctx_pc(&a->ctx), args[2]);
    assert_int_equal(hal_ctx_sp(&a->ctx), args[3]);
    assert_int_equal(a->state, THREAD_RUNNING); /* no resume asked, none needed */

    kaal_word_t count[] = {HAL_CTX_WORDS};
    struct kresult r = kt_invoke(A, KAAL_TCB_READ_REGISTERS, count, 1, NULL, 0);
    assert_ok(r);
    assert_int_equal(r.count, HAL_CTX_WORDS);
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(r.mr[i], args[2 + i]);
    /* The ninth word only fits in the caller's IPC buffer. */
    assert_int_equal(tcb_ipc_buffer(kt_root_thread())->msg[8], args[2 + 8]);

    /* Fewer words: only the first registers change, and only those come back. */
    kaal_word_t two[] = {0, 2, 0xaaa, 0xbbb};
    kt_assert_success(kt_invoke(A, KAAL_TCB_WRITE_REGISTERS, two, 4, NULL, 0));
    assert_int_equal(hal_ctx_pc(&a->ctx), 0xaaa);
    assert_int_equal(hal_ctx_sp(&a->ctx), 0xbbb);
    for (unsigned i = 2; i < HAL_CTX_WORDS; i++)
        assert_int_equal(hal_ctx_word(&a->ctx, i), args[2 + i]);
    count[0] = 3;
    r = kt_invoke(A, KAAL_TCB_READ_REGISTERS, count, 1, NULL, 0);
    assert_ok(r);
    assert_int_equal(r.count, 3);
    assert_int_equal(r.mr[0], 0xaaa);
    assert_int_equal(r.mr[1], 0xbbb);
    assert_int_equal(r.mr[2], args[4]);
}

static void test_write_registers_resume_flag(void **state)
{
    (void)state;
    make_parts();
    kt_assert_success(configure(T, 0, 0, KT_ROOT, VS, BUF));
    struct tcb *t = kt_tcb(T);
    struct kresult r;
    kaal_word_t args[] = {0, 2, 0x4000, 0x8000};

    kt_assert_success(kt_invoke(T, KAAL_TCB_WRITE_REGISTERS, args, 4, NULL, 0));
    assert_int_equal(t->state, THREAD_INACTIVE);
    assert_ready_empty(0);

    args[0] = 2;
    KT_REJECT(r, kt_invoke(T, KAAL_TCB_WRITE_REGISTERS, args, 4, NULL, 0), KAAL_ERR_INVALID_ARGUMENT);
    assert_detail(r, 0);
    assert_int_equal(t->state, THREAD_INACTIVE);

    args[0] = 1;
    args[2] = 0x5000;
    kt_assert_success(kt_invoke(T, KAAL_TCB_WRITE_REGISTERS, args, 4, NULL, 0));
    assert_int_equal(t->state, THREAD_RUNNING);
    assert_ready(0, t);
    assert_int_equal(hal_ctx_pc(&t->ctx), 0x5000);

    /* Resuming a running thread again changes nothing. */
    kt_assert_success(kt_invoke(T, KAAL_TCB_WRITE_REGISTERS, args, 4, NULL, 0));
    assert_ready(0, t);
}

static void test_write_registers_errors(void **state)
{
    (void)state;
    kt_thread(A, 100);
    struct kresult r;
    kaal_word_t zero[] = {0, 0, 1};
    KT_REJECT(r, kt_invoke(A, KAAL_TCB_WRITE_REGISTERS, zero, 3, NULL, 0), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 1, 1, HAL_CTX_WORDS);
    kaal_word_t many[2 + HAL_CTX_WORDS + 1] = {0, HAL_CTX_WORDS + 1};
    KT_REJECT(r, kt_invoke(A, KAAL_TCB_WRITE_REGISTERS, many, ARRAY_SIZE(many), NULL, 0), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 1, 1, HAL_CTX_WORDS);
    /* Five registers announced, four supplied. */
    kaal_word_t short_of_one[] = {0, 5, 1, 2, 3, 4};
    KT_REJECT(r, kt_invoke(A, KAAL_TCB_WRITE_REGISTERS, short_of_one, 6, NULL, 0),
              KAAL_ERR_TRUNCATED_MESSAGE);
    assert_detail(r, 7, 0);
    KT_REJECT(r, kt_invoke(A, KAAL_TCB_WRITE_REGISTERS, zero, 1, NULL, 0), KAAL_ERR_TRUNCATED_MESSAGE);
    assert_detail(r, 2, 0);
}

static void test_registers_of_the_calling_thread_are_illegal(void **state)
{
    (void)state;
    struct kresult r;
    kaal_word_t read[] = {2};
    kaal_word_t write[] = {0, 1, 0x1234};
    KT_REJECT(r, kt_invoke(KAAL_ROOT_SLOT_TCB, KAAL_TCB_READ_REGISTERS, read, 1, NULL, 0),
              KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_SELF);
    KT_REJECT(r, kt_invoke(KAAL_ROOT_SLOT_TCB, KAAL_TCB_WRITE_REGISTERS, write, 3, NULL, 0),
              KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_SELF);

    /* Any cap to the caller's own TCB counts, not only the one in slot 1. */
    struct tcb *a = kt_thread(A, 100);
    root_sleeps();
    kt_act(a);
    KT_REJECT(r, kt_invoke(A, KAAL_TCB_WRITE_REGISTERS, write, 3, NULL, 0), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_SELF);
    assert_int_not_equal(hal_ctx_pc(&a->ctx), 0x1234);
}

/* ---- Resume / Suspend ---- */

static void test_resume_and_suspend_move_between_ready_queue_and_inactive(void **state)
{
    (void)state;
    make_parts();
    kt_assert_success(configure(T, 0, 0, KT_ROOT, VS, BUF));
    kt_assert_success(set_priority(KAAL_TCB_SET_PRIORITY, T, 100, KAAL_ROOT_SLOT_TCB));
    struct tcb *t = kt_tcb(T);
    assert_int_equal(t->state, THREAD_INACTIVE);
    assert_ready_empty(100);

    kt_assert_success(simple(T, KAAL_TCB_RESUME));
    assert_int_equal(t->state, THREAD_RUNNING);
    assert_ready(100, t);
    kt_assert_success(simple(T, KAAL_TCB_RESUME)); /* already runnable: no second queue entry */
    assert_ready(100, t);

    struct tcb *a = kt_thread(A, 100);
    assert_ready(100, t, a);
    kt_assert_success(simple(T, KAAL_TCB_SUSPEND));
    assert_int_equal(t->state, THREAD_INACTIVE);
    assert_ready(100, a);
    kt_assert_success(simple(T, KAAL_TCB_SUSPEND)); /* already inactive */
    assert_int_equal(t->state, THREAD_INACTIVE);
    assert_ready(100, a);

    kt_assert_success(simple(T, KAAL_TCB_RESUME)); /* back at the tail, behind its equals */
    assert_ready(100, a, t);
}

static void test_suspend_blocked_receiver_restarts_its_recv_on_resume(void **state)
{
    (void)state;
    make_parts();
    struct tcb *a = kt_thread(A, 100);
    struct tcb *b = kt_thread(B, 100);
    struct endpoint *ep = endpoint_of(&kt_slot(EP)->cap);

    kt_act(a);
    kt_raw(KAAL_SYS_RECV, EP, 0, NULL, 0, NULL, 0);
    assert_int_equal(a->state, THREAD_BLOCKED_RECV);
    assert_queue(&ep->queue, a);

    root_acts();
    kt_assert_success(simple(A, KAAL_TCB_SUSPEND));
    assert_int_equal(a->state, THREAD_INACTIVE);
    assert_queue_empty(&ep->queue);
    assert_int_equal(a->blocked_on, 0);
    assert_int_equal(a->ctx.restart, 1);
    assert_ready(100, b);

    kt_assert_success(simple(A, KAAL_TCB_RESUME));
    assert_ready(100, b, a);
    kt_act(a);
    assert_true(kt_restart());
    assert_int_equal(a->state, THREAD_BLOCKED_RECV);
    assert_queue(&ep->queue, a);

    /* The restarted Recv is a real one: a message gets through. */
    kaal_word_t words[] = {77};
    kt_act(b);
    kt_raw(KAAL_SYS_SEND, EP, kaal_msginfo(9, 0, 0, 1), words, 1, NULL, 0);
    assert_int_equal(a->state, THREAD_RUNNING);
    struct kd_message m = kd_message(a);
    assert_int_equal(m.label, 9);
    assert_int_equal(m.mr[0], 77);
}

static void test_suspend_blocked_sender_withdraws_its_message(void **state)
{
    (void)state;
    make_parts();
    struct tcb *a = kt_thread(A, 100);
    struct tcb *b = kt_thread(B, 100);
    struct endpoint *ep = endpoint_of(&kt_slot(EP)->cap);

    kt_act(a);
    kt_raw(KAAL_SYS_SEND, EP, kaal_msginfo(5, 0, 0, 0), NULL, 0, NULL, 0);
    assert_int_equal(a->state, THREAD_BLOCKED_SEND);
    root_acts();
    kt_assert_success(simple(A, KAAL_TCB_SUSPEND));
    assert_queue_empty(&ep->queue);
    assert_int_equal(a->ctx.restart, 1);

    kt_act(b);
    kt_raw(KAAL_SYS_RECV, EP, 0, NULL, 0, NULL, 0);
    assert_int_equal(b->state, THREAD_BLOCKED_RECV); /* nothing was there to take */
    assert_queue(&ep->queue, b);
}

static void test_suspend_caller_waiting_for_reply_drops_the_reply_cap(void **state)
{
    (void)state;
    make_parts();
    struct tcb *client = kt_thread(A, 100);
    struct tcb *server = kt_thread(B, 100);
    struct endpoint *ep = endpoint_of(&kt_slot(EP)->cap);

    kt_act(server);
    kt_raw(KAAL_SYS_RECV, EP, 0, NULL, 0, NULL, 0);
    kt_act(client);
    kt_raw(KAAL_SYS_CALL, EP, kaal_msginfo(1, 0, 0, 0), NULL, 0, NULL, 0);
    assert_int_equal(client->state, THREAD_BLOCKED_REPLY);
    assert_int_equal(server->slots[TCB_SLOT_REPLY].cap.type, CAP_REPLY);

    root_acts();
    kt_assert_success(simple(A, KAAL_TCB_SUSPEND));
    assert_int_equal(client->state, THREAD_INACTIVE);
    assert_null(client->reply_held_at);
    assert_true(slot_is_empty(&server->slots[TCB_SLOT_REPLY]));
    assert_int_equal(client->ctx.restart, 1);

    /* The server's answer has nowhere to go. */
    kt_act(server);
    kt_raw(KAAL_SYS_REPLY, 0, kaal_msginfo(3, 0, 0, 0), NULL, 0, NULL, 0);
    assert_int_equal(client->state, THREAD_INACTIVE);

    /* Resumed, the client makes its Call again; nobody receives now, so it queues. */
    root_acts();
    kt_assert_success(simple(A, KAAL_TCB_RESUME));
    kt_act(client);
    assert_true(kt_restart());
    assert_int_equal(client->state, THREAD_BLOCKED_SEND);
    assert_queue(&ep->queue, client);
}

static void test_suspend_notification_waiter(void **state)
{
    (void)state;
    make_parts();
    struct tcb *a = kt_thread(A, 100);
    struct notification *n = notification_of(&kt_slot(NTFN)->cap);

    kt_act(a);
    kt_raw(KAAL_SYS_RECV, NTFN, 0, NULL, 0, NULL, 0);
    assert_int_equal(a->state, THREAD_BLOCKED_NOTIFICATION);
    assert_queue(&n->waiters, a);

    root_acts();
    kt_assert_success(simple(A, KAAL_TCB_SUSPEND));
    assert_queue_empty(&n->waiters);
    kt_raw(KAAL_SYS_SEND, NTFN, 0, NULL, 0, NULL, 0);
    assert_int_equal(n->word, 1); /* nobody waits: the signal is kept */
    assert_int_equal(a->state, THREAD_INACTIVE);

    kt_assert_success(simple(A, KAAL_TCB_RESUME));
    kt_act(a);
    assert_true(kt_restart());
    assert_int_equal(a->state, THREAD_RUNNING);
    assert_int_equal(kd_message(a).badge, 1);
    assert_int_equal(n->word, 0);
}

static void test_suspend_self_then_resumed_by_another_thread(void **state)
{
    (void)state;
    struct tcb *root = kt_root_thread();
    struct tcb *a = kt_thread(A, 100);
    kt_raw(KAAL_SYS_CALL, KAAL_ROOT_SLOT_TCB, kaal_msginfo(KAAL_TCB_SUSPEND, 0, 0, 0), NULL, 0, NULL, 0);
    assert_int_equal(root->state, THREAD_INACTIVE);
    assert_ready_empty(255);
    assert_ptr_equal(ks.current, a);

    kt_act(a);
    kt_assert_success(simple(KAAL_ROOT_SLOT_TCB, KAAL_TCB_RESUME));
    assert_int_equal(root->state, THREAD_RUNNING);
    assert_ptr_equal(ks.current, root); /* priority 255 runs first */
    /* Its Suspend was answered before it stopped: success. */
    assert_int_equal(kd_message(root).label, KAAL_OK);
    assert_int_equal(kd_message(root).length, 0);
}

/* ---- SetPriority / SetMCPriority ---- */

static void test_set_priority_moves_the_thread_between_queues(void **state)
{
    (void)state;
    struct tcb *a = kt_thread(A, 100);
    struct tcb *b = kt_thread(B, 100);
    assert_ready(100, a, b);
    kt_assert_success(set_priority(KAAL_TCB_SET_PRIORITY, A, 150, KAAL_ROOT_SLOT_TCB));
    assert_int_equal(a->priority, 150);
    assert_ready(100, b);
    assert_ready(150, a);
    kt_assert_success(set_priority(KAAL_TCB_SET_PRIORITY, A, 100, KAAL_ROOT_SLOT_TCB));
    assert_ready(100, b, a);
    assert_ready_empty(150);
    /* The MCP is a separate number: setting it moves nothing. */
    kt_assert_success(set_priority(KAAL_TCB_SET_MC_PRIORITY, A, 7, KAAL_ROOT_SLOT_TCB));
    assert_int_equal(a->mcp, 7);
    assert_int_equal(a->priority, 100);
    assert_ready(100, b, a);
}

static void test_set_priority_is_bounded_by_the_authority_mcp(void **state)
{
    (void)state;
    struct tcb *a = kt_thread(A, 100);
    struct tcb *b = kt_thread(B, 100);
    struct kresult r;
    kt_assert_success(set_priority(KAAL_TCB_SET_MC_PRIORITY, A, 50, KAAL_ROOT_SLOT_TCB));
    assert_int_equal(a->mcp, 50);

    /* A's MCP bounds what anyone can do with A as the authority, whoever calls. */
    kt_assert_success(set_priority(KAAL_TCB_SET_PRIORITY, B, 50, A));
    assert_int_equal(b->priority, 50);
    KT_REJECT(r, set_priority(KAAL_TCB_SET_PRIORITY, B, 51, A), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 0, 0, 50);
    assert_int_equal(b->priority, 50);
    KT_REJECT(r, set_priority(KAAL_TCB_SET_MC_PRIORITY, B, 51, A), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 0, 0, 50);
    kt_assert_success(set_priority(KAAL_TCB_SET_MC_PRIORITY, B, 50, A));
    assert_int_equal(b->mcp, 50);

    /* The root's MCP is 255: nothing above that exists. */
    KT_REJECT(r, set_priority(KAAL_TCB_SET_PRIORITY, B, 256, KAAL_ROOT_SLOT_TCB), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 0, 0, 255);
    KT_REJECT(r, set_priority(KAAL_TCB_SET_MC_PRIORITY, B, ~0ull, KAAL_ROOT_SLOT_TCB), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 0, 0, 255);
    kt_assert_success(set_priority(KAAL_TCB_SET_PRIORITY, B, 255, KAAL_ROOT_SLOT_TCB));
    assert_int_equal(b->priority, 255);
}

static void test_set_priority_authority_must_be_a_tcb(void **state)
{
    (void)state;
    make_parts();
    kt_thread(A, 100);
    struct kresult r;
    KT_REJECT(r, set_priority(KAAL_TCB_SET_PRIORITY, A, 1, EP), KAAL_ERR_INVALID_CAPABILITY);
    assert_detail(r, KAAL_ARG_CAP(0));
    KT_REJECT(r, set_priority(KAAL_TCB_SET_MC_PRIORITY, A, 1, KT_ROOT), KAAL_ERR_INVALID_CAPABILITY);
    assert_detail(r, KAAL_ARG_CAP(0));
    kaal_word_t one[] = {1};
    KT_REJECT(r, kt_invoke(A, KAAL_TCB_SET_PRIORITY, one, 1, NULL, 0), KAAL_ERR_TRUNCATED_MESSAGE);
    assert_detail(r, 1, 1);
    kaal_word_t authority[] = {KAAL_ROOT_SLOT_TCB};
    KT_REJECT(r, kt_invoke(A, KAAL_TCB_SET_MC_PRIORITY, NULL, 0, authority, 1), KAAL_ERR_TRUNCATED_MESSAGE);
    assert_detail(r, 1, 1);
}

static void test_thread_with_mcp_zero_cannot_raise_anything(void **state)
{
    (void)state;
    struct tcb *a = kt_thread(A, 100);
    struct tcb *b = kt_thread(B, 100);
    assert_int_equal(a->mcp, 0); /* new threads start with MCP 0 */
    root_sleeps();
    kt_act(a);
    struct kresult r;
    KT_REJECT(r, set_priority(KAAL_TCB_SET_PRIORITY, A, 101, A), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 0, 0, 0);
    KT_REJECT(r, set_priority(KAAL_TCB_SET_PRIORITY, B, 1, A), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 0, 0, 0);
    KT_REJECT(r, set_priority(KAAL_TCB_SET_MC_PRIORITY, B, 1, A), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 0, 0, 0);
    KT_REJECT(r, set_priority(KAAL_TCB_SET_MC_PRIORITY, A, 1, A), KAAL_ERR_RANGE_ERROR);
    assert_detail(r, 0, 0, 0);
    assert_int_equal(a->priority, 100);
    assert_int_equal(b->mcp, 0);

    /* Priority 0 is within MCP 0: a thread can always lower itself. */
    kt_assert_success(set_priority(KAAL_TCB_SET_PRIORITY, A, 0, A));
    assert_int_equal(a->priority, 0);
    assert_ready(0, a);
    assert_ready(100, b);
    assert_ptr_equal(ks.current, b);
}

/* ---- BindNotification / UnbindNotification ---- */

static void test_bind_notification_links_thread_and_notification(void **state)
{
    (void)state;
    make_parts();
    struct tcb *a = kt_thread(A, 100);
    struct notification *n = notification_of(&kt_slot(NTFN)->cap);
    kt_assert_success(bind(A, NTFN));
    assert_ptr_equal(a->bound_notification, n);
    assert_ptr_equal(n->bound, a);

    /* A bound thread waiting on an endpoint is woken by a signal, with the badge. */
    kt_assert_success(kt_mint(SPARE, NTFN, KAAL_RIGHTS_ALL, 0x30));
    kt_act(a);
    kt_raw(KAAL_SYS_RECV, EP, 0, NULL, 0, NULL, 0);
    assert_int_equal(a->state, THREAD_BLOCKED_RECV);
    root_acts();
    kt_raw(KAAL_SYS_SEND, SPARE, 0, NULL, 0, NULL, 0);
    assert_int_equal(a->state, THREAD_RUNNING);
    assert_int_equal(kd_message(a).badge, 0x30);
    assert_queue_empty(&endpoint_of(&kt_slot(EP)->cap)->queue);
}

static void test_bind_notification_errors(void **state)
{
    (void)state;
    make_parts();
    make(KAAL_OBJ_NOTIFICATION, 0, NTFN2);
    struct tcb *a = kt_thread(A, 100);
    kt_thread(B, 100);
    struct tcb *c = kt_thread(C, 100);
    struct kresult r;

    KT_REJECT(r, kt_invoke(A, KAAL_TCB_BIND_NOTIFICATION, NULL, 0, NULL, 0), KAAL_ERR_TRUNCATED_MESSAGE);
    assert_detail(r, 0, 1);
    KT_REJECT(r, bind(A, EP), KAAL_ERR_INVALID_CAPABILITY);
    assert_detail(r, KAAL_ARG_CAP(0));
    /* Binding means receiving its signals: it takes the Read right. */
    kt_assert_success(kt_copy(SPARE, NTFN, KAAL_RIGHT_WRITE));
    KT_REJECT(r, bind(A, SPARE), KAAL_ERR_INVALID_CAPABILITY);
    assert_detail(r, KAAL_ARG_CAP(0));

    kt_assert_success(bind(A, NTFN));
    KT_REJECT(r, bind(A, NTFN2), KAAL_ERR_ILLEGAL_OPERATION); /* A is bound */
    assert_detail(r, KAAL_ILLEGAL_ALREADY_BOUND);
    KT_REJECT(r, bind(B, NTFN), KAAL_ERR_ILLEGAL_OPERATION); /* NTFN is bound elsewhere */
    assert_detail(r, KAAL_ILLEGAL_ALREADY_BOUND);

    /* A notification somebody waits on cannot be bound either. */
    kt_act(c);
    kt_raw(KAAL_SYS_RECV, NTFN2, 0, NULL, 0, NULL, 0);
    assert_int_equal(c->state, THREAD_BLOCKED_NOTIFICATION);
    root_acts();
    KT_REJECT(r, bind(B, NTFN2), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_ALREADY_BOUND);
    assert_ptr_equal(a->bound_notification, notification_of(&kt_slot(NTFN)->cap));
}

static void test_unbind_notification(void **state)
{
    (void)state;
    make_parts();
    struct tcb *a = kt_thread(A, 100);
    struct tcb *b = kt_thread(B, 100);
    struct notification *n = notification_of(&kt_slot(NTFN)->cap);
    struct kresult r;
    KT_REJECT(r, simple(A, KAAL_TCB_UNBIND_NOTIFICATION), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_NOT_BOUND);

    kt_assert_success(bind(A, NTFN));
    kt_assert_success(simple(A, KAAL_TCB_UNBIND_NOTIFICATION));
    assert_null(a->bound_notification);
    assert_null(n->bound);
    KT_REJECT(r, simple(A, KAAL_TCB_UNBIND_NOTIFICATION), KAAL_ERR_ILLEGAL_OPERATION);
    assert_detail(r, KAAL_ILLEGAL_NOT_BOUND);
    /* Free again: another thread may take it. */
    kt_assert_success(bind(B, NTFN));
    assert_ptr_equal(n->bound, b);
}

static void test_unknown_tcb_label(void **state)
{
    (void)state;
    kt_thread(A, 100);
    kaal_word_t labels[] = {0, KAAL_UNTYPED_RETYPE, KAAL_CNODE_COPY, KAAL_TCB_CONFIGURE - 1,
                            KAAL_TCB_GET_INFO + 1, KAAL_IRQ_CONTROL_GET, 1000};
    kaal_word_t args[] = {1, 1, 1, 1, 1, 1};
    kaal_word_t caps[] = {KT_ROOT};
    struct kresult r;
    for (unsigned i = 0; i < ARRAY_SIZE(labels); i++) {
        KT_REJECT(r, kt_invoke(A, labels[i], args, 6, caps, 1), KAAL_ERR_ILLEGAL_OPERATION);
        assert_detail(r, KAAL_ILLEGAL_LABEL);
    }
}

/* ---- GetInfo ---- */

struct info {
    kaal_word_t state, priority, mcp, fault;
};

/* GetInfo of the TCB in `slot`, asked by the root thread if it can run (else by the current one). */
static struct info get_info(kaal_word_t slot)
{
    struct tcb *self = ks.current;
    if (kt_root_thread()->state == THREAD_RUNNING)
        root_acts();
    struct kresult r = kt_invoke(slot, KAAL_TCB_GET_INFO, NULL, 0, NULL, 0);
    assert_ok(r);
    assert_int_equal(r.count, 4);
    assert_false(kt_logged("reject"));
    if (self->state == THREAD_RUNNING)
        kt_act(self);
    return (struct info){r.mr[0], r.mr[1], r.mr[2], r.mr[3]};
}

#define assert_info(slot, st, prio, mcp_, flt)                                                                     \
    do {                                                                                                           \
        struct info i_ = get_info(slot);                                                                           \
        assert_int_equal(i_.state, (st));                                                                          \
        assert_int_equal(i_.priority, (prio));                                                                     \
        assert_int_equal(i_.mcp, (mcp_));                                                                          \
        assert_int_equal(i_.fault, (flt));                                                                         \
    } while (0)

static void test_get_info_of_inactive_and_running_threads(void **state)
{
    (void)state;
    make_parts();
    assert_info(T, KAAL_THREAD_INACTIVE, 0, 0, 0); /* as Retype made it */
    assert_info(KAAL_ROOT_SLOT_TCB, KAAL_THREAD_RUNNING, 255, 255, 0); /* the caller itself: it is running */

    kt_thread(A, 100);
    kt_assert_success(set_priority(KAAL_TCB_SET_MC_PRIORITY, A, 42, KAAL_ROOT_SLOT_TCB));
    assert_info(A, KAAL_THREAD_RUNNING, 100, 42, 0); /* ready, not current */
    kt_assert_success(simple(A, KAAL_TCB_SUSPEND));
    assert_info(A, KAAL_THREAD_INACTIVE, 100, 42, 0);
    kt_assert_success(simple(A, KAAL_TCB_RESUME));
    assert_info(A, KAAL_THREAD_RUNNING, 100, 42, 0);

    /* Asked by a thread of its own about itself: it is running. */
    struct tcb *a = kt_tcb(A);
    kt_act(a);
    struct kresult r = kt_invoke(A, KAAL_TCB_GET_INFO, NULL, 0, NULL, 0);
    assert_ok(r);
    assert_int_equal(r.mr[0], KAAL_THREAD_RUNNING);
    assert_int_equal(r.mr[1], 100);
    /* Words and caps it does not need are ignored. */
    kaal_word_t words[] = {7, 7, 7, 7, 7};
    kaal_word_t caps[] = {EP};
    r = kt_invoke(A, KAAL_TCB_GET_INFO, words, 5, caps, 1);
    assert_ok(r);
    assert_int_equal(r.count, 4);
    assert_int_equal(r.mr[2], 42);
}

static void test_get_info_of_blocked_threads(void **state)
{
    (void)state;
    make_parts();
    make(KAAL_OBJ_ENDPOINT, 0, EP2);
    struct tcb *a = kt_thread(A, 100), *b = kt_thread(B, 90), *c = kt_thread(C, 80);

    kt_act(a);
    kt_raw(KAAL_SYS_RECV, EP, 0, NULL, 0, NULL, 0);
    assert_info(A, KAAL_THREAD_BLOCKED_RECV, 100, 0, 0);

    kt_act(b);
    kt_raw(KAAL_SYS_SEND, EP2, kaal_msginfo(1, 0, 0, 0), NULL, 0, NULL, 0);
    assert_info(B, KAAL_THREAD_BLOCKED_SEND, 90, 0, 0);

    kt_act(c);
    kt_raw(KAAL_SYS_RECV, NTFN, 0, NULL, 0, NULL, 0);
    assert_info(C, KAAL_THREAD_BLOCKED_NOTIFICATION, 80, 0, 0);

    /* A Call to the receiving A: the caller waits for the reply, A runs. */
    kt_act(kt_root_thread());
    kt_raw(KAAL_SYS_CALL, EP, kaal_msginfo(1, 0, 0, 0), NULL, 0, NULL, 0);
    assert_int_equal(kt_root_thread()->state, THREAD_BLOCKED_REPLY);
    kt_act(a);
    struct kresult r = kt_invoke(KAAL_ROOT_SLOT_TCB, KAAL_TCB_GET_INFO, NULL, 0, NULL, 0);
    assert_ok(r);
    assert_int_equal(r.mr[0], KAAL_THREAD_BLOCKED_REPLY);
    assert_int_equal(r.mr[3], 0);
    assert_info(A, KAAL_THREAD_RUNNING, 100, 0, 0);
}

static void test_get_info_says_when_a_fault_stopped_the_thread(void **state)
{
    (void)state;
    make_parts();
    struct tcb *handler = kt_thread(A, 100), *faulter = kt_thread(B, 100), *lone = kt_thread(C, 100);
    root_acts();
    kaal_word_t args[] = {0, EP};
    kaal_word_t caps[] = {KT_ROOT, B + 1, B + 2};
    kt_assert_success(kt_invoke(B, KAAL_TCB_CONFIGURE, args, 2, caps, 3));

    /* A fault waiting for its handler to receive it, then for its answer. */
    kt_act(faulter);
    kt_raw(0x55, 0, 0, NULL, 0, NULL, 0);
    assert_info(B, KAAL_THREAD_BLOCKED_SEND, 100, 0, 1);
    kt_act(handler);
    kt_raw(KAAL_SYS_RECV, EP, 0, NULL, 0, NULL, 0);
    assert_info(B, KAAL_THREAD_BLOCKED_REPLY, 100, 0, 1);
    /* Resumed by the handler: no fault any more. */
    kt_act(handler);
    kt_raw(KAAL_SYS_REPLY, 0, kaal_msginfo(KAAL_FAULT_RESUME, 0, 0, 0), NULL, 0, NULL, 0);
    assert_info(B, KAAL_THREAD_RUNNING, 100, 0, 0);

    /* A handler that refuses leaves the thread stopped by its fault. */
    kt_act(handler);
    kt_raw(KAAL_SYS_RECV, EP, 0, NULL, 0, NULL, 0);
    kt_act(faulter);
    kt_raw(0x55, 0, 0, NULL, 0, NULL, 0);
    kt_act(handler);
    kt_raw(KAAL_SYS_REPLY, 0, kaal_msginfo(99, 0, 0, 0), NULL, 0, NULL, 0);
    assert_info(B, KAAL_THREAD_INACTIVE, 100, 0, 1);
    kt_assert_success(simple(B, KAAL_TCB_SUSPEND)); /* suspended too: still stopped by the fault */
    assert_info(B, KAAL_THREAD_INACTIVE, 100, 0, 1);
    kt_assert_success(simple(B, KAAL_TCB_RESUME)); /* Resume clears it */
    assert_info(B, KAAL_THREAD_RUNNING, 100, 0, 0);

    /* No handler at all: stopped at once. */
    kt_act(lone);
    kt_raw(0x55, 0, 0, NULL, 0, NULL, 0);
    assert_info(C, KAAL_THREAD_INACTIVE, 100, 0, 1);
    kaal_word_t regs[] = {0x1000, 0x2000};
    kaal_word_t write[] = {1, 2, regs[0], regs[1]};
    kt_assert_success(kt_invoke(C, KAAL_TCB_WRITE_REGISTERS, write, 4, NULL, 0)); /* resumes it */
    assert_info(C, KAAL_THREAD_RUNNING, 100, 0, 0);

    /* Suspended while its fault waits for the handler: the fault is withdrawn (raised again on resume). */
    kt_act(faulter);
    kt_raw(0x55, 0, 0, NULL, 0, NULL, 0);
    assert_info(B, KAAL_THREAD_BLOCKED_SEND, 100, 0, 1);
    kt_assert_success(simple(B, KAAL_TCB_SUSPEND));
    assert_info(B, KAAL_THREAD_INACTIVE, 100, 0, 0);
}

static void test_get_info_on_other_caps(void **state)
{
    (void)state;
    make_parts();
    struct kresult r;
    kaal_word_t targets[] = {BUF, VS, KT_ROOT, kt_first_untyped(), KAAL_ROOT_SLOT_IRQ_CONTROL};
    for (unsigned i = 0; i < ARRAY_SIZE(targets); i++) {
        KT_REJECT(r, kt_invoke(targets[i], KAAL_TCB_GET_INFO, NULL, 0, NULL, 0), KAAL_ERR_ILLEGAL_OPERATION);
        assert_detail(r, KAAL_ILLEGAL_LABEL);
    }
}

/* ---- the last cap to a thread ---- */

static void test_deleting_a_blocked_thread_takes_it_out_of_its_queue(void **state)
{
    (void)state;
    make_parts();
    struct tcb *a = kt_thread(A, 100);
    struct tcb *b = kt_thread(B, 100);
    struct endpoint *ep = endpoint_of(&kt_slot(EP)->cap);
    kt_act(a);
    kt_raw(KAAL_SYS_RECV, EP, 0, NULL, 0, NULL, 0);
    kt_act(b);
    kt_raw(KAAL_SYS_RECV, EP, 0, NULL, 0, NULL, 0);
    assert_queue(&ep->queue, a, b);

    root_acts();
    kaal_word_t before = kt_count_caps();
    kt_assert_success(kt_delete(A));
    assert_queue(&ep->queue, b);
    assert_int_equal(a->state, THREAD_INACTIVE);
    /* Its own caps (CSpace, VSpace, IPC buffer) went with it. */
    for (unsigned i = 0; i < TCB_SLOT_COUNT; i++)
        assert_true(slot_is_empty(&a->slots[i]));
    assert_int_equal(kt_count_caps(), before - 4);
}

static void test_deleting_a_bound_thread_frees_its_notification(void **state)
{
    (void)state;
    make_parts();
    kt_thread(A, 100);
    struct tcb *b = kt_thread(B, 100);
    struct notification *n = notification_of(&kt_slot(NTFN)->cap);
    kt_assert_success(bind(A, NTFN));
    kt_assert_success(kt_delete(A));
    assert_null(n->bound);
    kt_assert_success(bind(B, NTFN));
    assert_ptr_equal(n->bound, b);
}

static void test_deleting_a_running_thread_takes_it_off_the_ready_queue(void **state)
{
    (void)state;
    struct tcb *a = kt_thread(A, 100);
    struct tcb *b = kt_thread(B, 100);
    kt_assert_success(kt_delete(A));
    assert_int_equal(a->state, THREAD_INACTIVE);
    assert_ready(100, b);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, kt_setup, kt_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_configure_installs_children_of_the_given_caps),
        TEST(test_configure_fault_endpoint_keeps_badge_and_rights),
        TEST(test_configure_ipc_buffer_offset_is_where_answers_go),
        TEST(test_configure_truncated),
        TEST(test_configure_rejects_wrong_cap_types),
        TEST(test_configure_rejects_misaligned_buffer_offset),
        TEST(test_configure_rejects_buffer_past_the_frame),
        TEST(test_configure_rejects_bad_fault_endpoint),
        TEST(test_reconfigure_replaces_the_old_caps),
        TEST(test_reconfigure_deletes_the_last_cap_to_old_objects),
        TEST(test_configure_that_deletes_the_thread_itself_installs_nothing),
        TEST(test_read_registers_count_range),
        TEST(test_write_then_read_registers_round_trip),
        TEST(test_write_registers_resume_flag),
        TEST(test_write_registers_errors),
        TEST(test_registers_of_the_calling_thread_are_illegal),
        TEST(test_resume_and_suspend_move_between_ready_queue_and_inactive),
        TEST(test_suspend_blocked_receiver_restarts_its_recv_on_resume),
        TEST(test_suspend_blocked_sender_withdraws_its_message),
        TEST(test_suspend_caller_waiting_for_reply_drops_the_reply_cap),
        TEST(test_suspend_notification_waiter),
        TEST(test_suspend_self_then_resumed_by_another_thread),
        TEST(test_set_priority_moves_the_thread_between_queues),
        TEST(test_set_priority_is_bounded_by_the_authority_mcp),
        TEST(test_set_priority_authority_must_be_a_tcb),
        TEST(test_thread_with_mcp_zero_cannot_raise_anything),
        TEST(test_bind_notification_links_thread_and_notification),
        TEST(test_bind_notification_errors),
        TEST(test_unbind_notification),
        TEST(test_unknown_tcb_label),
        TEST(test_get_info_of_inactive_and_running_threads),
        TEST(test_get_info_of_blocked_threads),
        TEST(test_get_info_says_when_a_fault_stopped_the_thread),
        TEST(test_get_info_on_other_caps),
        TEST(test_deleting_a_blocked_thread_takes_it_out_of_its_queue),
        TEST(test_deleting_a_bound_thread_frees_its_notification),
        TEST(test_deleting_a_running_thread_takes_it_off_the_ready_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
