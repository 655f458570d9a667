/*
 * Components on the sim: a component is built from the same sources as on
 * aarch64, as a position-independent shared object, and each instance is
 * loaded on its own, so two instances of one component never share globals.
 * The loader remembers every instance's code range: that is what tells "in
 * component code" from "in the host C library" when a preemption signal
 * lands.
 */
#ifndef KAAL_SIM_COMPONENT_H
#define KAAL_SIM_COMPONENT_H

#include <stdbool.h>
#include <stdint.h>

#define SIM_COMPONENT_NAME_MAX 32u

struct sim_component {
    char name[SIM_COMPONENT_NAME_MAX];
    int fd;            /* the memfd holding this instance's copy; open for the instance's life */
    void *handle;      /* dlopen handle */
    uintptr_t code_start, code_end; /* its executable segment(s), lowest to highest */
};

/*
 * Load a fresh instance of the shared object at `path` under `name`.
 * Returns 0, or -1 with a message naming the file and the reason on stderr.
 */
int sim_component_load(const char *path, const char *name, struct sim_component *out);

/* The address of a symbol of the instance, or NULL (with a message) if it has none. */
void *sim_component_symbol(const struct sim_component *c, const char *symbol);

void sim_component_unload(struct sim_component *c);

/* Is pc inside the code of a loaded component instance? Safe in a signal handler. */
bool sim_in_component_code(uintptr_t pc);

/* The name of the component instance whose code holds pc, or NULL. */
const char *sim_component_name_at(uintptr_t pc);

#endif
