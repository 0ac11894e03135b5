/* test_gf2: the binary domain against the clear computation: GF(16)
 * arithmetic, bit-sliced sharing and reconstruction (a tampered share and a
 * non-bit are caught), AND and opening over real parties (hub and CurveZMQ,
 * n = 3, 5, and 4 with a server down), comparison and tournament maximum on
 * edge values, ties and sizes that are not powers of two. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/secmem.h"
#include "protocols/bincmp.h"
#include "protocols/gf2.h"
#include "tests/harness.h"

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
}

/* Semi-honest unless a test says otherwise (the malicious_ ones). */
static void s_init(void)
{
    s_setup();
    harness_security = MPC_SEMI_HONEST;
}

static void s_fini(void)
{
    harness_live = 0;
    harness_security = -1;
}

TestSuite(gf2, .init = s_init, .fini = s_fini, .timeout = 120);

static uint64_t s_rand64(void)
{
    return harness_rand_bits(32) << 32 | harness_rand_bits(32);
}

Test(gf2, gf16_is_a_field)
{
    for (unsigned a = 0; a < 16; a++)
        for (unsigned b = 0; b < 16; b++) {
            cr_assert_eq(gf16_mul((uint8_t)a, (uint8_t)b), gf16_mul((uint8_t)b, (uint8_t)a));
            for (unsigned c = 0; c < 16; c++)
                cr_assert_eq(gf16_mul((uint8_t)a, (uint8_t)(b ^ c)),
                             gf16_mul((uint8_t)a, (uint8_t)b) ^ gf16_mul((uint8_t)a, (uint8_t)c));
        }
    for (unsigned a = 1; a < 16; a++) cr_assert_eq(gf16_mul((uint8_t)a, gf16_inv((uint8_t)a)), 1);
    /* x^4 = x + 1 */
    cr_assert_eq(gf16_mul(8, 2), 3);
    /* the bit-sliced scale agrees with the table */
    uint64_t x[4], y[4];
    for (int p = 0; p < 4; p++) x[p] = s_rand64();
    for (unsigned c = 0; c < 16; c++) {
        gf2_scale(y, (uint8_t)c, x, 1);
        for (int l = 0; l < 64; l++) {
            unsigned v = 0, w = 0;
            for (int p = 0; p < 4; p++) v |= (unsigned)(x[p] >> l & 1u) << p;
            for (int p = 0; p < 4; p++) w |= (unsigned)(y[p] >> l & 1u) << p;
            cr_assert_eq(w, gf16_mul((uint8_t)c, (uint8_t)v));
        }
    }
}

Test(gf2, share_reconstruct_and_tamper)
{
    for (int n = 2; n <= 9; n++)
        for (int t = 0; 2 * t < n; t++) {
            size_t nw = 3;
            uint64_t bits[3] = { s_rand64(), 0, ~(uint64_t)0 }, out[3];
            uint64_t *sh[9];
            for (int i = 0; i < n; i++) sh[i] = malloc(4 * nw * 8);
            gf2_share(sh, bits, nw, n, t);
            cr_assert_eq(gf2_reconstruct(out, (const uint64_t *const *)sh, nw, n, t), 0);
            cr_assert_eq(memcmp(out, bits, sizeof bits), 0, "n=%d t=%d", n, t);
            if (n > t + 1) {
                sh[n - 1][5] ^= 1;   /* one bit of one plane of the last share */
                cr_assert_eq(gf2_reconstruct(out, (const uint64_t *const *)sh, nw, n, t),
                             ERR_CHEAT, "n=%d t=%d: a tampered share", n, t);
            }
            for (int i = 0; i < n; i++) free(sh[i]);
        }
    /* a sharing of a non-bit (plane 1 set on every share: the constant x) */
    uint64_t c[3][4] = { { 0, 1, 0, 0 }, { 0, 1, 0, 0 }, { 0, 1, 0, 0 } }, out[1];
    const uint64_t *rows[3] = { c[0], c[1], c[2] };
    cr_assert_eq(gf2_reconstruct(out, rows, 1, 3, 1), ERR_CHEAT);
}

/* ---- gates over real parties ---------------------------------------------- */

#define NW 4

typedef struct job {
    const uint64_t *x, *y;
    uint64_t z[NW], nz[NW];
} job;

