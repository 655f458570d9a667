/*
 * The component loader (see kaal/sim/component.h).
 *
 * Principle: glibc knows a library by its path, so loading one file twice
 * gives the same instance. Each instance is therefore copied into a memfd
 * of its own and opened as /proc/<pid>/fd/<n> (not /proc/self: the
 * sanitizers' symbolizer runs in another process and must be able to open
 * the path). The fd stays open for the instance's life, or a reused fd
 * number would name the old instance. RTLD_LOCAL keeps instances apart;
 * their calls into libkaal resolve to the executable, linked with
 * -rdynamic. The code ranges go into a fixed table read without locks from
 * signal handlers.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kaal/sim/component.h>

#define MAX_INSTANCES 256u

struct code_range {
    _Atomic uintptr_t start, end; /* end == 0: a free entry */
    char name[SIM_COMPONENT_NAME_MAX];
};

static struct code_range ranges[MAX_INSTANCES];

/* Write all of buf, going on after a signal or a short write. */
static bool write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        buf += w;
        n -= (size_t)w;
    }
    return true;
}

static int copy_into_memfd(const char *path, const char *name)
{
    int src = open(path, O_RDONLY | O_CLOEXEC);
    if (src < 0) {
        fprintf(stderr, "kaal-sim: component %s: cannot open %s: %s\n", name, path, strerror(errno));
        return -1;
    }
    int fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "kaal-sim: component %s: memfd_create: %s\n", name, strerror(errno));
        close(src);
        return -1;
    }
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(src, buf, sizeof buf);
        if (n == 0)
            break;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || !write_all(fd, buf, (size_t)n)) {
            fprintf(stderr, "kaal-sim: component %s: copying %s failed: %s\n", name, path, strerror(errno));
            close(src);
            close(fd);
            return -1;
        }
    }
    close(src);
    return fd;
}

struct range_search {
    const char *path;
    uintptr_t start, end;
};

static int find_code(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct range_search *s = arg;
    if (info->dlpi_name == NULL || strcmp(info->dlpi_name, s->path) != 0)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        uintptr_t end = start + ph->p_memsz;
        if (s->end == 0 || start < s->start)
            s->start = start;
        if (end > s->end)
            s->end = end;
    }
    return 1;
}

static bool remember_range(uintptr_t start, uintptr_t end, const char *name)
{
    for (unsigned i = 0; i < MAX_INSTANCES; i++) {
        if (atomic_load(&ranges[i].end) == 0) {
            snprintf(ranges[i].name, sizeof ranges[i].name, "%s", name);
            atomic_store(&ranges[i].start, start);
            atomic_store(&ranges[i].end, end);
            return true;
        }
    }
    return false;
}

static void forget_range(uintptr_t start)
{
    for (unsigned i = 0; i < MAX_INSTANCES; i++) {
        if (atomic_load(&ranges[i].start) == start)
            atomic_store(&ranges[i].end, 0);
    }
}

int sim_component_load(const char *path, const char *name, struct sim_component *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", name);
    out->fd = copy_into_memfd(path, name);
    if (out->fd < 0)
        return -1;
    char self_path[64];
    snprintf(self_path, sizeof self_path, "/proc/%d/fd/%d", (int)getpid(), out->fd);
    out->handle = dlopen(self_path, RTLD_NOW | RTLD_LOCAL);
    if (out->handle == NULL) {
        fprintf(stderr, "kaal-sim: component %s: cannot load %s: %s\n", name, path, dlerror());
        close(out->fd);
        out->fd = -1;
        return -1;
    }
    struct range_search s = {.path = self_path};
    dl_iterate_phdr(find_code, &s);
    if (s.end == 0 || !remember_range(s.start, s.end, name)) {
        fprintf(stderr, "kaal-sim: component %s: %s\n", name,
                s.end == 0 ? "no executable segment found" : "too many component instances");
        sim_component_unload(out);
        return -1;
    }
    out->code_start = s.start;
    out->code_end = s.end;
    return 0;
}

void *sim_component_symbol(const struct sim_component *c, const char *symbol)
{
    void *p = dlsym(c->handle, symbol);
    if (p == NULL)
        fprintf(stderr, "kaal-sim: component %s has no symbol %s\n", c->name, symbol);
    return p;
}

void sim_component_unload(struct sim_component *c)
{
    if (c->code_end != 0)
        forget_range(c->code_start);
    if (c->handle != NULL)
        dlclose(c->handle);
    if (c->fd >= 0)
        close(c->fd);
    c->handle = NULL;
    c->fd = -1;
    c->code_start = c->code_end = 0;
}

static const struct code_range *range_at(uintptr_t pc)
{
    for (unsigned i = 0; i < MAX_INSTANCES; i++) {
        uintptr_t end = atomic_load(&ranges[i].end);
        if (end != 0 && pc >= atomic_load(&ranges[i].start) && pc < end)
            return &ranges[i];
    }
    return NULL;
}

bool sim_in_component_code(uintptr_t pc)
{
    return range_at(pc) != NULL;
}

const char *sim_component_name_at(uintptr_t pc)
{
    const struct code_range *r = range_at(pc);
    return r != NULL ? r->name : NULL;
}
