/* The HTTP endpoint (issue 15, docs/http.md) on real `vote server` processes:
 * an envelope POSTed over HTTP gets the receipt the CurveZMQ path gives (it
 * verifies the same way), both paths are one store (idempotent, a re-vote
 * replaces), the API answers (definition bytes, status, pending result),
 * static files are served with their headers and nothing outside the web
 * directory is; hostile requests (oversized, truncated, wrong type, bad
 * signature, a slowloris, a connection flood) are refused with a JSON reason
 * and nothing accepted is lost; CORS answers only the election's origins;
 * bad flags fail before intake. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include <zmq.h>

#include "app/client.h"
#include "common/defn.h"
#include "common/keys.h"
#include "common/zap.h"
#include "protocols/intake.h"
#include "protocols/vote_mpc.h"
#include "tests/e2e.h"
#include "tests/e2e_http.h"

static char s_web[E2E_PATH];

/* The page's fixture: an index and a script, plus what must never be served
 * (a hidden file, a file of an unknown type, symbolic links out of it). */
static void s_init(void)
{
    e2e_setup();
    e2e_session_timeout_ms = 1500;
    e2e_session_close = "deadline";   /* re-votes stay possible */
    e2e_tmpdir(s_web, sizeof s_web, "web");
    char p[E2E_PATH + 32];
    snprintf(p, sizeof p, "%s/index.html", s_web);
    e2e_write(p, "<!doctype html><title>ballot</title><script src=\"app.js\"></script>\n");
    snprintf(p, sizeof p, "%s/app.js", s_web);
    e2e_write(p, "console.log('ballot page');\n");
    snprintf(p, sizeof p, "%s/.secret.json", s_web);
    e2e_write(p, "{\"secret\":1}\n");
    snprintf(p, sizeof p, "%s/notes.txt", s_web);
    e2e_write(p, "not a page file\n");
    e2e_session_web = s_web;
}

static void s_fini(void)
{
    e2e_session_web = NULL;
    e2e_session_timeout_ms = 10000;
    e2e_session_close = "all_voted";
    e2e_cleanup();
}

TestSuite(http, .init = s_init, .fini = s_fini, .timeout = 120);

static const char *const s_roll[] = { "ada", "bo", "cal", "dan", NULL };
#define RULES "{\"type\": \"threshold\", \"threshold\": \"1/2\"}"

/* ---- envelopes and the CurveZMQ side ---- */

typedef struct s_voter {
    defn *d;
    keys *k;
    uint32_t roll;
} s_voter;

static void s_voter_open(s_voter *v, const e2e_session *s, const char *who)
{
    char err[256], p[E2E_PATH + 64];
    cr_assert_eq(defn_load(&v->d, s->defn, err, sizeof err), 0, "%s", err);
    snprintf(p, sizeof p, "%s/%s.key", s->dir, who);
    cr_assert_eq(keys_load(&v->k, p, err, sizeof err), 0, "%s", err);
    v->roll = (uint32_t)defn_roll_find_sign(v->d, keys_sign_pk(v->k));
}

static void s_voter_close(s_voter *v)
{
    keys_free(&v->k);
    defn_free(&v->d);
}

/* A yes/no envelope with sequence seq (malloc'd). */
static uint8_t *s_seal(const s_voter *v, int yes, uint64_t seq, size_t *len)
{
    fe plain[2];
    uint8_t *env;
    vote_encode_threshold(plain, yes);
    cr_assert_eq(app_client_seal(v->d, keys_sign_sk(v->k), v->roll, plain, 2, seq, &env, len), 0);
    return env;
}

/* Submit env to server i over CurveZMQ: the framed response (malloc'd). */
static uint8_t *s_zmq_submit(const s_voter *v, int i, const uint8_t *env, size_t len, size_t *rlen)
{
    void *ctx = zmq_ctx_new(), *sock = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    uint8_t pk[32], sk[32];
    crypto_box_keypair(pk, sk);
    const defn_server *sv = defn_server_at(v->d, i);
    cr_assert_eq(zap_curve_client(sock, sv->curve_pk, sk, 1 << 24), 0);
    cr_assert_eq(zmq_connect(sock, sv->client), 0);
    uint8_t *req = malloc(INTAKE_HDR + len), *resp = malloc(8192);
    cr_assert_eq(intake_req_encode(req, INTAKE_SUBMIT, 9, env, len), 0);
    cr_assert_eq(zmq_send(sock, req, INTAKE_HDR + len, 0), (int)(INTAKE_HDR + len));
    zmq_pollitem_t it = { .socket = sock, .events = ZMQ_POLLIN };
    cr_assert_gt(zmq_poll(&it, 1, 10000), 0, "server %d answers over CurveZMQ", i);
    int n = zmq_recv(sock, resp, 8192, 0);
    cr_assert_gt(n, 0);
    *rlen = (size_t)n;
    free(req);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    return resp;
}

