/* bench_dp: accuracy and cost of differential privacy inside MPC, 3 servers as
 * processes on loopback over CurveZMQ. One JSON line per figure:
 *   dp_mae               mean absolute error (votes) of released noisy tallies of
 *                        a 3-option plurality election against epsilon, for 100
 *                        and 10,000 voters (Laplace), and binomial noise at the
 *                        same (epsilon, delta) for comparison; "theory" is E|Z|
 *   dp_laplace_seconds   drawing a batch of noise samples in MPC (pooled random
 *                        bits included; bits_seconds is their share)
 *   dp_binomial_seconds  the same for binomial noise
 *   dp_noisy_max_seconds report noisy max over the options
 * The ballots are shared by the bench itself, as the voters' clients would;
 * the servers add their shares, add noise and open the noisy tallies only.
 * Usage: bench_dp [--quick]. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "bench/lib/procs.h"
#include "common/secmem.h"
#include "common/xalloc.h"
#include "protocols/bits.h"
#include "protocols/dp.h"
#include "protocols/shamir.h"

#define B_N 3
#define B_T 1
#define B_OPT 3

static const double s_eps[] = { 0.1, 0.5, 1.0, 2.0 };
#define B_NEPS (sizeof s_eps / sizeof s_eps[0])
static const size_t s_voters[] = { 100, 10000 };

typedef struct job {
    int quick;
    fe *ballots[2][B_N];          /* per voters case, per server: voters * B_OPT shares */
    uint64_t tally[2][B_OPT];     /* clear tallies (for measuring the error only) */
    uint64_t coins[B_NEPS];       /* binomial coins per epsilon (delta 2^-40) */
} job;

/* E|Z - N/2| for Z ~ Binomial(N, 1/2). */
static double s_binom_mae(uint64_t N)
{
    double s = 0;
    for (uint64_t z = 0; z <= N; z++) {
        double lp = lgamma((double)N + 1) - lgamma((double)z + 1) - lgamma((double)(N - z) + 1) -
                    (double)N * log(2.0);
        s += fabs((double)z - (double)N / 2) * exp(lp);
    }
    return s;
}

/* Noisy tallies: reps copies of the B_OPT tallies plus fresh noise, opened;
 * returns the mean absolute error over reps * B_OPT releases. */
static int s_release(mpc *M, const job *J, int c, const dp_plan *P, uint64_t coins, size_t reps,
                     double *mae)
{
    const field *F = mpc_field(M);
    size_t m = reps * B_OPT, V = s_voters[c];
    const fe *b = J->ballots[c][mpc_me(M) - 1];
    fe tally[B_OPT] = { 0 };
    for (size_t v = 0; v < V; v++)
        for (int o = 0; o < B_OPT; o++) tally[o] = fe_add(F, tally[o], b[v * B_OPT + (size_t)o]);
    fe *x = xmalloc(m * sizeof(fe));
    int rc = P ? dp_laplace(M, x, m, P, NULL) : dp_binomial(M, x, m, coins, NULL);
    for (size_t i = 0; i < m; i++) x[i] = fe_add(F, x[i], tally[i % B_OPT]);
    if (!rc) rc = mpc_open(M, x, x, m);
    double err = 0;
    for (size_t i = 0; i < m && !rc; i++) {
        int64_t r;
        rc = fe_to_i64(F, x[i], &r);
        err += fabs((double)r - (double)J->tally[c][i % B_OPT]);
    }
    *mae = err / (double)m;
    free(x);
    return rc;
}

