/* test_net: header encoding, the in-process hub and the CurveZMQ mesh: vectors
 * exchanged between 3 and 5 parties (threads) checked against the clear sums,
 * buffering, replay/forgery/garbage rejection, timeouts naming the silent party,
 * unknown CURVE keys refused, CURVE on every socket. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include <zmq.h>
#include "common/field.h"
#include "common/log.h"
#include "common/net.h"
#include "common/secmem.h"
#include "common/zap.h"

#define S_ROUNDS 3
#define S_M      1000   /* elements per vector */

static field s_F;

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
    cr_assert_eq(field_init_default(&s_F, 32, 40), 0);
    log_level = LOG_ERROR;   /* rejected frames are logged at WARN on purpose */
}

/* ---- mesh fixtures -------------------------------------------------------------- */

typedef struct mesh {
    int n;
    char dir[64];   /* ipc directory, or "" for tcp */
    char epbuf[NET_MAX_PARTIES][160];
    const char *ep[NET_MAX_PARTIES];
    uint8_t pk[NET_MAX_PARTIES][32], sk[NET_MAX_PARTIES][32];
    uint8_t sid[NET_SID_LEN];
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

TestSuite(net, .init = s_setup, .fini = s_teardown, .timeout = 30);

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
    void *probe[NET_MAX_PARTIES];
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

static int64_t s_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- party threads -------------------------------------------------------------- */

typedef struct party party;
typedef int (*scenario)(party *p, net *nw);

struct party {
    const mesh *m;      /* NULL for the in-process hub */
    net *nw;            /* hub: created by the test; mesh: by the thread */
    net_zmq_cfg cfg;
    scenario run;
    int me, n;
    int rc_open, rc;
    int curve;          /* net_is_curve seen by the thread */
    uint64_t refused;
    char err[256], msg[256];
    /* vector exchange */
    fe (*in)[NET_MAX_PARTIES][S_M];   /* in[r][i]: party i+1's vector in round r */
    fe sum[S_ROUNDS][S_M];
    size_t cnt;
    int64_t free_ms;    /* time net_free took */
    pthread_barrier_t *bar;   /* set when run() waits on it twice */
};

static void *s_party(void *arg)
{
    party *p = arg;
    if (p->m) {
        p->rc_open = net_zmq_open(&p->nw, &p->cfg, p->err, sizeof p->err);
        if (p->rc_open) {
            if (p->bar) {   /* do not leave the others waiting */
                pthread_barrier_wait(p->bar);
                pthread_barrier_wait(p->bar);
            }
            return NULL;
        }
        p->curve = net_is_curve(p->nw);
    }
    if (p->run) {
        p->rc = p->run(p, p->nw);
        snprintf(p->msg, sizeof p->msg, "%s", net_errmsg(p->nw));
    }
    p->refused = net_refused(p->nw);
    if (p->m) {
        int64_t t0 = s_ms();
        net_free(&p->nw);
        p->free_ms = s_ms() - t0;
    }
    return NULL;
}

/* Run parties 1..n as threads (mesh parties open their own net). */
static void s_run(party *ps, int n)
{
    pthread_t th[NET_MAX_PARTIES];
    for (int i = 0; i < n; i++) cr_assert_eq(pthread_create(&th[i], NULL, s_party, &ps[i]), 0);
    for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
}

/* Every round: send own vector to all, receive every peer's, sum them all. */
static int s_exchange(party *p, net *nw)
{
    int n = net_n(nw), me = net_me(nw);
    fe *buf = malloc(p->cnt * sizeof *buf);
    int rc = 0;
    for (int r = 0; r < S_ROUNDS && !rc; r++) {
        uint8_t type = (uint8_t)(10 + r);
        uint64_t step = 100 + (uint64_t)r;
        for (int j = 1; j <= n && !rc; j++)
            if (j != me) rc = net_send_vec(nw, j, type, step, &s_F, p->in[r][me - 1], p->cnt);
        memcpy(p->sum[r], p->in[r][me - 1], p->cnt * sizeof(fe));
        /* receive in descending order: later peers' messages get buffered first */
        for (int j = n; j >= 1 && !rc; j--) {
            if (j == me) continue;
            rc = net_recv_vec(nw, j, type, step, &s_F, buf, p->cnt);
            if (!rc) field_vec_add(&s_F, p->sum[r], p->sum[r], buf, p->cnt);
        }
    }
    if (!rc) rc = net_bye(nw);
    free(buf);
    return rc;
}

/* Check every party's sums against the clear sums. */
static void s_check_sums(party *ps, int n, fe (*in)[NET_MAX_PARTIES][S_M], size_t m)
{
    for (int r = 0; r < S_ROUNDS; r++) {
        fe clear[S_M];
        memcpy(clear, in[r][0], m * sizeof(fe));
        for (int i = 1; i < n; i++) field_vec_add(&s_F, clear, clear, in[r][i], m);
        for (int i = 0; i < n; i++)
            cr_assert_eq(memcmp(clear, ps[i].sum[r], m * sizeof(fe)), 0,
                         "party %d round %d sum differs", i + 1, r);
    }
}

static fe (*s_inputs(int n, size_t m))[NET_MAX_PARTIES][S_M]
{
    fe (*in)[NET_MAX_PARTIES][S_M] = calloc(S_ROUNDS, sizeof *in);
    for (int r = 0; r < S_ROUNDS; r++)
        for (int i = 0; i < n; i++) {
            field_rand(&s_F, in[r][i], m);
            in[r][i][0] = 0;                /* edge values */
            in[r][i][1] = s_F.p - 1;
        }
    return in;
}

/* ---- header --------------------------------------------------------------------- */

static net_hdr s_hdr(void)
{
    net_hdr h = { .magic = NET_MAGIC, .version = NET_VERSION, .type = 7, .sender = 2,
                  .step = 0x0102030405060708ull, .len = 1234 };
    for (int i = 0; i < NET_SID_LEN; i++) h.sid[i] = (uint8_t)(0xa0 + i);
    return h;
}

Test(net, header_round_trip_and_layout)
{
    net_hdr h = s_hdr(), g;
    uint8_t b[NET_HDR_LEN + 8];
    net_hdr_encode(b, &h);
    const uint8_t head[8] = { 'M', 'P', 'C', '1', NET_VERSION, 7, 2, 0 };
    cr_assert_eq(memcmp(b, head, 8), 0);
    cr_assert_eq(b[8], 0xa0);
    cr_assert_eq(b[39], 0xa0 + 31);
    const uint8_t tail[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0x04, 0xd2 };
    cr_assert_eq(memcmp(b + 40, tail, 12), 0);
    cr_assert_eq(net_hdr_decode(&g, b, NET_HDR_LEN), 0);
    cr_assert(g.magic == h.magic && g.version == h.version && g.type == h.type
              && g.sender == h.sender && g.reserved == 0 && g.step == h.step && g.len == h.len
              && memcmp(g.sid, h.sid, NET_SID_LEN) == 0);
    cr_assert_eq(net_hdr_decode(&g, b, sizeof b), 0);   /* payload may follow */
    for (int it = 0; it < 200; it++) {
        randombytes_buf(&h, sizeof h);
        h.magic = NET_MAGIC;
        h.version = NET_VERSION;
        h.reserved = 0;
        h.len = randombytes_uniform(NET_MAX_PAYLOAD + 1);
        if (it == 0) h.len = NET_MAX_PAYLOAD;
        if (it == 1) h.len = 0;
        net_hdr_encode(b, &h);
        memset(&g, 0, sizeof g);
        cr_assert_eq(net_hdr_decode(&g, b, NET_HDR_LEN), 0);
        cr_assert_eq(g.step, h.step);
        cr_assert_eq(g.len, h.len);
        cr_assert_eq(g.type, h.type);
        cr_assert_eq(g.sender, h.sender);
        cr_assert_eq(memcmp(g.sid, h.sid, NET_SID_LEN), 0);
    }
}

Test(net, header_rejects_each_defect)
{
    net_hdr h = s_hdr(), g;
    uint8_t b[NET_HDR_LEN];
    net_hdr bad[4];
    for (int i = 0; i < 4; i++) bad[i] = h;
    bad[0].magic ^= 1;
    bad[1].version = NET_VERSION + 1;
    bad[2].reserved = 1;
    bad[3].len = NET_MAX_PAYLOAD + 1;
    for (int i = 0; i < 4; i++) {
        net_hdr_encode(b, &bad[i]);
        cr_assert_eq(net_hdr_decode(&g, b, sizeof b), ERR_PARSE, "defect %d", i);
    }
    net_hdr_encode(b, &h);
    cr_assert_eq(net_hdr_decode(&g, b, NET_HDR_LEN - 1), ERR_PARSE);
    cr_assert_eq(net_hdr_decode(&g, b, 0), ERR_PARSE);
    cr_assert_eq(net_hdr_decode(&g, NULL, 0), ERR_PARSE);
    b[NET_HDR_LEN - 1] ^= 0xff;   /* len changes but stays small: valid */
    cr_assert_eq(net_hdr_decode(&g, b, sizeof b), 0);
}

/* ---- in-process hub ------------------------------------------------------------- */

static void s_hub_exchange(int n)
{
    uint8_t sid[NET_SID_LEN];
    randombytes_buf(sid, sizeof sid);
    net_hub *hub = net_hub_new(n);
    cr_assert_not_null(hub);
    fe (*in)[NET_MAX_PARTIES][S_M] = s_inputs(n, S_M);
    party *ps = calloc((size_t)n, sizeof *ps);
    for (int i = 0; i < n; i++) {
        ps[i] = (party){ .me = i + 1, .n = n, .run = s_exchange, .in = in, .cnt = S_M };
        ps[i].nw = net_mem_new(hub, i + 1, sid, 2000);
        cr_assert_not_null(ps[i].nw);
    }
    s_run(ps, n);
    for (int i = 0; i < n; i++) {
        cr_assert_eq(ps[i].rc, 0, "party %d: %s", i + 1, ps[i].msg);
        uint64_t msgs, bytes;
        net_stats(ps[i].nw, &msgs, &bytes);
        uint64_t per = (uint64_t)(n - 1);
        cr_assert_eq(msgs, per * (S_ROUNDS + 1));   /* vectors + byes */
        cr_assert_eq(bytes, per * (S_ROUNDS * (NET_HDR_LEN + S_M * s_F.bytes) + NET_HDR_LEN));
        cr_assert_eq(net_is_curve(ps[i].nw), 0);
        net_free(&ps[i].nw);
    }
    s_check_sums(ps, n, in, S_M);
    net_hub_free(&hub);
    free(ps);
    free(in);
}

Test(net, hub_3_parties_exchange_vectors) { s_hub_exchange(3); }
Test(net, hub_5_parties_exchange_vectors) { s_hub_exchange(5); }

typedef struct duo { net_hub *hub; net *a, *b, *c; uint8_t sid[NET_SID_LEN]; } duo;

/* Three parties on one hub, used from the test thread (sends never block). */
static duo s_duo(int timeout_ms)
{
    duo d;
    randombytes_buf(d.sid, sizeof d.sid);
    d.hub = net_hub_new(3);
    d.a = net_mem_new(d.hub, 1, d.sid, timeout_ms);
    d.b = net_mem_new(d.hub, 2, d.sid, timeout_ms);
    d.c = net_mem_new(d.hub, 3, d.sid, timeout_ms);
    cr_assert(d.a && d.b && d.c);
    return d;
}

static void s_duo_free(duo *d)
{
    net_free(&d->a);
    net_free(&d->b);
    net_free(&d->c);
    net_hub_free(&d->hub);
    cr_assert_null(d->hub);
}

static void s_expect(net *nw, int peer, uint8_t type, uint64_t step, const char *text)
{
    uint8_t *p = NULL;
    size_t len = 0;
    int rc = net_recv(nw, peer, type, step, &p, &len);
    cr_assert_eq(rc, 0, "recv (%d, %u, %llu): %s", peer, type, (unsigned long long)step,
                 net_errmsg(nw));
    cr_assert_eq(len, strlen(text));
    cr_assert_not_null(p);
    cr_assert_eq(memcmp(p, text, len), 0);
    free(p);
}

static void s_expect_err(net *nw, int peer, uint8_t type, uint64_t step, int code,
                         const char *words)
{
    uint8_t *p = NULL;
    size_t len = 0;
    int rc = net_recv(nw, peer, type, step, &p, &len);
    cr_assert_eq(rc, code, "got %d (%s), expected %d", rc, net_errmsg(nw), code);
    cr_assert_null(p);
    cr_assert_not_null(strstr(net_errmsg(nw), words), "'%s' lacks '%s'", net_errmsg(nw), words);
}

static void s_put(net *nw, int peer, uint8_t type, uint64_t step, const char *text)
{
    cr_assert_eq(net_send(nw, peer, type, step, (const uint8_t *)text, strlen(text)), 0,
                 "%s", net_errmsg(nw));
}

Test(net, hub_buffers_future_steps_and_types)
{
    duo d = s_duo(500);
    s_put(d.a, 2, 4, 3, "a-step3");
    s_put(d.a, 2, 5, 2, "a-type5");
    s_put(d.c, 2, 4, 2, "c-step2");
    s_put(d.a, 2, 4, 2, "a-step2");
    s_put(d.a, 2, 4, 1, "a-step1");
    s_put(d.a, 2, 4, 9, "");
    s_expect(d.b, 1, 4, 1, "a-step1");   /* buffers three of a's, one of c's */
    s_expect(d.b, 1, 4, 2, "a-step2");
    s_expect(d.b, 3, 4, 2, "c-step2");
    s_expect(d.b, 1, 5, 2, "a-type5");
    s_expect(d.b, 1, 4, 3, "a-step3");
    s_expect(d.b, 1, 4, 9, "");          /* empty payload is fine */
    s_duo_free(&d);
}

Test(net, hub_rejects_replayed_and_duplicate_steps)
{
    duo d = s_duo(300);
    s_put(d.a, 2, 4, 5, "first");
    s_expect(d.b, 1, 4, 5, "first");
    s_put(d.a, 2, 4, 5, "replay");       /* past step */
    s_put(d.a, 2, 4, 6, "next");
    s_expect_err(d.b, 1, 4, 6, ERR_PROTO, "replayed step 5");
    s_expect(d.b, 1, 4, 6, "next");      /* still usable afterwards */
    s_put(d.a, 2, 4, 8, "dup");
    s_put(d.a, 2, 4, 8, "dup");
    s_expect_err(d.b, 1, 4, 7, ERR_PROTO, "twice");
    /* A step skipped over is dropped from the buffer: 8 is now consumed too. */
    s_expect(d.b, 1, 4, 8, "dup");
    s_put(d.a, 2, 4, 7, "late");
    s_expect_err(d.b, 1, 4, 9, ERR_PROTO, "replayed step 7");
    uint8_t *p;
    size_t len;
    cr_assert_eq(net_recv(d.b, 1, 4, 8, &p, &len), ERR_STATE);   /* already consumed */
    s_duo_free(&d);
}

Test(net, hub_timeout_names_the_silent_party)
{
    duo d = s_duo(250);
    s_put(d.a, 3, 4, 12, "from-a");
    int64_t t0 = s_ms();
    s_expect_err(d.c, 2, 4, 12, ERR_TIMEOUT, "timeout: server 2 silent at step 12 (type 4) after 250 ms");
    int64_t took = s_ms() - t0;
    cr_assert_geq(took, 240);
    cr_assert_lt(took, 1500);
    s_expect(d.c, 1, 4, 12, "from-a");
    s_duo_free(&d);
}

static void s_raw(net *nw, int peer, const uint8_t *f, size_t len)
{
    cr_assert_eq(net_send_raw(nw, peer, f, len), 0);
}

/* A valid frame from `sender` for session sid carrying text. */
static size_t s_frame(uint8_t *out, const uint8_t *sid, int sender, uint8_t type, uint64_t step,
                      const char *text)
{
    net_hdr h = { .magic = NET_MAGIC, .version = NET_VERSION, .type = type,
                  .sender = (uint8_t)sender, .step = step, .len = (uint32_t)strlen(text) };
    memcpy(h.sid, sid, NET_SID_LEN);
    net_hdr_encode(out, &h);
    memcpy(out + NET_HDR_LEN, text, strlen(text));
    return NET_HDR_LEN + strlen(text);
}

/* Feed `from` -> `to` every kind of bad frame; each is rejected with the right
 * code and a message naming the sender, then a good frame still gets through. */
static void s_bad_frames(net *from, net *to, const uint8_t *sid)
{
    int s = net_me(from), r = net_me(to);
    uint8_t f[NET_HDR_LEN + 64];
    char who[32];
    snprintf(who, sizeof who, "server %d", s);
    size_t len;

    uint8_t garbage[40];
    randombytes_buf(garbage, sizeof garbage);
    s_raw(from, r, garbage, sizeof garbage);                      /* garbage */
    s_expect_err(to, s, 4, 1, ERR_PROTO, who);
    s_raw(from, r, garbage, 0);                                   /* empty */
    s_expect_err(to, s, 4, 1, ERR_PROTO, "malformed");
    len = s_frame(f, sid, s, 4, 1, "payload");
    s_raw(from, r, f, NET_HDR_LEN - 3);                           /* truncated header */
    s_expect_err(to, s, 4, 1, ERR_PROTO, "malformed");
    s_raw(from, r, f, len - 2);                                   /* truncated payload */
    s_expect_err(to, s, 4, 1, ERR_PROTO, "announces 7 payload bytes but carries 5");
    f[0] ^= 1;
    s_raw(from, r, f, len);                                       /* bad magic */
    s_expect_err(to, s, 4, 1, ERR_PROTO, "bad magic");
    uint8_t other[NET_SID_LEN];
    memcpy(other, sid, NET_SID_LEN);
    other[5] ^= 0x40;
    len = s_frame(f, other, s, 4, 1, "payload");
    s_raw(from, r, f, len);                                       /* wrong session */
    s_expect_err(to, s, 4, 1, ERR_PROTO, "another session");
    int forged = s == 1 ? 2 : 1;
    if (forged == r) forged = 3;
    len = s_frame(f, sid, forged, 4, 1, "payload");
    s_raw(from, r, f, len);                                       /* forged sender */
    s_expect_err(to, s, 4, 1, ERR_CRYPTO, "forged");
    len = s_frame(f, sid, s, NET_TYPE_RESERVED, 1, "x");
    s_raw(from, r, f, len);                                       /* reserved type */
    s_expect_err(to, s, 4, 1, ERR_PROTO, "reserved");
    len = s_frame(f, sid, s, NET_TYPE_HELLO, 3, "");
    s_raw(from, r, f, len);                                       /* hello off step 0 */
    s_expect_err(to, s, 4, 1, ERR_PROTO, "reserved message type 254 (step 3)");
    len = s_frame(f, sid, s, 4, UINT64_MAX, "x");
    s_raw(from, r, f, len);                                       /* last step */
    s_expect_err(to, s, 4, 1, ERR_PROTO, "out-of-range step");
    len = s_frame(f, sid, s, 4, 1, "good");
    s_raw(from, r, f, len);
    s_expect(to, s, 4, 1, "good");
    s_raw(from, r, f, len);                                       /* replay */
    s_expect_err(to, s, 4, 2, ERR_PROTO, "replayed step 1");
    s_put(from, r, 4, 2, "after");
    s_expect(to, s, 4, 2, "after");
}

Test(net, hub_rejects_bad_frames_without_crashing)
{
    duo d = s_duo(300);
    s_bad_frames(d.a, d.b, d.sid);
    s_duo_free(&d);
}

Test(net, hub_bounds_buffered_messages)
{
    duo d = s_duo(300);
    for (int i = 0; i < NET_MAX_BUFFERED; i++) s_put(d.a, 2, 4, 100 + (uint64_t)i, "f");
    s_put(d.a, 2, 4, 1000, "one too many");
    s_expect_err(d.b, 1, 4, 1, ERR_PROTO, "flooding");
    s_expect(d.b, 1, 4, 100, "f");   /* what was buffered is intact */
    s_duo_free(&d);
}

Test(net, vectors_check_length_and_range)
{
    duo d = s_duo(300);
    fe v[4] = { 1, 2, 3, 4 }, w[4];
    cr_assert_eq(net_send_vec(d.a, 2, 1, 1, &s_F, v, 4), 0);
    cr_assert_eq(net_recv_vec(d.b, 1, 1, 1, &s_F, w, 3), ERR_PROTO);   /* wrong count */
    cr_assert_not_null(strstr(net_errmsg(d.b), "expected 3 elements"));
    uint8_t bad[3 * 16];
    memset(bad, 0xff, sizeof bad);   /* all elements >= p */
    cr_assert_eq(net_send(d.a, 2, 1, 2, bad, 3 * s_F.bytes), 0);
    cr_assert_eq(net_recv_vec(d.b, 1, 1, 2, &s_F, w, 3), ERR_PROTO);
    cr_assert_not_null(strstr(net_errmsg(d.b), ">= p"));
    cr_assert_eq(net_send_vec(d.a, 2, 1, 3, &s_F, v, 0), 0);          /* empty vector */
    cr_assert_eq(net_recv_vec(d.b, 1, 1, 3, &s_F, w, 0), 0);
    cr_assert_eq(net_send_vec(d.a, 2, 1, 4, &s_F, v, 4), 0);
    cr_assert_eq(net_recv_vec(d.b, 1, 1, 4, &s_F, w, 4), 0);
    cr_assert_eq(memcmp(v, w, sizeof v), 0);
    s_duo_free(&d);
}

Test(net, api_rejects_misuse)
{
    uint8_t sid[NET_SID_LEN] = { 0 };
    cr_assert_null(net_hub_new(0));
    cr_assert_null(net_hub_new(NET_MAX_PARTIES + 1));
    duo d = s_duo(200);
    cr_assert_null(net_mem_new(d.hub, 1, sid, 100));   /* slot taken */
    cr_assert_null(net_mem_new(d.hub, 4, sid, 100));
    cr_assert_null(net_mem_new(d.hub, 0, sid, 100));
    uint8_t x = 0, *p;
    size_t len;
    cr_assert_eq(net_send(d.a, 0, 1, 1, &x, 1), ERR_ARG);
    cr_assert_eq(net_send(d.a, 1, 1, 1, &x, 1), ERR_ARG);   /* to self */
    cr_assert_eq(net_send(d.a, 4, 1, 1, &x, 1), ERR_ARG);
    cr_assert_eq(net_send(d.a, 2, NET_TYPE_HELLO, 1, &x, 1), ERR_ARG);
    cr_assert_eq(net_send(d.a, 2, 1, 1, NULL, 1), ERR_ARG);
    cr_assert_eq(net_send(d.a, 2, 1, UINT64_MAX, &x, 1), ERR_ARG);
    cr_assert_eq(net_send(d.a, 2, 1, 1, &x, (size_t)NET_MAX_PAYLOAD + 1), ERR_ARG);
    cr_assert_eq(net_recv(d.a, 1, 1, 1, &p, &len), ERR_ARG);
    cr_assert_eq(net_recv(d.a, 2, NET_TYPE_BYE, 0, &p, &len), ERR_ARG);
    cr_assert_not_null(strstr(net_errmsg(d.a), "reserved"));
    cr_assert_eq(net_me(d.b), 2);
    cr_assert_eq(net_n(d.b), 3);
    uint64_t msgs = 1, bytes = 1;
    net_stats(d.a, &msgs, &bytes);
    cr_assert_eq(msgs, 0);
    cr_assert_eq(bytes, 0);
    cr_assert_eq(net_refused(d.a), 0);
    s_duo_free(&d);
    net_free(&d.a);   /* NULL is fine */
}

typedef struct byearg { net *nw; int rc; char msg[256]; } byearg;

static void *s_bye_thread(void *arg)
{
    byearg *b = arg;
    b->rc = net_bye(b->nw);
    snprintf(b->msg, sizeof b->msg, "%s", net_errmsg(b->nw));
    return NULL;
}

Test(net, bye_barrier_waits_for_all_and_names_the_absent)
{
    duo d = s_duo(300);
    byearg b[3] = { { .nw = d.a }, { .nw = d.b }, { .nw = d.c } };
    pthread_t th[3];
    for (int i = 0; i < 3; i++) pthread_create(&th[i], NULL, s_bye_thread, &b[i]);
    for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 3; i++) cr_assert_eq(b[i].rc, 0, "%s", b[i].msg);
    cr_assert_eq(net_bye(d.a), ERR_STATE);
    s_duo_free(&d);

    d = s_duo(300);   /* party 3 never says bye */
    b[0].nw = d.a;
    b[1].nw = d.b;
    pthread_create(&th[0], NULL, s_bye_thread, &b[0]);
    pthread_create(&th[1], NULL, s_bye_thread, &b[1]);
    pthread_join(th[0], NULL);
    pthread_join(th[1], NULL);
    cr_assert_eq(b[0].rc, ERR_TIMEOUT);
    cr_assert_str_eq(b[0].msg, "no bye from server 3 within 300 ms");
    s_duo_free(&d);
}

