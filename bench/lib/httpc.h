/* httpc: a tiny keep-alive HTTP/1.1 client for bench_intake, on POSIX
 * sockets (no libcurl): envelopes POSTed to /api/envelope of every server
 * over several kept connections per server, a few requests pipelined on
 * each, every receipt checked exactly as the CurveZMQ path's
 * (app_client_check_receipt, batch roots verified once). Loopback only. */
#ifndef BENCH_HTTPC_H
#define BENCH_HTTPC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "common/defn.h"

/* Send envelope j (envs[j], lens[j]) to each of d's servers at 127.0.0.1:
 * ports[i] over conns connections per server (spread over the source
 * addresses 127.0.0.1 and 127.0.0.2: a server limits connections per
 * address), depth requests in flight on each. receipts[j] gets bit i-1 for
 * a valid receipt of server i. A server silent for timeout_ms is given up
 * (printed to report). Returns the number of envelopes with all n receipts. */
size_t httpc_submit(const defn *d, const int *ports, uint8_t *const *envs, const size_t *lens,
                    size_t count, int conns, int depth, unsigned *receipts, int timeout_ms,
                    FILE *report);

#endif
