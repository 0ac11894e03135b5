/* test_net: the header codec and the in-process hub: vectors exchanged between
 * 3 and 5 parties (threads) checked against the clear sums, buffering,
 * replay/forgery/garbage rejection, flooding bounds, timeouts naming the silent
 * party, the bye barrier, API misuse. The CurveZMQ mesh is test_net_zmq.c. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include "common/field.h"
#include "common/log.h"
#include "common/net.h"
#include "common/secmem.h"
#include "tests/net_fixture.h"

static field s_F;

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
    cr_assert_eq(field_init_default(&s_F, 32, 40), 0);
    log_level = LOG_ERROR;   /* rejected frames are logged at WARN on purpose */
}

TestSuite(net, .init = s_setup, .timeout = 30);

/* ---- header --------------------------------------------------------------------- */

static net_hdr s_hdr(void)
{
    net_hdr h = { .magic = NET_MAGIC, .version = NET_VERSION, .type = 7, .sender = 2,
                  .step = 0x0102030405060708ull, .len = 1234 };
    for (int i = 0; i < MPC_SID_LEN; i++) h.sid[i] = (uint8_t)(0xa0 + i);
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
              && memcmp(g.sid, h.sid, MPC_SID_LEN) == 0);
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
        cr_assert_eq(memcmp(g.sid, h.sid, MPC_SID_LEN), 0);
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
    uint8_t sid[MPC_SID_LEN];
    randombytes_buf(sid, sizeof sid);
    net_hub *hub = net_hub_new(n);
    cr_assert_not_null(hub);
    netfx_round *in = netfx_inputs(&s_F, n, NETFX_M);
    netfx_party *ps = calloc((size_t)n, sizeof *ps);
    for (int i = 0; i < n; i++) {
        ps[i] = (netfx_party){ .me = i + 1, .n = n, .run = netfx_exchange, .F = &s_F, .in = in,
                               .cnt = NETFX_M };
        ps[i].nw = net_mem_new(hub, i + 1, sid, 2000);
        cr_assert_not_null(ps[i].nw);
    }
    netfx_run(ps, n);
    for (int i = 0; i < n; i++) {
        cr_assert_eq(ps[i].rc, 0, "party %d: %s", i + 1, ps[i].msg);
        uint64_t msgs, bytes;
        net_stats(ps[i].nw, &msgs, &bytes);
        uint64_t per = (uint64_t)(n - 1);
        cr_assert_eq(msgs, per * (NETFX_ROUNDS + 1));   /* vectors + byes */
        cr_assert_eq(bytes,
                     per * (NETFX_ROUNDS * (NET_HDR_LEN + NETFX_M * s_F.bytes) + NET_HDR_LEN));
        cr_assert_eq(net_is_curve(ps[i].nw), 0);
        net_free(&ps[i].nw);
    }
    netfx_check_sums(&s_F, ps, n, in, NETFX_M);
    net_hub_free(&hub);
    free(ps);
    free(in);
}

Test(net, hub_3_partienetfx_exchange_vectors) { s_hub_exchange(3); }
Test(net, hub_5_partienetfx_exchange_vectors) { s_hub_exchange(5); }

typedef struct duo { net_hub *hub; net *a, *b, *c; uint8_t sid[MPC_SID_LEN]; } duo;

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

Test(net, hub_buffers_future_steps_and_types)
{
    duo d = s_duo(500);
    netfx_put(d.a, 2, 4, 3, "a-step3");
    netfx_put(d.a, 2, 5, 2, "a-type5");
    netfx_put(d.c, 2, 4, 2, "c-step2");
    netfx_put(d.a, 2, 4, 2, "a-step2");
    netfx_put(d.a, 2, 4, 1, "a-step1");
    netfx_put(d.a, 2, 4, 9, "");
    netfx_expect(d.b, 1, 4, 1, "a-step1");   /* buffers three of a's, one of c's */
    netfx_expect(d.b, 1, 4, 2, "a-step2");
    netfx_expect(d.b, 3, 4, 2, "c-step2");
    netfx_expect(d.b, 1, 5, 2, "a-type5");
    netfx_expect(d.b, 1, 4, 3, "a-step3");
    netfx_expect(d.b, 1, 4, 9, "");          /* empty payload is fine */
    s_duo_free(&d);
}

