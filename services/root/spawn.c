/*
 * Making a component: its own CSpace (one CNode), VSpace, IPC buffer, stack,
 * environment page and thread, all retyped from one untyped of its own, so
 * that one Revoke takes everything back; then exactly the caps its spec
 * grants, and start.
 *
 * Address-space layout of a component (docs/system.md):
 *   0x1000            IPC buffer
 *   0x2000            environment (read-only)
 *   0x10000..0x14000  stack (the sim runs component code on its host
 *                     thread's stack; aarch64 uses this one)
 *   0x100000..        device registers the spec maps, a page each
 *   0x200000..        aarch64: the segments of its ELF image, up to 1 GiB
 *
 * Where the component table gives an image (aarch64), the component's ELF
 * file is loaded: checked by elf_parse, then every page of every segment is
 * a frame retyped from the instance's untyped, filled through a scratch
 * mapping in the root task's own address space and mapped into the
 * component's with the segment's rights. Where it gives only an entry
 * address (the sim, whose launcher has loaded the code), the thread starts
 * there.
 */
#include <string.h>

#include "elf.h"
#include "root.h"
#include "system.h"

#define INSTANCE_UNTYPED_BITS 17u /* 128 KiB: CNode 16 KiB, TCB 2 KiB, 5 tables, 6 frames and the image's */
#define COMPONENT_CNODE_RADIX 8u
#define IPC_BUFFER_VADDR 0x1000u
#define ENV_VADDR 0x2000u
#define STACK_VADDR 0x10000u
#define STACK_PAGES 4u
#define DEVICE_VADDR 0x100000u
/* Where a component's ELF segments may lie: above its first 2 MiB, within its first GiB (one PageDir). */
#define IMAGE_LOW 0x200000u
#define IMAGE_HIGH 0x40000000u
/* Where the root task maps an environment page or a page of an image while it writes it. */
#define ENV_SCRATCH_VADDR 0x0ff00000u
#define LOAD_SCRATCH_VADDR 0x0ff01000u
#define PAGE 4096u

static kaal_cptr_t next_slot(struct instance *in)
{
    if (in->next_slot >= INSTANCE_SLOTS)
        return 0;
    return in->slots + in->next_slot++;
}

const struct kaal_component_image *component_image(const struct kaal_component_table *t, const char *name)
{
    for (kaal_word_t i = 0; t != NULL && i < t->count; i++) {
        if (strncmp(t->images[i].name, name, KAAL_COMPONENT_NAME_MAX) == 0)
            return &t->images[i];
    }
    return NULL;
}

bool components_usable(struct system *sys)
{
    const struct kaal_boot_module *m = kaal_bootinfo_module(sys->alloc.bi, KAAL_MODULE_COMPONENTS);
    const struct kaal_component_table *t = sys->images;
    if (m == NULL || t == NULL) {
        root_log(sys, "root: the machine gave no component table; powering off (status %d)\n", ROOT_STATUS_NO_COMPONENTS);
        return false;
    }
    kaal_word_t header = sizeof *t, entry = sizeof t->images[0];
    const char *why = NULL;
    if (m->size < header)
        why = "shorter than its header";
    else if (t->magic != KAAL_COMPONENTS_MAGIC)
        why = "no component table magic";
    else if (t->count > (m->size - header) / entry)
        why = "more entries than its bytes hold";
    for (kaal_word_t i = 0; why == NULL && i < t->count; i++) {
        const struct kaal_component_image *img = &t->images[i];
        if (img->image_offset > m->size || img->image_size > m->size - img->image_offset)
            why = "an image lies past its end";
        else if (memchr(img->name, '\0', sizeof img->name) == NULL)
            why = "a name without its end";
    }
    if (why != NULL) {
        root_log(sys, "root: the component table (%lu bytes) is unusable: %s; powering off (status %d)\n",
                 (unsigned long)m->size, why, ROOT_STATUS_NO_COMPONENTS);
        return false;
    }
    return true;
}

static struct instance *free_instance(struct system *sys)
{
    for (unsigned i = 0; i < MAX_INSTANCES; i++) {
        if (sys->instances[i].state != INSTANCE_RUNNING)
            return &sys->instances[i];
    }
    return NULL;
}

static unsigned free_instances(const struct system *sys)
{
    unsigned n = 0;
    for (unsigned i = 0; i < MAX_INSTANCES; i++)
        n += sys->instances[i].state != INSTANCE_RUNNING;
    return n;
}

