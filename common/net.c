/* net: one message layer (header, validation, buffering of future messages,
 * timeouts, barriers) over two transports behind a small vtable: an in-process
 * hub (threads, mutex + condvar queues) and a CurveZMQ mesh (one CURVE server
 * ROUTER per party behind a ZAP handler, one CURVE client DEALER per peer). */
#include "common/net.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include <zmq.h>
#include "common/log.h"
#include "common/zap.h"

#define NET_MAX_BUFFERED_BYTES (2 * (size_t)NET_MAX_PAYLOAD)
#define NET_HWM       10000   /* messages per peer queue; a round needs one */
#define NET_MESH_DOMAIN "mesh"

/* Handshake outcome of the connection to a peer, seen by the monitor. */
enum { HS_UNKNOWN = 0, HS_OK, HS_AUTH_FAILED, HS_FAILED };

/* A received frame (header + payload): either a malloc'd block (zmsg NULL) or
 * the data of a received zmq_msg_t (zmsg, malloc'd), kept to avoid a copy. */
typedef struct net_frame {
    uint8_t *data;
    size_t len;
    void *zmsg;
} net_frame;

/* A buffered message. */
typedef struct net_msg {
    uint64_t step;
    uint8_t type;
    net_frame f;
} net_msg;

typedef struct net_ops {
    /* Send a whole frame to peer; takes ownership of frame (malloc'd). */
    int (*send)(net *nw, int peer, uint8_t *frame, size_t len);
    /* Wait up to timeout_ms for one frame: 0 with f->data set and *from the
     * authenticated sender, 0 with f->data NULL if nothing arrived, or an error
     * with nw->err set. */
    int (*recv)(net *nw, int timeout_ms, int *from, net_frame *f);
    /* Text naming peer's endpoint and handshake state, e.g. " (tcp://...)". */
    void (*describe)(const net *nw, int peer, char *buf, size_t len);
    void (*close)(net *nw);
} net_ops;

struct net {
    const net_ops *ops;
    int n, me, timeout_ms;
    uint8_t sid[NET_SID_LEN];
    uint64_t next[NET_MAX_PARTIES + 1][256];         /* next unconsumed step */
    net_msg inbox[NET_MAX_PARTIES + 1][NET_MAX_BUFFERED];
    int inbox_n[NET_MAX_PARTIES + 1];
    size_t inbox_bytes[NET_MAX_PARTIES + 1];
    uint64_t msgs_sent, bytes_sent;
    char err[1024];
    /* in-process hub */
    net_hub *hub;
    /* CurveZMQ mesh */
    void *ctx, *router;
    zap *zap;
    void *dealer[NET_MAX_PARTIES + 1];
    void *mon[NET_MAX_PARTIES + 1];       /* monitor of dealer[j], hello phase only */
    int hs[NET_MAX_PARTIES + 1];          /* HS_* of dealer[j] */
    int hs_detail[NET_MAX_PARTIES + 1];   /* ZAP status code or errno */
    char *ep[NET_MAX_PARTIES + 1];
};

__attribute__((format(printf, 2, 3)))
static void s_err(net *nw, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(nw->err, sizeof nw->err, fmt, ap);
    va_end(ap);
}

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_frame_free(uint8_t *frame, size_t len)
{
    if (!frame) return;
    sodium_memzero(frame, len);   /* frames carry shares */
    free(frame);
}

static void s_release(net_frame *f)
{
    if (f->zmsg) {
        if (f->len) sodium_memzero(f->data, f->len);
        zmq_msg_close(f->zmsg);
        free(f->zmsg);
    } else {
        s_frame_free(f->data, f->len);
    }
    memset(f, 0, sizeof *f);
}

static void *s_xmalloc(size_t len)
{
    void *p = malloc(len ? len : 1);
    if (!p) abort();
    return p;
}

/* ---- header ----------------------------------------------------------------- */

static void s_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);  p[3] = (uint8_t)v;
}

static uint32_t s_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void net_hdr_encode(uint8_t out[NET_HDR_LEN], const net_hdr *h)
{
    s_put32(out, h->magic);
    out[4] = h->version;
    out[5] = h->type;
    out[6] = h->sender;
    out[7] = h->reserved;
    memcpy(out + 8, h->sid, NET_SID_LEN);
    s_put32(out + 40, (uint32_t)(h->step >> 32));
    s_put32(out + 44, (uint32_t)h->step);
    s_put32(out + 48, h->len);
}

