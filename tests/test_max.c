/* test_max: tournament max, argmax and top two against the clear computation,
 * including ties (lowest index wins; second price equals the max on a tie). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include "common/secmem.h"
#include "protocols/bits.h"
#include "protocols/max.h"
#include "tests/harness.h"

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
}

TestSuite(max, .init = s_setup, .timeout = 60);

typedef struct job {
    int k, top2, transport;
    size_t N;
    const fe *bits;
    fe out[3];            /* max, idx, second */
    fe *max_bits;
    uint64_t rounds, elems;
} job;

static int s_body(mpc *M, void *arg)
{
    job *J = arg;
    uint64_t r0 = harness_rounds(M), e0 = harness_elems(M);
    int rc = J->top2 ? max_top2(M, &J->out[0], &J->out[1], &J->out[2], J->bits, J->N, J->k)
                     : max_argmax(M, &J->out[0], &J->out[1], J->max_bits, J->bits, J->N, J->k);
    J->rounds = harness_rounds(M) - r0;
    J->elems = harness_elems(M) - e0;
    return rc;
}

typedef struct result {
    uint64_t max, idx, second;
    fe bits[64];
    uint64_t rounds;
    int rc;
} result;

static void s_run(int n, int t, int transport, const uint64_t *v, size_t N, int k, int top2,
                  result *res)
{
    field F;
    cr_assert_eq(field_init_default(&F, k, 40), 0);
    size_t len = N * (size_t)k;
    fe *bits = malloc((len + 1) * sizeof(fe));
    for (size_t i = 0; i < N; i++)
        for (int j = 0; j < k; j++) bits[i * (size_t)k + (size_t)j] = (v[i] >> j) & 1;
    fe *sh[9];
    harness_share(&F, n, t, t, bits, len, sh);
    job jobs[9];
    void *args[9];
    for (int i = 0; i < n; i++) {
        jobs[i] = (job){ .k = k, .top2 = top2, .N = N, .bits = sh[i],
                         .max_bits = calloc((size_t)k, sizeof(fe)) };
        args[i] = &jobs[i];
    }
    res->rc = harness_run(&F, n, t, transport, s_body, args, NULL);
    if (res->rc == 0) {
        fe *outs[9], o[3];
        for (int i = 0; i < n; i++) outs[i] = jobs[i].out;
        cr_assert_eq(harness_open(&F, n, t, o, outs, 3), 0);
        res->max = (uint64_t)o[0];
        res->idx = (uint64_t)o[1];
        res->second = (uint64_t)o[2];
        if (!top2) {
            for (int i = 0; i < n; i++) outs[i] = jobs[i].max_bits;
            cr_assert_eq(harness_open(&F, n, t, res->bits, outs, (size_t)k), 0);
        }
        res->rounds = jobs[0].rounds;
    }
    for (int i = 0; i < n; i++) {
        free(sh[i]);
        free(jobs[i].max_bits);
    }
    free(bits);
}

/* Clear reference: max, first index of the max, second highest (multiset). */
static void s_clear(const uint64_t *v, size_t N, uint64_t *mx, uint64_t *idx, uint64_t *second)
{
    *mx = v[0];
    *idx = 0;
    for (size_t i = 1; i < N; i++)
        if (v[i] > *mx) { *mx = v[i]; *idx = i; }
    *second = 0;
    for (size_t i = 0; i < N; i++)
        if (i != *idx && v[i] > *second) *second = v[i];
}

static int s_ceil_log2(size_t x)
{
    int l = 0;
    while (((size_t)1 << l) < x) l++;
    return l;
}

