/*
 * Faults on the sim: a component's stray access is a SIGSEGV on its host
 * thread, which the engine turns into a VM fault message. Small systems,
 * booted one after another in this process, each with a component
 * (tests/sim/components/faulty.c) that goes wrong and the root task as its
 * fault handler:
 *   handled    a NULL read: the handler gets KAAL_FAULT_VM (address 0, read,
 *              the pc in the component), and a server component still answers;
 *   unhandled  a NULL write with no fault handler: the kernel stops the
 *              thread with one log line, and the server still answers;
 *   resume     a NULL write answered with RESUME_AT to a recovery entry, which
 *              writes to a protected page; the handler opens the page and
 *              answers RESUME: the write is retried and the component goes on;
 *   syscall    a syscall number that does not exist: KAAL_FAULT_UNKNOWN_SYSCALL;
 *   foreign    a fault on a thread that is no component's (a plain pthread)
 *              goes to the handler that was there before sim_run, which is
 *              back in place after it;
 *   crashes    in a child process each, with no handler of the test's: a
 *              fault inside the engine on a component thread (a syscall
 *              given a bad register block), and one on a plain pthread, go
 *              to the handler from before sim_run: ASan's report under the
 *              sanitizers, else death by SIGSEGV.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <kaal/kaal.h>
#include <kaal/sim/component.h>
#include <kaal/sim/engine.h>

#include "sim_test.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define ROOT KAAL_ROOT_SLOT_CNODE
#define DEPTH 64u
#define FAULT_BADGE 0xf1u

static struct sim_component faulty, server;
static volatile kaal_word_t *guarded_page; /* the resume scenario's protected page */
/* How long each fault took to reach its handler, from the component's last clock read before the access. */
static struct {
    const char *what;
    uint64_t ns;
} fault_times[4];
static unsigned fault_count;

/* The root task's objects, in its CNode from bi->empty.start. */
struct objects {
    kaal_cptr_t ut;
    kaal_cptr_t fault_ep, server_ep, report, park, fault_ep_badged;
    kaal_word_t threads; /* 3 slots per thread from here */
};

static struct objects make_objects(kaal_word_t bootinfo)
{
    const struct kaal_bootinfo *bi = (const struct kaal_bootinfo *)(uintptr_t)bootinfo;
    kaal_word_t s = bi->empty.start;
    struct objects o = {.ut = kaal_bootinfo_largest_untyped(bi), .fault_ep = s, .server_ep = s + 1,
                        .report = s + 2, .park = s + 3, .fault_ep_badged = s + 4, .threads = s + 8};
    int err = kaal_untyped_retype(o.ut, KAAL_OBJ_ENDPOINT, 0, ROOT, 0, 0, o.fault_ep, 2);
    err = err ? err : kaal_untyped_retype(o.ut, KAAL_OBJ_NOTIFICATION, 0, ROOT, 0, 0, o.report, 2);
    err = err ? err : kaal_cnode_mint(ROOT, o.fault_ep_badged, DEPTH, ROOT, o.fault_ep, DEPTH, KAAL_RIGHTS_ALL,
                                      FAULT_BADGE);
    EXPECT(err == KAAL_OK);
    return o;
}

static sim_test_entry symbol(const struct sim_component *c, const char *name)
{
    return (sim_test_entry)sim_component_symbol(c, name);
}

static volatile kaal_word_t *progress(void)
{
    return (volatile kaal_word_t *)sim_component_symbol(&faulty, "progress");
}

static bool in_faulty_code(kaal_word_t pc)
{
    return pc >= faulty.code_start && pc < faulty.code_end;
}

/* The server component answers each call with the number of calls so far. */
static int start_server(const struct objects *o, kaal_word_t slot, kaal_word_t priority)
{
    return sim_test_spawn(o->ut, slot, priority, 0, symbol(&server, "kaal_main"), o->server_ep, 0, 0);
}

static kaal_word_t call_server(const struct objects *o)
{
    kaal_call(o->server_ep, kaal_msginfo(1, 0, 0, 0));
    return kaal_get_mr(0);
}

/* A fault message just came: note how long it took since the component's last clock read. */
static void note_fault(const char *what)
{
    uint64_t now = sim_test_now_ns();
    uint64_t before = *(volatile uint64_t *)sim_component_symbol(&faulty, "before_fault_ns");
    if (fault_count < 4 && before != 0 && now > before)
        fault_times[fault_count].what = what, fault_times[fault_count++].ns = now - before;
}

