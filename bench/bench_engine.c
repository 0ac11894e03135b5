/* bench_engine: throughput and latency of the arithmetic engine with 3 servers as
 * separate processes on loopback over CurveZMQ (n = 3, t = 1). Prints one JSON
 * line per figure:
 *   {"name":...,"value":...,"unit":...,"n":3,"t":1,"N":...,"rounds":...,
 *    "bytes_per_party":...}
 * rounds and bytes_per_party are server 1's for the measured operation (bytes
 * include message headers). Figures are warm (after one untimed run of the same
 * operation). Usage: bench_engine [--quick]. */
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "common/net.h"
#include "common/prg.h"
#include "common/secmem.h"
#include "protocols/bits.h"
#include "protocols/compare.h"
#include "protocols/max.h"
#include "protocols/mpc.h"
#include "protocols/mul.h"

#define B_N 3
#define B_T 1
#define B_K 32

typedef struct bench {
    mpc *M;
    int quick;
    int warmup;          /* 1 while running an untimed warm-up pass */
    uint8_t seed[32];    /* public: inputs are derived from it on every server */
} bench;

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *s_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) abort();
    return p;
}

/* Snapshot of server 1's counters around an operation. */
typedef struct meter {
    double t0;
    uint64_t r0, b0;
} meter;

static int s_start(bench *B, meter *mt)
{
    fe z = 0;
    int rc = mpc_open(B->M, &z, &z, 1);   /* barrier: all servers start together */
    mpc_stats(B->M, &mt->r0, NULL, &mt->b0);
    mt->t0 = s_now();
    return rc;
}

static void s_report(bench *B, const meter *mt, const char *name, const char *unit,
                     double per, size_t N)
{
    double dt = s_now() - mt->t0;
    uint64_t r1, b1;
    mpc_stats(B->M, &r1, NULL, &b1);
    if (B->M->me != 1 || B->warmup) return;
    double value = per > 0 ? per / dt : dt;
    printf("{\"name\":\"%s\",\"value\":%.6g,\"unit\":\"%s\",\"n\":%d,\"t\":%d,\"N\":%zu,"
           "\"rounds\":%llu,\"bytes_per_party\":%llu}\n",
           name, value, unit, B->M->n, B->M->t, N, (unsigned long long)(r1 - mt->r0),
           (unsigned long long)(b1 - mt->b0));
    fflush(stdout);
}

/* Public pseudo-random k-bit values (same on every server), as constant
 * sharings of their bits: the cost of a comparison does not depend on them. */
static void s_public_values(bench *B, uint64_t *v, size_t m, int k, uint32_t domain)
{
    prg g;
    prg_init(&g, B->seed, domain, 0);
    prg_bytes(&g, (uint8_t *)v, m * sizeof *v);
    prg_wipe(&g);
    for (size_t i = 0; i < m; i++) v[i] &= k == 64 ? UINT64_MAX : (UINT64_C(1) << k) - 1;
}

static void s_bits_of(fe *out, const uint64_t *v, size_t m, int k)
{
    for (size_t i = 0; i < m; i++)
        for (int j = 0; j < k; j++) out[i * (size_t)k + (size_t)j] = (v[i] >> j) & 1;
}

static int s_bench_mul(bench *B)
{
    size_t m = B->quick ? 100000 : 1000000;
    fe *x = s_xmalloc(m * sizeof(fe)), *y = s_xmalloc(m * sizeof(fe));
    mpc_rand(B->M, x, m);
    mpc_rand(B->M, y, m);
    meter mt;
    int rc = s_start(B, &mt);
    if (!rc) rc = mpc_mul(B->M, x, x, y, m);
    if (!rc) s_report(B, &mt, "mul_per_s", "mul/s", (double)m, m);
    free(x);
    free(y);
    return rc;
}

static int s_bench_randbits(bench *B)
{
    size_t m = B->quick ? 20000 : 200000;
    meter mt;
    int rc = s_start(B, &mt);
    if (!rc) rc = bits_fill(B->M, m);
    if (!rc) s_report(B, &mt, "randbits_per_s", "bits/s", (double)m, m);
    fe *tmp = s_xmalloc(m * sizeof(fe));
    if (!rc) rc = bits_rand(B->M, tmp, m);   /* drain the pool */
    free(tmp);
    return rc;
}

