/* server: the stages of a compute server (see server.h). */
#include "app/server.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "app/cli.h"
#include "app/inbox.h"
#include "app/record.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/net.h"
#include "common/ports.h"
#include "common/rpc.h"
#include "common/store.h"
#include "common/xalloc.h"
#include "protocols/agree.h"
#include "protocols/check.h"
#include "protocols/envelope.h"
#include "protocols/intake.h"
#include "protocols/result.h"

typedef struct s_server {
    app_ctx c;
    int me;
    int mesh_fd;          /* the mesh endpoint, held from start until the mesh opens */
    const char *data_dir;
    store *st;
    app_inbox *inbox;
    app_http_cfg http;    /* --http, --tls-cert, --tls-key, --web (docs/http.md) */
    net *nw;
    mpc *M;
    agree_entry *acc;     /* accepted envelopes, by roll */
    uint16_t *holders;    /* nacc: the servers that listed each */
    uint8_t **got;        /* nacc: envelopes received in reconciliation (else NULL) */
    size_t *got_len;
    size_t nacc, ngot;
    fe *rows;             /* nacc x m shares of the accepted inputs (secret) */
    uint8_t *bad;         /* nacc: S_INCONSISTENT, S_INVALID or 0 */
    size_t ninconsistent, ninvalid;
    json_t *output;
    uint8_t *stmt;        /* encoded signed statement */
    size_t stmt_len;
    uint8_t *set;         /* the accepted set published with it (app/record.h) */
    size_t set_len;
    double t0, secs;      /* agreement start; seconds to the signed result */
} s_server;

enum { S_INCONSISTENT = 1, S_INVALID = 2 };

static volatile sig_atomic_t s_stop;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int s_abort(s_server *S, const char *stage)
{
    fprintf(stderr, "error: aborted, no output: %s%s%s\n", stage, S->M ? ": " : "",
            S->M ? mpc_errmsg(S->M) : "");
    return 1;
}

/* A finished session: the statement and accepted set written by an earlier
 * run are served again (a restart must not compute a second result). */
static int s_published(s_server *S)
{
    char p1[4096], p2[4096];
    snprintf(p1, sizeof p1, "%s/result.stmt", S->data_dir);
    snprintf(p2, sizeof p2, "%s/accepted.json", S->data_dir);
    if (access(p1, F_OK) != 0) return 0;
    if (fs_read_file(p1, &S->stmt, &S->stmt_len, RESULT_MAX_OUTPUT + 4096) != 0 ||
        fs_read_file(p2, &S->set, &S->set_len, APP_RECORD_MAX) != 0) {
        fprintf(stderr, "error: %s exists but the published result cannot be read\n", p1);
        return -1;
    }
    log_msg(LOG_INFO, "this session's result is already signed: serving it");
    return 1;
}

#define S_CLOCK_BOUND_S 30   /* docs/definition-file.md, "Endpoints, ports and clocks" */

/* Fail fast, before any ballot: a deadline that makes no sense, endpoints
 * this server cannot hold (the mesh one is kept bound until the mesh opens). */
static int s_preflight(s_server *S)
{
    const defn *d = S->c.d;
    int64_t now = (int64_t)time(NULL), dl = defn_deadline(d);
    struct stat st;
    int fresh = stat(S->data_dir, &st) != 0;
    if (fresh && dl <= now) {
        fprintf(stderr, "error: the deadline of this definition has passed: a server started now "
                        "would close at once with no input; write a new definition\n");
        return 1;
    }
    if (dl > now + MPC_DEADLINE_MAX_AHEAD_S) {
        fprintf(stderr, "error: the deadline is more than %lld days ahead; refusing (a typo?)\n",
                (long long)(MPC_DEADLINE_MAX_AHEAD_S / 86400));
        return 1;
    }
    char err[512];
    const defn_server *me = defn_server_at(d, S->me);
    int cfd = ports_reserve(me->client, 1, err, sizeof err);
    ports_release(cfd);   /* the client endpoint is bound for good right after */
    if (cfd < 0 || (S->mesh_fd = ports_reserve(me->mesh, 0, err, sizeof err)) < 0) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    return 0;
}

/* Ask the others for their state: who is up, and how far their clocks are
 * from this one (a deadline means the same moment on every server only if
 * the clocks agree). Servers not up yet are fine. */