/* Decode; *why names the first defect. */
static int s_hdr_parse(net_hdr *h, const uint8_t *in, size_t in_len, const char **why)
{
    *why = "truncated header";
    if (!in || in_len < NET_HDR_LEN) return ERR_PARSE;
    h->magic = s_get32(in);
    h->version = in[4];
    h->type = in[5];
    h->sender = in[6];
    h->reserved = in[7];
    memcpy(h->sid, in + 8, NET_SID_LEN);
    h->step = (uint64_t)s_get32(in + 40) << 32 | s_get32(in + 44);
    h->len = s_get32(in + 48);
    if (h->magic != NET_MAGIC) { *why = "bad magic"; return ERR_PARSE; }
    if (h->version != NET_VERSION) { *why = "unsupported version"; return ERR_PARSE; }
    if (h->reserved != 0) { *why = "reserved byte not zero"; return ERR_PARSE; }
    if (h->len > NET_MAX_PAYLOAD) { *why = "payload length over the limit"; return ERR_PARSE; }
    *why = NULL;
    return 0;
}

int net_hdr_decode(net_hdr *h, const uint8_t *in, size_t in_len)
{
    const char *why;
    return s_hdr_parse(h, in, in_len, &why);
}

/* ---- common message layer --------------------------------------------------- */

static net *s_net_new(const net_ops *ops, int n, int me, const uint8_t *sid, int timeout_ms)
{
    net *nw = calloc(1, sizeof *nw);
    if (!nw) abort();
    nw->ops = ops;
    nw->n = n;
    nw->me = me;
    nw->timeout_ms = timeout_ms;
    memcpy(nw->sid, sid, NET_SID_LEN);
    snprintf(nw->err, sizeof nw->err, "no error");
    return nw;
}

/* Build and send a frame (header + payload) without argument policy checks. */
static int s_send(net *nw, int peer, uint8_t type, uint64_t step,
                  const uint8_t *payload, size_t len)
{
    uint8_t *frame = s_xmalloc(NET_HDR_LEN + len);
    net_hdr h = { .magic = NET_MAGIC, .version = NET_VERSION, .type = type,
                  .sender = (uint8_t)nw->me, .step = step, .len = (uint32_t)len };
    memcpy(h.sid, nw->sid, NET_SID_LEN);
    net_hdr_encode(frame, &h);
    if (len) memcpy(frame + NET_HDR_LEN, payload, len);
    int rc = nw->ops->send(nw, peer, frame, NET_HDR_LEN + len);
    if (rc == 0) {
        nw->msgs_sent++;
        nw->bytes_sent += NET_HDR_LEN + len;
    }
    return rc;
}

static int s_find(const net *nw, int from, uint8_t type, uint64_t step)
{
    for (int i = 0; i < nw->inbox_n[from]; i++)
        if (nw->inbox[from][i].type == type && nw->inbox[from][i].step == step) return i;
    return -1;
}

static void s_drop(net *nw, int from, int i)
{
    net_msg *q = nw->inbox[from];
    nw->inbox_bytes[from] -= q[i].f.len;
    s_release(&q[i].f);
    memmove(&q[i], &q[i + 1], (size_t)(nw->inbox_n[from] - i - 1) * sizeof *q);
    nw->inbox_n[from]--;
}

/* Take the buffered message i out of the inbox: its frame (header included)
 * goes to the caller (s_release). Marks its step consumed and drops buffered
 * messages of that (sender, type) now in the past. */
static void s_take(net *nw, int from, int i, net_frame *f)
{
    net_msg *m = &nw->inbox[from][i];
    uint8_t type = m->type;
    *f = m->f;
    nw->next[from][type] = m->step + 1;
    nw->inbox_bytes[from] -= m->f.len;
    memmove(m, m + 1, (size_t)(nw->inbox_n[from] - i - 1) * sizeof *m);
    nw->inbox_n[from]--;
    for (int j = nw->inbox_n[from] - 1; j >= 0; j--)
        if (nw->inbox[from][j].type == type && nw->inbox[from][j].step < nw->next[from][type])
            s_drop(nw, from, j);
}

/* Validate a frame authenticated as coming from server `from` and buffer it.
 * Takes ownership of f. On a defect the frame is dropped and logged, and the
 * error (naming the sender) is returned. */
