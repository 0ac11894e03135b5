/* net_zmq: the CurveZMQ mesh transport of net. Each server binds one CURVE
 * server ROUTER behind a ZAP handler that admits only the other servers' keys,
 * and connects one CURVE client DEALER to each peer (STYLE.md, ZeroMQ pitfalls 1
 * and 2): the sender of a frame is the authenticated User-Id, never a routing
 * id the peer chose. */
#include "common/net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <zmq.h>
#include "common/log.h"
#include "common/net_impl.h"
#include "common/xalloc.h"
#include "common/zap.h"

#define NET_HWM       10000   /* messages per peer queue; a round needs one */
#define NET_MESH_DOMAIN "mesh"

/* Handshake outcome of the connection to a peer, seen by the monitor. */
enum { HS_UNKNOWN = 0, HS_OK, HS_AUTH_FAILED, HS_FAILED };

/* The mesh state behind net.tp. */
typedef struct zmesh {
    void *ctx, *router;
    zap *zap;
    void *dealer[MPC_MAX_SERVERS + 1];
    void *mon[MPC_MAX_SERVERS + 1];       /* monitor of dealer[j], hello phase only */
    int mon_on;                           /* some monitor is open */
    int hs[MPC_MAX_SERVERS + 1];          /* HS_* of dealer[j] */
    int hs_detail[MPC_MAX_SERVERS + 1];   /* ZAP status code or errno */
    char *ep[MPC_MAX_SERVERS + 1];
} zmesh;

static void s_zfree(void *data, void *hint)
{
    net_frame_free(data, (size_t)(uintptr_t)hint);
}

static int s_zmq_send(net *nw, int peer, uint8_t *frame, size_t len)
{
    zmesh *z = nw->tp;
    zmq_msg_t m;
    if (zmq_msg_init_data(&m, frame, len, s_zfree, (void *)(uintptr_t)len) != 0) {
        net_frame_free(frame, len);
        net_core_err(nw, "send to server %d: %s", peer, zmq_strerror(zmq_errno()));
        return ERR_IO;
    }
    for (;;) {
        if (zmq_msg_send(&m, z->dealer[peer], 0) >= 0) return 0;
        if (zmq_errno() != EINTR) break;
    }
    int e = zmq_errno();
    zmq_msg_close(&m);
    if (e == EAGAIN) {
        net_core_err(nw, "timeout: send to server %d (%s) blocked for %d ms (queue full)", peer,
                     z->ep[peer], nw->timeout_ms);
        return ERR_TIMEOUT;
    }
    net_core_err(nw, "send to server %d (%s): %s", peer, z->ep[peer], zmq_strerror(e));
    return ERR_IO;
}

/* Parse an authenticated User-Id: the decimal index of a peer server. */
static int s_user_id(const net *nw, const char *uid)
{
    if (!uid || uid[0] < '1' || uid[0] > '9' || uid[1] != '\0') return 0;
    int j = uid[0] - '0';
    return net_peer_ok(nw, j) ? j : 0;
}

/* Read one monitor event of dealer[j] and record the handshake outcome. */
static void s_mon_read(net *nw, int j)
{
    zmesh *z = nw->tp;
    zmq_msg_t a, b;
    zmq_msg_init(&a);
    zmq_msg_init(&b);
    if (zmq_msg_recv(&a, z->mon[j], ZMQ_DONTWAIT) >= 0 && zmq_msg_more(&a)
        && zmq_msg_recv(&b, z->mon[j], ZMQ_DONTWAIT) >= 0 && zmq_msg_size(&a) >= 6) {
        const uint8_t *d = zmq_msg_data(&a);
        uint16_t ev;
        uint32_t val;
        memcpy(&ev, d, 2);
        memcpy(&val, d + 2, 4);
        if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            z->hs[j] = HS_OK;
        } else if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
            z->hs[j] = HS_AUTH_FAILED;
            z->hs_detail[j] = (int)val;
        } else if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                   || ev == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
            if (z->hs[j] != HS_AUTH_FAILED) {
                z->hs[j] = HS_FAILED;
                z->hs_detail[j] = (int)val;
            }
        }
    }
    zmq_msg_close(&a);
    zmq_msg_close(&b);
}

