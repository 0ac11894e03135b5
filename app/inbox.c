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
#include "protocols/intake.h"
#include "protocols/result.h"

/* A roll key may send S_RATE_BURST requests at once, then S_RATE_PER_S per
 * second: a flood from one key is refused cheaply (before any signature check
 * or disk write) and the others stay served. */
#define S_RATE_BURST 8.0
#define S_RATE_PER_S 2.0
#define S_BATCH 64

/* Refusal codes on the wire (intake response status). */
enum { S_MALFORMED = 1, S_WRONG_SESSION = 2, S_BAD_SIG = 3, S_CLOSED = 4, S_NOT_READY = 5,
       S_REPLAY = 6, S_STORAGE = 7, S_RATE = 8 };

/* One client request and the reply owed to it. */
typedef struct s_pending {
    rpc_req req;
    int status;              /* 0: body is a receipt or statement; else a reason */
    uint8_t body[RESULT_MAX_OUTPUT + 512];
    size_t len;
    int stored;              /* a record was appended: needs the sync */
    int silent;              /* no reply (no roll identity) */
} s_pending;

struct app_inbox {
    const app_ctx *c;
    int me;
    store *st;
    rpc_server *rpc;
    const uint8_t *stmt;
    size_t stmt_len;
    double *tokens;          /* per roll index: request tokens left */
    double *refill;          /* per roll index: time of the last refill */
    fe *shares;              /* one request's decoded shares (secret) */
    s_pending *pend;         /* S_BATCH */
    int broken;
};

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int app_inbox_open(app_inbox **out, const app_ctx *c, int me, store *st)
{
    const defn *d = c->d;
    size_t R = defn_roll_size(d);
    app_inbox *ib = xcalloc(1, sizeof *ib);
    *out = ib;
    ib->c = c;
    ib->me = me;
    ib->st = st;
    ib->tokens = xmalloc(sizeof(double) * (R ? R : 1));
    ib->refill = xmalloc(sizeof(double) * (R ? R : 1));
    ib->shares = xmalloc(sizeof(fe) * (c->m ? c->m : 1));
    ib->pend = xmalloc(sizeof(s_pending) * S_BATCH);
    uint8_t (*pks)[32] = xmalloc(32 * (R ? R : 1));
    for (size_t i = 0; i < R; i++) {
        ib->tokens[i] = S_RATE_BURST;
        ib->refill[i] = s_now();
        memcpy(pks[i], defn_roll_at(d, i)->curve_pk, 32);
    }
    char err[512];
    int64_t max = (int64_t)INTAKE_FIXED + (int64_t)c->m * (int64_t)defn_field(d)->bytes;
    int rc = rpc_server_open(&ib->rpc, defn_server_at(d, me)->client, keys_curve_sk(c->k),
                             (const uint8_t(*)[32])pks, R, max, err, sizeof err);
    free(pks);
    if (rc != 0) fprintf(stderr, "error: %s\n", err);
    return rc;
}

void app_inbox_free(app_inbox **pp)
{
    app_inbox *ib = *pp;
    if (!ib) return;
    rpc_server_free(&ib->rpc);
    free(ib->tokens);
    free(ib->refill);
    if (ib->shares) sodium_memzero(ib->shares, sizeof(fe) * (ib->c->m ? ib->c->m : 1));
    free(ib->shares);
    free(ib->pend);
    free(ib);
    *pp = NULL;
}

void app_inbox_set_statement(app_inbox *ib, const uint8_t *stmt, size_t len)
{
    ib->stmt = stmt;
    ib->stmt_len = len;
}

int app_inbox_broken(const app_inbox *ib)
{
    return ib->broken;
}

static int s_rate_ok(app_inbox *ib, long roll)
{
    double now = s_now(), *tok = &ib->tokens[roll];
    *tok += (now - ib->refill[roll]) * S_RATE_PER_S;
    if (*tok > S_RATE_BURST) *tok = S_RATE_BURST;
    ib->refill[roll] = now;
    if (*tok < 1.0) return 0;
    *tok -= 1.0;
    return 1;
}

static void s_fail(s_pending *p, int status, long roll, const char *msg)
{
    log_msg(LOG_WARN, "refused request from roll %ld: %s", roll, msg);
    p->status = status;
    p->len = strlen(msg);
    memcpy(p->body, msg, p->len);
}

