/* test_check: batched input checks flag exactly the invalid inputs (bad degree,
 * non-bit entry, wrong sum, entry above a small bound) and never a valid one. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include "common/secmem.h"
#include "protocols/check.h"
#include "protocols/shamir.h"
#include "tests/harness.h"

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
}

TestSuite(check, .init = s_setup, .timeout = 30);

struct nt {
    int n, t;
};

static struct nt s_params[] = { { 3, 1 }, { 5, 2 } };

enum { OP_DEGREE, OP_BITS, OP_SUM, OP_ALL, OP_CHOICE, OP_AT_MOST };

typedef struct job {
    int op, k;
    size_t N, m;
    const fe *x;
    uint8_t *bad;
    uint64_t rounds;
} job;

static int s_body(mpc *M, void *arg)
{
    job *J = arg;
    uint64_t r0 = harness_rounds(M);
    int rc = 0;
    if (J->op == OP_DEGREE || J->op == OP_ALL) rc = check_degree(M, J->x, J->N, J->m, J->bad);
    if (!rc && (J->op == OP_BITS || J->op == OP_ALL)) rc = check_bits(M, J->x, J->N, J->m, J->bad);
    if (!rc && (J->op == OP_SUM || J->op == OP_ALL)) rc = check_sum(M, J->x, J->N, J->m, 1, J->bad);
    if (!rc && J->op == OP_CHOICE) rc = check_choice(M, J->x, J->N, J->m, J->bad);
    if (!rc && J->op == OP_AT_MOST) rc = check_at_most(M, J->x, J->N, J->m, J->k, J->bad);
    J->rounds = harness_rounds(M) - r0;
    return rc;
}

/* One-hot ballots of m entries; the caller corrupts some. Shares are dealt per
 * input so an input can be given a wrong degree. */
typedef struct ballots {
    size_t N, m;
    int k;            /* OP_AT_MOST: the bound */
    fe *v;            /* N*m clear entries */
    int *deg;         /* sharing degree per input (t unless corrupted) */
    int *tamper;      /* party whose share of entry 0 is perturbed (0 = none) */
} ballots;

static void s_ballots(ballots *B, size_t N, size_t m, int t)
{
    B->N = N;
    B->m = m;
    B->k = 0;
    B->v = calloc(N * m + 1, sizeof(fe));
    B->deg = calloc(N + 1, sizeof(int));
    B->tamper = calloc(N + 1, sizeof(int));
    for (size_t i = 0; i < N; i++) {
        B->v[i * m + harness_rand_bits(16) % m] = 1;
        B->deg[i] = t;
    }
}

static void s_free_ballots(ballots *B)
{
    free(B->v);
    free(B->deg);
    free(B->tamper);
}

static void s_run(const ballots *B, int n, int t, int op, int transport, uint8_t *bad_in,
                  uint8_t *bad_out, uint64_t *rounds)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    size_t N = B->N, m = B->m;
    fe *rows[9];
    for (int i = 0; i < n; i++) rows[i] = calloc(N * m + 1, sizeof(fe));
    for (size_t a = 0; a < N; a++) {
        fe *sh[9];
        harness_share(&F, n, t, B->deg[a], B->v + a * m, m, sh);
        for (int i = 0; i < n; i++) {
            memcpy(rows[i] + a * m, sh[i], m * sizeof(fe));
            if (B->tamper[a] == i + 1) rows[i][a * m] = fe_add(&F, rows[i][a * m], 1);
            free(sh[i]);
        }
    }
    job jobs[9];
    void *args[9];
    for (int i = 0; i < n; i++) {
        jobs[i] = (job){ .op = op, .k = B->k, .N = N, .m = m, .x = rows[i],
                         .bad = calloc(N + 1, 1) };
        if (bad_in) memcpy(jobs[i].bad, bad_in, N);
        args[i] = &jobs[i];
    }
    cr_assert_eq(harness_run(&F, n, t, transport, s_body, args, NULL), 0);
    for (int i = 0; i < n; i++) {
        cr_assert_eq(memcmp(jobs[i].bad, jobs[0].bad, N), 0, "servers disagree on flags");
        free(rows[i]);
    }
    memcpy(bad_out, jobs[0].bad, N);
    if (rounds) *rounds = jobs[0].rounds;
    for (int i = 0; i < n; i++) free(jobs[i].bad);
}

