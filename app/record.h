/* record: the election (or auction) record and the voter's ballot check.
 *
 * Each server publishes, beside its signed statement, the accepted set: the
 * counted envelopes as (roll index, sequence, envelope hash), whose hash is
 * the statement's inputs hash. JSON:
 *   {"session_id": HEX, "server": I, "accepted": [[ROLL, SEQ, "HASH"], ...]}
 * A record holds everything needed to check the outcome offline:
 *   {"format": "mpc-record-1", "definition": "<the definition file, exactly>",
 *    "accepted": [[ROLL, SEQ, "HASH"], ...], "statements": ["HEX", ...]}
 * Subcommands: `record --defn FILE --out FILE [STATEMENT...]` (fetches from
 * the servers unless statement files are named), `verify RECORD` (offline:
 * t+1 signatures, the set matches their inputs hash; prints the outcome) and
 * `check --defn FILE --keys KEY [--tracker FILE] [--record FILE]` (is my
 * latest envelope, by sequence and hash, in the accepted set?). */
#ifndef MPC_APP_RECORD_H
#define MPC_APP_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include "app/app.h"
#include "protocols/result.h"

#define APP_RECORD_MAX (64u << 20)   /* an accepted set: ~90 bytes per voter */

/* The accepted-set JSON of server me: *out malloc'd. */
int app_record_set_encode(const defn *d, int me, const result_input *in, size_t count,
                          uint8_t **out, size_t *len) MPC_WUR;

int app_record_main(const app_ops *ops, int argc, char **argv);
int app_verify_record_main(const app_ops *ops, int argc, char **argv);
int app_check_main(const app_ops *ops, int argc, char **argv);

#endif
