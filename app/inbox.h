/* inbox: a server's client endpoint while it runs: takes envelopes during
 * intake (format, session, roll, signature, rate and openability checks, then
 * the store), answers the public requests (result, record, status) and refuses
 * everything else with a reason. Replies to a batch go out only after its
 * envelopes are durable (group commit: one transaction, one fsync per batch).
 * Buffers are allocated once at open: nothing per request. */
#ifndef MPC_APP_INBOX_H
#define MPC_APP_INBOX_H

#include <stddef.h>
#include <stdint.h>
#include "app/ctx.h"
#include "app/http.h"
#include "common/store.h"

typedef struct app_inbox app_inbox;

/* Bind server me's client endpoint of c's definition, and its HTTP endpoint
 * when http is not NULL (app/http.h: the same checks, rate limit, batches and
 * receipts). st (borrowed) receives the accepted envelopes. Prints and
 * returns non-zero when an endpoint cannot be bound. */
int app_inbox_open(app_inbox **out, const app_ctx *c, int me, store *st,
                   const app_http_cfg *http) MPC_WUR;
void app_inbox_free(app_inbox **pp);

/* Wait up to wait_ms for requests and answer every one waiting. intake_open:
 * envelopes are accepted (until the deadline); otherwise refused as closed. */
void app_inbox_serve(app_inbox *ib, int wait_ms, int intake_open);
/* From now on answer result and record requests with these bytes (borrowed):
 * the signed statement and the accepted set (app/record.h). */
void app_inbox_publish(app_inbox *ib, const uint8_t *stmt, size_t stmt_len, const uint8_t *set,
                       size_t set_len);
/* Non-zero once the store failed to commit: the server must stop. */
int app_inbox_broken(const app_inbox *ib);

/* Check an envelope of c's definition as every server does before storing it
 * (shared with reconciliation): format, session, roll, signature, and that
 * box `me` opens with keys me_pk/me_sk into shares (m elements, secret;
 * scratch: m * width bytes). Returns 0 or an INTAKE_ST_* status with the
 * reason in why. */
int app_envelope_check(const app_ctx *c, int me, const uint8_t *env, size_t len, fe *shares,
                       uint8_t *scratch, char *why, size_t whylen);

#endif
