/* test_dp: noise sampled inside MPC has its target distribution (chi-square
 * goodness of fit, one batch per sample), costs what its plan says and opens
 * nothing; binomial noise and its exact delta; report noisy max (clear winner,
 * even split of a tie, masked openings); randomized response. Statistical tests
 * use fixed false-positive rates (alpha = 1e-6 for chi-square, 5 standard
 * errors elsewhere, about 6e-7 two-sided): libsodium randomness has no seed. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/secmem.h"
#include "protocols/bits.h"
#include "protocols/dp.h"
#include "protocols/mul.h"
#include "tests/harness.h"

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
}

TestSuite(dp, .init = s_setup, .timeout = 60);

/* Upper 1e-6 quantiles of chi-square, df 1..15. */
static double s_crit(int df)
{
    static const double q[16] = { 0, 23.93, 27.63, 30.66, 33.38, 35.89, 38.26, 40.52,
                                  42.70, 44.81, 46.86, 48.87, 50.83, 52.75, 54.64, 56.49 };
    cr_assert(df >= 1 && df <= 15);
    return q[df];
}

/* ---- running parties -------------------------------------------------------- */

enum { OP_LAPLACE, OP_LAPLACE_PREFILLED, OP_BINOMIAL, OP_LT, OP_NMAX, OP_SILENT };

typedef struct job {
    int op, me;
    const dp_plan *P;
    size_t m;              /* samples, or values */
    uint64_t coins;
    const fe *in;          /* this party's input shares (bits or counts) */
    const uint64_t *thr;
    int L, K, reps;
    fe *out;               /* this party's output shares */
    fe *opened;            /* noisy max: the masked openings, reps * m */
    size_t *winners;       /* noisy max: reps winners */
    dp_cost cost;
    uint64_t mul_a, mul_b; /* OP_LAPLACE_PREFILLED: elements of one mpc_mul = a + b*q */
    size_t pooled_before, pooled_after;
} job;

static int s_body(mpc *M, void *arg)
{
    job *J = arg;
    J->me = mpc_me(M);
    switch (J->op) {
    case OP_LAPLACE: return dp_laplace(M, J->out, J->m, J->P, &J->cost);
    case OP_LAPLACE_PREFILLED: {
        /* the engine's cost of one multiplication call, for the accounting */
        fe x[2] = { 3, 5 };
        uint64_t e0 = harness_elems(M);
        int rc = mpc_mul(M, x, x, x, 1);
        uint64_t e1 = harness_elems(M);
        if (!rc) rc = mpc_mul(M, x, x, x, 2);
        if (rc) return rc;
        J->mul_b = (harness_elems(M) - e1) - (e1 - e0);
        J->mul_a = (e1 - e0) - J->mul_b;
        rc = bits_fill(M, J->m * J->P->bits_per_sample);
        if (rc) return rc;
        J->pooled_before = bits_pooled(M);
        rc = dp_laplace(M, J->out, J->m, J->P, &J->cost);
        J->pooled_after = bits_pooled(M);
        return rc;
    }
    case OP_BINOMIAL: return dp_binomial(M, J->out, J->m, J->coins, &J->cost);
    case OP_LT: return dp_lt_public(M, J->out, J->in, J->thr, J->m, J->L);
    case OP_NMAX:
        for (int r = 0; r < J->reps; r++) {
            int rc = dp_noisy_max(M, &J->winners[r], J->opened ? J->opened + (size_t)r * J->m : NULL,
                                  J->in, J->m, J->K, J->P, &J->cost);
            if (rc) return rc;
        }
        return 0;
    case OP_SILENT:
        if (mpc_me(M) == 3) return 0;
        return dp_laplace(M, J->out, J->m, J->P, NULL);
    }
    return ERR_ARG;
}

/* Runs jobs (tmpl copied to every party; inputs `in` of inlen elements shared at
 * degree t) and opens olen output elements into res (may be NULL). Returns
 * harness_run's code; jobs[] stays for inspection (caller frees via s_free). */
static int s_run(const field *F, int n, int t, const job *tmpl, const fe *in, size_t inlen,
                 size_t olen, fe *res, job *jobs, int *rcs)
{
    fe *ins[9] = { 0 }, *outs[9];
    void *args[9];
    if (in) harness_share(F, n, t, t, in, inlen, ins);
    for (int i = 0; i < n; i++) {
        jobs[i] = *tmpl;
        jobs[i].in = ins[i];
        jobs[i].out = outs[i] = calloc(olen + 1, sizeof(fe));
        if (tmpl->winners) jobs[i].winners = calloc((size_t)tmpl->reps, sizeof(size_t));
        if (tmpl->opened) jobs[i].opened = calloc((size_t)tmpl->reps * tmpl->m, sizeof(fe));
        args[i] = &jobs[i];
    }
    int rc = harness_run(F, n, t, HARNESS_HUB, s_body, args, rcs);
    if (rc == 0 && res) cr_assert_eq(harness_open(F, n, t, res, outs, olen), 0);
    return rc;
}

