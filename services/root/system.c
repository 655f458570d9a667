/*
 * The root task: the first thread, with every cap the kernel hands out at
 * boot. It reads the boot info and the device tree, makes the system's
 * shared objects (endpoints, notifications, the UART's page and interrupt),
 * starts the components its table names, and then serves: requests from
 * components (exit, ps, start, power off) and their faults, which it reports
 * by name before it takes the component down. The rest of the system goes
 * on.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <kaal/proto/console.h>
#include <kaal/proto/root.h>

#include "pl011.h"
#include "root.h"
#include "system.h"

const struct component_spec system_components[] = {
    {.name = "console", .priority = 200, .at_boot = true, .bound_notification = "console_irq", .essential = true,
     .grants = {
        {"service", GRANT_OBJECT, "console_ep", KAAL_RIGHT_READ | KAAL_RIGHT_WRITE, 0},
        {"irq", GRANT_OBJECT, "uart_irq", KAAL_RIGHTS_ALL, 0},
        {"reader", GRANT_OBJECT, "shell_input", KAAL_RIGHT_WRITE, 0},
        {"uart", GRANT_DEVICE, "uart_page", 0, 0},
    }},
    {.name = "shell", .priority = 100, .at_boot = true, .essential = true, .grants = {
        {KAAL_ENV_CAP_CONSOLE, GRANT_OBJECT, "console_ep", KAAL_RIGHT_WRITE, 0},
        {"input", GRANT_OBJECT, "shell_input", KAAL_RIGHT_READ, 0},
        {KAAL_ENV_CAP_CNODE, GRANT_CNODE, NULL, 0, 0},
    }},
    {.name = "pong", .priority = 150, .grants = {
        {"service", GRANT_OBJECT, "pingpong_ep", KAAL_RIGHT_READ | KAAL_RIGHT_WRITE, 0},
    }},
    /* Its pong starts with it and is taken down with it: a ping that faults leaves no pong waiting, and back. */
    {.name = "ping", .priority = 150, .partner = "pong", .grants = {
        {"pong", GRANT_OBJECT, "pingpong_ep", KAAL_RIGHT_WRITE, 0},
        {KAAL_ENV_CAP_CONSOLE, GRANT_OBJECT, "console_ep", KAAL_RIGHT_WRITE, 0},
    }},
    /* Started at boot when the machine has its image (kaal-sim --with crash): it faults at once. */
    {.name = "crash", .priority = 100, .at_boot = true},
    /* Started at boot when the machine has its image (kaal-sim --with probe): asks for wrong things on purpose. */
    {.name = "probe", .priority = 50, .at_boot = true, .grants = {
        {KAAL_ENV_CAP_CONSOLE, GRANT_OBJECT, "console_ep", KAAL_RIGHT_WRITE, 0},
        {"pong", GRANT_OBJECT, "pingpong_ep", KAAL_RIGHT_WRITE, 0},
    }},
    {.name = NULL},
};

const struct component_spec *component_spec(const char *name)
{
    for (const struct component_spec *s = system_components; s->name != NULL; s++) {
        if (strcmp(s->name, name) == 0)
            return s;
    }
    return NULL;
}

kaal_cptr_t system_object(const struct system *sys, const char *name)
{
    for (unsigned i = 0; i < sys->object_count; i++) {
        if (strcmp(sys->objects[i].name, name) == 0)
            return sys->objects[i].cptr;
    }
    return 0;
}

