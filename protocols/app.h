/* app: the server/client skeleton both applications (and the average example)
 * share: the CLI (keygen, server, bid|cast, result, run-local), client intake
 * over CurveZMQ, the close-and-agree step, the generic degree check, the signed
 * result. An application supplies only its rules, input encoding and the MPC
 * computation on the accepted inputs (app_ops). */
#ifndef MPC_APP_H
#define MPC_APP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "common/defn.h"
#include "common/field.h"
#include "protocols/mpc.h"

#define APP_OUT_MAX 4096

typedef struct app_ops {
    const char *name;          /* "auction", "vote" */
    int kind;                  /* DEFN_AUCTION or DEFN_VOTE */
    const char *verb;          /* client subcommand: "bid", "cast" */
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
     * input, never revealing a valid one), compute and open only the declared
     * output, written as a canonical JSON object into out (APP_OUT_MAX). roll[i]
     * is row i's roll index. data_dir is the server's own directory (durable
     * state such as a privacy-budget ledger). */
    int (*compute)(const void *rules, const defn *d, const char *data_dir, mpc *M,
                   const fe *rows, size_t count,
                   uint32_t m, const uint32_t *roll, uint8_t *excluded, char *out,
                   size_t outlen, char *err, size_t errlen);
    /* run-local: flags this application accepts (NULL-terminated), which of them
     * take no value, and the rules object they make (JSON text into rules,
     * bits may be changed). ERR_ARG with a message on a bad flag value. */
    const char *const *flags;
    const char *const *bool_flags;
    int (*runlocal_rules)(const char *const *flag, const char *const *value, size_t count,
                          char *rules, size_t rules_len, int *bits, char *err,
                          size_t errlen);
    /* Human-readable line(s) for an output JSON object. */
    void (*print_human)(const char *output_json, FILE *out);
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
