/* test_compare: random bits, bit decomposition, comparisons and equality against
 * the clear computation, and a statistical privacy test of the masked openings. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "common/secmem.h"
#include "protocols/bits.h"
#include "protocols/compare.h"
#include "protocols/mul.h"
#include "tests/harness.h"
#include "tests/stats.h"

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
}

TestSuite(compare, .init = s_setup, .timeout = 60);

struct nt {
    int n, t;
};

static struct nt s_params[] = { { 3, 1 }, { 5, 2 } };

enum { OP_RANDBITS, OP_BITDEC, OP_GT, OP_LT, OP_EQ, OP_LTZ, OP_LT_VAL };

typedef struct job {
    int op, k;
    size_t m;
    const fe *a, *b;     /* this party's input shares */
    fe *out, *opened;
    uint64_t rounds, elems;
    int rc_expect_fail;
} job;

static int s_body(mpc *M, void *arg)
{
    job *J = arg;
    uint64_t r0 = harness_rounds(M), e0 = harness_elems(M);
    int rc = ERR_ARG;
    switch (J->op) {
    case OP_RANDBITS: rc = bits_rand(M, J->out, J->m); break;
    case OP_BITDEC: rc = bits_dec(M, J->out, J->opened, J->a, J->m, J->k); break;
    case OP_GT: rc = cmp_gt_bits(M, J->out, J->a, J->b, J->m, J->k); break;
    case OP_LT: rc = cmp_lt_bits(M, J->out, J->a, J->b, J->m, J->k); break;
    case OP_EQ: rc = cmp_eq_bits(M, J->out, J->a, J->b, J->m, J->k); break;
    case OP_LTZ: rc = cmp_ltz_ex(M, J->out, J->opened, J->a, J->m, J->k); break;
    case OP_LT_VAL: rc = cmp_lt(M, J->out, J->a, J->b, J->m, J->k); break;
    }
    J->rounds = harness_rounds(M) - r0;
    J->elems = harness_elems(M) - e0;
    return rc;
}

/* Runs op on every party; a and b (alen elements each, may be NULL) are shared
 * here; res receives the opened outputs (olen), opened (may be NULL) party 1's
 * public masked values. Returns party 1's job stats via stats. */
static int s_run(const field *F, int n, int t, int op, int k, size_t m, const fe *a,
                 const fe *b, size_t alen, fe *res, size_t olen, fe *opened, job *stats)
{
    fe *as[9] = { 0 }, *bs[9] = { 0 }, *outs[9];
    job jobs[9];
    void *args[9];
    if (a) harness_share(F, n, t, t, a, alen, as);
    if (b) harness_share(F, n, t, t, b, alen, bs);
    for (int i = 0; i < n; i++) {
        outs[i] = calloc(olen + 1, sizeof(fe));
        jobs[i] = (job){ .op = op, .k = k, .m = m, .a = as[i], .b = bs[i], .out = outs[i],
                         .opened = i == 0 ? opened : NULL };
        args[i] = &jobs[i];
    }
    int rc = harness_run(F, n, t, HARNESS_HUB, s_body, args, NULL);
    if (rc == 0) cr_assert_eq(harness_open(F, n, t, res, outs, olen), 0);
    if (stats) *stats = jobs[0];
    for (int i = 0; i < n; i++) {
        free(as[i]);
        free(bs[i]);
        free(outs[i]);
    }
    return rc;
}

static void s_to_bits(fe *out, const uint64_t *v, size_t m, int k)
{
    for (size_t i = 0; i < m; i++)
        for (int j = 0; j < k; j++) out[i * (size_t)k + (size_t)j] = (v[i] >> j) & 1;
}

static int s_ceil_log2(int k)
{
    int l = 0;
    while ((1 << l) < k) l++;
    return l;
}

/* ---- random bits ---------------------------------------------------------- */

ParameterizedTestParameters(compare, random_bits_are_bits_and_balanced)
{
    return cr_make_param_array(struct nt, s_params, 2);
}

ParameterizedTest(struct nt *P, compare, random_bits_are_bits_and_balanced)
{
    enum { M = 4000 };
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    fe *r = malloc(M * sizeof(fe));
    job st;
    cr_assert_eq(s_run(&F, P->n, P->t, OP_RANDBITS, 0, M, NULL, NULL, 0, r, M, NULL, &st), 0);
    int ones = 0;
    for (int i = 0; i < M; i++) {
        cr_assert(r[i] == 0 || r[i] == 1, "element %d is not a bit", i);
        ones += (int)r[i];
    }
    /* Binomial(4000, 1/2): sd = 31.6; 6 sd */
    cr_assert(ones > M / 2 - 190 && ones < M / 2 + 190, "%d ones of %d", ones, M);
    cr_assert_eq(st.rounds, (uint64_t)bits_fill_rounds(P->n, P->t));
    /* PRSS bits: G - 1 products, (n - 1 - t) elements each from a resharer;
     * square roots: one opening of n - 1 elements */
    uint64_t G = P->n == 3 ? 3 : 10;
    cr_assert_eq(st.elems, G <= BITS_PRSS_GROUPS ? (G - 1) * (uint64_t)(P->n - 1 - P->t) * M
                                                 : (uint64_t)(P->n - 1) * M);
    free(r);
}

