/* auction: sealed-bid auction that reveals only the winning bid (first price,
 * optionally the winner), or the winner and the price (second price), or just
 * "no sale" under a reserve. Rules and CLI only; the MPC lives in protocols/. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sodium.h>

#include "common/log.h"
#include "app/app.h"
#include "protocols/auction_bin.h"
#include "protocols/auction_mpc.h"
#include "protocols/bincmp.h"
#include "protocols/gf2.h"
#include "protocols/range.h"

typedef struct rules {
    int second;          /* second-price (Vickrey) rule */
    int reveal_winner;   /* first price: also reveal who won */
    int64_t reserve;     /* 0: none */
    int k;               /* bid bit length */
    int binary;          /* "domain": "binary": the bid's k bits shared over GF(2^4) */
} rules;

static int s_rules_load(void **out, const defn *d, char *err, size_t errlen)
{
    static const char *const allowed[] = { "price", "reveal_winner", "reserve", "tie", NULL };
    rules *r = calloc(1, sizeof *r);
    const char *price, *tie;
    int64_t maxbid;
    if (!r) return ERR_NOMEM;
    r->k = defn_bits(d);
    r->binary = defn_domain(d) == DEFN_DOMAIN_BINARY;
    maxbid = r->k >= 63 ? INT64_MAX : (((int64_t)1) << r->k) - 1;
    int rc = defn_rules_check_keys(d, allowed, err, errlen);
    if (!rc) rc = defn_rule_str(d, "price", "first", &price, err, errlen);
    if (!rc && strcmp(price, "first") != 0 && strcmp(price, "second") != 0) {
        snprintf(err, errlen, "rules.price: expected \"first\" or \"second\"");
        rc = ERR_PARSE;
    }
    if (!rc) r->second = strcmp(price, "second") == 0;
    if (!rc) rc = defn_rule_bool(d, "reveal_winner", r->second, &r->reveal_winner, err, errlen);
    if (!rc && r->second && !r->reveal_winner) {
        snprintf(err, errlen, "rules.reveal_winner: a second-price auction reveals the winner");
        rc = ERR_PARSE;
    }
    if (!rc) rc = defn_rule_int(d, "reserve", 0, 0, maxbid, &r->reserve, err, errlen);
    if (!rc) rc = defn_rule_str(d, "tie", "earliest", &tie, err, errlen);
    if (!rc && strcmp(tie, "earliest") != 0) {
        snprintf(err, errlen, "rules.tie: only \"earliest\" (lowest roll index wins) is supported");
        rc = ERR_PARSE;
    }
    if (rc) {
        free(r);
        return rc;
    }
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
    const rules *r = rp;
    return r->binary ? (uint32_t)r->k : range_input_len(r->k);
}

/* A bid is a decimal integer in [0, 2^k). raw: any integer, shared as is. */
static int s_input_encode(const void *rp, const defn *d, const char *text, int raw, fe *out,
                          char *err, size_t errlen)
{
    const rules *r = rp;
    const field *F = defn_field(d);
    char *end;
    errno = 0;
    if (raw) {
        long long v = strtoll(text, &end, 10);
        if (errno || end == text || *end) {
            snprintf(err, errlen, "raw bid \"%s\" is not an integer", text);
            return ERR_PARSE;
        }
        if (r->binary) {   /* the low bits, then what is left: a non-bit when out of range */
            uint64_t u = (uint64_t)v;
            for (int j = 0; j + 1 < r->k; j++) out[j] = u >> j & 1u;
            out[r->k - 1] = u >> (r->k - 1) & 15u;
        } else {
            range_encode_raw(F, out, (int64_t)v, r->k);
        }
        return 0;
    }
    if (text[0] == '-' || text[0] == '+') {
        snprintf(err, errlen, "bid \"%s\": expected a whole number from 0 to 2^%d - 1", text, r->k);
        return ERR_RANGE;
    }
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *end) {
        snprintf(err, errlen, "bid \"%s\" is not a whole number", text);
        return ERR_PARSE;
    }
    if (r->k < 64 && v >> r->k) {
        snprintf(err, errlen, "bid %s is out of range [0, 2^%d)", text, r->k);
        return ERR_RANGE;
    }
    if (r->binary)
        for (int j = 0; j < r->k; j++) out[j] = v >> j & 1u;
    else
        range_encode(F, out, (uint64_t)v, r->k);
    return 0;
}