static void root_handled(kaal_word_t ipc_buffer, kaal_word_t bootinfo, kaal_word_t unused)
{
    (void)ipc_buffer, (void)unused;
    struct objects o = make_objects(bootinfo);
    int err = start_server(&o, o.threads, 100);
    err = err ? err : sim_test_spawn(o.ut, o.threads + 3, 100, o.fault_ep_badged, symbol(&faulty, "read_null"),
                                     o.report, o.park, 0);
    EXPECT(err == KAAL_OK);
    kaal_word_t badge = 0;
    kaal_word_t info = kaal_recv(o.fault_ep, &badge);
    note_fault("a NULL read, the run's first fault");
    EXPECT(kaal_msginfo_label(info) == KAAL_FAULT_VM);
    EXPECT(kaal_msginfo_length(info) == KAAL_FAULT_VM_WORDS);
    EXPECT(badge == FAULT_BADGE);
    EXPECT(kaal_get_mr(KAAL_FAULT_VM_ADDRESS) == 0);
    EXPECT(kaal_get_mr(KAAL_FAULT_VM_ACCESS) == KAAL_VM_ACCESS_READ);
    EXPECT(kaal_get_mr(KAAL_FAULT_VM_CODE) == SEGV_MAPERR);
    EXPECT(in_faulty_code(kaal_get_mr(KAAL_FAULT_VM_PC)));
    EXPECT(*progress() == 1);
    /* The other component runs on. */
    EXPECT(call_server(&o) == 1);
    EXPECT(call_server(&o) == 2);
    EXPECT(*progress() == 1); /* the faulting thread waits for the answer it never gets */
    sim_halt(0);
}

static void root_unhandled(kaal_word_t ipc_buffer, kaal_word_t bootinfo, kaal_word_t unused)
{
    (void)ipc_buffer, (void)unused;
    struct objects o = make_objects(bootinfo);
    /* Above the server: it runs, and faults, before the server can answer the first call. */
    int err = start_server(&o, o.threads, 100);
    err = err ? err : sim_test_spawn(o.ut, o.threads + 3, 150, 0, symbol(&faulty, "write_null"), o.report, o.park, 0);
    EXPECT(err == KAAL_OK);
    EXPECT(call_server(&o) == 1);
    EXPECT(*progress() == 1);
    EXPECT(call_server(&o) == 2);
    EXPECT(kaal_poll(o.report) == 0); /* it never went on */
    sim_halt(0);
}

static void root_resume(kaal_word_t ipc_buffer, kaal_word_t bootinfo, kaal_word_t unused)
{
    (void)ipc_buffer, (void)unused;
    struct objects o = make_objects(bootinfo);
    int err = sim_test_spawn(o.ut, o.threads, 100, o.fault_ep_badged, symbol(&faulty, "write_null"), o.report,
                             o.park, 0);
    EXPECT(err == KAAL_OK);
    kaal_word_t badge = 0;
    kaal_word_t info = kaal_recv(o.fault_ep, &badge);
    note_fault("a NULL write, the run's first fault");
    EXPECT(kaal_msginfo_label(info) == KAAL_FAULT_VM);
    EXPECT(kaal_get_mr(KAAL_FAULT_VM_ADDRESS) == 0);
    EXPECT(kaal_get_mr(KAAL_FAULT_VM_ACCESS) == KAAL_VM_ACCESS_WRITE);
    EXPECT(in_faulty_code(kaal_get_mr(KAAL_FAULT_VM_PC)));

    /* Go on at recovered(): it writes to the protected page and faults again. */
    kaal_set_mr(0, (kaal_word_t)(uintptr_t)symbol(&faulty, "recovered"));
    kaal_set_mr(1, 0);
    info = kaal_reply_recv(o.fault_ep, kaal_msginfo(KAAL_FAULT_RESUME_AT, 0, 0, 2), &badge);
    note_fault("a write to a protected page, the same thread's second fault");
    kaal_word_t second_pc = kaal_get_mr(KAAL_FAULT_VM_PC);
    EXPECT(kaal_msginfo_label(info) == KAAL_FAULT_VM);
    EXPECT(badge == FAULT_BADGE);
    EXPECT(kaal_get_mr(KAAL_FAULT_VM_ADDRESS) == (kaal_word_t)(uintptr_t)guarded_page);
    EXPECT(kaal_get_mr(KAAL_FAULT_VM_ACCESS) == KAAL_VM_ACCESS_WRITE);
    EXPECT(kaal_get_mr(KAAL_FAULT_VM_CODE) == SEGV_ACCERR);
    EXPECT(in_faulty_code(second_pc));
    EXPECT(*progress() == 3);
    EXPECT(strcmp((const char *)sim_component_symbol(&faulty, "thread_name"), "faulty") == 0);

    /* Open the page and answer RESUME: the same write is tried again, and now it works. */
    EXPECT(mprotect((void *)guarded_page, 4096, PROT_READ | PROT_WRITE) == 0);
    kaal_reply(kaal_msginfo(KAAL_FAULT_RESUME, 0, 0, 0));
    kaal_wait(o.report);
    EXPECT(*progress() == 4);
    EXPECT(*guarded_page == 42);
    sim_halt(0);
}