static int s_accept(net *nw, int from, net_frame *f)
{
    const uint8_t *frame = f->data;
    size_t flen = f->len;
    net_hdr h;
    const char *why;
    int rc = ERR_PROTO;
    if (s_hdr_parse(&h, frame, flen, &why) != 0) {
        s_err(nw, "server %d sent a malformed frame (%s, %zu bytes): dropped", from, why, flen);
    } else if (h.len != flen - NET_HDR_LEN) {
        s_err(nw, "server %d sent a frame whose header announces %" PRIu32 " payload bytes "
              "but carries %zu: dropped", from, h.len, flen - NET_HDR_LEN);
    } else if (h.sender != from) {
        s_err(nw, "frame authenticated as server %d claims sender %u: forged, dropped",
              from, h.sender);
        rc = ERR_CRYPTO;
    } else if (sodium_memcmp(h.sid, nw->sid, NET_SID_LEN) != 0) {
        s_err(nw, "server %d sent step %" PRIu64 " (type %u) for another session id: dropped",
              from, h.step, h.type);
    } else if (h.type >= NET_TYPE_RESERVED
               && ((h.type != NET_TYPE_HELLO && h.type != NET_TYPE_BYE) || h.step != 0)) {
        s_err(nw, "server %d sent reserved message type %u (step %" PRIu64 "): dropped",
              from, h.type, h.step);
    } else if (h.step == UINT64_MAX) {
        s_err(nw, "server %d sent the out-of-range step 2^64-1: dropped", from);
    } else if (h.step < nw->next[from][h.type]) {
        s_err(nw, "server %d replayed step %" PRIu64 " (type %u), already consumed: dropped",
              from, h.step, h.type);
    } else if (s_find(nw, from, h.type, h.step) >= 0) {
        s_err(nw, "server %d sent step %" PRIu64 " (type %u) twice: dropped",
              from, h.step, h.type);
    } else if (nw->inbox_n[from] >= NET_MAX_BUFFERED
               || nw->inbox_bytes[from] + flen > NET_MAX_BUFFERED_BYTES) {
        s_err(nw, "server %d sent more than %d messages (or bytes) ahead: flooding, "
              "step %" PRIu64 " (type %u) dropped", from, NET_MAX_BUFFERED, h.step, h.type);
    } else {
        net_msg *m = &nw->inbox[from][nw->inbox_n[from]++];
        m->step = h.step;
        m->type = h.type;
        m->f = *f;
        nw->inbox_bytes[from] += flen;
        return 0;
    }
    log_msg(LOG_WARN, "net S%d: %s", nw->me, nw->err);
    s_release(f);
    return rc;
}

/* Receive and buffer at most one frame within timeout_ms: 1 if a frame was
 * buffered, 0 if nothing arrived, or an error. */
static int s_pull(net *nw, int timeout_ms)
{
    int from = 0;
    net_frame f = { 0 };
    int rc = nw->ops->recv(nw, timeout_ms, &from, &f);
    if (rc != 0) return rc;
    if (!f.data) return 0;
    rc = s_accept(nw, from, &f);
    return rc < 0 ? rc : 1;
}

static int s_remaining(int64_t deadline)
{
    int64_t rem = deadline - s_now_ms();
    return rem < 0 ? 0 : rem > INT32_MAX ? INT32_MAX : (int)rem;
}

static int s_peer_ok(const net *nw, int peer)
{
    return peer >= 1 && peer <= nw->n && peer != nw->me;
}

/* Wait for (peer, type, step) and hand out its whole frame (header first). */
static int s_recv(net *nw, int peer, uint8_t type, uint64_t step, net_frame *f)
{
    if (step < nw->next[peer][type]) {
        s_err(nw, "recv: step %" PRIu64 " (type %u) from server %d was already consumed",
              step, type, peer);
        return ERR_STATE;
    }
    int64_t deadline = s_now_ms() + nw->timeout_ms;
    for (;;) {
        int i = s_find(nw, peer, type, step);
        if (i >= 0) {
            s_take(nw, peer, i, f);
            return 0;
        }
        int rem = s_remaining(deadline);
        int rc = s_pull(nw, rem);
        if (rc < 0) return rc;
        if (rc == 0 && s_remaining(deadline) == 0) {
            s_err(nw, "timeout: server %d silent at step %" PRIu64 " (type %u) after %d ms",
                  peer, step, type, nw->timeout_ms);
            return ERR_TIMEOUT;
        }
    }
}

