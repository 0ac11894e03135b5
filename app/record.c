/* record: accepted sets, election records, ballot checks (see record.h). */
#include "app/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "app/cli.h"
#include "app/client.h"
#include "app/ctx.h"
#include "app/verify.h"
#include "common/fsutil.h"
#include "common/rpc.h"
#include "common/xalloc.h"
#include "protocols/intake.h"

static json_t *s_set_json(const result_input *in, size_t count)
{
    json_t *a = json_array();
    char h[65];
    for (size_t i = 0; i < count; i++) {
        sodium_bin2hex(h, sizeof h, in[i].env_hash, 32);
        json_array_append_new(a, json_pack("[IIs]", (json_int_t)in[i].roll,
                                           (json_int_t)in[i].seq, h));
    }
    return a;
}

int app_record_set_encode(const defn *d, int me, const result_input *in, size_t count,
                          uint8_t **out, size_t *len)
{
    char sid[65];
    sodium_bin2hex(sid, sizeof sid, defn_sid(d), 32);
    json_t *j = json_pack("{sssiso}", "session_id", sid, "server", me, "accepted",
                          s_set_json(in, count));
    char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!txt) return ERR_NOMEM;
    *out = (uint8_t *)txt;
    *len = strlen(txt);
    return 0;
}

/* An accepted-set array: [ROLL, SEQ, "HASH"] with roll indices strictly
 * increasing and on the roll. *out malloc'd. */
static int s_set_parse(const json_t *a, const defn *d, result_input **out, size_t *count)
{
    if (!json_is_array(a)) return ERR_PARSE;
    size_t n = json_array_size(a);
    result_input *in = xcalloc(n ? n : 1, sizeof *in);
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(a, i);
        json_int_t roll, seq;
        const char *h;
        size_t hl;
        if (json_unpack(e, "[IIs!]", &roll, &seq, &h) != 0 || roll < 0 ||
            (size_t)roll >= defn_roll_size(d) || seq < 0 || (i && (uint32_t)roll <= in[i - 1].roll) ||
            strlen(h) != 64 || sodium_hex2bin(in[i].env_hash, 32, h, 64, NULL, &hl, NULL) != 0 ||
            hl != 32) {
            free(in);
            return ERR_PARSE;
        }
        in[i].roll = (uint32_t)roll;
        in[i].seq = (uint64_t)seq;
    }
    *out = in;
    *count = n;
    return 0;
}

/* What a record or a check rests on: the outcome statement (t+1 signatures)
 * and the accepted set whose hash it signs. */
typedef struct s_proof {
    result_stmt *st[APP_VERIFY_MAX];
    size_t ns;
    result_verdict v;
    result_input *set;
    size_t nset;
} s_proof;

static void s_proof_free(s_proof *P)
{
    for (size_t i = 0; i < P->ns; i++) result_stmt_free(&P->st[i]);
    free(P->set);
}

static int s_accept(const defn *d, s_proof *P, uint8_t *const *blobs, const size_t *lens,
                    size_t count)
{
    int n = defn_n(d);
    for (size_t i = 0; i < count && P->ns < APP_VERIFY_MAX; i++)
        if (blobs[i] && result_stmt_decode(&P->st[P->ns], blobs[i], lens[i]) == 0) P->ns++;
    uint8_t pks[MPC_MAX_SERVERS][32];
    for (int i = 0; i < n; i++) memcpy(pks[i], defn_server_at(d, i + 1)->sign_pk, 32);
    if (result_accept(&P->v, (const result_stmt *const *)P->st, P->ns, defn_sid(d),
                      (const uint8_t(*)[32])pks, n, defn_t(d)) != 0) {
        fprintf(stderr, "error: no verified result: %s\n", P->v.msg);
        return 1;
    }
    return 0;
}

/* Take the set if it is the one the outcome signs (hash and count). */
static int s_take_set(const defn *d, s_proof *P, const json_t *arr)
{
    result_input *in;
    size_t cnt;
    uint8_t h[32];
    if (s_set_parse(arr, d, &in, &cnt) != 0) return ERR_PARSE;
    if (result_inputs_hash(h, defn_sid(d), in, cnt) != 0 || cnt != P->v.outcome->accepted ||
        sodium_memcmp(h, P->v.outcome->inputs_hash, 32) != 0) {
        free(in);
        return ERR_CRYPTO;
    }
    free(P->set);
    P->set = in;
    P->nset = cnt;
    return 0;
}

