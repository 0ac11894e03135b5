/* admin: the organizer's subcommands: `new` (write a definition file from a
 * servers file, a roll and the rule flags of run-local, checked as a server
 * would load it), `info` (print a definition for humans or as JSON) and
 * `credentials` (printable voter credentials and the public roll they give,
 * common/cred.h). Each returns the process exit status: 0 ok, 1 refused or
 * failed (the reason printed on stderr, no output file left), 2 usage. */
#ifndef MPC_APP_ADMIN_H
#define MPC_APP_ADMIN_H

#include <stdint.h>
#include "app/app.h"

/* `new --servers FILE --roll DIR|FILE --deadline WHEN --out FILE [--id ID]
 * [--t T] [--bits K] [--security S] [--timeout-ms MS] [rule flags] [--json]`.
 * Prints the session id (with --json: {"session_id": hex, "path": FILE}). */
int app_new_main(const app_ops *ops, int argc, char **argv);

/* `info --defn FILE [--json]`. */
int app_info_main(const app_ops *ops, int argc, char **argv);

/* `credentials --out DIR (--count N | --names FILE) [--json]`. */
int app_credentials_main(const app_ops *ops, int argc, char **argv);

/* Parse a deadline as given to `new`: "+90m", "+3h", "+2d" (from now), or
 * ISO-8601 "YYYY-MM-DDTHH:MM[:SS]" (or a space for 'T') followed by "Z", an
 * offset "+HH:MM" / "+HHMM" / "+HH" (or '-'), or nothing for local time.
 * *out gets unix seconds. 0, or ERR_PARSE with a message in why. No bound is
 * checked here. */
int app_deadline_parse(const char *s, int64_t now, int64_t *out, char *why, size_t len) MPC_WUR;

/* Local-time and UTC text of a unix time, "2026-03-01 18:00:00 CET (+0100)" and
 * "2026-03-01T17:00:00Z". */
void app_time_text(int64_t t, char local[64], char utc[32]);

#endif