/* Hello or bye barrier: send one to every peer, wait for one from every peer. */
static int s_barrier(net *nw, uint8_t type, const char *what, int timeout_ms)
{
    int got[NET_MAX_PARTIES + 1] = { 0 };
    for (int j = 1; j <= nw->n; j++) {
        if (j == nw->me) continue;
        if (nw->next[j][type] > 0) {
            s_err(nw, "%s barrier already done", what);
            return ERR_STATE;
        }
    }
    for (int j = 1; j <= nw->n; j++) {
        if (j == nw->me) continue;
        int rc = s_send(nw, j, type, 0, NULL, 0);
        if (rc != 0) return rc;
    }
    int64_t deadline = s_now_ms() + timeout_ms;
    for (;;) {
        int missing = 0;
        for (int j = 1; j <= nw->n; j++) {
            if (j == nw->me || got[j]) continue;
            int i = s_find(nw, j, type, 0);
            if (i >= 0) {
                net_frame f;
                s_take(nw, j, i, &f);
                s_release(&f);
                got[j] = 1;
            } else {
                missing++;
            }
        }
        if (!missing) return 0;
        int rc = s_pull(nw, s_remaining(deadline));
        if (rc < 0) return rc;
        if (rc == 0 && s_remaining(deadline) == 0) break;
    }
    size_t pos = (size_t)snprintf(nw->err, sizeof nw->err, "no %s from ", what);
    int first = 1;
    for (int j = 1; j <= nw->n && pos < sizeof nw->err; j++) {
        if (j == nw->me || got[j]) continue;
        char desc[400];
        nw->ops->describe(nw, j, desc, sizeof desc);
        pos += (size_t)snprintf(nw->err + pos, sizeof nw->err - pos, "%sserver %d%s",
                                first ? "" : ", ", j, desc);
        first = 0;
    }
    if (pos < sizeof nw->err)
        snprintf(nw->err + pos, sizeof nw->err - pos, " within %d ms", timeout_ms);
    return ERR_TIMEOUT;
}

/* ---- public message API ----------------------------------------------------- */

int net_me(const net *nw) { return nw->me; }
int net_n(const net *nw) { return nw->n; }
const char *net_errmsg(const net *nw) { return nw ? nw->err : "no transport"; }

void net_stats(const net *nw, uint64_t *msgs_sent, uint64_t *bytes_sent)
{
    if (msgs_sent) *msgs_sent = nw->msgs_sent;
    if (bytes_sent) *bytes_sent = nw->bytes_sent;
}

static int s_check_send(net *nw, int peer, uint8_t type, uint64_t step, const void *payload,
                        size_t len, const char *op)
{
    if (!s_peer_ok(nw, peer)) {
        s_err(nw, "%s: no peer %d (n = %d, me = %d)", op, peer, nw->n, nw->me);
        return ERR_ARG;
    }
    if (type >= NET_TYPE_RESERVED) {
        s_err(nw, "%s to server %d: type %u is reserved for the transport", op, peer, type);
        return ERR_ARG;
    }
    if (step == UINT64_MAX) {
        s_err(nw, "%s to server %d: step 2^64-1 is out of range", op, peer);
        return ERR_ARG;
    }
    if (len > NET_MAX_PAYLOAD || (len && !payload)) {
        s_err(nw, "%s to server %d: bad payload (%zu bytes, limit %u)", op, peer, len,
              NET_MAX_PAYLOAD);
        return ERR_ARG;
    }
    return 0;
}

int net_send(net *nw, int peer, uint8_t type, uint64_t step, const uint8_t *payload, size_t len)
{
    int rc = s_check_send(nw, peer, type, step, payload, len, "send");
    return rc ? rc : s_send(nw, peer, type, step, payload, len);
}

int net_recv(net *nw, int peer, uint8_t type, uint64_t step, uint8_t **payload, size_t *len)
{
    if (!payload || !len) return ERR_ARG;
    *payload = NULL;
    *len = 0;
    if (!s_peer_ok(nw, peer) || type >= NET_TYPE_RESERVED) {
        s_err(nw, "recv: no peer %d or reserved type %u", peer, type);
        return ERR_ARG;
    }
    net_frame f;
    int rc = s_recv(nw, peer, type, step, &f);
    if (rc) return rc;
    *len = f.len - NET_HDR_LEN;
    if (f.zmsg) {
        *payload = s_xmalloc(*len);
        memcpy(*payload, f.data + NET_HDR_LEN, *len);
        s_release(&f);
    } else {
        memmove(f.data, f.data + NET_HDR_LEN, *len);   /* the block stays free()-able */
        sodium_memzero(f.data + *len, NET_HDR_LEN);
        *payload = f.data;
    }
    return 0;
}

int net_send_vec(net *nw, int peer, uint8_t type, uint64_t step,
                 const field *F, const fe *v, size_t m)
{
    if (!F || (m && !v)) return ERR_ARG;
    if (m > NET_MAX_PAYLOAD / F->bytes) {
        s_err(nw, "send_vec to server %d: %zu elements exceed the payload limit", peer, m);
        return ERR_ARG;
    }
    size_t len = m * F->bytes;
    int rc = s_check_send(nw, peer, type, step, v, len, "send_vec");
    if (rc) return rc;
    uint8_t *frame = s_xmalloc(NET_HDR_LEN + len);
    net_hdr h = { .magic = NET_MAGIC, .version = NET_VERSION, .type = type,
                  .sender = (uint8_t)nw->me, .step = step, .len = (uint32_t)len };
    memcpy(h.sid, nw->sid, NET_SID_LEN);
    net_hdr_encode(frame, &h);
    field_encode(F, frame + NET_HDR_LEN, v, m);
    rc = nw->ops->send(nw, peer, frame, NET_HDR_LEN + len);
    if (rc == 0) {
        nw->msgs_sent++;
        nw->bytes_sent += NET_HDR_LEN + len;
    }
    return rc;
}

