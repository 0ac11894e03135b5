/* help: the usage text of every subcommand (`COMMAND --help`), one place so
 * the README's command-line contracts and the binaries say the same thing. */
#ifndef MPC_APP_HELP_H
#define MPC_APP_HELP_H

#include <stdio.h>
#include "app/app.h"

/* Print the usage of subcommand cmd ("keygen", ops->verb, "new", ...) to out;
 * cmd NULL prints the overview of all of them. -1 (nothing printed) for an
 * unknown cmd. */
int app_usage(const app_ops *ops, const char *cmd, FILE *out);

/* Whether argv (argc entries) asks for help: a "--help" or "-h" argument. */
int app_wants_help(int argc, char **argv);

#endif