/* The receipt of an accepted HTTP answer, framed as the CurveZMQ response
 * carrying it, so one check covers both paths. */
static uint8_t *s_http_receipt(const e2e_http_resp *r, int server, size_t *flen)
{
    json_t *o = e2e_json(r->body);
    cr_assert_not_null(o, "JSON body: %s", r->body);
    cr_assert_str_eq(e2e_jstr(o, "status"), "accepted", "%s", r->body);
    cr_assert_eq(e2e_jint(o, "server"), server);
    const char *hex = e2e_jstr(o, "receipt");
    size_t n = strlen(hex) / 2, bl = 0;
    uint8_t *bin = malloc(n + 1), *frame = malloc(INTAKE_HDR + n);
    cr_assert_eq(sodium_hex2bin(bin, n, hex, strlen(hex), NULL, &bl, NULL), 0);
    cr_assert_eq(bl, n);
    for (const char *p = hex; *p; p++) cr_assert(!(*p >= 'A' && *p <= 'F'), "lowercase hex");
    cr_assert_eq(intake_resp_encode(frame, 0, 0, bin, n), 0);
    *flen = INTAKE_HDR + n;
    free(bin);
    json_decref(o);
    return frame;
}

static json_t *s_status(int port)
{
    e2e_http_resp r;
    e2e_http_get(&r, port, "/api/status", NULL);
    cr_assert_eq(r.code, 200, "%s", r.body);
    json_t *o = e2e_json(r.body);
    cr_assert_not_null(o, "%s", r.body);
    e2e_http_free(&r);
    return o;
}

/* The servers answer over HTTP once their endpoints are open. */
static void s_wait_up(const e2e_session *s)
{
    for (int i = 0; i < s->n; i++) {
        int fd = -1;
        for (int tries = 0; tries < 200 && fd < 0; tries++) {
            if ((fd = e2e_http_connect(s->http_port[i], NULL)) < 0) usleep(50000);
        }
        cr_assert_geq(fd, 0, "server %d's HTTP endpoint is up", i + 1);
        close(fd);
    }
}

static void s_start(e2e_session *s)
{
    e2e_session_start(s, "vote", 3, 1, s_roll, NULL, RULES, 30);
    s_wait_up(s);
}

/* The JSON error body of r: its status, code and reason are as expected. */
static void s_expect_error(const e2e_http_resp *r, int http, const char *status, int code,
                           const char *says)
{
    cr_expect_eq(r->code, http, "HTTP %d expected, got %d: %s", http, r->code, r->body);
    cr_expect_str_eq(e2e_http_header(r, "Content-Type") ? e2e_http_header(r, "Content-Type") : "",
                     "application/json");
    json_t *o = e2e_json(r->body);
    cr_assert_not_null(o, "a JSON error body: %s", r->body);
    cr_expect_str_eq(e2e_jstr(o, "status"), status, "%s", r->body);
    cr_expect_eq(e2e_jint(o, "code"), code, "%s", r->body);
    cr_expect(strstr(e2e_jstr(o, "reason"), says) != NULL, "reason has \"%s\": %s", says, r->body);
    json_decref(o);
}