/* ---- CurveZMQ mesh -------------------------------------------------------------- */

static void s_mesh_exchange(mesh *m)
{
    int n = m->n;
    fe (*in)[NET_MAX_PARTIES][S_M] = s_inputs(n, S_M);
    party *ps = calloc((size_t)n, sizeof *ps);
    for (int i = 0; i < n; i++)
        ps[i] = (party){ .m = m, .cfg = s_cfg(m, i + 1, 3000), .me = i + 1, .n = n,
                         .run = s_exchange, .in = in, .cnt = S_M };
    s_run(ps, n);
    for (int i = 0; i < n; i++) {
        cr_assert_eq(ps[i].rc_open, 0, "party %d open: %s", i + 1, ps[i].err);
        cr_assert_eq(ps[i].rc, 0, "party %d: %s", i + 1, ps[i].msg);
        cr_assert_eq(ps[i].curve, 1, "party %d has a socket without CURVE", i + 1);
        cr_assert_eq(ps[i].refused, 0);
        cr_assert_lt(ps[i].free_ms, 1000);
    }
    s_check_sums(ps, n, in, S_M);
    free(ps);
    free(in);
}

Test(net, mesh_3_parties_exchange_vectors_over_curve_tcp)
{
    mesh m;
    s_mesh_tcp(&m, 3);
    s_mesh_exchange(&m);
}

