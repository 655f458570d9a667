/*
 * The world the core benchmarks run in: the kernel core booted over host
 * memory with the HAL test double, and two threads made through syscalls as
 * a root task would make them.
 */
#ifndef KAAL_BENCH_CORE_WORLD_H
#define KAAL_BENCH_CORE_WORLD_H

#include <kaal/abi/types.h>

struct tcb;

struct core_world {
    struct tcb *client, *server;
    kaal_word_t ep;   /* CPtr of the endpoint (both threads share the root CSpace) */
    kaal_word_t ntfn; /* CPtr of a notification nobody signals */
};

/*
 * Boot and build: an endpoint and a notification; a server and a client at
 * one priority; the root thread suspended, so the kernel's own scheduling
 * decides who runs (no scripted thread choice); the server blocked in Recv
 * on the endpoint, the client the current thread. Exits with a message if
 * any step fails.
 */
void core_world_build(struct core_world *w);

#endif