static int s_and_body(mpc *M, void *arg)
{
    job *J = arg;
    uint64_t z[4 * NW], xn[4 * NW];
    int rc = gf2_and(M, z, J->x, J->y, NW);
    if (rc == 0) rc = gf2_open(M, J->z, z, NW);
    gf2_not(xn, J->x, NW);   /* NOT then AND: x' & y */
    if (rc == 0) rc = gf2_and(M, z, xn, J->y, NW);
    if (rc == 0) rc = gf2_open(M, J->nz, z, NW);
    return rc;
}

static void s_and(int n, int t, int transport, unsigned live)
{
    static field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    uint64_t x[NW], y[NW];
    for (int w = 0; w < NW; w++) {
        x[w] = s_rand64();
        y[w] = s_rand64();
    }
    x[0] = 0;
    y[1] = ~(uint64_t)0;
    uint64_t *xs[9], *ys[9];
    for (int i = 0; i < n; i++) {
        xs[i] = malloc(4 * NW * 8);
        ys[i] = malloc(4 * NW * 8);
    }
    gf2_share(xs, x, NW, n, t);
    gf2_share(ys, y, NW, n, t);
    job jobs[9];
    void *args[9];
    for (int i = 0; i < n; i++) {
        jobs[i] = (job){ .x = xs[i], .y = ys[i] };
        args[i] = &jobs[i];
    }
    harness_live = live;
    int rc = harness_run(&F, n, t, transport, s_and_body, args, NULL);
    harness_live = 0;
    cr_assert_eq(rc, 0);
    for (int i = 0; i < n; i++) {
        if (live && !(live >> i & 1u)) continue;
        for (int w = 0; w < NW; w++) {
            cr_assert_eq(jobs[i].z[w], x[w] & y[w], "S%d word %d", i + 1, w);
            cr_assert_eq(jobs[i].nz[w], ~x[w] & y[w], "S%d word %d", i + 1, w);
        }
    }
    for (int i = 0; i < n; i++) {
        free(xs[i]);
        free(ys[i]);
    }
}

Test(gf2, and_matches_clear_n3_hub) { s_and(3, 1, HARNESS_HUB, 0); }
Test(gf2, and_matches_clear_n5_t2_hub) { s_and(5, 2, HARNESS_HUB, 0); }
Test(gf2, and_matches_clear_n3_curvezmq) { s_and(3, 1, HARNESS_ZMQ, 0); }
Test(gf2, and_matches_clear_n4_server_3_down) { s_and(4, 1, HARNESS_HUB, 0xb); }

/* The same runs with the verification of gf2_verify.h before every opening. */
static void s_and_mal(int n, int t, int transport, unsigned live)
{
    harness_security = MPC_MALICIOUS;
    s_and(n, t, transport, live);
}

Test(gf2, malicious_and_verifies_n3_hub) { s_and_mal(3, 1, HARNESS_HUB, 0); }
Test(gf2, malicious_and_verifies_n5_t2_hub) { s_and_mal(5, 2, HARNESS_HUB, 0); }
Test(gf2, malicious_and_verifies_n3_curvezmq) { s_and_mal(3, 1, HARNESS_ZMQ, 0); }
Test(gf2, malicious_and_verifies_n4_server_3_down) { s_and_mal(4, 1, HARNESS_HUB, 0xb); }
Test(gf2, malicious_and_verifies_n5_t1_two_down) { s_and_mal(5, 1, HARNESS_HUB, 0x15); }

/* ---- comparison and maximum ------------------------------------------------ */

typedef struct cjob {
    const uint64_t *a, *b;
    size_t N;
    int k, op;            /* 0: gt, 1: max */
    uint64_t gt[64], max, idx;
    uint64_t rounds;
} cjob;

static int s_cmp_body(mpc *M, void *arg)
{
    cjob *J = arg;
    size_t nw = gf2_words(J->N);
    uint64_t r0 = harness_rounds(M);
    if (J->op == 0) {
        uint64_t *g = malloc(4 * nw * 8);
        int rc = bin_gt(M, g, J->a, J->b, J->k, nw);
        J->rounds = harness_rounds(M) - r0;
        if (rc == 0) rc = gf2_open(M, J->gt, g, nw);
        free(g);
        return rc;
    }
    int ib = bin_index_bits(J->N);
    uint64_t mx[4 * 64], ix[4 * 64];
    int rc = bin_max(M, mx, ix, J->a, J->N, J->k);
    J->rounds = harness_rounds(M) - r0;
    if (rc == 0) rc = harness_open_bin_int(M, mx, J->k, &J->max);
    if (rc == 0) rc = harness_open_bin_int(M, ix, ib, &J->idx);
    return rc;
}

