/* harness: n servers as threads, over the hub or a CurveZMQ mesh on loopback. */
#include "tests/harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sodium.h>
#include "common/net.h"
#include "common/secmem.h"
#include "protocols/bincmp.h"
#include "protocols/gf2_verify.h"
#include "protocols/shamir.h"
#include "protocols/verify.h"

int harness_timeout_ms = HARNESS_TIMEOUT_MS;
int harness_security = -1;
unsigned harness_live = 0;
int harness_hello_ms = 1500;

typedef struct party {
    const field *F;
    int n, t, me, transport;
    harness_fn fn;
    void *arg;
    int rc;
    unsigned live;
    net_hub *hub;
    const uint8_t *sid;
    const char *const *eps;
    const uint8_t (*pk)[32];
    const uint8_t *sk;
} party;

static void *s_party(void *p_)
{
    party *p = p_;
    net *nw = NULL;
    char err[256];
    p->rc = 0;
    if (p->transport == HARNESS_HUB) {
        nw = net_mem_new(p->hub, p->me, p->sid, harness_timeout_ms);
        if (!nw) p->rc = ERR_ARG;
        else if (p->live) p->rc = net_restrict(nw, p->live);
    } else {
        net_zmq_cfg cfg = { .n = p->n, .me = p->me, .sid = p->sid, .endpoints = p->eps,
                            .server_pk = p->pk, .my_sk = p->sk,
                            .timeout_ms = harness_timeout_ms, .linger_ms = 500,
                            .quorum = p->live ? __builtin_popcount(p->live) : 0,
                            .hello_timeout_ms = p->live ? harness_hello_ms : 0 };
        p->rc = net_zmq_open(&nw, &cfg, err, sizeof err);
        if (p->rc) fprintf(stderr, "harness S%d: %s\n", p->me, err);
    }
    if (p->rc) {
        net_free(&nw);
        return NULL;
    }
    mpc *M = mpc_create(p->F, p->n, p->t, 0, nw, err, sizeof err);
    if (!M) {
        p->rc = ERR_PROTO;
        fprintf(stderr, "harness S%d: %s\n", p->me, err);
    } else {
        if (harness_security >= 0) mpc_set_security(M, harness_security);
        p->rc = p->fn(M, p->arg);
        if (p->rc == 0) p->rc = mpc_verify(M);
        if (p->rc == 0) p->rc = gf2_verify(M);
        if (p->rc) fprintf(stderr, "harness S%d: %s (%s)\n", p->me, err_str(p->rc), mpc_errmsg(M));
        if (p->rc == 0 && p->transport == HARNESS_ZMQ) p->rc = net_bye(nw);
        mpc_destroy(&M);
    }
    net_free(&nw);
    return NULL;
}

/* n distinct free loopback ports (held open together while probing). */
static int s_ports(int n, int *ports)
{
    int fds[MPC_MAX_SERVERS];
    int rc = 0;
    for (int i = 0; i < n; i++) fds[i] = -1;
    for (int i = 0; i < n && rc == 0; i++) {
        struct sockaddr_in a;
        socklen_t al = sizeof a;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&a, sizeof a) != 0 ||
            getsockname(fds[i], (struct sockaddr *)&a, &al) != 0)
            rc = ERR_IO;
        else
            ports[i] = ntohs(a.sin_port);
    }
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0) close(fds[i]);
    return rc;
}

