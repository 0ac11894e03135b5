/* bincmp: bit-sliced comparison tree and tournament maximum (see bincmp.h). */
#include "protocols/bincmp.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/xalloc.h"

uint64_t *bin_plane(uint64_t *X, int k, int j, int p, size_t nw)
{
    return X + ((size_t)p * (size_t)k + (size_t)j) * nw;
}
#define s_at bin_plane

void bin_row_get(uint64_t *v, const uint64_t *X, int k, int j, size_t nw)
{
    for (int p = 0; p < GF2_PLANES; p++)
        memcpy(v + (size_t)p * nw, s_at((uint64_t *)X, k, j, p, nw), nw * sizeof *v);
}

void bin_row_set(uint64_t *X, const uint64_t *v, int k, int j, size_t nw)
{
    for (int p = 0; p < GF2_PLANES; p++)
        memcpy(s_at(X, k, j, p, nw), v + (size_t)p * nw, nw * sizeof *v);
}

void bin_row_copy(uint64_t *B, int kb, int i, const uint64_t *A, int ka, int j, size_t nw)
{
    for (int p = 0; p < GF2_PLANES; p++)
        memcpy(s_at(B, kb, i, p, nw), s_at((uint64_t *)A, ka, j, p, nw), nw * sizeof *B);
}

/* Fold the k rows of (G, E) (LSB first) into gt: pairs (lo = 2i, hi = 2i+1)
 * give g = g_hi ^ (e_hi & g_lo), e = e_hi & e_lo (g_hi and e_hi exclude each
 * other, so OR is XOR); one round per level, e skipped in the last. G and E
 * are overwritten. */
static int s_fold(mpc *M, uint64_t *gt, uint64_t *G, uint64_t *E, int k, size_t nw)
{
    size_t W = bin_matrix_words(k, nw);
    uint64_t *X = xmalloc(2 * W * 8), *Y = xmalloc(2 * W * 8), *T = xmalloc(2 * W * 8);
    int r = k, rc = 0;
    while (rc == 0 && r > 1) {
        int pairs = r / 2, last = pairs == 1 && r == 2, m = last ? 1 : 2 * pairs;
        for (int i = 0; i < pairs; i++) {
            bin_row_copy(X, m, i, E, r, 2 * i + 1, nw);
            bin_row_copy(Y, m, i, G, r, 2 * i, nw);
            if (!last) {
                bin_row_copy(X, m, pairs + i, E, r, 2 * i + 1, nw);
                bin_row_copy(Y, m, pairs + i, E, r, 2 * i, nw);
            }
        }
        uint64_t *keep = T + W;   /* past the AND's output: the odd top row of E */
        if (r & 1) bin_row_get(keep, E, r, r - 1, nw);
        rc = gf2_and(M, T, X, Y, (size_t)m * nw);
        int nr = pairs + (r & 1);
        uint64_t *v = X;   /* scratch row, X is free now */
        for (int i = 0; i < pairs && rc == 0; i++) {
            bin_row_get(v, T, m, i, nw);
            bin_row_get(v + GF2_PLANES * nw, G, r, 2 * i + 1, nw);
            gf2_xor(v, v, v + GF2_PLANES * nw, nw);
            bin_row_set(Y, v, nr, i, nw);   /* new G in Y */
            if (!last) bin_row_copy(E, nr, i, T, m, pairs + i, nw);
        }
        if (r & 1) {
            bin_row_copy(Y, nr, pairs, G, r, r - 1, nw);
            bin_row_set(E, keep, nr, pairs, nw);
        }
        memcpy(G, Y, bin_matrix_words(nr, nw) * 8);
        r = nr;
    }
    if (rc == 0) memcpy(gt, G, (size_t)GF2_PLANES * nw * 8);
    sodium_memzero(X, 2 * W * 8);
    sodium_memzero(Y, 2 * W * 8);
    sodium_memzero(T, 2 * W * 8);
    free(X);
    free(Y);
    free(T);
    return rc;
}

static int s_gt_done(mpc *M, uint64_t *gt, uint64_t *G, uint64_t *E, int k, size_t nw, int rc)
{
    size_t W = bin_matrix_words(k, nw);
    if (rc == 0) rc = s_fold(M, gt, G, E, k, nw);
    sodium_memzero(G, W * 8);
    sodium_memzero(E, W * 8);
    free(G);
    free(E);
    return rc;
}

int bin_gt(mpc *M, uint64_t *gt, const uint64_t *a, const uint64_t *b, int k, size_t nw)
{
    if (k < 1 || k > 64) return mpc_fail(M, ERR_ARG, "bin_gt: width %d outside 1..64", k);
    size_t W = bin_matrix_words(k, nw);
    uint64_t *G = xmalloc(W * 8), *E = xmalloc(W * 8);
    /* leaves: g_j = a_j AND NOT b_j, e_j = NOT (a_j XOR b_j) */
    gf2_not(E, b, (size_t)k * nw);
    int rc = gf2_and(M, G, a, E, (size_t)k * nw);
    gf2_xor(E, a, b, (size_t)k * nw);
    gf2_not(E, E, (size_t)k * nw);
    return s_gt_done(M, gt, G, E, k, nw, rc);
}

