/* procs: run n MPC servers as separate processes on loopback over a CurveZMQ
 * mesh, for the benchmark programs. */
#ifndef BENCH_PROCS_H
#define BENCH_PROCS_H

#include <stddef.h>
#include <stdint.h>
#include "protocols/mpc.h"

/* Body run by every server process on its own context; arg is shared (forked
 * copy). Returns 0 or an ERR_* code. */
typedef int (*procs_fn)(mpc *M, void *arg);

/* Fork n servers (threshold t, field F), each joins the mesh with fresh CURVE
 * keys and runs fn. Returns 0 when every server exited with 0. */
int procs_run(const field *F, int n, int t, procs_fn fn, void *arg);

/* Process tuning for large messages, first thing in main: glibc serves
 * allocations above 32 MiB (a 100,000-comparison round) with a fresh mmap each
 * time, and on this VM the page faults of libzmq's and the transport's
 * per-message buffers cost as much as the protocol. Re-executes once with
 * transparent huge pages for those mappings (GLIBC_TUNABLES, measured: half the
 * CPU per comparison) and keeps large buffers in the heap (mallopt, 2.5x). */
void procs_tune(char **argv);

/* Seconds on the monotonic clock. */
double procs_now(void);

/* Barrier (an opening of a constant) so all servers start a measurement together;
 * then snapshot rounds and bytes. */
typedef struct procs_meter {
    double t0, c0;        /* wall and this process's CPU seconds at the start */
    uint64_t r0, b0;
} procs_meter;
int procs_start(mpc *M, procs_meter *mt);
/* Print one JSON line from server 1: name, value, unit, context, rounds, bytes
 * per party and server 1's CPU seconds ("cpu_s", load-independent: the servers
 * share the machine's cores, so wall time depends on what else runs) since
 * procs_start; extra is appended verbatim (",\"N\":10"). */
void procs_report(mpc *M, const procs_meter *mt, const char *name, double value,
                  const char *unit, const char *extra);
/* Seconds since procs_start. */
double procs_elapsed(const procs_meter *mt);

#endif