static int s_probe(s_server *S)
{
    const defn *d = S->c.d;
    int n = defn_n(d);
    rpc_peer peers[MPC_MAX_SERVERS];
    const uint8_t *reqs[MPC_MAX_SERVERS];
    size_t lens[MPC_MAX_SERVERS], rl[MPC_MAX_SERVERS];
    uint8_t req[INTAKE_HDR], *resp[MPC_MAX_SERVERS];
    char errs[MPC_MAX_SERVERS][RPC_ERR_LEN];
    if (intake_req_encode(req, INTAKE_STATUS, 0, NULL, 0) != 0) return 0;
    for (int i = 0; i < n; i++) {
        const defn_server *sv = defn_server_at(d, i + 1);
        peers[i] = (rpc_peer){ .endpoint = sv->client, .curve_pk = sv->curve_pk };
        reqs[i] = i + 1 == S->me ? NULL : req;
        lens[i] = sizeof req;
    }
    struct timespec t0;
    clock_gettime(CLOCK_REALTIME, &t0);
    (void)rpc_call(n, peers, reqs, lens, resp, rl, errs, 500);   /* clients wait meanwhile */
    rpc_thread_done();
    double ours = (double)t0.tv_sec + t0.tv_nsec / 1e9;
    int bad = 0;
    for (int i = 0; i < n; i++) {
        if (i + 1 == S->me) continue;
        intake_msg m;
        json_error_t je;
        json_t *j = resp[i] && intake_resp_decode(&m, resp[i], rl[i]) == 0 && m.kind == 0
                        ? json_loadb((const char *)m.body, m.body_len, 0, &je)
                        : NULL;
        json_t *tm = json_object_get(j, "time");
        if (!json_is_number(tm)) {
            log_msg(LOG_INFO, "server %d not reachable yet (it may start later)", i + 1);
        } else {
            double off = json_number_value(tm) - ours;
            log_msg(LOG_INFO, "server %d is up; clock offset %+.1f s", i + 1, off);
            if (fabs(off) > S_CLOCK_BOUND_S) {
                fprintf(stderr, "error: server %d's clock is %+.0f s from this one (bound %d s): "
                                "synchronise the clocks (NTP) before opening intake\n",
                        i + 1, off, S_CLOCK_BOUND_S);
                bad = 1;
            }
        }
        json_decref(j);
        free(resp[i]);
    }
    return bad;
}

/* The data directory is this session's: DATA/session holds its id, written
 * when the directory is first used and compared on every start. */
static int s_own_dir(s_server *S)
{
    char path[4096], sid[65];
    sodium_bin2hex(sid, sizeof sid, defn_sid(S->c.d), 32);
    snprintf(path, sizeof path, "%s/session", S->data_dir);
    uint8_t *have = NULL;
    size_t len = 0;
    if (fs_read_file(path, &have, &len, 128) == 0) {
        int same = len >= 64 && memcmp(have, sid, 64) == 0;
        if (!same)
            fprintf(stderr, "error: %s belongs to another session (%.64s), not this "
                            "definition's (%s): use another data directory\n",
                    S->data_dir, (const char *)have, sid);
        free(have);
        return same ? 0 : 1;
    }
    char line[66];
    snprintf(line, sizeof line, "%s\n", sid);
    if (fs_write_atomic(path, line, 65, 0600) != 0) {
        fprintf(stderr, "error: cannot write %s: %s\n", path, strerror(errno));
        return 1;
    }
    return 0;
}