/* Retype one object of the instance from its untyped into its next slot. */
static kaal_cptr_t make(struct instance *in, kaal_word_t type, kaal_word_t size, int *err)
{
    kaal_cptr_t slot = next_slot(in);
    if (*err != KAAL_OK)
        return 0;
    *err = slot == 0 ? KAAL_ERR_NOT_ENOUGH_MEMORY
                     : kaal_untyped_retype(in->slots, type, size, ROOT_CNODE, 0, 0, slot, 1);
    return slot;
}

/* The address-space part: tables for the first 2 MiB, IPC buffer and stack. */
static int build_vspace(struct instance *in, kaal_cptr_t vspace, kaal_cptr_t *ipc_buffer)
{
    int err = KAAL_OK;
    kaal_cptr_t pud = make(in, KAAL_OBJ_PAGE_UPPER_DIR, 0, &err);
    kaal_cptr_t pd = make(in, KAAL_OBJ_PAGE_DIR, 0, &err);
    kaal_cptr_t pt = make(in, KAAL_OBJ_PAGE_TABLE, 0, &err);
    *ipc_buffer = make(in, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, &err);
    err = err ? err : kaal_page_table_map(pud, vspace, 0);
    err = err ? err : kaal_page_table_map(pd, vspace, 0);
    err = err ? err : kaal_page_table_map(pt, vspace, 0);
    err = err ? err : kaal_frame_map(*ipc_buffer, vspace, IPC_BUFFER_VADDR, KAAL_RIGHT_READ | KAAL_RIGHT_WRITE, 0, NULL);
    for (unsigned i = 0; i < STACK_PAGES && err == KAAL_OK; i++) {
        kaal_cptr_t page = make(in, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, &err);
        err = err ? err : kaal_frame_map(page, vspace, STACK_VADDR + i * 4096u, KAAL_RIGHT_READ | KAAL_RIGHT_WRITE, 0, NULL);
    }
    return err;
}

/* Give the component one granted cap, or map the granted device page; record it in env. */
static int grant(struct system *sys, struct instance *in, const struct grant *g, kaal_cptr_t cnode,
                 kaal_cptr_t vspace, struct kaal_env *env, kaal_word_t *cslot, kaal_word_t *device_vaddr)
{
    if (g->kind == GRANT_DEVICE) {
        kaal_cptr_t copy = next_slot(in);
        kaal_cptr_t frame = system_object(sys, g->object);
        void *p = NULL;
        int err = copy == 0 || frame == 0 ? KAAL_ERR_INVALID_ARGUMENT
                                          : kaal_cnode_copy(ROOT_CNODE, copy, ROOT_DEPTH, ROOT_CNODE, frame, ROOT_DEPTH,
                                                            KAAL_RIGHT_READ | KAAL_RIGHT_WRITE);
        err = err ? err : kaal_frame_map(copy, vspace, *device_vaddr, KAAL_RIGHT_READ | KAAL_RIGHT_WRITE, 0, &p);
        if (err != KAAL_OK || env->nmaps == KAAL_ENV_MAX_MAPS)
            return err ? err : KAAL_ERR_RANGE_ERROR;
        struct kaal_env_map *m = &env->maps[env->nmaps++];
        strncpy(m->name, g->name, sizeof m->name - 1);
        m->pointer = (kaal_word_t)(uintptr_t)p;
        m->size = 4096;
        *device_vaddr += 4096;
        return KAAL_OK;
    }
    kaal_word_t index = (*cslot)++;
    if (index >= ((kaal_word_t)1 << COMPONENT_CNODE_RADIX) || env->ncaps == KAAL_ENV_MAX_CAPS)
        return KAAL_ERR_RANGE_ERROR;
    int err;
    if (g->kind == GRANT_CNODE) {
        err = kaal_cnode_copy(cnode, index, ROOT_DEPTH, ROOT_CNODE, cnode, ROOT_DEPTH, KAAL_RIGHTS_ALL);
    } else {
        kaal_cptr_t src = g->kind == GRANT_ROOT ? sys->endpoint : system_object(sys, g->object);
        kaal_word_t badge = g->kind == GRANT_ROOT ? (kaal_word_t)(in - sys->instances) + 1 : g->badge;
        err = src == 0 ? KAAL_ERR_INVALID_ARGUMENT
                       : kaal_cnode_mint(cnode, index, ROOT_DEPTH, ROOT_CNODE, src, ROOT_DEPTH, g->rights, badge);
    }
    if (err != KAAL_OK)
        return err;
    struct kaal_env_cap *c = &env->caps[env->ncaps++];
    strncpy(c->name, g->name, sizeof c->name - 1);
    c->cptr = index;
    return KAAL_OK;
}

