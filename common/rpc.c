/* rpc: intake request/reply over CurveZMQ + ZAP (see rpc.h). */
#include "common/rpc.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>
#include <sodium.h>

#include "common/zap.h"

/* ZMQ_MAXMSGSIZE also bounds the CURVE handshake commands (INITIATE carries the
 * client's metadata), so the limit is the largest request plus this slack. */
#define S_HANDSHAKE_SLACK 1024

struct rpc_server {
    void *zctx;
    void *sock;
    zmq_msg_t msg;             /* the request handed out by the last recv */
    int have_msg;
};

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int rpc_server_open(rpc_server **out, const char *endpoint, const uint8_t sk[32], int64_t max_msg,
                    char *err, size_t errlen)
{
    rpc_server *s = calloc(1, sizeof *s);
    if (!s) return ERR_NOMEM;
    *out = s;
    s->zctx = zmq_ctx_new();
    if (!s->zctx) {
        snprintf(err, errlen, "cannot create a ZeroMQ context");
        return ERR_NOMEM;
    }
    s->sock = zmq_socket(s->zctx, ZMQ_ROUTER);
    int linger = 500, hwm = 10000;   /* bounded queues: a flood is dropped, not buffered */
    zmq_setsockopt(s->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s->sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    if (zap_curve_server(s->sock, sk, NULL, max_msg + S_HANDSHAKE_SLACK) != 0 ||
        zmq_bind(s->sock, endpoint) != 0) {
        snprintf(err, errlen, "cannot bind client endpoint %s: %s", endpoint,
                 zmq_strerror(zmq_errno()));
        return ERR_IO;
    }
    return 0;
}

void rpc_server_free(rpc_server **pp)
{
    rpc_server *s = *pp;
    if (!s) return;
    if (s->have_msg) zmq_msg_close(&s->msg);
    if (s->sock) zmq_close(s->sock);
    if (s->zctx) zmq_ctx_term(s->zctx);
    free(s);
    *pp = NULL;
}

int rpc_server_wait(rpc_server *s, int timeout_ms)
{
    zmq_pollitem_t it = { .socket = s->sock, .events = ZMQ_POLLIN };
    return zmq_poll(&it, 1, timeout_ms) > 0;
}

int rpc_server_wait_fd(rpc_server *s, int timeout_ms, int fd)
{
    zmq_pollitem_t it[2] = { { .socket = s->sock, .events = ZMQ_POLLIN },
                             { .socket = NULL, .fd = fd, .events = ZMQ_POLLIN } };
    if (zmq_poll(it, fd >= 0 ? 2 : 1, timeout_ms) <= 0) return 0;
    return ((it[0].revents & ZMQ_POLLIN) ? 1 : 0) | (fd >= 0 && (it[1].revents & ZMQ_POLLIN) ? 2 : 0);
}

int rpc_server_recv(rpc_server *s, rpc_req *r)
{
    if (s->have_msg) zmq_msg_close(&s->msg);
    s->have_msg = 0;
    for (;;) {
        zmq_msg_t rid;
        zmq_msg_init(&rid);
        if (zmq_msg_recv(&rid, s->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&rid);
            return 0;
        }
        zmq_msg_init(&s->msg);
        s->have_msg = 1;
        int ok = zmq_msg_more(&rid) && zmq_msg_recv(&s->msg, s->sock, 0) >= 0;
        int more = ok && zmq_msg_more(&s->msg);
        while (more) {   /* a request is one frame: drop extra frames */
            zmq_msg_t extra;
            zmq_msg_init(&extra);
            more = zmq_msg_recv(&extra, s->sock, 0) >= 0 && zmq_msg_more(&extra);
            zmq_msg_close(&extra);
            ok = 0;
        }
        size_t rl = zmq_msg_size(&rid);
        if (rl > sizeof r->rid) {   /* cannot be answered: skip it */
            zmq_msg_close(&rid);
            continue;
        }
        memcpy(r->rid, zmq_msg_data(&rid), rl);
        r->rid_len = rl;
        zmq_msg_close(&rid);
        r->data = ok ? zmq_msg_data(&s->msg) : NULL;
        r->len = ok ? zmq_msg_size(&s->msg) : 0;
        return 1;
    }
}

int rpc_server_reply(rpc_server *s, const rpc_req *r, const uint8_t *buf, size_t len)
{
    if (zmq_send(s->sock, r->rid, r->rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) return ERR_IO;
    return zmq_send(s->sock, buf, len, ZMQ_DONTWAIT) < 0 ? ERR_IO : 0;
}

/* ---- client ---- */

/* One ZeroMQ context per client thread, reused across its calls (run-local
 * submits from several threads); sockets are per call. */
static _Thread_local void *s_cctx;
static atomic_uint s_mon_seq;

void rpc_thread_done(void)
{
    if (s_cctx) zmq_ctx_term(s_cctx);
    s_cctx = NULL;
}

typedef struct s_call {
    int n;
    void *sock[MPC_MAX_SERVERS], *mon[MPC_MAX_SERVERS];
    int done[MPC_MAX_SERVERS];
    uint8_t **resp;
    size_t *resp_len;
    char (*errs)[RPC_ERR_LEN];
    int rc;
} s_call;

/* A fresh client key per connection: the client endpoint does not look at it. */
static int s_curve_client(void *sock, const uint8_t server_pk[32])
{
    uint8_t pk[32], sk[32];
    crypto_box_keypair(pk, sk);
    int rc = zap_curve_client(sock, server_pk, sk, 1 << 24);
    sodium_memzero(sk, sizeof sk);
    return rc;
}

static int s_connect(s_call *C, int i, const rpc_peer *p, unsigned call)
{
    C->sock[i] = zmq_socket(s_cctx, ZMQ_DEALER);
    int linger = 1000, ivl = 10, ivl_max = 1000;   /* a server still starting */
    zmq_setsockopt(C->sock[i], ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(C->sock[i], ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(C->sock[i], ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof ivl_max);
    char mep[64];
    snprintf(mep, sizeof mep, "inproc://mon-%u-%d", call, i);
    zmq_socket_monitor(C->sock[i], mep, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                            ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                            ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                                            ZMQ_EVENT_DISCONNECTED);
    C->mon[i] = zmq_socket(s_cctx, ZMQ_PAIR);
    zmq_connect(C->mon[i], mep);
    return s_curve_client(C->sock[i], p->curve_pk) != 0 ||
                   zmq_connect(C->sock[i], p->endpoint) != 0
               ? ERR_IO
               : 0;
}

static void s_fail(s_call *C, int i, int rc, const char *why)
{
    snprintf(C->errs[i], RPC_ERR_LEN, "server %d %s", i + 1, why);
    C->done[i] = 1;
    C->rc = rc;
}

/* A monitor event: first frame is event id (u16) + value (u32). A disconnect
 * right after the reply still counts as answered (read below). */
static int s_monitor_event(s_call *C, int i)
{
    zmq_msg_t ev;
    zmq_msg_init(&ev);
    int evid = 0;
    if (zmq_msg_recv(&ev, C->mon[i], 0) >= 6) {
        uint16_t e16;
        memcpy(&e16, zmq_msg_data(&ev), 2);
        evid = e16;
    }
    int more = zmq_msg_more(&ev);
    zmq_msg_close(&ev);
    while (more) {
        zmq_msg_init(&ev);
        zmq_msg_recv(&ev, C->mon[i], 0);
        more = zmq_msg_more(&ev);
        zmq_msg_close(&ev);
    }
    zmq_pollitem_t pi = { .socket = C->sock[i], .events = ZMQ_POLLIN };
    if (evid == ZMQ_EVENT_DISCONNECTED && zmq_poll(&pi, 1, 100) > 0) return 1;
    if (evid == ZMQ_EVENT_DISCONNECTED)
        s_fail(C, i, ERR_IO, "closed the connection before answering (crashed or "
                             "restarting?); submit again");
    else
        s_fail(C, i, ERR_REFUSED, "failed the encrypted handshake (is its key in the "
                                  "definition the one it runs with?)");
    return 0;
}

static void s_take_reply(s_call *C, int i)
{
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, C->sock[i], 0) >= 0) {
        C->resp_len[i] = zmq_msg_size(&msg);
        C->resp[i] = malloc(C->resp_len[i] ? C->resp_len[i] : 1);
        if (C->resp[i]) memcpy(C->resp[i], zmq_msg_data(&msg), C->resp_len[i]);
        else s_fail(C, i, ERR_NOMEM, "answered, but the reply does not fit in memory");
        C->done[i] = 1;
    }
    zmq_msg_close(&msg);
}

static void s_wait_all(s_call *C, double end)
{
    for (;;) {
        zmq_pollitem_t it[2 * MPC_MAX_SERVERS];
        int map[2 * MPC_MAX_SERVERS], ni = 0;
        for (int i = 0; i < C->n; i++) {
            if (C->done[i]) continue;
            it[ni] = (zmq_pollitem_t){ .socket = C->sock[i], .events = ZMQ_POLLIN };
            map[ni++] = i;
            it[ni] = (zmq_pollitem_t){ .socket = C->mon[i], .events = ZMQ_POLLIN };
            map[ni++] = -1 - i;
        }
        double left = end - s_now();
        if (ni == 0 || left <= 0) return;
        if (zmq_poll(it, ni, (long)(left * 1000) + 1) < 0) return;
        for (int j = 0; j < ni; j++) {
            if (!(it[j].revents & ZMQ_POLLIN)) continue;
            int i = map[j] >= 0 ? map[j] : -1 - map[j];
            if (C->done[i]) continue;
            if (map[j] < 0 && !s_monitor_event(C, i)) continue;
            s_take_reply(C, i);
        }
    }
}

int rpc_call(int n, const rpc_peer *peers, const uint8_t *const *reqs, const size_t *lens,
             uint8_t **resp, size_t *resp_len, char (*errs)[RPC_ERR_LEN], int timeout_ms)
{
    if (n < 1 || n > MPC_MAX_SERVERS) return ERR_ARG;
    if (!s_cctx) s_cctx = zmq_ctx_new();
    if (!s_cctx) return ERR_NOMEM;
    s_call C = { .n = n, .resp = resp, .resp_len = resp_len, .errs = errs };
    unsigned call = atomic_fetch_add(&s_mon_seq, 1);
    for (int i = 0; i < n; i++) {
        resp[i] = NULL;
        resp_len[i] = 0;
        errs[i][0] = 0;
        if (!reqs[i]) {
            C.done[i] = 1;
            continue;
        }
        if (s_connect(&C, i, &peers[i], call) != 0) {
            s_fail(&C, i, ERR_IO, "cannot be reached: the connection cannot be set up");
            continue;
        }
        zmq_send(C.sock[i], reqs[i], lens[i], 0);
    }
    s_wait_all(&C, s_now() + timeout_ms / 1000.0);
    for (int i = 0; i < n; i++) {
        if (!C.done[i]) {
            snprintf(errs[i], RPC_ERR_LEN, "server %d (%s) did not answer within %d ms", i + 1,
                     peers[i].endpoint, timeout_ms);
            C.rc = ERR_TIMEOUT;
        }
        if (C.sock[i]) zmq_socket_monitor(C.sock[i], NULL, 0);
        if (C.mon[i]) zmq_close(C.mon[i]);
        if (C.sock[i]) zmq_close(C.sock[i]);
    }
    return C.rc;
}

/* ---- kept connections ---- */

struct rpc_conn {
    void *zctx;
    int n;
    void *sock[MPC_MAX_SERVERS];
    zmq_msg_t msg;
    int have_msg;
};

int rpc_conn_open(rpc_conn **out, int n, const rpc_peer *peers)
{
    if (n < 1 || n > MPC_MAX_SERVERS) return ERR_ARG;
    rpc_conn *c = calloc(1, sizeof *c);
    if (!c) return ERR_NOMEM;
    *out = c;
    c->n = n;
    c->zctx = zmq_ctx_new();
    if (!c->zctx) return ERR_NOMEM;
    for (int i = 0; i < n; i++) {
        c->sock[i] = zmq_socket(c->zctx, ZMQ_DEALER);
        int linger = 1000, ivl = 10, ivl_max = 1000, hwm = 4096;
        zmq_setsockopt(c->sock[i], ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(c->sock[i], ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
        zmq_setsockopt(c->sock[i], ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof ivl_max);
        zmq_setsockopt(c->sock[i], ZMQ_SNDHWM, &hwm, sizeof hwm);
        zmq_setsockopt(c->sock[i], ZMQ_RCVHWM, &hwm, sizeof hwm);
        if (s_curve_client(c->sock[i], peers[i].curve_pk) != 0 ||
            zmq_connect(c->sock[i], peers[i].endpoint) != 0)
            return ERR_IO;
    }
    return 0;
}

void rpc_conn_free(rpc_conn **pp)
{
    rpc_conn *c = *pp;
    if (!c) return;
    if (c->have_msg) zmq_msg_close(&c->msg);
    for (int i = 0; i < c->n; i++)
        if (c->sock[i]) zmq_close(c->sock[i]);
    if (c->zctx) zmq_ctx_term(c->zctx);
    free(c);
    *pp = NULL;
}

int rpc_conn_send(rpc_conn *c, int i, const uint8_t *buf, size_t len, int timeout_ms)
{
    zmq_setsockopt(c->sock[i], ZMQ_SNDTIMEO, &timeout_ms, sizeof timeout_ms);
    return zmq_send(c->sock[i], buf, len, 0) < 0 ? ERR_TIMEOUT : 0;
}

int rpc_conn_recv(rpc_conn *c, int timeout_ms, int *server, const uint8_t **buf, size_t *len)
{
    if (c->have_msg) zmq_msg_close(&c->msg);
    c->have_msg = 0;
    zmq_pollitem_t it[MPC_MAX_SERVERS];
    for (int i = 0; i < c->n; i++) it[i] = (zmq_pollitem_t){ .socket = c->sock[i], .events = ZMQ_POLLIN };
    if (zmq_poll(it, c->n, timeout_ms) <= 0) return 0;
    for (int i = 0; i < c->n; i++) {
        if (!(it[i].revents & ZMQ_POLLIN)) continue;
        zmq_msg_init(&c->msg);
        if (zmq_msg_recv(&c->msg, c->sock[i], ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&c->msg);
            continue;
        }
        c->have_msg = 1;
        *server = i;
        *buf = zmq_msg_data(&c->msg);
        *len = zmq_msg_size(&c->msg);
        return 1;
    }
    return 0;
}
