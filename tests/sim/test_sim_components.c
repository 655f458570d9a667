/*
 * Components on the sim: one shared object loaded twice is two instances
 * with their own globals, their code ranges are known, and each instance
 * serves IPC on its own thread.
 */
#include <stdio.h>
#include <string.h>

#include <kaal/kaal.h>
#include <kaal/sim/component.h>
#include <kaal/sim/engine.h>

#define ROOT KAAL_ROOT_SLOT_CNODE

static struct sim_component instance[2];
static int failures;

#define EXPECT(cond)                                                                                               \
    do {                                                                                                           \
        if (!(cond)) {                                                                                             \
            printf("test_sim_components: FAILED: %s (line %d)\n", #cond, __LINE__);                                \
            failures++;                                                                                            \
        }                                                                                                          \
    } while (0)

static int start_server(kaal_cptr_t ut, kaal_word_t slot, kaal_cptr_t ep, const struct sim_component *c)
{
    void (*entry)(kaal_word_t, kaal_word_t, kaal_word_t) =
        (void (*)(kaal_word_t, kaal_word_t, kaal_word_t))sim_component_symbol(c, "kaal_main");
    if (entry == NULL)
        return -1;
    return kaal_thread_spawn(ut, slot, 200, entry, ep);
}

static kaal_word_t call(kaal_cptr_t ep)
{
    kaal_call(ep, kaal_msginfo(1, 0, 0, 0));
    return kaal_get_mr(0);
}

static void root(kaal_word_t ipc_buffer, kaal_word_t bootinfo, kaal_word_t unused)
{
    (void)ipc_buffer, (void)unused;
    const struct kaal_bootinfo *bi = (const struct kaal_bootinfo *)(uintptr_t)bootinfo;
    kaal_cptr_t ut = kaal_bootinfo_largest_untyped(bi);
    kaal_word_t slot = bi->empty.start;
    kaal_cptr_t ep[2] = {slot, slot + 1};
    int err = kaal_untyped_retype(ut, KAAL_OBJ_ENDPOINT, 0, ROOT, 0, 0, slot, 2);
    err = err ? err : start_server(ut, slot + 2, ep[0], &instance[0]);
    err = err ? err : start_server(ut, slot + 5, ep[1], &instance[1]);
    EXPECT(err == KAAL_OK);
    if (err == KAAL_OK) {
        /* Three calls to the first instance, one to the second: they count apart. */
        EXPECT(call(ep[0]) == 1);
        EXPECT(call(ep[0]) == 2);
        EXPECT(call(ep[1]) == 1);
        EXPECT(call(ep[0]) == 3);
        kaal_word_t *(*address[2])(void);
        for (int i = 0; i < 2; i++)
            address[i] = (kaal_word_t * (*)(void)) sim_component_symbol(&instance[i], "counter_address");
        EXPECT(*address[0]() == 3 && *address[1]() == 1);
        /* Each server's host thread carries its component instance's name. */
        const char *name0 = sim_component_symbol(&instance[0], "thread_name");
        const char *name1 = sim_component_symbol(&instance[1], "thread_name");
        EXPECT(name0 != NULL && strcmp(name0, "counter.0") == 0);
        EXPECT(name1 != NULL && strcmp(name1, "counter.1") == 0);
    }
    sim_halt(failures == 0 ? 0 : 1);
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : COMPONENT_COUNTER_PATH;
    for (int i = 0; i < 2; i++) {
        char name[16];
        snprintf(name, sizeof name, "counter.%d", i);
        if (sim_component_load(path, name, &instance[i]) != 0)
            return 2;
    }
    EXPECT(instance[0].code_start != instance[1].code_start);
    EXPECT(sim_component_symbol(&instance[0], "kaal_main") != sim_component_symbol(&instance[1], "kaal_main"));
    EXPECT(sim_in_component_code((uintptr_t)sim_component_symbol(&instance[1], "kaal_main")));
    EXPECT(!sim_in_component_code((uintptr_t)&strlen));
    EXPECT(!sim_in_component_code((uintptr_t)&main));
    const char *name = sim_component_name_at((uintptr_t)sim_component_symbol(&instance[1], "kaal_main"));
    EXPECT(name != NULL && strcmp(name, "counter.1") == 0);
    EXPECT(sim_component_name_at((uintptr_t)&main) == NULL);
    EXPECT(sim_component_symbol(&instance[0], "no_such_symbol") == NULL);
    struct sim_component missing;
    EXPECT(sim_component_load("/nonexistent/component.so", "missing", &missing) == -1);

    if (sim_boot(16u << 20) != 0)
        return 2;
    int status = sim_run(root);
    for (int i = 0; i < 2; i++)
        sim_component_unload(&instance[i]);
    EXPECT(!sim_in_component_code((uintptr_t)instance[0].code_start));
    printf("test_sim_components: %s\n", failures == 0 && status == 0 ? "ok" : "FAILED");
    return failures == 0 && status == 0 ? 0 : 1;
}
