/*
 * Interrupts as capabilities.
 *
 * IRQControl hands out one IRQHandler cap per line (copies of it are fine;
 * a second Get for the line is refused until every cap to it is gone). An
 * IRQHandler binds a notification: the kernel keeps a copy of that cap in
 * its own slot for the line, so the notification lives as long as the
 * binding. When the line fires, the kernel masks it, signals the
 * notification with the cap's badge and ends the interrupt; the driver's Ack
 * unmasks it. The timer line is the kernel's own.
 */
#include <kaal/abi/syscalls.h>
#include <kaal/core/cdt.h>
#include <kaal/core/cspace.h>
#include <kaal/core/delete.h>
#include <kaal/core/ipc.h>
#include <kaal/core/irq.h>
#include <kaal/core/kernel.h>
#include <kaal/core/sched.h>
#include <kaal/core/syscall.h>
#include <kaal/hal/irq.h>
#include <kaal/hal/timer.h>

void irq_handle(unsigned line)
{
    if (hal_irq_is_timer(line)) {
        sched_tick();
        hal_timer_set_deadline_ns(hal_timer_now_ns() + KERNEL_TICK_NS);
        hal_irq_ack(line);
        return;
    }
    hal_irq_disable(line);
    hal_irq_ack(line);
    if (line >= ks.irq_count || ks.irq_slots[line].cap.type != CAP_NOTIFICATION) {
        KLOG("interrupt %u has no notification bound: masked", line);
        return;
    }
    const struct cap *c = &ks.irq_slots[line].cap;
    notification_signal(notification_of(c), c->data);
}

void irq_handler_finalise(unsigned line)
{
    cap_delete(&ks.irq_slots[line]);
    hal_irq_disable(line);
    ks.irq_issued[line] = 0;
}

enum { GET_LINE, GET_DEST_INDEX, GET_DEST_DEPTH, GET_ARGS };

static enum kaal_error control_get(const struct invocation *inv, struct syscall_error *err)
{
    if (inv->label != KAAL_IRQ_CONTROL_GET)
        return REJECT(err_illegal(err, KAAL_ILLEGAL_LABEL), "IRQControl: label %lu is not an IRQControl operation",
                      inv->label);
    if (inv_require(inv, GET_ARGS, 1, err) != KAAL_OK)
        return err->code;
    word_t line = inv_arg(inv, GET_LINE);
    if (line >= ks.irq_count)
        return REJECT(err_range(err, GET_LINE, 0, ks.irq_count - 1), "IRQControl_Get: no line %lu", line);
    if (hal_irq_is_timer((unsigned)line))
        return REJECT(err_illegal(err, KAAL_ILLEGAL_KERNEL_IRQ), "IRQControl_Get: line %lu is the kernel timer", line);
    if (ks.irq_issued[line])
        return REJECT(err_revoke_first(err, GET_LINE), "IRQControl_Get: line %lu already has a handler cap", line);
    struct slot *dest = lookup_slot(&inv->caps[0]->cap, inv_arg(inv, GET_DEST_INDEX), inv_arg(inv, GET_DEST_DEPTH),
                                    GET_DEST_INDEX, err);
    if (dest == NULL)
        return err->code;
    if (!slot_is_empty(dest))
        return REJECT(err_delete_first(err, GET_DEST_INDEX, inv_arg(inv, GET_DEST_INDEX)),
                      "IRQControl_Get: destination is occupied");
    struct cap handler = {.obj = line, .type = CAP_IRQ_HANDLER, .rights = KAAL_RIGHTS_ALL};
    cdt_insert(inv->slot, dest, &handler);
    ks.irq_issued[line] = 1;
    return KAAL_OK;
}

static enum kaal_error handler_invoke(const struct invocation *inv, struct syscall_error *err)
{
    unsigned line = (unsigned)inv->slot->cap.obj;
    struct slot *bound = &ks.irq_slots[line];
    switch (inv->label) {
    case KAAL_IRQ_HANDLER_SET_NOTIFICATION: {
        if (inv_require(inv, 0, 1, err) != KAAL_OK)
            return err->code;
        struct slot *n = inv->caps[0];
        if (n->cap.type != CAP_NOTIFICATION || !(n->cap.rights & KAAL_RIGHT_WRITE))
            return REJECT(err_invalid_cap(err, KAAL_ARG_CAP(0)),
                          "IRQHandler_SetNotification: need a notification cap with Write");
        cap_delete(bound);
        cdt_insert(n, bound, &n->cap);
        hal_irq_enable(line);
        return KAAL_OK;
    }
    case KAAL_IRQ_HANDLER_ACK:
        hal_irq_enable(line);
        return KAAL_OK;
    case KAAL_IRQ_HANDLER_CLEAR:
        cap_delete(bound);
        hal_irq_disable(line);
        return KAAL_OK;
    default:
        return REJECT(err_illegal(err, KAAL_ILLEGAL_LABEL), "IRQHandler: label %lu is not an IRQHandler operation",
                      inv->label);
    }
}

enum kaal_error irq_invoke(const struct invocation *inv, struct syscall_error *err)
{
    if (inv->slot->cap.type == CAP_IRQ_CONTROL)
        return control_get(inv, err);
    return handler_invoke(inv, err);
}