Test(compare, random_bits_in_other_3_mod_4_field)
{
    enum { M = 500 };
    field F;
    cr_assert_eq(field_init_str(&F, "1267650600228229401496703205223"), 0);   /* 2^100-153 */
    fe r[M];
    cr_assert_eq(s_run(&F, 3, 1, OP_RANDBITS, 0, M, NULL, NULL, 0, r, M, NULL, NULL), 0);
    int ones = 0;
    for (int i = 0; i < M; i++) {
        cr_assert(r[i] == 0 || r[i] == 1);
        ones += (int)r[i];
    }
    cr_assert(ones > 150 && ones < 350);
}

/* PRSS bits (n = 3) need no square root, so any prime does; the square-root
 * method (n = 5, t = 2: ten groups) refuses p = 1 mod 4. */
Test(compare, random_bits_in_a_p_1_mod_4_field)
{
    field F;
    cr_assert_eq(field_init_str(&F, "1267650600228229401496703205653"), 0);   /* 1 mod 4 */
    fe r[64];
    cr_assert_eq(s_run(&F, 3, 1, OP_RANDBITS, 0, 64, NULL, NULL, 0, r, 64, NULL, NULL), 0);
    int ones = 0;
    for (int i = 0; i < 64; i++) {
        cr_assert(r[i] == 0 || r[i] == 1);
        ones += (int)r[i];
    }
    cr_assert(ones > 8 && ones < 56);
    cr_assert_eq(s_run(&F, 5, 2, OP_RANDBITS, 0, 4, NULL, NULL, 0, r, 4, NULL, NULL), ERR_ARG);
}

/* ---- bit decomposition ------------------------------------------------------ */

static void s_bitdec_case(int n, int t, int K, int kappa_k)
{
    enum { M = 60 };
    field F;
    cr_assert_eq(field_init_default(&F, kappa_k, 40), 0);
    uint64_t v[M];
    fe x[M], *bits = malloc(M * (size_t)K * sizeof(fe)), *want = malloc(M * (size_t)K * sizeof(fe));
    uint64_t top = K == 64 ? UINT64_MAX : (UINT64_C(1) << K) - 1;
    for (int i = 0; i < M; i++) v[i] = harness_rand_bits(K);
    v[0] = 0;
    v[1] = top;
    v[2] = 1;
    v[3] = top - 1;
    v[4] = top >> 1;
    for (int i = 0; i < M; i++) x[i] = v[i];
    s_to_bits(want, v, M, K);
    job st;
    cr_assert_eq(s_run(&F, n, t, OP_BITDEC, K, M, x, NULL, M, bits, M * (size_t)K, NULL, &st), 0);
    for (size_t i = 0; i < M * (size_t)K; i++)
        cr_assert(bits[i] == want[i], "K=%d value %zu bit %zu", K, i / K, i % K);
    /* 1 opening + prefix levels + 1 xor round + the pool refill */
    int want_rounds = 1 + (K >= 2 ? s_ceil_log2(K - 1) + 1 : 0) + bits_fill_rounds(n, t);
    cr_assert_eq(st.rounds, (uint64_t)want_rounds, "K=%d rounds %llu", K,
                 (unsigned long long)st.rounds);
    free(bits);
    free(want);
}

ParameterizedTestParameters(compare, bitdec_round_trips_including_0_and_max)
{
    return cr_make_param_array(struct nt, s_params, 2);
}

ParameterizedTest(struct nt *P, compare, bitdec_round_trips_including_0_and_max)
{
    s_bitdec_case(P->n, P->t, 32, 32);
    s_bitdec_case(P->n, P->t, 1, 32);
    s_bitdec_case(P->n, P->t, 2, 32);
    s_bitdec_case(P->n, P->t, 7, 32);
}

Test(compare, bitdec_64_bits_in_p107)
{
    s_bitdec_case(3, 1, 64, 64);
}

Test(compare, bitdec_refuses_too_small_field)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);   /* 2^89 - 1 */
    fe x[1] = { 5 }, out[64];
    cr_assert_eq(s_run(&F, 3, 1, OP_BITDEC, 64, 1, x, NULL, 1, out, 64, NULL, NULL), ERR_RANGE);
    cr_assert_eq(s_run(&F, 3, 1, OP_BITDEC, 0, 1, x, NULL, 1, out, 1, NULL, NULL), ERR_ARG);
}

