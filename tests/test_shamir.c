/* test_shamir: Shamir sharing, reconstruction, consistency check, privacy of t
 * shares, and additive sharing, against the clear values. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include "common/field.h"
#include "common/secmem.h"
#include "protocols/shamir.h"

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
}

TestSuite(shamir, .init = s_setup, .timeout = 30);

struct nt {
    int n, t;
};

static struct nt s_params[] = { { 3, 1 }, { 5, 2 }, { 7, 3 }, { 9, 4 }, { 1, 0 } };
#define S_NPARAMS (sizeof s_params / sizeof s_params[0])

ParameterizedTestParameters(shamir, round_trip_random_and_edge_values)
{
    return cr_make_param_array(struct nt, s_params, S_NPARAMS);
}

/* Secrets: random, then 0, 1, 2, p-1, p-2. */
static void s_secrets(const field *F, fe *sec, size_t m)
{
    field_rand(F, sec, m);
    fe edge[] = { 0, 1, 2, F->p - 1, F->p - 2 };
    for (size_t i = 0; i < sizeof edge / sizeof edge[0] && i < m; i++) sec[i] = edge[i];
}

static void s_ptrs(const fe **ptr, const fe *shares, int n, size_t m)
{
    for (int i = 0; i < n; i++) ptr[i] = shares + (size_t)i * m;
}

ParameterizedTest(struct nt *P, shamir, round_trip_random_and_edge_values)
{
    enum { M = 1000 };
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    shamir *S = shamir_new(&F, P->n, P->t);
    cr_assert_not_null(S);
    cr_assert_eq(shamir_n(S), P->n);
    cr_assert_eq(shamir_t(S), P->t);
    fe *sec = malloc(M * sizeof *sec), *sh = malloc((size_t)P->n * M * sizeof *sh);
    fe *out = malloc(M * sizeof *out);
    cr_assert(sec && sh && out);
    s_secrets(&F, sec, M);
    shamir_share(S, sh, sec, M, P->t);
    const fe *ptr[MPC_MAX_SERVERS];
    s_ptrs(ptr, sh, P->n, M);
    cr_assert_eq(shamir_check(S, ptr, P->t, M, NULL), 0);
    unsigned first = (1u << (P->t + 1)) - 1;
    cr_assert_eq(shamir_reconstruct(S, out, ptr, first, P->t, M), 0);
    cr_assert_eq(memcmp(out, sec, M * sizeof *sec), 0);
    if (P->t > 0) {
        /* shares are not the secret itself: a random element equals it w.p. 1/p */
        size_t same = 0;
        for (size_t j = 0; j < M; j++) same += sh[j] == sec[j];
        cr_assert_lt(same, 3);
    }
    shamir_free(&S);
    cr_assert_null(S);
    shamir_free(&S);   /* harmless on NULL */
    free(sec);
    free(sh);
    free(out);
}

static void s_every_subset(const struct nt *P)
{
    enum { M = 64 };
    field F;
    cr_assert_eq(field_init_str(&F, "2^127-1"), 0);
    shamir *S = shamir_new(&F, P->n, P->t);
    cr_assert_not_null(S);
    fe sec[M], sh[MPC_MAX_SERVERS * M], out[M];
    s_secrets(&F, sec, M);
    shamir_share(S, sh, sec, M, P->t);
    const fe *ptr[MPC_MAX_SERVERS];
    s_ptrs(ptr, sh, P->n, M);
    int sets = 0;
    for (unsigned set = 1; set < (1u << P->n); set++) {
        if (__builtin_popcount(set) != P->t + 1) continue;
        memset(out, 0xaa, sizeof out);
        cr_assert_eq(shamir_reconstruct(S, out, ptr, set, P->t, M), 0);
        cr_assert_eq(memcmp(out, sec, sizeof sec), 0, "n %d t %d set 0x%x", P->n, P->t, set);
        /* Lagrange coefficients at 0 sum to 1 (the constant polynomial 1) */
        const fe *lag;
        cr_assert_eq(shamir_lagrange(S, set, &lag), 0);
        fe sum = 0;
        for (int i = 0; i < P->n; i++) {
            if (!(set & (1u << i))) cr_assert(lag[i] == 0);
            sum = fe_add(&F, sum, lag[i]);
        }
        cr_assert(sum == 1);
        sets++;
    }
    cr_assert_gt(sets, 0);
    shamir_free(&S);
}

Test(shamir, every_t_plus_1_subset_reconstructs_same_secret)
{
    for (size_t k = 0; k < S_NPARAMS; k++) s_every_subset(&s_params[k]);
}