/* Map frame into the instance's vspace, making the missing page tables from its own untyped. */
static int map_in(struct instance *in, kaal_cptr_t vspace, kaal_cptr_t frame, kaal_word_t vaddr, kaal_word_t rights,
                  kaal_word_t attributes)
{
    for (unsigned tries = 0; tries <= 3; tries++) {
        int err = kaal_frame_map(frame, vspace, vaddr, rights, attributes, NULL);
        if (err != KAAL_ERR_FAILED_LOOKUP || kaal_get_mr(1) != KAAL_LOOKUP_MISSING_TABLE)
            return err;
        kaal_word_t level = kaal_get_mr(2);
        if (level < 1 || level > 3)
            return KAAL_ERR_FAILED_LOOKUP;
        kaal_word_t type = level == 1 ? KAAL_OBJ_PAGE_UPPER_DIR : level == 2 ? KAAL_OBJ_PAGE_DIR : KAAL_OBJ_PAGE_TABLE;
        kaal_word_t span = (kaal_word_t)1 << (12u + 9u * (4u - (unsigned)level));
        err = KAAL_OK;
        kaal_cptr_t table = make(in, type, 0, &err);
        err = err ? err : kaal_page_table_map(table, vspace, vaddr & ~(span - 1));
        if (err != KAAL_OK)
            return err;
    }
    return KAAL_ERR_FAILED_LOOKUP;
}

/* Why the last image could not be loaded (for start_instance's message), or NULL. */
static const char *image_problem;

/*
 * Load the component's ELF image into vspace; *entry: where it starts.
 * An image the table or elf_parse finds unusable sets image_problem.
 */
static int load_image(struct system *sys, struct instance *in, kaal_cptr_t vspace,
                      const struct kaal_component_image *img, kaal_word_t *entry)
{
    static struct elf_image elf;
    const uint8_t *file = (const uint8_t *)sys->images + img->image_offset;
    enum elf_status st = elf_parse(file, img->image_size, IMAGE_LOW, IMAGE_HIGH, &elf);
    if (st != ELF_OK) {
        image_problem = elf_status_name(st);
        return KAAL_ERR_INVALID_ARGUMENT;
    }
    for (unsigned i = 0; i < elf.count; i++) {
        const struct elf_segment *seg = &elf.segments[i];
        kaal_word_t rights = KAAL_RIGHT_READ | (seg->flags & ELF_SEGMENT_WRITE ? KAAL_RIGHT_WRITE : 0);
        kaal_word_t attributes = seg->flags & ELF_SEGMENT_EXEC ? KAAL_MAP_EXECUTABLE : 0;
        for (kaal_word_t va = seg->vaddr & ~(kaal_word_t)(PAGE - 1); va < seg->vaddr + seg->memsz; va += PAGE) {
            int err = KAAL_OK;
            kaal_cptr_t frame = make(in, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, &err);
            void *own = NULL;
            err = err ? err
                      : vm_map(&sys->alloc, 0, KAAL_ROOT_SLOT_VSPACE, frame, LOAD_SCRATCH_VADDR,
                               KAAL_RIGHT_READ | KAAL_RIGHT_WRITE, &own);
            if (err != KAAL_OK)
                return err;
            /* The file's bytes inside this page; the rest stays zero (a new frame reads as zero). */
            kaal_word_t lo = va > seg->vaddr ? va : seg->vaddr, hi = seg->vaddr + seg->filesz;
            if (hi > va + PAGE)
                hi = va + PAGE;
            if (lo < hi)
                memcpy((char *)own + (lo - va), file + seg->offset + (lo - seg->vaddr), hi - lo);
            if (attributes & KAAL_MAP_EXECUTABLE)
                vm_clean_for_code(own, PAGE);
            err = kaal_frame_unmap(frame);
            err = err ? err : map_in(in, vspace, frame, va, rights, attributes);
            if (err != KAAL_OK)
                return err;
        }
    }
    *entry = elf.entry;
    return KAAL_OK;
}

/* Fill the environment page through a mapping of our own, then hand it over read-only. */
static int write_env(struct system *sys, struct instance *in, kaal_cptr_t vspace, const struct kaal_env *env,
                     void **env_pointer)
{
    int err = KAAL_OK;
    kaal_cptr_t page = make(in, KAAL_OBJ_FRAME, KAAL_FRAME_BITS_SMALL, &err);
    if (err != KAAL_OK)
        return err;
    void *own = NULL;
    err = vm_map(&sys->alloc, 0, KAAL_ROOT_SLOT_VSPACE, page, ENV_SCRATCH_VADDR, KAAL_RIGHT_READ | KAAL_RIGHT_WRITE,
                 &own);
    if (err != KAAL_OK)
        return err;
    memcpy(own, env, sizeof *env);
    err = kaal_frame_unmap(page);
    return err ? err : kaal_frame_map(page, vspace, ENV_VADDR, KAAL_RIGHT_READ, 0, env_pointer);
}

