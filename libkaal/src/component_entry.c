/*
 * The first code of every component (built into each component, not into
 * libkaal, so a component's thread starts inside the component's own code,
 * where the sim names the thread after it): run kaal_main, then end with its
 * status.
 */
#include <kaal/components.h>
#include <kaal/env.h>

int kaal_main(const struct kaal_env *env);

__attribute__((visibility("default"))) void kaal_component_entry(kaal_word_t env, kaal_word_t unused1,
                                                                  kaal_word_t unused2)
{
    (void)unused1, (void)unused2;
    const struct kaal_env *e = (const struct kaal_env *)(uintptr_t)env;
    kaal_exit(e, kaal_main(e));
}
