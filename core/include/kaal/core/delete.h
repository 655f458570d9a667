/*
 * Deleting capabilities and finalising objects.
 */
#ifndef KAAL_CORE_DELETE_H
#define KAAL_CORE_DELETE_H

#include <kaal/core/cap.h>

/*
 * Empty slot s. If its cap was the last one to its object, the object is
 * finalised; for a container (CNode, TCB) that deletes every cap it holds,
 * iteratively, however deep or cyclic the structure. Never fails, but may
 * stop at a preemption point: then it returns true, s holds a zombie that
 * records the progress, and calling again continues.
 */
bool cap_delete(struct slot *s);

/* Delete every CDT descendant of s; s itself stays. Returns true if preempted (call again). */
bool cap_revoke(struct slot *s);

#endif
