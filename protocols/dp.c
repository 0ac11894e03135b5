/* dp: discrete Laplace and binomial noise drawn inside MPC from shared random
 * bits, report noisy max, and the randomized-response poll of the seed.
 *
 * Coins. A coin of bias T / 2^L is [r < T] for r = sum_j 2^j r_j made of L
 * shared random bits and a public T. With e_j = (r_j == T_j), which is r_j or
 * 1 - r_j and so local, and E_j = prod_{i >= j} e_i (E_L = 1), r < T exactly when
 * the highest position where r and T differ has T_j = 1, r_j = 0:
 *     [r < T] = sum_{j : T_j = 1} (1 - r_j) E_{j+1} = sum_{j : T_j = 1} (E_{j+1} - E_j),
 * so one coin is a prefix product over L positions (Sklansky: ceil(log2 L)
 * rounds, about (L/2) ceil(log2 L) multiplications) and a local sum.
 *
 * DP_BINARY. A geometric G with P(G = g) ~ a^g has independent binary digits:
 * digit k is 1 with probability q_k = a^(2^k) / (1 + a^(2^k)), since
 * prod_k (1 + a^(2^k)) = 1 / (1 - a) (Marsaglia 1971; Dwork et al. 2006 build
 * their exponential noise this way). K digits give G conditioned on G < 2^K.
 * The two-sided geometric is Z = s (1 + G) with P(s = +1) = P(s = -1) = a / (1 + a)
 * and P(s = 0) = (1 - a) / (1 + a), s = 2 [r < T1] - [r < 2 T1] from one value r.
 * Thresholds T = round(q 2^L) with L = floor(-log2 q) + margin; the relative
 * error eta of the coin probabilities moves the pmf by a factor within
 * e^(+-eta) of the target, so the sampler targets eps_int = eps (1 - 2^-10) and
 * takes the margin that makes eps_int + 2 eta <= eps. Truncation: the ideal
 * (untruncated) noise differs from the target in total variation by
 * tau = 2 a^(N+1) / (1 + a), N = 2^K, giving delta = e^eta (1 + e^eps_int) tau.
 *
 * DP_UNARY. G = sum_{i < C} prod_{j <= i} c_j = min(geometric, C) for C coins of
 * bias a' = T / 2^L with T rounded up (a' >= a, so eps' = -Delta ln a' <= eps);
 * Z = G1 - G2 is then exactly a two-sided geometric except when a G exceeds C:
 * delta = (1 + e^eps') (1 - (1 - a'^(C+1))^2). */
#include "protocols/dp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "protocols/bits.h"
#include "protocols/max.h"
#include "protocols/mul.h"

#define S_CHUNK_BITS ((size_t)1 << 20)   /* random bits per sampling batch */
#define S_EPS_SLACK 1024.0                  /* DP_BINARY: eps_int = eps (1 - 1/1024) */
#define S_UNARY_MARGIN 10
#define S_MAX_K 30
#define S_MAX_CAP 4096
#define S_MAX_LEN 120   /* bit length of a coin value; thresholds stay below 2^52 */

/* ---- public parameters ------------------------------------------------------ */

/* Bit j of a threshold (j may exceed 63: the bit is then 0). */
static int s_bit(uint64_t T, int j)
{
    return j < 64 ? (int)((T >> j) & 1) : 0;
}

/* T < 2^L. */
static int s_fits(uint64_t T, int L)
{
    return L >= 64 || T < ((uint64_t)1 << L);
}

static int s_levels(int L)
{
    int l = 0;
    while ((1L << l) < L) l++;
    return l;
}

/* Positions 0 <= pos < L with (pos & s) set: the products of one Sklansky level. */
static size_t s_level_count(int L, int s)
{
    size_t full = (size_t)L / (size_t)(2 * s), rem = (size_t)L % (size_t)(2 * s);
    return full * (size_t)s + (rem > (size_t)s ? rem - (size_t)s : 0);
}

static uint64_t s_sklansky_mults(int L)
{
    uint64_t q = 0;
    for (int s = 1; s < L; s <<= 1) q += s_level_count(L, s);
    return q;
}

