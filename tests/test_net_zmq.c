/* test_net_zmq: the CurveZMQ mesh behind the net API: vectors exchanged between
 * 3 and 5 parties over tcp and ipc, CURVE on every socket, the hello barrier
 * naming a missing peer or one that refuses our key, unknown CURVE keys
 * refused by ZAP, bad frames from an authorised peer, a party leaving. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include <zmq.h>
#include "common/field.h"
#include "common/log.h"
#include "common/net.h"
#include "common/secmem.h"
#include "common/zap.h"
#include "tests/net_fixture.h"

static field s_F;

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
    cr_assert_eq(field_init_default(&s_F, 32, 40), 0);
    log_level = LOG_ERROR;   /* rejected frames are logged at WARN on purpose */
}

typedef struct mesh {
    int n;
    char dir[64];   /* ipc directory, or "" for tcp */
    char epbuf[MPC_MAX_SERVERS][160];
    const char *ep[MPC_MAX_SERVERS];
    uint8_t pk[MPC_MAX_SERVERS][32], sk[MPC_MAX_SERVERS][32];
    uint8_t sid[MPC_SID_LEN];
} mesh;

static char s_ipc_dir[64];   /* for cleanup in .fini */

static void s_teardown(void)
{
    if (!s_ipc_dir[0]) return;
    DIR *d = opendir(s_ipc_dir);
    if (d) {
        struct dirent *e;
        char p[600];
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            snprintf(p, sizeof p, "%s/%s", s_ipc_dir, e->d_name);
            (void)unlink(p);
        }
        closedir(d);
    }
    (void)rmdir(s_ipc_dir);
}

TestSuite(net_zmq, .init = s_setup, .fini = s_teardown, .timeout = 30);

static void s_mesh_keys(mesh *m, int n)
{
    m->n = n;
    randombytes_buf(m->sid, sizeof m->sid);
    for (int i = 0; i < n; i++) {
        crypto_box_keypair(m->pk[i], m->sk[i]);
        m->ep[i] = m->epbuf[i];
    }
}

/* ipc endpoints in a fresh private directory: no port races under -j2. */
static void s_mesh_ipc(mesh *m, int n)
{
    memset(m, 0, sizeof *m);
    s_mesh_keys(m, n);
    snprintf(m->dir, sizeof m->dir, "/tmp/mpc-net-XXXXXX");
    cr_assert_not_null(mkdtemp(m->dir));
    memcpy(s_ipc_dir, m->dir, sizeof s_ipc_dir);
    for (int i = 0; i < n; i++) snprintf(m->epbuf[i], sizeof m->epbuf[i], "ipc://%s/s%d", m->dir, i + 1);
}

/* Loopback tcp: the kernel picks n distinct free ports (probe sockets bound to
 * tcp://127.0.0.1:* at the same time, read back, closed). */
static void s_mesh_tcp(mesh *m, int n)
{
    memset(m, 0, sizeof *m);
    s_mesh_keys(m, n);
    void *ctx = zmq_ctx_new();
    void *probe[MPC_MAX_SERVERS];
    for (int i = 0; i < n; i++) {
        probe[i] = zmq_socket(ctx, ZMQ_ROUTER);
        cr_assert_eq(zmq_bind(probe[i], "tcp://127.0.0.1:*"), 0);
        size_t len = sizeof m->epbuf[i];
        cr_assert_eq(zmq_getsockopt(probe[i], ZMQ_LAST_ENDPOINT, m->epbuf[i], &len), 0);
    }
    for (int i = 0; i < n; i++) zmq_close(probe[i]);
    zmq_ctx_term(ctx);
}

static net_zmq_cfg s_cfg(const mesh *m, int me, int timeout_ms)
{
    net_zmq_cfg c = {
        .n = m->n, .me = me, .sid = m->sid, .endpoints = m->ep,
        .server_pk = (const uint8_t (*)[32])m->pk, .my_sk = m->sk[me - 1],
        .timeout_ms = timeout_ms, .linger_ms = 200, .hello_timeout_ms = 10000,
    };
    return c;
}

