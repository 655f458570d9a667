/*
 * Deleting capabilities and finalising objects.
 */
#ifndef KAAL_CORE_DELETE_H
#define KAAL_CORE_DELETE_H

#include <kaal/core/cap.h>

/*
 * Empty slot s. If its cap was the last one to its object, the object is
 * finalised; for a container (CNode, TCB) that deletes every cap it holds,
 * iteratively, however deep or cyclic the structure. Never fails.
 */
void cap_delete(struct slot *s);

/* Delete every CDT descendant of s; s itself stays. Never fails. */
void cap_revoke(struct slot *s);

#endif