/* log(1 + e^x) without overflow. */
static double s_log1pexp(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

/* Threshold of a coin of probability 0 < q < 1 with `margin` significant bits:
 * L = floor(-log2 q) + margin, T = round(q 2^L) in [1, 2^L). */
static int s_threshold(double q, int margin, int *len, uint64_t *thr, double *qr)
{
    int z = (int)floor(-log2(q));
    if (z < 0) z = 0;
    int L = z + margin;
    if (L > S_MAX_LEN) return ERR_RANGE;
    double T = nearbyint(ldexp(q, L));
    if (T < 1) T = 1;
    if (T >= ldexp(1.0, L)) return ERR_RANGE;
    *len = L;
    *thr = (uint64_t)T;
    *qr = ldexp(T, -L);
    return 0;
}

/* Largest |log| ratio of a rounded coin (qr, 1 - qr) to the exact one (q, 1 - q). */
static double s_eta(double q, double q1, double qr)
{
    double a = fabs(log1p((qr - q) / q)), b = fabs(log1p((q - qr) / q1));
    return a > b ? a : b;
}

static int s_plan_binary(dp_plan *P, double eps, int64_t sens)
{
    double eps_int = eps * (1.0 - 1.0 / S_EPS_SLACK);
    double lam = eps_int / (double)sens, a = exp(-lam);
    double room = (eps - eps_int) / 2.0, target = -DP_DELTA_LOG2 * log(2.0);
    double base = s_log1pexp(eps_int) + log(2.0) - log1p(a);
    int K = 0;
    /* delta = e^eta (1 + e^eps_int) 2 a^(N+1) / (1 + a), N = 2^K */
    while (K <= S_MAX_K && base - (ldexp(1.0, K) + 1.0) * lam + room > target) K++;
    if (K > S_MAX_K) return ERR_RANGE;
    double pi0 = tanh(lam / 2.0), pis = 1.0 / (1.0 + exp(lam));   /* P(s = 0), P(s = +1) */
    for (int margin = 12; margin <= 50; margin++) {
        double qr, eta;
        int rc = s_threshold(pis, margin, &P->len[0], &P->thr[0], &qr);
        if (rc) return rc;
        if (2.0 * qr >= 1.0) continue;                      /* P(s = 0) would be 0 */
        double a0 = fabs(log1p((qr - pis) / pis)), b0 = fabs(log1p(2.0 * (pis - qr) / pi0));
        eta = a0 > b0 ? a0 : b0;
        for (int k = 0; k < K && !rc; k++) {
            double x = lam * ldexp(1.0, k);
            double q = 1.0 / (1.0 + exp(x)), q1 = 1.0 / (1.0 + exp(-x));
            rc = s_threshold(q, margin, &P->len[1 + k], &P->thr[1 + k], &qr);
            if (!rc) eta += s_eta(q, q1, qr);
        }
        if (rc) return rc;
        if (eps_int + 2.0 * eta > eps) continue;
        P->eps = eps_int + 2.0 * eta;
        P->delta = exp(eta + base - (ldexp(1.0, K) + 1.0) * lam);
        P->alpha = a;
        P->digits = K;
        P->bound = (int64_t)1 << K;
        P->nval = K + 1;
        int maxL = P->len[0];
        uint64_t bits = (uint64_t)P->len[0], mults = 2 * s_sklansky_mults(P->len[0]) + 1;
        for (int k = 1; k <= K; k++) {
            bits += (uint64_t)P->len[k];
            mults += s_sklansky_mults(P->len[k]);
            if (P->len[k] > maxL) maxL = P->len[k];
        }
        P->bits_per_sample = bits;
        P->mults_per_sample = mults;
        P->rounds = s_levels(maxL) + 1;
        return 0;
    }
    return ERR_RANGE;
}

static int s_plan_unary(dp_plan *P, double eps, int64_t sens)
{
    double lam = eps / (double)sens, a = exp(-lam), oma = -expm1(-lam);
    int z = (int)floor(-log2(a)), w = (int)ceil(-log2(oma));
    int L = (z > w ? z : w) + S_UNARY_MARGIN;
    if (L < 1) L = 1;
    if (L > S_MAX_LEN) return ERR_RANGE;
    double T = floor(ldexp(a, L)) + 1.0;                    /* rounded up: a' > a */
    if (T >= ldexp(1.0, L)) return ERR_RANGE;
    double ar = ldexp(T, -L), la = log(ar);
    double eps_eff = -(double)sens * la, target = -DP_DELTA_LOG2 * log(2.0);
    double base = s_log1pexp(eps_eff);
    int C = 1;
    while (C <= S_MAX_CAP && base + (C + 1.0) * la + log(2.0 - exp((C + 1.0) * la)) > target) C++;
    if (C > S_MAX_CAP) return ERR_RANGE;
    P->eps = eps_eff;
    P->delta = exp(base + (C + 1.0) * la + log(2.0 - exp((C + 1.0) * la)));
    P->alpha = ar;
    P->digits = C;
    P->bound = C;
    P->nval = 2 * C;
    P->len[0] = L;
    P->thr[0] = (uint64_t)T;
    P->bits_per_sample = 2 * (uint64_t)C * (uint64_t)L;
    P->mults_per_sample = 2 * (uint64_t)C * s_sklansky_mults(L) + 2 * s_sklansky_mults(C);
    P->rounds = s_levels(L) + s_levels(C);
    return 0;
}

int dp_plan_laplace(dp_plan *P, double eps, int64_t sensitivity, int method)
{
    if (!P) return ERR_ARG;
    memset(P, 0, sizeof *P);
    if (!(eps > 0.0 && eps <= 40.0) || sensitivity < 1 || sensitivity > ((int64_t)1 << 20) ||
        (method != DP_BINARY && method != DP_UNARY))
        return ERR_ARG;
    P->method = method;
    P->sensitivity = sensitivity;
    P->eps_req = eps;
    int rc = method == DP_BINARY ? s_plan_binary(P, eps, sensitivity)
                                 : s_plan_unary(P, eps, sensitivity);
    if (rc) {
        memset(P, 0, sizeof *P);
        return rc;
    }
    return 0;
}

/* A plan as dp_plan_laplace leaves it (guards against a hand-made or zeroed one). */
static int s_plan_ok(const dp_plan *P)
{
    if (!P || P->bits_per_sample == 0 || P->bound < 1) return 0;
    if (P->method == DP_BINARY) {
        if (P->digits < 0 || P->digits > S_MAX_K || P->nval != P->digits + 1) return 0;
        for (int v = 0; v < P->nval; v++)
            if (P->len[v] < 1 || P->len[v] > S_MAX_LEN || P->thr[v] == 0 ||
                P->thr[v] > ((uint64_t)1 << 52) || !s_fits(P->thr[v], P->len[v]))
                return 0;
        return s_fits(2 * P->thr[0], P->len[0]);
    }
    if (P->method == DP_UNARY)
        return P->digits >= 1 && P->digits <= S_MAX_CAP && P->nval == 2 * P->digits &&
               P->len[0] >= 1 && P->len[0] <= S_MAX_LEN && P->thr[0] >= 1 &&
               P->thr[0] <= ((uint64_t)1 << 52) && s_fits(P->thr[0], P->len[0]);
    return 0;
}

/* ---- cost accounting ------------------------------------------------------- */

typedef struct s_meter {
    uint64_t r0, e0, b0, bits, mults;
} s_meter;

static void s_meter_start(const mpc *M, s_meter *mt)
{
    memset(mt, 0, sizeof *mt);
    mpc_stats(M, &mt->r0, &mt->e0, &mt->b0);
}

static void s_meter_end(const mpc *M, const s_meter *mt, dp_cost *cost)
{
    if (!cost) return;
    uint64_t r, e, b;
    mpc_stats(M, &r, &e, &b);
    cost->rounds = r - mt->r0;
    cost->elems = e - mt->e0;
    cost->bytes = b - mt->b0;
    cost->random_bits = mt->bits;
    cost->mults = mt->mults;
}

/* ---- the coin circuit ------------------------------------------------------ */

/* In-place prefix products X[off + pos] = prod_{i <= pos} X[off + i] over nseg
 * segments per repetition (lengths len[], offsets off[] inside a repetition of
 * stride elements), m repetitions, by Sklansky's network: one batched
 * multiplication per level. */
static int s_prefix(mpc *M, fe *X, size_t m, size_t stride, const int *len, const size_t *off,
                    int nseg, s_meter *mt)
{
    int maxL = 1, rc = 0;
    for (int g = 0; g < nseg; g++)
        if (len[g] > maxL) maxL = len[g];
    size_t maxq = 0;
    for (int s = 1; s < maxL; s <<= 1) {
        size_t q = 0;
        for (int g = 0; g < nseg; g++) q += s_level_count(len[g], s);
        if (q > maxq) maxq = q;
    }
    if (maxq == 0 || m == 0) return 0;
    maxq *= m;
    size_t mark = mpc_mark(M);
    fe *A = mpc_alloc(M, maxq), *B = mpc_alloc(M, maxq);
    for (int s = 1; s < maxL && !rc; s <<= 1) {
        size_t q = 0;
        for (size_t i = 0; i < m; i++)
            for (int g = 0; g < nseg; g++) {
                fe *x = X + i * stride + off[g];
                for (int pos = s; pos < len[g]; pos++) {
                    if (!(pos & s)) continue;
                    A[q] = x[pos];
                    B[q++] = x[(pos & ~(2 * s - 1)) + s - 1];
                }
            }
        rc = mpc_mul(M, A, A, B, q);
        mt->mults += q;
        q = 0;
        for (size_t i = 0; i < m && !rc; i++)
            for (int g = 0; g < nseg; g++) {
                fe *x = X + i * stride + off[g];
                for (int pos = s; pos < len[g]; pos++)
                    if (pos & s) x[pos] = A[q++];
            }
    }
    sodium_memzero(A, maxq * sizeof(fe));
    sodium_memzero(B, maxq * sizeof(fe));
    mpc_release(M, mark);
    return rc;
}

/* Per-sample layout of a batch of coins: nval uniform values of vlen[v] bits
 * (bits LSB first at voff[v] in a sample's bstride bits) and ncmp comparisons,
 * comparison c of value cval[c] with threshold thr[i * thr_stride + c]. */
typedef struct s_layout {
    int nval, ncmp;
    const int *vlen, *cval;
    const uint64_t *thr;
    size_t thr_stride;
} s_layout;

/* coins[i * ncmp + c] = [r < T] for every sample i < m and comparison c, R
 * holding the samples' random bits. */
static int s_coins(mpc *M, fe *coins, const fe *R, size_t m, const s_layout *Y, s_meter *mt)
{
    const field *F = mpc_field(M);
    int *clen = malloc((size_t)Y->ncmp * sizeof(int));
    size_t *voff = malloc((size_t)Y->nval * sizeof(size_t)),
           *coff = malloc((size_t)Y->ncmp * sizeof(size_t));
    if (!clen || !voff || !coff) abort();
    size_t bstride = 0, estride = 0;
    for (int v = 0; v < Y->nval; v++) {
        voff[v] = bstride;
        bstride += (size_t)Y->vlen[v];
    }
    for (int c = 0; c < Y->ncmp; c++) {
        clen[c] = Y->vlen[Y->cval[c]];
        coff[c] = estride;
        estride += (size_t)clen[c];
    }
    size_t mark = mpc_mark(M), ne = m * estride;
    fe *E = mpc_alloc(M, ne ? ne : 1);
    for (size_t i = 0; i < m; i++)
        for (int c = 0; c < Y->ncmp; c++) {
            const fe *r = R + i * bstride + voff[Y->cval[c]];
            fe *e = E + i * estride + coff[c];
            uint64_t T = Y->thr[i * Y->thr_stride + (size_t)c];
            int L = clen[c];
            for (int pos = 0; pos < L; pos++) {   /* most significant bit first */
                int j = L - 1 - pos;
                e[pos] = s_bit(T, j) ? r[j] : fe_sub(F, 1, r[j]);
            }
        }
    int rc = s_prefix(M, E, m, estride, clen, coff, Y->ncmp, mt);
    for (size_t i = 0; i < m && !rc; i++)
        for (int c = 0; c < Y->ncmp; c++) {
            const fe *P = E + i * estride + coff[c];   /* P[pos] = E_{L-1-pos} */
            uint64_t T = Y->thr[i * Y->thr_stride + (size_t)c];
            int L = clen[c];
            fe acc = 0;
            for (int j = 0; j < L; j++) {
                if (!s_bit(T, j)) continue;
                fe hi = j + 1 == L ? 1 : P[L - 2 - j];
                acc = fe_add(F, acc, fe_sub(F, hi, P[L - 1 - j]));
            }
            coins[i * (size_t)Y->ncmp + (size_t)c] = acc;
        }
    sodium_memzero(E, ne * sizeof(fe));
    mpc_release(M, mark);
    free(clen);
    free(voff);
    free(coff);
    return rc;
}

int dp_lt_public(mpc *M, fe *out, const fe *bits, const uint64_t *thr, size_t m, int L)
{
    if (!M || L < 1 || L > 64 || (m && (!out || !bits || !thr))) return ERR_ARG;
    for (size_t i = 0; i < m; i++)
        if (L < 64 && thr[i] >= ((uint64_t)1 << L)) return ERR_ARG;
    if (m == 0) return 0;
    int vlen = L, cval = 0;
    s_layout Y = { .nval = 1, .ncmp = 1, .vlen = &vlen, .cval = &cval, .thr = thr,
                   .thr_stride = 1 };
    s_meter mt;
    memset(&mt, 0, sizeof mt);
    return s_coins(M, out, bits, m, &Y, &mt);
}

/* ---- discrete Laplace ------------------------------------------------------ */

static int s_laplace_binary(mpc *M, fe *out, size_t m, const dp_plan *P, s_meter *mt)
{
    const field *F = mpc_field(M);
    int K = P->digits, ncmp = K + 2, cval[DP_MAX_VALS + 1];
    uint64_t thr[DP_MAX_VALS + 1];
    cval[0] = cval[1] = 0;
    thr[0] = P->thr[0];
    thr[1] = 2 * P->thr[0];
    for (int k = 0; k < K; k++) {
        cval[2 + k] = 1 + k;
        thr[2 + k] = P->thr[1 + k];
    }
    s_layout Y = { .nval = P->nval, .ncmp = ncmp, .vlen = P->len, .cval = cval, .thr = thr,
                   .thr_stride = 0 };
    size_t nb = m * P->bits_per_sample, mark = mpc_mark(M);
    fe *R = mpc_alloc(M, nb), *coins = mpc_alloc(M, m * (size_t)ncmp);
    fe *sgn = mpc_alloc(M, m);
    int rc = bits_rand(M, R, nb);
    if (!rc) {
        mt->bits += nb;
        rc = s_coins(M, coins, R, m, &Y, mt);
    }
    if (!rc) {
        for (size_t i = 0; i < m; i++) {
            const fe *c = coins + i * (size_t)ncmp;
            sgn[i] = fe_sub(F, fe_add(F, c[0], c[0]), c[1]);   /* +1, -1 or 0 */
            fe mag = 1;
            for (int k = K; k-- > 0;) mag = fe_add(F, fe_add(F, mag, mag), c[2 + k]);
            /* the loop above doubled the leading 1 K times: subtract 2^K - 1 */
            out[i] = fe_sub(F, mag, (fe)(((uint64_t)1 << K) - 1));
        }
        rc = mpc_mul(M, out, sgn, out, m);
        mt->mults += m;
    }
    sodium_memzero(R, nb * sizeof(fe));
    sodium_memzero(coins, m * (size_t)ncmp * sizeof(fe));
    sodium_memzero(sgn, m * sizeof(fe));
    mpc_release(M, mark);
    return rc;
}

static int s_laplace_unary(mpc *M, fe *out, size_t m, const dp_plan *P, s_meter *mt)
{
    const field *F = mpc_field(M);
    int C = P->digits, n2 = 2 * C;
    int *vlen = malloc((size_t)n2 * sizeof(int)), *cval = malloc((size_t)n2 * sizeof(int));
    uint64_t *thr = malloc((size_t)n2 * sizeof(uint64_t));
    if (!vlen || !cval || !thr) abort();
    for (int j = 0; j < n2; j++) {
        vlen[j] = P->len[0];
        cval[j] = j;
        thr[j] = P->thr[0];
    }
    s_layout Y = { .nval = n2, .ncmp = n2, .vlen = vlen, .cval = cval, .thr = thr,
                   .thr_stride = 0 };
    size_t nb = m * P->bits_per_sample, nc = m * (size_t)n2, mark = mpc_mark(M);
    fe *R = mpc_alloc(M, nb), *coins = mpc_alloc(M, nc);
    int rc = bits_rand(M, R, nb);
    if (!rc) {
        mt->bits += nb;
        rc = s_coins(M, coins, R, m, &Y, mt);
    }
    if (!rc) {
        int glen[2] = { C, C };
        size_t goff[2] = { 0, (size_t)C };
        rc = s_prefix(M, coins, m, (size_t)n2, glen, goff, 2, mt);
    }
    if (!rc)
        for (size_t i = 0; i < m; i++) {
            const fe *c = coins + i * (size_t)n2;
            fe g1 = 0, g2 = 0;
            for (int j = 0; j < C; j++) {
                g1 = fe_add(F, g1, c[j]);
                g2 = fe_add(F, g2, c[C + j]);
            }
            out[i] = fe_sub(F, g1, g2);
        }
    sodium_memzero(R, nb * sizeof(fe));
    sodium_memzero(coins, nc * sizeof(fe));
    mpc_release(M, mark);
    free(vlen);
    free(cval);
    free(thr);
    return rc;
}

static int s_laplace(mpc *M, fe *out, size_t m, const dp_plan *P, s_meter *mt)
{
    size_t chunk = S_CHUNK_BITS / P->bits_per_sample;
    if (chunk == 0) chunk = 1;
    int rc = 0;
    for (size_t i = 0; i < m && !rc; i += chunk) {
        size_t cm = m - i < chunk ? m - i : chunk;
        rc = P->method == DP_BINARY ? s_laplace_binary(M, out + i, cm, P, mt)
                                    : s_laplace_unary(M, out + i, cm, P, mt);
    }
    return rc;
}

int dp_laplace(mpc *M, fe *out, size_t m, const dp_plan *P, dp_cost *cost)
{
    if (!M || !s_plan_ok(P) || (m && !out)) return ERR_ARG;
    s_meter mt;
    s_meter_start(M, &mt);
    int rc = s_laplace(M, out, m, P, &mt);
    s_meter_end(M, &mt, cost);
    return rc;
}

/* ---- binomial noise -------------------------------------------------------- */

int dp_binomial(mpc *M, fe *out, size_t m, uint64_t coins, dp_cost *cost)
{
    if (!M || (m && !out) || coins < 2 || (coins & 1) || coins > ((uint64_t)1 << 32) ||
        (m && coins > (((uint64_t)1 << 48) / m)))
        return ERR_ARG;
    const field *F = mpc_field(M);
    s_meter mt;
    s_meter_start(M, &mt);
    fe neg = fe_neg(F, (fe)(coins / 2));
    for (size_t i = 0; i < m; i++) out[i] = neg;
    uint64_t total = (uint64_t)m * coins, done = 0;
    size_t mark = mpc_mark(M), cap = total < S_CHUNK_BITS ? (size_t)total : S_CHUNK_BITS;
    fe *R = mpc_alloc(M, cap ? cap : 1);
    int rc = 0;
    while (done < total && !rc) {
        size_t take = total - done < cap ? (size_t)(total - done) : cap;
        rc = bits_rand(M, R, take);
        if (rc) break;
        mt.bits += take;
        for (size_t j = 0; j < take; j++) {
            size_t i = (size_t)((done + j) / coins);
            out[i] = fe_add(F, out[i], R[j]);
        }
        done += take;
    }
    sodium_memzero(R, cap * sizeof(fe));
    mpc_release(M, mark);
    s_meter_end(M, &mt, cost);
    return rc;
}

/* log P(z) of Binomial(N, 1/2). */
static double s_binom_lp(uint64_t N, uint64_t z)
{
    return lgamma((double)N + 1) - lgamma((double)z + 1) - lgamma((double)(N - z) + 1) -
           (double)N * log(2.0);
}

int dp_binomial_delta(double *delta, uint64_t coins, double eps, int64_t sensitivity)
{
    if (!delta || coins < 2 || (coins & 1) || !(eps >= 0.0) || !isfinite(eps) ||
        sensitivity < 1)
        return ERR_ARG;
    if ((double)coins * (double)sensitivity > ldexp(1.0, 28)) return ERR_RANGE;
    size_t D = (size_t)sensitivity;
    double *hist = malloc((D + 1) * sizeof(double)), *acc = calloc(D + 1, sizeof(double));
    if (!hist || !acc) abort();
    double lp = 0;
    for (uint64_t z = 0; z <= coins; z++) {
        /* exact every 1024 steps, the ratio recurrence in between */
        lp = (z % 1024 == 0) ? s_binom_lp(coins, z)
                             : lp + log((double)(coins - z + 1) / (double)z);
        double pz = exp(lp);
        if (pz > 0)
            for (size_t d = 1; d <= D; d++) {
                double q = z >= d ? exp(eps + hist[(z - d) % (D + 1)]) : 0.0;
                if (pz > q) acc[d] += pz - q;
            }
        hist[z % (D + 1)] = lp;
    }
    double best = 0;
    for (size_t d = 1; d <= D; d++)
        if (acc[d] > best) best = acc[d];
    free(hist);
    free(acc);
    *delta = best > 1.0 ? 1.0 : best;
    return 0;
}

int dp_binomial_coins(uint64_t *coins, double eps, double delta, int64_t sensitivity)
{
    if (!coins || !(delta > 0.0 && delta < 1.0) || !(eps >= 0.0) || !isfinite(eps) ||
        sensitivity < 1)
        return ERR_ARG;
    const uint64_t cap = (uint64_t)1 << 24;
    /* Gaussian estimate of the answer (sd = sqrt(N)/2 against
     * sensitivity * sqrt(2 ln(1.25/delta)) / eps): refuse far too large ones at once */
    double sd = (double)sensitivity * sqrt(2.0 * log(1.25 / delta)) / (eps > 0 ? eps : 1e-300);
    if (4.0 * sd * sd > 4.0 * (double)cap) return ERR_RANGE;
    uint64_t hi = 2;
    double d;
    int rc;
    for (;;) {
        if ((rc = dp_binomial_delta(&d, hi, eps, sensitivity)) != 0) return rc;
        if (d <= delta) break;
        if (hi >= cap) return ERR_RANGE;
        hi *= 2;
    }
    uint64_t lo = hi / 2;   /* even; delta(lo) > target unless lo < 2 */
    if (lo < 2) {
        *coins = hi;
        return 0;
    }
    while (hi - lo > 2) {
        uint64_t mid = lo + ((hi - lo) / 2 & ~(uint64_t)1);
        if ((rc = dp_binomial_delta(&d, mid, eps, sensitivity)) != 0) return rc;
        if (d <= delta) hi = mid;
        else lo = mid;
    }
    *coins = hi;
    return 0;
}

/* ---- report noisy max ------------------------------------------------------ */

static int s_bitlen(uint64_t v)
{
    int l = 0;
    while (l < 64 && (v >> l)) l++;
    return l;
}

int dp_noisy_max(mpc *M, size_t *winner, fe *opened, const fe *counts, size_t m, int K,
                 const dp_plan *P, dp_cost *cost)
{
    return dp_noisy_max_with(M, winner, opened, counts, m, K, P, NULL, NULL, cost);
}

int dp_noisy_max_with(mpc *M, size_t *winner, fe *opened, const fe *counts, size_t m, int K,
                      const dp_plan *P, const fe *noise, const fe *tie, dp_cost *cost)
{
    if (!M || !winner || !counts || m == 0 || K < 1 || K > 40 || !s_plan_ok(P)) return ERR_ARG;
    const field *F = mpc_field(M);
    uint64_t top = (((uint64_t)1 << K) - 1) + 2 * (uint64_t)P->bound;
    int Kx = s_bitlen(top), k = Kx + DP_TIE_BITS;
    if (F->bits < Kx + mpc_kappa(M) + 2)
        return mpc_fail(M, ERR_RANGE, "dp_noisy_max: p too small for %d-bit noisy counts", Kx);
    s_meter mt;
    s_meter_start(M, &mt);
    size_t mark = mpc_mark(M);
    fe *x = mpc_alloc(M, m), *xb = mpc_alloc(M, m * (size_t)Kx);
    fe *tb = mpc_alloc(M, m * DP_TIE_BITS), *V = mpc_alloc(M, m * (size_t)k);
    fe idx = 0;
    int rc = 0;
    if (noise) memcpy(x, noise, m * sizeof(fe));   /* a stored release's noise (dp_release.h) */
    else rc = s_laplace(M, x, m, P, &mt);
    if (rc) goto out;
    for (size_t i = 0; i < m; i++)   /* count + noise + bound, in [0, 2^Kx) */
        x[i] = fe_add(F, fe_add(F, x[i], counts[i]), (fe)P->bound);
    rc = bits_dec(M, xb, opened, x, m, Kx);
    if (rc) goto out;
    mt.bits += m * (size_t)(Kx + mpc_kappa(M));   /* the decomposition's mask (bits.h) */
    if (tie) {
        memcpy(tb, tie, m * DP_TIE_BITS * sizeof(fe));
    } else {
        rc = bits_rand(M, tb, m * DP_TIE_BITS);
        if (rc) goto out;
        mt.bits += m * DP_TIE_BITS;
    }
    for (size_t i = 0; i < m; i++) {   /* tie-break bits below the noisy count */
        memcpy(V + i * (size_t)k, tb + i * DP_TIE_BITS, DP_TIE_BITS * sizeof(fe));
        memcpy(V + i * (size_t)k + DP_TIE_BITS, xb + i * (size_t)Kx, (size_t)Kx * sizeof(fe));
    }
    rc = max_argmax(M, NULL, &idx, NULL, V, m, k);
    if (rc) goto out;
    rc = mpc_open(M, &idx, &idx, 1);
    if (rc) goto out;
    if (idx >= (fe)m) {
        rc = mpc_fail(M, ERR_CHEAT, "dp_noisy_max: opened index out of range");
        goto out;
    }
    *winner = (size_t)idx;
out:
    sodium_memzero(x, m * sizeof(fe));
    sodium_memzero(xb, m * (size_t)Kx * sizeof(fe));
    sodium_memzero(tb, m * DP_TIE_BITS * sizeof(fe));
    sodium_memzero(V, m * (size_t)k * sizeof(fe));
    mpc_release(M, mark);
    s_meter_end(M, &mt, cost);
    return rc;
}

/* ---- randomized response --------------------------------------------------- */

int dp_rr_respond(int x)
{
    uint32_t coins = randombytes_uniform(4);   /* bit 0: first coin, bit 1: second */
    if (!(coins & 1)) return x ? 1 : 0;        /* tails: the truth */
    return (int)(coins >> 1);                  /* heads: the second coin */
}

int dp_rr_estimate(uint64_t ones, uint64_t n, double *p_hat, double *se)
{
    if (n == 0 || ones > n || !p_hat || !se) return ERR_ARG;
    double pi = (double)ones / (double)n;
    *p_hat = 2.0 * pi - 0.5;
    *se = 2.0 * sqrt(pi * (1.0 - pi) / (double)n);
    return 0;
}
