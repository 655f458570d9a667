/*
 * CSpace addressing: a CPtr is resolved through a tree of CNodes, most
 * significant bits first; each CNode cap consumes its guard bits (which must
 * match) and then radix bits of index.
 */
#ifndef KAAL_CORE_CSPACE_H
#define KAAL_CORE_CSPACE_H

#include <kaal/core/cap.h>
#include <kaal/core/error.h>

/*
 * Find the slot that `depth` bits of cptr name, starting at the CNode cap
 * root. Every one of those bits must be consumed by CNodes (the CNode
 * invocations' rule). pos is the position of the index argument; the depth
 * is the argument right after it. On failure, fills err (FAILED_LOOKUP at
 * pos, or RANGE_ERROR at pos + 1 for a depth outside 1..64) and returns NULL.
 */
struct slot *lookup_slot(const struct cap *root, word_t cptr, word_t depth, unsigned pos,
                         struct syscall_error *err);

/*
 * Find the cap a thread names with cptr (the invocation rule): resolve up to
 * 64 bits, stopping at the first cap that is not a CNode. The slot must not be
 * empty.
 */
struct slot *lookup_cap(const struct cap *root, word_t cptr, unsigned pos, struct syscall_error *err);

#endif
