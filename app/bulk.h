/* bulk: many envelopes through one kept connection per server (run-local, a
 * relay, bench_intake): requests pipelined with a window, replies matched by
 * tag, every receipt verified. One handshake per server, not per voter. */
#ifndef MPC_APP_BULK_H
#define MPC_APP_BULK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "common/defn.h"

/* Send envelope j (envs[j], lens[j] bytes; NULL: skipped) to every server, at
 * most window in flight per server; receipts[j] gets bit i-1 for a valid
 * receipt of server i. ready (NULL: all ready) lets sealing threads hand
 * envelopes over while earlier ones travel: envelope j is sent once ready[j]
 * is set (after envs[j] and lens[j]; release order). A server silent for
 * timeout_ms with requests in flight is given up (its failure printed once to
 * report). Returns the number of envelopes that got all n receipts. */
size_t app_bulk_submit(const defn *d, uint8_t *const *envs, const size_t *lens, size_t count,
                       const _Atomic unsigned char *ready, unsigned *receipts, int window,
                       int timeout_ms, FILE *report);

#endif