const char *root_error_name(int err)
{
    static const char *const names[] = {
        [KAAL_OK] = "no error",
        [KAAL_ERR_INVALID_ARGUMENT] = "invalid argument",
        [KAAL_ERR_INVALID_CAPABILITY] = "invalid capability",
        [KAAL_ERR_ILLEGAL_OPERATION] = "illegal operation",
        [KAAL_ERR_RANGE_ERROR] = "out of range",
        [KAAL_ERR_ALIGNMENT_ERROR] = "misaligned",
        [KAAL_ERR_FAILED_LOOKUP] = "failed lookup",
        [KAAL_ERR_TRUNCATED_MESSAGE] = "truncated message",
        [KAAL_ERR_DELETE_FIRST] = "slot in use",
        [KAAL_ERR_REVOKE_FIRST] = "revoke first",
        [KAAL_ERR_NOT_ENOUGH_MEMORY] = "not enough memory",
    };
    return err >= 0 && err < KAAL_ERR_COUNT ? names[err] : "unknown error";
}

/*
 * Can the console server take a message now: started, not ended, and not
 * stopped by a fault whose message the root task has yet to read? (A Call
 * to a console that is not there would never come back.)
 */
static bool console_usable(struct system *sys)
{
    const struct instance *c = sys->console_instance;
    struct kaal_thread_info info;
    return c != NULL && c->state == INSTANCE_RUNNING && kaal_tcb_get_info(c->tcb, &info) == KAAL_OK &&
           info.fault == 0 && info.state != KAAL_THREAD_INACTIVE;
}

/*
 * The UART itself, when there is no console server to talk through: before
 * it has started, or after it has ended (its copy of the UART's page went
 * with it). Polled output, as the console writes: LF becomes CR LF.
 */
static void uart_write(struct system *sys, const char *bytes, size_t len)
{
    static struct pl011_uart uart;
    if (sys->uart == NULL) {
        kaal_cptr_t page = system_object(sys, "uart_page");
        void *p = page != 0 ? vm_map_own(&sys->alloc, page, KAAL_RIGHT_READ | KAAL_RIGHT_WRITE) : NULL;
        if (p == NULL)
            return; /* no UART to speak through: say nothing */
        sys->uart = p;
        pl011_uart_enable_transmit(&uart, p);
    }
    for (size_t i = 0; i < len; i++) {
        if (bytes[i] == '\n')
            pl011_uart_putc(&uart, '\r');
        pl011_uart_putc(&uart, bytes[i]);
    }
}

void root_log(struct system *sys, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    if (console_usable(sys))
        kaal_console_write(sys->console, line, len);
    else
        uart_write(sys, line, len);
}

static int add_object(struct system *sys, const char *name, kaal_word_t type, int *err)
{
    kaal_cptr_t slot = alloc_slot(&sys->alloc);
    if (*err != KAAL_OK)
        return *err;
    if (slot == 0 || sys->object_count == sizeof sys->objects / sizeof sys->objects[0])
        return *err = KAAL_ERR_NOT_ENOUGH_MEMORY;
    if (type != 0)
        *err = alloc_object(&sys->alloc, type, 0, slot);
    sys->objects[sys->object_count++] = (struct system_object){name, slot};
    return *err;
}

/* Map a boot module's frames, in order, into the root task's own address space. */
static const void *map_module(struct system *sys, kaal_word_t kind)
{
    const struct kaal_boot_module *m = kaal_bootinfo_module(sys->alloc.bi, kind);
    const void *start = NULL;
    for (kaal_word_t f = m != NULL ? m->frames.start : 0; m != NULL && f < m->frames.end; f++) {
        void *p = vm_map_own(&sys->alloc, f, KAAL_RIGHT_READ);
        if (p == NULL)
            return NULL;
        if (start == NULL)
            start = p;
    }
    return start;
}