static void s_free(job *jobs, int n)
{
    for (int i = 0; i < n; i++) {
        free((void *)jobs[i].in);
        free(jobs[i].out);
        free(jobs[i].winners);
        free(jobs[i].opened);
    }
}

static int64_t s_int(const field *F, fe v)
{
    int64_t x;
    cr_assert_eq(fe_to_i64(F, v, &x), 0);
    return x;
}

/* ---- plans: epsilon, delta, truncation ------------------------------------- */

Test(dp, plan_meets_epsilon_and_delta_with_minimal_truncation)
{
    static const double eps[] = { 0.05, 0.1, 0.3, 0.5, 1, 2, 4, 10 };
    static const int64_t sens[] = { 1, 2, 7 };
    const double target = ldexp(1.0, -DP_DELTA_LOG2);
    for (int method = 0; method < 2; method++)
        for (size_t s = 0; s < 3; s++) {
            int64_t prev_bound = INT64_MAX;
            for (size_t e = 0; e < sizeof eps / sizeof eps[0]; e++) {
                dp_plan P;
                if (method == DP_UNARY && eps[e] / (double)sens[s] < 0.02) continue;   /* cap too big */
                cr_assert_eq(dp_plan_laplace(&P, eps[e], sens[s], method), 0, "eps %g", eps[e]);
                double D = (double)sens[s];
                cr_assert(P.eps <= eps[e] && P.eps >= eps[e] * (1 - 1.0 / 512),
                          "method %d eps %g: got %g", method, eps[e], P.eps);
                cr_assert(P.delta > 0 && P.delta <= target, "delta %g", P.delta);
                cr_assert(P.bound >= 1 && P.bound <= prev_bound, "bound grows with eps");
                prev_bound = P.bound;
                uint64_t bits = 0;
                if (method == DP_BINARY) {
                    /* alpha is the target decay, bound = 2^K, and 2^(K-1) would leave a
                     * tail above 2^-40: tau = 2 a^(N+1) / (1 + a), times 1 + e^eps */
                    cr_assert(fabs(P.alpha - exp(-eps[e] * (1 - 1.0 / 1024) / D)) < 1e-12);
                    cr_assert_eq(P.bound, (int64_t)1 << P.digits);
                    double a = P.alpha;
                    if (P.digits > 0) {
                        double N = (double)(P.bound / 2);
                        double tail = (1 + exp(P.eps)) * 2 * pow(a, N + 1) / (1 + a);
                        cr_assert(tail > target, "K not minimal: %g", tail);
                    }
                    for (int v = 0; v < P.nval; v++) bits += (uint64_t)P.len[v];
                    /* each digit's threshold approximates its coin probability */
                    for (int k = 0; k < P.digits; k++) {
                        double q = 1 / (1 + exp(-log(a) * ldexp(1.0, k)));
                        double qr = ldexp((double)P.thr[1 + k], -P.len[1 + k]);
                        cr_assert(fabs(qr / q - 1) < 1e-3, "digit %d: %g vs %g", k, qr, q);
                    }
                } else {
                    /* one threshold rounded up: alpha >= e^(-eps/D), exact eps and delta */
                    double a = P.alpha;
                    cr_assert(a >= exp(-eps[e] / D));
                    cr_assert(fabs(P.eps - (-D * log(a))) < 1e-12);
                    cr_assert_eq(P.bound, P.digits);
                    double x = pow(a, P.bound + 1.0);
                    cr_assert(fabs(P.delta / ((1 + exp(P.eps)) * x * (2 - x)) - 1) < 1e-9);
                    double xs = pow(a, (double)P.bound);   /* cap - 1 */
                    cr_assert((1 + exp(P.eps)) * xs * (2 - xs) > target);
                    bits = 2 * (uint64_t)P.digits * (uint64_t)P.len[0];
                }
                cr_assert_eq(P.bits_per_sample, bits);
            }
        }
}