static void root_syscall(kaal_word_t ipc_buffer, kaal_word_t bootinfo, kaal_word_t unused)
{
    (void)ipc_buffer, (void)unused;
    struct objects o = make_objects(bootinfo);
    int err = sim_test_spawn(o.ut, o.threads, 100, o.fault_ep_badged, symbol(&faulty, "bad_syscall"), o.report,
                             o.park, 0);
    EXPECT(err == KAAL_OK);
    kaal_word_t badge = 0;
    kaal_word_t info = kaal_recv(o.fault_ep, &badge);
    EXPECT(kaal_msginfo_label(info) == KAAL_FAULT_UNKNOWN_SYSCALL);
    EXPECT(badge == FAULT_BADGE);
    EXPECT(kaal_get_mr(KAAL_FAULT_SYSCALL_NUMBER) == 0x77);
    EXPECT(kaal_get_mr(KAAL_FAULT_SYSCALL_ARG0) == 5);
    EXPECT(*progress() == 1);
    kaal_reply(kaal_msginfo(KAAL_FAULT_RESUME, 0, 0, 0)); /* goes on after the syscall */
    kaal_wait(o.report);
    EXPECT(*progress() == 2);
    sim_halt(0);
}

/* The foreign scenario: the test's own SIGSEGV handler, and a plain pthread that faults. */
static sigjmp_buf foreign_jump;
static volatile uintptr_t foreign_address = 1;
static volatile int foreign_faults;
static int *volatile null_int;

static void test_segv(int sig, siginfo_t *info, void *uc)
{
    (void)sig, (void)uc;
    foreign_faults++;
    foreign_address = (uintptr_t)info->si_addr;
    siglongjmp(foreign_jump, 1);
}

__attribute__((no_sanitize("null"))) static void *foreign_thread(void *arg)
{
    (void)arg;
    if (sigsetjmp(foreign_jump, 1) == 0)
        foreign_address = (uintptr_t)*null_int;
    return NULL;
}

static void root_foreign(kaal_word_t ipc_buffer, kaal_word_t bootinfo, kaal_word_t unused)
{
    (void)ipc_buffer, (void)unused, (void)bootinfo;
    pthread_t t;
    EXPECT(pthread_create(&t, NULL, foreign_thread, NULL) == 0);
    pthread_join(t, NULL);
    EXPECT(foreign_faults == 1);
    EXPECT(foreign_address == 0);
    sim_halt(0);
}

/* A syscall whose register block is a bad pointer: the engine faults on it, inside the kernel flag. */
static void root_engine_crash(kaal_word_t ipc_buffer, kaal_word_t bootinfo, kaal_word_t unused)
{
    (void)ipc_buffer, (void)unused, (void)bootinfo;
    sim_syscall(KAAL_SYS_YIELD, (struct sim_syscall_regs *)(uintptr_t)16); /* not NULL: UBSan would catch NULL */
    sim_halt(3);
}

static void root_foreign_crash(kaal_word_t ipc_buffer, kaal_word_t bootinfo, kaal_word_t unused)
{
    (void)ipc_buffer, (void)unused, (void)bootinfo;
    pthread_t t;
    if (pthread_create(&t, NULL, foreign_thread, NULL) == 0)
        pthread_join(t, NULL);
    sim_halt(3);
}

/* Run a system in a child process that must die of the fault; check how it died and what it wrote. */
static void expect_crash(const char *name, void (*root)(kaal_word_t, kaal_word_t, kaal_word_t))
{
    printf("%s: %s\n", sim_test_name, name);
    fflush(stdout);
    fflush(stderr);
    int log = memfd_create("child-stderr", MFD_CLOEXEC);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        alarm(30); /* the watchdog thread did not come along: a child that hangs dies of SIGALRM */
        dup2(log, STDERR_FILENO);
        if (sim_boot(16u << 20) != 0)
            _exit(2);
        _exit(sim_run(root) == 3 ? 4 : 5); /* reached only if the fault was swallowed */
    }
    int status = 0;
    EXPECT(pid > 0 && waitpid(pid, &status, 0) == pid);
    char text[16384];
    ssize_t n = pread(log, text, sizeof text - 1, 0);
    close(log);
    text[n > 0 ? n : 0] = '\0';