/* The system's shared objects; the UART from the device tree. */
static int make_objects(struct system *sys)
{
    struct device_info uart;
    if (sys->fdt == NULL || dtb_find(sys->fdt, "arm,pl011", &uart) != 0)
        return KAAL_ERR_FAILED_LOOKUP;
    int err = KAAL_OK;
    add_object(sys, "console_ep", KAAL_OBJ_ENDPOINT, &err);
    add_object(sys, "console_irq", KAAL_OBJ_NOTIFICATION, &err);
    add_object(sys, "shell_input", KAAL_OBJ_NOTIFICATION, &err);
    add_object(sys, "pingpong_ep", KAAL_OBJ_ENDPOINT, &err);
    add_object(sys, "uart_page", 0, &err);
    add_object(sys, "uart_irq", 0, &err);
    add_object(sys, "console_irq_badged", 0, &err);
    if (err != KAAL_OK)
        return err;
    err = alloc_device_frame(&sys->alloc, uart.base, system_object(sys, "uart_page"));
    err = err ? err
              : kaal_irq_control_get(KAAL_ROOT_SLOT_IRQ_CONTROL, uart.line, ROOT_CNODE, system_object(sys, "uart_irq"),
                                     ROOT_DEPTH);
    err = err ? err
              : kaal_cnode_mint(ROOT_CNODE, system_object(sys, "console_irq_badged"), ROOT_DEPTH, ROOT_CNODE,
                                system_object(sys, "console_irq"), ROOT_DEPTH, KAAL_RIGHT_WRITE, CONSOLE_IRQ_BADGE);
    err = err ? err
              : kaal_irq_handler_set_notification(system_object(sys, "uart_irq"),
                                                  system_object(sys, "console_irq_badged"));
    return err;
}

/* The running instance of spec (the first, if there are several), or NULL. */
static struct instance *running_instance(struct system *sys, const struct component_spec *spec)
{
    for (unsigned i = 0; i < MAX_INSTANCES; i++) {
        if (sys->instances[i].state == INSTANCE_RUNNING && sys->instances[i].spec == spec)
            return &sys->instances[i];
    }
    return NULL;
}

static struct instance *instance_of(struct system *sys, kaal_word_t badge)
{
    kaal_word_t i = (badge & ~ROOT_FAULT_BADGE) - 1;
    return i < MAX_INSTANCES && sys->instances[i].state == INSTANCE_RUNNING ? &sys->instances[i] : NULL;
}

static const char *access_name(kaal_word_t access)
{
    return access & KAAL_VM_ACCESS_WRITE ? "write" : access & KAAL_VM_ACCESS_EXEC ? "execute" : "read";
}

#define FAULT_WORDS KAAL_FAULT_SYSCALL_WORDS /* the longest fault message */

/* A fault message, read before the root task's own invocations overwrite its message registers. */
struct fault {
    kaal_word_t label, mr[FAULT_WORDS];
};

static void report_fault(struct system *sys, const char *name, const struct fault *f)
{
    switch (f->label) {
    case KAAL_FAULT_VM:
        /* No pc: on the sim it is a host address that moves from run to run, and transcripts must not. */
        root_log(sys, "root: %s faulted: %s at address 0x%lx; stopped\n", name,
                 access_name(f->mr[KAAL_FAULT_VM_ACCESS]), (unsigned long)f->mr[KAAL_FAULT_VM_ADDRESS]);
        break;
    case KAAL_FAULT_UNKNOWN_SYSCALL:
        root_log(sys, "root: %s faulted: unknown syscall %lu; stopped\n", name,
                 (unsigned long)f->mr[KAAL_FAULT_SYSCALL_NUMBER]);
        break;
    case KAAL_FAULT_CAP:
        root_log(sys, "root: %s faulted: no usable cap at CPtr 0x%lx; stopped\n", name,
                 (unsigned long)f->mr[KAAL_FAULT_CAP_CPTR]);
        break;
    default:
        root_log(sys, "root: %s faulted: exception 0x%lx (detail 0x%lx); stopped\n", name,
                 (unsigned long)f->mr[KAAL_FAULT_EXCEPTION_CODE], (unsigned long)f->mr[KAAL_FAULT_EXCEPTION_DETAIL]);
    }
}

