/* compare: (greater, equal) prefix trees over shared bits, and the masked-opening
 * sign test of Catrina and de Hoogh for values given as field elements. */
#include "protocols/compare.h"

#include <stdlib.h>
#include <string.h>
#include "protocols/bits.h"
#include "protocols/mul.h"

#define CMP_MAX_K 126
#define CMP_MAX_LEVELS 8

enum { TREE_GT, TREE_EQ };

/* Reduce the per-bit pairs (g, e) of m values (layout i*k + j, bit j; g unused in
 * TREE_EQ) to the root of a balanced tree whose nodes combine a high and a low
 * part as G = G_hi + E_hi * G_lo, E = E_hi * E_lo. Only products that feed the
 * root are computed: in TREE_GT the root's E and the E of the low spine are
 * skipped, in TREE_EQ every G. out[i] = root G (TREE_GT) or root E (TREE_EQ).
 * g and e are overwritten. One round per level, ceil(log2 k) levels. */
static int s_tree(mpc *M, fe *out, fe *g, fe *e, size_t m, int k, int mode)
{
    const field *F = mpc_field(M);
    int cnt[CMP_MAX_LEVELS + 1], nlev = 0;
    uint8_t needG[CMP_MAX_LEVELS + 1][CMP_MAX_K], needE[CMP_MAX_LEVELS + 1][CMP_MAX_K];
    cnt[0] = k;
    while (cnt[nlev] > 1) {
        cnt[nlev + 1] = (cnt[nlev] + 1) / 2;
        nlev++;
    }
    /* needs, top-down */
    memset(needG, 0, sizeof needG);
    memset(needE, 0, sizeof needE);
    needG[nlev][0] = mode == TREE_GT;
    needE[nlev][0] = mode == TREE_EQ;
    for (int l = nlev; l > 0; l--) {
        for (int q = 0; q < cnt[l]; q++) {
            int lo = 2 * q, hi = 2 * q + 1;
            if (hi >= cnt[l - 1]) {        /* pass-through */
                needG[l - 1][lo] = needG[l][q];
                needE[l - 1][lo] = needE[l][q];
                continue;
            }
            if (needG[l][q]) { needG[l - 1][hi] = 1; needE[l - 1][hi] = 1; needG[l - 1][lo] = 1; }
            if (needE[l][q]) { needE[l - 1][hi] = 1; needE[l - 1][lo] = 1; }
        }
    }
    size_t cap = m * (size_t)k + 1, mark = mpc_mark(M);
    fe *X = mpc_alloc(M, cap), *Y = mpc_alloc(M, cap);
    int rc = 0;
    for (int l = 1; l <= nlev; l++) {
        int pc = cnt[l - 1];
        size_t q = 0;
        for (size_t v = 0; v < m; v++) {
            const fe *gv = g ? g + v * (size_t)k : NULL, *ev = e + v * (size_t)k;
            for (int nd = 0; nd < cnt[l]; nd++) {
                int lo = 2 * nd, hi = 2 * nd + 1;
                if (hi >= pc) continue;
                if (needG[l][nd]) { X[q] = ev[hi]; Y[q++] = gv[lo]; }
                if (needE[l][nd]) { X[q] = ev[hi]; Y[q++] = ev[lo]; }
            }
        }
        rc = mpc_mul(M, X, X, Y, q);
        if (rc) break;
        q = 0;
        for (size_t v = 0; v < m; v++) {
            fe *gv = g ? g + v * (size_t)k : NULL, *ev = e + v * (size_t)k;
            for (int nd = 0; nd < cnt[l]; nd++) {
                int lo = 2 * nd, hi = 2 * nd + 1;
                if (hi >= pc) {
                    if (mode == TREE_GT) gv[nd] = gv[lo];
                    ev[nd] = ev[lo];
                    continue;
                }
                if (needG[l][nd]) gv[nd] = mpc_fadd(F, gv[hi], X[q++]);
                if (needE[l][nd]) ev[nd] = X[q++];
            }
        }
    }
    if (rc == 0)
        for (size_t v = 0; v < m; v++) out[v] = mode == TREE_GT ? g[v * (size_t)k] : e[v * (size_t)k];
    mpc_release(M, mark);
    return rc;
}

/* Per-bit products and the leaves (g, e) of two shared bit vectors. */
static int s_leaves(mpc *M, fe *g, fe *e, const fe *a, const fe *b, size_t len)
{
    const field *F = mpc_field(M);
    int rc = mpc_mul(M, e, a, b, len);   /* e = a*b for now */
    if (rc) return rc;
    for (size_t i = 0; i < len; i++) {
        fe ab = e[i];
        if (g) g[i] = mpc_fsub(F, a[i], ab);                                   /* a & !b */
        e[i] = mpc_fadd(F, mpc_fsub(F, 1, mpc_fadd(F, a[i], b[i])), mpc_fadd(F, ab, ab)); /* a == b */
    }
    return 0;
}

