/* cli: command-line options of the subcommands: "--flag value", "--flag=value"
 * and "--bool", checked against the lists a subcommand accepts; anything else
 * starting with "--" is refused with a message naming it. */
#ifndef MPC_APP_CLI_H
#define MPC_APP_CLI_H

#include <stddef.h>

#define CLI_MAX_ARGS 64
#define CLI_MAX_NAME 64

typedef struct cli_args {
    char flag[CLI_MAX_ARGS][CLI_MAX_NAME];   /* option names as given, without "=value" */
    const char *value[CLI_MAX_ARGS];         /* "1" for a boolean option */
    size_t count;
    const char *pos[CLI_MAX_ARGS];           /* positional arguments */
    size_t npos;
} cli_args;

/* Parse argv against vflags (take a value) and bflags (take none), both
 * NULL-terminated (either may be NULL). 0, or -1 after printing the error. */
int cli_parse(cli_args *a, int argc, char **argv, const char *const *vflags,
              const char *const *bflags);
/* The last value given for flag, or NULL. */
const char *cli_get(const cli_args *a, const char *flag);
/* Like cli_get, but a missing flag is an error (printed): 0 or -1. */
int cli_need(const cli_args *a, const char *flag, const char **out);
/* Decimal integer in [lo, hi]: 0, or -1 for anything else. */
int cli_int(const char *s, long lo, long hi, long *out);
/* The options of a whose name is in list (NULL-terminated), in the order given:
 * names into flag[], values into value[] (pointers into a; both arrays hold
 * CLI_MAX_ARGS). Returns their count. How an application's rule flags reach
 * its runlocal_rules, from run-local and from new alike. */
size_t cli_select(const cli_args *a, const char *const *list, const char **flag,
                  const char **value);
/* --domain field|binary (the definition's "domain"): DEFN_DOMAIN_FIELD when
 * absent; -1 after printing the error for anything else. */
int cli_domain(const cli_args *a);
/* Whether s is in the NULL-terminated list (NULL list: no). */
int cli_in(const char *const *list, const char *s);

#endif