int net_recv_vec(net *nw, int peer, uint8_t type, uint64_t step,
                 const field *F, fe *v, size_t m)
{
    if (!F || (m && !v)) return ERR_ARG;
    if (!s_peer_ok(nw, peer) || type >= NET_TYPE_RESERVED) {
        s_err(nw, "recv_vec: no peer %d or reserved type %u", peer, type);
        return ERR_ARG;
    }
    net_frame f;
    int rc = s_recv(nw, peer, type, step, &f);
    if (rc) return rc;
    const uint8_t *payload = f.data + NET_HDR_LEN;
    size_t len = f.len - NET_HDR_LEN;
    if (m > NET_MAX_PAYLOAD / F->bytes || len != m * F->bytes) {
        s_err(nw, "server %d sent %zu bytes at step %" PRIu64 " (type %u), expected %zu "
              "elements of %zu bytes", peer, len, step, type, m, F->bytes);
        rc = ERR_PROTO;
    } else if (field_decode(F, v, m, payload, len) != 0) {
        s_err(nw, "server %d sent an element >= p at step %" PRIu64 " (type %u)",
              peer, step, type);
        rc = ERR_PROTO;
    }
    s_release(&f);
    return rc;
}

int net_bye(net *nw)
{
    return s_barrier(nw, NET_TYPE_BYE, "bye", nw->timeout_ms);
}

int net_send_raw(net *nw, int peer, const uint8_t *frame, size_t len)
{
    if (!s_peer_ok(nw, peer) || (len && !frame)) return ERR_ARG;
    uint8_t *copy = s_xmalloc(len);
    if (len) memcpy(copy, frame, len);
    return nw->ops->send(nw, peer, copy, len);
}

void net_free(net **pp)
{
    if (!pp || !*pp) return;
    net *nw = *pp;
    nw->ops->close(nw);
    for (int j = 0; j <= NET_MAX_PARTIES; j++)
        while (nw->inbox_n[j] > 0) s_drop(nw, j, nw->inbox_n[j] - 1);
    sodium_memzero(nw, sizeof *nw);
    free(nw);
    *pp = NULL;
}

/* ---- in-process hub ----------------------------------------------------------- */

typedef struct mem_frame {
    struct mem_frame *next;
    uint8_t *buf;
    size_t len;
} mem_frame;

/* Inbox of one receiver: a FIFO per sender under one mutex + condvar. */
typedef struct mem_box {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    mem_frame *head[NET_MAX_PARTIES + 1], *tail[NET_MAX_PARTIES + 1];
    int rr;          /* sender to look at first, for fairness */
    int attached;
} mem_box;

struct net_hub {
    int n;
    mem_box box[NET_MAX_PARTIES + 1];
};

net_hub *net_hub_new(int n)
{
    if (n < 1 || n > NET_MAX_PARTIES) return NULL;
    net_hub *hub = calloc(1, sizeof *hub);
    if (!hub) abort();
    hub->n = n;
    for (int i = 1; i <= n; i++) {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_mutex_init(&hub->box[i].mu, NULL);
        pthread_cond_init(&hub->box[i].cv, &ca);
        pthread_condattr_destroy(&ca);
        hub->box[i].rr = 1;
    }
    return hub;
}

void net_hub_free(net_hub **pp)
{
    if (!pp || !*pp) return;
    net_hub *hub = *pp;
    for (int i = 1; i <= hub->n; i++) {
        mem_box *b = &hub->box[i];
        for (int j = 1; j <= hub->n; j++) {
            mem_frame *f = b->head[j];
            while (f) {
                mem_frame *nx = f->next;
                s_frame_free(f->buf, f->len);
                free(f);
                f = nx;
            }
        }
        pthread_mutex_destroy(&b->mu);
        pthread_cond_destroy(&b->cv);
    }
    free(hub);
    *pp = NULL;
}

static int s_mem_send(net *nw, int peer, uint8_t *frame, size_t len)
{
    mem_frame *f = s_xmalloc(sizeof *f);
    f->next = NULL;
    f->buf = frame;
    f->len = len;
    mem_box *b = &nw->hub->box[peer];
    pthread_mutex_lock(&b->mu);
    if (b->tail[nw->me]) b->tail[nw->me]->next = f;
    else b->head[nw->me] = f;
    b->tail[nw->me] = f;
    pthread_cond_signal(&b->cv);
    pthread_mutex_unlock(&b->mu);
    return 0;
}