int bin_gt_pub(mpc *M, uint64_t *gt, const uint64_t *a, const uint64_t *c, int k, size_t nw)
{
    if (k < 1 || k > 64) return mpc_fail(M, ERR_ARG, "bin_gt: width %d outside 1..64", k);
    size_t W = bin_matrix_words(k, nw);
    uint64_t *G = xmalloc(W * 8), *E = xmalloc(W * 8);
    /* with c public the leaves are local: g_j = a_j & ~c_j (a sharing times a
     * public 0/1 per lane), e_j = a_j ^ ~c_j (a public constant added) */
    for (int j = 0; j < k; j++) {
        const uint64_t *cj = c + (size_t)j * nw;
        for (int p = 0; p < GF2_PLANES; p++) {
            const uint64_t *aj = s_at((uint64_t *)a, k, j, p, nw);
            uint64_t *gj = s_at(G, k, j, p, nw), *ej = s_at(E, k, j, p, nw);
            for (size_t w = 0; w < nw; w++) {
                gj[w] = aj[w] & ~cj[w];
                ej[w] = p == 0 ? aj[w] ^ ~cj[w] : aj[w];
            }
        }
    }
    return s_gt_done(M, gt, G, E, k, nw, 0);
}

int bin_index_bits(size_t N)
{
    int L = 0;
    while (((size_t)1 << L) < N) L++;
    return L ? L : 1;
}

static size_t s_bitrev(size_t v, int L)
{
    size_t r = 0;
    for (int i = 0; i < L; i++) r |= (v >> i & 1u) << (L - 1 - i);
    return r;
}

/* Lane i of the gf2 vectors: get and set one bit of each plane row. */
static int s_bit(const uint64_t *row, size_t lane)
{
    return (int)(row[lane / 64] >> (lane % 64) & 1u);
}

/* Lanes [off, off+P) of every row-plane of X (R rows, nw words) into D (R
 * rows, gf2_words(P) words); P is a power of two and off is 0 or P. */
static void s_lanes(uint64_t *D, const uint64_t *X, int R, size_t nw, size_t off, size_t P)
{
    size_t dw = gf2_words(P);
    for (int p = 0; p < GF2_PLANES; p++)
        for (int j = 0; j < R; j++) {
            const uint64_t *s = s_at((uint64_t *)X, R, j, p, nw);
            uint64_t *d = s_at(D, R, j, p, dw);
            if (P >= 64) memcpy(d, s + off / 64, dw * 8);
            else d[0] = (s[0] >> off) & (((uint64_t)1 << P) - 1);
        }
}

/* The tournament's lanes: value bitrev(l) in lane l, so that pairing lane l
 * with l + P at every level pairs adjacent blocks, the lower block first:
 * keeping the first on ties keeps the lowest index. Padding: 0 with an index
 * above every real one. Index rows are public constants (plane 0 only). */
static void s_layout(uint64_t *Wm, const uint64_t *vals, size_t N, int k, int L, int ib)
{
    size_t Np = (size_t)1 << L, nw = gf2_words(Np), vw = gf2_words(N);
    int R = k + ib;
    memset(Wm, 0, bin_matrix_words(R, nw) * 8);
    for (size_t l = 0; l < Np; l++) {
        size_t v = s_bitrev(l, L);
        uint64_t bit = (uint64_t)1 << (l % 64);
        for (int j = 0; v < N && j < k; j++)
            for (int p = 0; p < GF2_PLANES; p++)
                if (s_bit(s_at((uint64_t *)vals, k, j, p, vw), v)) s_at(Wm, R, j, p, nw)[l / 64] |= bit;
        for (int j = 0; j < ib; j++)
            if (v >> j & 1u) s_at(Wm, R, k + j, 0, nw)[l / 64] |= bit;
    }
}

int bin_max(mpc *M, uint64_t *max, uint64_t *idx, const uint64_t *vals, size_t N, int k)
{
    if (N < 1 || k < 1 || k > 64) return mpc_fail(M, ERR_ARG, "bin_max: N or width out of range");
    int ib = bin_index_bits(N), L = ib, R = k + ib;
    if (N == 1) L = 0;
    size_t Np = (size_t)1 << L, nw = gf2_words(Np), MW = bin_matrix_words(R, nw);
    uint64_t *Wm = xmalloc(MW * 8), *X = xmalloc(MW * 8), *Y = xmalloc(MW * 8),
             *D = xmalloc(MW * 8), *C = xmalloc(MW * 8), *xv = xmalloc(MW * 8),
             *yv = xmalloc(MW * 8), *c = xmalloc((size_t)GF2_PLANES * nw * 8);
    s_layout(Wm, vals, N, k, L, ib);
    int rc = 0;
    for (size_t P = Np / 2; P >= 1 && rc == 0; P /= 2) {
        size_t pw = gf2_words(P), cw = gf2_words(2 * P);
        s_lanes(X, Wm, R, cw, 0, P);
        s_lanes(Y, Wm, R, cw, P, P);
        for (int j = 0; j < k; j++) {   /* the value rows alone, for the comparison */
            bin_row_copy(xv, k, j, X, R, j, pw);
            bin_row_copy(yv, k, j, Y, R, j, pw);
        }
        rc = bin_gt(M, c, yv, xv, k, pw);   /* take y only when strictly larger */
        gf2_xor(D, X, Y, (size_t)R * pw);
        for (int j = 0; j < R && rc == 0; j++) bin_row_set(C, c, R, j, pw);
        if (rc == 0) rc = gf2_and(M, D, C, D, (size_t)R * pw);
        gf2_xor(Wm, X, D, (size_t)R * pw);   /* the winners, P lanes */
    }
    if (rc == 0) {
        for (int j = 0; j < k; j++) bin_row_copy(max, k, j, Wm, R, j, 1);
        for (int j = 0; j < ib; j++) bin_row_copy(idx, ib, j, Wm, R, k + j, 1);
    }
    uint64_t *bufs[] = { Wm, X, Y, D, C, xv, yv };
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) {
        sodium_memzero(bufs[i], MW * 8);
        free(bufs[i]);
    }
    sodium_memzero(c, (size_t)GF2_PLANES * nw * 8);
    free(c);
    return rc;
}
