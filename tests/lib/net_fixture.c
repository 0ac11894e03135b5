/* net_fixture: party threads, vector exchange and frame checks of the
 * transport tests (contracts in tests/net_fixture.h). */
#include "tests/net_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

int64_t netfx_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void *netfx_party_main(void *arg)
{
    netfx_party *p = arg;
    if (p->mesh) {
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
    if (p->mesh) {
        int64_t t0 = netfx_ms();
        net_free(&p->nw);
        p->free_ms = netfx_ms() - t0;
    }
    return NULL;
}

void netfx_run(netfx_party *ps, int n)
{
    pthread_t th[MPC_MAX_SERVERS];
    for (int i = 0; i < n; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, netfx_party_main, &ps[i]), 0);
    for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
}

int netfx_exchange(netfx_party *p, net *nw)
{
    int n = net_n(nw), me = net_me(nw);
    fe *buf = malloc(p->cnt * sizeof *buf);
    int rc = 0;
    for (int r = 0; r < NETFX_ROUNDS && !rc; r++) {
        uint8_t type = (uint8_t)(10 + r);
        uint64_t step = 100 + (uint64_t)r;
        for (int j = 1; j <= n && !rc; j++)
            if (j != me) rc = net_send_vec(nw, j, type, step, p->F, p->in[r][me - 1], p->cnt);
        memcpy(p->sum[r], p->in[r][me - 1], p->cnt * sizeof(fe));
        for (int j = n; j >= 1 && !rc; j--) {
            if (j == me) continue;
            rc = net_recv_vec(nw, j, type, step, p->F, buf, p->cnt);
            if (!rc) field_vec_add(p->F, p->sum[r], p->sum[r], buf, p->cnt);
        }
    }
    if (!rc) rc = net_bye(nw);
    free(buf);
    return rc;
}

void netfx_check_sums(const field *F, const netfx_party *ps, int n, netfx_round *in, size_t m)
{
    for (int r = 0; r < NETFX_ROUNDS; r++) {
        fe clear[NETFX_M];
        memcpy(clear, in[r][0], m * sizeof(fe));
        for (int i = 1; i < n; i++) field_vec_add(F, clear, clear, in[r][i], m);
        for (int i = 0; i < n; i++)
            cr_assert_eq(memcmp(clear, ps[i].sum[r], m * sizeof(fe)), 0,
                         "party %d round %d sum differs", i + 1, r);
    }
}

netfx_round *netfx_inputs(const field *F, int n, size_t m)
{
    netfx_round *in = calloc(NETFX_ROUNDS, sizeof *in);
    cr_assert_not_null(in);
    for (int r = 0; r < NETFX_ROUNDS; r++)
        for (int i = 0; i < n; i++) {
            field_rand(F, in[r][i], m);
            in[r][i][0] = 0;                /* edge values */
            in[r][i][1] = F->p - 1;
        }
    return in;
}

void netfx_expect(net *nw, int peer, uint8_t type, uint64_t step, const char *text)
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

void netfx_expect_err(net *nw, int peer, uint8_t type, uint64_t step, int code,
                      const char *words)
{
    uint8_t *p = NULL;
    size_t len = 0;
    int rc = net_recv(nw, peer, type, step, &p, &len);
    cr_assert_eq(rc, code, "got %d (%s), expected %d", rc, net_errmsg(nw), code);
    cr_assert_null(p);
    cr_assert_not_null(strstr(net_errmsg(nw), words), "'%s' lacks '%s'", net_errmsg(nw), words);
}

void netfx_put(net *nw, int peer, uint8_t type, uint64_t step, const char *text)
{
    cr_assert_eq(net_send(nw, peer, type, step, (const uint8_t *)text, strlen(text)), 0,
                 "%s", net_errmsg(nw));
}

static void s_raw(net *nw, int peer, const uint8_t *f, size_t len)
{
    cr_assert_eq(net_send_raw(nw, peer, f, len), 0);
}

size_t netfx_frame(uint8_t *out, const uint8_t *sid, int sender, uint8_t type, uint64_t step,
                   const char *text)
{
    net_hdr h = { .magic = NET_MAGIC, .version = NET_VERSION, .type = type,
                  .sender = (uint8_t)sender, .step = step, .len = (uint32_t)strlen(text) };
    memcpy(h.sid, sid, MPC_SID_LEN);
    net_hdr_encode(out, &h);
    memcpy(out + NET_HDR_LEN, text, strlen(text));
    return NET_HDR_LEN + strlen(text);
}

void netfx_bad_frames(net *from, net *to, const uint8_t *sid)
{
    int s = net_me(from), r = net_me(to);
    uint8_t f[NET_HDR_LEN + 64];
    char who[32];
    snprintf(who, sizeof who, "server %d", s);
    size_t len;

    uint8_t garbage[40];
    randombytes_buf(garbage, sizeof garbage);
    s_raw(from, r, garbage, sizeof garbage);                      /* garbage */
    netfx_expect_err(to, s, 4, 1, ERR_PROTO, who);
    s_raw(from, r, garbage, 0);                                   /* empty */
    netfx_expect_err(to, s, 4, 1, ERR_PROTO, "malformed");
    len = netfx_frame(f, sid, s, 4, 1, "payload");
    s_raw(from, r, f, NET_HDR_LEN - 3);                           /* truncated header */
    netfx_expect_err(to, s, 4, 1, ERR_PROTO, "malformed");
    s_raw(from, r, f, len - 2);                                   /* truncated payload */
    netfx_expect_err(to, s, 4, 1, ERR_PROTO, "announces 7 payload bytes but carries 5");
    f[0] ^= 1;
    s_raw(from, r, f, len);                                       /* bad magic */
    netfx_expect_err(to, s, 4, 1, ERR_PROTO, "bad magic");
    uint8_t other[MPC_SID_LEN];
    memcpy(other, sid, MPC_SID_LEN);
    other[5] ^= 0x40;
    len = netfx_frame(f, other, s, 4, 1, "payload");
    s_raw(from, r, f, len);                                       /* wrong session */
    netfx_expect_err(to, s, 4, 1, ERR_PROTO, "another session");
    int forged = s == 1 ? 2 : 1;
    if (forged == r) forged = 3;
    len = netfx_frame(f, sid, forged, 4, 1, "payload");
    s_raw(from, r, f, len);                                       /* forged sender */
    netfx_expect_err(to, s, 4, 1, ERR_CRYPTO, "forged");
    len = netfx_frame(f, sid, s, NET_TYPE_RESERVED, 1, "x");
    s_raw(from, r, f, len);                                       /* reserved type */
    netfx_expect_err(to, s, 4, 1, ERR_PROTO, "reserved");
    len = netfx_frame(f, sid, s, NET_TYPE_HELLO, 3, "");
    s_raw(from, r, f, len);                                       /* hello off step 0 */
    netfx_expect_err(to, s, 4, 1, ERR_PROTO, "reserved message type 254 (step 3)");
    len = netfx_frame(f, sid, s, 4, UINT64_MAX, "x");
    s_raw(from, r, f, len);                                       /* last step */
    netfx_expect_err(to, s, 4, 1, ERR_PROTO, "out-of-range step");
    len = netfx_frame(f, sid, s, 4, 1, "good");
    s_raw(from, r, f, len);
    netfx_expect(to, s, 4, 1, "good");
    s_raw(from, r, f, len);                                       /* replay */
    netfx_expect_err(to, s, 4, 2, ERR_PROTO, "replayed step 1");
    netfx_put(from, r, 4, 2, "after");
    netfx_expect(to, s, 4, 2, "after");
}
