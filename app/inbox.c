/* inbox: the client endpoint of a server (see inbox.h). */
#include "app/inbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "common/log.h"
#include "common/rpc.h"
#include "common/xalloc.h"
#include "protocols/envelope.h"
#include "protocols/intake.h"
#include "protocols/result.h"

/* A roll key may send S_RATE_BURST envelopes at once, then S_RATE_PER_S per
 * second. Charged after the signature check, so a flood of forged envelopes
 * naming a voter cannot use up that voter's allowance. */
#define S_RATE_BURST 8.0
#define S_RATE_PER_S 2.0
#define S_BATCH 256
#define S_WHY 160

/* One client request and the reply owed to it. */
typedef struct s_pending {
    rpc_req req;
    app_http_req hreq;       /* or an HTTP one (hreq.conn set) */
    uint64_t tag;
    int status;              /* INTAKE_ST_* */
    int stored;              /* put in this batch: its receipt waits for the commit */
    const uint8_t *blob;     /* a published blob to send instead of body */
    size_t blob_len;
    result_receipt rc;       /* its receipt, signed with the batch */
    uint8_t body[RESULT_RECEIPT_MAX > S_WHY ? RESULT_RECEIPT_MAX : S_WHY];
    size_t len;
} s_pending;

struct app_inbox {
    const app_ctx *c;
    int me;
    store *st;
    rpc_server *rpc;
    app_http *http;          /* NULL without --http */
    const uint8_t *stmt, *set;
    size_t stmt_len, set_len;
    double *tokens;          /* per roll index: envelopes left */
    double *refill;          /* per roll index: time of the last refill */
    fe *shares;              /* one envelope's opened shares (secret) */
    uint8_t *scratch;        /* their bytes (secret) */
    uint8_t *out;            /* one framed reply */
    size_t out_cap;
    s_pending *pend;         /* S_BATCH */
    uint8_t (*tree)[32];     /* the batch's receipt tree */
    int in_batch, broken, intake_open;
};

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int app_inbox_open(app_inbox **out, const app_ctx *c, int me, store *st,
                   const app_http_cfg *http)
{
    const defn *d = c->d;
    size_t R = defn_roll_size(d), w = defn_field(d)->bytes, m = c->m ? c->m : 1;
    app_inbox *ib = xcalloc(1, sizeof *ib);
    *out = ib;
    ib->c = c;
    ib->me = me;
    ib->st = st;
    ib->tokens = xmalloc(sizeof(double) * (R ? R : 1));
    ib->refill = xmalloc(sizeof(double) * (R ? R : 1));
    ib->shares = xmalloc(sizeof(fe) * m);
    ib->scratch = xmalloc(m * w);
    ib->pend = xmalloc(sizeof(s_pending) * S_BATCH);
    ib->tree = xmalloc(32 * result_merkle_size(S_BATCH));
    ib->out_cap = INTAKE_HDR + RESULT_RECEIPT_MAX + S_WHY;
    ib->out = xmalloc(ib->out_cap);
    for (size_t i = 0; i < R; i++) {
        ib->tokens[i] = S_RATE_BURST;
        ib->refill[i] = s_now();
    }
    char err[512];
    int64_t max = (int64_t)INTAKE_HDR + (int64_t)envelope_len(defn_n(d), c->m, w);
    int rc = rpc_server_open(&ib->rpc, defn_server_at(d, me)->client, keys_curve_sk(c->k), max,
                             err, sizeof err);
    if (rc == 0 && http && http->addr)   /* an envelope plus slack for a sloppy client */
        rc = app_http_open(&ib->http, http, d, me, (size_t)max - INTAKE_HDR + 64, err, sizeof err);
    else if (rc == 0 && defn_server_at(d, me)->http)
        log_msg(LOG_WARN, "the definition gives this server the web origin %s but no --http is "
                          "given: the page cannot submit here", defn_server_at(d, me)->http);
    if (rc != 0) fprintf(stderr, "error: %s\n", err);
    return rc;
}