ParameterizedTestParameters(check, valid_inputs_are_not_flagged)
{
    return cr_make_param_array(struct nt, s_params, 2);
}

ParameterizedTest(struct nt *P, check, valid_inputs_are_not_flagged)
{
    ballots B;
    s_ballots(&B, 50, 4, P->t);
    uint8_t bad[50];
    uint64_t rounds;
    s_run(&B, P->n, P->t, OP_DEGREE, HARNESS_HUB, NULL, bad, &rounds);
    for (int i = 0; i < 50; i++) cr_assert_eq(bad[i], 0);
    cr_assert_eq(rounds, 2, "coin + one opening");
    s_run(&B, P->n, P->t, OP_BITS, HARNESS_HUB, NULL, bad, &rounds);
    for (int i = 0; i < 50; i++) cr_assert_eq(bad[i], 0);
    cr_assert_eq(rounds, 2, "coin + one opening");
    s_run(&B, P->n, P->t, OP_SUM, HARNESS_HUB, NULL, bad, &rounds);
    for (int i = 0; i < 50; i++) cr_assert_eq(bad[i], 0);
    cr_assert_eq(rounds, 2, "coin + one opening");
    s_free_ballots(&B);
}

ParameterizedTestParameters(check, bad_degree_inputs_are_found_by_bisection)
{
    return cr_make_param_array(struct nt, s_params, 2);
}

ParameterizedTest(struct nt *P, check, bad_degree_inputs_are_found_by_bisection)
{
    enum { N = 37 };
    ballots B;
    s_ballots(&B, N, 3, P->t);
    B.deg[5] = P->t + 1;       /* a degree t+1 polynomial: not a degree-t sharing */
    B.tamper[36] = 2;          /* one share off */
    B.tamper[17] = P->n;
    uint8_t bad[N];
    uint64_t rounds;
    s_run(&B, P->n, P->t, OP_DEGREE, HARNESS_HUB, NULL, bad, &rounds);
    for (int i = 0; i < N; i++) cr_assert_eq(bad[i], i == 5 || i == 17 || i == 36, "input %d", i);
    cr_assert_leq(rounds, 2 + 6);   /* coin, level 0, at most ceil(log2 37) more */
    s_free_ballots(&B);
}

Test(check, degree_check_on_single_input_and_all_bad)
{
    ballots B;
    s_ballots(&B, 1, 2, 1);
    uint8_t bad[4];
    s_run(&B, 3, 1, OP_DEGREE, HARNESS_HUB, NULL, bad, NULL);
    cr_assert_eq(bad[0], 0);
    B.tamper[0] = 1;
    s_run(&B, 3, 1, OP_DEGREE, HARNESS_HUB, NULL, bad, NULL);
    cr_assert_eq(bad[0], 1);
    s_free_ballots(&B);
    s_ballots(&B, 4, 2, 1);
    for (int i = 0; i < 4; i++) B.tamper[i] = 1 + i % 3;
    s_run(&B, 3, 1, OP_DEGREE, HARNESS_HUB, NULL, bad, NULL);
    for (int i = 0; i < 4; i++) cr_assert_eq(bad[i], 1);
    s_free_ballots(&B);
}

ParameterizedTestParameters(check, non_bit_entries_are_found)
{
    return cr_make_param_array(struct nt, s_params, 2);
}

ParameterizedTest(struct nt *P, check, non_bit_entries_are_found)
{
    enum { N = 30, Mm = 5 };
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    ballots B;
    s_ballots(&B, N, Mm, P->t);
    B.v[3 * Mm + 1] = 2;
    B.v[11 * Mm + 4] = F.p - 1;          /* -1 */
    B.v[20 * Mm + 0] = (fe)1 << 40;
    uint8_t bad[N];
    uint64_t rounds;
    s_run(&B, P->n, P->t, OP_BITS, HARNESS_HUB, NULL, bad, &rounds);
    for (int i = 0; i < N; i++) cr_assert_eq(bad[i], i == 3 || i == 11 || i == 20, "input %d", i);
    cr_assert_eq(rounds, 4, "coin, combined test, x(x-1), randomised openings");
    s_free_ballots(&B);
}