Test(http, post_gets_the_curvezmq_receipt_and_both_paths_are_one_store)
{
    e2e_session s;
    s_start(&s);
    s_voter v;
    s_voter_open(&v, &s, "ada");
    size_t len, flen, zlen;
    uint64_t seq = app_client_seq();
    uint8_t *env = s_seal(&v, 1, seq, &len);
    for (int i = 1; i <= 3; i++) {
        e2e_http_resp r;
        e2e_http_post(&r, s.http_port[i - 1], NULL, env, len, "application/octet-stream");
        cr_assert_eq(r.code, 200, "server %d: %s", i, r.body);
        cr_expect_str_eq(e2e_http_header(&r, "Content-Type"), "application/json");
        cr_expect_str_eq(e2e_http_header(&r, "Cache-Control"), "no-store");
        uint8_t *frame = s_http_receipt(&r, i, &flen);
        cr_expect_eq(app_client_check_receipt(v.d, i, frame, flen, env, len, NULL, stderr), 0,
                     "server %d's HTTP receipt verifies", i);
        /* the same envelope over CurveZMQ: the same store, a receipt again */
        uint8_t *z = s_zmq_submit(&v, i, env, len, &zlen);
        cr_expect_eq(app_client_check_receipt(v.d, i, z, zlen, env, len, NULL, stderr), 0);
        free(z);
        free(frame);
        e2e_http_free(&r);
        e2e_http_post(&r, s.http_port[i - 1], NULL, env, len, "application/octet-stream");
        cr_expect_eq(r.code, 200, "a retry over HTTP is idempotent: %s", r.body);
        e2e_http_free(&r);
    }
    json_t *st = s_status(s.http_port[0]);
    cr_expect_eq(e2e_jint(st, "accepted"), 1);
    cr_expect_eq(e2e_jint(st, "server"), 1);
    cr_expect_str_eq(e2e_jstr(st, "intake"), "open");
    json_decref(st);

    /* a re-vote replaces; the older one is then stale (409) */
    size_t len2;
    uint8_t *env2 = s_seal(&v, 0, seq + 10, &len2);
    e2e_http_resp r;
    e2e_http_post(&r, s.http_port[1], NULL, env2, len2, "application/octet-stream; charset=binary");
    cr_expect_eq(r.code, 200, "%s", r.body);
    e2e_http_free(&r);
    e2e_http_post(&r, s.http_port[1], NULL, env, len, "application/octet-stream");
    s_expect_error(&r, 409, "refused", INTAKE_ST_REPLAY, "");
    e2e_http_free(&r);
    st = s_status(s.http_port[1]);
    cr_expect_eq(e2e_jint(st, "accepted"), 1, "the re-vote replaced the first");
    json_decref(st);
    free(env);
    free(env2);
    s_voter_close(&v);
    e2e_session_stop(&s, NULL);
}

Test(http, api_and_static_files_with_their_headers)
{
    e2e_session s;
    s_start(&s);
    e2e_http_resp r;
    e2e_http_get(&r, s.http_port[0], "/", NULL);
    cr_expect_eq(r.code, 200);
    cr_expect(strstr(r.body, "<title>ballot</title>") != NULL, "%s", r.body);
    cr_expect_str_eq(e2e_http_header(&r, "Content-Type"), "text/html; charset=utf-8");
    cr_expect_str_eq(e2e_http_header(&r, "X-Content-Type-Options"), "nosniff");
    const char *csp = e2e_http_header(&r, "Content-Security-Policy");
    cr_assert_not_null(csp);
    cr_expect(strstr(csp, "default-src 'self'") != NULL, "%s", csp);
    char origin[64];
    snprintf(origin, sizeof origin, "http://127.0.0.1:%d", s.http_port[2]);
    cr_expect(strstr(csp, origin) != NULL, "connect-src names the other servers: %s", csp);
    e2e_http_free(&r);
    e2e_http_get(&r, s.http_port[0], "/app.js", NULL);
    cr_expect_eq(r.code, 200);
    cr_expect_str_eq(e2e_http_header(&r, "Content-Type"), "text/javascript; charset=utf-8");
    e2e_http_free(&r);

    size_t dl;
    char *text = e2e_read(s.defn, &dl);
    e2e_http_get(&r, s.http_port[1], "/api/defn", NULL);
    cr_expect_eq(r.code, 200);
    cr_expect_str_eq(e2e_http_header(&r, "Content-Type"), "application/json");
    cr_expect(r.len == dl && memcmp(r.body, text, dl) == 0, "the definition's exact bytes");
    free(text);
    e2e_http_free(&r);
    e2e_http_get(&r, s.http_port[1], "/api/result", NULL);
    s_expect_error(&r, 404, "pending", INTAKE_ST_NOT_READY, "not ready");
    e2e_http_free(&r);
    e2e_http_get(&r, s.http_port[1], "/api/nothing", NULL);
    s_expect_error(&r, 404, "error", 404, "not found");
    e2e_http_free(&r);
    e2e_http_get(&r, s.http_port[1], "/api/envelope", NULL);
    s_expect_error(&r, 405, "error", 405, "method");
    e2e_http_free(&r);

    /* nothing outside the web directory, nothing hidden or of another type */
    char link[E2E_PATH + 32];
    snprintf(link, sizeof link, "%s/leak.json", s_web);
    cr_assert_eq(symlink(s.defn, link), 0);
    snprintf(link, sizeof link, "%s/sub", s_web);
    cr_assert_eq(symlink(s.dir, link), 0);
    static const char *const bad[] = { "/../definition.json", "/%2e%2e/definition.json",
                                       "/..%2fdefinition.json", "//etc/passwd", "/.secret.json",
                                       "/notes.txt", "/leak.json", "/sub/definition.json",
                                       "/missing.html", "/app.js/", "/a\\b.js", NULL };
    for (int i = 0; bad[i]; i++) {
        e2e_http_get(&r, s.http_port[0], bad[i], NULL);
        cr_expect_eq(r.code, 404, "%s: %d %s", bad[i], r.code, r.body);
        cr_expect(strstr(r.body, "e2e-session") == NULL, "%s leaked the definition", bad[i]);
        e2e_http_free(&r);
    }
    e2e_session_stop(&s, NULL);
}