Test(shamir, general_prime_round_trip)
{
    enum { M = 200 };
    field F;
    cr_assert_eq(field_init_str(&F, "85070591730234615865843651857942052727"), 0);
    shamir *S = shamir_new(&F, 5, 2);
    cr_assert_not_null(S);
    fe sec[M], sh[5 * M], out[M];
    s_secrets(&F, sec, M);
    shamir_share(S, sh, sec, M, 2);
    const fe *ptr[MPC_MAX_SERVERS];
    s_ptrs(ptr, sh, 5, M);
    cr_assert_eq(shamir_check(S, ptr, 2, M, NULL), 0);
    cr_assert_eq(shamir_reconstruct(S, out, ptr, 0x1c, 2, M), 0);   /* parties 3, 4, 5 */
    cr_assert_eq(memcmp(out, sec, sizeof sec), 0);
    shamir_free(&S);
}

Test(shamir, reconstruct_output_may_alias_a_share_vector)
{
    enum { M = 50 };
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    shamir *S = shamir_new(&F, 3, 1);
    cr_assert_not_null(S);
    fe sec[M], sh[3 * M];
    s_secrets(&F, sec, M);
    shamir_share(S, sh, sec, M, 1);
    const fe *ptr[MPC_MAX_SERVERS];
    s_ptrs(ptr, sh, 3, M);
    cr_assert_eq(shamir_reconstruct(S, sh, ptr, 0x3, 1, M), 0);
    cr_assert_eq(memcmp(sh, sec, sizeof sec), 0);
    shamir_free(&S);
}

/* Two-sample chi-square of histograms a, b over k bins (equal totals). */
static double s_chi2_two(const uint32_t *a, const uint32_t *b, size_t k)
{
    double x = 0;
    for (size_t i = 0; i < k; i++) {
        double s = (double)a[i] + b[i], d = (double)a[i] - b[i];
        if (s > 0) x += d * d / s;
    }
    return x;
}

/* Chi-square with 1008 degrees of freedom exceeds 1236 with probability 1e-6;
 * with 120 degrees of freedom it exceeds 208.5 with probability 1e-6. */
#define S_CHI2_1008_1E6 1236.0
#define S_CHI2_120_1E6 208.5

Test(shamir, one_share_is_independent_of_secret_n3_t1)
{
    /* Party 1's share of secret 0 and of secret 1 over p = 1009, 100 sharings per
     * value each: the histograms must agree (false-positive rate 1e-6). */
    enum { P = 1009, N = P * 100 };
    field F;
    cr_assert_eq(field_init_str(&F, "1009"), 0);
    shamir *S = shamir_new(&F, 3, 1);
    cr_assert_not_null(S);
    fe *sec = calloc(N, sizeof *sec), *sh = malloc(3 * N * sizeof *sh);
    uint32_t *h0 = calloc(P, sizeof *h0), *h1 = calloc(P, sizeof *h1);
    cr_assert(sec && sh && h0 && h1);
    shamir_share(S, sh, sec, N, 1);
    for (size_t j = 0; j < N; j++) h0[(size_t)sh[j]]++;
    for (size_t j = 0; j < N; j++) sec[j] = 1;
    shamir_share(S, sh, sec, N, 1);
    for (size_t j = 0; j < N; j++) h1[(size_t)sh[j]]++;
    double x = s_chi2_two(h0, h1, P);
    cr_assert_lt(x, S_CHI2_1008_1E6, "chi2 = %f", x);
    /* and the sharing is still correct over this small prime */
    const fe *ptr[MPC_MAX_SERVERS];
    s_ptrs(ptr, sh, 3, N);
    cr_assert_eq(shamir_reconstruct(S, sec, ptr, 0x6, 1, N), 0);
    for (size_t j = 0; j < N; j++) cr_assert(sec[j] == 1);
    shamir_free(&S);
    free(sec);
    free(sh);
    free(h0);
    free(h1);
}

