/* net_fixture: what the transport tests share (tests/lib/net_fixture.c):
 * parties as threads running a scenario on their own net, the vector-exchange
 * scenario, and the frame checks that both transports must pass identically
 * (test_net.c: header and in-process hub; test_net_zmq.c: the CurveZMQ mesh). */
#ifndef MPC_TEST_NET_FIXTURE_H
#define MPC_TEST_NET_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include "common/field.h"
#include "common/net.h"

#define NETFX_ROUNDS 3
#define NETFX_M      1000   /* elements per vector */

typedef struct netfx_party netfx_party;
/* What a party does with its net; the return value lands in rc. */
typedef int (*netfx_scenario)(netfx_party *p, net *nw);

/* One round of input vectors: v[i] is party i+1's. Inputs are NETFX_ROUNDS of
 * these, in[r][i]. */
typedef fe netfx_round[MPC_MAX_SERVERS][NETFX_M];

struct netfx_party {
    int mesh;           /* 1: the thread opens nw with net_zmq_open(&cfg) and frees it */
    net *nw;            /* hub: created by the test */
    net_zmq_cfg cfg;
    netfx_scenario run;
    int me, n;
    int rc_open, rc;
    int curve;          /* net_is_curve seen by the thread */
    uint64_t refused;
    char err[256], msg[256];
    /* vector exchange */
    const field *F;
    netfx_round *in;    /* in[r][i]: party i+1's vector in round r */
    fe sum[NETFX_ROUNDS][NETFX_M];
    size_t cnt;
    int64_t free_ms;    /* time net_free took */
    pthread_barrier_t *bar;   /* set when run() waits on it twice */
};

/* Monotonic milliseconds. */
int64_t netfx_ms(void);

/* Thread body of one party (arg: netfx_party). */
void *netfx_party_main(void *arg);
/* Run parties ps[0..n) as threads and join them. */
void netfx_run(netfx_party *ps, int n);

/* Scenario: every round, send own vector to all, receive every peer's (in
 * descending order, so later ones get buffered), sum them; then bye. */
int netfx_exchange(netfx_party *p, net *nw);
/* Fresh random inputs for n parties, NETFX_ROUNDS rounds (calloc'd; free()
 * them), edge values 0 and p - 1 first. */
netfx_round *netfx_inputs(const field *F, int n, size_t m);
/* Assert every party's sums equal the clear sums of in. */
void netfx_check_sums(const field *F, const netfx_party *ps, int n, netfx_round *in,
                      size_t m);

/* Send text (asserting success) / receive exactly text, or fail with code and a
 * message containing words. */
void netfx_put(net *nw, int peer, uint8_t type, uint64_t step, const char *text);
void netfx_expect(net *nw, int peer, uint8_t type, uint64_t step, const char *text);
void netfx_expect_err(net *nw, int peer, uint8_t type, uint64_t step, int code,
                      const char *words);

/* A valid frame from sender for session sid carrying text into out (room for
 * NET_HDR_LEN + strlen(text)); returns its length. */
size_t netfx_frame(uint8_t *out, const uint8_t *sid, int sender, uint8_t type, uint64_t step,
                   const char *text);
/* Feed from -> to every kind of bad frame: each is rejected with the right
 * code and a message naming the sender, then good frames still get through. */
void netfx_bad_frames(net *from, net *to, const uint8_t *sid);

#endif