/* Binary domain: the rows (count x k shares, 0..15) as a bit matrix. */
static int s_auction_bin(mpc *M, const auction_spec *spec, const fe *rows, size_t count,
                         uint8_t *excluded, auction_outcome *o)
{
    int k = spec->k;
    if (count == 0) {   /* no bid: no sale */
        memset(o, 0, sizeof *o);
        return 0;
    }
    size_t nw = gf2_words(count);
    uint64_t *X = calloc(bin_matrix_words(k, nw) + 1, 8);
    if (!X) return ERR_NOMEM;
    for (size_t i = 0; i < count; i++)
        for (int j = 0; j < k; j++) {
            unsigned v = (unsigned)rows[i * (size_t)k + (size_t)j];
            for (int p = 0; p < GF2_PLANES; p++)
                bin_plane(X, k, j, p, nw)[i / 64] |= (uint64_t)(v >> p & 1u) << (i % 64);
        }
    int rc = auction_bin_run(M, spec, X, count, excluded, o);
    sodium_memzero(X, bin_matrix_words(k, nw) * 8);
    free(X);
    return rc;
}

static int s_compute(const void *rp, const defn *d, const char *data_dir, mpc *M,
                     const fe *rows, size_t count, uint32_t m, const uint32_t *roll,
                     uint8_t *excluded, json_t **out, char *err, size_t errlen)
{
    const rules *r = rp;
    (void)data_dir;
    auction_spec spec = { .k = r->k, .second = r->second, .reveal_winner = r->reveal_winner,
                          .reserve = (uint64_t)r->reserve };
    auction_outcome o;
    int rc = r->binary ? s_auction_bin(M, &spec, rows, count, excluded, &o)
                       : auction_run(M, &spec, rows, count, m, excluded, &o);
    if (rc != 0) {
        snprintf(err, errlen, "%s", mpc_errmsg(M));
        return rc;
    }
    json_t *res = json_object();
    json_object_set_new(res, "sold", json_boolean(o.sold));
    if (o.sold) {
        json_t *winner = json_string(defn_roll_at(d, roll[o.winner])->name);
        json_t *price = json_integer((json_int_t)o.price);
        if (r->second) {
            json_object_set_new(res, "winner", winner);
            json_object_set_new(res, "price", price);
        } else {
            json_object_set_new(res, "winning_bid", price);
            if (r->reveal_winner) json_object_set_new(res, "winner", winner);
            else json_decref(winner);
        }
    }
    *out = res;
    return 0;
}

static const char *const s_flags[] = { "--rule", "--reveal-winner", "--reserve", NULL };
static const char *const s_bool_flags[] = { "--reveal-winner", NULL };

static int s_runlocal_rules(const char *const *flag, const char *const *value, size_t count,
                            int bits, json_t **out, char *err, size_t errlen)
{
    const char *price = "first";
    int reveal = 0;
    long long reserve = 0;
    for (size_t i = 0; i < count; i++) {
        if (strcmp(flag[i], "--rule") == 0) {
            if (strcmp(value[i], "first") && strcmp(value[i], "second")) {
                snprintf(err, errlen, "--rule: expected first or second");
                return ERR_ARG;
            }
            price = value[i];
        } else if (strcmp(flag[i], "--reveal-winner") == 0) {
            reveal = 1;
        } else if (strcmp(flag[i], "--reserve") == 0) {
            char *end;
            errno = 0;
            reserve = strtoll(value[i], &end, 10);
            if (errno || end == value[i] || *end || reserve < 0) {
                snprintf(err, errlen, "--reserve: expected a whole number >= 0");
                return ERR_ARG;
            }
        }
    }
    if (bits < 63 && reserve >= (1LL << bits)) {
        snprintf(err, errlen, "--reserve: must be below 2^%d", bits);
        return ERR_ARG;
    }
    int second = strcmp(price, "second") == 0;
    *out = json_pack("{sssbsI}", "price", price, "reveal_winner", second || reveal, "reserve",
                     (json_int_t)reserve);
    return *out ? 0 : ERR_NOMEM;
}

