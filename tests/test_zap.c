/* test_zap: the RFC 27 handler (replies frame by frame) and CURVE sockets behind
 * it: listed keys get their User-Id, unknown keys and domains are refused, and a
 * server without a handler fails closed. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include <zmq.h>
#include "common/log.h"
#include "common/secmem.h"
#include "common/zap.h"

#define S_MAXMSG (1 << 20)

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
    log_level = LOG_ERROR;   /* refusals are expected here */
}

TestSuite(zap, .init = s_setup, .timeout = 30);

typedef struct kp { uint8_t pk[32], sk[32]; } kp;

static kp s_kp(void)
{
    kp k;
    crypto_box_keypair(k.pk, k.sk);
    return k;
}

static void *s_sock(void *ctx, int type)
{
    void *s = zmq_socket(ctx, type);
    cr_assert_not_null(s);
    int linger = 0, tmo = 2000;
    cr_assert_eq(zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger), 0);
    cr_assert_eq(zmq_setsockopt(s, ZMQ_RCVTIMEO, &tmo, sizeof tmo), 0);
    return s;
}

/* Send a raw ZAP request and read the 6-frame reply: status and user id. */
static void s_ask(void *req, const char *version, const char *domain, const char *mech,
                  const void *cred, size_t cred_len, char status[64], char uid[64])
{
    cr_assert_geq(zmq_send(req, version, strlen(version), ZMQ_SNDMORE), 0);
    cr_assert_geq(zmq_send(req, "id7", 3, ZMQ_SNDMORE), 0);
    cr_assert_geq(zmq_send(req, domain, strlen(domain), ZMQ_SNDMORE), 0);
    cr_assert_geq(zmq_send(req, "127.0.0.1", 9, ZMQ_SNDMORE), 0);
    cr_assert_geq(zmq_send(req, "", 0, ZMQ_SNDMORE), 0);
    cr_assert_geq(zmq_send(req, mech, strlen(mech), ZMQ_SNDMORE), 0);
    cr_assert_geq(zmq_send(req, cred, cred_len, 0), 0);
    char f[6][64];
    int len[6];
    for (int i = 0; i < 6; i++) {
        len[i] = zmq_recv(req, f[i], sizeof f[i] - 1, 0);
        cr_assert_geq(len[i], 0, "reply frame %d missing", i);
        f[i][len[i]] = '\0';
        int more = 0;
        size_t ml = sizeof more;
        zmq_getsockopt(req, ZMQ_RCVMORE, &more, &ml);
        cr_assert_eq(more, i < 5, "frame %d more=%d", i, more);
    }
    cr_assert_str_eq(f[0], "1.0");
    cr_assert_str_eq(f[1], "id7");
    cr_assert_eq(len[5], 0);
    memcpy(status, f[2], 64);
    memcpy(uid, f[4], 64);
}

Test(zap, rfc27_replies_per_domain_and_key)
{
    void *ctx = zmq_ctx_new();
    kp a = s_kp(), b = s_kp(), c = s_kp(), x = s_kp();
    zap *z = zap_new();
    cr_assert_eq(zap_add(z, "client", a.pk, "0"), 0);
    cr_assert_eq(zap_add(z, "client", b.pk, "17"), 0);
    cr_assert_eq(zap_add(z, "mesh", c.pk, "2"), 0);
    cr_assert_eq(zap_add(z, "mesh", a.pk, "3"), 0);   /* same key, other domain */
    cr_assert_eq(zap_start(z, ctx), 0);
    void *req = s_sock(ctx, ZMQ_REQ);
    cr_assert_eq(zmq_connect(req, ZAP_ENDPOINT), 0);
    char st[64], uid[64];
    s_ask(req, "1.0", "client", "CURVE", a.pk, 32, st, uid);
    cr_assert_str_eq(st, "200");
    cr_assert_str_eq(uid, "0");
    s_ask(req, "1.0", "client", "CURVE", b.pk, 32, st, uid);
    cr_assert_str_eq(st, "200");
    cr_assert_str_eq(uid, "17");
    s_ask(req, "1.0", "mesh", "CURVE", a.pk, 32, st, uid);
    cr_assert_str_eq(st, "200");
    cr_assert_str_eq(uid, "3");
    s_ask(req, "1.0", "mesh", "CURVE", b.pk, 32, st, uid);    /* wrong domain */
    cr_assert_str_eq(st, "400");
    cr_assert_str_eq(uid, "");
    s_ask(req, "1.0", "client", "CURVE", x.pk, 32, st, uid);  /* unknown key */
    cr_assert_str_eq(st, "400");
    s_ask(req, "1.0", "other", "CURVE", a.pk, 32, st, uid);   /* unknown domain */
    cr_assert_str_eq(st, "400");
    s_ask(req, "1.0", "client", "PLAIN", a.pk, 32, st, uid);  /* not CURVE */
    cr_assert_str_eq(st, "400");
    s_ask(req, "1.0", "client", "CURVE", a.pk, 31, st, uid);  /* short key */
    cr_assert_str_eq(st, "400");
    s_ask(req, "2.0", "client", "CURVE", a.pk, 32, st, uid);  /* bad version */
    cr_assert_str_eq(st, "500");
    uint64_t ok = 0, refused = 0;
    zap_stats(z, &ok, &refused);
    cr_assert_eq(ok, 3);
    cr_assert_eq(refused, 6);
    zmq_close(req);
    zap_free(&z);
    cr_assert_null(z);
    cr_assert_eq(zmq_ctx_term(ctx), 0);
}

