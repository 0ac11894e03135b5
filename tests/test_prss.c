/* test_prss: pseudo-random secret sharing and zero sharing, checked by opening
 * all parties' shares in the clear. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/field.h"
#include "common/secmem.h"
#include "protocols/prss.h"
#include "protocols/shamir.h"

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
}

TestSuite(prss, .init = s_setup, .timeout = 30);

struct nt {
    int n, t;
};

static struct nt s_params[] = { { 3, 1 }, { 5, 2 }, { 1, 0 }, { 4, 1 }, { 9, 4 } };
#define S_NPARAMS (sizeof s_params / sizeof s_params[0])

/* n contexts with dealt keys. */
static void s_make(prss **ps, const field *F, int n, int t)
{
    for (int i = 0; i < n; i++) {
        ps[i] = prss_new(F, n, t, i + 1);
        cr_assert_not_null(ps[i]);
        cr_assert_eq(prss_ready(ps[i]), 0);
    }
    cr_assert_eq(prss_deal_local(ps, n), 0);
    for (int i = 0; i < n; i++) cr_assert_eq(prss_ready(ps[i]), 1);
}

static void s_free_all(prss **ps, int n)
{
    for (int i = 0; i < n; i++) {
        prss_free(&ps[i]);
        cr_assert_null(ps[i]);
    }
}

/* Calls gen on every party: sh[(i-1)*m + j] is party i's share j. */
static void s_gen(prss **ps, int n, fe *sh, size_t m, int zero)
{
    for (int i = 0; i < n; i++) {
        if (zero) prss_zero(ps[i], sh + (size_t)i * m, m);
        else prss_rand(ps[i], sh + (size_t)i * m, m);
    }
}

ParameterizedTestParameters(prss, rand_shares_fit_degree_t_and_open_to_one_value)
{
    return cr_make_param_array(struct nt, s_params, S_NPARAMS);
}

ParameterizedTest(struct nt *P, prss, rand_shares_fit_degree_t_and_open_to_one_value)
{
    enum { M = 1500 };   /* spans several internal batches */
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    prss *ps[MPC_MAX_SERVERS];
    s_make(ps, &F, P->n, P->t);
    shamir *S = shamir_new(&F, P->n, P->t);
    cr_assert_not_null(S);
    fe *sh = malloc((size_t)P->n * M * sizeof *sh), *v = malloc(M * sizeof *v);
    fe *w = malloc(M * sizeof *w);
    cr_assert(sh && v && w);
    s_gen(ps, P->n, sh, M, 0);
    const fe *ptr[MPC_MAX_SERVERS];
    for (int i = 0; i < P->n; i++) ptr[i] = sh + (size_t)i * M;
    cr_assert_eq(shamir_check(S, ptr, P->t, M, NULL), 0);
    cr_assert_eq(shamir_reconstruct(S, v, ptr, (1u << (P->t + 1)) - 1, P->t, M), 0);
    for (unsigned set = 1; set < (1u << P->n); set++) {
        if (__builtin_popcount(set) != P->t + 1) continue;
        cr_assert_eq(shamir_reconstruct(S, w, ptr, set, P->t, M), 0);
        cr_assert_eq(memcmp(v, w, M * sizeof *v), 0, "set 0x%x", set);
    }
    /* the opened values are random: no repeats among M draws from 2^89 */
    for (size_t j = 1; j < M; j++) cr_assert(v[j] != v[j - 1]);
    for (int i = 0; i < P->n; i++) cr_assert_eq(prss_counter(ps[i]), 1);
    shamir_free(&S);
    s_free_all(ps, P->n);
    free(sh);
    free(v);
    free(w);
}

static void s_zero(const struct nt *P)
{
    enum { M = 600 };   /* spans several internal batches for every t >= 1 */
    field F;
    cr_assert_eq(field_init_str(&F, "2^127-1"), 0);
    prss *ps[MPC_MAX_SERVERS];
    s_make(ps, &F, P->n, P->t);
    shamir *S = shamir_new(&F, P->n, P->t);
    cr_assert_not_null(S);
    fe *sh = malloc((size_t)P->n * M * sizeof *sh), *v = malloc(M * sizeof *v);
    cr_assert(sh && v);
    s_gen(ps, P->n, sh, M, 1);
    const fe *ptr[MPC_MAX_SERVERS];
    for (int i = 0; i < P->n; i++) ptr[i] = sh + (size_t)i * M;
    int d = 2 * P->t;
    cr_assert_eq(shamir_check(S, ptr, d, M, NULL), 0, "n %d t %d", P->n, P->t);
    for (unsigned set = 1; set < (1u << P->n); set++) {
        if (__builtin_popcount(set) != d + 1) continue;
        cr_assert_eq(shamir_reconstruct(S, v, ptr, set, d, M), 0);
        for (size_t j = 0; j < M; j++) cr_assert(v[j] == 0, "n %d set 0x%x element %zu", P->n, set, j);
    }
    if (P->t > 0) {
        /* a real degree-2t sharing: shares are not zero and do not fit degree t */
        uint8_t *bad = malloc(M);
        cr_assert_not_null(bad);
        size_t zeros = 0, nbad = 0;
        for (size_t j = 0; j < M; j++) zeros += sh[j] == 0;
        cr_assert_eq(shamir_check(S, ptr, P->t, M, bad), ERR_CHEAT);
        for (size_t j = 0; j < M; j++) nbad += bad[j];
        cr_assert_lt(zeros, 2);
        cr_assert_gt(nbad, M - 2);
        free(bad);
    } else {
        for (size_t j = 0; j < M; j++) cr_assert(sh[j] == 0);
    }
    shamir_free(&S);
    s_free_all(ps, P->n);
    free(sh);
    free(v);
}