static void s_mesh_exchange(mesh *m)
{
    int n = m->n;
    netfx_round *in = netfx_inputs(&s_F, n, NETFX_M);
    netfx_party *ps = calloc((size_t)n, sizeof *ps);
    for (int i = 0; i < n; i++)
        ps[i] = (netfx_party){ .mesh = 1, .cfg = s_cfg(m, i + 1, 3000), .me = i + 1, .n = n,
                               .run = netfx_exchange, .F = &s_F, .in = in, .cnt = NETFX_M };
    netfx_run(ps, n);
    for (int i = 0; i < n; i++) {
        cr_assert_eq(ps[i].rc_open, 0, "party %d open: %s", i + 1, ps[i].err);
        cr_assert_eq(ps[i].rc, 0, "party %d: %s", i + 1, ps[i].msg);
        cr_assert_eq(ps[i].curve, 1, "party %d has a socket without CURVE", i + 1);
        cr_assert_eq(ps[i].refused, 0);
        cr_assert_lt(ps[i].free_ms, 1000);
    }
    netfx_check_sums(&s_F, ps, n, in, NETFX_M);
    free(ps);
    free(in);
}

Test(net_zmq, mesh_3_partienetfx_exchange_vectors_over_curve_tcp)
{
    mesh m;
    s_mesh_tcp(&m, 3);
    s_mesh_exchange(&m);
}

Test(net_zmq, mesh_5_partienetfx_exchange_vectors_over_curve_ipc)
{
    mesh m;
    s_mesh_ipc(&m, 5);
    s_mesh_exchange(&m);
}

Test(net_zmq, mesh_open_names_the_missing_peer)
{
    mesh m;
    s_mesh_ipc(&m, 3);
    netfx_party ps[2];
    for (int i = 0; i < 2; i++)
        ps[i] = (netfx_party){ .mesh = 1, .cfg = s_cfg(&m, i + 1, 400), .me = i + 1, .n = 3 };
    for (int i = 0; i < 2; i++) ps[i].cfg.hello_timeout_ms = 1000;
    int64_t t0 = netfx_ms();
    netfx_run(ps, 2);
    cr_assert_lt(netfx_ms() - t0, 3000);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(ps[i].rc_open, ERR_TIMEOUT, "%s", ps[i].err);
        char want[256];
        snprintf(want, sizeof want, "no hello from server 3 (%s", m.ep[2]);
        cr_assert_not_null(strstr(ps[i].err, want), "'%s'", ps[i].err);
        cr_assert_not_null(strstr(ps[i].err, "within 1000 ms"), "'%s'", ps[i].err);
        cr_assert_null(strstr(ps[i].err, "server 1 ("));
        cr_assert_null(strstr(ps[i].err, "server 2 ("));
    }
}

Test(net_zmq, mesh_open_names_a_peer_that_refuses_our_key)
{
    mesh m;
    s_mesh_ipc(&m, 2);
    /* Server 1 believes server 2 has key X: it refuses server 2's real key. */
    uint8_t view1[2][32], xsk[32];
    memcpy(view1[0], m.pk[0], 32);
    crypto_box_keypair(view1[1], xsk);
    netfx_party ps[2];
    ps[0] = (netfx_party){ .mesh = 1, .cfg = s_cfg(&m, 1, 600), .me = 1, .n = 2 };
    ps[0].cfg.server_pk = (const uint8_t (*)[32])view1;
    ps[1] = (netfx_party){ .mesh = 1, .cfg = s_cfg(&m, 2, 600), .me = 2, .n = 2 };
    ps[0].cfg.hello_timeout_ms = ps[1].cfg.hello_timeout_ms = 1000;
    netfx_run(ps, 2);
    cr_assert_eq(ps[0].rc_open, ERR_TIMEOUT);
    cr_assert_not_null(strstr(ps[0].err, "no hello from server 2"), "%s", ps[0].err);
    cr_assert_eq(ps[1].rc_open, ERR_TIMEOUT);
    cr_assert_not_null(strstr(ps[1].err, "no hello from server 1"), "%s", ps[1].err);
    cr_assert_not_null(strstr(ps[1].err, "refused our CURVE key, ZAP status 400"), "%s",
                       ps[1].err);
}

