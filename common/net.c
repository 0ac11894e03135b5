/* net: the message layer shared by both transports (header codec, validation,
 * buffering of future messages, replay checks, timeouts, barriers). The
 * transports live in net_mem.c (in-process hub) and net_zmq.c (CurveZMQ mesh)
 * behind the net_ops vtable of net_impl.h. */
#include "common/net.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include "common/bytes.h"
#include "common/log.h"
#include "common/net_impl.h"
#include "common/xalloc.h"

#define NET_MAX_BUFFERED_BYTES (2 * (size_t)NET_MAX_PAYLOAD)

void net_core_err(net *nw, const char *fmt, ...)
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

void net_frame_free(uint8_t *frame, size_t len)
{
    if (!frame) return;
    sodium_memzero(frame, len);   /* frames carry shares */
    free(frame);
}

static void s_release(net *nw, net_frame *f)
{
    if (f->owner) {
        if (f->len) sodium_memzero(f->data, f->len);
        nw->ops->release(f);
    } else {
        net_frame_free(f->data, f->len);
    }
    memset(f, 0, sizeof *f);
}

/* ---- header ----------------------------------------------------------------- */

void net_hdr_encode(uint8_t out[NET_HDR_LEN], const net_hdr *h)
{
    be_put32(out, h->magic);
    out[4] = h->version;
    out[5] = h->type;
    out[6] = h->sender;
    out[7] = h->reserved;
    memcpy(out + 8, h->sid, MPC_SID_LEN);
    be_put64(out + 40, h->step);
    be_put32(out + 48, h->len);
}

