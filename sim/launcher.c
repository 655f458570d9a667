/*
 * kaal-sim: the first system as one host process (docs/system.md).
 *
 * Principle of operation: load every component's shared object (one
 * instance each), describe them in a component table, create the machine
 * (PL011 on the host terminal, PL031, the device tree), boot the kernel with
 * the device tree and the table as boot modules, and run the root task until
 * some component powers the machine off; then restore the terminal and exit
 * with the status it gave.
 *
 * The terminal belongs to the launcher. In real time its input goes straight
 * to the UART (an input thread, waiting while the FIFO is full); end of
 * input ends the run once the system has consumed everything and is idle.
 * In a deterministic run the input waits in a queue and the engine's idle
 * hook feeds it one byte at a time, each 100 us of virtual time after the
 * system last went idle, so a run depends on the bytes only, never on when
 * they arrived.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kaal/abi/bootinfo.h>
#include <kaal/components.h>
#include <kaal/machine/machine.h>
#include <kaal/machine/pl011.h>
#include <kaal/machine/terminal.h>
#include <kaal/sim/component.h>
#include <kaal/sim/engine.h>

#define RAM_MIB_DEFAULT 64u
#define INPUT_QUEUE 4096u
#define BYTE_GAP_NS 100000u /* deterministic runs: virtual time between two input bytes */
#define EPOCH_NS 1767225600000000000ull /* 2026-01-01T00:00:00Z: the RTC's time at virtual zero */

static const char *const component_names[] = {"console", "shell", "ping", "pong"};
#define COMPONENTS (sizeof component_names / sizeof component_names[0])
#define MAX_EXTRA 4u

struct options {
    bool deterministic;
    bool log_rejections;
    uint64_t seed;
    const char *dir;
    unsigned ram_mib;
    const char *extra[MAX_EXTRA]; /* --with: components beyond the standard ones */
    unsigned extra_count;
};

/* Input from the terminal, waiting for the UART (deterministic: for the idle hook). */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    uint8_t bytes[INPUT_QUEUE];
    size_t head, count;
    bool ended;
} input = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0, 0, false};

static struct sim_machine *machine;
static struct sim_terminal *terminal;

static void usage(FILE *to)
{
    fprintf(to, "usage: kaal-sim [--deterministic] [--seed N] [--components DIR] [--ram MIB] [--with NAME]\n"
                "                [--log-rejections]\n"
                "  boots the KaaL system in this process; the shell talks on this terminal.\n"
                "  --deterministic  virtual time: the same input gives the same output, byte for byte\n"
                "  --seed N         with --deterministic: where timeslices end (default 0)\n"
                "  --components DIR the component shared objects (default: the build's)\n"
                "  --ram MIB        guest RAM (default %u)\n"
                "  --with NAME      also load component NAME (crash: faults at start; probe: asks the\n"
                "                   root task and the console for wrong things and prints their answers)\n"
                "  --log-rejections show the debug kernel's line for every refused invocation\n",
            RAM_MIB_DEFAULT);
}

static bool parse_number(const char *s, unsigned long long max, unsigned long long *out)
{
    if (s == NULL || *s == '\0')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno != 0 || *end != '\0' || v > max || s[0] == '-')
        return false;
    *out = v;
    return true;
}

static int parse(int argc, char **argv, struct options *o)
{
    *o = (struct options){.dir = KAAL_COMPONENTS_DIR, .ram_mib = RAM_MIB_DEFAULT};
    for (int i = 1; i < argc; i++) {
        unsigned long long v;
        if (strcmp(argv[i], "--deterministic") == 0) {
            o->deterministic = true;
        } else if (strcmp(argv[i], "--seed") == 0) {
            if (!parse_number(i + 1 < argc ? argv[++i] : NULL, UINT64_MAX, &v)) {
                fprintf(stderr, "kaal-sim: --seed needs a number, not '%s'\n", i < argc ? argv[i] : "");
                return -1;
            }
            o->seed = v;
        } else if (strcmp(argv[i], "--components") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "kaal-sim: --components needs a directory\n");
                return -1;
            }
            o->dir = argv[++i];
        } else if (strcmp(argv[i], "--ram") == 0) {
            if (!parse_number(i + 1 < argc ? argv[++i] : NULL, 4096, &v) || v < 16) {
                fprintf(stderr, "kaal-sim: --ram needs a size in MiB from 16 to 4096\n");
                return -1;
            }
            o->ram_mib = (unsigned)v;
        } else if (strcmp(argv[i], "--with") == 0) {
            if (i + 1 >= argc || o->extra_count == MAX_EXTRA) {
                fprintf(stderr, "kaal-sim: --with needs a component name (at most %u of them)\n", MAX_EXTRA);
                return -1;
            }
            const char *name = argv[++i];
            bool known = false;
            for (size_t k = 0; k < COMPONENTS; k++)
                known = known || strcmp(name, component_names[k]) == 0;
            for (unsigned k = 0; k < o->extra_count; k++)
                known = known || strcmp(name, o->extra[k]) == 0;
            if (known) {
                fprintf(stderr, "kaal-sim: --with %s: that component is loaded already\n", name);
                return -1;
            }
            o->extra[o->extra_count++] = name;
        } else if (strcmp(argv[i], "--log-rejections") == 0) {
            o->log_rejections = true;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            exit(0);
        } else {
            fprintf(stderr, "kaal-sim: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return -1;
        }
    }
    if (o->seed != 0 && !o->deterministic) {
        fprintf(stderr, "kaal-sim: --seed only means something with --deterministic\n");
        return -1;
    }
    return 0;
}