/* Bit-decomposed comparisons, verified against the clear values. */
static int s_bench_cmp(bench *B)
{
    size_t m = B->quick ? 10000 : 100000, len = m * B_K;
    uint64_t *a = s_xmalloc(m * 8), *b = s_xmalloc(m * 8);
    fe *ab = s_xmalloc(len * sizeof(fe)), *bb = s_xmalloc(len * sizeof(fe));
    fe *res = s_xmalloc(m * sizeof(fe));
    s_public_values(B, a, m, B_K, 1);
    s_public_values(B, b, m, B_K, 2);
    for (size_t i = 0; i < m; i += 7) b[i] = a[i];
    s_bits_of(ab, a, m, B_K);
    s_bits_of(bb, b, m, B_K);
    meter mt;
    int rc = s_start(B, &mt);
    if (!rc) rc = cmp_gt_bits(B->M, res, ab, bb, m, B_K);
    if (!rc) s_report(B, &mt, "cmp_per_s", "cmp/s", (double)m, m);
    if (!rc) rc = mpc_open(B->M, res, res, m);
    for (size_t i = 0; i < m && !rc; i++)
        if (res[i] != (a[i] > b[i])) {
            fprintf(stderr, "bench: comparison %zu wrong\n", i);
            rc = ERR_STATE;
        }
    free(a);
    free(b);
    free(ab);
    free(bb);
    free(res);
    return rc;
}

/* General comparisons of values (bit decomposition of the masked difference),
 * random bits included in the time. */
static int s_bench_cmp_value(bench *B)
{
    size_t m = B->quick ? 2000 : 20000;
    uint64_t *a = s_xmalloc(m * 8), *b = s_xmalloc(m * 8);
    fe *x = s_xmalloc(m * sizeof(fe)), *y = s_xmalloc(m * sizeof(fe));
    fe *res = s_xmalloc(m * sizeof(fe));
    s_public_values(B, a, m, B_K, 3);
    s_public_values(B, b, m, B_K, 4);
    for (size_t i = 0; i < m; i++) {
        x[i] = a[i];
        y[i] = b[i];
    }
    meter mt;
    int rc = s_start(B, &mt);
    if (!rc) rc = cmp_lt(B->M, res, x, y, m, B_K);
    if (!rc) s_report(B, &mt, "cmp_value_per_s", "cmp/s", (double)m, m);
    if (!rc) rc = mpc_open(B->M, res, res, m);
    for (size_t i = 0; i < m && !rc; i++)
        if (res[i] != (a[i] < b[i])) {
            fprintf(stderr, "bench: value comparison %zu wrong\n", i);
            rc = ERR_STATE;
        }
    free(a);
    free(b);
    free(x);
    free(y);
    free(res);
    return rc;
}

static int s_bench_max(bench *B, size_t N)
{
    size_t len = N * B_K;
    uint64_t *v = s_xmalloc(N * 8);
    fe *bits = s_xmalloc(len * sizeof(fe)), out[2];
    s_public_values(B, v, N, B_K, 5);
    s_bits_of(bits, v, N, B_K);
    meter mt;
    int rc = s_start(B, &mt);
    if (!rc) rc = max_argmax(B->M, &out[0], &out[1], NULL, bits, N, B_K);
    if (!rc) s_report(B, &mt, "max_seconds", "s", 0, N);
    if (!rc) rc = mpc_open(B->M, out, out, 2);
    if (!rc) {
        size_t w = 0;
        for (size_t i = 1; i < N; i++)
            if (v[i] > v[w]) w = i;
        if (out[0] != v[w] || out[1] != w) {
            fprintf(stderr, "bench: max wrong\n");
            rc = ERR_STATE;
        }
    }
    free(v);
    free(bits);
    return rc;
}

