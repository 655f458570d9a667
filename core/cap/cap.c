/*
 * Facts about capabilities that depend only on the cap itself: how large its
 * object is, whether two caps name one object, which objects hold caps.
 */
#include <kaal/core/cap.h>
#include <kaal/core/tcb.h>

unsigned cap_object_bits(const struct cap *c)
{
    if (c->type == CAP_ZOMBIE)
        return c->size_bits == CAP_CNODE ? c->guard_bits + KAAL_SLOT_BITS : KAAL_TCB_BITS;
    switch (c->type) {
    case CAP_UNTYPED:
    case CAP_FRAME:
        return c->size_bits;
    case CAP_CNODE:
        return c->size_bits + KAAL_SLOT_BITS;
    case CAP_TCB:
        return KAAL_TCB_BITS;
    case CAP_ENDPOINT:
        return KAAL_ENDPOINT_BITS;
    case CAP_NOTIFICATION:
        return KAAL_NOTIFICATION_BITS;
    case CAP_VSPACE:
    case CAP_PAGE_UPPER_DIR:
    case CAP_PAGE_DIR:
    case CAP_PAGE_TABLE:
        return KAAL_PAGE_TABLE_BITS;
    default:
        return 0;
    }
}

/* A zombie stands for the container it is dismantling. */
static unsigned effective_type(const struct cap *c)
{
    return c->type == CAP_ZOMBIE ? c->size_bits : c->type;
}

bool cap_same_object(const struct cap *a, const struct cap *b)
{
    unsigned ta = effective_type(a);
    if (ta == CAP_NULL || ta != effective_type(b) || a->obj != b->obj)
        return false;
    /* Nested untyped regions and frames may start at one address. */
    if (ta == CAP_UNTYPED || ta == CAP_FRAME)
        return a->size_bits == b->size_bits;
    return true;
}

bool cap_has_rights(unsigned type)
{
    return type == CAP_ENDPOINT || type == CAP_NOTIFICATION || type == CAP_FRAME;
}

bool cap_is_container(const struct cap *c)
{
    return c->type == CAP_CNODE || c->type == CAP_TCB;
}

bool cap_is_memory_object(const struct cap *c)
{
    unsigned type = effective_type(c);
    return type >= CAP_UNTYPED && type < KAAL_OBJ_TYPE_COUNT;
}

void container_slots(const struct cap *c, struct slot **first, word_t *count)
{
    unsigned type = effective_type(c);
    if (type == CAP_CNODE) {
        *first = (struct slot *)(uintptr_t)c->obj;
        *count = BIT(c->type == CAP_ZOMBIE ? c->guard_bits : c->size_bits);
    } else {
        *first = ((struct tcb *)(uintptr_t)c->obj)->slots;
        *count = TCB_SLOT_COUNT;
    }
}

const char *cap_type_name(unsigned type)
{
    switch (type) {
    case CAP_NULL: return "Null";
    case CAP_UNTYPED: return "Untyped";
    case CAP_CNODE: return "CNode";
    case CAP_TCB: return "TCB";
    case CAP_ENDPOINT: return "Endpoint";
    case CAP_NOTIFICATION: return "Notification";
    case CAP_FRAME: return "Frame";
    case CAP_VSPACE: return "VSpace";
    case CAP_PAGE_UPPER_DIR: return "PageUpperDir";
    case CAP_PAGE_DIR: return "PageDir";
    case CAP_PAGE_TABLE: return "PageTable";
    case CAP_REPLY: return "Reply";
    case CAP_IRQ_CONTROL: return "IRQControl";
    case CAP_IRQ_HANDLER: return "IRQHandler";
    case CAP_MACHINE: return "Machine";
    case CAP_ZOMBIE: return "Zombie";
    default: return "Unknown";
    }
}
