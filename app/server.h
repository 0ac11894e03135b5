/* server: one compute server's whole run, as named stages:
 *   open -> intake -> mesh -> agree -> checks -> compute -> sign -> serve.
 * Intake needs no mesh (a server killed during intake rejoins on restart with
 * the same data directory); the servers talk only once intake is closed. Any
 * failure after intake aborts with no output and nothing signed. */
#ifndef MPC_APP_SERVER_H
#define MPC_APP_SERVER_H

#include "app/app.h"

/* The `server` subcommand: --defn FILE --keys KEY --data DIR [--serve SECONDS]
 * [--log LEVEL]. Exit status: 0 when a signed result was written. */
int app_server_main(const app_ops *ops, int argc, char **argv);

#endif
