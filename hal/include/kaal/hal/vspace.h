/*
 * HAL contract: address spaces.
 *
 * The core owns the objects (VSpace roots, page-table levels, frames) and
 * their accounting; the backend owns the translation: page-table entries on
 * aarch64, host address windows on the sim. Addresses the core passes are
 * kernel addresses of frames (as stored in Frame caps) and user virtual
 * addresses.
 */
#ifndef KAAL_HAL_VSPACE_H
#define KAAL_HAL_VSPACE_H

#include <kaal/abi/types.h>
#include <stdbool.h>

struct hal_vspace; /* backend-defined, lives inside the VSpace object */

enum hal_map_rights {
    HAL_MAP_READ = 1,
    HAL_MAP_WRITE = 2,
    HAL_MAP_EXEC = 4,
};

bool hal_vspace_init(struct hal_vspace *vs);
void hal_vspace_destroy(struct hal_vspace *vs);
bool hal_vspace_map(struct hal_vspace *vs, kaal_word_t vaddr, kaal_word_t frame_kaddr,
                    unsigned size_bits, unsigned rights);
void hal_vspace_unmap(struct hal_vspace *vs, kaal_word_t vaddr, unsigned size_bits);
void hal_vspace_activate(struct hal_vspace *vs);
void hal_tlb_flush_vspace(struct hal_vspace *vs);

/* Physical address of a kernel address, for DMA and page-table entries. */
kaal_word_t hal_kaddr_to_paddr(kaal_word_t kaddr);

#endif