/*
 * An instance has ended (exit with status, or fault f). Take it down first
 * (a console that ended must not be called), then say so. Its partner goes
 * with it (root.h, struct instance; said when it was not a clean exit that
 * ended the pair). Without an essential component the machine powers off.
 */
static void end_instance(struct system *sys, struct instance *in, long status, const struct fault *f)
{
    struct instance *partner = in->partner;
    bool failed = f != NULL || status != 0;
    bool partner_ends = partner != NULL && partner->state == INSTANCE_RUNNING && (!in->serves_partner || failed);
    const struct component_spec *spec = in->spec;
    reclaim(sys, in, status);
    if (in == sys->console_instance)
        sys->console_instance = NULL; /* its entry may hold another component next */
    if (f != NULL)
        report_fault(sys, in->name, f);
    else if (status != 0)
        root_log(sys, "root: %s exited with status %ld\n", in->name, status);
    if (partner_ends) {
        reclaim(sys, partner, -1);
        if (failed)
            root_log(sys, "root: %s stopped with %s\n", partner->name, in->name);
    }
    if (spec != NULL && spec->essential) {
        root_log(sys, "root: the system cannot go on without its %s; powering off (status %d)\n", in->name,
                 ROOT_STATUS_ESSENTIAL_ENDED);
        kaal_power_off(ROOT_STATUS_ESSENTIAL_ENDED);
    }
}

/* ps entry i: the root task itself, then every running component. */
static int answer_ps(struct system *sys, kaal_word_t index)
{
    struct kaal_thread_info info;
    const char *name = NULL;
    kaal_cptr_t tcb = 0;
    if (index == 0) {
        name = "root";
        tcb = KAAL_ROOT_SLOT_TCB;
    }
    for (unsigned i = 0, seen = 1; i < MAX_INSTANCES && name == NULL; i++) {
        if (sys->instances[i].state == INSTANCE_RUNNING && seen++ == index) {
            name = sys->instances[i].name;
            tcb = sys->instances[i].tcb;
        }
    }
    if (name == NULL)
        return KAAL_ERR_RANGE_ERROR;
    int err = kaal_tcb_get_info(tcb, &info);
    if (err != KAAL_OK)
        return err;
    if (index == 0)
        info.state = KAAL_THREAD_RUNNING; /* it asked for its own state while answering: it runs */
    kaal_set_mr(0, info.state);
    kaal_set_mr(1, info.priority);
    char padded[24] = {0};
    strncpy(padded, name, sizeof padded - 1);
    memcpy(&kaal_ipc_buffer()->msg[2], padded, sizeof padded);
    return KAAL_OK;
}

static void answer(int err, unsigned words)
{
    kaal_reply(kaal_msginfo((kaal_word_t)err, 0, 0, err == KAAL_OK ? words : 0));
}

/* Message word i of a request, or 0 if it is shorter: a word not sent is never read (an earlier message left it). */
static kaal_word_t word(kaal_word_t info, unsigned i)
{
    return i < kaal_msginfo_length(info) ? kaal_get_mr(i) : 0;
}