Test(dp, plan_rejects_bad_arguments)
{
    dp_plan P;
    cr_assert_eq(dp_plan_laplace(NULL, 1, 1, DP_BINARY), ERR_ARG);
    cr_assert_eq(dp_plan_laplace(&P, 0, 1, DP_BINARY), ERR_ARG);
    cr_assert_eq(dp_plan_laplace(&P, -1, 1, DP_BINARY), ERR_ARG);
    cr_assert_eq(dp_plan_laplace(&P, NAN, 1, DP_BINARY), ERR_ARG);
    cr_assert_eq(dp_plan_laplace(&P, INFINITY, 1, DP_BINARY), ERR_ARG);
    cr_assert_eq(dp_plan_laplace(&P, 41, 1, DP_BINARY), ERR_ARG);
    cr_assert_eq(dp_plan_laplace(&P, 1, 0, DP_BINARY), ERR_ARG);
    cr_assert_eq(dp_plan_laplace(&P, 1, -3, DP_BINARY), ERR_ARG);
    cr_assert_eq(dp_plan_laplace(&P, 1, ((int64_t)1 << 20) + 1, DP_BINARY), ERR_ARG);
    cr_assert_eq(dp_plan_laplace(&P, 1, 1, 7), ERR_ARG);
    cr_assert_eq(dp_plan_laplace(&P, 1e-9, 1, DP_BINARY), ERR_RANGE);   /* bound > 2^30 */
    cr_assert_eq(dp_plan_laplace(&P, 0.001, 1, DP_UNARY), ERR_RANGE);   /* cap > 4096 */
    cr_assert_eq(P.bits_per_sample, 0, "a failed plan is cleared");
}

/* ---- the coin circuit -------------------------------------------------------- */

Test(dp, lt_public_matches_clear_comparison)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    static const int Ls[] = { 1, 2, 5, 17, 64 };
    enum { M = 60 };
    for (size_t l = 0; l < sizeof Ls / sizeof Ls[0]; l++) {
        int L = Ls[l];
        uint64_t mask = L == 64 ? ~(uint64_t)0 : ((uint64_t)1 << L) - 1;
        uint64_t r[M], thr[M];
        for (int i = 0; i < M; i++) {
            r[i] = (harness_rand_bits(32) << 32 | harness_rand_bits(32)) & mask;
            thr[i] = (harness_rand_bits(32) << 32 | harness_rand_bits(32)) & mask;
        }
        /* edges: T = 0, 1, max; r = 0, max; r = T, T - 1, T + 1 */
        thr[0] = 0; thr[1] = 1; thr[2] = mask; r[3] = 0; r[4] = mask;
        r[5] = thr[5]; r[6] = thr[6] - 1; thr[7] = r[7] + 1; thr[8] = mask; r[8] = mask;
        r[9] = 0; thr[9] = 0;
        for (int i = 0; i < M; i++) { r[i] &= mask; thr[i] &= mask; }
        fe *bits = malloc((size_t)M * (size_t)L * sizeof(fe)), res[M];
        for (int i = 0; i < M; i++)
            for (int j = 0; j < L; j++) bits[i * L + j] = (r[i] >> j) & 1;
        job tmpl = { .op = OP_LT, .m = M, .thr = thr, .L = L }, jobs[3];
        cr_assert_eq(s_run(&F, 3, 1, &tmpl, bits, (size_t)M * (size_t)L, M, res, jobs, NULL), 0);
        for (int i = 0; i < M; i++)
            cr_assert_eq(res[i], (fe)(r[i] < thr[i]), "L=%d i=%d r=%llu T=%llu", L, i,
                         (unsigned long long)r[i], (unsigned long long)thr[i]);
        s_free(jobs, 3);
        free(bits);
    }
    /* a threshold of L + 1 bits is refused before any communication */
    uint64_t big = 1u << 5;
    fe b5[5] = { 0 };
    job bad = { .op = OP_LT, .m = 1, .thr = &big, .L = 5 }, jobs[3];
    int rcs[3];
    cr_assert_neq(s_run(&F, 3, 1, &bad, b5, 5, 1, NULL, jobs, rcs), 0);
    cr_assert_eq(rcs[0], ERR_ARG);
    s_free(jobs, 3);
}

/* ---- discrete Laplace: distribution ---------------------------------------- */

/* Chi-square of m samples against the two-sided geometric of decay a over the
 * buckets -B+1..B-1 and the tails z <= -B and z >= B. */
static double s_chi2_geom(const int64_t *z, size_t m, double a, int B, int *df)
{
    double c = (1 - a) / (1 + a), stat = 0;
    for (int b = -B; b <= B; b++) {
        double p;
        if (b == -B || b == B) p = c * pow(a, B) / (1 - a);
        else p = c * pow(a, abs(b));
        double expct = p * (double)m;
        cr_assert(expct >= 5, "bucket %d expects %.1f: test too small", b, expct);
        size_t obs = 0;
        for (size_t i = 0; i < m; i++) {
            int64_t v = z[i] < -B ? -B : z[i] > B ? B : z[i];
            obs += v == b;
        }
        stat += ((double)obs - expct) * ((double)obs - expct) / expct;
    }
    *df = 2 * B;
    return stat;
}