void app_inbox_free(app_inbox **pp)
{
    app_inbox *ib = *pp;
    if (!ib) return;
    if (ib->in_batch) store_rollback(ib->st);
    app_http_free(&ib->http);
    rpc_server_free(&ib->rpc);
    free(ib->tokens);
    free(ib->refill);
    size_t m = ib->c->m ? ib->c->m : 1;
    sodium_memzero(ib->shares, sizeof(fe) * m);
    sodium_memzero(ib->scratch, m * defn_field(ib->c->d)->bytes);
    free(ib->shares);
    free(ib->scratch);
    free(ib->pend);
    free(ib->tree);
    free(ib->out);
    free(ib);
    *pp = NULL;
}

void app_inbox_publish(app_inbox *ib, const uint8_t *stmt, size_t stmt_len, const uint8_t *set,
                       size_t set_len)
{
    ib->stmt = stmt;
    ib->stmt_len = stmt_len;
    ib->set = set;
    ib->set_len = set_len;
    if (ib->http) app_http_publish(ib->http, stmt, stmt_len, set, set_len);
}

int app_inbox_broken(const app_inbox *ib)
{
    return ib->broken;
}

static int s_rate_ok(app_inbox *ib, uint32_t roll)
{
    double now = s_now(), *tok = &ib->tokens[roll];
    *tok += (now - ib->refill[roll]) * S_RATE_PER_S;
    if (*tok > S_RATE_BURST) *tok = S_RATE_BURST;
    ib->refill[roll] = now;
    if (*tok < 1.0) return 0;
    *tok -= 1.0;
    return 1;
}

static int s_why(char *why, size_t whylen, int status, const char *msg)
{
    snprintf(why, whylen, "%s", msg);
    return status;
}

int app_envelope_check(const app_ctx *c, int me, const uint8_t *env, size_t len, fe *shares,
                       uint8_t *scratch, char *why, size_t whylen)
{
    const defn *d = c->d;
    envelope e;
    if (envelope_parse(&e, env, len) != 0)
        return s_why(why, whylen, INTAKE_ST_MALFORMED, "malformed envelope (truncated, oversized "
                                                       "or not an envelope of this version)");
    if (sodium_memcmp(e.sid, defn_sid(d), 32) != 0)
        return s_why(why, whylen, INTAKE_ST_WRONG_SESSION,
                     "wrong session id (an envelope for another auction or election)");
    if (e.n != defn_n(d) || (size_t)e.width != defn_field(d)->bytes || e.m != c->m) {
        snprintf(why, whylen, "envelope shape does not match the definition (n %d, width %d, "
                              "m %u; expected %d, %zu, %u)", e.n, e.width, e.m, defn_n(d),
                 defn_field(d)->bytes, c->m);
        return INTAKE_ST_MALFORMED;
    }
    if (e.roll >= defn_roll_size(d))
        return s_why(why, whylen, INTAKE_ST_NOT_ON_ROLL, "roll index not on the roll");
    if (envelope_verify(&e, defn_roll_at(d, e.roll)->sign_pk) != 0)
        return s_why(why, whylen, INTAKE_ST_BAD_SIG,
                     "bad signature (not signed by the roll member's key)");
    int rc = envelope_open(&e, defn_field(d), me, keys_curve_pk(c->k), keys_curve_sk(c->k), shares,
                           scratch);
    if (rc != 0) {
        snprintf(why, whylen, "server %d cannot open its share (%s)", me,
                 rc == ERR_RANGE ? "a share is out of the field" : "not sealed to its key");
        return INTAKE_ST_UNOPENABLE;
    }
    return 0;
}

static void s_refuse(app_inbox *ib, s_pending *p, int status, const char *why)
{
    (void)ib;
    log_msg(LOG_WARN, "refused a request: %s", why);
    p->status = status;
    p->len = strlen(why) < sizeof p->body ? strlen(why) : sizeof p->body;
    memcpy(p->body, why, p->len);
}