static int build(struct system *sys, struct instance *in, const struct component_spec *spec,
                 const struct kaal_component_image *img, const char *args)
{
    static struct kaal_env env; /* one page: too large for the stack of a small thread */
    memset(&env, 0, sizeof env);
    env.magic = KAAL_ENV_MAGIC;
    strncpy(env.name, spec->name, sizeof env.name - 1);
    strncpy(env.args, args, sizeof env.args - 1);
    env.cnode_radix = COMPONENT_CNODE_RADIX;

    int err = KAAL_OK;
    kaal_cptr_t cnode_raw = make(in, KAAL_OBJ_CNODE, COMPONENT_CNODE_RADIX, &err);
    kaal_cptr_t cnode = next_slot(in);
    kaal_cptr_t vspace = make(in, KAAL_OBJ_VSPACE, 0, &err);
    kaal_cptr_t tcb = make(in, KAAL_OBJ_TCB, 0, &err);
    kaal_cptr_t fault_ep = next_slot(in);
    kaal_cptr_t ipc_buffer = 0;
    if (err != KAAL_OK || cnode == 0 || fault_ep == 0)
        return err ? err : KAAL_ERR_NOT_ENOUGH_MEMORY;
    /* A guard of the bits above the radix: every CPtr resolves in this one CNode at depth 64. */
    err = kaal_cnode_mint(ROOT_CNODE, cnode, ROOT_DEPTH, ROOT_CNODE, cnode_raw, ROOT_DEPTH, KAAL_RIGHTS_ALL,
                          KAAL_CNODE_DATA(0, 64 - COMPONENT_CNODE_RADIX));
    err = err ? err : build_vspace(in, vspace, &ipc_buffer);
    kaal_word_t entry = img->entry;
    if (err == KAAL_OK && img->image_size != 0)
        err = load_image(sys, in, vspace, img, &entry);

    kaal_word_t cslot = 1, device_vaddr = DEVICE_VADDR;
    struct grant root_grant = {.name = KAAL_ENV_CAP_ROOT, .kind = GRANT_ROOT, .rights = KAAL_RIGHT_WRITE};
    err = err ? err : grant(sys, in, &root_grant, cnode, vspace, &env, &cslot, &device_vaddr);
    for (const struct grant *g = spec->grants; g->name != NULL && err == KAAL_OK; g++)
        err = grant(sys, in, g, cnode, vspace, &env, &cslot, &device_vaddr);

    void *env_pointer = NULL;
    err = err ? err : write_env(sys, in, vspace, &env, &env_pointer);
    kaal_word_t fault_badge = ROOT_FAULT_BADGE | ((kaal_word_t)(in - sys->instances) + 1);
    err = err ? err : kaal_cnode_mint(ROOT_CNODE, fault_ep, ROOT_DEPTH, ROOT_CNODE, sys->endpoint, ROOT_DEPTH,
                                      KAAL_RIGHT_WRITE, fault_badge);
    err = err ? err : kaal_tcb_configure(tcb, cnode, vspace, ipc_buffer, 0, fault_ep);
    err = err ? err : kaal_tcb_set_priority(tcb, KAAL_ROOT_SLOT_TCB, spec->priority);
    if (err == KAAL_OK && spec->bound_notification != NULL)
        err = kaal_tcb_bind_notification(tcb, system_object(sys, spec->bound_notification));
    if (err != KAAL_OK)
        return err;
    in->tcb = tcb;
    in->state = INSTANCE_RUNNING;
    /* entry(env, IPC buffer, 0): the aarch64 start file points its thread control block at the buffer. */
    return kaal_tcb_start(tcb, (void (*)(kaal_word_t, kaal_word_t, kaal_word_t))(uintptr_t)entry,
                          STACK_VADDR + STACK_PAGES * 4096u, (kaal_word_t)(uintptr_t)env_pointer, IPC_BUFFER_VADDR, 0);
}