static void serve(struct system *sys, kaal_word_t badge, kaal_word_t info)
{
    struct instance *in = instance_of(sys, badge);
    kaal_word_t label = kaal_msginfo_label(info);
    if (in == NULL)
        return; /* a request from a component that is gone already: nobody to answer */
    if (badge & ROOT_FAULT_BADGE) {
        struct fault f = {.label = label};
        for (unsigned i = 0; i < FAULT_WORDS; i++)
            f.mr[i] = kaal_get_mr(i);
        end_instance(sys, in, -1, &f);
        return;
    }
    switch (label) {
    case KAAL_ROOT_EXIT:
        end_instance(sys, in, (long)word(info, 0), NULL);
        break;
    case KAAL_ROOT_PS:
        answer(answer_ps(sys, word(info, 0)), 2 + 24 / sizeof(kaal_word_t));
        break;
    case KAAL_ROOT_START: {
        char name[KAAL_ENV_NAME_MAX], args[KAAL_ENV_ARGS_MAX];
        kaal_word_t words = kaal_msginfo_length(info);
        const char *msg = (const char *)kaal_ipc_buffer()->msg;
        size_t have = words * sizeof(kaal_word_t);
        if (have < sizeof name + 1) {
            answer(KAAL_ERR_TRUNCATED_MESSAGE, 0);
            break;
        }
        memcpy(name, msg, sizeof name);
        name[sizeof name - 1] = '\0';
        size_t args_len = have - sizeof name < sizeof args ? have - sizeof name : sizeof args;
        memcpy(args, msg + sizeof name, args_len);
        args[args_len - 1] = '\0';
        const struct component_spec *spec = component_spec(name);
        if (spec != NULL && spec->at_boot) {
            root_log(sys, "root: %s is started once, at boot; not on request\n", spec->name);
            answer(KAAL_ERR_ILLEGAL_OPERATION, 0);
            break;
        }
        answer(spawn(sys, name, args), 0);
        break;
    }
    case KAAL_ROOT_POWER_OFF:
        /* Returns only if the kernel refused (a status above 255): tell the caller. No status: no power off. */
        answer(kaal_msginfo_length(info) < 1 ? KAAL_ERR_TRUNCATED_MESSAGE
                                              : kaal_machine_power_off(KAAL_ROOT_SLOT_MACHINE, word(info, 0)),
               0);
        break;
    default:
        kaal_set_mr(0, KAAL_ILLEGAL_LABEL);
        kaal_reply(kaal_msginfo(KAAL_ERR_ILLEGAL_OPERATION, 0, 0, 1));
    }
}

__attribute__((visibility("default"))) void kaal_root_main(kaal_word_t ipc_buffer, kaal_word_t bootinfo,
                                                           kaal_word_t unused)
{
    (void)ipc_buffer, (void)unused;
    static struct system sys;
    const struct kaal_bootinfo *bi = (const struct kaal_bootinfo *)(uintptr_t)bootinfo;
    sys.alloc = (struct root_alloc){.bi = bi, .next_slot = bi->empty.start, .end_slot = bi->empty.end};
    sys.fdt = map_module(&sys, KAAL_MODULE_DTB);
    sys.images = map_module(&sys, KAAL_MODULE_COMPONENTS);
    sys.endpoint = alloc_slot(&sys.alloc);
    int err = sys.endpoint ? alloc_object(&sys.alloc, KAAL_OBJ_ENDPOINT, 0, sys.endpoint) : KAAL_ERR_NOT_ENOUGH_MEMORY;
    err = err ? err : make_objects(&sys);
    if (err != KAAL_OK) {
        /* Without a UART there is no one to tell but the kernel's log: power off with the reason as status. */
        kaal_power_off(ROOT_STATUS_BOOT_ERROR + err);
    }
    if (!components_usable(&sys)) /* it says why, through the UART */
        kaal_power_off(ROOT_STATUS_NO_COMPONENTS);
    sys.console = system_object(&sys, "console_ep");
    for (const struct component_spec *s = system_components; s->name != NULL; s++) {
        if (!s->at_boot || (component_image(sys.images, s->name) == NULL && !s->essential))
            continue;
        if (spawn(&sys, s->name, "") == KAAL_OK) {
            if (strcmp(s->name, "console") == 0)
                sys.console_instance = running_instance(&sys, s);
        } else if (s->essential) {
            root_log(&sys, "root: the system cannot go on without its %s; powering off (status %d)\n", s->name,
                     ROOT_STATUS_ESSENTIAL_ENDED);
            kaal_power_off(ROOT_STATUS_ESSENTIAL_ENDED);
        }
    }
    for (;;) {
        kaal_word_t badge = 0;
        kaal_word_t info = kaal_recv(sys.endpoint, &badge);
        serve(&sys, badge, info);
    }
}