Test(http, hostile_posts_are_refused_with_json_and_nothing_is_stored)
{
    e2e_session s;
    s_start(&s);
    s_voter v;
    s_voter_open(&v, &s, "bo");
    size_t len;
    uint8_t *env = s_seal(&v, 1, app_client_seq(), &len);
    int port = s.http_port[0];
    e2e_http_resp r;
    e2e_http_post(&r, port, NULL, env, len - 7, "application/octet-stream");
    s_expect_error(&r, 400, "refused", INTAKE_ST_MALFORMED, "malformed envelope");
    e2e_http_free(&r);
    e2e_http_post(&r, port, NULL, env, len, "application/json");
    s_expect_error(&r, 415, "refused", INTAKE_ST_MALFORMED, "application/octet-stream");
    e2e_http_free(&r);
    e2e_http_request(&r, port, NULL, "POST /api/envelope HTTP/1.1", env, len);
    s_expect_error(&r, 415, "refused", INTAKE_ST_MALFORMED, "Content-Type");
    e2e_http_free(&r);
    size_t big = 1 << 20;
    uint8_t *huge = calloc(1, big);
    memcpy(huge, env, len);
    e2e_http_post(&r, port, NULL, huge, big, "application/octet-stream");
    s_expect_error(&r, 413, "refused", INTAKE_ST_MALFORMED, "too large");
    e2e_http_free(&r);
    /* chunked, no length announced: cut at the bound all the same */
    int fd = e2e_http_connect(port, NULL);
    const char *head = "POST /api/envelope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
    e2e_http_send_all(fd, head, strlen(head));
    for (int i = 0; i < 16; i++) {
        char ch[16];
        int k = snprintf(ch, sizeof ch, "%x\r\n", 4096);
        e2e_http_send_all(fd, ch, (size_t)k);
        e2e_http_send_all(fd, huge, 4096);
        e2e_http_send_all(fd, "\r\n", 2);
    }
    e2e_http_send_all(fd, "0\r\n\r\n", 5);
    e2e_http_read(fd, &r);
    close(fd);
    s_expect_error(&r, 413, "refused", INTAKE_ST_MALFORMED, "too large");
    e2e_http_free(&r);
    free(huge);
    env[len - 1] ^= 1;   /* the signature */
    e2e_http_post(&r, port, NULL, env, len, "application/octet-stream");
    s_expect_error(&r, 403, "refused", INTAKE_ST_BAD_SIG, "bad signature");
    e2e_http_free(&r);
    json_t *st = s_status(port);
    cr_expect_eq(e2e_jint(st, "accepted"), 0, "nothing stored");
    json_decref(st);
    env[len - 1] ^= 1;
    e2e_http_post(&r, port, NULL, env, len, "application/octet-stream");
    cr_expect_eq(r.code, 200, "and the honest envelope still goes in: %s", r.body);
    e2e_http_free(&r);
    free(env);
    s_voter_close(&v);

    /* the per-key rate limit of the CurveZMQ path (8 at once, then 2/s) */
    s_voter_open(&v, &s, "dan");
    uint64_t seq = app_client_seq();
    int limited = 0;
    for (int i = 0; i < 16 && !limited; i++) {
        env = s_seal(&v, 1, seq + (uint64_t)i, &len);
        e2e_http_post(&r, port, NULL, env, len, "application/octet-stream");
        if (r.code == 429) {
            s_expect_error(&r, 429, "refused", INTAKE_ST_RATE, "slow down");
            limited = i + 1;
        } else {
            cr_expect_eq(r.code, 200, "%s", r.body);
        }
        e2e_http_free(&r);
        free(env);
    }
    cr_expect(limited > 8, "rate limited after the burst of 8 (at %d)", limited);
    st = s_status(port);
    cr_expect_eq(e2e_jint(st, "accepted"), 2, "bo and dan, each once");
    json_decref(st);
    s_voter_close(&v);
    e2e_session_stop(&s, NULL);
}