static int s_server(int me, int quick, const uint8_t *sid, const char *const *eps,
                    const uint8_t (*pk)[32], const uint8_t *sk)
{
    char err[256];
    net *nw = NULL;
    net_zmq_cfg cfg = { .n = B_N, .me = me, .sid = sid, .endpoints = eps, .server_pk = pk,
                        .my_sk = sk, .timeout_ms = 120000, .linger_ms = 2000 };
    int rc = net_zmq_open(&nw, &cfg, err, sizeof err);
    if (rc) {
        fprintf(stderr, "bench S%d: %s\n", me, err);
        return rc;
    }
    if (me == 1 && !net_is_curve(nw)) {
        fprintf(stderr, "bench: the mesh is not CURVE\n");
        net_free(&nw);
        return ERR_CRYPTO;
    }
    field F;
    mpc M;
    if ((rc = field_init_default(&F, B_K, MPC_KAPPA)) != 0 ||
        (rc = mpc_init(&M, &F, B_N, B_T, nw)) != 0) {
        fprintf(stderr, "bench S%d: set-up failed: %s\n", me, err_str(rc));
        net_free(&nw);
        return rc;
    }
    bench B = { .M = &M, .quick = quick };
    memcpy(B.seed, sid, 32);
    /* Every figure is warm: one untimed run of the same operation first, so
     * buffers and page mappings are in place as in a long-running server (a
     * cold run pays the kernel's zeroing of fresh pages; docs/protocols.md). */
    for (int pass = 0; pass < 2 && !rc; pass++) {
        B.warmup = pass == 0;
        rc = s_bench_mul(&B);
        if (!rc) rc = s_bench_cmp(&B);
        if (!rc) rc = s_bench_randbits(&B);
        if (!rc) rc = s_bench_cmp_value(&B);
        size_t Ns[3] = { 1000, 10000, 100000 };
        for (int i = 0; i < (quick ? 2 : 3) && !rc; i++) rc = s_bench_max(&B, Ns[i]);
    }
    if (rc) fprintf(stderr, "bench S%d: %s (%s)\n", me, err_str(rc), mpc_errmsg(&M));
    if (!rc) rc = net_bye(nw);
    mpc_clear(&M);
    net_free(&nw);
    return rc;
}

static int s_ports(int n, int *ports)
{
    int fds[B_N], rc = 0;
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
            rc = -1;
        else
            ports[i] = ntohs(a.sin_port);
    }
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0) close(fds[i]);
    return rc;
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    /* glibc serves allocations above 32 MiB (a 100,000-comparison round) with a
     * fresh mmap each time; on this VM the page faults of libzmq's and the
     * transport's per-message buffers cost as much as the protocol. Re-run
     * once with transparent huge pages for those mappings (measured: half the
     * CPU per comparison). */
    if (!getenv("GLIBC_TUNABLES") && !getenv("MPC_BENCH_NO_REEXEC")) {
        setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", 1);
        setenv("MPC_BENCH_NO_REEXEC", "1", 1);
        execv("/proc/self/exe", argv);   /* on failure, run as we are */
    }
    if (secmem_init() != 0) return 1;
    /* Keep large buffers in the heap: libzmq's CURVE allocates and zero-fills a
     * fresh buffer per message, and with glibc's default mmap threshold every
     * large message costs page faults and unmaps (measured: 2.5x slower). */
    (void)mallopt(M_MMAP_THRESHOLD, 32 << 20);   /* glibc maximum */
    (void)mallopt(M_TRIM_THRESHOLD, 1 << 30);
    (void)mallopt(M_TOP_PAD, 64 << 20);
    uint8_t sid[NET_SID_LEN], pk[B_N][32], sk[B_N][32];
    char epb[B_N][64];
    const char *eps[B_N];
    int ports[B_N];
    randombytes_buf(sid, sizeof sid);
    if (s_ports(B_N, ports) != 0) {
        fprintf(stderr, "bench: no free loopback port\n");
        return 1;
    }
    for (int i = 0; i < B_N; i++) {
        crypto_box_keypair(pk[i], sk[i]);
        snprintf(epb[i], sizeof epb[i], "tcp://127.0.0.1:%d", ports[i]);
        eps[i] = epb[i];
    }
    fflush(stdout);
    pid_t pids[B_N];
    for (int i = 0; i < B_N; i++) {
        pids[i] = fork();
        if (pids[i] < 0) {
            perror("fork");
            return 1;
        }
        if (pids[i] == 0) {
            /* each server creates its own ZeroMQ context after the fork */
            int rc = s_server(i + 1, quick, sid, eps, (const uint8_t (*)[32])pk, sk[i]);
            sodium_memzero(sk, sizeof sk);
            _exit(rc ? 1 : 0);
        }
    }
    sodium_memzero(sk, sizeof sk);
    int fail = 0;
    for (int i = 0; i < B_N; i++) {
        int st;
        if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) fail = 1;
    }
    return fail;
}