/* Wait up to timeout_ms for the router to be readable, reading monitor
 * events meanwhile: 1 readable, 0 not, or an error. */
static int s_zmq_wait(net *nw, int timeout_ms)
{
    zmesh *z = nw->tp;
    zmq_pollitem_t it[MPC_MAX_SERVERS + 2];
    int who[MPC_MAX_SERVERS + 2];
    int k = 0;
    it[k] = (zmq_pollitem_t){ z->router, 0, ZMQ_POLLIN, 0 };
    who[k++] = 0;
    for (int j = 1; j <= nw->n; j++) {
        if (!z->mon[j]) continue;
        it[k] = (zmq_pollitem_t){ z->mon[j], 0, ZMQ_POLLIN, 0 };
        who[k++] = j;
    }
    int rc = zmq_poll(it, k, timeout_ms);
    if (rc < 0) {
        if (zmq_errno() == EINTR) return 0;
        net_core_err(nw, "poll: %s", zmq_strerror(zmq_errno()));
        return ERR_IO;
    }
    for (int i = 1; i < k; i++)
        if (it[i].revents & ZMQ_POLLIN) s_mon_read(nw, who[i]);
    return (it[0].revents & ZMQ_POLLIN) != 0;
}

static int s_zmq_recv(net *nw, int timeout_ms, int *from, net_frame *f)
{
    zmesh *z = nw->tp;
    f->data = NULL;
    zmq_msg_t id, m;
    zmq_msg_init(&id);
    zmq_msg_init(&m);
    int rc = 0;
    /* a frame already queued is taken without a poll (one system call less
     * per message once a round's frames are in); the hello phase polls the
     * monitors too */
    int queued = !z->mon_on && zmq_msg_recv(&id, z->router, ZMQ_DONTWAIT) >= 0;
    if (!queued) {
        rc = s_zmq_wait(nw, timeout_ms);
        if (rc <= 0) goto out;
        rc = 0;
        if (zmq_msg_recv(&id, z->router, ZMQ_DONTWAIT) < 0) goto out;   /* spurious wake-up */
    }
    if (!zmq_msg_more(&id) || zmq_msg_recv(&m, z->router, ZMQ_DONTWAIT) < 0) {
        net_core_err(nw, "mesh socket delivered a message without a body");
        rc = ERR_IO;
        goto out;
    }
    int j = s_user_id(nw, zmq_msg_gets(&m, "User-Id"));
    int parts = 1;
    while (zmq_msg_more(&m)) {   /* drain: a frame is exactly one part */
        sodium_memzero(zmq_msg_data(&m), zmq_msg_size(&m));
        zmq_msg_close(&m);
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, z->router, ZMQ_DONTWAIT) < 0) break;
        parts++;
    }
    if (!j) {
        net_core_err(nw, "message without an authenticated server User-Id: dropped");
        log_msg(LOG_WARN, "net S%d: %s", nw->me, nw->err);
        rc = ERR_CRYPTO;
    } else if (parts != 1) {
        net_core_err(nw, "server %d sent a %d-part message: dropped", j, parts);
        log_msg(LOG_WARN, "net S%d: %s", nw->me, nw->err);
        rc = ERR_PROTO;
    } else {
        zmq_msg_t *keep = xmalloc(sizeof *keep);   /* keep the data, no copy */
        zmq_msg_init(keep);
        zmq_msg_move(keep, &m);
        f->owner = keep;
        f->data = zmq_msg_data(keep);
        f->len = zmq_msg_size(keep);
        if (!f->data) f->data = (uint8_t *)"";   /* empty message: still a frame */
        *from = j;
    }
