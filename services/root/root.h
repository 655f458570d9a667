/*
 * The root task's parts (docs/system.md): what they share.
 */
#ifndef KAAL_ROOT_H
#define KAAL_ROOT_H

#include <stdbool.h>
#include <stddef.h>

#include <kaal/components.h>
#include <kaal/env.h>
#include <kaal/kaal.h>

#define ROOT_CNODE KAAL_ROOT_SLOT_CNODE
#define ROOT_DEPTH 64u

/* ---- slots and memory (alloc.c) ---- */

struct root_alloc {
    const struct kaal_bootinfo *bi;
    kaal_word_t next_slot, end_slot;
    kaal_word_t device_used[KAAL_BOOTINFO_MAX_UNTYPED]; /* bytes handed out of each device untyped */
};

/* A free root CNode slot, or 0 when none is left. */
kaal_cptr_t alloc_slot(struct root_alloc *a);
/* count consecutive free slots; returns the first, or 0. */
kaal_cptr_t alloc_slots(struct root_alloc *a, kaal_word_t count);

/* Retype one object from whichever RAM untyped has room; dest is a free root slot. Returns a KAAL error. */
int alloc_object(struct root_alloc *a, kaal_word_t type, kaal_word_t size, kaal_cptr_t dest);

/* A 4 KiB device frame at physical address paddr, retyped from the device untyped that covers it. */
int alloc_device_frame(struct root_alloc *a, kaal_word_t paddr, kaal_cptr_t dest);

/* ---- address spaces (vm.c) ---- */

/*
 * Map frame into vspace at vaddr, making and entering the page tables that
 * are missing (retyped from ut into free root slots). *pointer: what the
 * owner of vspace uses to reach it.
 */
int vm_map(struct root_alloc *a, kaal_cptr_t ut, kaal_cptr_t vspace, kaal_cptr_t frame, kaal_word_t vaddr,
           kaal_word_t rights, void **pointer);

/* Map frame somewhere in the root task's own address space; NULL on failure. */
void *vm_map_own(struct root_alloc *a, kaal_cptr_t frame, kaal_word_t rights);

/*
 * Instructions written through [p, p + len) of the root task's own address
 * space: clean them from the data cache to where instruction fetch sees
 * them (aarch64: DC CVAU; the kernel invalidates the instruction cache when
 * it maps a frame executable). Nothing to do on the sim.
 */
void vm_clean_for_code(const void *p, size_t len);

/* ---- the device tree (devices.c) ---- */

struct device_info {
    kaal_word_t base, size;
    unsigned line; /* interrupt line (SPI n is line 32 + n) */
};

/* The first device compatible with `compatible`: 0, or -1 if the tree has none or it is malformed. */
int dtb_find(const void *fdt, const char *compatible, struct device_info *out);

/* ---- components (spawn.c) ---- */

#define MAX_INSTANCES 16u
#define INSTANCE_SLOTS 32u /* root slots per instance */

enum instance_state { INSTANCE_FREE, INSTANCE_RUNNING, INSTANCE_EXITED };

struct component_spec;

struct instance {
    enum instance_state state;
    const struct component_spec *spec;
    char name[KAAL_ENV_NAME_MAX];
    kaal_word_t priority;
    long status;            /* exit status, once exited */
    kaal_cptr_t slots;      /* its INSTANCE_SLOTS root slots; slots + 0 holds its untyped */
    bool has_untyped;       /* slots + 0 holds it (made at the entry's first use, kept) */
    kaal_cptr_t tcb;
    kaal_word_t next_slot;  /* the next of its slots to use */
    /*
     * A pair started together (spec->partner): the partner serves the other.
     * The partner ends with the one it serves, whatever way that ends; the one
     * it serves ends with it only when the partner fails (a fault, a status
     * other than 0): its calls would never come back.
     */
    struct instance *partner;
    bool serves_partner;    /* it is the partner: started for the other */
};

struct system;

/*
 * Is the component table usable: there, its magic, its entries and their
 * images inside the module the machine gave? Says on the console why not.
 */
bool components_usable(struct system *sys);

/* The image called name in the component table (once components_usable said yes), or NULL. */
const struct kaal_component_image *component_image(const struct kaal_component_table *t, const char *name);

/*
 * Start the component called name (from the component table) with an
 * argument string, and its partner first if its spec names one. Says on
 * the console why when it cannot.
 */
int spawn(struct system *sys, const char *name, const char *args);

/* Take an instance down and make its slots and memory ready for the next. */
void reclaim(struct system *sys, struct instance *in, long status);

/* ---- the system (system.c) ---- */

/* A named object the root task makes at boot and hands to components. */
struct system_object {
    const char *name;
    kaal_cptr_t cptr;
};

struct system {
    struct root_alloc alloc;
    const struct kaal_component_table *images;
    const void *fdt;
    kaal_cptr_t endpoint;   /* the root task's own: requests and faults */
    kaal_cptr_t console;    /* the console's endpoint, for the root task's own messages */
    struct instance *console_instance; /* the console server, once started */
    volatile void *uart;    /* the UART's page in the root task's own address space, once it needed it */
    struct system_object objects[16];
    unsigned object_count;
    struct instance instances[MAX_INSTANCES];
};

/* Badges on the root endpoint: the instance's index + 1, with this bit for its faults. */
#define ROOT_FAULT_BADGE ((kaal_word_t)1 << 62)

/*
 * The status the root task powers the machine off with when it cannot go
 * on: the component table is missing (99), a boot step failed (100 + the
 * error code), a component the system cannot do without (the console, the
 * shell) ended or could not start (98).
 */
#define ROOT_STATUS_ESSENTIAL_ENDED 98
#define ROOT_STATUS_NO_COMPONENTS 99
#define ROOT_STATUS_BOOT_ERROR 100

kaal_cptr_t system_object(const struct system *sys, const char *name);

/*
 * The root task's messages: through the console server while it runs;
 * before it runs and after it has ended, straight to the UART (the root
 * task never waits on a console that is not there).
 */
void root_log(struct system *sys, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A KAAL error code's name for a message ("not enough memory"). */
const char *root_error_name(int err);

#endif