static void s_check(int n, int t, const uint64_t *v, size_t N, int k)
{
    uint64_t mx, idx, second;
    s_clear(v, N, &mx, &idx, &second);
    result r;
    s_run(n, t, HARNESS_HUB, v, N, k, 0, &r);
    cr_assert_eq(r.rc, 0);
    cr_assert_eq(r.max, mx, "N=%zu max %llu want %llu", N, (unsigned long long)r.max,
                 (unsigned long long)mx);
    cr_assert_eq(r.idx, idx, "N=%zu argmax %llu want %llu", N, (unsigned long long)r.idx,
                 (unsigned long long)idx);
    for (int j = 0; j < k; j++) cr_assert(r.bits[j] == ((mx >> j) & 1));
    cr_assert_eq(r.rounds, (uint64_t)s_ceil_log2(N) * (uint64_t)(2 + s_ceil_log2((size_t)k)));
    s_run(n, t, HARNESS_HUB, v, N, k, 1, &r);
    cr_assert_eq(r.rc, 0);
    cr_assert_eq(r.max, mx);
    cr_assert_eq(r.idx, idx);
    cr_assert_eq(r.second, second, "N=%zu second %llu want %llu", N,
                 (unsigned long long)r.second, (unsigned long long)second);
    cr_assert_eq(r.rounds, (uint64_t)s_ceil_log2(N) * (uint64_t)(3 + s_ceil_log2((size_t)k)));
}

Test(max, single_value_is_its_own_max)
{
    uint64_t v[1] = { 12345 };
    s_check(3, 1, v, 1, 32);
}

Test(max, two_values_both_orders_and_tie)
{
    uint64_t a[2] = { 5, 9 }, b[2] = { 9, 5 }, c[2] = { 7, 7 };
    s_check(3, 1, a, 2, 32);
    s_check(3, 1, b, 2, 32);
    s_check(3, 1, c, 2, 32);   /* tie: index 0, second = 7 */
}

Test(max, seven_values_not_a_power_of_two)
{
    uint64_t v[7] = { 3, 17, 4, 17, 0, 16, 9 };
    s_check(3, 1, v, 7, 8);
    uint64_t w[7] = { 1, 2, 3, 4, 5, 6, 255 };   /* max is the odd one passing through */
    s_check(5, 2, w, 7, 8);
}

Test(max, all_equal_gives_lowest_index_and_equal_second)
{
    uint64_t v[13];
    for (int i = 0; i < 13; i++) v[i] = 42;
    s_check(3, 1, v, 13, 16);
    for (int i = 0; i < 13; i++) v[i] = 0;
    s_check(3, 1, v, 13, 16);
}

Test(max, top_two_equal_at_the_end_and_start)
{
    uint64_t v[6] = { 1, 2, 3, 4, 100, 100 };
    s_check(3, 1, v, 6, 8);
    uint64_t w[6] = { 100, 100, 3, 4, 2, 1 };
    s_check(3, 1, w, 6, 8);
    uint64_t u[5] = { 0, 255, 0, 0, 254 };
    s_check(3, 1, u, 5, 8);
}

Test(max, random_hundred_values)
{
    uint64_t v[100];
    for (int i = 0; i < 100; i++) v[i] = harness_rand_bits(32);
    v[57] = UINT32_MAX;
    s_check(3, 1, v, 100, 32);
    for (int i = 0; i < 100; i++) v[i] = harness_rand_bits(6);   /* many ties */
    s_check(5, 2, v, 100, 6);
}

Test(max, over_curve_mesh)
{
    uint64_t v[9] = { 8, 1, 99, 3, 99, 5, 6, 98, 0 };
    result r;
    s_run(3, 1, HARNESS_ZMQ, v, 9, 8, 1, &r);
    cr_assert_eq(r.rc, 0);
    cr_assert_eq(r.max, 99);
    cr_assert_eq(r.idx, 2);
    cr_assert_eq(r.second, 99);
}

Test(max, rejects_empty_input)
{
    uint64_t v[1] = { 0 };
    result r;
    s_run(3, 1, HARNESS_HUB, v, 0, 8, 0, &r);
    cr_assert_eq(r.rc, ERR_ARG);
}