out:
    if (zmq_msg_size(&m)) sodium_memzero(zmq_msg_data(&m), zmq_msg_size(&m));
    zmq_msg_close(&m);
    zmq_msg_close(&id);
    return rc;
}

static void s_zmq_describe(const net *nw, int peer, char *buf, size_t len)
{
    const zmesh *z = nw->tp;
    const char *ep = z->ep[peer] ? z->ep[peer] : "?";
    switch (z->hs[peer]) {
    case HS_AUTH_FAILED:
        snprintf(buf, len, " (%s; it refused our CURVE key, ZAP status %d)", ep,
                 z->hs_detail[peer]);
        break;
    case HS_FAILED:
        snprintf(buf, len, " (%s; CURVE handshake failed: wrong server key?)", ep);
        break;
    case HS_OK:
        snprintf(buf, len, " (%s; connected)", ep);
        break;
    default:
        snprintf(buf, len, " (%s)", ep);
        break;
    }
}

static void s_mon_stop(net *nw)
{
    zmesh *z = nw->tp;
    for (int j = 1; j <= nw->n; j++) {
        if (!z->mon[j]) continue;
        (void)zmq_socket_monitor(z->dealer[j], NULL, 0);
        zmq_close(z->mon[j]);
        z->mon[j] = NULL;
    }
    z->mon_on = 0;
}

static void s_zmq_close(net *nw)
{
    zmesh *z = nw->tp;
    s_mon_stop(nw);
    for (int j = 1; j <= nw->n; j++) {
        if (z->dealer[j]) zmq_close(z->dealer[j]);
        z->dealer[j] = NULL;
    }
    if (z->router) zmq_close(z->router);
    z->router = NULL;
    zap_free(&z->zap);
    if (z->ctx) {
        while (zmq_ctx_term(z->ctx) != 0 && zmq_errno() == EINTR) {}
        z->ctx = NULL;
    }
    for (int j = 1; j <= nw->n; j++) free(z->ep[j]);
    free(z);
    nw->tp = NULL;
}

/* A zmq_msg_t stays valid after its context is gone: frames still buffered
 * when the net closes are released here afterwards. */
static void s_zmq_release(net_frame *f)
{
    zmq_msg_close(f->owner);
    free(f->owner);
}

static const net_ops s_zmq_ops = {
    s_zmq_send, s_zmq_recv, s_zmq_describe, s_zmq_release, s_zmq_close
};

/* Common options of every mesh socket; rcvhwm bounds what a peer may queue. */
static int s_sockopts(void *s, int linger, int timeout_ms, int rcvhwm)
{
    /* reconnect fast (peers come up within milliseconds of each other after
     * intake closes), backing off to 1 s for a peer that stays down */
    int hwm = NET_HWM, ivl = 10, ivl_max = 1000;
    return zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger)
        | zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm)
        | zmq_setsockopt(s, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm)
        | zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout_ms, sizeof timeout_ms)
        | zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl)
        | zmq_setsockopt(s, ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof ivl_max);
}

static int s_cfg_check(const net_zmq_cfg *c, char *err, size_t errlen)
{
    const char *why = NULL;
    if (!c) why = "no configuration";
    else if (c->n < 1 || c->n > MPC_MAX_SERVERS) why = "n out of range";
    else if (c->me < 1 || c->me > c->n) why = "me out of range";
    else if (!c->sid || !c->endpoints || !c->server_pk || !c->my_sk) why = "missing field";
    else if (c->timeout_ms <= 0) why = "timeout must be positive";
    if (!why) {
        for (int i = 0; i < c->n && !why; i++) {
            if (!c->endpoints[i] || !c->endpoints[i][0]) why = "missing endpoint";
            for (int j = 0; j < i && !why; j++)
                if (sodium_memcmp(c->server_pk[i], c->server_pk[j], 32) == 0)
                    why = "two servers share a CURVE key";
        }
    }
    if (!why) {
        uint8_t pk[32];
        if (crypto_scalarmult_base(pk, c->my_sk) != 0
            || sodium_memcmp(pk, c->server_pk[c->me - 1], 32) != 0)
            why = "own secret key does not match own server key";
        sodium_memzero(pk, sizeof pk);
    }
    if (why) {
        if (err && errlen) snprintf(err, errlen, "mesh configuration: %s", why);
        return ERR_ARG;
    }
    return 0;
}