/* ---- input ---- */

static size_t queue_receive(void *ctx, const uint8_t *bytes, size_t n)
{
    (void)ctx;
    pthread_mutex_lock(&input.lock);
    size_t take = INPUT_QUEUE - input.count < n ? INPUT_QUEUE - input.count : n;
    for (size_t i = 0; i < take; i++)
        input.bytes[(input.head + input.count + i) % INPUT_QUEUE] = bytes[i];
    input.count += take;
    pthread_cond_broadcast(&input.changed);
    pthread_mutex_unlock(&input.lock);
    return take;
}

static bool queue_wait_room(void *ctx, uint64_t timeout_ns)
{
    (void)ctx;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)(timeout_ns / 1000000000u);
    until.tv_nsec += (long)(timeout_ns % 1000000000u);
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&input.lock);
    while (input.count == INPUT_QUEUE && pthread_cond_timedwait(&input.changed, &input.lock, &until) == 0)
        ;
    bool room = input.count < INPUT_QUEUE;
    pthread_mutex_unlock(&input.lock);
    return room;
}

static size_t uart_receive(void *ctx, const uint8_t *bytes, size_t n)
{
    (void)ctx;
    return pl011_receive(sim_machine_uart(machine), bytes, n);
}

static bool uart_wait_room(void *ctx, uint64_t timeout_ns)
{
    (void)ctx;
    return pl011_wait_room(sim_machine_uart(machine), timeout_ns);
}

static void input_ended(void *ctx, int error)
{
    (void)ctx;
    if (error != 0)
        fprintf(stderr, "kaal-sim: reading the input failed: %s; no more input\n", strerror(error));
    pthread_mutex_lock(&input.lock);
    input.ended = true;
    pthread_cond_broadcast(&input.changed);
    pthread_mutex_unlock(&input.lock);
}

/* Deterministic runs: the next input byte into the UART, or false when input has ended (the run ends). */
static bool feed_next_byte(void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&input.lock);
    while (input.count == 0 && !input.ended)
        pthread_cond_wait(&input.changed, &input.lock);
    if (input.count == 0) {
        pthread_mutex_unlock(&input.lock);
        return false;
    }
    uint8_t b = input.bytes[input.head];
    pthread_mutex_unlock(&input.lock);
    sim_time_advance(BYTE_GAP_NS);
    if (pl011_receive(sim_machine_uart(machine), &b, 1) != 1) {
        fprintf(stderr, "kaal-sim: the system is idle but the UART takes no input (its FIFO is full); ending\n");
        return false;
    }
    pthread_mutex_lock(&input.lock);
    input.head = (input.head + 1) % INPUT_QUEUE;
    input.count--;
    pthread_cond_broadcast(&input.changed);
    pthread_mutex_unlock(&input.lock);
    return true;
}

/* Real time: has input ended and has the system taken every byte of it? */
static bool input_consumed(void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&input.lock);
    bool ended = input.ended;
    pthread_mutex_unlock(&input.lock);
    return ended && pl011_rx_empty(sim_machine_uart(machine));
}

static void uart_output(void *ctx, uint8_t byte)
{
    (void)ctx;
    sim_terminal_write(terminal, byte);
}

static uint64_t virtual_clock(void *ctx)
{
    (void)ctx;
    return EPOCH_NS + sim_time_now_ns();
}

static uint64_t poll_machine(void *ctx)
{
    return sim_machine_poll(ctx);
}