/* A submission: checks, then into the open batch; its receipt is signed with
 * the batch's after the commit. */
static void s_submit(app_inbox *ib, s_pending *p, const uint8_t *env, size_t len)
{
    char why[S_WHY];
    if (!ib->intake_open || (int64_t)time(NULL) >= defn_deadline(ib->c->d))
        return s_refuse(ib, p, INTAKE_ST_CLOSED,
                        "intake closed (deadline passed or every roll member has submitted)");
    int st = app_envelope_check(ib->c, ib->me, env, len, ib->shares, ib->scratch, why, sizeof why);
    if (st != 0) return s_refuse(ib, p, st, why);
    envelope e;
    if (envelope_parse(&e, env, len) != 0 || !s_rate_ok(ib, e.roll))
        return s_refuse(ib, p, INTAKE_ST_RATE, "too many envelopes from this key; slow down");
    store_env se = { .roll = e.roll, .seq = e.seq, .env = env, .env_len = len };
    envelope_hash(se.hash, env, len);
    if (!ib->in_batch) {
        if (store_begin(ib->st) != 0)
            return s_refuse(ib, p, INTAKE_ST_STORAGE, "server storage failure; submit again");
        ib->in_batch = 1;
    }
    int rc = store_put(ib->st, &se);
    if (rc < 0)
        return s_refuse(ib, p, rc == ERR_REFUSED ? INTAKE_ST_REPLAY : INTAKE_ST_STORAGE,
                        rc == ERR_REFUSED ? store_errmsg(ib->st) : "server storage failure");
    p->rc = (result_receipt){ .server = ib->me, .roll = e.roll, .seq = e.seq };
    memcpy(p->rc.sid, e.sid, 32);
    memcpy(p->rc.env_hash, se.hash, 32);
    p->status = 0;
    p->stored = 1;
}

/* One signature for the whole committed batch: a hash tree over its
 * receipts, each sent with its path to the signed root. */
static void s_sign_batch(app_inbox *ib, int np)
{
    size_t n = 0;
    for (int i = 0; i < np; i++) {
        const result_receipt *r = &ib->pend[i].rc;
        if (ib->pend[i].stored) result_receipt_leaf(ib->tree[n++], r->roll, r->seq, r->env_hash);
    }
    if (!n) return;
    result_merkle_build(ib->tree, n);
    uint8_t sig[RESULT_SIG_LEN];
    result_merkle_sign(sig, ib->me, defn_sid(ib->c->d), (const uint8_t(*)[32])ib->tree, n,
                       keys_sign_sk(ib->c->k));
    size_t k = 0;
    for (int i = 0; i < np; i++) {
        s_pending *p = &ib->pend[i];
        if (!p->stored) continue;
        result_merkle_path(&p->rc, (const uint8_t(*)[32])ib->tree, n, k++);
        memcpy(p->rc.sig, sig, sizeof sig);
        p->len = result_receipt_encode(p->body, &p->rc);
    }
}

/* Public state, for `status` and the start-up probe of the other servers
 * (its clock gives the offset). */
static void s_status(app_inbox *ib, s_pending *p)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char sid[65];
    sodium_bin2hex(sid, sizeof sid, defn_sid(ib->c->d), 32);
    int n = snprintf((char *)p->body, sizeof p->body,
                     "{\"server\":%d,\"session_id\":\"%s\",\"intake\":\"%s\",\"accepted\":%zu,"
                     "\"result\":%s,\"time\":%.3f}",
                     ib->me, sid, ib->intake_open ? "open" : "closed", store_count(ib->st),
                     ib->stmt ? "true" : "false", (double)ts.tv_sec + ts.tv_nsec / 1e9);
    p->len = n > 0 && (size_t)n < sizeof p->body ? (size_t)n : 0;
    p->status = 0;
}