Test(shamir, t_shares_jointly_independent_of_secret_n5_t2)
{
    /* The pair (share 1, share 2) over p = 11 (121 bins), 500 sharings per bin,
     * secret 0 vs secret 1: false-positive rate 1e-6. */
    enum { P = 11, BINS = P * P, N = BINS * 500 };
    field F;
    cr_assert_eq(field_init_str(&F, "11"), 0);
    shamir *S = shamir_new(&F, 5, 2);
    cr_assert_not_null(S);
    fe *sec = calloc(N, sizeof *sec), *sh = malloc(5 * N * sizeof *sh);
    uint32_t h0[BINS] = { 0 }, h1[BINS] = { 0 };
    cr_assert(sec && sh);
    shamir_share(S, sh, sec, N, 2);
    for (size_t j = 0; j < N; j++) h0[(size_t)(sh[j] * P + sh[N + j])]++;
    for (size_t j = 0; j < N; j++) sec[j] = 1;
    shamir_share(S, sh, sec, N, 2);
    for (size_t j = 0; j < N; j++) h1[(size_t)(sh[j] * P + sh[N + j])]++;
    double x = s_chi2_two(h0, h1, BINS);
    cr_assert_lt(x, S_CHI2_120_1E6, "chi2 = %f", x);
    /* three shares do determine the secret */
    const fe *ptr[MPC_MAX_SERVERS];
    s_ptrs(ptr, sh, 5, N);
    cr_assert_eq(shamir_reconstruct(S, sec, ptr, 0x7, 2, N), 0);
    for (size_t j = 0; j < N; j++) cr_assert(sec[j] == 1);
    shamir_free(&S);
    free(sec);
    free(sh);
}

static void s_tamper(const struct nt *P)
{
    enum { M = 40 };
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    shamir *S = shamir_new(&F, P->n, P->t);
    cr_assert_not_null(S);
    fe sec[M], sh[MPC_MAX_SERVERS * M];
    uint8_t bad[M];
    const fe *ptr[MPC_MAX_SERVERS];
    s_secrets(&F, sec, M);
    shamir_share(S, sh, sec, M, P->t);
    s_ptrs(ptr, sh, P->n, M);
    memset(bad, 7, sizeof bad);
    cr_assert_eq(shamir_check(S, ptr, P->t, M, bad), 0);
    for (size_t j = 0; j < M; j++) cr_assert_eq(bad[j], 0);
    for (int i = 0; i < P->n; i++) {
        size_t j = (size_t)(i * 7 + 3) % M;
        fe keep = sh[(size_t)i * M + j];
        sh[(size_t)i * M + j] = fe_add(&F, keep, (fe)1 + (fe)i);
        cr_assert_eq(shamir_check(S, ptr, P->t, M, bad), ERR_CHEAT, "n %d t %d party %d", P->n,
                     P->t, i + 1);
        cr_assert_eq(shamir_check(S, ptr, P->t, M, NULL), ERR_CHEAT);
        for (size_t k = 0; k < M; k++) cr_assert_eq(bad[k], k == j, "element %zu", k);
        sh[(size_t)i * M + j] = keep;
        cr_assert_eq(shamir_check(S, ptr, P->t, M, bad), 0);
    }
    shamir_free(&S);
}

Test(shamir, check_detects_each_tampered_share)
{
    static const struct nt ps[] = { { 3, 1 }, { 5, 2 }, { 7, 3 }, { 9, 4 }, { 4, 1 }, { 2, 0 } };
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) s_tamper(&ps[k]);
}

Test(shamir, check_at_full_degree_accepts_anything)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    shamir *S = shamir_new(&F, 3, 1);
    cr_assert_not_null(S);
    fe a[3][4];
    field_rand(&F, &a[0][0], 12);
    const fe *ptr[3] = { a[0], a[1], a[2] };
    uint8_t bad[4];
    cr_assert_eq(shamir_check(S, ptr, 2, 4, bad), 0);   /* any 3 points fit degree 2 */
    for (int j = 0; j < 4; j++) cr_assert_eq(bad[j], 0);
    cr_assert_eq(shamir_check(S, ptr, 1, 4, bad), ERR_CHEAT);   /* w.p. 1 - 4/p */
    shamir_free(&S);
}

static void s_degree_2t(const struct nt *P)
{
    enum { M = 100 };
    field F;
    cr_assert_eq(field_init_default(&F, 64, 40), 0);
    shamir *S = shamir_new(&F, P->n, P->t);
    cr_assert_not_null(S);
    fe a[M], b[M], ab[M], out[M];
    fe sa[MPC_MAX_SERVERS * M], sb[MPC_MAX_SERVERS * M], sp[MPC_MAX_SERVERS * M];
    const fe *ptr[MPC_MAX_SERVERS];
    s_secrets(&F, a, M);
    field_rand(&F, b, M);
    field_vec_mul(&F, ab, a, b, M);
    shamir_share(S, sa, a, M, P->t);
    shamir_share(S, sb, b, M, P->t);
    field_vec_mul(&F, sp, sa, sb, (size_t)P->n * M);   /* local products: degree 2t */
    s_ptrs(ptr, sp, P->n, M);
    int d = 2 * P->t;
    cr_assert_eq(shamir_check(S, ptr, d, M, NULL), 0, "n %d t %d", P->n, P->t);
    if (P->t > 0) {
        uint8_t bad[M];
        cr_assert_eq(shamir_check(S, ptr, P->t, M, bad), ERR_CHEAT);
        size_t nbad = 0;
        for (size_t j = 0; j < M; j++) nbad += bad[j];
        cr_assert_gt(nbad, M - 5);   /* the degree-2t term vanishes w.p. about 1/p */
    }
    cr_assert_eq(shamir_reconstruct(S, out, ptr, (1u << (d + 1)) - 1, d, M), 0);
    cr_assert_eq(memcmp(out, ab, sizeof ab), 0);
    /* sharing directly at degree 2t */
    shamir_share(S, sp, a, M, d);
    cr_assert_eq(shamir_check(S, ptr, d, M, NULL), 0);
    cr_assert_eq(shamir_reconstruct(S, out, ptr, ((1u << (d + 1)) - 1) << (P->n - d - 1), d, M), 0);
    cr_assert_eq(memcmp(out, a, sizeof a), 0);
    shamir_free(&S);
}