static int s_accuracy(mpc *M, const job *J)
{
    char extra[256];
    int rc = 0;
    size_t reps = J->quick ? 40 : 150;
    for (int c = 0; c < 2 && !rc; c++)
        for (size_t e = 0; e < B_NEPS && !rc; e++) {
            dp_plan P;
            procs_meter mt;
            double mae;
            if ((rc = dp_plan_laplace(&P, s_eps[e], 1, DP_BINARY)) != 0) break;
            if ((rc = procs_start(M, &mt)) != 0) break;
            if ((rc = s_release(M, J, c, &P, 0, reps, &mae)) != 0) break;
            double a = P.alpha, theory = 2 * a / (1 - a * a);
            if (!J->quick && fabs(mae / theory - 1) > 0.5) {   /* 10 standard errors */
                fprintf(stderr, "bench_dp: error %g at eps %g, expected %g\n", mae, s_eps[e],
                        theory);
                rc = ERR_STATE;
                break;
            }
            snprintf(extra, sizeof extra,
                     ",\"mechanism\":\"laplace\",\"eps\":%g,\"delta\":%.3g,\"voters\":%zu,"
                     "\"options\":%d,\"samples\":%zu,\"theory\":%.4f,\"rel\":%.3g",
                     P.eps, P.delta, s_voters[c], B_OPT, reps * B_OPT, theory,
                     mae / (double)s_voters[c]);
            procs_report(M, &mt, "dp_mae", mae, "votes", extra);
        }
    /* binomial noise at the same epsilon and delta 2^-40, 10,000 voters */
    for (size_t e = 0; e < B_NEPS && !rc; e++) {
        procs_meter mt;
        double mae, d;
        size_t r = J->coins[e] > 5000 ? (J->quick ? 2 : 4) : (J->quick ? 20 : 60);
        if ((rc = procs_start(M, &mt)) != 0) break;
        if ((rc = s_release(M, J, 1, NULL, J->coins[e], r, &mae)) != 0) break;
        if ((rc = dp_binomial_delta(&d, J->coins[e], s_eps[e], 1)) != 0) break;
        snprintf(extra, sizeof extra,
                 ",\"mechanism\":\"binomial\",\"eps\":%g,\"delta\":%.3g,\"coins\":%llu,"
                 "\"voters\":%zu,\"options\":%d,\"samples\":%zu,\"theory\":%.4f",
                 s_eps[e], d, (unsigned long long)J->coins[e], s_voters[1], B_OPT, r * B_OPT,
                 s_binom_mae(J->coins[e]));
        procs_report(M, &mt, "dp_mae", mae, "votes", extra);
    }
    return rc;
}

/* Cost of one batch of m Laplace samples: bits pooled first (timed apart), then
 * the sampler. */
static int s_cost_laplace(mpc *M, double eps, int method, size_t m)
{
    dp_plan P;
    procs_meter mt;
    dp_cost cost;
    char extra[320];
    int rc = dp_plan_laplace(&P, eps, 1, method);
    fe *x = xmalloc(m * sizeof(fe));
    if (!rc) rc = procs_start(M, &mt);
    if (!rc) rc = bits_fill(M, m * P.bits_per_sample);
    double tb = procs_elapsed(&mt);
    if (!rc) rc = dp_laplace(M, x, m, &P, &cost);
    double dt = procs_elapsed(&mt);
    if (!rc) {
        snprintf(extra, sizeof extra,
                 ",\"method\":\"%s\",\"eps\":%g,\"delta\":%.3g,\"samples\":%zu,"
                 "\"random_bits\":%llu,\"mults\":%llu,\"sampler_rounds\":%llu,"
                 "\"bits_seconds\":%.4g,\"bound\":%lld",
                 method == DP_BINARY ? "binary" : "unary", P.eps, P.delta, m,
                 (unsigned long long)cost.random_bits, (unsigned long long)cost.mults,
                 (unsigned long long)cost.rounds, tb, (long long)P.bound);
        procs_report(M, &mt, "dp_laplace_seconds", dt, "s", extra);
    }
    free(x);
    return rc;
}

