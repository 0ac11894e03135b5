/* verify: the result check every reader of a result runs (result, run-local):
 * decode the servers' signed statements and accept an outcome only when t+1
 * servers of the definition signed the same one (protocols/result.h). */
#ifndef MPC_APP_VERIFY_H
#define MPC_APP_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "common/defn.h"

#define APP_VERIFY_MAX 64      /* statements considered at most */

/* Verify count statement blobs (NULL entries skipped; undecodable ones
 * ignored) against d. On success *out is a new JSON object: the signed output
 * extended with "accepted" and "excluded"; msg says who signed. ERR_CRYPTO /
 * ERR_REFUSED (no quorum, msg says why), ERR_PARSE (the signed output is not a
 * JSON object). */
int app_verify(const defn *d, uint8_t *const *blobs, const size_t *lens, size_t count,
               json_t **out, char *msg, size_t msglen);

#endif
