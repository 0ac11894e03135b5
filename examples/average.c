/* average: the seed's four engineers computing their average raise without
 * revealing any raise. Clients (the engineers) Shamir-share their raise among
 * the compute servers over CurveZMQ; the servers check each raise is in range,
 * add the shares and open only the sum; the average is sum / count.
 *
 * Same CLI as auction and vote (keygen, server, submit, result, run-local):
 *   average run-local --values raises.txt      (lines "name amount")
 * See examples/raises.sh for the real keygen/server/submit/result path. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sodium.h>

#include "app/app.h"
#include "protocols/range.h"

typedef struct rules {
    int k;
} rules;

static int s_rules_load(void **out, const defn *d, char *err, size_t errlen)
{
    static const char *const allowed[] = { NULL };
    int rc = defn_rules_check_keys(d, allowed, err, errlen);
    if (rc) return rc;
    rules *r = calloc(1, sizeof *r);
    if (!r) return ERR_NOMEM;
    r->k = defn_bits(d);
    *out = r;
    return 0;
}

static void s_rules_free(void **p)
{
    free(*p);
    *p = NULL;
}

static uint32_t s_input_len(const void *rp)
{
    return range_input_len(((const rules *)rp)->k);
}

static int s_input_encode(const void *rp, const defn *d, const char *text, int raw, fe *out,
                          char *err, size_t errlen)
{
    const rules *r = rp;
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end) {
        snprintf(err, errlen, "\"%s\" is not a whole number", text);
        return ERR_PARSE;
    }
    if (raw) {
        range_encode_raw(defn_field(d), out, v, r->k);
        return 0;
    }
    if (v < 0 || (r->k < 63 && v >= (1LL << r->k))) {
        snprintf(err, errlen, "%s is out of range [0, 2^%d)", text, r->k);
        return ERR_RANGE;
    }
    range_encode(defn_field(d), out, (uint64_t)v, r->k);
    return 0;
}

static int s_compute(const void *rp, const defn *d, const char *data_dir, mpc *M,
                     const fe *rows, size_t count, uint32_t m, const uint32_t *roll,
                     uint8_t *excluded, json_t **out, char *err, size_t errlen)
{
    const rules *r = rp;
    const field *F = mpc_field(M);
    size_t n = 0;
    (void)d;
    (void)data_dir;
    (void)roll;
    int rc = range_check(M, rows, count, r->k, excluded, NULL, NULL, &n);
    fe sum = 0, pub = 0;
    for (size_t i = 0; rc == 0 && i < count; i++)
        if (!excluded[i]) sum = fe_add(F, sum, rows[i * m]);
    if (rc == 0) rc = mpc_open(M, &pub, &sum, 1);
    sodium_memzero(&sum, sizeof sum);
    if (rc != 0) {
        snprintf(err, errlen, "%s", mpc_errmsg(M));
        return rc;
    }
    uint64_t s = (uint64_t)pub;
    /* the average as an exact decimal when it has one within 6 places (a JSON
     * number of at most 15 significant digits prints back exactly) */
    json_t *avg = json_null();
    if (n > 0 && s % n == 0) {
        avg = json_integer((json_int_t)(s / n));
    } else if (n > 0) {
        uint64_t whole = s / n, rem = s % n;
        char txt[64];
        int len = snprintf(txt, sizeof txt, "%" PRIu64 ".", whole);
        for (int i = 0; i < 6 && rem; i++) {
            rem *= 10;
            txt[len++] = (char)('0' + rem / n);
            rem %= n;
        }
        txt[len] = 0;
        avg = json_real(strtod(txt, NULL));
    }
    *out = json_pack("{sIsIso}", "sum", (json_int_t)s, "count", (json_int_t)n, "average", avg);
    return *out ? 0 : ERR_NOMEM;
}

static const char *const s_flags[] = { NULL };

static int s_runlocal_rules(const char *const *flag, const char *const *value, size_t count,
                            int bits, json_t **out, char *err, size_t errlen)
{
    (void)flag;
    (void)value;
    (void)count;
    (void)bits;
    (void)err;
    (void)errlen;
    *out = json_object();
    return 0;
}

static void s_print_human(const json_t *o, FILE *f)
{
    json_t *avg = json_object_get(o, "average");
    if (!avg || json_is_null(avg)) fprintf(f, "no valid input\n");
    else if (json_is_integer(avg)) fprintf(f, "average %" JSON_INTEGER_FORMAT "\n", json_integer_value(avg));
    else fprintf(f, "average %.15g\n", json_real_value(avg));
    fprintf(f, "sum %" JSON_INTEGER_FORMAT " over %" JSON_INTEGER_FORMAT
               " inputs (excluded %" JSON_INTEGER_FORMAT ")\n",
            json_integer_value(json_object_get(o, "sum")),
            json_integer_value(json_object_get(o, "count")),
            json_integer_value(json_object_get(o, "excluded")));
}

static const app_ops s_ops = {
    .name = "average",
    .kind = DEFN_SUM,
    .verb = "submit",
    .noun = "client",
    .inputs_flag = "--values",
    .rules_load = s_rules_load,
    .rules_free = s_rules_free,
    .input_len = s_input_len,
    .input_encode = s_input_encode,
    .compute = s_compute,
    .flags = s_flags,
    .bool_flags = s_flags,
    .runlocal_rules = s_runlocal_rules,
    .print_human = s_print_human,
};

int main(int argc, char **argv)
{
    return app_main(&s_ops, argc, argv);
}
