/*
 * Untyped memory: Retype and the layout rules that keep objects apart.
 */
#ifndef KAAL_CORE_UNTYPED_H
#define KAAL_CORE_UNTYPED_H

#include <kaal/core/cap.h>

/*
 * Size in bits of one object of `type` made with Retype's size argument, or 0
 * if the size argument is outside the type's range.
 */
unsigned object_size_bits(word_t type, word_t size_arg);

/* Zero and initialise a new object's memory (nothing for device memory). */
void object_init(word_t type, word_t obj, unsigned bits, bool device);

/* The cap that names a freshly made object. */
struct cap object_cap(word_t type, word_t obj, unsigned bits, word_t size_arg, bool device);

/* Does the Untyped cap u have a child that is a copy of itself (same region)? */
bool untyped_has_copy_child(const struct slot *u);

/*
 * An Untyped cap is about to be deleted and its children will move up to its
 * parent: make the parent's watermark cover them, so the parent never hands
 * their memory out again.
 */
void untyped_before_delete(struct slot *u);

#endif
