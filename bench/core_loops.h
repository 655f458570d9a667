/*
 * The measured work of the core benchmarks. These functions are what
 * callgrind counts (--toggle-collect=bench_core_*_loop), so they stay
 * external and out of line, and they do what a backend does per syscall and
 * nothing more.
 */
#ifndef KAAL_BENCH_CORE_LOOPS_H
#define KAAL_BENCH_CORE_LOOPS_H

#include <stdint.h>

#include "core_world.h"

/* n round trips: the client Calls the endpoint with one word, the server ReplyRecvs with one word back. */
void bench_core_call_loop(const struct core_world *w, uint64_t n);

/* n Polls (NBRecv) by the client on the notification nobody signals. */
void bench_core_null_loop(const struct core_world *w, uint64_t n);

#endif