static int s_costs(mpc *M, const job *J)
{
    int rc = 0;
    size_t big = J->quick ? 200 : 1000, small = J->quick ? 20 : 100;
    static const double ce[] = { 0.1, 1.0 };
    for (int i = 0; i < 2 && !rc; i++) rc = s_cost_laplace(M, ce[i], DP_BINARY, big);
    if (!rc) rc = s_cost_laplace(M, 1.0, DP_BINARY, 10);
    static const double ue[] = { 0.5, 1.0 };   /* the unary sampler for comparison */
    for (int i = 0; i < 2 && !rc; i++) rc = s_cost_laplace(M, ue[i], DP_UNARY, small);
    if (!rc) {   /* binomial at eps = 1 */
        procs_meter mt;
        dp_cost cost;
        char extra[256];
        fe *x = xmalloc(big * sizeof(fe));
        rc = procs_start(M, &mt);
        if (!rc) rc = dp_binomial(M, x, big, J->coins[2], &cost);
        if (!rc) {
            snprintf(extra, sizeof extra,
                     ",\"eps\":1,\"coins\":%llu,\"samples\":%zu,\"random_bits\":%llu,\"mults\":0",
                     (unsigned long long)J->coins[2], big, (unsigned long long)cost.random_bits);
            procs_report(M, &mt, "dp_binomial_seconds", procs_elapsed(&mt), "s", extra);
        }
        free(x);
    }
    static const size_t opts[] = { B_OPT, 100 };
    for (int i = 0; i < 2 && !rc; i++) {
        dp_plan P;
        procs_meter mt;
        dp_cost cost;
        char extra[256];
        size_t m = opts[i], w;
        fe *counts = xmalloc(m * sizeof(fe));
        for (size_t k = 0; k < m; k++) counts[k] = (fe)(k == m / 2 ? 600 : 400 + k);   /* public */
        rc = dp_plan_laplace(&P, 1.0, 1, DP_BINARY);
        if (!rc) rc = procs_start(M, &mt);
        if (!rc) rc = dp_noisy_max(M, &w, NULL, counts, m, 14, &P, &cost);
        if (!rc && w != m / 2) {
            fprintf(stderr, "bench_dp: noisy max picked %zu, expected %zu\n", w, m / 2);
            rc = ERR_STATE;
        }
        if (!rc) {
            snprintf(extra, sizeof extra,
                     ",\"eps\":1,\"options\":%zu,\"count_bits\":14,\"random_bits\":%llu,"
                     "\"mults\":%llu",
                     m, (unsigned long long)cost.random_bits, (unsigned long long)cost.mults);
            procs_report(M, &mt, "dp_noisy_max_seconds", procs_elapsed(&mt), "s", extra);
        }
        free(counts);
    }
    return rc;
}

static int s_server(mpc *M, void *arg)
{
    const job *J = arg;
    int rc = s_accuracy(M, J);
    if (!rc) rc = s_costs(M, J);
    return rc;
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && !strcmp(argv[1], "--quick");
    if (secmem_init() != 0) {
        fprintf(stderr, "bench_dp: secmem_init failed\n");
        return 1;
    }
    field F;
    if (field_init_default(&F, 32, 40) != 0) return 1;
    job J;
    memset(&J, 0, sizeof J);
    J.quick = quick;
    for (size_t e = 0; e < B_NEPS; e++)
        if (dp_binomial_coins(&J.coins[e], s_eps[e], ldexp(1.0, -DP_DELTA_LOG2), 1) != 0) {
            fprintf(stderr, "bench_dp: no coin count for eps %g\n", s_eps[e]);
            return 1;
        }
    /* ballots: option 0 for 45%, 1 for 35%, 2 for 20% of the voters, one-hot */
    shamir *sh = shamir_new(&F, B_N, B_T);
    if (!sh) return 1;
    for (int c = 0; c < 2; c++) {
        size_t V = s_voters[c], len = V * B_OPT;
        fe *plain = xmalloc(len * sizeof(fe)), *all = xmalloc(B_N * len * sizeof(fe));
        for (size_t v = 0; v < V; v++) {
            int o = v < V * 45 / 100 ? 0 : v < V * 80 / 100 ? 1 : 2;
            for (int k = 0; k < B_OPT; k++) plain[v * B_OPT + (size_t)k] = k == o;
            J.tally[c][o]++;
        }
        shamir_share(sh, all, plain, len, B_T);
        for (int i = 0; i < B_N; i++) {
            J.ballots[c][i] = xmalloc(len * sizeof(fe));
            memcpy(J.ballots[c][i], all + (size_t)i * len, len * sizeof(fe));
        }
        sodium_memzero(plain, len * sizeof(fe));
        sodium_memzero(all, B_N * len * sizeof(fe));
        free(plain);
        free(all);
    }
    shamir_free(&sh);
    int rc = procs_run(&F, B_N, B_T, s_server, &J);
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < B_N; i++) free(J.ballots[c][i]);
    if (rc) fprintf(stderr, "bench_dp: a server failed\n");
    return rc ? 1 : 0;
}