Test(zap, add_and_start_reject_misuse)
{
    void *ctx = zmq_ctx_new();
    kp a = s_kp();
    zap *z = zap_new();
    char longname[40];
    memset(longname, 'd', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    cr_assert_eq(zap_add(z, "", a.pk, "1"), ERR_ARG);
    cr_assert_eq(zap_add(z, longname, a.pk, "1"), ERR_ARG);
    cr_assert_eq(zap_add(z, "mesh", a.pk, ""), ERR_ARG);
    cr_assert_eq(zap_add(z, "mesh", a.pk, longname), ERR_ARG);
    cr_assert_eq(zap_add(z, "mesh", a.pk, "1"), 0);
    cr_assert_eq(zap_add(z, "mesh", a.pk, "2"), ERR_ARG);   /* duplicate key */
    cr_assert_eq(zap_start(z, ctx), 0);
    cr_assert_eq(zap_start(z, ctx), ERR_STATE);
    cr_assert_eq(zap_add(z, "client", a.pk, "1"), ERR_STATE);
    zap *z2 = zap_new();
    cr_assert_eq(zap_start(z2, ctx), ERR_STATE);   /* endpoint taken */
    zap_free(&z2);
    zap_free(&z);
    zap_free(&z);   /* NULL is fine */
    cr_assert_eq(zmq_ctx_term(ctx), 0);
}

/* Wait for a monitor event in mask; returns the event (0 on timeout). */
static int s_event(void *mon, int mask, int timeout_ms, uint32_t *value)
{
    int tmo = timeout_ms;
    zmq_setsockopt(mon, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    for (;;) {
        uint8_t ev[6];
        char ep[256];
        if (zmq_recv(mon, ev, sizeof ev, 0) < 0) return 0;
        if (zmq_recv(mon, ep, sizeof ep, 0) < 0) return 0;
        uint16_t e;
        memcpy(&e, ev, 2);
        if (value) memcpy(value, ev + 2, 4);
        if (e & mask) return e;
    }
}

static void *s_monitor(void *ctx, void *s, const char *name)
{
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://test-mon-%s", name);
    cr_assert_eq(zmq_socket_monitor(s, ep, ZMQ_EVENT_ALL), 0);
    void *m = s_sock(ctx, ZMQ_PAIR);
    cr_assert_eq(zmq_connect(m, ep), 0);
    return m;
}

static void s_bind_any(void *s, char *ep, size_t len)
{
    cr_assert_eq(zmq_bind(s, "tcp://127.0.0.1:*"), 0);
    cr_assert_eq(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len), 0);
}

Test(zap, curve_server_admits_listed_key_and_refuses_unknown)
{
    void *ctx = zmq_ctx_new();
    kp srv = s_kp(), good = s_kp(), bad = s_kp();
    zap *z = zap_new();
    cr_assert_eq(zap_add(z, "client", good.pk, "5"), 0);
    cr_assert_eq(zap_start(z, ctx), 0);
    void *router = s_sock(ctx, ZMQ_ROUTER);
    cr_assert_eq(zap_curve_server(router, srv.sk, "client", S_MAXMSG), 0);
    char ep[128];
    s_bind_any(router, ep, sizeof ep);
    int mech = 0;
    size_t ml = sizeof mech;
    cr_assert_eq(zmq_getsockopt(router, ZMQ_MECHANISM, &mech, &ml), 0);
    cr_assert_eq(mech, ZMQ_CURVE);

    void *intruder = s_sock(ctx, ZMQ_DEALER);
    cr_assert_eq(zap_curve_client(intruder, srv.pk, bad.sk, S_MAXMSG), 0);
    void *mon = s_monitor(ctx, intruder, "intruder");
    cr_assert_eq(zmq_connect(intruder, ep), 0);
    cr_assert_eq(zmq_send(intruder, "forged", 6, 0), 6);

    void *client = s_sock(ctx, ZMQ_DEALER);
    cr_assert_eq(zap_curve_client(client, srv.pk, good.sk, S_MAXMSG), 0);
    cr_assert_eq(zmq_connect(client, ep), 0);
    cr_assert_eq(zmq_send(client, "hello", 5, 0), 5);

    uint32_t status = 0;
    cr_assert_eq(s_event(mon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_SUCCEEDED,
                         3000, &status), ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    cr_assert_eq(status, 400);

    zmq_msg_t id, m;
    zmq_msg_init(&id);
    zmq_msg_init(&m);
    cr_assert_geq(zmq_msg_recv(&id, router, 0), 0);
    cr_assert_geq(zmq_msg_recv(&m, router, 0), 0);
    cr_assert_eq(zmq_msg_size(&m), 5);
    cr_assert_eq(memcmp(zmq_msg_data(&m), "hello", 5), 0);
    const char *uid = zmq_msg_gets(&m, "User-Id");
    cr_assert_not_null(uid);
    cr_assert_str_eq(uid, "5");
    zmq_msg_close(&id);
    zmq_msg_close(&m);
    /* Nothing else arrives: the intruder's message never got through. */
    zmq_pollitem_t it = { router, 0, ZMQ_POLLIN, 0 };
    cr_assert_eq(zmq_poll(&it, 1, 300), 0);
    uint64_t ok = 0, refused = 0;
    zap_stats(z, &ok, &refused);
    cr_assert_eq(ok, 1);
    cr_assert_geq(refused, 1);

    zmq_close(mon);
    zmq_close(intruder);
    zmq_close(client);
    zmq_close(router);
    zap_free(&z);
    cr_assert_eq(zmq_ctx_term(ctx), 0);
}

/* Deliveries to a CURVE server with no ZAP handler in its context, within wait_ms. */
static int s_delivered_without_handler(int enforce, int wait_ms)
{
    void *ctx = zmq_ctx_new();
    kp srv = s_kp(), cli = s_kp();
    void *router = s_sock(ctx, ZMQ_ROUTER);
    if (enforce) {
        cr_assert_eq(zap_curve_server(router, srv.sk, "mesh", S_MAXMSG), 0);
    } else {   /* what a naive setup does: CURVE server with a domain, no enforcement */
        int one = 1;
        cr_assert_eq(zmq_setsockopt(router, ZMQ_ZAP_DOMAIN, "mesh", 4), 0);
        cr_assert_eq(zmq_setsockopt(router, ZMQ_CURVE_SERVER, &one, sizeof one), 0);
        cr_assert_eq(zmq_setsockopt(router, ZMQ_CURVE_SECRETKEY, srv.sk, 32), 0);
    }
    char ep[128];
    s_bind_any(router, ep, sizeof ep);
    void *d = s_sock(ctx, ZMQ_DEALER);
    cr_assert_eq(zap_curve_client(d, srv.pk, cli.sk, S_MAXMSG), 0);
    cr_assert_eq(zmq_connect(d, ep), 0);
    cr_assert_eq(zmq_send(d, "x", 1, 0), 1);
    zmq_pollitem_t it = { router, 0, ZMQ_POLLIN, 0 };
    int got = zmq_poll(&it, 1, wait_ms);
    zmq_close(d);
    zmq_close(router);
    cr_assert_eq(zmq_ctx_term(ctx), 0);
    return got;
}

Test(zap, curve_server_without_handler_fails_closed)
{
    /* The pitfall: without enforcement any key gets in... */
    cr_assert_eq(s_delivered_without_handler(0, 5000), 1);
    /* ...with zap_curve_server (ZMQ_ZAP_ENFORCE_DOMAIN) nothing does. */
    cr_assert_eq(s_delivered_without_handler(1, 500), 0);
}

Test(zap, socket_helpers_reject_bad_arguments)
{
    void *ctx = zmq_ctx_new();
    void *s = s_sock(ctx, ZMQ_DEALER);
    kp k = s_kp();
    cr_assert_eq(zap_curve_server(NULL, k.sk, "mesh", S_MAXMSG), ERR_ARG);
    cr_assert_eq(zap_curve_server(s, k.sk, "", S_MAXMSG), ERR_ARG);
    cr_assert_eq(zap_curve_server(s, k.sk, "mesh", 0), ERR_ARG);
    cr_assert_eq(zap_curve_client(s, NULL, k.sk, S_MAXMSG), ERR_ARG);
    cr_assert_eq(zap_curve_client(s, k.pk, k.sk, -1), ERR_ARG);
    cr_assert_eq(zap_curve_client(s, k.pk, k.sk, S_MAXMSG), 0);
    int mech = 0, server = 1;
    size_t l = sizeof mech;
    cr_assert_eq(zmq_getsockopt(s, ZMQ_MECHANISM, &mech, &l), 0);
    cr_assert_eq(mech, ZMQ_CURVE);
    l = sizeof server;
    cr_assert_eq(zmq_getsockopt(s, ZMQ_CURVE_SERVER, &server, &l), 0);
    cr_assert_eq(server, 0);
    zmq_close(s);
    cr_assert_eq(zmq_ctx_term(ctx), 0);
}
