/* client: the voter's and bidder's side: share an input, seal share i to
 * server i in one signed envelope, send it to every server and verify every
 * signed receipt, retrying the servers that did not answer; and the public
 * requests (result statements, accepted set). */
#ifndef MPC_APP_CLIENT_H
#define MPC_APP_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "app/ctx.h"
#include "protocols/envelope.h"

/* A fresh sequence number: re-submissions must carry a higher one
 * (microseconds since the epoch). */
uint64_t app_client_seq(void);

/* What one submission achieved. */
typedef struct app_cast {
    uint8_t tracker[ENV_HASH_LEN];   /* envelope hash */
    uint64_t seq;
    unsigned receipts;               /* bit i-1: a valid receipt from server i */
    int nreceipts;
    int refused;                     /* a server refused it for good (reason printed) */
} app_cast;

/* Seal plain (m elements, secret) shared at degree t into an envelope with
 * sequence seq, signed by k's roll key, and send it to every server; servers
 * that do not answer are retried with backoff for up to retry_s seconds (not
 * past the deadline). Every failure is printed to report, one line per
 * server. Returns 0 when all n receipts are valid, 1 when at least t+1 are
 * (the ballot counts: the others receive it at the close), else an ERR_*. */
int app_client_submit(const defn *d, const keys *k, const fe *plain, uint32_t m, uint64_t seq,
                      int retry_s, app_cast *out, FILE *report) MPC_WUR;
/* Encode text with the application's encoder, then submit. */
int app_client_submit_text(const app_ctx *c, const keys *k, const char *text, int raw,
                           uint64_t seq, int retry_s, app_cast *out, FILE *report) MPC_WUR;
/* Seal an envelope (malloc'd into *env, *len bytes) of plain for roll index
 * roll, signed with the roll member's Ed25519 secret key sign_sk (secret;
 * programs that hold many voters' keys keep them in one secure block rather
 * than one `keys` each). ERR_ARG if the definition's shape does not fit. */
int app_client_seal(const defn *d, const uint8_t sign_sk[64], uint32_t roll, const fe *plain,
                    uint32_t m, uint64_t seq, uint8_t **env, size_t *len) MPC_WUR;
/* The last batch signature verified for one server: a client carrying many
 * envelopes checks each batch root once, not each receipt. */
typedef struct app_receipt_cache {
    int valid;
    uint32_t count;
    uint8_t root[32], sig[64];
} app_receipt_cache;

/* 0 if a response of server i (1..n) is a valid receipt for this envelope;
 * else prints why to report. cache (may be NULL) is server i's. */
int app_client_check_receipt(const defn *d, int i, const uint8_t *resp, size_t rlen,
                             const uint8_t *env, size_t env_len, app_receipt_cache *cache,
                             FILE *report) MPC_WUR;

/* Ask every server for a public blob (INTAKE_RESULT: its signed statement,
 * INTAKE_RECORD: its accepted set). blobs[i]/lens[i] for the servers that gave
 * one (malloc'd; from[i] its index unless NULL), warnings on stderr; returns
 * how many (at most n). */
size_t app_client_fetch(const defn *d, int kind, uint8_t **blobs, size_t *lens, int *from);

/* The subcommands `bid`/`cast` and `result`. Exit status. */
int app_client_main(const app_ops *ops, int argc, char **argv);
int app_result_main(const app_ops *ops, int argc, char **argv);

#endif
