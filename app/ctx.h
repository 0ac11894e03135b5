/* ctx: what every subcommand loads first: the definition file (checked to be
 * of this application's kind), the application's rules, the input length and,
 * when named, a key file. Plus the one JSON serialiser of results. */
#ifndef MPC_APP_CTX_H
#define MPC_APP_CTX_H

#include <stdint.h>
#include <jansson.h>
#include "app/app.h"
#include "common/defn.h"
#include "common/keys.h"

typedef struct app_ctx {
    const app_ops *ops;
    defn *d;
    keys *k;                   /* NULL unless a key file was named */
    void *rules;
    uint32_t m;                /* elements per input */
} app_ctx;

/* Load defn_path (and key_path unless NULL) for ops; prints the error and
 * returns 1 on failure (the context is then safe to free). */
int app_ctx_load(app_ctx *c, const app_ops *ops, const char *defn_path, const char *key_path);
/* The same from the definition's bytes (a record carries them); label names
 * them in messages. No key. */
int app_ctx_parse(app_ctx *c, const app_ops *ops, const uint8_t *bytes, size_t len,
                  const char *label);
void app_ctx_free(app_ctx *c);

/* Fault injection for the crash tests (docs/reliability.md): when the
 * environment names this point in MPC_FAILPOINT, the process dies here as if
 * killed with SIGKILL: no cleanup, no flush. */
void app_failpoint(const char *name);

/* The lines every human-readable result ends with: why inputs were excluded
 * (when any were) and under which adversary it holds (the signed "security"
 * of the output). */
void app_print_security(const json_t *result, FILE *out);

/* The canonical text of a result object: compact, keys in insertion order,
 * reals with 15 significant digits (DBL_DIG: a decimal of up to 15 digits
 * prints back exactly, so round a real to the digits it means first). malloc'd, NULL on failure. */
char *app_json_text(const json_t *o);
/* That text and a newline on out ("{}" if it cannot be made). */
void app_print_json(const json_t *o, FILE *out);

#endif