static int s_mem_recv(net *nw, int timeout_ms, int *from, net_frame *out)
{
    mem_box *b = &nw->hub->box[nw->me];
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += timeout_ms / 1000;
    dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    out->data = NULL;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        for (int k = 0; k < nw->n; k++) {
            int j = (b->rr - 1 + k) % nw->n + 1;
            mem_frame *f = b->head[j];
            if (!f) continue;
            b->head[j] = f->next;
            if (!b->head[j]) b->tail[j] = NULL;
            b->rr = j % nw->n + 1;
            pthread_mutex_unlock(&b->mu);
            *from = j;
            *out = (net_frame){ f->buf, f->len, NULL };
            free(f);
            return 0;
        }
        if (pthread_cond_timedwait(&b->cv, &b->mu, &dl) == ETIMEDOUT) break;
    }
    pthread_mutex_unlock(&b->mu);
    return 0;
}

static void s_mem_describe(const net *nw, int peer, char *buf, size_t len)
{
    (void)nw;
    (void)peer;
    if (len) buf[0] = '\0';
}

static void s_mem_close(net *nw)
{
    mem_box *b = &nw->hub->box[nw->me];
    pthread_mutex_lock(&b->mu);
    b->attached = 0;
    pthread_mutex_unlock(&b->mu);
}

static const net_ops s_mem_ops = { s_mem_send, s_mem_recv, s_mem_describe, s_mem_close };

net *net_mem_new(net_hub *hub, int me, const uint8_t sid[NET_SID_LEN], int timeout_ms)
{
    if (!hub || !sid || me < 1 || me > hub->n || timeout_ms <= 0) return NULL;
    mem_box *b = &hub->box[me];
    pthread_mutex_lock(&b->mu);
    int busy = b->attached;
    b->attached = 1;
    pthread_mutex_unlock(&b->mu);
    if (busy) return NULL;
    net *nw = s_net_new(&s_mem_ops, hub->n, me, sid, timeout_ms);
    nw->hub = hub;
    return nw;
}

/* ---- CurveZMQ mesh ------------------------------------------------------------ */

static void s_zfree(void *data, void *hint)
{
    s_frame_free(data, (size_t)(uintptr_t)hint);
}

static int s_zmq_send(net *nw, int peer, uint8_t *frame, size_t len)
{
    zmq_msg_t m;
    if (zmq_msg_init_data(&m, frame, len, s_zfree, (void *)(uintptr_t)len) != 0) {
        s_frame_free(frame, len);
        s_err(nw, "send to server %d: %s", peer, zmq_strerror(zmq_errno()));
        return ERR_IO;
    }
    for (;;) {
        if (zmq_msg_send(&m, nw->dealer[peer], 0) >= 0) return 0;
        if (zmq_errno() != EINTR) break;
    }
    int e = zmq_errno();
    zmq_msg_close(&m);
    if (e == EAGAIN) {
        s_err(nw, "timeout: send to server %d (%s) blocked for %d ms (queue full)", peer,
              nw->ep[peer], nw->timeout_ms);
        return ERR_TIMEOUT;
    }
    s_err(nw, "send to server %d (%s): %s", peer, nw->ep[peer], zmq_strerror(e));
    return ERR_IO;
}

/* Parse an authenticated User-Id: the decimal index of a peer server. */
static int s_user_id(const net *nw, const char *uid)
{
    if (!uid || uid[0] < '1' || uid[0] > '9' || uid[1] != '\0') return 0;
    int j = uid[0] - '0';
    return s_peer_ok(nw, j) ? j : 0;
}

/* Read one monitor event of dealer[j] and record the handshake outcome. */
static void s_mon_read(net *nw, int j)
{
    zmq_msg_t a, b;
    zmq_msg_init(&a);
    zmq_msg_init(&b);
    if (zmq_msg_recv(&a, nw->mon[j], ZMQ_DONTWAIT) >= 0 && zmq_msg_more(&a)
        && zmq_msg_recv(&b, nw->mon[j], ZMQ_DONTWAIT) >= 0 && zmq_msg_size(&a) >= 6) {
        const uint8_t *d = zmq_msg_data(&a);
        uint16_t ev;
        uint32_t val;
        memcpy(&ev, d, 2);
        memcpy(&val, d + 2, 4);
        if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            nw->hs[j] = HS_OK;
        } else if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
            nw->hs[j] = HS_AUTH_FAILED;
            nw->hs_detail[j] = (int)val;
        } else if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                   || ev == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
            if (nw->hs[j] != HS_AUTH_FAILED) {
                nw->hs[j] = HS_FAILED;
                nw->hs_detail[j] = (int)val;
            }
        }
    }
    zmq_msg_close(&a);
    zmq_msg_close(&b);
}

