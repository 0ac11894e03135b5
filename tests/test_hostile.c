/* Hostile clients against a real server (docs/reliability.md): a flood from one
 * key, an oversized message, envelopes for another election, replayed or older,
 * with a bad signature, from an off-roll key, truncated, with a share the
 * server cannot open, a bid after the deadline, shares that are not one degree-t
 * sharing. Each is refused with a reason, logged, nothing accepted is touched,
 * and the server keeps serving honest clients. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include <zmq.h>

#include "common/defn.h"
#include "common/keys.h"
#include "common/zap.h"
#include "app/client.h"
#include "protocols/envelope.h"
#include "protocols/intake.h"
#include "protocols/range.h"
#include "protocols/shamir.h"
#include "tests/e2e.h"

static void s_init(void)
{
    e2e_setup();
}

static void s_fini(void)
{
    e2e_session_deadline_s = 3600;
    e2e_cleanup();
}

TestSuite(hostile, .init = s_init, .fini = s_fini, .timeout = 60);

static const char *const s_roll[] = { "ana", "ben", NULL };
#define RULES "{\"price\": \"first\"}"

/* A raw CurveZMQ client of server `server` speaking as roll member `who`. */
typedef struct s_raw {
    void *ctx, *sock;
    defn *d;
    keys *k;
    int server;
} s_raw;