Test(net_zmq, mesh_open_rejects_bad_configuration)
{
    mesh m;
    s_mesh_ipc(&m, 3);
    net *nw = (net *)&m;   /* must be reset to NULL on failure */
    char err[256];
    net_zmq_cfg c = s_cfg(&m, 1, 300);
    c.my_sk = m.sk[1];
    cr_assert_eq(net_zmq_open(&nw, &c, err, sizeof err), ERR_ARG);
    cr_assert_null(nw);
    cr_assert_not_null(strstr(err, "own secret key"), "%s", err);
    uint8_t dup[3][32];
    memcpy(dup, m.pk, sizeof dup);
    memcpy(dup[2], dup[1], 32);
    c = s_cfg(&m, 1, 300);
    c.server_pk = (const uint8_t (*)[32])dup;
    cr_assert_eq(net_zmq_open(&nw, &c, err, sizeof err), ERR_ARG);
    cr_assert_not_null(strstr(err, "share a CURVE key"), "%s", err);
    c = s_cfg(&m, 4, 300);
    cr_assert_eq(net_zmq_open(&nw, &c, err, sizeof err), ERR_ARG);
    c = s_cfg(&m, 1, 0);
    cr_assert_eq(net_zmq_open(&nw, &c, err, sizeof err), ERR_ARG);
    const char *eps[3] = { "tcp://no-such-host-name.invalid:1", m.ep[1], m.ep[2] };
    c = s_cfg(&m, 1, 300);
    c.endpoints = eps;
    cr_assert_eq(net_zmq_open(&nw, &c, err, sizeof err), ERR_IO);
    cr_assert_not_null(strstr(err, "bind tcp://no-such-host-name.invalid:1"), "%s", err);
    cr_assert_null(nw);
}

/* Party 1 waits for a message from 2 that an intruder forges; party 2 stays
 * silent until party 1 is done. */
typedef struct intr {
    pthread_barrier_t bar;
} intr;

static intr s_intr;

static int s_victim(netfx_party *p, net *nw)
{
    int rc = 0;
    if (p->me == 1) {
        uint8_t *pl = NULL;
        size_t len = 0;
        rc = net_recv(nw, 2, 4, 1, &pl, &len);
        free(pl);
        p->refused = net_refused(nw);
        snprintf(p->msg, sizeof p->msg, "%s", net_errmsg(nw));
        pthread_barrier_wait(&s_intr.bar);
        int rc2 = net_send(nw, 2, 5, 1, (const uint8_t *)"done", 4);
        if (rc2) return 1000 + rc2;
    } else {
        pthread_barrier_wait(&s_intr.bar);
        uint8_t *pl = NULL;
        size_t len = 0;
        rc = net_recv(nw, 1, 5, 1, &pl, &len);
        free(pl);
    }
    if (rc == 0 || rc == ERR_TIMEOUT) {
        int rb = net_bye(nw);
        if (rb) return 2000 + rb;
    }
    return rc;
}

static void *s_victim_thread(void *arg)
{
    netfx_party *p = arg;
    p->rc_open = net_zmq_open(&p->nw, &p->cfg, p->err, sizeof p->err);
    if (p->rc_open) {
        pthread_barrier_wait(&s_intr.bar);
        return NULL;
    }
    p->rc = s_victim(p, p->nw);
    if (p->me == 1) {
        char keep[256];
        snprintf(keep, sizeof keep, "%s", p->msg);
        uint64_t r = p->refused;
        net_free(&p->nw);
        snprintf(p->msg, sizeof p->msg, "%s", keep);
        p->refused = r;
    } else {
        net_free(&p->nw);
    }
    return NULL;
}