/* From the servers: statements (unless given as files) and a matching set. */
static int s_gather(const app_ctx *c, s_proof *P, const char *const *files, size_t nfiles)
{
    uint8_t *blobs[APP_VERIFY_MAX] = { 0 };
    size_t lens[APP_VERIFY_MAX] = { 0 }, count = 0;
    if (nfiles == 0) count = app_client_fetch(c->d, INTAKE_RESULT, blobs, lens, NULL);
    for (size_t i = 0; i < nfiles && count < APP_VERIFY_MAX; i++)
        if (fs_read_file(files[i], &blobs[count], &lens[count], RESULT_MAX_OUTPUT + 4096) == 0) count++;
        else fprintf(stderr, "error: cannot read statement %s\n", files[i]);
    int rc = s_accept(c->d, P, blobs, lens, count);
    for (size_t i = 0; i < count; i++) free(blobs[i]);
    if (rc != 0) return rc;
    count = app_client_fetch(c->d, INTAKE_RECORD, blobs, lens, NULL);
    for (size_t i = 0; i < count; i++) {
        json_error_t je;
        json_t *j = !P->set ? json_loadb((const char *)blobs[i], lens[i], 0, &je) : NULL;
        if (j && s_take_set(c->d, P, json_object_get(j, "accepted")) != 0)
            fprintf(stderr, "warning: a server's accepted set does not match the signed result\n");
        json_decref(j);
        free(blobs[i]);
    }
    if (!P->set) fprintf(stderr, "error: no server gave the accepted set of the signed result\n");
    return P->set ? 0 : 1;
}

int app_record_main(const app_ops *ops, int argc, char **argv)
{
    static const char *const vf[] = { "--defn", "--out", NULL };
    cli_args a;
    const char *dp, *op;
    if (cli_parse(&a, argc, argv, vf, NULL) || cli_need(&a, "--defn", &dp) ||
        cli_need(&a, "--out", &op))
        return 2;
    app_ctx c;
    s_proof P;
    memset(&P, 0, sizeof P);
    uint8_t *dtext = NULL;
    size_t dlen = 0;
    int rc = app_ctx_load(&c, ops, dp, NULL) || fs_read_file(dp, &dtext, &dlen, DEFN_MAX_FILE) != 0 ||
             s_gather(&c, &P, a.pos, a.npos);
    if (rc == 0) {
        json_t *st = json_array();
        for (size_t i = 0; i < P.ns; i++) {
            uint8_t *b;
            size_t bl;
            if (result_stmt_encode(P.st[i], &b, &bl) != 0) continue;
            char *hex = xmalloc(2 * bl + 1);
            sodium_bin2hex(hex, 2 * bl + 1, b, bl);
            json_array_append_new(st, json_string(hex));
            free(hex);
            free(b);
        }
        json_t *r = json_pack("{sssoso}", "format", "mpc-record-1", "accepted",
                              s_set_json(P.set, P.nset), "statements", st);
        json_object_set_new(r, "definition", json_stringn((const char *)dtext, dlen));
        char *txt = r ? json_dumps(r, JSON_COMPACT) : NULL;
        json_decref(r);
        rc = !txt || fs_write_new(op, txt, strlen(txt), 0644) != 0;
        if (rc) fprintf(stderr, "error: cannot write %s (it must not exist yet)\n", op);
        else printf("record written: %s (%zu counted inputs, %d signatures)\n", op, P.nset, P.v.agree);
        free(txt);
    }
    free(dtext);
    s_proof_free(&P);
    app_ctx_free(&c);
    return rc ? 1 : 0;
}

int app_verify_record_main(const app_ops *ops, int argc, char **argv)
{
    static const char *const bf[] = { "--json", NULL };
    cli_args a;
    if (cli_parse(&a, argc, argv, NULL, bf)) return 2;
    if (a.npos != 1) {
        fprintf(stderr, "usage: %s verify RECORD [--json]\n", ops->name);
        return 2;
    }
    json_error_t je;
    json_t *r = json_load_file(a.pos[0], JSON_REJECT_DUPLICATES, &je);
    const char *dtext = json_string_value(json_object_get(r, "definition"));
    json_t *sts = json_object_get(r, "statements");
    if (!r || !dtext || !json_is_array(sts) ||
        strcmp(json_string_value(json_object_get(r, "format")) ? json_string_value(json_object_get(r, "format")) : "", "mpc-record-1")) {
        fprintf(stderr, "error: %s: not a record (%s)\n", a.pos[0], r ? "missing fields" : je.text);
        json_decref(r);
        return 1;
    }
    app_ctx c;
    s_proof P;
    memset(&P, 0, sizeof P);
    int rc = app_ctx_parse(&c, ops, (const uint8_t *)dtext, json_string_length(json_object_get(r, "definition")), a.pos[0]);
    uint8_t *blobs[APP_VERIFY_MAX] = { 0 };
    size_t lens[APP_VERIFY_MAX] = { 0 }, count = 0;
    for (size_t i = 0; rc == 0 && i < json_array_size(sts) && count < APP_VERIFY_MAX; i++) {
        const char *hex = json_string_value(json_array_get(sts, i));
        size_t hl = hex ? strlen(hex) : 0;
        blobs[count] = xmalloc(hl / 2 + 1);
        if (hex && sodium_hex2bin(blobs[count], hl / 2 + 1, hex, hl, NULL, &lens[count], NULL) == 0) count++;
        else free(blobs[count]);
    }
    if (rc == 0) rc = s_accept(c.d, &P, blobs, lens, count);
    for (size_t i = 0; i < count; i++) free(blobs[i]);
    if (rc == 0 && s_take_set(c.d, &P, json_object_get(r, "accepted")) != 0) {
        fprintf(stderr, "error: the record's accepted set is not the one the servers signed\n");
        rc = 1;
    }
    json_t *res = NULL;
    char msg[256];
    if (rc == 0) {   /* the printer of `result`, over the same statements */
        uint8_t *b[APP_VERIFY_MAX];
        size_t bl[APP_VERIFY_MAX], nb = 0;
        for (size_t i = 0; i < P.ns; i++)
            if (result_stmt_encode(P.st[i], &b[nb], &bl[nb]) == 0) nb++;
        rc = app_verify(c.d, b, bl, nb, &res, msg, sizeof msg) != 0;
        for (size_t i = 0; i < nb; i++) free(b[i]);
    }
    if (rc == 0 && cli_get(&a, "--json")) {
        app_print_json(res, stdout);
    } else if (rc == 0) {
        ops->print_human(res, stdout);
        app_print_security(res, stdout);
        printf("verified record: %s; %zu counted inputs match the signed inputs hash\n", msg, P.nset);
    }
    json_decref(res);
    json_decref(r);
    s_proof_free(&P);
    app_ctx_free(&c);
    return rc ? 1 : 0;
}