static void s_raw_open(s_raw *c, e2e_session *s, const char *who, int server)
{
    char err[256], p[E2E_PATH + 64];
    memset(c, 0, sizeof *c);
    cr_assert_eq(defn_load(&c->d, s->defn, err, sizeof err), 0, "%s", err);
    snprintf(p, sizeof p, "%s/%s.key", s->dir, who);
    cr_assert_eq(keys_load(&c->k, p, err, sizeof err), 0, "%s", err);
    c->server = server;
    c->ctx = zmq_ctx_new();
    c->sock = zmq_socket(c->ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(c->sock, ZMQ_LINGER, &linger, sizeof linger);
    const defn_server *sv = defn_server_at(c->d, server);
    cr_assert_eq(zap_curve_client(c->sock, sv->curve_pk, keys_curve_sk(c->k), 1 << 24), 0);
    cr_assert_eq(zmq_connect(c->sock, sv->client), 0);
}

static void s_raw_close(s_raw *c)
{
    zmq_close(c->sock);
    zmq_ctx_term(c->ctx);
    keys_free(&c->k);
    defn_free(&c->d);
}

/* The request framing of envelope env (len bytes), into a malloc'd *out. */
static void s_frame(uint8_t **out, size_t *olen, const uint8_t *env, size_t len)
{
    *out = malloc(INTAKE_HDR + len);
    cr_assert_eq(intake_req_encode(*out, INTAKE_SUBMIT, 7, env, len), 0);
    *olen = INTAKE_HDR + len;
}

/* An envelope of bid v from roll index `roll` signed by c's key, for session
 * sid, shared at degree deg; framed as a request. */
static void s_envelope(s_raw *c, uint8_t **env, size_t *elen, const uint8_t *sid, uint32_t roll,
                       uint64_t seq, uint64_t v, int deg)
{
    const field *F = defn_field(c->d);
    int k = defn_bits(c->d), n = defn_n(c->d);
    uint32_t m = range_input_len(k);
    fe plain[65], shares[MPC_MAX_SERVERS * 65];
    range_encode(F, plain, v, k);
    shamir *sh = shamir_new(F, n, defn_t(c->d));
    cr_assert_not_null(sh);
    shamir_share(sh, shares, plain, m, deg);
    shamir_free(&sh);
    uint8_t pks[MPC_MAX_SERVERS][32];
    for (int i = 0; i < n; i++) memcpy(pks[i], defn_server_at(c->d, i + 1)->curve_pk, 32);
    *elen = envelope_len(n, m, F->bytes);
    *env = malloc(*elen);
    cr_assert_eq(envelope_seal(*env, F, n, (const uint8_t(*)[32])pks, sid, roll, seq, shares, m,
                               keys_sign_sk(c->k)), 0);
}

static void s_request(s_raw *c, uint8_t **out, size_t *len, const uint8_t *sid, uint64_t seq,
                      uint64_t v)
{
    uint8_t *env;
    size_t el;
    long roll = defn_roll_find_sign(c->d, keys_sign_pk(c->k));
    s_envelope(c, &env, &el, sid, (uint32_t)roll, seq, v, defn_t(c->d));
    s_frame(out, len, env, el);
    free(env);
}

/* Next reply within ms: its status and reason (NUL-terminated), or -1. */
static int s_reply(s_raw *c, int ms, char *why, size_t wlen)
{
    zmq_pollitem_t it = { .socket = c->sock, .events = ZMQ_POLLIN };
    if (zmq_poll(&it, 1, ms) <= 0) return -1;
    uint8_t buf[4096];
    int n = zmq_recv(c->sock, buf, sizeof buf, 0);
    cr_assert_gt(n, 0);
    intake_msg m;
    cr_assert_eq(intake_resp_decode(&m, buf, (size_t)n), 0);
    if (why) snprintf(why, wlen, "%.*s", (int)(m.kind ? m.body_len : 0), (const char *)m.body);
    return m.kind;
}

/* Send one request and return the reply's status (reason in why). */
static int s_send(s_raw *c, const uint8_t *req, size_t len, char *why, size_t wlen)
{
    cr_assert_eq(zmq_send(c->sock, req, len, 0), (int)len);
    return s_reply(c, 5000, why, wlen);
}

static int s_log_has(const e2e_session *s, int i, const char *needle)
{
    char p[E2E_PATH + 32];
    snprintf(p, sizeof p, "%s/server%d.log", s->dir, i);
    char *log = e2e_read(p, NULL);
    int has = log && strstr(log, needle) != NULL;
    free(log);
    return has;
}

Test(hostile, flood_from_one_key_is_rate_limited_and_others_are_still_served)
{
    e2e_session s;
    e2e_session_start(&s, "auction", 3, 1, s_roll, NULL, RULES, 5);
    s_raw c;
    s_raw_open(&c, &s, "ana", 1);
    enum { FLOOD = 200 };
    for (int i = 0; i < FLOOD; i++) {
        uint8_t *req;
        size_t len;
        s_request(&c, &req, &len, defn_sid(c.d), 1000 + (uint64_t)i, 7);
        cr_assert_eq(zmq_send(c.sock, req, len, 0), (int)len);
        free(req);
    }
    int ok = 0, limited = 0, other = 0;
    char why[256];
    for (int i = 0; i < FLOOD; i++) {
        int st = s_reply(&c, 5000, why, sizeof why);
        if (st == 0) ok++;
        else if (strstr(why, "too many envelopes")) limited++;
        else other++;
        if (st < 0) break;
    }
    cr_expect_leq(ok, 12, "a burst of at most ~8 (+ refill) is accepted, got %d", ok);
    cr_expect_geq(limited, FLOOD - 12, "the rest is refused as a flood, got %d", limited);
    cr_expect_eq(other, 0);
    cr_expect(s_log_has(&s, 1, "too many envelopes"), "the refusal is logged");
    s_raw_close(&c);
    /* an honest bidder is still served at once */
    e2e_out r;
    e2e_session_submit(&s, &r, "ben", "5");
    cr_expect_eq(r.status, 0, "ben: %s", r.err);
    e2e_out_free(&r);
    e2e_session_stop(&s, NULL);
}

Test(hostile, oversized_message_is_dropped_before_allocation)
{
    e2e_session s;
    e2e_session_start(&s, "auction", 3, 1, s_roll, NULL, RULES, 5);
    s_raw c;
    s_raw_open(&c, &s, "ana", 1);
    size_t big = 8u << 20;
    uint8_t *junk = calloc(1, big);
    cr_assert_not_null(junk);
    zmq_send(c.sock, junk, big, 0);
    free(junk);
    cr_expect_eq(s_reply(&c, 1500, NULL, 0), -1, "no reply: the connection is dropped");
    s_raw_close(&c);
    e2e_out r;
    e2e_session_submit(&s, &r, "ana", "9");
    cr_expect_eq(r.status, 0, "the same key bids normally afterwards: %s", r.err);
    e2e_out_free(&r);
    e2e_session_stop(&s, NULL);
}

/* Every way an envelope can be wrong, sent to server 2 after one good bid of
 * ana (sequence 42): each refused with its reason; the good bid stays. */
Test(hostile, bad_envelopes_are_refused_with_a_reason_and_touch_nothing_accepted)
{
    e2e_session s;
    e2e_session_deadline_s = 6;   /* servers 1 and 3 never see ana's bid: they close then */
    e2e_session_start(&s, "auction", 3, 1, s_roll, NULL, RULES, 8);
    e2e_session_deadline_s = 3600;
    s_raw c, off;
    s_raw_open(&c, &s, "ana", 2);
    s_raw_open(&off, &s, "ben", 2);
    uint8_t other[32], *req, *env;
    size_t len, el;
    char why[256];
    randombytes_buf(other, sizeof other);
    s_request(&c, &req, &len, other, 1, 7);
    cr_expect_eq(s_send(&c, req, len, why, sizeof why), INTAKE_ST_WRONG_SESSION);
    cr_expect(strstr(why, "wrong session id") != NULL, "reason: %s", why);
    free(req);
    s_request(&c, &req, &len, defn_sid(c.d), 42, 7);
    cr_expect_eq(s_send(&c, req, len, why, sizeof why), 0, "the good bid: %s", why);
    cr_expect_eq(s_send(&c, req, len, why, sizeof why), 0, "the same envelope again: a retry, "
                                                         "receipted again (%s)", why);
    free(req);
    s_request(&c, &req, &len, defn_sid(c.d), 41, 9);
    cr_expect_eq(s_send(&c, req, len, why, sizeof why), INTAKE_ST_REPLAY);
    cr_expect(strstr(why, "replayed") != NULL, "an older sequence: %s", why);
    free(req);
    s_request(&c, &req, &len, defn_sid(c.d), 43, 9);
    req[INTAKE_HDR + 100] ^= 1;   /* one ciphertext byte: the signature no longer holds */
    cr_expect_eq(s_send(&c, req, len, why, sizeof why), INTAKE_ST_BAD_SIG);
    cr_expect(strstr(why, "signature") != NULL, "reason: %s", why);
    cr_expect_eq(s_send(&c, req, len - 1, why, sizeof why), INTAKE_ST_MALFORMED,
                 "a framing that lies about its length");
    free(req);
    /* ben's key signs an envelope claiming to be ana's (roll 0) */
    s_envelope(&off, &env, &el, defn_sid(c.d), 0, 44, 9, 1);
    s_frame(&req, &len, env, el);
    cr_expect_eq(s_send(&c, req, len, why, sizeof why), INTAKE_ST_BAD_SIG, "%s", why);
    free(req);
    /* a truncated envelope, framed consistently */
    s_frame(&req, &len, env, el - 10);
    cr_expect_eq(s_send(&c, req, len, why, sizeof why), INTAKE_ST_MALFORMED);
    cr_expect(strstr(why, "malformed envelope") != NULL, "reason: %s", why);
    free(req);
    free(env);
    /* a roll index past the roll */
    s_envelope(&c, &env, &el, defn_sid(c.d), 7, 45, 9, 1);
    s_frame(&req, &len, env, el);
    cr_expect_eq(s_send(&c, req, len, why, sizeof why), INTAKE_ST_NOT_ON_ROLL, "%s", why);
    free(req);
    free(env);
    /* box 2 sealed to server 1's key: signed, but server 2 cannot open it */
    defn_server *sv2 = (defn_server *)defn_server_at(c.d, 2);
    uint8_t keep[32];
    memcpy(keep, sv2->curve_pk, 32);
    memcpy(sv2->curve_pk, defn_server_at(c.d, 1)->curve_pk, 32);
    s_envelope(&c, &env, &el, defn_sid(c.d), 0, 46, 9, 1);
    memcpy(sv2->curve_pk, keep, 32);
    s_frame(&req, &len, env, el);
    cr_expect_eq(s_send(&c, req, len, why, sizeof why), INTAKE_ST_UNOPENABLE);
    cr_expect(strstr(why, "cannot open its share") != NULL, "reason: %s", why);
    free(req);
    free(env);
    cr_expect(s_log_has(&s, 2, "wrong session id"));
    cr_expect(s_log_has(&s, 2, "replayed"));
    s_raw_close(&c);
    s_raw_close(&off);
    /* the good bid (7, sequence 42) is what counts for ana: held by server 2
     * alone, the others receive it at the close */
    e2e_out r;
    e2e_session_submit(&s, &r, "ben", "5");
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_out_free(&r);
    e2e_session_wait_results(&s, 20000);
    char p[3][E2E_PATH + 64];
    for (int i = 0; i < 3; i++) snprintf(p[i], sizeof p[i], "%s/d%d/result.stmt", s.dir, i + 1);
    e2e_app(&r, "auction", "result", "--defn", s.defn, "--json", p[0], p[1], p[2], NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    json_t *o = e2e_json(r.out);
    cr_expect_eq(e2e_jint(o, "winning_bid"), 7, "%s", r.out);
    cr_expect_eq(e2e_jint(o, "accepted"), 2);
    json_decref(o);
    e2e_out_free(&r);
    e2e_session_stop(&s, NULL);
}

Test(hostile, bid_after_the_deadline_is_refused)
{
    e2e_session_deadline_s = 3;
    e2e_session s;
    e2e_session_start(&s, "auction", 3, 1, s_roll, NULL, RULES, 15);
    e2e_out r;
    e2e_session_submit(&s, &r, "ana", "11");
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_out_free(&r);
    /* the deadline passes with ben silent: the servers close and compute */
    e2e_session_wait_results(&s, 20000);
    e2e_session_submit(&s, &r, "ben", "99");
    cr_expect_neq(r.status, 0);
    cr_expect(strstr(r.err, "intake closed") != NULL, "reason: %s", r.err);
    e2e_out_free(&r);
    cr_expect(s_log_has(&s, 1, "intake closed"));
    e2e_session_stop(&s, NULL);
}

/* cy bids 99 with a degree-2 sharing: each server alone sees a well-formed,
 * signed, in-range share; only the servers' joint degree check can tell. */
static void s_send_inconsistent(e2e_session *s)
{
    s_raw c[3];
    for (int i = 0; i < 3; i++) s_raw_open(&c[i], s, "cy", i + 1);
    uint8_t *env, *req;
    size_t el, len;
    s_envelope(&c[0], &env, &el, defn_sid(c[0].d), 2, 7, 99, 2);
    s_frame(&req, &len, env, el);
    for (int i = 0; i < 3; i++)
        cr_expect_eq(s_send(&c[i], req, len, NULL, 0), 0, "server %d stores it (it cannot tell)",
                     i + 1);
    free(req);
    free(env);
    for (int i = 0; i < 3; i++) s_raw_close(&c[i]);
}

static void s_two_valid_bids(e2e_session *s, const char *security)
{
    static const char *const roll3[] = { "ana", "ben", "cy", NULL };
    e2e_session_security = security;
    e2e_session_start(s, "auction", 3, 1, roll3, NULL,
                      "{\"price\": \"first\", \"reveal_winner\": true}", 5);
    e2e_session_security = NULL;
    e2e_out r;
    e2e_session_submit(s, &r, "ana", "40");
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_out_free(&r);
    e2e_session_submit(s, &r, "ben", "30");
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_out_free(&r);
}

/* Malicious servers (the default): an inconsistent input cannot be told from a
 * server spoiling its check share, so excluding it could drop an honest voter
 * on a cheater's word; every server aborts instead, naming the input. */
Test(hostile, inconsistent_shares_abort_every_server_under_malicious_security)
{
    e2e_session s;
    s_two_valid_bids(&s, NULL);
    s_send_inconsistent(&s);
    for (int i = 1; i <= 3; i++)
        cr_expect_eq(e2e_session_wait_exit(&s, i, 20000), 1, "server %d aborts", i);
    char log[E2E_PATH + 64];
    snprintf(log, sizeof log, "%s/server1.log", s.dir);
    size_t ll = 0;
    char *txt = e2e_read(log, &ll);
    cr_expect(txt && strstr(txt, "the input of cy"), "the abort names the input: %s", txt ? txt : "");
    free(txt);
    for (int i = 1; i <= 3; i++) {
        snprintf(log, sizeof log, "%s/d%d/result.stmt", s.dir, i);
        cr_expect(access(log, F_OK) != 0, "server %d signed nothing", i);
    }
    e2e_session_stop(&s, NULL);
}

Test(hostile, inconsistent_shares_are_excluded_and_the_others_still_count_when_semi_honest)
{
    e2e_session s;
    e2e_out r;
    s_two_valid_bids(&s, "semi-honest");
    s_send_inconsistent(&s);
    e2e_session_wait_results(&s, 20000);
    char p[3][E2E_PATH + 64];
    for (int i = 0; i < 3; i++) snprintf(p[i], sizeof p[i], "%s/d%d/result.stmt", s.dir, i + 1);
    e2e_app(&r, "auction", "result", "--defn", s.defn, "--json", p[0], p[1], p[2], NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    json_t *o = e2e_json(r.out);
    cr_assert_not_null(o);
    cr_expect_eq(e2e_jint(o, "winning_bid"), 40, "the inconsistent 99 does not count");
    cr_expect_str_eq(e2e_jstr(o, "winner"), "ana");
    cr_expect_eq(e2e_jint(o, "accepted"), 2);
    cr_expect_eq(e2e_jint(o, "excluded"), 1);
    json_decref(o);
    e2e_out_free(&r);
    e2e_session_stop(&s, NULL);
}

/* The default close is the deadline: once every roll member has bid, a re-bid
 * is still taken (re-voting, the answer to coercion) and is what counts. */
Test(hostile, intake_stays_open_until_the_deadline_by_default)
{
    e2e_session_deadline_s = 5;
    e2e_session_close = "deadline";
    e2e_session s;
    e2e_session_start(&s, "auction", 3, 1, s_roll, NULL,
                      "{\"price\": \"first\", \"reveal_winner\": true}", 5);
    e2e_session_deadline_s = 3600;
    e2e_session_close = "all_voted";
    e2e_out r;
    const char *bids[][2] = { { "ana", "10" }, { "ben", "20" }, { "ana", "30" } };
    for (int i = 0; i < 3; i++) {
        e2e_session_submit(&s, &r, bids[i][0], bids[i][1]);
        cr_assert_eq(r.status, 0, "%s %s: %s", bids[i][0], bids[i][1], r.err);
        e2e_out_free(&r);
    }
    e2e_session_wait_results(&s, 20000);
    char p[3][E2E_PATH + 64];
    for (int i = 0; i < 3; i++) snprintf(p[i], sizeof p[i], "%s/d%d/result.stmt", s.dir, i + 1);
    e2e_app(&r, "auction", "result", "--defn", s.defn, "--json", p[0], p[1], p[2], NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    json_t *o = e2e_json(r.out);
    cr_expect_eq(e2e_jint(o, "winning_bid"), 30, "the re-bid after everyone was in counts");
    cr_expect_str_eq(e2e_jstr(o, "winner"), "ana");
    json_decref(o);
    e2e_out_free(&r);
    cr_expect(s_log_has(&s, 1, "intake open until the deadline"));
    e2e_session_stop(&s, NULL);
}
