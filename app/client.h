/* client: the voter's and bidder's side: share an input, send share i to server
 * i, verify every signed receipt; and fetch the servers' signed statements for
 * `result`. */
#ifndef MPC_APP_CLIENT_H
#define MPC_APP_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "app/ctx.h"

/* A fresh sequence number: re-submissions must carry a higher one
 * (microseconds since the epoch). */
uint64_t app_client_seq(void);

/* Share plain (m elements, secret) at degree t and submit it with sequence seq
 * as roll key k; 0 only when all n receipts are valid and for these shares.
 * Every failure is printed to report, one line per server. */
int app_client_submit(const defn *d, const keys *k, const fe *plain, uint32_t m, uint64_t seq,
                      FILE *report) MPC_WUR;
/* Encode text with the application's encoder, then submit. */
int app_client_submit_text(const app_ctx *c, const keys *k, const char *text, int raw,
                           uint64_t seq, FILE *report) MPC_WUR;

/* Ask every server for its signed statement as roll key k. blobs[i]/lens[i]
 * for the servers that gave one (malloc'd), warnings on stderr; returns how
 * many were stored (at most n). */
size_t app_client_fetch(const defn *d, const keys *k, uint8_t **blobs, size_t *lens);

/* The subcommands `bid`/`cast` and `result`. Exit status. */
int app_client_main(const app_ops *ops, int argc, char **argv);
int app_result_main(const app_ops *ops, int argc, char **argv);

#endif