static void s_print_human(const json_t *o, FILE *f)
{
    json_t *sold = json_object_get(o, "sold");
    if (!json_is_true(sold)) {
        fprintf(f, "no sale\n");
    } else {
        json_t *w = json_object_get(o, "winner"), *p = json_object_get(o, "price"),
               *b = json_object_get(o, "winning_bid");
        if (p) fprintf(f, "winner %s pays %" JSON_INTEGER_FORMAT " (second price)\n",
                       json_string_value(w), json_integer_value(p));
        else if (w) fprintf(f, "winning bid %" JSON_INTEGER_FORMAT " by %s\n",
                            json_integer_value(b), json_string_value(w));
        else fprintf(f, "winning bid %" JSON_INTEGER_FORMAT "\n", json_integer_value(b));
    }
    fprintf(f, "bids accepted %" JSON_INTEGER_FORMAT ", excluded %" JSON_INTEGER_FORMAT "\n",
            json_integer_value(json_object_get(o, "accepted")),
            json_integer_value(json_object_get(o, "excluded")));
}

/* The rules in words for `info` (defaults applied: what the servers run). */
static void s_describe(const void *rp, const defn *d, char *out, size_t len)
{
    const rules *r = rp;
    int n = 0;
    (void)d;
    if (r->second)
        n = snprintf(out, len, "second-price sealed-bid auction: reveals the winner and the "
                     "price (the second-highest valid bid, raised to the reserve)");
    else
        n = snprintf(out, len, "first-price sealed-bid auction: reveals the winning bid%s",
                     r->reveal_winner ? " and the winner" : " only (not who made it)");
    size_t p = n < 0 ? 0 : (size_t)n < len ? (size_t)n : len;
    if (r->reserve)
        n = snprintf(out + p, len - p, "; reserve %lld: below it only \"no sale\" is revealed",
                     (long long)r->reserve);
    else
        n = snprintf(out + p, len - p, "; no reserve");
    p = n < 0 ? p : p + (size_t)n < len ? p + (size_t)n : len;
    if (r->k >= 64)
        n = snprintf(out + p, len - p, "; bids 0..2^64-1; a tie goes to the lowest roll index");
    else
        n = snprintf(out + p, len - p, "; bids 0..%llu; a tie goes to the lowest roll index",
                     (unsigned long long)((1ULL << r->k) - 1));
    p = n < 0 ? p : p + (size_t)n < len ? p + (size_t)n : len;
    if (r->binary) snprintf(out + p, len - p, "; bids shared bit by bit over GF(2^4)");
}

static const app_ops s_ops = {
    .name = "auction",
    .kind = DEFN_AUCTION,
    .verb = "bid",
    .noun = "bidder",
    .inputs_flag = "--bids",
    .rules_load = s_rules_load,
    .rules_free = s_rules_free,
    .input_len = s_input_len,
    .input_encode = s_input_encode,
    .compute = s_compute,
    .flags = s_flags,
    .bool_flags = s_bool_flags,
    .runlocal_rules = s_runlocal_rules,
    .describe_rules = s_describe,
    .print_human = s_print_human,
};

int main(int argc, char **argv)
{
    return app_main(&s_ops, argc, argv);
}