Test(net_zmq, mesh_refuses_a_client_with_an_unknown_key)
{
    mesh m;
    s_mesh_tcp(&m, 2);
    pthread_barrier_init(&s_intr.bar, NULL, 2);
    netfx_party ps[2];
    for (int i = 0; i < 2; i++)
        ps[i] = (netfx_party){ .mesh = 1, .cfg = s_cfg(&m, i + 1, 700), .me = i + 1, .n = 2 };
    ps[1].cfg.timeout_ms = 3000;
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, s_victim_thread, &ps[i]);

    /* The intruder: a CURVE client with a fresh key, claiming to be server 2. */
    void *ctx = zmq_ctx_new();
    uint8_t ipk[32], isk[32];
    crypto_box_keypair(ipk, isk);
    void *d = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    cr_assert_eq(zap_curve_client(d, m.pk[0], isk, 1 << 20), 0);
    cr_assert_eq(zmq_socket_monitor(d, "inproc://intruder-mon", ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                                    | ZMQ_EVENT_HANDSHAKE_SUCCEEDED), 0);
    void *mon = zmq_socket(ctx, ZMQ_PAIR);
    zmq_setsockopt(mon, ZMQ_LINGER, &zero, sizeof zero);
    cr_assert_eq(zmq_connect(mon, "inproc://intruder-mon"), 0);
    cr_assert_eq(zmq_connect(d, m.ep[0]), 0);
    uint8_t f[NET_HDR_LEN + 8];
    size_t len = netfx_frame(f, m.sid, 2, 4, 1, "forged");
    cr_assert_eq(zmq_send(d, f, len, 0), (int)len);
    int tmo = 3000;
    zmq_setsockopt(mon, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    uint8_t ev[6];
    char ep[256];
    cr_assert_eq(zmq_recv(mon, ev, sizeof ev, 0), 6);
    cr_assert_geq(zmq_recv(mon, ep, sizeof ep, 0), 0);
    uint16_t e;
    uint32_t status;
    memcpy(&e, ev, 2);
    memcpy(&status, ev + 2, 4);
    cr_assert_eq(e, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    cr_assert_eq(status, 400);

    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    zmq_close(mon);
    zmq_close(d);
    zmq_ctx_term(ctx);
    pthread_barrier_destroy(&s_intr.bar);
    cr_assert_eq(ps[0].rc_open, 0, "%s", ps[0].err);
    cr_assert_eq(ps[1].rc_open, 0, "%s", ps[1].err);
    cr_assert_eq(ps[0].rc, ERR_TIMEOUT, "party 1 got %d: %s", ps[0].rc, ps[0].msg);
    cr_assert_not_null(strstr(ps[0].msg, "server 2 silent at step 1 (type 4)"), "%s", ps[0].msg);
    cr_assert_geq(ps[0].refused, 1);
    cr_assert_eq(ps[1].rc, 0, "party 2: %d %s", ps[1].rc, ps[1].msg);
}

/* Party 2 (authorised) sends every kind of bad frame to party 1. */
static net *s_bad_peer_net[2];
static pthread_barrier_t s_bad_bar;

static int s_bad_frames_run(netfx_party *p, net *nw)
{
    (void)p;
    s_bad_peer_net[net_me(nw) - 1] = nw;
    pthread_barrier_wait(&s_bad_bar);   /* both open */
    pthread_barrier_wait(&s_bad_bar);   /* main thread ran the checks */
    return 0;
}

Test(net_zmq, mesh_rejects_bad_frames_from_an_authorised_peer)
{
    mesh m;
    s_mesh_ipc(&m, 2);
    pthread_barrier_init(&s_bad_bar, NULL, 3);
    netfx_party ps[2];
    for (int i = 0; i < 2; i++)
        ps[i] = (netfx_party){ .mesh = 1, .cfg = s_cfg(&m, i + 1, 1500), .me = i + 1, .n = 2,
                               .run = s_bad_frames_run, .bar = &s_bad_bar };
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, netfx_party_main, &ps[i]);
    pthread_barrier_wait(&s_bad_bar);
    /* Both parties are parked on the barrier: drive their nets from here (one
     * thread at a time per socket; the barrier orders the memory accesses). */
    if (ps[0].rc_open || ps[1].rc_open) {
        pthread_barrier_wait(&s_bad_bar);
        for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
        cr_assert_fail("open: %s / %s", ps[0].err, ps[1].err);
    }
    netfx_bad_frames(s_bad_peer_net[1], s_bad_peer_net[0], m.sid);
    /* And the other direction, with the same rules. */
    netfx_bad_frames(s_bad_peer_net[0], s_bad_peer_net[1], m.sid);
    /* A second connection holding server 2's key: authenticated as server 2 by
     * its key, whatever the connection; a multipart message is refused. */
    void *ctx = zmq_ctx_new();
    void *d = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    cr_assert_eq(zap_curve_client(d, m.pk[0], m.sk[1], 4096), 0);
    cr_assert_eq(zmq_connect(d, m.ep[0]), 0);
    uint8_t f[NET_HDR_LEN + 8];
    size_t len = netfx_frame(f, m.sid, 2, 4, 7, "two");
    cr_assert_eq(zmq_send(d, f, len, ZMQ_SNDMORE), (int)len);
    cr_assert_eq(zmq_send(d, "more", 4, 0), 4);
    netfx_expect_err(s_bad_peer_net[0], 2, 4, 7, ERR_PROTO, "server 2 sent a 2-part message");
    cr_assert_eq(zmq_send(d, f, len, 0), (int)len);
    netfx_expect(s_bad_peer_net[0], 2, 4, 7, "two");
    zmq_close(d);
    zmq_ctx_term(ctx);
    pthread_barrier_wait(&s_bad_bar);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&s_bad_bar);
}