Test(net, mesh_5_parties_exchange_vectors_over_curve_ipc)
{
    mesh m;
    s_mesh_ipc(&m, 5);
    s_mesh_exchange(&m);
}

Test(net, mesh_open_names_the_missing_peer)
{
    mesh m;
    s_mesh_ipc(&m, 3);
    party ps[2];
    for (int i = 0; i < 2; i++)
        ps[i] = (party){ .m = &m, .cfg = s_cfg(&m, i + 1, 400), .me = i + 1, .n = 3 };
    for (int i = 0; i < 2; i++) ps[i].cfg.hello_timeout_ms = 1000;
    int64_t t0 = s_ms();
    s_run(ps, 2);
    cr_assert_lt(s_ms() - t0, 3000);
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

Test(net, mesh_open_names_a_peer_that_refuses_our_key)
{
    mesh m;
    s_mesh_ipc(&m, 2);
    /* Server 1 believes server 2 has key X: it refuses server 2's real key. */
    uint8_t view1[2][32], xsk[32];
    memcpy(view1[0], m.pk[0], 32);
    crypto_box_keypair(view1[1], xsk);
    party ps[2];
    ps[0] = (party){ .m = &m, .cfg = s_cfg(&m, 1, 600), .me = 1, .n = 2 };
    ps[0].cfg.server_pk = (const uint8_t (*)[32])view1;
    ps[1] = (party){ .m = &m, .cfg = s_cfg(&m, 2, 600), .me = 2, .n = 2 };
    ps[0].cfg.hello_timeout_ms = ps[1].cfg.hello_timeout_ms = 1000;
    s_run(ps, 2);
    cr_assert_eq(ps[0].rc_open, ERR_TIMEOUT);
    cr_assert_not_null(strstr(ps[0].err, "no hello from server 2"), "%s", ps[0].err);
    cr_assert_eq(ps[1].rc_open, ERR_TIMEOUT);
    cr_assert_not_null(strstr(ps[1].err, "no hello from server 1"), "%s", ps[1].err);
    cr_assert_not_null(strstr(ps[1].err, "refused our CURVE key, ZAP status 400"), "%s",
                       ps[1].err);
}

Test(net, mesh_open_rejects_bad_configuration)
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

static int s_victim(party *p, net *nw)
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
    party *p = arg;
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

Test(net, mesh_refuses_a_client_with_an_unknown_key)
{
    mesh m;
    s_mesh_tcp(&m, 2);
    pthread_barrier_init(&s_intr.bar, NULL, 2);
    party ps[2];
    for (int i = 0; i < 2; i++)
        ps[i] = (party){ .m = &m, .cfg = s_cfg(&m, i + 1, 700), .me = i + 1, .n = 2 };
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
    size_t len = s_frame(f, m.sid, 2, 4, 1, "forged");
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

static int s_bad_frames_run(party *p, net *nw)
{
    (void)p;
    s_bad_peer_net[net_me(nw) - 1] = nw;
    pthread_barrier_wait(&s_bad_bar);   /* both open */
    pthread_barrier_wait(&s_bad_bar);   /* main thread ran the checks */
    return 0;
}

Test(net, mesh_rejects_bad_frames_from_an_authorised_peer)
{
    mesh m;
    s_mesh_ipc(&m, 2);
    pthread_barrier_init(&s_bad_bar, NULL, 3);
    party ps[2];
    for (int i = 0; i < 2; i++)
        ps[i] = (party){ .m = &m, .cfg = s_cfg(&m, i + 1, 1500), .me = i + 1, .n = 2,
                         .run = s_bad_frames_run, .bar = &s_bad_bar };
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, s_party, &ps[i]);
    pthread_barrier_wait(&s_bad_bar);
    /* Both parties are parked on the barrier: drive their nets from here (one
     * thread at a time per socket; the barrier orders the memory accesses). */
    if (ps[0].rc_open || ps[1].rc_open) {
        pthread_barrier_wait(&s_bad_bar);
        for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
        cr_assert_fail("open: %s / %s", ps[0].err, ps[1].err);
    }
    s_bad_frames(s_bad_peer_net[1], s_bad_peer_net[0], m.sid);
    /* And the other direction, with the same rules. */
    s_bad_frames(s_bad_peer_net[0], s_bad_peer_net[1], m.sid);
    /* A second connection holding server 2's key: authenticated as server 2 by
     * its key, whatever the connection; a multipart message is refused. */
    void *ctx = zmq_ctx_new();
    void *d = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    cr_assert_eq(zap_curve_client(d, m.pk[0], m.sk[1], 4096), 0);
    cr_assert_eq(zmq_connect(d, m.ep[0]), 0);
    uint8_t f[NET_HDR_LEN + 8];
    size_t len = s_frame(f, m.sid, 2, 4, 7, "two");
    cr_assert_eq(zmq_send(d, f, len, ZMQ_SNDMORE), (int)len);
    cr_assert_eq(zmq_send(d, "more", 4, 0), 4);
    s_expect_err(s_bad_peer_net[0], 2, 4, 7, ERR_PROTO, "server 2 sent a 2-part message");
    cr_assert_eq(zmq_send(d, f, len, 0), (int)len);
    s_expect(s_bad_peer_net[0], 2, 4, 7, "two");
    zmq_close(d);
    zmq_ctx_term(ctx);
    pthread_barrier_wait(&s_bad_bar);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&s_bad_bar);
}

/* Party 3 leaves after round 1; parties 1 and 2 time out naming it. */
static int s_leaver(party *p, net *nw)
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

Test(net, mesh_party_leaving_mid_protocol_is_named_in_a_timeout)
{
    mesh m;
    s_mesh_ipc(&m, 3);
    party ps[3];
    for (int i = 0; i < 3; i++)
        ps[i] = (party){ .m = &m, .cfg = s_cfg(&m, i + 1, 500), .me = i + 1, .n = 3,
                         .run = s_leaver };
    s_run(ps, 3);
    for (int i = 0; i < 3; i++) cr_assert_eq(ps[i].rc_open, 0, "%s", ps[i].err);
    cr_assert_eq(ps[2].rc, 0);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(ps[i].rc, ERR_TIMEOUT, "party %d: %d %s", i + 1, ps[i].rc, ps[i].msg);
        cr_assert_str_eq(ps[i].msg, "timeout: server 3 silent at step 2 (type 3) after 500 ms");
        cr_assert_lt(ps[i].free_ms, 1000);
    }
}