/* Draws m samples in ONE call and checks the distribution, mean, symmetry,
 * bound and the counted costs. */
static void s_check_laplace(int n, int t, double eps, int method, size_t m, int B)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    dp_plan P;
    cr_assert_eq(dp_plan_laplace(&P, eps, 1, method), 0);
    fe *res = malloc(m * sizeof(fe));
    int64_t *z = malloc(m * sizeof(int64_t));
    job tmpl = { .op = OP_LAPLACE, .P = &P, .m = m }, jobs[9];
    cr_assert_eq(s_run(&F, n, t, &tmpl, NULL, 0, m, res, jobs, NULL), 0);
    double sum = 0;
    size_t pos = 0, neg = 0;
    for (size_t i = 0; i < m; i++) {
        z[i] = s_int(&F, res[i]);
        cr_assert(z[i] >= -P.bound && z[i] <= P.bound, "sample %lld beyond %lld",
                  (long long)z[i], (long long)P.bound);
        sum += (double)z[i];
        pos += z[i] > 0;
        neg += z[i] < 0;
    }
    int df;
    double stat = s_chi2_geom(z, m, P.alpha, B, &df);
    cr_assert(stat < s_crit(df), "eps %g method %d: chi2 %.2f (df %d) over %zu samples", eps,
              method, stat, df, m);
    double a = P.alpha, sd = sqrt(2 * a) / (1 - a);
    cr_assert(fabs(sum / (double)m) < 5 * sd / sqrt((double)m), "mean %g", sum / (double)m);
    double nz = (double)(pos + neg);
    cr_assert(fabs((double)pos - (double)neg) < 5 * sqrt(nz), "+%zu vs -%zu", pos, neg);
    cr_assert_eq(jobs[0].cost.random_bits, m * P.bits_per_sample);
    cr_assert_eq(jobs[0].cost.mults, m * P.mults_per_sample);
    s_free(jobs, n);
    free(res);
    free(z);
}

Test(dp, laplace_binary_has_target_distribution_eps_1)
{
    s_check_laplace(3, 1, 1.0, DP_BINARY, 1200, 5);
}

Test(dp, laplace_binary_has_target_distribution_eps_half)
{
    s_check_laplace(3, 1, 0.5, DP_BINARY, 1000, 6);   /* buckets -5..5 and the tails */
}

Test(dp, laplace_unary_has_target_distribution)
{
    s_check_laplace(3, 1, 1.0, DP_UNARY, 250, 2);
}

Test(dp, laplace_five_servers_two_corrupt)
{
    s_check_laplace(5, 2, 1.0, DP_BINARY, 250, 2);
}

/* With the bit pool filled beforehand, a batch runs exactly the plan's rounds and
 * sends exactly what its multiplications send: nothing is opened. */
Test(dp, laplace_opens_nothing_and_costs_its_plan)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    for (int method = 0; method < 2; method++) {
        dp_plan P;
        cr_assert_eq(dp_plan_laplace(&P, 2.0, 1, method), 0);
        size_t m = 50;
        job tmpl = { .op = OP_LAPLACE_PREFILLED, .P = &P, .m = m }, jobs[3];
        cr_assert_eq(s_run(&F, 3, 1, &tmpl, NULL, 0, m, NULL, jobs, NULL), 0);
        for (int i = 0; i < 3; i++) {
            const job *J = &jobs[i];
            cr_assert_eq(J->cost.rounds, (uint64_t)P.rounds, "method %d: %llu rounds", method,
                         (unsigned long long)J->cost.rounds);
            cr_assert_eq(J->pooled_before - J->pooled_after, m * P.bits_per_sample);
            cr_assert_eq(J->cost.mults, m * P.mults_per_sample);
            cr_assert_eq(J->cost.elems, J->mul_a * J->cost.rounds + J->mul_b * J->cost.mults,
                         "party %d sent %llu elements", i + 1, (unsigned long long)J->cost.elems);
        }
        s_free(jobs, 3);
    }
}

