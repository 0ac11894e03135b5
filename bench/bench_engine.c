/* bench_engine: throughput and latency of the arithmetic engine with 3 servers as
 * separate processes on loopback over CurveZMQ (n = 3, t = 1), in both security
 * modes on the same run. Prints one JSON line per figure and mode:
 *   {"name":...,"value":...,"unit":...,"n":3,"t":1,"k":32,"N":...,
 *    "security":"semi-honest"|"malicious","verify_rounds":...,"rounds":...,
 *    "bytes_per_party":...,"cpu_s":...}
 * rounds and bytes_per_party are server 1's for the measured operation (bytes
 * include message headers); in malicious mode the measured operation ends with
 * mpc_verify (the check of every multiplication it made), whose rounds are also
 * given alone (verify_rounds). Figures are warm (after one untimed run of the
 * same operation). Usage: bench_engine [--quick] [--mode semi-honest|malicious]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench/lib/procs.h"
#include "common/prg.h"
#include "common/secmem.h"
#include "common/xalloc.h"
#include "protocols/bincmp.h"
#include "protocols/binltz.h"
#include "protocols/bits.h"
#include "protocols/compare.h"
#include "protocols/gf2_verify.h"
#include "protocols/max.h"
#include "protocols/mpc.h"
#include "protocols/mul.h"
#include "protocols/verify.h"

#define B_N 3
#define B_T 1
#define B_K 32

typedef struct bench {
    mpc *M;
    int quick;
    int warmup;          /* 1 while running an untimed warm-up pass */
    uint8_t seed[32];    /* public: inputs are derived from it on every server */
    uint64_t vr0;        /* verification rounds at the start of the figure */
} bench;

typedef procs_meter meter;

/* Rounds of the checks so far: F_p multiplications and binary gates. */
static uint64_t s_vrounds(const bench *B)
{
    uint64_t vr, br;
    mpc_verify_stats(B->M, NULL, &vr, NULL);
    gf2v_stats(B->M, NULL, &br);
    return vr + br;
}

static int s_start(bench *B, meter *mt)
{
    int rc = procs_start(B->M, mt);   /* barrier: all servers start together */
    B->vr0 = s_vrounds(B);
    return rc;
}

/* The end of a measured operation: in malicious mode its multiplications and
 * gates are verified inside the measurement (a result is only usable once
 * verified). */
static int s_done(bench *B)
{
    int rc = mpc_verify(B->M);
    return rc ? rc : gf2_verify(B->M);
}

static void s_report(bench *B, const meter *mt, const char *name, const char *unit,
                     double per, size_t N)
{
    double dt = procs_elapsed(mt);
    if (B->warmup) return;
    char extra[224];
    uint64_t vr = s_vrounds(B);
    size_t pos = (size_t)snprintf(extra, sizeof extra,
                                  ",\"k\":%d,\"N\":%zu,\"security\":\"%s\",\"verify_rounds\":%llu",
                                  B_K, N, mpc_security(B->M) == MPC_MALICIOUS ? "malicious" : "semi-honest",
                                  (unsigned long long)(vr - B->vr0));
    if (!strcmp(unit, "cmp/s") && N && pos < sizeof extra) {   /* the bytes per comparison */
        uint64_t bytes;
        mpc_stats(B->M, NULL, NULL, &bytes);
        snprintf(extra + pos, sizeof extra - pos, ",\"bytes_per_cmp\":%.1f",
                 (double)(bytes - mt->b0) / (double)N);
    }
    /* per > 0: a rate (per items in dt); per < 0: seconds per item (-per items) */
    procs_report(B->M, mt, name, per > 0 ? per / dt : per < 0 ? dt / -per : dt, unit, extra);
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
    fe *x = xmalloc(m * sizeof(fe)), *y = xmalloc(m * sizeof(fe));
    mpc_rand(B->M, x, m);
    mpc_rand(B->M, y, m);
    meter mt;
    int rc = s_start(B, &mt);
    if (!rc) rc = mpc_mul(B->M, x, x, y, m);
    if (!rc) rc = s_done(B);
    if (!rc) s_report(B, &mt, "mul_per_s", "mul/s", (double)m, m);
    free(x);
    free(y);
    return rc;
}

