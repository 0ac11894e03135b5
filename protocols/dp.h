/* dp: differential privacy inside MPC (docs/design.md section 11). Noise is drawn
 * jointly from shared random bits, so no coalition of t servers knows it; only
 * public parameters (coin thresholds) are computed in floating point, then
 * rounded to integers; no floating point touches a secret. See docs/dp.md.
 *
 * Discrete Laplace (two-sided geometric), P(Z = z) proportional to alpha^|z|
 * with alpha = exp(-eps / sensitivity), from shared biased coins
 * coin = [r < T]: r a shared uniform L-bit value made of L pooled random bits,
 * T a public threshold, compared by a log-depth product circuit. Two samplers:
 *   DP_BINARY (recommended): sign-magnitude, Z = s * (1 + G) with s in {-1, 0, 1}
 *     from one coin pair and G a geometric truncated to [0, 2^K) built from its
 *     K independent binary digits (digit k is a coin of bias
 *     alpha^(2^k) / (1 + alpha^(2^k)); Dwork et al. 2006 "Our data, ourselves",
 *     Marsaglia 1971): K + 1 uniform values and one multiplication round after
 *     the coins.
 *   DP_UNARY: Z = G1 - G2, each G the number of leading 1-coins among C coins
 *     (a log-depth prefix product), i.e. min(geometric, C): the textbook
 *     construction, exact up to the rounding of one threshold, with 5 (eps = 1)
 *     to 32 (eps = 0.1) times the random bits and more rounds.
 * Both are (eps, delta)-DP for a statistic of the given sensitivity with delta
 * <= 2^-DP_DELTA_LOG2 from the truncation (and, for DP_BINARY, the threshold
 * rounding, absorbed into eps); dp_plan_laplace states both. */
#ifndef MPC_DP_H
#define MPC_DP_H

#include <stddef.h>
#include <stdint.h>
#include "protocols/mpc.h"

enum { DP_BINARY = 0, DP_UNARY = 1 };

#define DP_DELTA_LOG2 40    /* truncation target: delta <= 2^-40 */
#define DP_MAX_VALS 32      /* uniform values per sample in a DP_BINARY plan */
#define DP_TIE_BITS 8       /* random low-order bits breaking ties in dp_noisy_max */
#define DP_RR_EPS 1.0986122886681098   /* ln 3: epsilon of randomized response */

/* Public parameters of one discrete Laplace sampler (identical on all servers). */
typedef struct dp_plan {
    int method;              /* DP_BINARY or DP_UNARY */
    int64_t sensitivity;     /* Delta of the statistic the noise protects */
    double eps_req;          /* epsilon asked for */
    double eps;              /* guaranteed epsilon, <= eps_req */
    double delta;            /* guaranteed delta, <= 2^-DP_DELTA_LOG2 */
    double alpha;            /* target decay: P(Z = z) ~ alpha^|z| */
    int64_t bound;           /* |Z| <= bound always (DP_BINARY 2^K, DP_UNARY C) */
    int digits;              /* DP_BINARY: K; DP_UNARY: the cap C */
    int nval;                /* uniform values per sample */
    int len[DP_MAX_VALS];    /* their bit lengths; [0] is the sign value
                              * (DP_BINARY) or every coin's value (DP_UNARY) */
    uint64_t thr[DP_MAX_VALS];   /* thresholds: coin = [r < thr] (the sign value
                              * is also compared with 2 * thr[0]) */
    uint64_t bits_per_sample;    /* shared random bits per sample */
    uint64_t mults_per_sample;   /* multiplications per sample */
    int rounds;              /* rounds per batch, bit pool refills excluded */
} dp_plan;

/* Costs of one call on this server (differences of the context's counters). */
typedef struct dp_cost {
    uint64_t rounds;         /* communication rounds, bit pool refills included */
    uint64_t elems;          /* field elements sent */
    uint64_t bytes;          /* bytes sent by the transport, headers included */
    uint64_t random_bits;    /* shared random bits consumed (dp_noisy_max: with the
                              * bit decomposition's mask and the tie bits) */
    uint64_t mults;          /* multiplications of the noise sampler (dp_noisy_max:
                              * bits_dec and max_argmax add their own, see max.h) */
} dp_cost;

/* Plan a discrete Laplace sampler for epsilon eps (0 < eps <= 40) and integer
 * sensitivity (1 <= sensitivity <= 2^20) with method DP_BINARY or DP_UNARY.
 * Public computation, no MPC. Errors: ERR_ARG on a bad argument (NaN, eps <= 0,
 * unknown method), ERR_RANGE when eps / sensitivity is too small for the method
 * (DP_BINARY: bound above 2^30; DP_UNARY: cap above 4096). */
int dp_plan_laplace(dp_plan *P, double eps, int64_t sensitivity, int method) MPC_WUR;

/* out[i] (i < m): degree-t shares of independent samples of the plan's noise, as
 * field elements (negative z as p - |z|), secret. One batch: P->rounds rounds
 * per 2^20 random bits plus bit pool refills; m * P->bits_per_sample pooled
 * bits and m * P->mults_per_sample multiplications. Opens nothing (the pool's
 * refill opens only squares of fresh random values). cost may be NULL.
 * Errors: ERR_ARG (bad plan), network errors as mpc_round. */