#ifdef UNDER_ASAN
    EXPECT(WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 4 && WEXITSTATUS(status) != 5);
    EXPECT(strstr(text, "AddressSanitizer: SEGV") != NULL);
#else
    EXPECT(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
#endif
    if (sim_test_failures != 0)
        fprintf(stderr, "%s: the child's standard error:\n%s\n", sim_test_name, text);
}

/* Boot a system, run it, and check what the signal handlers counted. */
static void run(const char *name, void (*root)(kaal_word_t, kaal_word_t, kaal_word_t), uint64_t vm_faults,
                uint64_t chained)
{
    printf("%s: %s\n", sim_test_name, name);
    if (sim_component_load(FAULTY_PATH, "faulty", &faulty) != 0 ||
        sim_component_load(COUNTER_PATH, "server", &server) != 0 || sim_boot(16u << 20) != 0) {
        EXPECT(!"loading the components or booting");
        exit(2);
    }
    *(volatile kaal_word_t *volatile *)sim_component_symbol(&faulty, "guarded") = guarded_page;
    int status = sim_run(root);
    EXPECT(status == 0);
    struct sim_signal_stats st;
    sim_signal_stats(&st);
    EXPECT(st.vm_faults == vm_faults);
    EXPECT(st.chained == chained);
    sim_component_unload(&faulty);
    sim_component_unload(&server);
}

/* Run a system with the standard error going to a memfd; returns what was written there (and echoes it). */
static char *run_capturing_stderr(const char *name, void (*root)(kaal_word_t, kaal_word_t, kaal_word_t),
                                  uint64_t vm_faults)
{
    static char text[8192];
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int fd = memfd_create("stderr", MFD_CLOEXEC);
    EXPECT(saved >= 0 && fd >= 0 && dup2(fd, STDERR_FILENO) == STDERR_FILENO);
    run(name, root, vm_faults, 0);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    close(fd);
    text[n > 0 ? n : 0] = '\0';
    fputs(text, stderr);
    return text;
}

static unsigned count_lines_with(const char *text, const char *what)
{
    unsigned n = 0;
    for (const char *line = text; *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        char buf[512];
        snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf ? len : sizeof buf - 1), line);
        if (strstr(buf, what) != NULL)
            n++;
        line += len + (end != NULL);
    }
    return n;
}

int main(void)
{
    sim_test_name = "test_sim_faults";
    sim_test_watchdog(60);
    guarded_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (guarded_page == MAP_FAILED)
        return 2;

    run("handled: a NULL read, with a fault handler", root_handled, 1, 0);

    char *log = run_capturing_stderr("unhandled: a NULL write, no fault handler", root_unhandled, 1);
    EXPECT(count_lines_with(log, "no fault handler") == 1);
    EXPECT(count_lines_with(log, "VM fault at pc") == 1);
    EXPECT(count_lines_with(log, "(word 0x0)") == 1);

    run("resume: RESUME_AT a recovery entry, then RESUME a retried write", root_resume, 2, 0);
    run("syscall: an unknown syscall number", root_syscall, 0, 0);

    struct sigaction mine, before, after;
    memset(&mine, 0, sizeof mine);
    mine.sa_sigaction = test_segv;
    mine.sa_flags = SA_SIGINFO;
    sigemptyset(&mine.sa_mask);
    sigaction(SIGSEGV, &mine, &before);
    run("foreign: a fault outside the components goes to the previous handler", root_foreign, 0, 1);
    sigaction(SIGSEGV, &before, &after);
    EXPECT(after.sa_sigaction == test_segv); /* sim_run put it back */

    expect_crash("crashes: a fault inside the engine on a component thread", root_engine_crash);
    expect_crash("crashes: a fault on a plain pthread, no handler of the test's", root_foreign_crash);

    for (unsigned i = 0; i < fault_count; i++)
        printf("%s: %s reached its handler %.1f us after the component's last clock read\n", sim_test_name,
               fault_times[i].what, (double)fault_times[i].ns / 1000.0);
    printf("%s: %s\n", sim_test_name, sim_test_failures == 0 ? "ok" : "FAILED");
    return sim_test_failures == 0 ? 0 : 1;
}
