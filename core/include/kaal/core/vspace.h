/*
 * Address spaces: ASIDs, page tables and frame mappings (docs/memory.md).
 */
#ifndef KAAL_CORE_VSPACE_H
#define KAAL_CORE_VSPACE_H

#include <kaal/core/cap.h>

/* Boot: every ASID free. */
void asid_table_init(void);

/* ASIDs not in use: Retype makes at most this many VSpaces. */
word_t asid_free_count(void);

/* A new VSpace at root (zeroed memory) takes an ASID; the caller checked that one is free. Returns its cap. */
struct cap vspace_create(word_t root);

/* The last cap to a VSpace goes: its ASID is freed, so every mapping record naming it turns stale. */
void vspace_finalise(const struct cap *vspace);

/* A frame or table cap that maps something is deleted: take its mapping out, if it is still there. */
void vspace_unmap_cap(struct cap *c);

#endif