/* Decode; *why names the first defect. */
static int s_hdr_parse(net_hdr *h, const uint8_t *in, size_t in_len, const char **why)
{
    *why = "truncated header";
    if (!in || in_len < NET_HDR_LEN) return ERR_PARSE;
    h->magic = be_get32(in);
    h->version = in[4];
    h->type = in[5];
    h->sender = in[6];
    h->reserved = in[7];
    memcpy(h->sid, in + 8, MPC_SID_LEN);
    h->step = be_get64(in + 40);
    h->len = be_get32(in + 48);
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

net *net_core_new(const net_ops *ops, void *tp, int n, int me, const uint8_t *sid,
                  int timeout_ms)
{
    net *nw = xcalloc(1, sizeof *nw);
    nw->ops = ops;
    nw->tp = tp;
    nw->n = n;
    nw->me = me;
    nw->timeout_ms = timeout_ms;
    nw->live = n >= 1 && n <= MPC_MAX_SERVERS ? (1u << n) - 1 : 0;
    memcpy(nw->sid, sid, MPC_SID_LEN);
    snprintf(nw->err, sizeof nw->err, "no error");
    for (int j = 0; j <= n && j <= MPC_MAX_SERVERS; j++) nw->heard_ms[j] = s_now_ms();
    return nw;
}

/* A frame of NET_HDR_LEN + len bytes with our header filled in; the caller
 * writes the payload and passes it to s_send_frame. */
static uint8_t *s_frame_new(const net *nw, uint8_t type, uint64_t step, size_t len)
{
    uint8_t *frame = xmalloc(NET_HDR_LEN + len);
    net_hdr h = { .magic = NET_MAGIC, .version = NET_VERSION, .type = type,
                  .sender = (uint8_t)nw->me, .step = step, .len = (uint32_t)len };
    memcpy(h.sid, nw->sid, MPC_SID_LEN);
    net_hdr_encode(frame, &h);
    return frame;
}

/* Hand a frame from s_frame_new to the transport (which takes it) and count it. */
static int s_send_frame(net *nw, int peer, uint8_t *frame, size_t len)
{
    int rc = nw->ops->send(nw, peer, frame, NET_HDR_LEN + len);
    if (rc == 0) {
        nw->msgs_sent++;
        nw->bytes_sent += NET_HDR_LEN + len;
    }
    return rc;
}

/* Build and send a frame (header + payload) without argument policy checks. */
static int s_send(net *nw, int peer, uint8_t type, uint64_t step,
                  const uint8_t *payload, size_t len)
{
    uint8_t *frame = s_frame_new(nw, type, step, len);
    if (len) memcpy(frame + NET_HDR_LEN, payload, len);
    return s_send_frame(nw, peer, frame, len);
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
    s_release(nw, &q[i].f);
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
    if (from >= 1 && from <= nw->n && !(nw->live >> (from - 1) & 1u)) {
        /* a server the others went on without (it came up late): whatever it
         * sends is not part of this run, and must not count as flooding */
        s_release(nw, f);
        return 0;
    }
    if (from >= 1 && from <= nw->n) nw->heard_ms[from] = s_now_ms();
    const uint8_t *frame = f->data;
    size_t flen = f->len;
    net_hdr h;
    const char *why;
    int rc = ERR_PROTO;
    if (s_hdr_parse(&h, frame, flen, &why) != 0) {
        net_core_err(nw, "server %d sent a malformed frame (%s, %zu bytes): dropped", from, why,
                     flen);
    } else if (h.len != flen - NET_HDR_LEN) {
        net_core_err(nw, "server %d sent a frame whose header announces %" PRIu32 " payload bytes "
                     "but carries %zu: dropped", from, h.len, flen - NET_HDR_LEN);
    } else if (h.sender != from) {
        net_core_err(nw, "frame authenticated as server %d claims sender %u: forged, dropped",
                     from, h.sender);
        rc = ERR_CRYPTO;
    } else if (sodium_memcmp(h.sid, nw->sid, MPC_SID_LEN) != 0) {
        net_core_err(nw, "server %d sent step %" PRIu64 " (type %u) for another session id: "
                     "dropped", from, h.step, h.type);
    } else if (h.type >= NET_TYPE_RESERVED
               && (h.type == NET_TYPE_ROSTER ? h.step > 1
                   : (h.type != NET_TYPE_HELLO && h.type != NET_TYPE_BYE) || h.step != 0)) {
        net_core_err(nw, "server %d sent reserved message type %u (step %" PRIu64 "): dropped",
                     from, h.type, h.step);
    } else if (h.step == UINT64_MAX) {
        net_core_err(nw, "server %d sent the out-of-range step 2^64-1: dropped", from);
    } else if (h.type == NET_TYPE_HELLO && (h.step < nw->next[from][h.type] ||
                                             s_find(nw, from, h.type, h.step) >= 0)) {
        /* a peer that retried opening the mesh while this server was down or
         * restarting: its earlier attempt's hello arrives too; it carries
         * nothing, so it is dropped quietly instead of failing the next receive */
        s_release(nw, f);
        return 0;
    } else if (h.step < nw->next[from][h.type]) {
        net_core_err(nw, "server %d replayed step %" PRIu64 " (type %u), already consumed: dropped",
                     from, h.step, h.type);
    } else if (s_find(nw, from, h.type, h.step) >= 0) {
        net_core_err(nw, "server %d sent step %" PRIu64 " (type %u) twice: dropped",
                     from, h.step, h.type);
    } else if (nw->inbox_n[from] >= NET_MAX_BUFFERED
               || nw->inbox_bytes[from] + flen > NET_MAX_BUFFERED_BYTES) {
        net_core_err(nw, "server %d sent more than %d messages (or bytes) ahead: flooding, "
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
    s_release(nw, f);
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

/* Name the server that is really silent: the one waited for may itself be
 * stuck waiting on a dead third server, so the peer heard from least
 * recently is named first (a kill of server 3 must not read "server 2"). */
static void s_timeout_err(net *nw, int peer, uint64_t step, uint8_t type)
{
    int oldest = peer;
    for (int j = 1; j <= nw->n; j++)
        if (net_peer_ok(nw, j) && nw->heard_ms[j] < nw->heard_ms[oldest]) oldest = j;
    /* frames from different peers can arrive out of order: only a silence
     * clearly longer than the awaited peer's (half a timeout) points elsewhere */
    if (nw->heard_ms[peer] - nw->heard_ms[oldest] < nw->timeout_ms / 2) oldest = peer;
    if (oldest == peer) {
        net_core_err(nw, "timeout: server %d silent at step %" PRIu64 " (type %u) after %d ms",
                     peer, step, type, nw->timeout_ms);
        return;
    }
    char desc[400];
    nw->ops->describe(nw, oldest, desc, sizeof desc);
    int64_t now = s_now_ms();
    net_core_err(nw, "timeout: server %d%s silent for %.1f s (server %d, awaited at step %" PRIu64
                 " (type %u), was heard %.1f s ago: probably waiting on server %d)",
                 oldest, desc, (double)(now - nw->heard_ms[oldest]) / 1000.0, peer, step, type,
                 (double)(now - nw->heard_ms[peer]) / 1000.0, oldest);
}

/* Wait for (peer, type, step) and hand out its whole frame (header first). */
static int s_recv(net *nw, int peer, uint8_t type, uint64_t step, net_frame *f)
{
    if (step < nw->next[peer][type]) {
        net_core_err(nw, "recv: step %" PRIu64 " (type %u) from server %d was already consumed",
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
            s_timeout_err(nw, peer, step, type);
            return ERR_TIMEOUT;
        }
    }
}

int net_core_barrier(net *nw, uint8_t type, const char *what, int timeout_ms, unsigned *gotmask)
{
    int got[MPC_MAX_SERVERS + 1] = { 0 };
    if (gotmask) *gotmask = 1u << (nw->me - 1);
    for (int j = 1; j <= nw->n; j++) {
        if (!net_peer_ok(nw, j)) continue;
        if (nw->next[j][type] > 0) {
            net_core_err(nw, "%s barrier already done", what);
            return ERR_STATE;
        }
    }
    for (int j = 1; j <= nw->n; j++) {
        if (!net_peer_ok(nw, j)) continue;
        int rc = s_send(nw, j, type, 0, NULL, 0);
        if (rc != 0) return rc;
    }
    int64_t deadline = s_now_ms() + timeout_ms;
    for (;;) {
        int missing = 0;
        for (int j = 1; j <= nw->n; j++) {
            if (!net_peer_ok(nw, j) || got[j]) continue;
            int i = s_find(nw, j, type, 0);
            if (i >= 0) {
                net_frame f;
                s_take(nw, j, i, &f);
                s_release(nw, &f);
                got[j] = 1;
                if (gotmask) *gotmask |= 1u << (j - 1);
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
        if (!net_peer_ok(nw, j) || got[j]) continue;
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

/* "{1, 2, 4}" */
static void s_set_text(char *out, size_t len, unsigned set)
{
    size_t pos = (size_t)snprintf(out, len, "{");
    for (int j = 1; j <= MPC_MAX_SERVERS && pos < len; j++)
        if (set >> (j - 1) & 1u)
            pos += (size_t)snprintf(out + pos, len - pos, "%s%d", pos > 1 ? ", " : "", j);
    if (pos < len) snprintf(out + pos, len - pos, "}");
}

/* Wait until deadline for (j, ROSTER, step): its 2-byte mask; -1 when j is
 * silent or sent a malformed roster (j counts as silent: the roster goes on
 * without it, or fails if it was a member); -2 when some server sent a bad
 * frame meanwhile (nw->err names that sender, not j). */
static long s_roster_recv(net *nw, int j, uint64_t step, int64_t deadline)
{
    for (;;) {
        int i = s_find(nw, j, NET_TYPE_ROSTER, step);
        if (i >= 0) {
            net_frame f;
            s_take(nw, j, i, &f);
            long v = f.len == NET_HDR_LEN + 2 ? (long)f.data[NET_HDR_LEN] << 8 | f.data[NET_HDR_LEN + 1]
                                              : -1;
            s_release(nw, &f);
            return v;
        }
        int rc = s_pull(nw, s_remaining(deadline));
        if (rc < 0) return -2;
        if (rc == 0 && s_remaining(deadline) == 0) return -1;
    }
}

static int s_roster_send(net *nw, unsigned to, uint64_t step, unsigned v)
{
    uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    for (int j = 1; j <= nw->n; j++)
        if (j != nw->me && (to >> (j - 1) & 1u)) {
            int rc = s_send(nw, j, NET_TYPE_ROSTER, step, b, 2);
            if (rc) return rc;
        }
    return 0;
}

int net_core_roster(net *nw, unsigned view, int quorum, int wait_ms)
{
    unsigned mebit = 1u << (nw->me - 1), roster = view | mebit;
    char a[64], b[64];
    int rc = s_roster_send(nw, view, 0, view | mebit);
    int64_t deadline = s_now_ms() + wait_ms;
    for (int j = 1; j <= nw->n && rc == 0; j++) {
        if (j == nw->me || !(view >> (j - 1) & 1u)) continue;
        long v = s_roster_recv(nw, j, 0, deadline);
        if (v == -2) return ERR_PROTO;
        roster &= v < 0 ? ~(1u << (j - 1)) : (unsigned)v;
    }
    if (rc) return rc;
    if (!(roster & mebit)) {
        s_set_text(a, sizeof a, roster);
        net_core_err(nw, "the other servers went on as %s, without this server (it came up "
                     "late)", a);
        return ERR_PROTO;
    }
    /* every member sends its roster even when it is too small, so all fail alike */
    rc = s_roster_send(nw, roster, 1, roster);
    deadline = s_now_ms() + wait_ms;
    for (int j = 1; j <= nw->n && rc == 0; j++) {
        if (j == nw->me || !(roster >> (j - 1) & 1u)) continue;
        long v = s_roster_recv(nw, j, 1, deadline);
        if (v == -2) return ERR_PROTO;
        s_set_text(a, sizeof a, roster);
        s_set_text(b, sizeof b, v < 0 ? 0 : (unsigned)v);
        if (v < 0) {
            net_core_err(nw, "server %d fell silent while the servers agreed on who is up "
                         "(%s)", j, a);
            return ERR_TIMEOUT;
        }
        if ((unsigned)v != roster) {
            net_core_err(nw, "the servers disagree on who is up: server %d says %s, this server "
                         "%s (one came up while the others gave up on it); restart them",
                         j, b, a);
            return ERR_PROTO;
        }
    }
    if (rc) return rc;
    if (__builtin_popcount(roster) < quorum) {
        s_set_text(a, sizeof a, roster);
        net_core_err(nw, "only servers %s are up: %d are needed to compute", a, quorum);
        return ERR_TIMEOUT;
    }
    nw->live = roster;
    return 0;
}

/* ---- public message API ----------------------------------------------------- */

int net_me(const net *nw) { return nw->me; }
int net_n(const net *nw) { return nw->n; }
unsigned net_live(const net *nw) { return nw->live; }

int net_restrict(net *nw, unsigned live)
{
    if (!nw || !(live >> (nw->me - 1) & 1u) || (live & ~nw->live)) return ERR_ARG;
    nw->live = live;
    return 0;
}
const char *net_errmsg(const net *nw) { return nw ? nw->err : "no transport"; }

void net_stats(const net *nw, uint64_t *msgs_sent, uint64_t *bytes_sent)
{
    if (msgs_sent) *msgs_sent = nw->msgs_sent;
    if (bytes_sent) *bytes_sent = nw->bytes_sent;
}

static int s_check_send(net *nw, int peer, uint8_t type, uint64_t step, const void *payload,
                        size_t len, const char *op)
{
    if (!net_peer_ok(nw, peer)) {
        net_core_err(nw, "%s: no peer %d (n = %d, me = %d)", op, peer, nw->n, nw->me);
        return ERR_ARG;
    }
    if (type >= NET_TYPE_RESERVED) {
        net_core_err(nw, "%s to server %d: type %u is reserved for the transport", op, peer, type);
        return ERR_ARG;
    }
    if (step == UINT64_MAX) {
        net_core_err(nw, "%s to server %d: step 2^64-1 is out of range", op, peer);
        return ERR_ARG;
    }
    if (len > NET_MAX_PAYLOAD || (len && !payload)) {
        net_core_err(nw, "%s to server %d: bad payload (%zu bytes, limit %u)", op, peer, len,
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
    if (!net_peer_ok(nw, peer) || type >= NET_TYPE_RESERVED) {
        net_core_err(nw, "recv: no peer %d or reserved type %u", peer, type);
        return ERR_ARG;
    }
    net_frame f;
    int rc = s_recv(nw, peer, type, step, &f);
    if (rc) return rc;
    *len = f.len - NET_HDR_LEN;
    if (f.owner) {
        *payload = xmalloc(*len);
        memcpy(*payload, f.data + NET_HDR_LEN, *len);
        s_release(nw, &f);
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
        net_core_err(nw, "send_vec to server %d: %zu elements exceed the payload limit", peer, m);
        return ERR_ARG;
    }
    size_t len = m * F->bytes;
    int rc = s_check_send(nw, peer, type, step, v, len, "send_vec");
    if (rc) return rc;
    uint8_t *frame = s_frame_new(nw, type, step, len);
    field_encode(F, frame + NET_HDR_LEN, v, m);
    return s_send_frame(nw, peer, frame, len);
}

int net_recv_vec(net *nw, int peer, uint8_t type, uint64_t step,
                 const field *F, fe *v, size_t m)
{
    if (!F || (m && !v)) return ERR_ARG;
    if (!net_peer_ok(nw, peer) || type >= NET_TYPE_RESERVED) {
        net_core_err(nw, "recv_vec: no peer %d or reserved type %u", peer, type);
        return ERR_ARG;
    }
    net_frame f;
    int rc = s_recv(nw, peer, type, step, &f);
    if (rc) return rc;
    const uint8_t *payload = f.data + NET_HDR_LEN;
    size_t len = f.len - NET_HDR_LEN;
    if (m > NET_MAX_PAYLOAD / F->bytes || len != m * F->bytes) {
        net_core_err(nw, "server %d sent %zu bytes at step %" PRIu64 " (type %u), expected %zu "
                     "elements of %zu bytes", peer, len, step, type, m, F->bytes);
        rc = ERR_PROTO;
    } else if (field_decode(F, v, m, payload, len) != 0) {
        net_core_err(nw, "server %d sent an element >= p at step %" PRIu64 " (type %u)",
                     peer, step, type);
        rc = ERR_PROTO;
    }
    s_release(nw, &f);
    return rc;
}

int net_bye(net *nw)
{
    return net_core_barrier(nw, NET_TYPE_BYE, "bye", nw->timeout_ms, NULL);
}

int net_send_raw(net *nw, int peer, const uint8_t *frame, size_t len)
{
    if (!net_peer_ok(nw, peer) || (len && !frame)) return ERR_ARG;
    uint8_t *copy = xmalloc(len);
    if (len) memcpy(copy, frame, len);
    return nw->ops->send(nw, peer, copy, len);
}

void net_free(net **pp)
{
    if (!pp || !*pp) return;
    net *nw = *pp;
    nw->ops->close(nw);
    for (int j = 0; j <= MPC_MAX_SERVERS; j++)
        while (nw->inbox_n[j] > 0) s_drop(nw, j, nw->inbox_n[j] - 1);
    sodium_memzero(nw, sizeof *nw);
    free(nw);
    *pp = NULL;
}