Test(http, cors_answers_only_the_elections_origins)
{
    e2e_session s;
    s_start(&s);
    char own[64], other[64];
    snprintf(own, sizeof own, "http://127.0.0.1:%d", s.http_port[0]);
    snprintf(other, sizeof other, "http://127.0.0.1:%d", s.http_port[1]);
    static const char pre[] = "OPTIONS /api/envelope HTTP/1.1\r\nOrigin: %s\r\n"
                              "Access-Control-Request-Method: POST\r\n"
                              "Access-Control-Request-Headers: content-type";
    char head[512];
    e2e_http_resp r;
    snprintf(head, sizeof head, pre, other);
    e2e_http_request(&r, s.http_port[2], NULL, head, NULL, 0);
    cr_expect(r.code == 204 || r.code == 200, "%d", r.code);
    cr_expect_str_eq(e2e_http_header(&r, "Access-Control-Allow-Origin"), other);
    cr_expect_str_eq(e2e_http_header(&r, "Access-Control-Allow-Methods"), "GET, POST");
    cr_expect_str_eq(e2e_http_header(&r, "Access-Control-Allow-Headers"), "Content-Type");
    e2e_http_free(&r);
    snprintf(head, sizeof head, pre, "http://evil.example:80");
    e2e_http_request(&r, s.http_port[2], NULL, head, NULL, 0);
    cr_expect_null(e2e_http_header(&r, "Access-Control-Allow-Origin"), "a foreign origin gets no CORS");
    e2e_http_free(&r);
    e2e_http_get(&r, s.http_port[2], "/api/status", own);
    cr_expect_str_eq(e2e_http_header(&r, "Access-Control-Allow-Origin"), own);
    e2e_http_free(&r);
    e2e_http_get(&r, s.http_port[2], "/api/status", "null");
    cr_expect_null(e2e_http_header(&r, "Access-Control-Allow-Origin"));
    e2e_http_free(&r);
    e2e_session_stop(&s, NULL);
}

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 1 once the server has closed fd (EOF or reset), waiting up to ms. */
static int s_closed(int fd, int ms)
{
    struct pollfd pf = { .fd = fd, .events = POLLIN };
    if (poll(&pf, 1, ms) <= 0) return 0;
    char b[256];
    ssize_t k = recv(fd, b, sizeof b, MSG_DONTWAIT);
    return k == 0 || (k < 0 && errno != EAGAIN);
}

Test(http, slowloris_is_dropped_after_the_deadline_while_others_are_served)
{
    e2e_session s;
    s_start(&s);
    s_voter v;
    s_voter_open(&v, &s, "cal");
    int port = s.http_port[0], fd = e2e_http_connect(port, NULL);
    cr_assert_geq(fd, 0);
    static const char slow[] = "POST /api/envelope HTTP/1.1\r\nHost: x\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaa";
    double t0 = s_now(), dropped = 0;
    for (size_t i = 0; i < sizeof slow - 1 && !dropped; i++) {
        if (send(fd, slow + i, 1, MSG_NOSIGNAL) != 1 || s_closed(fd, 1000)) dropped = s_now() - t0;
        if (i == 2) {   /* meanwhile an honest submission goes through */
            size_t len;
            uint8_t *env = s_seal(&v, 1, app_client_seq(), &len);
            e2e_http_resp r;
            e2e_http_post(&r, port, NULL, env, len, "application/octet-stream");
            cr_expect_eq(r.code, 200, "%s", r.body);
            e2e_http_free(&r);
            free(env);
        }
    }
    close(fd);
    cr_expect(dropped >= 9 && dropped <= 14, "dropped after the 10 s deadline, not %.1f s", dropped);
    json_t *st = s_status(port);
    cr_expect_eq(e2e_jint(st, "accepted"), 1);
    json_decref(st);
    s_voter_close(&v);
    e2e_session_stop(&s, NULL);
}

/* How many of fds[from..to) the server has closed (or were never opened),
 * waiting up to ms for at least want of them (a loaded machine accepts late). */
