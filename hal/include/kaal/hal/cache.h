/*
 * HAL contract: cache maintenance over a kernel address range, for frames
 * shared with devices. No-ops where the backend is cache-coherent (the sim).
 */
#ifndef KAAL_HAL_CACHE_H
#define KAAL_HAL_CACHE_H

#include <kaal/abi/types.h>

void hal_cache_clean(kaal_word_t kaddr, kaal_word_t size);
void hal_cache_invalidate(kaal_word_t kaddr, kaal_word_t size);
void hal_cache_clean_invalidate(kaal_word_t kaddr, kaal_word_t size);

#endif