/* Context, ZAP handler, then our CURVE server socket bound at our endpoint:
 * ZAP first, so no CURVE server of this context ever runs without it. */
static int s_mesh_bind(net *nw, const net_zmq_cfg *cfg, int linger)
{
    zmesh *z = nw->tp;
    int64_t maxmsg = (int64_t)NET_HDR_LEN + NET_MAX_PAYLOAD;
    int rc;
    z->ctx = zmq_ctx_new();
    if (!z->ctx) {
        net_core_err(nw, "cannot create a ZeroMQ context: %s", zmq_strerror(zmq_errno()));
        return ERR_IO;
    }
    z->zap = zap_new();
    for (int j = 1; j <= nw->n; j++) {
        if (j == nw->me) continue;
        char uid[12];
        snprintf(uid, sizeof uid, "%d", j);
        if ((rc = zap_add(z->zap, NET_MESH_DOMAIN, cfg->server_pk[j - 1], uid)) != 0) {
            net_core_err(nw, "ZAP table: cannot add the key of server %d", j);
            return rc;
        }
    }
    if ((rc = zap_start(z->zap, z->ctx)) != 0) {
        net_core_err(nw, "cannot start the ZAP handler: %s", err_str(rc));
        return rc;
    }
    z->router = zmq_socket(z->ctx, ZMQ_ROUTER);
    if (!z->router || s_sockopts(z->router, linger, cfg->timeout_ms, NET_HWM) != 0) {
        net_core_err(nw, "cannot create the mesh socket: %s", zmq_strerror(zmq_errno()));
        return ERR_IO;
    }
    if ((rc = zap_curve_server(z->router, cfg->my_sk, NET_MESH_DOMAIN, maxmsg)) != 0) {
        net_core_err(nw, "cannot make the mesh socket a CURVE server: %s", err_str(rc));
        return rc;
    }
    if (zmq_bind(z->router, z->ep[nw->me]) != 0) {
        net_core_err(nw, "bind %s (server %d): %s", z->ep[nw->me], nw->me,
                     zmq_strerror(zmq_errno()));
        return ERR_IO;
    }
    return 0;
}

/* Watch the handshake of dealer[j] during the hello barrier, to explain a
 * silent peer. Best effort: without a monitor the timeout just says less. */