int dp_laplace(mpc *M, fe *out, size_t m, const dp_plan *P, dp_cost *cost) MPC_WUR;

/* out[i] = [r_i < thr[i]] for m shared L-bit values (bits LSB first,
 * bits[i*L + j]) and public thresholds thr[i] < 2^L (1 <= L <= 64); the coin
 * circuit of the samplers, exposed for tests. Rounds ceil(log2 L); about
 * (L/2) ceil(log2 L) multiplications per value; no random bits. Errors: ERR_ARG,
 * network errors. */
int dp_lt_public(mpc *M, fe *out, const fe *bits, const uint64_t *thr, size_t m, int L) MPC_WUR;

/* Binomial noise (Dwork et al. 2006): out[i] = (sum of coins shared random bits)
 * - coins / 2, secret; coins even, 2 <= coins <= 2^32, m * coins <= 2^48. No
 * multiplications; one refill round per 2^20 bits. cost may be NULL. Errors:
 * ERR_ARG, network errors. */
int dp_binomial(mpc *M, fe *out, size_t m, uint64_t coins, dp_cost *cost) MPC_WUR;
/* Exact delta of binomial noise for epsilon eps >= 0 and integer sensitivity:
 * max over shifts 1 <= d <= sensitivity of sum_z max(0, P(z) - e^eps P(z - d)).
 * Public, O(coins * sensitivity) time. ERR_ARG on bad arguments, ERR_RANGE when
 * coins * sensitivity > 2^28. */
int dp_binomial_delta(double *delta, uint64_t coins, double eps, int64_t sensitivity) MPC_WUR;
/* Smallest even number of coins with dp_binomial_delta <= delta (0 < delta < 1).
 * ERR_ARG, or ERR_RANGE when more than 2^24 coins would be needed. */
int dp_binomial_coins(uint64_t *coins, double eps, double delta, int64_t sensitivity) MPC_WUR;

/* Report noisy max (Dwork and Roth, Claim 3.9): the index of the largest of m
 * shared counts, each in [0, 2^K) (caller's promise; 1 <= K <= 40), after adding
 * independent noise of plan P to each; ties between noisy counts go to the
 * larger of DP_TIE_BITS fresh random bits (then the lower index). Only the
 * winner is opened; opened (may be NULL, m elements) receives the masked values
 * the bit decomposition opens, for audits and tests. With P planned for the
 * per-count sensitivity (1 for plurality and approval counts), the winner is
 * (P->eps, m * P->delta)-DP for adding or removing one ballot. cost may be
 * NULL. Errors: ERR_ARG (m == 0, bad K or plan), ERR_RANGE (field too small for
 * the noisy counts), ERR_CHEAT (opened index out of range), network errors. */
int dp_noisy_max(mpc *M, size_t *winner, fe *opened, const fe *counts, size_t m, int K,
                 const dp_plan *P, dp_cost *cost) MPC_WUR;
/* dp_noisy_max with the release's randomness given instead of drawn (a stored
 * release being rerun, dp_release.h): noise (m samples of plan P, secret) and
 * tie (m * DP_TIE_BITS shared bits, secret); either may be NULL to draw it
 * fresh. The bit decomposition's mask is always fresh (it hides, it does not
 * decide). Same errors. */
int dp_noisy_max_with(mpc *M, size_t *winner, fe *opened, const fe *counts, size_t m, int K,
                      const dp_plan *P, const fe *noise, const fe *tie, dp_cost *cost) MPC_WUR;

/* Randomized response, client side (the seed's poll): with probability 1/2 the
 * true bit x (0 or 1), else a fair coin; libsodium randomness. P[1 | x = 1] = 3/4
 * and P[1 | x = 0] = 1/4, so one answer is ln 3 = DP_RR_EPS differentially
 * private. */
int dp_rr_respond(int x);
/* Pollster's estimate from ones answers 1 out of n: p_hat = 2 ones / n - 1/2
 * (unbiased) and its standard error 2 sqrt(pi (1 - pi) / n), pi = ones / n.
 * ERR_ARG if n == 0 or ones > n. */
int dp_rr_estimate(uint64_t ones, uint64_t n, double *p_hat, double *se) MPC_WUR;

/* Per-election privacy budget (basic composition: epsilons and deltas add).
 * The ledger at path lists every release a server has made for the election,
 * one "eps delta [release]" line each (dp_release.h keys its lines by release,
 * so a rerun of the same release spends nothing). Spend (eps, delta) only if
 * the epsilons already spent plus eps stay within budget: the line is appended
 * and fsync'ed before this returns 0, so it is recorded before any noisy value
 * is opened. This call always spends (a line without a release). *spent (may
 * be NULL) receives the total after this release. Errors, with a message:
 * ERR_ARG (eps <= 0, budget <= 0, NaN), ERR_REFUSED (budget exhausted),
 * ERR_PARSE (a damaged ledger), ERR_IO. Implemented in dp_release.c. */
int dp_budget_spend(const char *path, double eps, double delta, double budget, double *spent,
                    char *err, size_t errlen) MPC_WUR;

#endif