/* ---- bitwise comparison and equality ------------------------------------------ */

static void s_cmp_case(int n, int t, int k, size_t m)
{
    field F;
    cr_assert_eq(field_init_default(&F, k, 40), 0);
    uint64_t *a = malloc(m * sizeof *a), *b = malloc(m * sizeof *b);
    uint64_t top = k == 64 ? UINT64_MAX : (UINT64_C(1) << k) - 1;
    for (size_t i = 0; i < m; i++) {
        a[i] = harness_rand_bits(k);
        b[i] = harness_rand_bits(k);
        switch (i % 8) {       /* edge cases mixed in */
        case 1: b[i] = a[i]; break;                           /* equal */
        case 2: a[i] = 0; break;
        case 3: a[i] = top; break;
        case 4: a[i] = top; b[i] = top; break;
        case 5: a[i] = 0; b[i] = 0; break;
        case 6: b[i] = a[i] ^ 1; break;                        /* differ in bit 0 only */
        default: break;
        }
    }
    size_t len = m * (size_t)k;
    fe *ab = malloc(len * sizeof(fe)), *bb = malloc(len * sizeof(fe)), *res = malloc(m * sizeof(fe));
    s_to_bits(ab, a, m, k);
    s_to_bits(bb, b, m, k);
    job st;
    cr_assert_eq(s_run(&F, n, t, OP_GT, k, m, ab, bb, len, res, m, NULL, &st), 0);
    for (size_t i = 0; i < m; i++)
        cr_assert(res[i] == (a[i] > b[i]), "k=%d gt %llu %llu", k, (unsigned long long)a[i],
                  (unsigned long long)b[i]);
    cr_assert_eq(st.rounds, (uint64_t)(1 + s_ceil_log2(k)));
    if (k == 32) {   /* 32 leaf products, 31 G and 26 E products per comparison */
        uint64_t per = (uint64_t)(n - 1 - t);
        cr_assert_eq(st.elems, per * m * 89, "elements %llu", (unsigned long long)st.elems);
    }
    cr_assert_eq(s_run(&F, n, t, OP_LT, k, m, ab, bb, len, res, m, NULL, NULL), 0);
    for (size_t i = 0; i < m; i++) cr_assert(res[i] == (a[i] < b[i]));
    cr_assert_eq(s_run(&F, n, t, OP_EQ, k, m, ab, bb, len, res, m, NULL, &st), 0);
    for (size_t i = 0; i < m; i++) cr_assert(res[i] == (a[i] == b[i]), "k=%d eq", k);
    cr_assert_eq(st.rounds, (uint64_t)(1 + s_ceil_log2(k)));
    free(a);
    free(b);
    free(ab);
    free(bb);
    free(res);
}

ParameterizedTestParameters(compare, bitwise_cmp_and_eq_match_clear)
{
    return cr_make_param_array(struct nt, s_params, 2);
}

ParameterizedTest(struct nt *P, compare, bitwise_cmp_and_eq_match_clear)
{
    s_cmp_case(P->n, P->t, 32, 400);
    s_cmp_case(P->n, P->t, 1, 64);
    s_cmp_case(P->n, P->t, 5, 200);
}

Test(compare, bitwise_cmp_64_bits)
{
    s_cmp_case(3, 1, 64, 200);
}

Test(compare, bitwise_cmp_rejects_bad_width)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    fe a[1] = { 0 }, res[1];
    cr_assert_eq(s_run(&F, 3, 1, OP_GT, 0, 1, a, a, 1, res, 1, NULL, NULL), ERR_ARG);
    cr_assert_eq(s_run(&F, 3, 1, OP_EQ, 127, 1, a, a, 1, res, 1, NULL, NULL), ERR_ARG);
}

/* ---- general path: values as field elements ------------------------------------ */

static void s_ltz_case(int n, int t, int K, int fk, size_t m)
{
    field F;
    cr_assert_eq(field_init_default(&F, fk, 40), 0);
    int64_t *v = malloc(m * sizeof *v);
    fe *x = malloc(m * sizeof(fe)), *res = malloc(m * sizeof(fe));
    int64_t lim = K >= 63 ? INT64_MAX : (INT64_C(1) << K) - 1;
    for (size_t i = 0; i < m; i++) {
        int64_t r = (int64_t)(harness_rand_bits(K >= 63 ? 62 : K));
        v[i] = (i & 1) ? -r : r;
        if (i % 10 == 2) v[i] = 0;
        if (i % 10 == 3) v[i] = lim;
        if (i % 10 == 4) v[i] = -lim;
        if (i % 10 == 5) v[i] = -1;
        if (i % 10 == 6) v[i] = 1;
        x[i] = fe_from_i64(&F, v[i]);
    }
    job st;
    cr_assert_eq(s_run(&F, n, t, OP_LTZ, K, m, x, NULL, m, res, m, NULL, &st), 0);
    for (size_t i = 0; i < m; i++)
        cr_assert(res[i] == (v[i] < 0), "K=%d ltz(%lld)", K, (long long)v[i]);
    cr_assert_eq(st.rounds, (uint64_t)(1 + s_ceil_log2(K) + bits_fill_rounds(n, t)));
    free(v);
    free(x);
    free(res);
}