/* A bare round: one element to each peer and one from each, R times in a row
 * (the floor under every protocol's latency: rounds x this). */
static int s_bench_round(bench *B)
{
    size_t R = B->quick ? 500 : 5000;
    fe one[1] = { 1 }, in[B_N][1];
    const fe *send[B_N];
    fe *recv[B_N];
    size_t len[B_N];
    for (int j = 0; j < B_N; j++) {
        send[j] = one;
        recv[j] = in[j];
        len[j] = 1;
    }
    meter mt;
    int rc = s_start(B, &mt);
    for (size_t r = 0; r < R && !rc; r++) rc = mpc_round(B->M, MPC_MSG_OPEN, send, len, recv, len);
    if (!rc) s_report(B, &mt, "round_trip_seconds", "s", -(double)R, R);
    return rc;
}

static int s_bench_randbits(bench *B)
{
    size_t m = B->quick ? 20000 : 200000;
    meter mt;
    int rc = s_start(B, &mt);
    if (!rc) rc = bits_fill(B->M, m);
    if (!rc) rc = s_done(B);
    if (!rc) s_report(B, &mt, "randbits_per_s", "bits/s", (double)m, m);
    fe *tmp = xmalloc(m * sizeof(fe));
    if (!rc) rc = bits_rand(B->M, tmp, m);   /* drain the pool */
    free(tmp);
    return rc;
}