Test(shamir, degree_2t_products_check_and_reconstruct)
{
    for (size_t k = 0; k < S_NPARAMS; k++) s_degree_2t(&s_params[k]);
}

Test(shamir, rejects_bad_sets_and_degrees)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    shamir *S = shamir_new(&F, 3, 1);
    cr_assert_not_null(S);
    fe sec[2] = { 5, 6 }, sh[6], out[2];
    shamir_share(S, sh, sec, 2, 1);
    const fe *ptr[3] = { sh, sh + 2, sh + 4 };
    const fe *lag;
    cr_assert_eq(shamir_reconstruct(S, out, ptr, 0x1, 1, 2), ERR_ARG);    /* too few */
    cr_assert_eq(shamir_reconstruct(S, out, ptr, 0x7, 1, 2), ERR_ARG);    /* too many */
    cr_assert_eq(shamir_reconstruct(S, out, ptr, 0x9, 1, 2), ERR_ARG);    /* party 4 */
    cr_assert_eq(shamir_reconstruct(S, out, ptr, 0xf, 3, 2), ERR_ARG);    /* d >= n */
    cr_assert_eq(shamir_reconstruct(S, out, ptr, 0x3, -1, 2), ERR_ARG);
    cr_assert_eq(shamir_lagrange(S, 0, &lag), ERR_ARG);
    cr_assert_eq(shamir_lagrange(S, 0x8, &lag), ERR_ARG);
    cr_assert_eq(shamir_check(S, ptr, 3, 2, NULL), ERR_ARG);
    cr_assert_eq(shamir_check(S, ptr, -1, 2, NULL), ERR_ARG);
    cr_assert_eq(shamir_reconstruct(S, out, ptr, 0x5, 1, 2), 0);
    cr_assert(out[0] == 5 && out[1] == 6);
    shamir_free(&S);
}

Test(shamir, new_rejects_bad_parameters)
{
    field F, small;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    cr_assert_eq(field_init_str(&small, "5"), 0);
    cr_assert_null(shamir_new(&F, 0, 0));
    cr_assert_null(shamir_new(&F, 10, 4));
    cr_assert_null(shamir_new(&F, 3, 3));
    cr_assert_null(shamir_new(&F, 3, -1));
    cr_assert_null(shamir_new(NULL, 3, 1));
    cr_assert_null(shamir_new(&small, 5, 2));   /* point 5 = 0 mod 5 */
    shamir *S = shamir_new(&small, 4, 1);
    cr_assert_not_null(S);
    shamir_free(&S);
}

Test(shamir, additive_split_and_join_round_trip)
{
    enum { M = 300 };
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    fe sec[M], sh[MPC_MAX_SERVERS * M], out[M];
    const fe *ptr[MPC_MAX_SERVERS];
    for (int n = 1; n <= MPC_MAX_SERVERS; n++) {
        s_secrets(&F, sec, M);
        additive_split(&F, sh, sec, M, n);
        s_ptrs(ptr, sh, n, M);
        additive_join(&F, out, ptr, M, n);
        cr_assert_eq(memcmp(out, sec, sizeof sec), 0, "n = %d", n);
        if (n > 1) {
            /* any n-1 shares are fresh randomness: party 1's share differs from the secret */
            size_t same = 0;
            for (size_t j = 0; j < M; j++) same += sh[j] == sec[j];
            cr_assert_lt(same, 3);
        }
        additive_join(&F, sh, ptr, M, n);   /* output aliasing party 1's vector */
        cr_assert_eq(memcmp(sh, sec, sizeof sec), 0);
    }
}