/* The tracker `cast` wrote: seq and envelope hash. */
static int s_tracker(const char *path, uint64_t *seq, uint8_t h[32])
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    const char *hex = json_string_value(json_object_get(j, "tracker"));
    json_t *s = json_object_get(j, "seq");
    size_t hl;
    int ok = hex && json_is_integer(s) && strlen(hex) == 64 &&
             sodium_hex2bin(h, 32, hex, 64, NULL, &hl, NULL) == 0;
    if (ok) *seq = (uint64_t)json_integer_value(s);
    json_decref(j);
    return ok ? 0 : ERR_PARSE;
}

static int s_check_report(const app_ctx *c, const s_proof *P, long roll, uint64_t seq,
                          const uint8_t h[32])
{
    char want[65], got[65];
    sodium_bin2hex(want, sizeof want, h, 32);
    for (size_t i = 0; i < P->nset; i++) {
        if ((long)P->set[i].roll != roll) continue;
        sodium_bin2hex(got, sizeof got, P->set[i].env_hash, 32);
        if (P->set[i].seq == seq && !sodium_memcmp(P->set[i].env_hash, h, 32)) {
            printf("counted: your ballot (sequence %llu, tracker %s) is in the accepted set "
                   "signed by %d servers\n", (unsigned long long)seq, want, P->v.agree);
            return 0;
        }
        printf("NOT this ballot: the accepted set counts another one of yours (sequence %llu, "
               "tracker %s); yours: sequence %llu, tracker %s\n",
               (unsigned long long)P->set[i].seq, got, (unsigned long long)seq, want);
        return 1;
    }
    printf("NOT counted: no ballot of %s is in the accepted set (tracker %s)\n",
           defn_roll_at(c->d, (size_t)roll)->name, want);
    return 1;
}

int app_check_main(const app_ops *ops, int argc, char **argv)
{
    static const char *const vf[] = { "--defn", "--keys", "--tracker", NULL };
    cli_args a;
    const char *dp, *kp;
    if (cli_parse(&a, argc, argv, vf, NULL) || cli_need(&a, "--defn", &dp) ||
        cli_need(&a, "--keys", &kp))
        return 2;
    app_ctx c;
    s_proof P;
    memset(&P, 0, sizeof P);
    char tp[4200];
    snprintf(tp, sizeof tp, "%s.ballot", kp);
    const char *tracker = cli_get(&a, "--tracker") ? cli_get(&a, "--tracker") : tp;
    uint64_t seq = 0;
    uint8_t h[32];
    int rc = app_ctx_load(&c, ops, dp, kp);
    long roll = rc ? -1 : defn_roll_find_sign(c.d, keys_sign_pk(c.k));
    if (rc == 0 && roll < 0) {
        fprintf(stderr, "error: this key is not on the roll of %s\n", dp);
        rc = 1;
    } else if (rc == 0 && s_tracker(tracker, &seq, h) != 0) {
        fprintf(stderr, "error: cannot read the tracker file %s (written by `%s %s`)\n", tracker,
                ops->name, ops->verb);
        rc = 1;
    }
    if (rc == 0) rc = s_gather(&c, &P, NULL, 0);
    if (rc == 0) rc = s_check_report(&c, &P, roll, seq, h);
    rpc_thread_done();
    s_proof_free(&P);
    app_ctx_free(&c);
    return rc ? 1 : 0;
}
