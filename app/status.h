/* status: `status`, every server's public state (up, intake, accepted count,
 * result ready, clock offset) for anyone: no key, only the definition file. */
#ifndef MPC_APP_STATUS_H
#define MPC_APP_STATUS_H

#include "app/app.h"

/* `status --defn FILE [--json]`: ask every server's client endpoint for its
 * status (INTAKE_STATUS; each waits up to the definition's timeout_ms) and
 * print one line per server, or with --json {"session_id": HEX, "servers":
 * [{"index", "endpoint", "up", "intake", "accepted", "result", "same_session",
 * "clock_offset_s"}, ...]} (an entry with "up": false has only the first
 * three). Exit status: 0 when every server answered for this definition, 1
 * when one did not (or runs another definition), 2 usage. */
int app_status_main(const app_ops *ops, int argc, char **argv);

#endif