/* One instance of spec in a free entry; *out: the instance, running. */
static int start_instance(struct system *sys, const struct component_spec *spec,
                          const struct kaal_component_image *img, const char *args, struct instance **out)
{
    struct instance *in = free_instance(sys);
    if (in == NULL)
        return KAAL_ERR_NOT_ENOUGH_MEMORY;
    /* First use of this entry: its slots and its untyped, kept for every later instance. */
    if (in->slots == 0)
        in->slots = alloc_slots(&sys->alloc, INSTANCE_SLOTS);
    if (in->slots == 0) {
        root_log(sys, "root: cannot start '%s': the root task has no free slots left\n", spec->name);
        return KAAL_ERR_NOT_ENOUGH_MEMORY;
    }
    if (!in->has_untyped) {
        int err = alloc_object(&sys->alloc, KAAL_OBJ_UNTYPED, INSTANCE_UNTYPED_BITS, in->slots);
        if (err != KAAL_OK) {
            root_log(sys, "root: cannot start '%s': no %u KiB of memory left for it (%s)\n", spec->name,
                     (1u << INSTANCE_UNTYPED_BITS) / 1024u, root_error_name(err));
            return err;
        }
        in->has_untyped = true;
    }
    in->next_slot = 1;
    in->spec = spec;
    memset(in->name, 0, sizeof in->name);
    strncpy(in->name, spec->name, sizeof in->name - 1);
    in->priority = spec->priority;
    in->status = 0;
    in->partner = NULL;
    in->serves_partner = false;
    image_problem = NULL;
    int err = build(sys, in, spec, img, args);
    if (err != KAAL_OK) {
        if (image_problem != NULL)
            root_log(sys, "root: cannot start '%s': its image is unusable: %s\n", spec->name, image_problem);
        else
            root_log(sys, "root: cannot start '%s': %s (error %d)\n", spec->name, root_error_name(err), err);
        reclaim(sys, in, -1);
        return err;
    }
    *out = in;
    return KAAL_OK;
}

int spawn(struct system *sys, const char *name, const char *args)
{
    const struct component_spec *spec = component_spec(name);
    const struct kaal_component_image *img = component_image(sys->images, name);
    if (spec == NULL || img == NULL) {
        root_log(sys, "root: no component called '%s' in this system\n", name);
        return KAAL_ERR_INVALID_ARGUMENT;
    }
    const struct component_spec *partner_spec = spec->partner != NULL ? component_spec(spec->partner) : NULL;
    const struct kaal_component_image *partner_img =
        spec->partner != NULL ? component_image(sys->images, spec->partner) : NULL;
    if (spec->partner != NULL && (partner_spec == NULL || partner_img == NULL)) {
        root_log(sys, "root: cannot start '%s': it needs '%s', which this system does not have\n", name,
                 spec->partner);
        return KAAL_ERR_INVALID_ARGUMENT;
    }
    unsigned needed = partner_spec != NULL ? 2u : 1u;
    if (free_instances(sys) < needed) {
        if (partner_spec != NULL)
            root_log(sys, "root: cannot start '%s' (and '%s' with it): all %u instances are in use (ps lists them)\n",
                     name, partner_spec->name, MAX_INSTANCES);
        else
            root_log(sys, "root: cannot start '%s': all %u instances are in use (ps lists them)\n", name,
                     MAX_INSTANCES);
        return KAAL_ERR_NOT_ENOUGH_MEMORY;
    }
    struct instance *partner = NULL, *in = NULL;
    int err = partner_spec != NULL ? start_instance(sys, partner_spec, partner_img, "", &partner) : KAAL_OK;
    err = err ? err : start_instance(sys, spec, img, args, &in);
    if (err != KAAL_OK) {
        if (partner != NULL)
            reclaim(sys, partner, -1); /* it has not run yet: the root task runs above every component */
        return err;
    }
    if (partner != NULL) {
        in->partner = partner;
        partner->partner = in;
        partner->serves_partner = true;
    }
    return KAAL_OK;
}

void reclaim(struct system *sys, struct instance *in, long status)
{
    (void)sys;
    /* Everything retyped from its untyped (and every copy of it) goes; then the other caps it held. */
    kaal_cnode_revoke(ROOT_CNODE, in->slots, ROOT_DEPTH);
    for (kaal_word_t i = 1; i < INSTANCE_SLOTS; i++)
        kaal_cnode_delete(ROOT_CNODE, in->slots + i, ROOT_DEPTH);
    in->state = INSTANCE_EXITED;
    in->status = status;
    in->tcb = 0;
    if (in->partner != NULL && in->partner->partner == in)
        in->partner->partner = NULL;
    in->partner = NULL;
    in->serves_partner = false;
}