Test(dp, laplace_rejects_bad_plan_and_times_out_on_silence)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    dp_plan P, Z;
    memset(&Z, 0, sizeof Z);
    cr_assert_eq(dp_plan_laplace(&P, 1, 1, DP_BINARY), 0);
    dp_plan T = P;
    T.thr[0] = (uint64_t)1 << (T.len[0] - 1);   /* P(s = 0) would be 0 */
    int rcs[3];
    job jobs[3];
    const dp_plan *bad[2] = { &Z, &T };
    for (int b = 0; b < 2; b++) {
        job tmpl = { .op = OP_LAPLACE, .P = bad[b], .m = 4 };
        cr_assert_neq(s_run(&F, 3, 1, &tmpl, NULL, 0, 4, NULL, jobs, rcs), 0);
        for (int i = 0; i < 3; i++) cr_assert_eq(rcs[i], ERR_ARG);
        s_free(jobs, 3);
    }
    harness_timeout_ms = 200;
    job tmpl = { .op = OP_SILENT, .P = &P, .m = 4 };
    cr_assert_neq(s_run(&F, 3, 1, &tmpl, NULL, 0, 4, NULL, jobs, rcs), 0);
    cr_assert_eq(rcs[0], ERR_TIMEOUT);
    cr_assert_eq(rcs[1], ERR_TIMEOUT);
    s_free(jobs, 3);
}

/* ---- binomial noise --------------------------------------------------------- */

Test(dp, binomial_has_its_distribution)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    enum { M = 3000, N = 16, B = 5 };
    fe *res = malloc(M * sizeof(fe));
    job tmpl = { .op = OP_BINOMIAL, .m = M, .coins = N }, jobs[3];
    cr_assert_eq(s_run(&F, 3, 1, &tmpl, NULL, 0, M, res, jobs, NULL), 0);
    double pmf[N + 1], stat = 0;
    for (int z = 0; z <= N; z++)
        pmf[z] = exp(lgamma(N + 1) - lgamma(z + 1) - lgamma(N - z + 1) - N * log(2.0));
    size_t obs[2 * B + 1] = { 0 };
    for (int i = 0; i < M; i++) {
        int64_t z = s_int(&F, res[i]);
        cr_assert(z >= -N / 2 && z <= N / 2);
        obs[(z < -B ? -B : z > B ? B : z) + B]++;
    }
    for (int b = -B; b <= B; b++) {
        double p = 0;
        for (int z = -N / 2; z <= N / 2; z++)
            if ((b == -B && z <= -B) || (b == B && z >= B) || z == b) p += pmf[z + N / 2];
        double e = p * M;
        cr_assert(e >= 5);
        stat += ((double)obs[b + B] - e) * ((double)obs[b + B] - e) / e;
    }
    cr_assert(stat < s_crit(2 * B), "chi2 %.2f", stat);
    cr_assert_eq(jobs[0].cost.mults, 0);
    cr_assert_eq(jobs[0].cost.random_bits, (uint64_t)M * N);
    s_free(jobs, 3);
    free(res);
    /* odd or too few coins are refused */
    int rcs[3];
    job odd = { .op = OP_BINOMIAL, .m = 2, .coins = 15 };
    cr_assert_neq(s_run(&F, 3, 1, &odd, NULL, 0, 2, NULL, jobs, rcs), 0);
    cr_assert_eq(rcs[0], ERR_ARG);
    s_free(jobs, 3);
    job none = { .op = OP_BINOMIAL, .m = 2, .coins = 0 };
    cr_assert_neq(s_run(&F, 3, 1, &none, NULL, 0, 2, NULL, jobs, rcs), 0);
    cr_assert_eq(rcs[0], ERR_ARG);
    s_free(jobs, 3);
}