static int s_count_closed(const int *fds, int from, int to, int want, int ms)
{
    double end = s_now() + ms / 1000.0;
    static char closed[512];
    memset(closed, 0, sizeof closed);
    int k = 0;
    do {
        for (int i = from; i < to; i++)
            if (!closed[i] && (fds[i] < 0 || s_closed(fds[i], 0))) {
                closed[i] = 1;
                k++;
            }
        if (k < want) usleep(20000);
    } while (k < want && s_now() < end);
    return k;
}

Test(http, connection_flood_is_refused_and_nothing_accepted_is_lost)
{
    e2e_session s;
    s_start(&s);
    s_voter a, b;
    s_voter_open(&a, &s, "ada");
    s_voter_open(&b, &s, "dan");
    int port = s.http_port[0], nfd = 0, fds[300];
    /* one address past its limit (32) */
    for (int i = 0; i < 40; i++) fds[nfd++] = e2e_http_connect(port, "127.0.0.2");
    (void)s_count_closed(fds, 0, nfd, 8, 5000);
    usleep(200000);   /* and no more than those */
    int refused = s_count_closed(fds, 0, nfd, 0, 0);
    cr_expect_eq(refused, 8, "40 connections from one address: 8 past the limit refused");
    /* another address still gets in */
    size_t len;
    uint8_t *env = s_seal(&a, 1, app_client_seq(), &len);
    e2e_http_resp r;
    e2e_http_post(&r, port, "127.0.0.1", env, len, "application/octet-stream");
    cr_expect_eq(r.code, 200, "%s", r.body);
    e2e_http_free(&r);
    /* every slot taken (256), from many addresses */
    for (int ip = 3; ip < 11; ip++) {
        char src[32];
        snprintf(src, sizeof src, "127.0.0.%d", ip);
        for (int i = 0; i < 30; i++) fds[nfd++] = e2e_http_connect(port, src);
    }
    refused = s_count_closed(fds, 40, nfd, 240 - (256 - 32), 5000);
    cr_expect_geq(refused, 240 - (256 - 32), "beyond 256 connections refused (%d)", refused);
    /* CurveZMQ is untouched by an HTTP flood */
    size_t zl, bl;
    uint8_t *benv = s_seal(&b, 0, app_client_seq(), &bl);
    uint8_t *z = s_zmq_submit(&b, 1, benv, bl, &zl);
    cr_expect_eq(app_client_check_receipt(b.d, 1, z, zl, benv, bl, NULL, stderr), 0);
    free(z);
    for (int i = 0; i < nfd; i++)
        if (fds[i] >= 0) close(fds[i]);
    usleep(300000);
    /* the flood gone, HTTP serves again; both envelopes are in */
    e2e_http_post(&r, port, NULL, env, len, "application/octet-stream");
    cr_expect_eq(r.code, 200, "%s", r.body);
    e2e_http_free(&r);
    json_t *st = s_status(port);
    cr_expect_eq(e2e_jint(st, "accepted"), 2);
    json_decref(st);
    free(env);
    free(benv);
    s_voter_close(&a);
    s_voter_close(&b);
    e2e_session_stop(&s, NULL);
}