/* Ctrl-C: the terminal's handler restored the mode before it called this one. */
static void on_interrupt(int sig)
{
    (void)sig;
    static const char bye[] = "\nkaal-sim: interrupted; bye\n";
    ssize_t n = write(STDERR_FILENO, bye, sizeof bye - 1);
    (void)n;
    _exit(0);
}

/* ---- components ---- */

static struct sim_component root_instance, instances[COMPONENTS + MAX_EXTRA];

static int load(const char *dir, const char *name, struct sim_component *out)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s.so", dir, name) >= (int)sizeof path) {
        fprintf(stderr, "kaal-sim: component path too long: %s/%s.so\n", dir, name);
        return -1;
    }
    return sim_component_load(path, name, out);
}

static size_t loaded;

static struct kaal_component_table *component_table(const struct options *o, size_t *bytes)
{
    size_t count = COMPONENTS + o->extra_count;
    *bytes = sizeof(struct kaal_component_table) + count * sizeof(struct kaal_component_image);
    struct kaal_component_table *t = calloc(1, *bytes);
    if (t == NULL)
        return NULL;
    t->magic = KAAL_COMPONENTS_MAGIC;
    for (size_t i = 0; i < count; i++) {
        const char *name = i < COMPONENTS ? component_names[i] : o->extra[i - COMPONENTS];
        if (strlen(name) >= KAAL_COMPONENT_NAME_MAX || load(o->dir, name, &instances[i]) != 0) {
            fprintf(stderr, "kaal-sim: cannot load component '%s' from %s\n", name, o->dir);
            free(t);
            return NULL;
        }
        loaded = i + 1;
        void *entry = sim_component_symbol(&instances[i], KAAL_COMPONENT_ENTRY_SYMBOL);
        if (entry == NULL) {
            fprintf(stderr, "kaal-sim: component %s has no %s\n", name, KAAL_COMPONENT_ENTRY_SYMBOL);
            free(t);
            return NULL;
        }
        struct kaal_component_image *img = &t->images[t->count++];
        snprintf(img->name, sizeof img->name, "%s", name);
        img->entry = (kaal_word_t)(uintptr_t)entry;
    }
    return t;
}

int main(int argc, char **argv)
{
    struct options o;
    if (parse(argc, argv, &o) != 0)
        return 2;
    sim_console_mute_rejections(!o.log_rejections);
    signal(SIGINT, on_interrupt);
    signal(SIGTERM, on_interrupt);

    size_t table_bytes;
    struct kaal_component_table *table = component_table(&o, &table_bytes);
    if (table == NULL || load(o.dir, "root", &root_instance) != 0)
        return 2;
    void (*root_entry)(kaal_word_t, kaal_word_t, kaal_word_t) =
        (void (*)(kaal_word_t, kaal_word_t, kaal_word_t))sim_component_symbol(&root_instance, "kaal_root_main");
    if (root_entry == NULL) {
        fprintf(stderr, "kaal-sim: the root task has no kaal_root_main\n");
        return 2;
    }

    struct sim_machine_config mc = {.uart_output = uart_output, .clock_ns = o.deterministic ? virtual_clock : NULL};
    machine = sim_machine_create(&mc);
    if (machine == NULL)
        return 2;
    struct sim_terminal_config tc = {.in_fd = STDIN_FILENO, .out_fd = STDOUT_FILENO,
                                     .receive = o.deterministic ? queue_receive : uart_receive,
                                     .wait_room = o.deterministic ? queue_wait_room : uart_wait_room,
                                     .eof = input_ended};
    terminal = sim_terminal_open(&tc);
    if (terminal == NULL) {
        sim_machine_destroy(machine);
        return 2;
    }
    if (o.deterministic)
        sim_set_virtual_time(&(struct sim_virtual_time){.seed = o.seed, .idle = feed_next_byte});
    else
        sim_set_idle_check(input_consumed, NULL);

    struct sim_boot_module modules[] = {{KAAL_MODULE_COMPONENTS, table, table_bytes}};
    struct sim_boot_config bc = {.ram_bytes = (size_t)o.ram_mib << 20, .modules = modules, .module_count = 1,
                                 .layout = sim_machine_layout, .layout_ctx = machine,
                                 .poll = poll_machine, .poll_ctx = machine};
    int status = sim_boot_machine(&bc) == 0 ? sim_run(root_entry) : 2;
    sim_terminal_close(terminal);
    sim_machine_destroy(machine);
    for (size_t i = 0; i < loaded; i++)
        sim_component_unload(&instances[i]);
    sim_component_unload(&root_instance);
    free(table);
    return status;
}