/* Party 3 leaves after round 1; parties 1 and 2 time out naming it. */
static int s_leaver(netfx_party *p, net *nw)
{
    (void)p;
    int n = net_n(nw), me = net_me(nw);
    fe v[8] = { 1, 2, 3, 4, 5, 6, 7, (fe)me }, w[8];
    for (int j = 1; j <= n; j++)
        if (j != me && net_send_vec(nw, j, 3, 1, &s_F, v, 8)) return 100;
    for (int j = 1; j <= n; j++)
        if (j != me && (net_recv_vec(nw, j, 3, 1, &s_F, w, 8) || w[7] != (fe)j)) return 101;
    if (me == 3) return 0;   /* leaves: net_free without bye */
    for (int j = 1; j <= 2; j++)
        if (j != me && net_send_vec(nw, j, 3, 2, &s_F, v, 8)) return 102;
    int other = me == 1 ? 2 : 1;
    if (net_recv_vec(nw, other, 3, 2, &s_F, w, 8)) return 103;
    return net_recv_vec(nw, 3, 3, 2, &s_F, w, 8);
}

Test(net_zmq, mesh_party_leaving_mid_protocol_is_named_in_a_timeout)
{
    mesh m;
    s_mesh_ipc(&m, 3);
    netfx_party ps[3];
    for (int i = 0; i < 3; i++)
        ps[i] = (netfx_party){ .mesh = 1, .cfg = s_cfg(&m, i + 1, 500), .me = i + 1, .n = 3,
                               .run = s_leaver };
    netfx_run(ps, 3);
    for (int i = 0; i < 3; i++) cr_assert_eq(ps[i].rc_open, 0, "%s", ps[i].err);
    cr_assert_eq(ps[2].rc, 0);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(ps[i].rc, ERR_TIMEOUT, "party %d: %d %s", i + 1, ps[i].rc, ps[i].msg);
        cr_assert_str_eq(ps[i].msg, "timeout: server 3 silent at step 2 (type 3) after 500 ms");
        cr_assert_lt(ps[i].free_ms, 1000);
    }
}