Test(http, bad_http_flags_fail_before_intake)
{
    e2e_session s;
    s_start(&s);
    e2e_session_stop(&s, NULL);
    char key[E2E_PATH + 32], data[E2E_PATH + 32], good[32], wrong[32];
    snprintf(key, sizeof key, "%s/server1.key", s.dir);
    snprintf(data, sizeof data, "%s/d1", s.dir);
    snprintf(good, sizeof good, "127.0.0.1:%d", s.http_port[0]);
    snprintf(wrong, sizeof wrong, "127.0.0.1:%d", s.http_port[1]);
    e2e_timeout_ms = 15000;
    e2e_out r;
    e2e_app(&r, "vote", "server", "--defn", s.defn, "--keys", key, "--data", data, "--http",
            wrong, NULL);
    cr_expect_eq(r.status, 1, "%s", r.err);
    cr_expect(strstr(r.err, "listen on port") != NULL, "%s", r.err);
    e2e_out_free(&r);
    e2e_app(&r, "vote", "server", "--defn", s.defn, "--keys", key, "--data", data, "--http", good,
            "--tls-cert", s.defn, NULL);
    cr_expect_eq(r.status, 1, "%s", r.err);
    cr_expect(strstr(r.err, "--tls-cert and --tls-key go together") != NULL, "%s", r.err);
    e2e_out_free(&r);
    e2e_app(&r, "vote", "server", "--defn", s.defn, "--keys", key, "--data", data, "--http", good,
            "--tls-cert", s.defn, "--tls-key", s.defn, NULL);
    cr_expect_eq(r.status, 1, "%s", r.err);
    cr_expect(strstr(r.err, "plain http") != NULL, "%s", r.err);
    e2e_out_free(&r);
    e2e_app(&r, "vote", "server", "--defn", s.defn, "--keys", key, "--data", data, "--http", good,
            "--web", "/nonexistent-web", NULL);
    cr_expect_eq(r.status, 1, "%s", r.err);
    cr_expect(strstr(r.err, "--web /nonexistent-web") != NULL, "%s", r.err);
    e2e_out_free(&r);
    char wild[32];
    snprintf(wild, sizeof wild, "0.0.0.0:%d", s.http_port[0]);
    e2e_app(&r, "vote", "server", "--defn", s.defn, "--keys", key, "--data", data, "--http", wild,
            NULL);
    cr_expect_eq(r.status, 1, "%s", r.err);
    cr_expect(strstr(r.err, "a wildcard address") != NULL, "%s", r.err);
    e2e_out_free(&r);
    e2e_app(&r, "vote", "server", "--defn", s.defn, "--keys", key, "--data", data, "--web", s_web,
            NULL);
    cr_expect_eq(r.status, 2, "--web without --http: %s", r.err);
    e2e_out_free(&r);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)s.http_port[0]) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    cr_assert_eq(listen(lfd, 1), 0);
    e2e_app(&r, "vote", "server", "--defn", s.defn, "--keys", key, "--data", data, "--http", good,
            "--web", s_web, NULL);
    cr_expect_eq(r.status, 1, "%s", r.err);
    cr_expect(strstr(r.err, "the port is busy") != NULL, "%s", r.err);
    e2e_out_free(&r);
    close(lfd);
}

/* A whole vote through HTTP: every roll member's envelope POSTed to every
 * server, the close when all are in, then /api/result gives each server's
 * statement and accepted set, exactly the files it wrote. */
Test(http, a_whole_vote_over_http_and_the_published_result)
{
    e2e_session_close = "all_voted";
    e2e_session s;
    s_start(&s);
    for (int w = 0; s_roll[w]; w++) {
        s_voter v;
        s_voter_open(&v, &s, s_roll[w]);
        size_t len;
        uint8_t *env = s_seal(&v, w != 1, app_client_seq(), &len);
        for (int i = 1; i <= 3; i++) {
            e2e_http_resp r;
            e2e_http_post(&r, s.http_port[i - 1], NULL, env, len, "application/octet-stream");
            cr_assert_eq(r.code, 200, "%s to server %d: %s", s_roll[w], i, r.body);
            e2e_http_free(&r);
        }
        free(env);
        s_voter_close(&v);
    }
    e2e_session_wait_results(&s, 60000);
    for (int i = 1; i <= 3; i++) {
        e2e_http_resp r;
        json_t *o = NULL;
        for (int tries = 0; tries < 100; tries++) {   /* written, then published */
            e2e_http_get(&r, s.http_port[i - 1], "/api/result", NULL);
            if (r.code == 200) break;
            e2e_http_free(&r);
            usleep(100000);
        }
        cr_assert_eq(r.code, 200, "%s", r.body);
        cr_assert_not_null(o = e2e_json(r.body), "%s", r.body);
        char p[E2E_PATH + 32];
        size_t sl, al;
        snprintf(p, sizeof p, "%s/d%d/result.stmt", s.dir, i);
        uint8_t *stmt = (uint8_t *)e2e_read(p, &sl);
        snprintf(p, sizeof p, "%s/d%d/accepted.json", s.dir, i);
        char *acc = e2e_read(p, &al);
        char *hex = malloc(2 * sl + 1);
        sodium_bin2hex(hex, 2 * sl + 1, stmt, sl);
        cr_expect_str_eq(e2e_jstr(o, "statement"), hex);
        json_t *want = e2e_json(acc);
        cr_expect(json_equal(json_object_get(o, "accepted"), want), "accepted is accepted.json");
        json_decref(want);
        free(hex);
        free(stmt);
        free(acc);
        json_decref(o);
        e2e_http_free(&r);
    }
    e2e_session_stop(&s, NULL);
}