Test(dp, binomial_delta_is_exact_and_monotone)
{
    double d, prev = 2;
    /* N = 2: P = (1/4, 1/2, 1/4); e^eps = 2, shift 1: only z = 0 exceeds, by 1/4 */
    cr_assert_eq(dp_binomial_delta(&d, 2, log(2.0), 1), 0);
    cr_assert(fabs(d - 0.25) < 1e-12, "%g", d);
    /* eps = 0 is the total variation: N = 4, P = (1,4,6,4,1)/16 -> 6/16 */
    cr_assert_eq(dp_binomial_delta(&d, 4, 0, 1), 0);
    cr_assert(fabs(d - 0.375) < 1e-12, "%g", d);
    for (uint64_t N = 2; N <= 4000; N += 198) {
        cr_assert_eq(dp_binomial_delta(&d, N, 1.0, 1), 0);
        cr_assert(d <= prev + 1e-15, "delta grows at N = %llu", (unsigned long long)N);
        prev = d;
    }
    double d1, d3;
    cr_assert_eq(dp_binomial_delta(&d1, 400, 0.5, 1), 0);
    cr_assert_eq(dp_binomial_delta(&d3, 400, 0.5, 3), 0);
    cr_assert(d3 > d1, "a larger sensitivity needs more noise");
    /* the coin count meets the target and is the smallest even one */
    const double target = ldexp(1.0, -DP_DELTA_LOG2);
    uint64_t N;
    cr_assert_eq(dp_binomial_coins(&N, 1.0, target, 1), 0);
    cr_assert_eq(N % 2, 0);
    cr_assert_eq(dp_binomial_delta(&d, N, 1.0, 1), 0);
    cr_assert(d <= target);
    cr_assert_eq(dp_binomial_delta(&d, N - 2, 1.0, 1), 0);
    cr_assert(d > target);
    /* Gaussian heuristic: sd = sqrt(N)/2 about sqrt(2 ln(1.25/delta)) / eps */
    double sd = sqrt((double)N) / 2, g = sqrt(2 * log(1.25 / target));
    cr_assert(sd > 0.5 * g && sd < 2 * g, "N = %llu", (unsigned long long)N);
    /* bad arguments */
    cr_assert_eq(dp_binomial_delta(NULL, 2, 1, 1), ERR_ARG);
    cr_assert_eq(dp_binomial_delta(&d, 3, 1, 1), ERR_ARG);
    cr_assert_eq(dp_binomial_delta(&d, 0, 1, 1), ERR_ARG);
    cr_assert_eq(dp_binomial_delta(&d, 4, -1, 1), ERR_ARG);
    cr_assert_eq(dp_binomial_delta(&d, 4, NAN, 1), ERR_ARG);
    cr_assert_eq(dp_binomial_delta(&d, 4, 1, 0), ERR_ARG);
    cr_assert_eq(dp_binomial_delta(&d, (uint64_t)1 << 30, 1, 1), ERR_RANGE);
    cr_assert_eq(dp_binomial_coins(&N, 1, 0, 1), ERR_ARG);
    cr_assert_eq(dp_binomial_coins(&N, 1, 1, 1), ERR_ARG);
    cr_assert_eq(dp_binomial_coins(NULL, 1, 0.1, 1), ERR_ARG);
    cr_assert_eq(dp_binomial_coins(&N, 1e-4, target, 1), ERR_RANGE);
}

/* ---- report noisy max -------------------------------------------------------- */

static void s_noisy_max(const field *F, int n, int t, const uint64_t *counts, size_t m, int K,
                        double eps, int reps, size_t *wins, fe *opened)
{
    dp_plan P;
    cr_assert_eq(dp_plan_laplace(&P, eps, 1, DP_BINARY), 0);
    fe c[64];
    for (size_t i = 0; i < m; i++) c[i] = counts[i];
    size_t dummy;
    job tmpl = { .op = OP_NMAX, .P = &P, .m = m, .K = K, .reps = reps, .winners = &dummy,
                 .opened = opened ? c : NULL }, jobs[9];
    cr_assert_eq(s_run(F, n, t, &tmpl, c, m, 0, NULL, jobs, NULL), 0);
    for (int r = 0; r < reps; r++) {
        for (int i = 1; i < n; i++) cr_assert_eq(jobs[i].winners[r], jobs[0].winners[r]);
        wins[r] = jobs[0].winners[r];
    }
    if (opened) memcpy(opened, jobs[0].opened, (size_t)reps * m * sizeof(fe));
    s_free(jobs, n);
}

Test(dp, noisy_max_picks_a_clear_winner)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    enum { R = 15 };
    size_t w[R];
    uint64_t a[4] = { 120, 60, 45, 10 }, b[5] = { 10, 60, 45, 120, 0 };
    s_noisy_max(&F, 3, 1, a, 4, 8, 1.0, R, w, NULL);
    for (int r = 0; r < R; r++) cr_assert_eq(w[r], 0);
    s_noisy_max(&F, 3, 1, b, 5, 8, 1.0, R, w, NULL);
    for (int r = 0; r < R; r++) cr_assert_eq(w[r], 3);
    s_noisy_max(&F, 5, 2, b, 5, 8, 1.0, 4, w, NULL);
    for (int r = 0; r < 4; r++) cr_assert_eq(w[r], 3);
}

Test(dp, noisy_max_splits_a_tie_evenly)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    enum { R = 300 };
    size_t *w = malloc(R * sizeof(size_t)), first = 0;
    uint64_t c[2] = { 5, 5 };
    s_noisy_max(&F, 3, 1, c, 2, 3, 2.0, R, w, NULL);
    for (int r = 0; r < R; r++) {
        cr_assert(w[r] < 2);
        first += w[r] == 0;
    }
    /* P(first) = 1/2 + P(equal noise and equal tie bits) / 2 < 0.5006 */
    cr_assert(fabs((double)first - R / 2.0) < 5 * sqrt(R / 4.0), "%zu of %d", first, R);
    free(w);
}

