/* runlocal: the one-command local run: make keys and a definition for N
 * servers on loopback, start the servers as child processes, submit every line
 * of an input file as its own client over the real CurveZMQ path, then verify
 * and print the signed result. Stages: options -> inputs -> setup -> start ->
 * submit -> collect. */
#ifndef MPC_APP_RUNLOCAL_H
#define MPC_APP_RUNLOCAL_H

#include "app/app.h"

/* The `run-local` subcommand; self is this executable's path (the servers run
 * it as `server`). Exit status: 0 only when every submission was receipted by
 * every server and a verified result was printed. */
int app_runlocal_main(const app_ops *ops, int argc, char **argv, const char *self);

#endif