/* HTTPS with a self-signed certificate (openssl and curl as the tools: the
 * test is skipped without them). */
Test(http, https_with_a_certificate)
{
    if (access("/usr/bin/openssl", X_OK) != 0 || access("/usr/bin/curl", X_OK) != 0)
        cr_skip_test("needs /usr/bin/openssl and /usr/bin/curl");
    char dir[E2E_PATH], cert[E2E_PATH + 16], key[E2E_PATH + 16];
    e2e_tmpdir(dir, sizeof dir, "tls");
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    const char *gen[] = { "/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                          "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                          "-days", "1", "-subj", "/CN=127.0.0.1", NULL };
    e2e_out r;
    e2e_exec(&r, gen, 30000);
    cr_assert_eq(r.status, 0, "openssl: %s", r.err);
    e2e_out_free(&r);
    e2e_session_tls_cert = cert;
    e2e_session_tls_key = key;
    e2e_session s;
    e2e_session_start(&s, "vote", 3, 1, s_roll, NULL, RULES, 30);
    e2e_session_tls_cert = e2e_session_tls_key = NULL;
    s_wait_up(&s);
    char url[96];
    snprintf(url, sizeof url, "https://127.0.0.1:%d/api/status", s.http_port[0]);
    const char *get[] = { "/usr/bin/curl", "-sS", "--cacert", cert, "--max-time", "10", url,
                          NULL };
    int ok = 0;
    for (int tries = 0; tries < 20 && !ok; tries++) {
        e2e_exec(&r, get, 15000);
        ok = r.status == 0 && strstr(r.out, "\"intake\":\"open\"") != NULL;
        if (!ok) {
            e2e_out_free(&r);
            usleep(200000);
        }
    }
    cr_expect(ok, "status over HTTPS, certificate verified");
    if (ok) e2e_out_free(&r);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/status", s.http_port[0]);
    const char *plain[] = { "/usr/bin/curl", "-sS", "--max-time", "5", url, NULL };
    e2e_exec(&r, plain, 15000);
    cr_expect(strstr(r.out, "\"intake\"") == NULL, "no plain HTTP on an HTTPS port: %s", r.out);
    e2e_out_free(&r);
    e2e_session_stop(&s, NULL);
}

/* Reply only after the envelope is durable, over HTTP too: a server that dies
 * between the commit and the answer (failpoint before-receipt) leaves the
 * client without a receipt but keeps the envelope; restarted, it holds it and
 * answers the retry with its receipt. */
Test(http, a_crash_before_the_answer_keeps_the_envelope)
{
    e2e_session s;
    s_start(&s);
    e2e_session_kill(&s, 1);
    e2e_session_restart(&s, 1, "before-receipt");
    s_wait_up(&s);
    s_voter v;
    s_voter_open(&v, &s, "bo");
    size_t len;
    uint8_t *env = s_seal(&v, 1, app_client_seq(), &len);
    int fd = e2e_http_connect(s.http_port[0], NULL);
    cr_assert_geq(fd, 0);
    char head[256];
    int k = snprintf(head, sizeof head, "POST /api/envelope HTTP/1.1\r\nHost: x\r\nContent-Type: "
                     "application/octet-stream\r\nContent-Length: %zu\r\n\r\n", len);
    e2e_http_send_all(fd, head, (size_t)k);
    e2e_http_send_all(fd, env, len);
    char buf[256];
    ssize_t got = 0, n;
    struct pollfd pf = { .fd = fd, .events = POLLIN };
    while (poll(&pf, 1, 10000) > 0 && (n = recv(fd, buf, sizeof buf, 0)) > 0) got += n;
    close(fd);
    cr_expect_eq(got, 0, "no answer from a server that died before it");
    cr_expect_eq(e2e_session_wait_exit(&s, 1, 10000), 128 + SIGKILL, "killed at the failpoint");
    e2e_session_restart(&s, 1, NULL);
    s_wait_up(&s);
    json_t *st = s_status(s.http_port[0]);
    cr_expect_eq(e2e_jint(st, "accepted"), 1, "the envelope was durable before the answer");
    json_decref(st);
    e2e_http_resp r;
    e2e_http_post(&r, s.http_port[0], NULL, env, len, "application/octet-stream");
    cr_expect_eq(r.code, 200, "the retry gets its receipt: %s", r.body);
    e2e_http_free(&r);
    free(env);
    s_voter_close(&v);
    e2e_session_stop(&s, NULL);
}