/* open: keys are a server of the definition; data directory and store. */
static int s_open(s_server *S, const char *kp, const char *dp)
{
    const defn *d = S->c.d;
    S->me = defn_server_find(d, keys_curve_pk(S->c.k));
    if (S->me < 1 || sodium_memcmp(defn_server_at(d, S->me)->sign_pk, keys_sign_pk(S->c.k), 32) != 0) {
        fprintf(stderr, "error: %s: these keys are not a server of %s\n", kp, dp);
        return 1;
    }
    snprintf(log_party, sizeof log_party, "S%d", S->me);
    if (defn_t(d) == 0)
        log_msg(LOG_WARN, "t = 0 in %s: no privacy, this server sees every input in clear", dp);
    if (s_preflight(S) != 0) return 1;
    if (mkdir(S->data_dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "error: cannot create data directory %s: %s\n", S->data_dir, strerror(errno));
        return 1;
    }
    char path[4096], err[512];
    if (s_own_dir(S) != 0) return 1;
    snprintf(path, sizeof path, "%s/inputs.db", S->data_dir);
    if (store_open(&S->st, path, defn_sid(d), (uint32_t)defn_roll_size(d), err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    if (store_count(S->st))
        log_msg(LOG_INFO, "reloaded %zu stored envelope(s) from %s", store_count(S->st), path);
    S->http.defn_path = dp;
    return app_inbox_open(&S->inbox, &S->c, S->me, S->st, S->http.addr ? &S->http : NULL) != 0 ||
           s_probe(S);
}

static int s_intake_closed(s_server *S)
{
    return s_stop || app_inbox_broken(S->inbox) || (int64_t)time(NULL) >= defn_deadline(S->c.d) ||
           (defn_close(S->c.d) == DEFN_CLOSE_ALL_VOTED &&
            store_count(S->st) == defn_roll_size(S->c.d));
}

/* intake: until every roll member has submitted or the deadline. */
static int s_intake(s_server *S)
{
    if (defn_close(S->c.d) == DEFN_CLOSE_ALL_VOTED)
        log_msg(LOG_INFO, "intake open until all %zu roll members have submitted or the deadline",
                defn_roll_size(S->c.d));
    else
        log_msg(LOG_INFO, "intake open until the deadline (re-voting allowed until then)");
    while (!s_intake_closed(S)) app_inbox_serve(S->inbox, 200, 1);
    if (s_stop || app_inbox_broken(S->inbox)) {
        fprintf(stderr, "error: %s; no output\n", s_stop ? "interrupted" : "storage failure");
        return 1;
    }
    log_msg(LOG_INFO, "intake closed with %zu input(s)", store_count(S->st));
    return 0;
}

/* "2, 4" */
static void s_set_names(char *out, size_t len, unsigned set)
{
    size_t pos = 0;
    out[0] = 0;
    for (int j = 1; j <= MPC_MAX_SERVERS && pos < len; j++)
        if (set >> (j - 1) & 1u) pos += (size_t)snprintf(out + pos, len - pos, "%s%d", pos ? ", " : "", j);
}

/* mesh: the others may close later (at the deadline at most) or be
 * restarting; keep trying until the deadline plus one timeout, answering late
 * clients that intake is closed. */
static int s_mesh(s_server *S)
{
    const defn *d = S->c.d;
    int n = defn_n(d);
    const char *eps[MPC_MAX_SERVERS];
    uint8_t spk[MPC_MAX_SERVERS][32];
    for (int i = 0; i < n; i++) {
        eps[i] = defn_server_at(d, i + 1)->mesh;
        memcpy(spk[i], defn_server_at(d, i + 1)->curve_pk, 32);
    }
    /* n >= 2t+2: enough of them up at the close compute (the others are named) */
    int t = defn_t(d), quorum = net_quorum(n, t);
    net_zmq_cfg cfg = { .n = n, .me = S->me, .sid = defn_sid(d), .endpoints = eps,
                        .server_pk = (const uint8_t(*)[32])spk, .my_sk = keys_curve_sk(S->c.k),
                        .timeout_ms = defn_timeout_ms(d), .hello_timeout_ms = defn_timeout_ms(d),
                        .quorum = quorum };
    char err[512];
    ports_release(S->mesh_fd);   /* held since start: the mesh socket takes it now */
    S->mesh_fd = -1;
    for (;;) {
        int rc = net_zmq_open(&S->nw, &cfg, err, sizeof err);
        if (rc == 0) break;
        int64_t give_up = defn_deadline(d) + defn_timeout_ms(d) / 1000 + 1;
        if (rc != ERR_TIMEOUT || s_stop || (int64_t)time(NULL) > give_up) {
            fprintf(stderr, "error: aborted, no output: mesh: %s\n", err);
            if (rc == ERR_TIMEOUT && quorum == n)
                fprintf(stderr, "hint: with n = %d and t = %d every server is needed to compute; "
                                "restart the missing server with its data directory (no ballot "
                                "is lost) and then this one: the result is computed once all "
                                "are up\n", n, t);
            else if (rc == ERR_TIMEOUT)
                fprintf(stderr, "hint: with n = %d and t = %d any %d servers compute; restart "
                                "the missing ones with their data directories (no ballot is "
                                "lost) and then this one\n", n, t, quorum);
            else if (rc == ERR_PROTO && quorum < n)
                fprintf(stderr, "hint: the other servers may have computed without this one: "
                                "see `status` and `result`\n");
            return 1;
        }
        log_msg(LOG_INFO, "mesh: %s; waiting for the other servers to close their intake", err);
        app_inbox_serve(S->inbox, 0, 0);
    }
    S->M = mpc_create(defn_field(d), n, defn_t(d), defn_kappa(d), S->nw, err, sizeof err);
    if (!S->M) {
        fprintf(stderr, "error: aborted, no output: setup: %s\n", err);
        return 1;
    }
    mpc_set_security(S->M, defn_security(d) == DEFN_SEMI_HONEST ? MPC_SEMI_HONEST : MPC_MALICIOUS);
    unsigned live = net_live(S->nw);
    if (__builtin_popcount(live) < n) {
        char down[64];
        s_set_names(down, sizeof down, ((1u << n) - 1) & ~live);
        log_msg(LOG_WARN, "computing with %d of %d servers: server(s) %s down (named in the "
                          "result)", __builtin_popcount(live), n, down);
    } else {
        log_msg(LOG_INFO, "mesh of %d servers up", n);
    }
    return 0;
}

/* peers may still be in intake until the deadline: keep waiting until then */
static int s_keep_waiting(void *arg, int peer)
{
    s_server *S = arg;
    if (s_stop || (int64_t)time(NULL) >= defn_deadline(S->c.d)) return 0;
    log_msg(LOG_INFO, "waiting for server %d to close its intake", peer);
    return 1;
}

/* The bytes of accepted envelope i: stored here, or received from a peer. */
static const uint8_t *s_env(const s_server *S, size_t i, size_t *len)
{
    if (S->got[i]) {
        *len = S->got_len[i];
        return S->got[i];
    }
    const store_env *e = store_latest(S->st, S->acc[i].roll);
    if (!e || e->seq != S->acc[i].seq || memcmp(e->hash, S->acc[i].hash, 32) != 0) return NULL;
    *len = e->env_len;
    return e->env;
}

static const uint8_t *s_io_get(void *arg, const agree_entry *e, size_t *len)
{
    s_server *S = arg;
    return s_env(S, (size_t)(e - S->acc), len);
}

/* A peer's copy of an envelope this server lacks: it must be exactly the
 * listed one (hash) and signed by the voter (the lists are only hashes). */
static int s_io_put(void *arg, int from, const agree_entry *e, const uint8_t *env, size_t len)
{
    s_server *S = arg;
    const defn *d = S->c.d;
    uint8_t h[32];
    envelope v;
    envelope_hash(h, env, len);
    size_t i = (size_t)(e - S->acc);
    if (memcmp(h, e->hash, 32) != 0) return ERR_CRYPTO;
    if (S->got[i]) return 0;   /* another holder's copy, checked already: the same bytes */
    if (envelope_parse(&v, env, len) != 0 || v.roll != e->roll ||
        v.seq != e->seq || sodium_memcmp(v.sid, defn_sid(d), 32) != 0 ||
        envelope_verify(&v, defn_roll_at(d, e->roll)->sign_pk) != 0)
        return ERR_CRYPTO;
    S->got[i] = xmalloc(len);
    memcpy(S->got[i], env, len);
    S->got_len[i] = len;
    S->ngot++;
    log_msg(LOG_DEBUG, "received the envelope of roll %u from server %d", e->roll, from);
    return 0;
}

/* agree: the accepted set (every envelope any server holds, the latest per
 * voter), then reconciliation: each server receives what it missed. */
static int s_agree(s_server *S)
{
    const defn *d = S->c.d;
    size_t R = defn_roll_size(d), nmine = 0;
    agree_entry *mine = xcalloc(R ? R : 1, sizeof *mine);
    S->acc = xcalloc(R ? R : 1, sizeof *S->acc);
    S->holders = xcalloc(R ? R : 1, sizeof *S->holders);
    for (size_t i = 0; i < R; i++) {
        const store_env *e = store_latest(S->st, (uint32_t)i);
        if (!e) continue;
        mine[nmine] = (agree_entry){ .roll = (uint32_t)i, .seq = e->seq };
        memcpy(mine[nmine++].hash, e->hash, 32);
    }
    uint8_t pks[MPC_MAX_SERVERS][32];
    for (int i = 0; i < defn_n(d); i++) memcpy(pks[i], defn_server_at(d, i + 1)->sign_pk, 32);
    agree_keys K = { .sid = defn_sid(d), .sign_sk = keys_sign_sk(S->c.k),
                     .sign_pk = (const uint8_t(*)[32])pks };
    uint8_t set_hash[32];
    S->t0 = s_now();
    int rc = agree_inputs(S->M, &K, R, mine, nmine, S->acc, S->holders, &S->nacc, set_hash,
                          s_keep_waiting, S);
    free(mine);
    if (rc != 0) return s_abort(S, "input agreement");
    S->got = xcalloc(S->nacc ? S->nacc : 1, sizeof *S->got);
    S->got_len = xcalloc(S->nacc ? S->nacc : 1, sizeof *S->got_len);
    agree_io io = { .get = s_io_get, .put = s_io_put, .arg = S };
    if (agree_deliver(S->M, S->acc, S->holders, S->nacc, &io) != 0)
        return s_abort(S, "reconciliation");
    if (S->ngot)
        log_msg(LOG_INFO, "reconciled: received %zu envelope(s) that reached the other servers "
                          "but not this one", S->ngot);
    app_failpoint("after-agree");
    return 0;
}

/* checks: open this server's share of every accepted envelope, and the
 * degree check of every sharing. */
static int s_checks(s_server *S)
{
    size_t na = S->nacc, unopen = 0;
    uint32_t m = S->c.m;
    const field *F = defn_field(S->c.d);
    S->rows = xcalloc((na ? na : 1) * (m ? m : 1), sizeof(fe));
    S->bad = xcalloc(na ? na : 1, 1);
    uint8_t *scratch = xmalloc((size_t)(m ? m : 1) * F->bytes);
    for (size_t i = 0; i < na; i++) {
        size_t len;
        const uint8_t *env = s_env(S, i, &len);
        envelope e;
        if (!env || envelope_parse(&e, env, len) != 0 ||
            envelope_open(&e, F, S->me, keys_curve_pk(S->c.k), keys_curve_sk(S->c.k),
                          S->rows + i * m, scratch) != 0) {
            /* a zero share: the degree check then finds the sharing broken */
            memset(S->rows + i * m, 0, sizeof(fe) * m);
            unopen++;
        }
    }
    free(scratch);
    if (unopen)
        log_msg(LOG_WARN, "%zu accepted envelope(s) hold no share this server can open", unopen);
    if (defn_domain(S->c.d) == DEFN_DOMAIN_BINARY) {
        /* shares of bits over GF(2^4): a value above 15 is no share (zeroed:
         * the degree and bit checks judge the sharing); they run over
         * GF(2^64) in the application's computation (auction_bin.h) */
        for (size_t q = 0; q < na * m; q++)
            if (S->rows[q] > 15) S->rows[q] = 0;
        return 0;
    }
    if (check_degree(S->M, S->rows, na, m, S->bad) != 0) return s_abort(S, "degree check");
    size_t first = 0;
    for (size_t i = na; i-- > 0;)
        if (S->bad[i]) {
            S->bad[i] = S_INCONSISTENT;
            S->ninconsistent++;
            first = i;
        }
    if (S->ninconsistent && defn_security(S->c.d) == DEFN_MALICIOUS) {
        /* A failed check cannot tell a client's inconsistent shares from a server
         * that spoiled its share of the check, so excluding the input could
         * drop an honest voter on a cheating server's word: abort instead. */
        fprintf(stderr, "error: aborted, no output: the input of %s (and %zu more) is not a "
                        "consistent sharing, or a server spoiled the check; the servers cannot "
                        "tell which, so nothing is computed\n",
                defn_roll_at(S->c.d, S->acc[first].roll)->name, S->ninconsistent - 1);
        return 1;
    }
    if (S->ninconsistent)
        log_msg(LOG_WARN, "%zu input(s) are not consistent degree-%d sharings: excluded",
                S->ninconsistent, defn_t(S->c.d));
    return 0;
}

static int s_compute(s_server *S)
{
    size_t na = S->nacc;
    uint32_t *roll = xmalloc(sizeof(uint32_t) * (na ? na : 1));
    uint8_t *excl = xmalloc(na ? na : 1);
    for (size_t i = 0; i < na; i++) {
        roll[i] = S->acc[i].roll;
        excl[i] = S->bad[i] != 0;
    }
    char err[512] = "";
    int rc = S->c.ops->compute(S->c.rules, S->c.d, S->data_dir, S->M, S->rows, na, S->c.m, roll,
                               excl, &S->output, err, sizeof err);
    free(roll);
    for (size_t i = 0; i < na; i++)   /* newly excluded by the application: invalid (2: inconsistent) */
        if (excl[i] && !S->bad[i]) {
            S->bad[i] = excl[i] == 2 ? S_INCONSISTENT : S_INVALID;
            if (excl[i] == 2) S->ninconsistent++;
            else S->ninvalid++;
        }
    free(excl);
    if (rc == 0 && !json_is_object(S->output)) rc = mpc_fail(S->M, ERR_STATE, "no output object");
    if (rc != 0) {
        fprintf(stderr, "error: aborted, no output: %s\n", err[0] ? err : mpc_errmsg(S->M));
        return 1;
    }
    /* why inputs were left out, and under which adversary the result holds:
     * signed with it */
    json_object_set_new(S->output, "invalid", json_integer((json_int_t)S->ninvalid));
    json_object_set_new(S->output, "inconsistent", json_integer((json_int_t)S->ninconsistent));
    json_object_set_new(S->output, "undelivered", json_integer(0));
    json_object_set_new(S->output, "security",
                        json_string(defn_security_name(defn_security(S->c.d))));
    unsigned live = mpc_live(S->M), all = (1u << defn_n(S->c.d)) - 1;
    if (live != all) {   /* who did not take part: signed with the result */
        json_t *absent = json_array();
        for (int j = 1; j <= defn_n(S->c.d); j++)
            if (!(live >> (j - 1) & 1u)) json_array_append_new(absent, json_integer(j));
        json_object_set_new(S->output, "absent", absent);
    }
    return 0;
}

/* sign: the statement over the output and the hash of the counted envelopes,
 * which are published with it. */
static int s_sign(s_server *S)
{
    size_t na = S->nacc, nok = 0;
    result_input *ri = xmalloc(sizeof *ri * (na ? na : 1));
    for (size_t i = 0; i < na; i++) {
        if (S->bad[i]) continue;
        ri[nok] = (result_input){ .roll = S->acc[i].roll, .seq = S->acc[i].seq };
        memcpy(ri[nok++].env_hash, S->acc[i].hash, 32);
    }
    uint8_t ih[32];
    int rc = result_inputs_hash(ih, defn_sid(S->c.d), ri, nok);
    if (rc == 0) rc = app_record_set_encode(S->c.d, S->me, ri, nok, &S->set, &S->set_len);
    free(ri);
    char *text = app_json_text(S->output);
    result_stmt *st = rc || !text ? NULL
                                  : result_stmt_new(S->me, defn_sid(S->c.d), (const uint8_t *)text,
                                                    strlen(text), nok, na - nok, ih);
    free(text);
    if (!st) return s_abort(S, "the output does not fit in a statement");
    result_stmt_sign(st, keys_sign_sk(S->c.k));
    rc = result_stmt_encode(st, &S->stmt, &S->stmt_len);
    log_msg(LOG_INFO, "signed result (%zu counted, %zu invalid, %zu inconsistent)", nok,
            S->ninvalid, S->ninconsistent);
    result_stmt_free(&st);
    S->secs = s_now() - S->t0;
    return rc != 0;
}

/* Durable outputs: result.stmt, stats.json; the output on stdout. */
static int s_write(s_server *S)
{
    char path[4096];
    /* the set first: a result.stmt on disk always has its set beside it */
    snprintf(path, sizeof path, "%s/accepted.json", S->data_dir);
    if (fs_write_atomic(path, S->set, S->set_len, 0644) != 0) {
        fprintf(stderr, "error: cannot write %s: %s\n", path, strerror(errno));
        return 1;
    }
    snprintf(path, sizeof path, "%s/result.stmt", S->data_dir);
    if (fs_write_atomic(path, S->stmt, S->stmt_len, 0644) != 0) {
        fprintf(stderr, "error: cannot write %s: %s\n", path, strerror(errno));
        return 1;
    }
    uint64_t rounds = 0, bytes = 0;
    mpc_stats(S->M, &rounds, NULL, &bytes);
    json_t *js = json_pack("{sIsIsf}", "rounds", (json_int_t)rounds, "bytes_sent",
                           (json_int_t)bytes, "seconds", floor(S->secs * 1e6) / 1e6);
    char *txt = app_json_text(js);
    json_decref(js);
    snprintf(path, sizeof path, "%s/stats.json", S->data_dir);
    int rc = txt ? fs_write_atomic(path, txt, strlen(txt), 0644) : ERR_NOMEM;
    free(txt);
    if (rc != 0) return 1;
    app_print_json(S->output, stdout);
    fflush(stdout);
    log_msg(LOG_INFO, "signed result written (%llu rounds)", (unsigned long long)rounds);
    return 0;
}

/* serve: answer result, record and status requests for `seconds` (< 0:
 * until stopped). */
static void s_serve(s_server *S, long seconds)
{
    if (S->nw && net_bye(S->nw) != 0) log_msg(LOG_WARN, "closing: %s", net_errmsg(S->nw));
    app_inbox_publish(S->inbox, S->stmt, S->stmt_len, S->set, S->set_len);
    double until = s_now() + (double)seconds;
    while (!s_stop && (seconds < 0 || s_now() < until)) app_inbox_serve(S->inbox, 200, 0);
}

static void s_free(s_server *S)
{
    ports_release(S->mesh_fd);
    mpc_destroy(&S->M);
    net_free(&S->nw);
    app_inbox_free(&S->inbox);
    store_free(&S->st);
    if (S->rows) sodium_memzero(S->rows, sizeof(fe) * (S->nacc ? S->nacc : 1) * (S->c.m ? S->c.m : 1));
    free(S->rows);
    free(S->bad);
    free(S->acc);
    free(S->holders);
    for (size_t i = 0; S->got && i < S->nacc; i++) free(S->got[i]);
    free(S->got);
    free(S->got_len);
    json_decref(S->output);
    free(S->stmt);
    free(S->set);
    app_ctx_free(&S->c);
}

int app_server_main(const app_ops *ops, int argc, char **argv)
{
    static const char *const vf[] = { "--defn", "--keys", "--data", "--serve", "--log", "--http",
                                      "--tls-cert", "--tls-key", "--web", NULL };
    cli_args a;
    const char *dp, *kp;
    long serve = -1, level = log_level;
    s_server S;
    memset(&S, 0, sizeof S);
    S.mesh_fd = -1;
    if (cli_parse(&a, argc, argv, vf, NULL) || cli_need(&a, "--defn", &dp) ||
        cli_need(&a, "--keys", &kp) || cli_need(&a, "--data", &S.data_dir))
        return 2;
    if (cli_get(&a, "--serve") && cli_int(cli_get(&a, "--serve"), 0, 86400, &serve) != 0) {
        fprintf(stderr, "error: --serve: seconds 0..86400\n");
        return 2;
    }
    if (cli_get(&a, "--log") && cli_int(cli_get(&a, "--log"), 0, 9, &level) != 0) {
        fprintf(stderr, "error: --log: level 0..9\n");
        return 2;
    }
    log_level = (int)level;
    S.http = (app_http_cfg){ .addr = cli_get(&a, "--http"), .tls_cert = cli_get(&a, "--tls-cert"),
                             .tls_key = cli_get(&a, "--tls-key"), .web_dir = cli_get(&a, "--web") };
    if (!S.http.addr && (S.http.tls_cert || S.http.tls_key || S.http.web_dir)) {
        fprintf(stderr, "error: --tls-cert, --tls-key and --web need --http ADDR:PORT\n");
        return 2;
    }
    signal(SIGINT, s_on_signal);
    signal(SIGTERM, s_on_signal);
    signal(SIGPIPE, SIG_IGN);
    int status = app_ctx_load(&S.c, ops, dp, kp) || s_open(&S, kp, dp), done = 0;
    if (status == 0 && (done = s_published(&S)) < 0) status = 1;
    if (status == 0 && !done)
        status = s_intake(&S) || s_mesh(&S) || s_agree(&S) || s_checks(&S) || s_compute(&S) ||
                 s_sign(&S) || s_write(&S);
    if (status == 0) s_serve(&S, serve);
    s_free(&S);
    return status;
}