int harness_run(const field *F, int n, int t, int transport, harness_fn fn,
                void **args, int *rcs)
{
    party ps[MPC_MAX_SERVERS];
    pthread_t th[MPC_MAX_SERVERS];
    uint8_t sid[MPC_SID_LEN];
    char epbuf[MPC_MAX_SERVERS][64];
    const char *eps[MPC_MAX_SERVERS];
    uint8_t pk[MPC_MAX_SERVERS][32], sk[MPC_MAX_SERVERS][32];
    int ports[MPC_MAX_SERVERS];
    net_hub *hub = NULL;
    int rc = 0;

    if (n < 1 || n > MPC_MAX_SERVERS) return ERR_ARG;
    randombytes_buf(sid, sizeof sid);
    if (transport == HARNESS_HUB) {
        hub = net_hub_new(n);
        if (!hub) return ERR_NOMEM;
    } else {
        if (s_ports(n, ports)) return ERR_IO;
        for (int i = 0; i < n; i++) {
            snprintf(epbuf[i], sizeof epbuf[i], "tcp://127.0.0.1:%d", ports[i]);
            eps[i] = epbuf[i];
            crypto_box_keypair(pk[i], sk[i]);
        }
    }
    unsigned live = harness_live & ((1u << n) - 1);
    for (int i = 0; i < n; i++) {
        ps[i] = (party){ .F = F, .n = n, .t = t, .me = i + 1, .transport = transport,
                         .fn = fn, .arg = args ? args[i] : NULL, .hub = hub, .sid = sid,
                         .eps = eps, .pk = (const uint8_t (*)[32])pk, .sk = sk[i],
                         .live = live };
        if (live && !(live >> i & 1u)) continue;   /* down */
        if (pthread_create(&th[i], NULL, s_party, &ps[i]) != 0) abort();
    }
    for (int i = 0; i < n; i++) {
        if (live && !(live >> i & 1u)) {
            if (rcs) rcs[i] = 0;
            continue;
        }
        pthread_join(th[i], NULL);
        if (rcs) rcs[i] = ps[i].rc;
        if (ps[i].rc && !rc) rc = ps[i].rc;
    }
    net_hub_free(&hub);
    sodium_memzero(sk, sizeof sk);
    return rc;
}

void harness_share(const field *F, int n, int t, int d, const fe *secrets, size_t m, fe **out)
{
    shamir *S = shamir_new(F, n, t);
    if (!S) abort();
    fe *all = malloc((size_t)n * m * sizeof(fe) + 1);
    if (!all) abort();
    shamir_share(S, all, secrets, m, d);
    for (int i = 0; i < n; i++) {
        out[i] = malloc(m * sizeof(fe) + 1);
        if (!out[i]) abort();
        memcpy(out[i], all + (size_t)i * m, m * sizeof(fe));
    }
    free(all);
    shamir_free(&S);
}

int harness_open(const field *F, int n, int t, fe *out, fe *const *shares, size_t m)
{
    shamir *S = shamir_new(F, n, t);
    if (!S) abort();
    const fe *rows[MPC_MAX_SERVERS];
    for (int i = 0; i < n; i++) rows[i] = shares[i];
    int rc = n > t + 1 ? shamir_check(S, rows, t, m, NULL) : 0;
    if (rc == 0) rc = shamir_reconstruct(S, out, rows, (1u << (t + 1)) - 1, t, m);
    shamir_free(&S);
    return rc;
}

uint64_t harness_rand_bits(int bits)
{
    uint64_t v;
    randombytes_buf(&v, sizeof v);
    return bits >= 64 ? v : v & ((UINT64_C(1) << bits) - 1);
}

uint64_t harness_rounds(const mpc *M)
{
    uint64_t r, vr, br;
    mpc_stats(M, &r, NULL, NULL);
    mpc_verify_stats(M, NULL, &vr, NULL);
    gf2v_stats(M, NULL, &br);
    return r - vr - br;
}

uint64_t harness_elems(const mpc *M)
{
    uint64_t e, ve;
    mpc_stats(M, NULL, &e, NULL);
    mpc_verify_stats(M, NULL, NULL, &ve);
    return e - ve;
}

void harness_share_bits(uint64_t **out, const uint64_t *v, size_t N, int k, int n, int t)
{
    size_t nw = gf2_words(N);
    uint64_t *row = calloc(nw, 8), *sh[GF2_MAX_PARTIES];
    for (int i = 0; i < n; i++) {
        out[i] = calloc(bin_matrix_words(k, nw), 8);
        sh[i] = malloc(4 * nw * 8);
    }
    for (int j = 0; j < k; j++) {
        memset(row, 0, nw * 8);
        for (size_t e = 0; e < N; e++) row[e / 64] |= (v[e] >> j & 1u) << (e % 64);
        gf2_share(sh, row, nw, n, t);
        for (int i = 0; i < n; i++) bin_row_set(out[i], sh[i], k, j, nw);
    }
    for (int i = 0; i < n; i++) free(sh[i]);
    free(row);
}

int harness_open_bin_int(mpc *M, const uint64_t *X, int k, uint64_t *out)
{
    uint64_t v[4], bit;
    *out = 0;
    for (int j = 0; j < k; j++) {
        bin_row_get(v, X, k, j, 1);
        int rc = gf2_open(M, &bit, v, 1);
        if (rc) return rc;
        *out |= (bit & 1u) << j;
    }
    return 0;
}

void harness_reset(void)
{
    harness_live = 0;
    harness_security = -1;
    harness_timeout_ms = HARNESS_TIMEOUT_MS;
}