Test(net, hub_rejects_replayed_and_duplicate_steps)
{
    duo d = s_duo(300);
    netfx_put(d.a, 2, 4, 5, "first");
    netfx_expect(d.b, 1, 4, 5, "first");
    netfx_put(d.a, 2, 4, 5, "replay");       /* past step */
    netfx_put(d.a, 2, 4, 6, "next");
    netfx_expect_err(d.b, 1, 4, 6, ERR_PROTO, "replayed step 5");
    netfx_expect(d.b, 1, 4, 6, "next");      /* still usable afterwards */
    netfx_put(d.a, 2, 4, 8, "dup");
    netfx_put(d.a, 2, 4, 8, "dup");
    netfx_expect_err(d.b, 1, 4, 7, ERR_PROTO, "twice");
    /* A step skipped over is dropped from the buffer: 8 is now consumed too. */
    netfx_expect(d.b, 1, 4, 8, "dup");
    netfx_put(d.a, 2, 4, 7, "late");
    netfx_expect_err(d.b, 1, 4, 9, ERR_PROTO, "replayed step 7");
    uint8_t *p;
    size_t len;
    cr_assert_eq(net_recv(d.b, 1, 4, 8, &p, &len), ERR_STATE);   /* already consumed */
    s_duo_free(&d);
}

/* Server 3 waits on server 1, which was heard recently; server 2 has been
 * silent all along: it is the one named (server 1 may be waiting on it). */
Test(net, hub_timeout_names_the_server_silent_longest)
{
    duo d = s_duo(250);
    usleep(200000);   /* server 2 silent for longer than half a timeout */
    netfx_put(d.a, 3, 4, 1, "alive");
    netfx_expect(d.c, 1, 4, 1, "alive");
    netfx_expect_err(d.c, 1, 4, 2, ERR_TIMEOUT, "timeout: server 2");
    cr_assert(strstr(net_errmsg(d.c), "probably waiting on server 2") != NULL, "%s",
              net_errmsg(d.c));
    s_duo_free(&d);
}

Test(net, hub_timeout_names_the_silent_party)
{
    duo d = s_duo(250);
    netfx_put(d.a, 3, 4, 12, "from-a");
    int64_t t0 = netfx_ms();
    netfx_expect_err(d.c, 2, 4, 12, ERR_TIMEOUT, "timeout: server 2 silent at step 12 (type 4) after 250 ms");
    int64_t took = netfx_ms() - t0;
    cr_assert_geq(took, 240);
    cr_assert_lt(took, 1500);
    netfx_expect(d.c, 1, 4, 12, "from-a");
    s_duo_free(&d);
}

Test(net, hub_rejects_bad_frames_without_crashing)
{
    duo d = s_duo(300);
    netfx_bad_frames(d.a, d.b, d.sid);
    s_duo_free(&d);
}

Test(net, hub_bounds_buffered_messages)
{
    duo d = s_duo(300);
    for (int i = 0; i < NET_MAX_BUFFERED; i++) netfx_put(d.a, 2, 4, 100 + (uint64_t)i, "f");
    netfx_put(d.a, 2, 4, 1000, "one too many");
    netfx_expect_err(d.b, 1, 4, 1, ERR_PROTO, "flooding");
    netfx_expect(d.b, 1, 4, 100, "f");   /* what was buffered is intact */
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
    uint8_t sid[MPC_SID_LEN] = { 0 };
    cr_assert_null(net_hub_new(0));
    cr_assert_null(net_hub_new(MPC_MAX_SERVERS + 1));
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

/* A peer that retried opening the mesh sends its hello again; the repeat
 * carries nothing and must not fail the receive that follows. */
Test(net, hub_drops_a_repeated_hello_quietly)
{
    duo d = s_duo(300);
    uint8_t f[NET_HDR_LEN + 8];
    size_t fl = netfx_frame(f, d.sid, 1, NET_TYPE_HELLO, 0, "");
    cr_assert_eq(net_send_raw(d.a, 2, f, fl), 0);
    cr_assert_eq(net_send_raw(d.a, 2, f, fl), 0);
    netfx_put(d.a, 2, 4, 1, "after");
    netfx_expect(d.b, 1, 4, 1, "after");
    s_duo_free(&d);
}