Test(prss, zero_shares_fit_degree_2t_and_open_to_zero)
{
    static const struct nt ps[] = { { 3, 1 }, { 5, 2 }, { 1, 0 }, { 7, 3 }, { 9, 4 } };
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) s_zero(&ps[k]);
}

Test(prss, successive_calls_give_fresh_values_and_share_one_counter)
{
    enum { M = 32, N = 3, T = 1 };
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    prss *ps[N];
    s_make(ps, &F, N, T);
    shamir *S = shamir_new(&F, N, T);
    cr_assert_not_null(S);
    fe sh[N * M], v1[M], v2[M], z[N * M];
    const fe *ptr[N] = { sh, sh + M, sh + 2 * M };
    s_gen(ps, N, sh, M, 0);
    cr_assert_eq(shamir_reconstruct(S, v1, ptr, 0x3, T, M), 0);
    s_gen(ps, N, z, M, 1);   /* a zero sharing in between consumes a counter */
    for (int i = 0; i < N; i++) cr_assert_eq(prss_counter(ps[i]), 2);
    s_gen(ps, N, sh, M, 0);
    cr_assert_eq(shamir_reconstruct(S, v2, ptr, 0x3, T, M), 0);
    for (int i = 0; i < N; i++) cr_assert_eq(prss_counter(ps[i]), 3);
    size_t same = 0;
    for (size_t j = 0; j < M; j++) same += v1[j] == v2[j];
    cr_assert_eq(same, 0);
    /* two zero sharings differ share-wise too */
    fe z2[N * M];
    s_gen(ps, N, z2, M, 1);
    cr_assert_neq(memcmp(z, z2, sizeof z), 0);
    shamir_free(&S);
    s_free_all(ps, N);
}

Test(prss, out_of_step_counter_breaks_consistency)
{
    /* the counter discipline matters: if party 3 skips a call, the shares no
     * longer lie on one polynomial */
    enum { M = 16, N = 3, T = 1 };
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    prss *ps[N];
    s_make(ps, &F, N, T);
    shamir *S = shamir_new(&F, N, T);
    cr_assert_not_null(S);
    fe sh[N * M];
    prss_rand(ps[2], sh, M);   /* party 3 alone: counter 0 */
    s_gen(ps, N, sh, M, 0);    /* parties 1, 2 at counter 0, party 3 at 1 */
    const fe *ptr[N] = { sh, sh + M, sh + 2 * M };
    cr_assert_eq(shamir_check(S, ptr, T, M, NULL), ERR_CHEAT);
    shamir_free(&S);
    s_free_all(ps, N);
}

Test(prss, rand_opens_to_uniform_values_over_small_prime)
{
    /* n = 3, t = 1 over p = 1009, 100 values per bin: chi-square with 1008 degrees
     * of freedom exceeds 1236 with probability 1e-6 */
    enum { P = 1009, M = P * 100, N = 3, T = 1 };
    field F;
    cr_assert_eq(field_init_str(&F, "1009"), 0);
    prss *ps[N];
    s_make(ps, &F, N, T);
    shamir *S = shamir_new(&F, N, T);
    cr_assert_not_null(S);
    fe *sh = malloc(N * M * sizeof *sh), *v = malloc(M * sizeof *v);
    uint32_t *h = calloc(P, sizeof *h);
    cr_assert(sh && v && h);
    s_gen(ps, N, sh, M, 0);
    const fe *ptr[N] = { sh, sh + M, sh + 2 * M };
    cr_assert_eq(shamir_check(S, ptr, T, M, NULL), 0);
    cr_assert_eq(shamir_reconstruct(S, v, ptr, 0x5, T, M), 0);
    for (size_t j = 0; j < M; j++) h[(size_t)v[j]]++;
    double x = 0, e = (double)M / P;
    for (size_t k = 0; k < P; k++) x += ((double)h[k] - e) * ((double)h[k] - e) / e;
    cr_assert_lt(x, 1236.0, "chi2 = %f", x);
    shamir_free(&S);
    s_free_all(ps, N);
    free(sh);
    free(v);
    free(h);
}