#define S_BUCKETS 16
/* Two-sample chi-square of a 4-bit feature of two equally large samples. */
static int s_leaks(const fe *ca, const fe *cb, size_t m, int shift, double *stat)
{
    unsigned ha[S_BUCKETS] = { 0 }, hb[S_BUCKETS] = { 0 };
    for (size_t i = 0; i < m; i++) {
        ha[(ca[i] >> shift) & (S_BUCKETS - 1)]++;
        hb[(cb[i] >> shift) & (S_BUCKETS - 1)]++;
    }
    double x = 0;
    int nz = 0;
    for (int j = 0; j < S_BUCKETS; j++) {
        double a = ha[j], b = hb[j];
        if (a + b == 0) continue;
        nz++;
        x += (a - b) * (a - b) / (a + b);
    }
    *stat = x;
    return nz < 2 ? 1 : x > s_crit(nz - 1);
}

/* What a server sees opened in noisy max (the bit decomposition's c = x + r) does
 * not depend on the counts: all-zero and all-maximal counts give the same
 * distribution of the bits around the top of x. */
Test(dp, noisy_max_openings_do_not_depend_on_the_counts)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    enum { M = 600, K = 4 };
    const double eps = 4.0;
    dp_plan P;
    cr_assert_eq(dp_plan_laplace(&P, eps, 1, DP_BINARY), 0);
    uint64_t top = ((1u << K) - 1) + 2 * (uint64_t)P.bound;
    int Kx = 0;
    while (top >> Kx) Kx++;
    uint64_t *lo = calloc(M, sizeof(uint64_t)), *hi = malloc(M * sizeof(uint64_t));
    for (int i = 0; i < M; i++) hi[i] = (1u << K) - 1;
    fe *ca = malloc(M * sizeof(fe)), *cb = malloc(M * sizeof(fe));
    /* one noisy max over M counts per run: M masked openings each */
    {
        fe *c = malloc(M * sizeof(fe));
        for (int run = 0; run < 2; run++) {
            for (int i = 0; i < M; i++) c[i] = run ? hi[i] : lo[i];
            size_t dummy;
            job tmpl = { .op = OP_NMAX, .P = &P, .m = M, .K = K, .reps = 1, .winners = &dummy,
                         .opened = c }, jobs[3];
            cr_assert_eq(s_run(&F, 3, 1, &tmpl, c, M, 0, NULL, jobs, NULL), 0);
            memcpy(run ? cb : ca, jobs[0].opened, M * sizeof(fe));
            s_free(jobs, 3);
        }
        free(c);
    }
    double stat;
    cr_assert_eq(s_leaks(ca, cb, M, Kx - 2, &stat), 0, "openings leak: chi2 = %f", stat);
    /* the same statistic flags unmasked values (count + bound) */
    for (int i = 0; i < M; i++) {
        ca[i] = lo[i] + (fe)P.bound;
        cb[i] = hi[i] + (fe)P.bound;
    }
    cr_assert_eq(s_leaks(ca, cb, M, Kx - 2, &stat), 1);
    free(lo);
    free(hi);
    free(ca);
    free(cb);
}

Test(dp, noisy_max_rejects_bad_arguments)
{
    field F, G;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    cr_assert_eq(field_init_str(&G, "2^61-1"), 0);
    dp_plan P, Z;
    memset(&Z, 0, sizeof Z);
    cr_assert_eq(dp_plan_laplace(&P, 1, 1, DP_BINARY), 0);
    fe c[2] = { 1, 2 };
    size_t w;
    struct {
        const field *F;
        size_t m;
        int K;
        const dp_plan *P;
        int rc;
    } cases[] = {
        { &F, 0, 8, &P, ERR_ARG },  { &F, 2, 0, &P, ERR_ARG },  { &F, 2, 41, &P, ERR_ARG },
        { &F, 2, 8, &Z, ERR_ARG },  { &G, 2, 20, &P, ERR_RANGE },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        job tmpl = { .op = OP_NMAX, .P = cases[k].P, .m = cases[k].m, .K = cases[k].K, .reps = 1,
                     .winners = &w }, jobs[3];
        int rcs[3];
        cr_assert_neq(s_run(cases[k].F, 3, 1, &tmpl, c, 2, 0, NULL, jobs, rcs), 0);
        cr_assert_eq(rcs[0], cases[k].rc, "case %zu: %d", k, rcs[0]);
        s_free(jobs, 3);
    }
}

/* ---- randomized response ------------------------------------------------------ */

