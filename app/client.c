/* client: submission and statement fetch (see client.h). */
#include "app/client.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <sodium.h>

#include "app/cli.h"
#include "app/verify.h"
#include "common/fsutil.h"
#include "common/rpc.h"
#include "common/secmem.h"
#include "common/xalloc.h"
#include "protocols/gf2.h"
#include "protocols/intake.h"
#include "protocols/result.h"
#include "protocols/shamir.h"

uint64_t app_client_seq(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

int app_client_seal(const defn *d, const uint8_t sign_sk[64], uint32_t roll, const fe *plain,
                    uint32_t m, uint64_t seq, uint8_t **env, size_t *len)
{
    int n = defn_n(d), t = defn_t(d);
    const field *F = defn_field(d);
    size_t el = envelope_len(n, m, F->bytes);
    if (!el) return ERR_ARG;
    shamir *sh = shamir_new(F, n, t);
    if (!sh) return ERR_NOMEM;
    size_t sz = sizeof(fe) * (size_t)n * m;
    fe *shares = xmalloc(sz);
    if (defn_domain(d) == DEFN_DOMAIN_BINARY) {   /* bits shared over GF(2^4) (gf2.h) */
        uint8_t *v = xmalloc(m ? m : 1), *s = xmalloc((size_t)n * m + 1);
        for (uint32_t j = 0; j < m; j++) v[j] = (uint8_t)(plain[j] & 15u);
        gf2_share_values(s, v, m, n, t);
        for (size_t q = 0; q < (size_t)n * m; q++) shares[q] = s[q];
        sodium_memzero(v, m ? m : 1);
        sodium_memzero(s, (size_t)n * m + 1);
        free(v);
        free(s);
    } else {
        shamir_share(sh, shares, plain, m, t);
    }
    uint8_t pks[MPC_MAX_SERVERS][32];
    for (int i = 0; i < n; i++) memcpy(pks[i], defn_server_at(d, i + 1)->curve_pk, 32);
    *env = xmalloc(el);
    *len = el;
    int rc = envelope_seal(*env, F, n, (const uint8_t(*)[32])pks, defn_sid(d), roll, seq, shares, m,
                           sign_sk);
    secmem_free(shares, sz);
    shamir_free(&sh);
    if (rc != 0) {
        free(*env);
        *env = NULL;
    }
    return rc;
}

/* Printable ASCII only, bounded: a server's reason is untrusted text. */
static void s_clean(char *out, size_t cap, const uint8_t *in, size_t len)
{
    size_t wl = len < cap - 1 ? len : cap - 1;
    for (size_t q = 0; q < wl; q++) out[q] = in[q] >= 0x20 && in[q] < 0x7f ? (char)in[q] : '?';
    out[wl] = 0;
}

/* Server i's reply: 0 valid receipt, ERR_REFUSED final refusal, ERR_TIMEOUT a
 * temporary one (worth a retry), ERR_PROTO/ERR_CRYPTO a bad reply. */
/* Verify r's batch signature, unless it is the batch cache holds. */
static int s_receipt_sig(const defn *d, int i, const result_receipt *r, app_receipt_cache *cache)
{
    uint8_t root[32];
    if (result_receipt_root(r, root) != 0) return ERR_CRYPTO;
    if (cache && cache->valid && cache->count == r->count && !memcmp(cache->root, root, 32) &&
        !memcmp(cache->sig, r->sig, 64))
        return 0;
    if (result_receipt_verify(r, defn_server_at(d, i)->sign_pk) != 0) return ERR_CRYPTO;
    if (cache) {
        cache->valid = 1;
        cache->count = r->count;
        memcpy(cache->root, root, 32);
        memcpy(cache->sig, r->sig, 64);
    }
    return 0;
}

static int s_receipt(const defn *d, int i, const uint8_t *resp, size_t rlen, const uint8_t *env,
                     size_t env_len, app_receipt_cache *cache, FILE *report)
{
    intake_msg m;
    result_receipt r;
    envelope e;
    if (intake_resp_decode(&m, resp, rlen) != 0 || envelope_parse(&e, env, env_len) != 0) {
        fprintf(report, "error: server %d sent a malformed response\n", i);
        return ERR_PROTO;
    }
    if (m.kind != 0) {
        char why[256];
        s_clean(why, sizeof why, m.body, m.body_len);
        int temp = intake_status_temporary(m.kind);
        fprintf(report, "%s: server %d %s: %s\n", temp ? "warning" : "error", i,
                temp ? "cannot take it now" : "refused", why);
        return temp ? ERR_TIMEOUT : ERR_REFUSED;
    }
    uint8_t h[ENV_HASH_LEN];
    envelope_hash(h, env, env_len);
    if (result_receipt_decode(&r, m.body, m.body_len) != 0 || r.server != i ||
        sodium_memcmp(r.sid, defn_sid(d), 32) != 0 || r.seq != e.seq || r.roll != e.roll ||
        sodium_memcmp(r.env_hash, h, 32) != 0 || s_receipt_sig(d, i, &r, cache) != 0) {
        fprintf(report, "error: server %d sent an invalid receipt (not signed by it, or for "
                        "another envelope)\n", i);
        return ERR_CRYPTO;
    }
    return 0;
}

int app_client_check_receipt(const defn *d, int i, const uint8_t *resp, size_t rlen,
                             const uint8_t *env, size_t env_len, app_receipt_cache *cache,
                             FILE *report)
{
    return s_receipt(d, i, resp, rlen, env, env_len, cache, report);
}

static void s_peers(const defn *d, rpc_peer *peers)
{
    for (int i = 0; i < defn_n(d); i++) {
        const defn_server *sv = defn_server_at(d, i + 1);
        peers[i] = (rpc_peer){ .endpoint = sv->client, .curve_pk = sv->curve_pk };
    }
}

/* One attempt at every server still owed a receipt; pending[i] cleared once
 * server i+1 gave a receipt or refused for good. */
static void s_attempt(const defn *d, const uint8_t *req, size_t req_len, const uint8_t *env,
                      size_t env_len, int *pending, app_cast *out, FILE *report)
{
    int n = defn_n(d);
    rpc_peer peers[MPC_MAX_SERVERS];
    s_peers(d, peers);
    const uint8_t *reqs[MPC_MAX_SERVERS];
    size_t lens[MPC_MAX_SERVERS];
    for (int i = 0; i < n; i++) {
        reqs[i] = pending[i] ? req : NULL;
        lens[i] = req_len;
    }
    uint8_t *resp[MPC_MAX_SERVERS];
    size_t rlen[MPC_MAX_SERVERS];
    char errs[MPC_MAX_SERVERS][RPC_ERR_LEN];
    (void)rpc_call(n, peers, reqs, lens, resp, rlen, errs, defn_timeout_ms(d));
    for (int i = 0; i < n; i++) {
        if (!pending[i]) continue;
        if (!resp[i]) {
            fprintf(report, "warning: %s\n", errs[i]);
            continue;
        }
        int rc = s_receipt(d, i + 1, resp[i], rlen[i], env, env_len, NULL, report);
        free(resp[i]);
        if (rc == ERR_TIMEOUT) continue;
        pending[i] = 0;
        if (rc == 0) {
            out->receipts |= 1u << i;
            out->nreceipts++;
        } else {
            out->refused = 1;
        }
    }
}

static double s_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int app_client_submit(const defn *d, const keys *k, const fe *plain, uint32_t m, uint64_t seq,
                      int retry_s, app_cast *out, FILE *report)
{
    int n = defn_n(d), t = defn_t(d);
    app_cast local;
    if (!out) out = &local;
    memset(out, 0, sizeof *out);
    out->seq = seq;
    long roll = defn_roll_find_sign(d, keys_sign_pk(k));
    if (roll < 0) {
        fprintf(report, "error: this key is not on the roll of this definition\n");
        return ERR_REFUSED;
    }
    uint8_t *env;
    size_t el;
    int rc = app_client_seal(d, keys_sign_sk(k), (uint32_t)roll, plain, m, seq, &env, &el);
    if (rc != 0) return rc;
    envelope_hash(out->tracker, env, el);
    uint8_t *req = xmalloc(INTAKE_HDR + el);
    if (intake_req_encode(req, INTAKE_SUBMIT, seq, env, el) != 0) abort();
    int pending[MPC_MAX_SERVERS];
    for (int i = 0; i < n; i++) pending[i] = 1;
    double end = s_mono() + retry_s, wait = 0.5;
    for (;;) {
        s_attempt(d, req, INTAKE_HDR + el, env, el, pending, out, report);
        int left = 0;
        for (int i = 0; i < n; i++) left += pending[i];
        double now = s_mono();
        if (!left || now + wait > end || (int64_t)time(NULL) + (int64_t)wait >= defn_deadline(d))
            break;
        fprintf(report, "retrying %d server(s) in %.1f s\n", left, wait);
        struct timespec ts = { (time_t)wait, (long)((wait - (time_t)wait) * 1e9) };
        nanosleep(&ts, NULL);
        wait = wait * 2 > 30 ? 30 : wait * 2;
    }
    free(req);
    free(env);
    if (out->nreceipts == n) return 0;
    /* n - t holders: with up to n - 2t - 1 servers down at the close and t
     * lying, one honest holder still takes part (t+1 when n = 2t+1) */
    if (out->nreceipts >= n - t && !out->refused) {
        fprintf(report, "warning: safely cast with %d of %d receipts (n-t = %d needed): the "
                        "servers missing it receive it from the others at the close\n",
                out->nreceipts, n, n - t);
        return 1;
    }
    fprintf(report, "error: NOT safely cast: %d of %d receipts, %d needed; submit again\n",
            out->nreceipts, n, n - t);
    return out->refused ? ERR_REFUSED : ERR_IO;
}

int app_client_submit_text(const app_ctx *c, const keys *k, const char *text, int raw,
                           uint64_t seq, int retry_s, app_cast *out, FILE *report)
{
    char err[512];
    size_t sz = sizeof(fe) * (c->m ? c->m : 1);
    fe *plain = xcalloc(1, sz);
    int rc = c->ops->input_encode(c->rules, c->d, text, raw, plain, err, sizeof err);
    if (rc != 0) fprintf(report, "error: invalid %s input: %s\n", c->ops->name, err);
    else rc = app_client_submit(c->d, k, plain, c->m, seq, retry_s, out, report);
    secmem_free(plain, sz);
    return rc;
}

size_t app_client_fetch(const defn *d, int kind, uint8_t **blobs, size_t *lens, int *from)
{
    int n = defn_n(d);
    rpc_peer peers[MPC_MAX_SERVERS];
    s_peers(d, peers);
    uint8_t req[INTAKE_HDR];
    if (intake_req_encode(req, kind, 0, NULL, 0) != 0) return 0;
    const uint8_t *reqs[MPC_MAX_SERVERS];
    size_t lens_[MPC_MAX_SERVERS], rl[MPC_MAX_SERVERS], count = 0;
    for (int i = 0; i < n; i++) {
        reqs[i] = req;
        lens_[i] = sizeof req;
    }
    char errs[MPC_MAX_SERVERS][RPC_ERR_LEN];
    uint8_t *resp[MPC_MAX_SERVERS];
    (void)rpc_call(n, peers, reqs, lens_, resp, rl, errs, defn_timeout_ms(d));
    for (int i = 0; i < n; i++) {
        intake_msg m;
        if (!resp[i]) {
            fprintf(stderr, "warning: %s\n", errs[i]);
        } else if (intake_resp_decode(&m, resp[i], rl[i]) != 0 || m.kind != 0) {
            fprintf(stderr, "warning: server %d has no result to give\n", i + 1);
        } else {
            blobs[count] = xmalloc(m.body_len ? m.body_len : 1);
            memcpy(blobs[count], m.body, m.body_len);
            if (from) from[count] = i + 1;
            lens[count++] = m.body_len;
        }
        free(resp[i]);
    }
    return count;
}

/* The voter's tracker file: what `check` later looks for in the accepted set. */
static void s_write_tracker(const char *path, const defn *d, const app_cast *o, long roll)
{
    char sid[65], tr[65];
    sodium_bin2hex(sid, sizeof sid, defn_sid(d), 32);
    sodium_bin2hex(tr, sizeof tr, o->tracker, 32);
    json_t *srv = json_array();
    for (int i = 0; i < defn_n(d); i++)
        if (o->receipts & (1u << i)) json_array_append_new(srv, json_integer(i + 1));
    json_t *j = json_pack("{sssIsIsssO}", "session_id", sid, "roll", (json_int_t)roll, "seq",
                          (json_int_t)o->seq, "tracker", tr, "receipts", srv);
    json_decref(srv);
    char *txt = app_json_text(j);
    json_decref(j);
    if (!txt || fs_write_atomic(path, txt, strlen(txt), 0600) != 0)
        fprintf(stderr, "warning: cannot write the tracker file %s\n", path);
    free(txt);
}

int app_client_main(const app_ops *ops, int argc, char **argv)
{
    static const char *const vf[] = { "--defn", "--keys", "--raw", "--retry", "--tracker", NULL };
    static const char *const bf[] = { "--json", NULL };
    cli_args a;
    const char *dp, *kp;
    long retry = 60;
    if (cli_parse(&a, argc, argv, vf, bf) || cli_need(&a, "--defn", &dp) ||
        cli_need(&a, "--keys", &kp))
        return 2;
    const char *raw = cli_get(&a, "--raw");
    if ((raw && a.npos != 0) || (!raw && a.npos != 1) ||
        (cli_get(&a, "--retry") && cli_int(cli_get(&a, "--retry"), 0, 86400, &retry) != 0)) {
        fprintf(stderr, "usage: %s %s --defn FILE --keys KEYFILE [--retry SECONDS] "
                        "[--tracker FILE] [--json] (INPUT | --raw V)\n", ops->name, ops->verb);
        return 2;
    }
    app_ctx c;
    if (app_ctx_load(&c, ops, dp, kp) != 0) {
        app_ctx_free(&c);
        return 1;
    }
    app_cast o;
    int rc = app_client_submit_text(&c, c.k, raw ? raw : a.pos[0], raw != NULL, app_client_seq(),
                                    (int)retry, &o, stderr);
    long roll = defn_roll_find_sign(c.d, keys_sign_pk(c.k));
    if (rc == 0 || rc == 1) {
        char tp[4200], tr[65];
        snprintf(tp, sizeof tp, "%s.ballot", kp);
        s_write_tracker(cli_get(&a, "--tracker") ? cli_get(&a, "--tracker") : tp, c.d, &o, roll);
        sodium_bin2hex(tr, sizeof tr, o.tracker, 32);
        if (cli_get(&a, "--json"))
            printf("{\"receipts\":%d,\"servers\":%d,\"safely_cast\":true,\"seq\":%llu,"
                   "\"tracker\":\"%s\"}\n", o.nreceipts, defn_n(c.d), (unsigned long long)o.seq, tr);
        else
            printf("submitted: %d of %d signed receipts verified; safely cast\ntracker: %s\n",
                   o.nreceipts, defn_n(c.d), tr);
    }
    rpc_thread_done();
    app_ctx_free(&c);
    return rc == 0 || rc == 1 ? 0 : 1;
}

static void s_print_result(const app_ops *ops, const json_t *res, const char *msg, int as_json)
{
    if (as_json) {
        app_print_json(res, stdout);
        return;
    }
    ops->print_human(res, stdout);
    app_print_security(res, stdout);
    printf("verified: %s\n", msg);
}

int app_result_main(const app_ops *ops, int argc, char **argv)
{
    static const char *const vf[] = { "--defn", "--keys", NULL };
    static const char *const bf[] = { "--json", NULL };
    cli_args a;
    const char *dp;
    if (cli_parse(&a, argc, argv, vf, bf) || cli_need(&a, "--defn", &dp)) return 2;
    app_ctx c;   /* --keys is still accepted: fetching a public result needs no key */
    if (app_ctx_load(&c, ops, dp, NULL) != 0) {
        app_ctx_free(&c);
        return 1;
    }
    uint8_t *blobs[APP_VERIFY_MAX] = { 0 };
    size_t lens[APP_VERIFY_MAX] = { 0 }, count = 0;
    if (a.npos == 0) count = app_client_fetch(c.d, INTAKE_RESULT, blobs, lens, NULL);
    for (size_t i = 0; i < a.npos && count < APP_VERIFY_MAX; i++) {
        if (fs_read_file(a.pos[i], &blobs[count], &lens[count], RESULT_MAX_OUTPUT + 4096) != 0) {
            fprintf(stderr, "error: cannot read statement %s\n", a.pos[i]);
            continue;
        }
        count++;
    }
    json_t *res = NULL;
    char msg[256];
    int rc = app_verify(c.d, blobs, lens, count, &res, msg, sizeof msg);
    if (rc != 0) fprintf(stderr, "error: no verified result: %s\n", msg);
    else s_print_result(ops, res, msg, cli_get(&a, "--json") != NULL);
    json_decref(res);
    for (size_t i = 0; i < count; i++) free(blobs[i]);
    rpc_thread_done();
    app_ctx_free(&c);
    return rc == 0 ? 0 : 1;
}