ParameterizedTestParameters(compare, ltz_matches_sign)
{
    return cr_make_param_array(struct nt, s_params, 2);
}

ParameterizedTest(struct nt *P, compare, ltz_matches_sign)
{
    s_ltz_case(P->n, P->t, 32, 32, 200);
    s_ltz_case(P->n, P->t, 1, 32, 40);
}

Test(compare, ltz_62_bits_in_p107)
{
    s_ltz_case(3, 1, 62, 64, 100);
}

Test(compare, cmp_lt_on_values_matches_clear)
{
    enum { M = 200, K = 32 };
    field F;
    cr_assert_eq(field_init_default(&F, K, 40), 0);
    uint64_t a[M], b[M];
    fe x[M], y[M], res[M];
    for (int i = 0; i < M; i++) {
        a[i] = harness_rand_bits(K);
        b[i] = harness_rand_bits(K);
        if (i % 5 == 1) b[i] = a[i];
        if (i % 5 == 2) { a[i] = 0; b[i] = (UINT64_C(1) << K) - 1; }
        if (i % 5 == 3) { b[i] = 0; a[i] = (UINT64_C(1) << K) - 1; }
        x[i] = a[i];
        y[i] = b[i];
    }
    cr_assert_eq(s_run(&F, 3, 1, OP_LT_VAL, K, M, x, y, M, res, M, NULL, NULL), 0);
    for (int i = 0; i < M; i++) cr_assert(res[i] == (a[i] < b[i]), "%d", i);
}

Test(compare, ltz_refuses_too_small_field)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    fe x[1] = { 5 }, out[1];
    cr_assert_eq(s_run(&F, 3, 1, OP_LTZ, 47, 1, x, NULL, 1, out, 1, NULL, NULL), ERR_RANGE);
}

/* ---- privacy: the masked openings do not depend on the secret --------------------- */

#define s_leaks stats_leaks

Test(compare, masked_openings_are_independent_of_the_secret)
{
    enum { M = 2000, K = 8 };
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    fe xa[M], xb[M], ca[M], cb[M], out[M * K];
    for (int i = 0; i < M; i++) {
        xa[i] = 0;
        xb[i] = (1 << K) - 1;
    }
    double stat;
    /* bit decomposition of A = 0 and B = 255, 2000 runs each (batched) */
    cr_assert_eq(s_run(&F, 3, 1, OP_BITDEC, K, M, xa, NULL, M, out, M * K, ca, NULL), 0);
    cr_assert_eq(s_run(&F, 3, 1, OP_BITDEC, K, M, xb, NULL, M, out, M * K, cb, NULL), 0);
    cr_assert_eq(s_leaks(ca, cb, M, K, &stat), 0, "bitdec openings leak: chi2 = %f", stat);
    /* the same test flags an unmasked opening (c = x) and a short mask (kappa = 0) */
    fe ua[M], ub[M];
    for (int i = 0; i < M; i++) {
        ua[i] = xa[i];
        ub[i] = xb[i];
    }
    cr_assert_eq(s_leaks(ua, ub, M, K, &stat), 1, "unmasked variant must be detected");
    for (int i = 0; i < M; i++) {
        fe r = harness_rand_bits(K);
        ua[i] = xa[i] + r;
        ub[i] = xb[i] + r;
    }
    cr_assert_eq(s_leaks(ua, ub, M, K, &stat), 1, "kappa = 0 variant must be detected (chi2 %f)", stat);
    /* comparison with zero of A = -100 and B = +100 (K = 8): c = x + 2^K + r */
    for (int i = 0; i < M; i++) {
        xa[i] = fe_from_i64(&F, -100);
        xb[i] = 100;
    }
    cr_assert_eq(s_run(&F, 3, 1, OP_LTZ, K, M, xa, NULL, M, out, M, ca, NULL), 0);
    for (int i = 0; i < M; i++) cr_assert(out[i] == 1);
    cr_assert_eq(s_run(&F, 3, 1, OP_LTZ, K, M, xb, NULL, M, out, M, cb, NULL), 0);
    for (int i = 0; i < M; i++) cr_assert(out[i] == 0);
    cr_assert_eq(s_leaks(ca, cb, M, K, &stat), 0, "ltz openings leak: chi2 = %f", stat);
}