Test(dp, rr_answers_have_the_stated_probabilities)
{
    enum { N = 20000 };
    int ones[2] = { 0, 0 };
    for (int x = 0; x < 2; x++)
        for (int i = 0; i < N; i++) {
            int a = dp_rr_respond(x);
            cr_assert(a == 0 || a == 1);
            ones[x] += a;
        }
    double sd = sqrt(N * 0.75 * 0.25);
    cr_assert(fabs(ones[1] - 0.75 * N) < 5 * sd, "P(1 | x=1): %d of %d", ones[1], N);
    cr_assert(fabs(ones[0] - 0.25 * N) < 5 * sd, "P(1 | x=0): %d of %d", ones[0], N);
    cr_assert(fabs(DP_RR_EPS - log((0.75) / (0.25))) < 1e-15);
    int any = dp_rr_respond(7);   /* any non-zero x reads as 1 */
    cr_assert(any == 0 || any == 1);
}

Test(dp, rr_estimator_is_unbiased_and_its_interval_covers)
{
    enum { POLLS = 200, N = 1000 };
    const double p = 0.3;
    double sum = 0;
    int covered = 0;
    for (int k = 0; k < POLLS; k++) {
        uint64_t ones = 0;
        for (int i = 0; i < N; i++) ones += (uint64_t)dp_rr_respond(i < (int)(p * N));
        double ph, se;
        cr_assert_eq(dp_rr_estimate(ones, N, &ph, &se), 0);
        sum += ph;
        covered += fabs(ph - p) <= 1.96 * se;
    }
    double pi = p / 2 + 0.25, se1 = 2 * sqrt(pi * (1 - pi) / N);
    cr_assert(fabs(sum / POLLS - p) < 5 * se1 / sqrt(POLLS), "mean estimate %g", sum / POLLS);
    double cov = (double)covered / POLLS;
    cr_assert(fabs(cov - 0.95) < 5 * sqrt(0.95 * 0.05 / POLLS), "coverage %g", cov);
    double ph, se;
    cr_assert_eq(dp_rr_estimate(1, 0, &ph, &se), ERR_ARG);
    cr_assert_eq(dp_rr_estimate(5, 4, &ph, &se), ERR_ARG);
    cr_assert_eq(dp_rr_estimate(2, 4, NULL, &se), ERR_ARG);
    cr_assert_eq(dp_rr_estimate(3, 4, &ph, &se), 0);
    cr_assert(fabs(ph - 1.0) < 1e-15);   /* 2 * 3/4 - 1/2 */
}

Test(dp, budget_adds_epsilons_and_refuses_past_the_budget)
{
    char dir[] = "/tmp/dp-ledger-XXXXXX", path[64], err[256];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/ledger", dir);
    double spent = 0;
    cr_assert_eq(dp_budget_spend(path, 0.5, 1e-12, 1.0, &spent, err, sizeof err), 0, "%s", err);
    cr_expect(fabs(spent - 0.5) < 1e-12);
    cr_assert_eq(dp_budget_spend(path, 0.5, 1e-12, 1.0, &spent, err, sizeof err), 0, "%s", err);
    cr_expect(fabs(spent - 1.0) < 1e-12, "exactly at the budget is allowed");
    cr_expect_eq(dp_budget_spend(path, 0.01, 1e-12, 1.0, &spent, err, sizeof err), ERR_REFUSED);
    cr_expect(strstr(err, "budget exhausted") != NULL, "%s", err);
    /* the refusal recorded nothing: a larger budget still sees 1.0 spent */
    cr_assert_eq(dp_budget_spend(path, 0.25, 0, 1.25, &spent, err, sizeof err), 0, "%s", err);
    cr_expect(fabs(spent - 1.25) < 1e-12);
    cr_expect_eq(dp_budget_spend(path, 0, 0, 5, NULL, err, sizeof err), ERR_ARG);
    cr_expect_eq(dp_budget_spend(path, -1, 0, 5, NULL, err, sizeof err), ERR_ARG);
    cr_expect_eq(dp_budget_spend(path, NAN, 0, 5, NULL, err, sizeof err), ERR_ARG);
    cr_expect_eq(dp_budget_spend(path, 0.1, 0, 0, NULL, err, sizeof err), ERR_ARG);
    /* a damaged ledger refuses every release */
    FILE *f = fopen(path, "a");
    cr_assert_not_null(f);
    fputs("garbage\n", f);
    fclose(f);
    cr_expect_eq(dp_budget_spend(path, 0.1, 0, 100, NULL, err, sizeof err), ERR_PARSE);
    remove(path);
    remove(dir);
}