Test(prss, groups_are_t_subsets_in_one_order)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    static const int binom[10][5] = {
        { 0 }, { 1 }, { 1, 2 }, { 1, 3, 3 }, { 1, 4, 6, 4 }, { 1, 5, 10, 10, 5 },
        { 1, 6, 15, 20, 15 }, { 1, 7, 21, 35, 35 }, { 1, 8, 28, 56, 70 }, { 1, 9, 36, 84, 126 },
    };
    for (int n = 1; n <= MPC_MAX_SERVERS; n++) {
        for (int t = 0; 2 * t < n || t == 0; t++) {
            prss *a = prss_new(&F, n, t, 1), *b = prss_new(&F, n, t, n);
            cr_assert(a && b);
            unsigned ma[126], mb[126];
            int ka = prss_groups(a, ma);
            cr_assert_eq(ka, binom[n][t], "n %d t %d", n, t);
            cr_assert_eq(prss_groups(b, NULL), ka);
            cr_assert_eq(prss_groups(b, mb), ka);
            cr_assert_eq(memcmp(ma, mb, (size_t)ka * sizeof *ma), 0);
            for (int g = 0; g < ka; g++) {
                cr_assert_eq(__builtin_popcount(ma[g]), t);
                cr_assert_lt(ma[g], 1u << n);
                if (g > 0) cr_assert_gt(ma[g], ma[g - 1]);
            }
            prss_free(&a);
            prss_free(&b);
        }
    }
}

Test(prss, set_key_rejects_own_group_and_non_groups)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    prss *P = prss_new(&F, 3, 1, 2);
    cr_assert_not_null(P);
    uint8_t key[32];
    randombytes_buf(key, sizeof key);
    cr_assert_eq(prss_ready(P), 0);
    cr_assert_eq(prss_set_key(P, 0x2, key), ERR_ARG);   /* T = {2} contains me */
    cr_assert_eq(prss_set_key(P, 0x3, key), ERR_ARG);   /* |T| = 2 */
    cr_assert_eq(prss_set_key(P, 0x0, key), ERR_ARG);
    cr_assert_eq(prss_set_key(P, 0x8, key), ERR_ARG);   /* party 4 */
    cr_assert_eq(prss_set_key(P, 0x1, key), 0);
    cr_assert_eq(prss_ready(P), 0);
    cr_assert_eq(prss_set_key(P, 0x4, key), 0);
    cr_assert_eq(prss_ready(P), 1);
    cr_assert_eq(prss_counter(P), 0);
    sodium_memzero(key, sizeof key);
    prss_free(&P);
    cr_assert_null(P);
    prss_free(&P);   /* harmless on NULL */
}

Test(prss, new_and_deal_reject_bad_arguments)
{
    field F, small;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    cr_assert_eq(field_init_str(&small, "3"), 0);
    cr_assert_null(prss_new(&F, 3, 1, 0));
    cr_assert_null(prss_new(&F, 3, 1, 4));
    cr_assert_null(prss_new(&F, 3, 3, 1));
    cr_assert_null(prss_new(&F, 10, 1, 1));
    cr_assert_null(prss_new(&F, 0, 0, 1));
    cr_assert_null(prss_new(NULL, 3, 1, 1));
    cr_assert_null(prss_new(&small, 3, 1, 1));   /* point 3 = 0 mod 3 */

    prss *ps[3] = { prss_new(&F, 3, 1, 1), prss_new(&F, 3, 1, 3), prss_new(&F, 3, 1, 2) };
    cr_assert(ps[0] && ps[1] && ps[2]);
    cr_assert_eq(prss_deal_local(ps, 3), ERR_ARG);   /* party order */
    cr_assert_eq(prss_deal_local(ps, 2), ERR_ARG);   /* n mismatch */
    cr_assert_eq(prss_deal_local(NULL, 3), ERR_ARG);
    prss *tmp = ps[1];
    ps[1] = ps[2];
    ps[2] = tmp;
    prss *mixed[3] = { ps[0], ps[1], NULL };
    cr_assert_eq(prss_deal_local(mixed, 3), ERR_ARG);
    mixed[2] = prss_new(&F, 3, 0, 3);   /* another threshold */
    cr_assert_not_null(mixed[2]);
    cr_assert_eq(prss_deal_local(mixed, 3), ERR_ARG);
    prss_free(&mixed[2]);
    cr_assert_eq(prss_deal_local(ps, 3), 0);
    for (int i = 0; i < 3; i++) cr_assert_eq(prss_ready(ps[i]), 1);
    s_free_all(ps, 3);
}

Test(prss, params_report_n_t_and_me)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    prss *P = prss_new(&F, 5, 2, 4);
    cr_assert_not_null(P);
    int n = 0, t = 0, me = 0;
    prss_params(P, &n, &t, &me);
    cr_assert(n == 5 && t == 2 && me == 4);
    prss_params(P, NULL, NULL, NULL);   /* every pointer optional */
    prss_free(&P);
}