Test(check, sum_check_flags_wrong_one_hot_counts)
{
    enum { N = 20, Mm = 4 };
    ballots B;
    s_ballots(&B, N, Mm, 1);
    memset(B.v + 2 * Mm, 0, Mm * sizeof(fe));     /* all zero */
    B.v[9 * Mm + 0] = B.v[9 * Mm + 1] = 1;         /* two votes (maybe three) */
    B.v[9 * Mm + 2] = 0;
    B.v[9 * Mm + 3] = 0;
    uint8_t bad[N];
    s_run(&B, 3, 1, OP_SUM, HARNESS_HUB, NULL, bad, NULL);
    for (int i = 0; i < N; i++) cr_assert_eq(bad[i], i == 2 || i == 9, "input %d", i);
    s_free_ballots(&B);
}

Test(check, all_checks_chain_and_skip_flagged_inputs)
{
    enum { N = 16, Mm = 3 };
    ballots B;
    s_ballots(&B, N, Mm, 1);
    B.tamper[1] = 3;                       /* degree */
    B.v[4 * Mm + 0] = 2;                   /* not a bit (and sum 2 or 3) */
    memset(B.v + 7 * Mm, 0, Mm * sizeof(fe));   /* sum 0 */
    uint8_t pre[N] = { 0 }, bad[N];
    pre[12] = 1;                           /* already excluded: stays, not re-examined */
    s_run(&B, 3, 1, OP_ALL, HARNESS_HUB, pre, bad, NULL);
    for (int i = 0; i < N; i++)
        cr_assert_eq(bad[i], i == 1 || i == 4 || i == 7 || i == 12, "input %d", i);
    s_free_ballots(&B);
}

Test(check, checks_over_curve_mesh)
{
    enum { N = 8, Mm = 3 };
    ballots B;
    s_ballots(&B, N, Mm, 1);
    B.tamper[6] = 2;
    uint8_t bad[N];
    s_run(&B, 3, 1, OP_DEGREE, HARNESS_ZMQ, NULL, bad, NULL);
    for (int i = 0; i < N; i++) cr_assert_eq(bad[i], i == 6);
    s_free_ballots(&B);
}

Test(check, choice_accepts_one_hot_and_blank_and_flags_two_hot_and_non_bits)
{
    enum { N = 40 };
    ballots B;
    s_ballots(&B, N, 3, 1);
    memset(B.v + 3 * 3, 0, 3 * sizeof(fe));           /* a blank ballot: valid */
    B.v[7 * 3 + 0] = 1;                               /* two-hot: invalid */
    B.v[7 * 3 + 1] = 1;
    B.v[7 * 3 + 2] = 0;
    memset(B.v + 20 * 3, 0, 3 * sizeof(fe));          /* an entry 2: invalid */
    B.v[20 * 3 + 1] = 2;
    B.v[31 * 3 + 0] = fe_from_i64(&(field){ .p = (((fe)1) << 89) - 1 }, -1);  /* -1 and */
    B.v[31 * 3 + 1] = 1;                              /* 1 sum to 0 but are not bits */
    B.v[31 * 3 + 2] = 1;
    uint8_t bad[N];
    uint64_t rounds;
    s_run(&B, 3, 1, OP_CHOICE, HARNESS_HUB, NULL, bad, &rounds);
    for (int i = 0; i < N; i++)
        cr_expect_eq(bad[i], i == 7 || i == 20 || i == 31, "ballot %d flagged %d", i, bad[i]);
    s_free_ballots(&B);
    /* all valid: coin + one opening */
    s_ballots(&B, N, 3, 1);
    s_run(&B, 3, 1, OP_CHOICE, HARNESS_HUB, NULL, bad, &rounds);
    for (int i = 0; i < N; i++) cr_expect_eq(bad[i], 0);
    cr_expect_eq(rounds, 2);
    s_free_ballots(&B);
}

ParameterizedTestParameters(check, at_most_flags_exactly_the_entries_above_k)
{
    return cr_make_param_array(struct nt, s_params, 2);
}

/* Against the clear rule "every entry is one of 0..k", for several k: values
 * around the bound, "negative" ones and large ones. */