int cmp_gt_bits(mpc *M, fe *out, const fe *a, const fe *b, size_t m, int k)
{
    if (k < 1 || k > CMP_MAX_K) return ERR_ARG;
    if (m == 0) return 0;
    size_t len = m * (size_t)k, mark = mpc_mark(M);
    fe *g = mpc_alloc(M, len), *e = mpc_alloc(M, len);
    int rc = s_leaves(M, g, e, a, b, len);
    if (rc == 0) rc = s_tree(M, out, g, e, m, k, TREE_GT);
    mpc_release(M, mark);
    return rc;
}

int cmp_lt_bits(mpc *M, fe *out, const fe *a, const fe *b, size_t m, int k)
{
    return cmp_gt_bits(M, out, b, a, m, k);
}

int cmp_eq_bits(mpc *M, fe *out, const fe *a, const fe *b, size_t m, int k)
{
    if (k < 1 || k > CMP_MAX_K) return ERR_ARG;
    if (m == 0) return 0;
    size_t len = m * (size_t)k, mark = mpc_mark(M);
    fe *e = mpc_alloc(M, len);
    int rc = s_leaves(M, NULL, e, a, b, len);
    if (rc == 0) rc = s_tree(M, out, NULL, e, m, k, TREE_EQ);
    mpc_release(M, mark);
    return rc;
}

int cmp_ltz_ex(mpc *M, fe *out, fe *opened, const fe *x, size_t m, int K)
{
    const field *F = mpc_field(M);
    int kappa = mpc_kappa(M);
    if (K < 1 || K > 64 || kappa < 0) return ERR_ARG;
    if (F->bits < K + kappa + 3)
        return mpc_fail(M, ERR_RANGE, "cmp_ltz: p too small for K=%d, kappa=%d", K, kappa);
    if (m == 0) return 0;
    int nb = K + kappa + 1;
    size_t nrb = m * (size_t)nb, len = m * (size_t)K, mark = mpc_mark(M);
    fe *rb = mpc_alloc(M, nrb), *c = mpc_alloc(M, m);
    fe *g = mpc_alloc(M, len), *e = mpc_alloc(M, len), *u = mpc_alloc(M, m);
    fe twoK = (fe)1 << K, inv2K = fe_inv(F, twoK);
    int rc = bits_rand(M, rb, nrb);
    if (rc) goto out;
    bits_compose(F, c, rb, m, nb);
    for (size_t v = 0; v < m; v++) c[v] = mpc_fadd(F, mpc_fadd(F, c[v], x[v]), twoK);
    rc = mpc_open(M, c, c, m);              /* c = x + 2^K + r */
    if (rc) goto out;
    if (opened) memcpy(opened, c, m * sizeof(fe));
    /* u = [r mod 2^K > c mod 2^K]: public-vs-shared bits, the leaves are linear */
    for (size_t v = 0; v < m; v++) {
        const fe *r = rb + v * (size_t)nb;
        for (int j = 0; j < K; j++) {
            int cj = (int)((c[v] >> j) & 1);
            g[v * (size_t)K + (size_t)j] = cj ? 0 : r[j];
            e[v * (size_t)K + (size_t)j] = cj ? r[j] : mpc_fsub(F, 1, r[j]);
        }
    }
    rc = s_tree(M, u, g, e, m, K, TREE_GT);
    if (rc) goto out;
    for (size_t v = 0; v < m; v++) {
        fe rlow, clow = c[v] & (twoK - 1);
        bits_compose(F, &rlow, rb + v * (size_t)nb, 1, K);
        /* (x + 2^K) mod 2^K = c' - r' + 2^K u; bit K of x + 2^K = [x >= 0] */
        fe mod = mpc_fadd(F, mpc_fsub(F, clow, rlow), fe_mul(F, twoK, u[v]));
        fe top = fe_mul(F, mpc_fsub(F, mpc_fadd(F, x[v], twoK), mod), inv2K);
        out[v] = mpc_fsub(F, 1, top);
    }
out:
    mpc_release(M, mark);
    return rc;
}

int cmp_ltz(mpc *M, fe *out, const fe *x, size_t m, int K)
{
    return cmp_ltz_ex(M, out, NULL, x, m, K);
}

int cmp_lt(mpc *M, fe *out, const fe *a, const fe *b, size_t m, int K)
{
    if (m == 0) return 0;
    size_t mark = mpc_mark(M);
    fe *d = mpc_alloc(M, m);
    field_vec_sub(mpc_field(M), d, a, b, m);
    int rc = cmp_ltz(M, out, d, m, K);
    mpc_release(M, mark);
    return rc;
}
