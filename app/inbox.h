/* inbox: a server's client endpoint while it runs: takes submissions during
 * intake (signature, session, roll and rate checks, then the store), answers
 * result fetches once a statement exists, and refuses everything else with a
 * reason. Replies to a batch go out only after its records are durable (group
 * commit: one fdatasync per batch). */
#ifndef MPC_APP_INBOX_H
#define MPC_APP_INBOX_H

#include <stddef.h>
#include <stdint.h>
#include "app/ctx.h"
#include "common/store.h"

typedef struct app_inbox app_inbox;

/* Bind server me's client endpoint of c's definition, admitting only roll keys.
 * st (borrowed) receives the accepted submissions. Prints and returns non-zero
 * when the endpoint cannot be bound. */
int app_inbox_open(app_inbox **out, const app_ctx *c, int me, store *st) MPC_WUR;
void app_inbox_free(app_inbox **pp);

/* Wait up to wait_ms for requests and answer every one waiting. intake_open:
 * submissions are accepted (until the deadline); otherwise refused as closed. */
void app_inbox_serve(app_inbox *ib, int wait_ms, int intake_open);
/* From now on answer fetches with this signed statement (borrowed). */
void app_inbox_set_statement(app_inbox *ib, const uint8_t *stmt, size_t len);
/* Non-zero once the store failed to sync: the server must stop. */
int app_inbox_broken(const app_inbox *ib);

#endif