static void s_process(app_inbox *ib, s_pending *p)
{
    intake_msg m;
    if (!p->req.data || intake_req_decode(&m, p->req.data, p->req.len) != 0)
        return s_refuse(ib, p, INTAKE_ST_MALFORMED, "malformed request");
    p->tag = m.tag;
    if (m.kind == INTAKE_SUBMIT) return s_submit(ib, p, m.body, m.body_len);
    if (m.body_len) return s_refuse(ib, p, INTAKE_ST_MALFORMED, "unexpected request body");
    if (m.kind == INTAKE_STATUS) return s_status(ib, p);
    if (!ib->stmt) return s_refuse(ib, p, INTAKE_ST_NOT_READY, "result not ready");
    p->status = 0;
    p->blob = m.kind == INTAKE_RESULT ? ib->stmt : ib->set;
    p->blob_len = m.kind == INTAKE_RESULT ? ib->stmt_len : ib->set_len;
}

/* An HTTP request: the same submission and status paths. */
static void s_process_http(app_inbox *ib, s_pending *p)
{
    if (p->hreq.kind == INTAKE_SUBMIT) return s_submit(ib, p, p->hreq.body, p->hreq.len);
    s_status(ib, p);
}

static void s_reply(app_inbox *ib, const s_pending *p)
{
    const uint8_t *body = p->blob ? p->blob : p->body;
    size_t len = p->blob ? p->blob_len : p->len;
    if (p->hreq.conn) return app_http_reply(ib->http, &p->hreq, p->status, body, len);
    if (INTAKE_HDR + len > ib->out_cap) {   /* grows to the published blobs once */
        ib->out_cap = INTAKE_HDR + len;
        ib->out = xrealloc(ib->out, ib->out_cap);
    }
    if (intake_resp_encode(ib->out, p->status, p->tag, body, len) == 0)
        (void)rpc_server_reply(ib->rpc, &p->req, ib->out, INTAKE_HDR + len);
}

void app_inbox_serve(app_inbox *ib, int wait_ms, int intake_open)
{
    int w = ib->http ? app_http_wait_ms(ib->http, wait_ms) : wait_ms;
    int ready = rpc_server_wait_fd(ib->rpc, w, ib->http ? app_http_fd(ib->http) : -1);
    if (ib->http) app_http_run(ib->http);   /* timeouts too: run on every wake */
    if (!(ready & 1) && !(ib->http && app_http_wait_ms(ib->http, 1) == 0)) return;
    ib->intake_open = intake_open && !ib->broken;
    int np = 0, stored = 0;
    while (np < S_BATCH) {   /* one batch of both endpoints' requests */
        s_pending *p = &ib->pend[np];
        memset(p, 0, offsetof(s_pending, body));
        if (ib->http && app_http_next(ib->http, &p->hreq)) s_process_http(ib, p);
        else if (rpc_server_recv(ib->rpc, &p->req)) s_process(ib, p);
        else break;
        stored += p->stored;
        np++;
    }
    if (ib->in_batch) {
        ib->in_batch = 0;
        if (store_commit(ib->st) != 0) {
            log_msg(LOG_ERROR, "storage failure, stopping: %s", store_errmsg(ib->st));
            ib->broken = 1;
            for (int i = 0; i < np; i++)
                if (ib->pend[i].stored)
                    s_refuse(ib, &ib->pend[i], INTAKE_ST_STORAGE,
                             "server storage failure; submit again");
        }
    }
    if (stored && !ib->broken) s_sign_batch(ib, np);
    if (stored) {
        app_failpoint("before-receipt");   /* durable, not yet acknowledged */
        log_msg(LOG_INFO, "stored %d envelope(s); %zu of %zu roll members in", stored,
                store_count(ib->st), defn_roll_size(ib->c->d));
    }
    for (int i = 0; i < np; i++) s_reply(ib, &ib->pend[i]);
    if (ib->http) app_http_run(ib->http);   /* send the answers of resumed connections */
}
