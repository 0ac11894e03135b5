/* app: the application skeleton both applications (and the average example)
 * stand on: keygen, server, the client verb (bid | cast), result, run-local
 * and the organizer's new, info and credentials.
 * An application provides only what is its own: its rules, its input encoding,
 * its MPC computation producing a JSON result, its human printer and the nouns
 * it uses for itself and its clients (app_ops). The skeleton does the rest:
 * intake, agreement, input checks, signing, serving, verifying. */
#ifndef MPC_APP_H
#define MPC_APP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>
#include "common/defn.h"
#include "common/field.h"
#include "protocols/mpc.h"

typedef struct app_ops {
    const char *name;          /* "auction", "vote": binary name and definition kind */
    int kind;                  /* the definition kind this application runs (DEFN_*) */
    const char *verb;          /* client subcommand: "bid", "cast" */
    const char *noun;          /* a client: "bidder", "voter" (run-local default names) */
    const char *inputs_flag;   /* run-local flag naming the input file: "--bids" */

    /* Validate the rules of d; *rules is the application's (rules_free). */
    int (*rules_load)(void **rules, const defn *d, char *err, size_t errlen);
    void (*rules_free)(void **rules);
    /* Elements in one client input. */
    uint32_t (*input_len)(const void *rules);
    /* Client side: encode the text of an input ("42", "yes", "a,c") into m
     * plaintext elements (secret). raw != 0: a hostile client's "raw:..." text,
     * shared as given, unchecked. ERR_PARSE/ERR_RANGE with a message. */
    int (*input_encode)(const void *rules, const defn *d, const char *text, int raw,
                        fe *out, char *err, size_t errlen);
    /* Server side: rows (count x m shares, in increasing roll index) passed the
     * degree check; check validity inside MPC (set excluded[i] = 1 for an invalid
     * input, 2 for one the application found not to be a consistent sharing,
     * never revealing a valid one), compute and open only the declared
     * output, returned as a new JSON object in *out (the skeleton serialises and
     * signs it; names from the definition go in as JSON strings, never as text).
     * roll[i] is row i's roll index; data_dir is the server's own directory
     * (durable state such as a privacy-budget ledger). */
    int (*compute)(const void *rules, const defn *d, const char *data_dir, mpc *M,
                   const fe *rows, size_t count, uint32_t m, const uint32_t *roll,
                   uint8_t *excluded, json_t **out, char *err, size_t errlen);
    /* run-local: flags this application accepts (NULL-terminated), which of them
     * take no value, and the rules object they make (new JSON object in *rules).
     * bits is the bit length in force (--bits). ERR_ARG with a message. */
    const char *const *flags;
    const char *const *bool_flags;
    int (*runlocal_rules)(const char *const *flag, const char *const *value, size_t count,
                          int bits, json_t **rules, char *err, size_t errlen);
    /* The rules in words for `info`, e.g. "threshold vote: YES if yes >= 1/2
     * of the yes and no ballots", into out (NUL-terminated, truncated to len).
     * rules is what rules_load made for d. NULL: `info` shows the JSON. */
    void (*describe_rules)(const void *rules, const defn *d, char *out, size_t len);
    /* Human-readable line(s) for a verified result object. */
    void (*print_human)(const json_t *result, FILE *out);
} app_ops;

struct keys;

/* Client side, for programs that submit many inputs (benchmarks): share plain
 * (m elements, secret) at degree t, send share i to server i over CurveZMQ as
 * roll key k, and verify every signed receipt. Thread-safe (one ZeroMQ context
 * per thread; call app_client_done before a thread exits). Errors are printed
 * to report; returns 0 only when all n receipts are valid. */
int app_submit(const defn *d, const struct keys *k, const fe *plain, uint32_t m, FILE *report) MPC_WUR;
void app_client_done(void);

/* Entry point of an application binary: dispatches the subcommands. Returns
 * the process exit status (0 ok, 1 error, 2 usage). */
int app_main(const app_ops *ops, int argc, char **argv);

#endif
