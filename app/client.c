/* client: submission and statement fetch (see client.h). */
#include "app/client.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sodium.h>

#include "app/cli.h"
#include "app/verify.h"
#include "common/fsutil.h"
#include "common/rpc.h"
#include "common/secmem.h"
#include "common/xalloc.h"
#include "protocols/intake.h"
#include "protocols/result.h"
#include "protocols/shamir.h"

uint64_t app_client_seq(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

/* One request per server (shares + i*m for server i+1, or none for a fetch)
 * and their replies. */
static int s_rpc(const defn *d, const keys *k, int kind, uint64_t seq, const uint8_t sub_id[16],
                 const fe *shares, uint32_t m, uint8_t **resp, size_t *rlen,
                 char (*errs)[RPC_ERR_LEN])
{
    int n = defn_n(d);
    rpc_peer peers[MPC_MAX_SERVERS];
    uint8_t *req[MPC_MAX_SERVERS] = { 0 };
    size_t len[MPC_MAX_SERVERS] = { 0 };
    for (int i = 0; i < n; i++) {
        const defn_server *sv = defn_server_at(d, i + 1);
        peers[i] = (rpc_peer){ .endpoint = sv->client, .curve_pk = sv->curve_pk };
        if (intake_req_encode(&req[i], &len[i], defn_field(d), kind, i + 1, defn_sid(d), seq,
                              sub_id, shares ? shares + (size_t)i * m : NULL, shares ? m : 0,
                              keys_sign_sk(k)) != 0) {
            for (int j = 0; j < i; j++) secmem_free(req[j], len[j]);
            return ERR_NOMEM;
        }
    }
    int rc = rpc_call(n, peers, keys_curve_sk(k), (const uint8_t *const *)req, len, resp, rlen,
                      errs, defn_timeout_ms(d));
    for (int i = 0; i < n; i++) secmem_free(req[i], len[i]);
    return rc;
}

/* Check server i's reply to a submission; prints the failure. */
static int s_check_receipt(const defn *d, int i, const uint8_t *resp, size_t rlen, uint64_t seq,
                           long roll, const uint8_t sub_id[16], const uint8_t *enc, size_t enc_len,
                           FILE *report)
{
    int status;
    const uint8_t *body;
    size_t bl;
    result_receipt r;
    if (intake_resp_decode(&status, &body, &bl, resp, rlen) != 0) {
        fprintf(report, "error: server %d sent a malformed response\n", i + 1);
        return ERR_PROTO;
    }
    if (status != 0) {
        /* a server's reason is untrusted text: printable ASCII only, bounded */
        char why[256];
        size_t wl = bl < sizeof why - 1 ? bl : sizeof why - 1;
        for (size_t q = 0; q < wl; q++)
            why[q] = body[q] >= 0x20 && body[q] < 0x7f ? (char)body[q] : '?';
        why[wl] = 0;
        fprintf(report, "error: server %d refused: %s\n", i + 1, why);
        return ERR_REFUSED;
    }
    if (result_receipt_decode(&r, body, bl) != 0 || r.server != i + 1 ||
        result_receipt_verify(&r, defn_server_at(d, i + 1)->sign_pk) != 0 ||
        sodium_memcmp(r.sid, defn_sid(d), 32) != 0 || r.seq != seq || (long)r.roll != roll ||
        sodium_memcmp(r.sub_id, sub_id, 16) != 0) {
        fprintf(report, "error: server %d sent an invalid receipt\n", i + 1);
        return ERR_CRYPTO;
    }
    uint8_t h[32];
    result_share_hash(h, enc, enc_len);
    if (sodium_memcmp(h, r.share_hash, 32) != 0) {
        fprintf(report, "error: server %d's receipt is for other shares\n", i + 1);
        return ERR_CRYPTO;
    }
    return 0;
}

int app_client_submit(const defn *d, const keys *k, const fe *plain, uint32_t m, uint64_t seq,
                      FILE *report)
{
    int n = defn_n(d), t = defn_t(d), rc = 0;
    const field *F = defn_field(d);
    shamir *sh = shamir_new(F, n, t);
    if (!sh) return ERR_NOMEM;
    size_t sz = sizeof(fe) * (size_t)n * (m ? m : 1), enc_len = (size_t)m * F->bytes;
    fe *shares = xmalloc(sz);
    uint8_t *enc = xmalloc(enc_len ? enc_len : 1);
    shamir_share(sh, shares, plain, m, t);
    uint8_t sub_id[16];
    randombytes_buf(sub_id, sizeof sub_id);
    uint8_t *resp[MPC_MAX_SERVERS];
    size_t rlen[MPC_MAX_SERVERS];
    char errs[MPC_MAX_SERVERS][RPC_ERR_LEN];
    (void)s_rpc(d, k, INTAKE_SUBMIT, seq, sub_id, shares, m, resp, rlen, errs);
    long roll = defn_roll_find(d, keys_curve_pk(k));
    for (int i = 0; i < n; i++) {
        if (!resp[i]) {
            fprintf(report, "error: %s\n", errs[i]);
            rc = ERR_IO;
            continue;
        }
        field_encode(F, enc, shares + (size_t)i * m, m);
        int r = s_check_receipt(d, i, resp[i], rlen[i], seq, roll, sub_id, enc, enc_len, report);
        if (r != 0) rc = r;
        free(resp[i]);
    }
    secmem_free(enc, enc_len ? enc_len : 1);
    secmem_free(shares, sz);
    shamir_free(&sh);
    return rc;
}

int app_client_submit_text(const app_ctx *c, const keys *k, const char *text, int raw,
                           uint64_t seq, FILE *report)
{
    char err[512];
    size_t sz = sizeof(fe) * (c->m ? c->m : 1);
    fe *plain = xcalloc(1, sz);
    int rc = c->ops->input_encode(c->rules, c->d, text, raw, plain, err, sizeof err);
    if (rc != 0) fprintf(report, "error: invalid %s input: %s\n", c->ops->name, err);
    else rc = app_client_submit(c->d, k, plain, c->m, seq, report);
    secmem_free(plain, sz);
    return rc;
}

size_t app_client_fetch(const defn *d, const keys *k, uint8_t **blobs, size_t *lens)
{
    char errs[MPC_MAX_SERVERS][RPC_ERR_LEN];
    uint8_t *resp[MPC_MAX_SERVERS];
    size_t rl[MPC_MAX_SERVERS], count = 0;
    uint8_t sub[16] = { 0 };
    if (s_rpc(d, k, INTAKE_FETCH, 0, sub, NULL, 0, resp, rl, errs) == ERR_NOMEM) return 0;
    for (int i = 0; i < defn_n(d); i++) {
        int st;
        const uint8_t *body;
        size_t bl;
        if (!resp[i]) {
            fprintf(stderr, "warning: %s\n", errs[i]);
        } else if (intake_resp_decode(&st, &body, &bl, resp[i], rl[i]) != 0 || st != 0) {
            fprintf(stderr, "warning: server %d has no result to give\n", i + 1);
        } else {
            blobs[count] = xmalloc(bl);
            memcpy(blobs[count], body, bl);
            lens[count++] = bl;
        }
        free(resp[i]);
    }
    return count;
}

int app_client_main(const app_ops *ops, int argc, char **argv)
{
    static const char *const vf[] = { "--defn", "--keys", "--raw", NULL };
    cli_args a;
    const char *dp, *kp;
    if (cli_parse(&a, argc, argv, vf, NULL) || cli_need(&a, "--defn", &dp) ||
        cli_need(&a, "--keys", &kp))
        return 2;
    const char *raw = cli_get(&a, "--raw");
    if ((raw && a.npos != 0) || (!raw && a.npos != 1)) {
        fprintf(stderr, "usage: %s %s --defn FILE --keys KEYFILE (INPUT | --raw V)\n", ops->name,
                ops->verb);
        return 2;
    }
    app_ctx c;
    if (app_ctx_load(&c, ops, dp, kp) != 0) {
        app_ctx_free(&c);
        return 1;
    }
    if (defn_roll_find(c.d, keys_curve_pk(c.k)) < 0)
        fprintf(stderr, "warning: this key is not on the roll of %s; servers will refuse it\n", dp);
    int rc = app_client_submit_text(&c, c.k, raw ? raw : a.pos[0], raw != NULL, app_client_seq(),
                                    stderr);
    if (rc == 0) printf("submitted: %d signed receipts verified\n", defn_n(c.d));
    rpc_thread_done();
    app_ctx_free(&c);
    return rc == 0 ? 0 : 1;
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
    const char *kp = cli_get(&a, "--keys");
    if (!kp && a.npos == 0) {
        fprintf(stderr, "usage: %s result --defn FILE (--keys KEYFILE | STATEMENT...)\n", ops->name);
        return 2;
    }
    app_ctx c;
    if (app_ctx_load(&c, ops, dp, kp) != 0) {
        app_ctx_free(&c);
        return 1;
    }
    uint8_t *blobs[APP_VERIFY_MAX] = { 0 };
    size_t lens[APP_VERIFY_MAX] = { 0 }, count = 0;
    if (kp) count = app_client_fetch(c.d, c.k, blobs, lens);
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