static void s_cmp_run(int n, int t, const uint64_t *a, const uint64_t *b, size_t N, int k, int op,
                      cjob *jobs)
{
    static field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    uint64_t *as[9], *bs[9] = { 0 };
    harness_share_bits(as, a, N, k, n, t);
    if (b) harness_share_bits(bs, b, N, k, n, t);
    void *args[9];
    for (int i = 0; i < n; i++) {
        jobs[i] = (cjob){ .a = as[i], .b = bs[i], .N = N, .k = k, .op = op };
        args[i] = &jobs[i];
    }
    cr_assert_eq(harness_run(&F, n, t, HARNESS_HUB, s_cmp_body, args, NULL), 0);
    for (int i = 0; i < n; i++) {
        free(as[i]);
        free(bs[i]);
    }
}

static void s_gt(int n, int t, int k, size_t N)
{
    uint64_t *a = malloc(N * 8), *b = malloc(N * 8);
    uint64_t top = k == 64 ? ~(uint64_t)0 : ((uint64_t)1 << k) - 1;
    for (size_t i = 0; i < N; i++) {
        a[i] = s_rand64() & top;
        b[i] = i % 3 == 0 ? a[i] : s_rand64() & top;   /* a third equal */
    }
    a[0] = 0, b[0] = top;
    a[1] = top, b[1] = 0;
    a[2] = top, b[2] = top;
    cjob jobs[9];
    s_cmp_run(n, t, a, b, N, k, 0, jobs);
    for (size_t i = 0; i < N; i++)
        cr_assert_eq(jobs[0].gt[i / 64] >> (i % 64) & 1u, (uint64_t)(a[i] > b[i]),
                     "k=%d lane %zu: %llu > %llu", k, i, (unsigned long long)a[i],
                     (unsigned long long)b[i]);
    int lg = 0;
    while ((1 << lg) < k) lg++;
    cr_expect_eq(jobs[0].rounds, (uint64_t)(1 + lg), "1 + ceil(log2 k) rounds");
    free(a);
    free(b);
}

Test(gf2, gt_matches_clear)
{
    s_gt(3, 1, 32, 200);
    s_gt(3, 1, 1, 70);
    s_gt(3, 1, 7, 64);
    s_gt(5, 2, 64, 65);
}

static void s_max(int n, int t, size_t N, int k, int ties)
{
    uint64_t *v = malloc(N * 8);
    uint64_t top = ((uint64_t)1 << k) - 1;
    for (size_t i = 0; i < N; i++) v[i] = ties ? harness_rand_bits(2) : s_rand64() & top;
    cjob jobs[9];
    s_cmp_run(n, t, v, NULL, N, k, 1, jobs);
    size_t best = 0;
    for (size_t i = 1; i < N; i++)
        if (v[i] > v[best]) best = i;
    cr_assert_eq(jobs[0].max, v[best], "N=%zu", N);
    cr_assert_eq(jobs[0].idx, best, "N=%zu: first index of the maximum", N);
    free(v);
}

Test(gf2, max_matches_clear_with_ties_and_odd_sizes)
{
    s_max(3, 1, 1, 16, 0);
    s_max(3, 1, 2, 16, 1);
    s_max(3, 1, 5, 16, 1);
    s_max(3, 1, 100, 32, 0);
    s_max(3, 1, 100, 8, 1);
    s_max(5, 2, 1000, 32, 0);
    s_max(3, 1, 129, 20, 1);
    for (int rep = 0; rep < 4; rep++) s_max(3, 1, 100, 6, 1);   /* 4-ary levels of 32, 8, 2 */
    s_max(3, 1, 3000, 16, 1);   /* binary levels while many lanes, then 4-ary */
}

Test(gf2, malicious_gt_and_max_verify)
{
    harness_security = MPC_MALICIOUS;
    s_gt(3, 1, 32, 200);
    s_gt(5, 2, 64, 65);
    s_max(3, 1, 1, 16, 0);
    s_max(3, 1, 5, 16, 1);
    s_max(3, 1, 3000, 16, 1);
    s_max(5, 2, 1000, 32, 0);
}