/* Store a checked submission and write the signed receipt into p. */
static void s_store(app_inbox *ib, const intake_req *r, long roll, s_pending *p)
{
    const field *F = defn_field(ib->c->d);
    if (field_decode(F, ib->shares, r->m, r->shares, (size_t)r->m * F->bytes) != 0)
        return s_fail(p, S_MALFORMED, roll, "share out of range");
    store_rec rec = { .roll = (uint32_t)roll, .seq = r->seq, .m = r->m, .shares = ib->shares };
    memcpy(rec.sub_id, r->sub_id, 16);
    int rc = store_append_nosync(ib->st, &rec);
    if (rc != 0)
        return s_fail(p, rc == ERR_REFUSED ? S_REPLAY : S_STORAGE, roll,
                      rc == ERR_REFUSED
                          ? "replayed or stale submission (sequence not above the stored one)"
                          : store_errmsg(ib->st));
    result_receipt rc_ = { .server = ib->me, .roll = (uint32_t)roll, .seq = r->seq };
    memcpy(rc_.sid, r->sid, 32);
    memcpy(rc_.sub_id, r->sub_id, 16);
    result_share_hash(rc_.share_hash, r->shares, (size_t)r->m * F->bytes);
    result_receipt_sign(&rc_, keys_sign_sk(ib->c->k));
    result_receipt_encode(p->body, &rc_);
    p->status = 0;
    p->len = RESULT_RECEIPT_LEN;
    p->stored = 1;
    log_msg(LOG_INFO, "stored input of roll %ld (seq %llu); %zu of %zu in", roll,
            (unsigned long long)r->seq, store_count(ib->st), defn_roll_size(ib->c->d));
}

/* Validate one request; fills p. Never fails the server. */
static void s_process(app_inbox *ib, s_pending *p, int intake_open)
{
    const defn *d = ib->c->d;
    long roll = p->req.peer;
    if (roll < 0 || (size_t)roll >= defn_roll_size(d)) {
        log_msg(LOG_WARN, "dropped a client message without a roll identity");
        p->silent = 1;
        return;
    }
    if (!s_rate_ok(ib, roll))
        return s_fail(p, S_RATE, roll, "too many requests from this key; slow down");
    intake_req r;
    if (!p->req.data || intake_req_decode(&r, defn_field(d), p->req.data, p->req.len) != 0)
        return s_fail(p, S_MALFORMED, roll, "malformed request");
    if (sodium_memcmp(r.sid, defn_sid(d), 32) != 0)
        return s_fail(p, S_WRONG_SESSION, roll,
                      "wrong session id (a submission for another auction or election)");
    if (r.server != ib->me)
        return s_fail(p, S_WRONG_SESSION, roll, "request addressed to another server");
    if (intake_req_verify(&r, p->req.data, defn_roll_at(d, (size_t)roll)->sign_pk) != 0)
        return s_fail(p, S_BAD_SIG, roll, "bad signature");
    if (r.kind == INTAKE_FETCH) {
        if (!ib->stmt) return s_fail(p, S_NOT_READY, roll, "result not ready");
        p->status = 0;
        p->len = ib->stmt_len;
        memcpy(p->body, ib->stmt, ib->stmt_len);
        return;
    }
    if (!intake_open || (int64_t)time(NULL) >= defn_deadline(d))
        return s_fail(p, S_CLOSED, roll,
                      "intake closed (deadline passed or every roll member has submitted)");
    if (r.m != ib->c->m) {
        char why[96];
        snprintf(why, sizeof why, "expected %u elements, got %u", ib->c->m, r.m);
        return s_fail(p, S_MALFORMED, roll, why);
    }
    s_store(ib, &r, roll, p);
}

static void s_reply_all(app_inbox *ib, int np)
{
    for (int i = 0; i < np; i++) {
        s_pending *p = &ib->pend[i];
        uint8_t *out;
        size_t olen;
        if (p->silent || intake_resp_encode(&out, &olen, p->status, p->body, p->len) != 0) continue;
        (void)rpc_server_reply(ib->rpc, &p->req, out, olen);
        free(out);
    }
}

void app_inbox_serve(app_inbox *ib, int wait_ms, int intake_open)
{
    if (!rpc_server_wait(ib->rpc, wait_ms)) return;
    int np = 0, stored = 0;
    while (np < S_BATCH) {
        s_pending *p = &ib->pend[np];
        memset(p, 0, offsetof(s_pending, body));
        if (!rpc_server_recv(ib->rpc, &p->req)) break;
        s_process(ib, p, intake_open);
        stored += p->stored;
        np++;
    }
    if (stored && store_sync(ib->st) != 0) {
        log_msg(LOG_ERROR, "storage failure, stopping: %s", store_errmsg(ib->st));
        ib->broken = 1;
        for (int i = 0; i < np; i++)
            if (ib->pend[i].stored)
                s_fail(&ib->pend[i], S_STORAGE, -1, "server storage failure; submit again");
    }
    if (stored) app_failpoint("before-receipt");   /* durable, not yet acknowledged */
    s_reply_all(ib, np);
}