ParameterizedTest(struct nt *P, check, at_most_flags_exactly_the_entries_above_k)
{
    enum { N = 40, Mm = 2 };
    static const int ks[] = { 0, 1, 3, 4, 7 };
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    for (size_t c = 0; c < sizeof ks / sizeof ks[0]; c++) {
        int k = ks[c];
        ballots B;
        s_ballots(&B, N, Mm, P->t);
        B.k = k;
        for (size_t e = 0; e < N * Mm; e++) B.v[e] = harness_rand_bits(8) % (fe)(k + 3);
        B.v[5 * Mm] = F.p - 1;                 /* -1 */
        B.v[6 * Mm + 1] = F.p - (fe)(k + 1);    /* -(k + 1) */
        B.v[7 * Mm] = (fe)1 << 40;
        B.v[8 * Mm] = (fe)k;                    /* the bound itself: valid */
        B.v[8 * Mm + 1] = 0;
        B.v[9 * Mm] = (fe)k + 1;                /* one above */
        B.v[9 * Mm + 1] = 0;
        uint8_t bad[N];
        uint64_t rounds;
        s_run(&B, P->n, P->t, OP_AT_MOST, HARNESS_HUB, NULL, bad, &rounds);
        int any = 0, levels = 0;
        while ((1 << levels) < k + 1) levels++;
        for (int i = 0; i < N; i++) {
            int want = B.v[i * Mm] > (fe)k || B.v[i * Mm + 1] > (fe)k;
            any |= want;
            cr_assert_eq(bad[i], want, "k %d input %d: %llu %llu", k, i,
                         (unsigned long long)B.v[i * Mm], (unsigned long long)B.v[i * Mm + 1]);
        }
        cr_assert_eq(bad[8], 0);
        cr_assert_eq(bad[9], 1);
        cr_assert_eq(rounds, (uint64_t)(levels + 2 + any),
                     "k %d: %d product levels, coin, opening, randomised openings", k, levels);
        s_free_ballots(&B);
    }
}

Test(check, at_most_accepts_all_valid_in_few_rounds_and_skips_flagged)
{
    enum { N = 25, Mm = 3 };
    ballots B;
    s_ballots(&B, N, Mm, 2);
    B.k = 5;
    for (size_t e = 0; e < N * Mm; e++) B.v[e] = harness_rand_bits(8) % 6;
    B.v[4 * Mm + 2] = 9;                   /* invalid but already excluded: stays */
    uint8_t pre[N] = { 0 }, bad[N];
    pre[4] = 1;
    pre[10] = 1;                           /* valid but excluded: stays excluded */
    uint64_t rounds;
    s_run(&B, 5, 2, OP_AT_MOST, HARNESS_HUB, pre, bad, &rounds);
    for (int i = 0; i < N; i++) cr_assert_eq(bad[i], i == 4 || i == 10, "input %d", i);
    cr_assert_eq(rounds, 3 + 2, "ceil(log2 6) products, coin, one opening");
    s_free_ballots(&B);
}

static int s_at_most_args_body(mpc *M, void *arg)
{
    (void)arg;
    fe x = 0;
    uint8_t bad = 0;
    if (check_at_most(M, &x, 1, 1, -1, &bad) != ERR_ARG) return ERR_PROTO;
    if (check_at_most(M, &x, 1, 1, CHECK_MAX_K + 1, &bad) != ERR_ARG) return ERR_PROTO;
    return bad == 0 ? 0 : ERR_PROTO;
}

Test(check, at_most_rejects_a_bound_out_of_range)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    cr_assert_eq(harness_run(&F, 3, 1, HARNESS_HUB, s_at_most_args_body, NULL, NULL), 0);
}

/* Inputs flagged before the check, some of them before an inconsistent one:
 * the bisection maps positions back to the right inputs. */
Test(check, degree_check_with_inputs_flagged_before)
{
    enum { N = 37 };
    for (int rep = 0; rep < 2; rep++) {
        ballots B;
        s_ballots(&B, N, 3, 1);
        B.tamper[5] = 2;
        B.tamper[20] = 1;
        B.tamper[36] = 3;
        B.deg[33] = 2;
        uint8_t pre[N] = { 0 }, bad[N];
        pre[0] = pre[3] = pre[21] = 1;
        if (rep) pre[36] = 1;   /* an inconsistent input already flagged */
        s_run(&B, 3, 1, OP_DEGREE, HARNESS_HUB, pre, bad, NULL);
        for (int i = 0; i < N; i++)
            cr_assert_eq(bad[i], i == 0 || i == 3 || i == 21 || i == 5 || i == 20 || i == 33 || i == 36,
                         "rep %d input %d", rep, i);
        s_free_ballots(&B);
    }
}
