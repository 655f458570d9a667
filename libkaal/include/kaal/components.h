/*
 * The component table: the boot module (KAAL_MODULE_COMPONENTS) through
 * which the machine tells the root task which component images it has.
 *
 * On the sim the launcher loads each component's shared object and records
 * the host address of its entry point (`entry`); on aarch64 each image is an
 * ELF file inside the module (`image_offset`, `image_size`) that the root
 * task loads into the new VSpace.
 */
#ifndef KAAL_COMPONENTS_H
#define KAAL_COMPONENTS_H

#include <kaal/abi/types.h>

#define KAAL_COMPONENTS_MAGIC 0x706d6f434c61614bull /* "KaaLComp" */
#define KAAL_COMPONENT_NAME_MAX 24u

/* The entry point every component exports: the root task starts its first thread here. */
#define KAAL_COMPONENT_ENTRY_SYMBOL "kaal_component_entry"

struct kaal_component_image {
    char name[KAAL_COMPONENT_NAME_MAX]; /* NUL-terminated */
    kaal_word_t entry;                  /* sim: the entry's address; aarch64: its ELF virtual address */
    kaal_word_t image_offset;           /* aarch64: the ELF file within the module; sim: 0 */
    kaal_word_t image_size;
};

struct kaal_component_table {
    kaal_word_t magic;
    kaal_word_t count;
    struct kaal_component_image images[];
};

#endif