static int s_zmq_recv(net *nw, int timeout_ms, int *from, net_frame *f)
{
    zmq_pollitem_t it[NET_MAX_PARTIES + 2];
    int who[NET_MAX_PARTIES + 2];
    int k = 0;
    it[k] = (zmq_pollitem_t){ nw->router, 0, ZMQ_POLLIN, 0 };
    who[k++] = 0;
    for (int j = 1; j <= nw->n; j++) {
        if (!nw->mon[j]) continue;
        it[k] = (zmq_pollitem_t){ nw->mon[j], 0, ZMQ_POLLIN, 0 };
        who[k++] = j;
    }
    f->data = NULL;
    int rc = zmq_poll(it, k, timeout_ms);
    if (rc < 0) {
        if (zmq_errno() == EINTR) return 0;
        s_err(nw, "poll: %s", zmq_strerror(zmq_errno()));
        return ERR_IO;
    }
    for (int i = 1; i < k; i++)
        if (it[i].revents & ZMQ_POLLIN) s_mon_read(nw, who[i]);
    if (!(it[0].revents & ZMQ_POLLIN)) return 0;

    zmq_msg_t id, m;
    zmq_msg_init(&id);
    zmq_msg_init(&m);
    rc = 0;
    if (zmq_msg_recv(&id, nw->router, ZMQ_DONTWAIT) < 0) goto out;   /* spurious wake-up */
    if (!zmq_msg_more(&id) || zmq_msg_recv(&m, nw->router, ZMQ_DONTWAIT) < 0) {
        s_err(nw, "mesh socket delivered a message without a body");
        rc = ERR_IO;
        goto out;
    }
    int j = s_user_id(nw, zmq_msg_gets(&m, "User-Id"));
    int parts = 1;
    while (zmq_msg_more(&m)) {   /* drain: a frame is exactly one part */
        sodium_memzero(zmq_msg_data(&m), zmq_msg_size(&m));
        zmq_msg_close(&m);
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, nw->router, ZMQ_DONTWAIT) < 0) break;
        parts++;
    }
    if (!j) {
        s_err(nw, "message without an authenticated server User-Id: dropped");
        log_msg(LOG_WARN, "net S%d: %s", nw->me, nw->err);
        rc = ERR_CRYPTO;
    } else if (parts != 1) {
        s_err(nw, "server %d sent a %d-part message: dropped", j, parts);
        log_msg(LOG_WARN, "net S%d: %s", nw->me, nw->err);
        rc = ERR_PROTO;
    } else {
        zmq_msg_t *keep = s_xmalloc(sizeof *keep);   /* keep the data, no copy */
        zmq_msg_init(keep);
        zmq_msg_move(keep, &m);
        f->zmsg = keep;
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
    const char *ep = nw->ep[peer] ? nw->ep[peer] : "?";
    switch (nw->hs[peer]) {
    case HS_AUTH_FAILED:
        snprintf(buf, len, " (%s; it refused our CURVE key, ZAP status %d)", ep,
                 nw->hs_detail[peer]);
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
    for (int j = 1; j <= nw->n; j++) {
        if (!nw->mon[j]) continue;
        (void)zmq_socket_monitor(nw->dealer[j], NULL, 0);
        zmq_close(nw->mon[j]);
        nw->mon[j] = NULL;
    }
}

static void s_zmq_close(net *nw)
{
    s_mon_stop(nw);
    for (int j = 1; j <= nw->n; j++) {
        if (nw->dealer[j]) zmq_close(nw->dealer[j]);
        nw->dealer[j] = NULL;
    }
    if (nw->router) zmq_close(nw->router);
    nw->router = NULL;
    zap_free(&nw->zap);
    if (nw->ctx) {
        while (zmq_ctx_term(nw->ctx) != 0 && zmq_errno() == EINTR) {}
        nw->ctx = NULL;
    }
    for (int j = 1; j <= nw->n; j++) {
        free(nw->ep[j]);
        nw->ep[j] = NULL;
    }
}

static const net_ops s_zmq_ops = { s_zmq_send, s_zmq_recv, s_zmq_describe, s_zmq_close };

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
    else if (c->n < 1 || c->n > NET_MAX_PARTIES) why = "n out of range";
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
    net *nw = s_net_new(&s_zmq_ops, cfg->n, cfg->me, cfg->sid, cfg->timeout_ms);
    int linger = cfg->linger_ms > 0 ? cfg->linger_ms : NET_LINGER_MS;
    int64_t maxmsg = (int64_t)NET_HDR_LEN + NET_MAX_PAYLOAD;
    for (int j = 1; j <= nw->n; j++) {
        nw->ep[j] = strdup(cfg->endpoints[j - 1]);
        if (!nw->ep[j]) abort();
    }
    rc = ERR_IO;
    nw->ctx = zmq_ctx_new();
    if (!nw->ctx) {
        s_err(nw, "cannot create a ZeroMQ context: %s", zmq_strerror(zmq_errno()));
        goto fail;
    }
    /* ZAP first: no CURVE server of this context may bind before it runs. */
    nw->zap = zap_new();
    for (int j = 1; j <= nw->n; j++) {
        if (j == nw->me) continue;
        char uid[12];
        snprintf(uid, sizeof uid, "%d", j);
        if ((rc = zap_add(nw->zap, NET_MESH_DOMAIN, cfg->server_pk[j - 1], uid)) != 0) {
            s_err(nw, "ZAP table: cannot add the key of server %d", j);
            goto fail;
        }
    }
    if ((rc = zap_start(nw->zap, nw->ctx)) != 0) {
        s_err(nw, "cannot start the ZAP handler: %s", err_str(rc));
        goto fail;
    }
    rc = ERR_IO;
    nw->router = zmq_socket(nw->ctx, ZMQ_ROUTER);
    if (!nw->router || s_sockopts(nw->router, linger, cfg->timeout_ms, NET_HWM) != 0) {
        s_err(nw, "cannot create the mesh socket: %s", zmq_strerror(zmq_errno()));
        goto fail;
    }
    if ((rc = zap_curve_server(nw->router, cfg->my_sk, NET_MESH_DOMAIN, maxmsg)) != 0) {
        s_err(nw, "cannot make the mesh socket a CURVE server: %s", err_str(rc));
        goto fail;
    }
    if (zmq_bind(nw->router, nw->ep[nw->me]) != 0) {
        rc = ERR_IO;
        s_err(nw, "bind %s (server %d): %s", nw->ep[nw->me], nw->me,
              zmq_strerror(zmq_errno()));
        goto fail;
    }
    for (int j = 1; j <= nw->n; j++) {
        if (j == nw->me) continue;
        rc = ERR_IO;
        void *d = nw->dealer[j] = zmq_socket(nw->ctx, ZMQ_DEALER);
        /* Nothing is ever read from a DEALER: a peer pushing data back into it
         * gets a one-message queue and a 4 KiB limit (room for the CURVE
         * handshake commands), not our memory. */
        if (!d || s_sockopts(d, linger, cfg->timeout_ms, 1) != 0) {
            s_err(nw, "cannot create the socket to server %d: %s", j, zmq_strerror(zmq_errno()));
            goto fail;
        }
        if ((rc = zap_curve_client(d, cfg->server_pk[j - 1], cfg->my_sk, 4096)) != 0) {
            s_err(nw, "cannot make the socket to server %d a CURVE client: %s", j, err_str(rc));
            goto fail;
        }
        /* Watch the handshake during the hello barrier, to explain a silent peer. */
        char mon[80];
        snprintf(mon, sizeof mon, "inproc://mpc-net-mon-%p-%d", (void *)nw, j);
        if (zmq_socket_monitor(d, mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                               | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                               | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                               | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) == 0) {
            int zero = 0;
            nw->mon[j] = zmq_socket(nw->ctx, ZMQ_PAIR);
            if (nw->mon[j]) {
                (void)zmq_setsockopt(nw->mon[j], ZMQ_LINGER, &zero, sizeof zero);
                if (zmq_connect(nw->mon[j], mon) != 0) {
                    zmq_close(nw->mon[j]);
                    nw->mon[j] = NULL;
                }
            }
        }
        rc = ERR_IO;
        if (zmq_connect(d, nw->ep[j]) != 0) {
            s_err(nw, "connect to server %d at %s: %s", j, nw->ep[j], zmq_strerror(zmq_errno()));
            goto fail;
        }
    }
    rc = s_barrier(nw, NET_TYPE_HELLO, "hello",
                   cfg->hello_timeout_ms > 0 ? cfg->hello_timeout_ms : cfg->timeout_ms);
    s_mon_stop(nw);
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
    if (!nw || nw->ops != &s_zmq_ops || !nw->router) return 0;
    for (int j = 1; j <= nw->n; j++) {
        void *s = j == nw->me ? nw->router : nw->dealer[j];
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
    if (nw && nw->zap) zap_stats(nw->zap, NULL, &refused);
    return refused;
}