/* Bit-decomposed comparisons, verified against the clear values. */
static int s_bench_cmp(bench *B)
{
    size_t m = B->quick ? 10000 : 100000, len = m * B_K;
    uint64_t *a = xmalloc(m * 8), *b = xmalloc(m * 8);
    fe *ab = xmalloc(len * sizeof(fe)), *bb = xmalloc(len * sizeof(fe));
    fe *res = xmalloc(m * sizeof(fe));
    s_public_values(B, a, m, B_K, 1);
    s_public_values(B, b, m, B_K, 2);
    for (size_t i = 0; i < m; i += 7) b[i] = a[i];
    s_bits_of(ab, a, m, B_K);
    s_bits_of(bb, b, m, B_K);
    meter mt;
    int rc = s_start(B, &mt);
    if (!rc) rc = cmp_gt_bits(B->M, res, ab, bb, m, B_K);
    if (!rc) rc = s_done(B);
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
    uint64_t *a = xmalloc(m * 8), *b = xmalloc(m * 8);
    fe *x = xmalloc(m * sizeof(fe)), *y = xmalloc(m * sizeof(fe));
    fe *res = xmalloc(m * sizeof(fe));
    s_public_values(B, a, m, B_K, 3);
    s_public_values(B, b, m, B_K, 4);
    for (size_t i = 0; i < m; i++) {
        x[i] = a[i];
        y[i] = b[i];
    }
    meter mt;
    int rc = s_start(B, &mt);
    if (!rc) rc = cmp_lt(B->M, res, x, y, m, B_K);
    if (!rc) rc = s_done(B);
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

/* Public values as a constant binary-domain bit matrix (every share equal:
 * the cost does not depend on the values). */
static uint64_t *s_bin_matrix(const uint64_t *v, size_t N, int k)
{
    size_t nw = gf2_words(N);
    uint64_t *X = xcalloc(bin_matrix_words(k, nw), 8);
    for (int j = 0; j < k; j++)
        for (size_t e = 0; e < N; e++) X[(size_t)j * nw + e / 64] |= (v[e] >> j & 1u) << (e % 64);
    return X;
}

/* Binary domain (protocols/gf2.h): comparisons of bit-decomposed values, as
 * clients would share them (malicious: their bits checked, x * x = x, and
 * every gate verified inside the measurement), checked against the clear
 * ones. */
static int s_bench_bin_cmp(bench *B)
{
    size_t m = B->quick ? 10000 : 100000, nw = gf2_words(m);
    uint64_t *a = xmalloc(m * 8), *b = xmalloc(m * 8), *g = xmalloc(4 * nw * 8),
             *bits = xmalloc(nw * 8);
    s_public_values(B, a, m, B_K, 6);
    s_public_values(B, b, m, B_K, 7);
    uint64_t *A = s_bin_matrix(a, m, B_K), *Bm = s_bin_matrix(b, m, B_K);
    meter mt;
    int rc = s_start(B, &mt);
    if (!rc) rc = gf2_log_bits(B->M, A, (size_t)B_K * nw);
    if (!rc) rc = gf2_log_bits(B->M, Bm, (size_t)B_K * nw);
    if (!rc) rc = bin_gt(B->M, g, A, Bm, B_K, nw);
    if (!rc) rc = s_done(B);
    if (!rc) s_report(B, &mt, "bin_cmp_per_s", "cmp/s", (double)m, m);
    if (!rc) rc = gf2_open(B->M, bits, g, nw);
    for (size_t i = 0; i < m && !rc; i++)
        if ((bits[i / 64] >> (i % 64) & 1u) != (a[i] > b[i])) {
            fprintf(stderr, "bench: binary comparison %zu wrong\n", i);
            rc = ERR_STATE;
        }
    free(a), free(b), free(g), free(bits), free(A), free(Bm);
    return rc;
}

/* Comparisons of shared F_p values through the binary domain (binltz.h). */
static int s_bench_bin_cmp_value(bench *B)
{
    size_t m = B->quick ? 10000 : 100000;
    uint64_t *a = xmalloc(m * 8), *b = xmalloc(m * 8);
    fe *x = xmalloc(m * sizeof(fe)), *y = xmalloc(m * sizeof(fe)), *res = xmalloc(m * sizeof(fe));
    s_public_values(B, a, m, B_K, 9);
    s_public_values(B, b, m, B_K, 10);
    for (size_t i = 0; i < m; i++) {   /* constant sharings: the cost does not depend on them */
        x[i] = a[i];
        y[i] = b[i];
    }
    meter mt;
    int rc = s_start(B, &mt);
    if (!rc) rc = bin_lt(B->M, res, x, y, m, B_K);
    if (!rc) rc = s_done(B);
    if (!rc) s_report(B, &mt, "bin_cmp_value_per_s", "cmp/s", (double)m, m);
    if (!rc) rc = mpc_open(B->M, res, res, m);
    for (size_t i = 0; i < m && !rc; i++)
        if (res[i] != (a[i] < b[i])) {
            fprintf(stderr, "bench: binary value comparison %zu wrong\n", i);
            rc = ERR_STATE;
        }
    free(a), free(b), free(x), free(y), free(res);
    return rc;
}

static int s_bench_bin_max(bench *B, size_t N)
{
    uint64_t *v = xmalloc(N * 8), mx[4 * B_K], ix[4 * 64], bit;
    s_public_values(B, v, N, B_K, 8);
    uint64_t *X = s_bin_matrix(v, N, B_K);
    meter mt;
    int rc = s_start(B, &mt);
    if (!rc) rc = gf2_log_bits(B->M, X, (size_t)B_K * gf2_words(N));
    if (!rc) rc = bin_max(B->M, mx, ix, X, N, B_K);
    if (!rc) rc = s_done(B);
    if (!rc) s_report(B, &mt, "bin_max_seconds", "s", 0, N);
    size_t w = 0, got = 0;
    for (size_t i = 1; i < N; i++)
        if (v[i] > v[w]) w = i;
    int ib = bin_index_bits(N);
    for (int j = 0; j < ib && !rc; j++) {
        uint64_t row[4];
        bin_row_get(row, ix, ib, j, 1);
        rc = gf2_open(B->M, &bit, row, 1);
        got |= (size_t)(bit & 1u) << j;
    }
    if (!rc && got != w) {
        fprintf(stderr, "bench: binary max index wrong\n");
        rc = ERR_STATE;
    }
    free(v);
    free(X);
    return rc;
}

static int s_bench_max(bench *B, size_t N)
{
    size_t len = N * B_K;
    uint64_t *v = xmalloc(N * 8);
    fe *bits = xmalloc(len * sizeof(fe)), out[2];
    s_public_values(B, v, N, B_K, 5);
    s_bits_of(bits, v, N, B_K);
    meter mt;
    int rc = s_start(B, &mt);
    if (!rc) rc = max_argmax(B->M, &out[0], &out[1], NULL, bits, N, B_K);
    if (!rc) rc = s_done(B);
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

typedef struct opts {
    int quick;
    int modes[2], nmodes;
} opts;

/* One figure in both modes, each warm: one untimed run of the same operation
 * first, so buffers and page mappings are in place as in a long-running server
 * (a cold run pays the kernel's zeroing of fresh pages; docs/protocols.md). */
static int s_figure(bench *B, const opts *O, int (*fn)(bench *, size_t), size_t arg)
{
    int rc = 0;
    for (int i = 0; i < O->nmodes && !rc; i++) {
        mpc_set_security(B->M, O->modes[i]);
        for (int pass = 0; pass < 2 && !rc; pass++) {
            B->warmup = pass == 0;
            rc = fn(B, arg);
        }
    }
    return rc;
}

static int s_fig_mul(bench *B, size_t a) { (void)a; return s_bench_mul(B); }
static int s_fig_cmp(bench *B, size_t a) { (void)a; return s_bench_cmp(B); }
static int s_fig_bits(bench *B, size_t a) { (void)a; return s_bench_randbits(B); }
static int s_fig_cmpv(bench *B, size_t a) { (void)a; return s_bench_cmp_value(B); }
static int s_fig_max(bench *B, size_t N) { return s_bench_max(B, N); }
static int s_fig_round(bench *B, size_t a) { (void)a; return s_bench_round(B); }
static int s_fig_bin_cmp(bench *B, size_t a) { (void)a; return s_bench_bin_cmp(B); }
static int s_fig_bin_max(bench *B, size_t N) { return s_bench_bin_max(B, N); }
static int s_fig_bin_cmpv(bench *B, size_t a) { (void)a; return s_bench_bin_cmp_value(B); }

static int s_server(mpc *M, void *arg)
{
    const opts *O = arg;
    int rc = 0;
    bench B = { .M = M, .quick = O->quick };
    if ((rc = mpc_coin(M, B.seed)) != 0) return rc;   /* public input seed */
    rc = s_figure(&B, O, s_fig_round, 0);
    if (!rc) rc = s_figure(&B, O, s_fig_mul, 0);
    if (!rc) rc = s_figure(&B, O, s_fig_cmp, 0);
    if (!rc) rc = s_figure(&B, O, s_fig_bits, 0);
    if (!rc) rc = s_figure(&B, O, s_fig_cmpv, 0);
    size_t Ns[3] = { 1000, 10000, 100000 };
    for (int i = 0; i < (O->quick ? 2 : 3) && !rc; i++) rc = s_figure(&B, O, s_fig_max, Ns[i]);
    if (!rc) rc = s_figure(&B, O, s_fig_bin_cmp, 0);
    if (!rc) rc = s_figure(&B, O, s_fig_bin_cmpv, 0);
    for (int i = 0; i < (O->quick ? 2 : 3) && !rc; i++) rc = s_figure(&B, O, s_fig_bin_max, Ns[i]);
    return rc;
}

int main(int argc, char **argv)
{
    opts O = { .modes = { MPC_SEMI_HONEST, MPC_MALICIOUS }, .nmodes = 2 };
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            O.quick = 1;
        } else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
            O.nmodes = 1;
            O.modes[0] = strcmp(argv[++i], "malicious") == 0 ? MPC_MALICIOUS : MPC_SEMI_HONEST;
        } else {
            fprintf(stderr, "usage: bench_engine [--quick] [--mode semi-honest|malicious]\n");
            return 2;
        }
    }
    procs_tune(argv);
    if (secmem_init() != 0) return 1;
    field F;
    if (field_init_default(&F, B_K, MPC_KAPPA) != 0) return 1;
    return procs_run(&F, B_N, B_T, s_server, &O) == 0 ? 0 : 1;
}