static void s_mon_start(net *nw, int j)
{
    zmesh *z = nw->tp;
    char mon[80];
    snprintf(mon, sizeof mon, "inproc://mpc-net-mon-%p-%d", (void *)nw, j);
    if (zmq_socket_monitor(z->dealer[j], mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                           | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                           | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                           | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0)
        return;
    int zero = 0;
    z->mon[j] = zmq_socket(z->ctx, ZMQ_PAIR);
    z->mon_on = 1;
    if (!z->mon[j]) return;
    (void)zmq_setsockopt(z->mon[j], ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_connect(z->mon[j], mon) != 0) {
        zmq_close(z->mon[j]);
        z->mon[j] = NULL;
    }
}

/* Our CURVE client socket to server j, connected (the handshake runs later). */
static int s_mesh_connect(net *nw, const net_zmq_cfg *cfg, int j, int linger)
{
    zmesh *z = nw->tp;
    void *d = z->dealer[j] = zmq_socket(z->ctx, ZMQ_DEALER);
    /* Nothing is ever read from a DEALER: a peer pushing data back into it
     * gets a one-message queue and a 4 KiB limit (room for the CURVE
     * handshake commands), not our memory. */
    if (!d || s_sockopts(d, linger, cfg->timeout_ms, 1) != 0) {
        net_core_err(nw, "cannot create the socket to server %d: %s", j,
                     zmq_strerror(zmq_errno()));
        return ERR_IO;
    }
    int rc = zap_curve_client(d, cfg->server_pk[j - 1], cfg->my_sk, 4096);
    if (rc != 0) {
        net_core_err(nw, "cannot make the socket to server %d a CURVE client: %s", j,
                     err_str(rc));
        return rc;
    }
    s_mon_start(nw, j);
    if (zmq_connect(d, z->ep[j]) != 0) {
        net_core_err(nw, "connect to server %d at %s: %s", j, z->ep[j],
                     zmq_strerror(zmq_errno()));
        return ERR_IO;
    }
    return 0;
}

int net_zmq_open(net **out, const net_zmq_cfg *cfg, char *err, size_t errlen)
{
    if (!out) return ERR_ARG;
    *out = NULL;
    int rc = s_cfg_check(cfg, err, errlen);
    if (rc) return rc;
    if (!zmq_has("curve")) {
        if (err && errlen) snprintf(err, errlen, "libzmq was built without CURVE");
        return ERR_CRYPTO;
    }
    zmesh *z = xcalloc(1, sizeof *z);
    net *nw = net_core_new(&s_zmq_ops, z, cfg->n, cfg->me, cfg->sid, cfg->timeout_ms);
    int linger = cfg->linger_ms > 0 ? cfg->linger_ms : NET_LINGER_MS;
    for (int j = 1; j <= nw->n; j++) {
        z->ep[j] = strdup(cfg->endpoints[j - 1]);
        if (!z->ep[j]) abort();
    }
    if ((rc = s_mesh_bind(nw, cfg, linger)) != 0) goto fail;
    for (int j = 1; j <= nw->n; j++)
        if (j != nw->me && (rc = s_mesh_connect(nw, cfg, j, linger)) != 0) goto fail;
    int hello = cfg->hello_timeout_ms > 0 ? cfg->hello_timeout_ms : cfg->timeout_ms;
    int quorum = cfg->quorum > 0 && cfg->quorum < cfg->n ? cfg->quorum : cfg->n;
    unsigned got = 0;
    rc = net_core_barrier(nw, NET_TYPE_HELLO, "hello", hello, &got);
    s_mon_stop(nw);
    if (rc == ERR_TIMEOUT && quorum < cfg->n && __builtin_popcount(got) >= quorum) rc = 0;
    /* every server runs the roster when some may go on without the others: a
     * server that heard everyone cannot know that all did */
    if (rc == 0 && quorum < cfg->n) rc = net_core_roster(nw, got, quorum, hello + cfg->timeout_ms);
    if (rc != 0) goto fail;
    *out = nw;
    return 0;
fail:
    if (err && errlen) snprintf(err, errlen, "%s", nw->err);
    net_free(&nw);
    return rc;
}

int net_is_curve(const net *nw)
{
    if (!nw || nw->ops != &s_zmq_ops) return 0;
    const zmesh *z = nw->tp;
    if (!z->router) return 0;
    for (int j = 1; j <= nw->n; j++) {
        void *s = j == nw->me ? z->router : z->dealer[j];
        int mech = -1, server = -1;
        size_t l1 = sizeof mech, l2 = sizeof server;
        if (!s || zmq_getsockopt(s, ZMQ_MECHANISM, &mech, &l1) != 0
            || zmq_getsockopt(s, ZMQ_CURVE_SERVER, &server, &l2) != 0)
            return 0;
        if (mech != ZMQ_CURVE || server != (j == nw->me)) return 0;
    }
    return 1;
}

uint64_t net_refused(const net *nw)
{
    uint64_t refused = 0;
    if (!nw || nw->ops != &s_zmq_ops) return 0;
    const zmesh *z = nw->tp;
    if (z->zap) zap_stats(z->zap, NULL, &refused);
    return refused;
}
